"""Article extraction: the seed page, clean-up of links and images, plain text, hostile pages, the worker pool."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

import lxml.html
import pytest
from seedpage import SEED_BODY, SEED_TITLE, share_page

from newscli.errors import ExtractError, FeedError, HTTPStatusError, NewsError
from newscli.models import Article
from newscli.page.extract import MAX_HTML_CHARS, extract_article, quick_article
from newscli.page.pool import ExtractorPool, FallbackArticle

URL = "https://news.example.com/2022/05/17/story.html"
PARA = (
    "The council voted on Tuesday to expand the library, adding two floors and a reading garden, "
    "after a year of public hearings, letters and petitions from residents of every district."
)


def page(body: str, head: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head>{head}<title>Library expansion approved</title></head><body>"
        '<div class="nav"><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></div>'
        f'<div class="article-body">{body}</div>'
        '<div class="footer"><a href="/about">About us</a> | <a href="/contact">Contact</a></div>'
        "</body></html>"
    )


def seed_paragraphs() -> list[str]:
    doc = lxml.html.fragment_fromstring(SEED_BODY, create_parent="div")
    return [p.text_content().strip() for p in doc.iter("p")]


def test_seed_page_body_is_exactly_its_28_paragraphs() -> None:
    article = extract_article(share_page().decode("gb18030"), "https://finance.example.com" + "/a.html")
    assert article.html is not None and article.text is not None
    html = lxml.html.fragment_fromstring(article.html, create_parent="div")
    assert [p.text_content() for p in html.iter("p")] == seed_paragraphs()
    assert len(html.xpath("//p")) == 28
    assert [s.text for s in html.iter("strong")] == [
        p.strip()
        for p in lxml.html.fragment_fromstring(SEED_BODY, create_parent="div").xpath("//strong/text()")
    ]
    assert article.text.split("\n\n") == seed_paragraphs()
    assert article.text.endswith("（文章来源：科技日报）")
    for boilerplate in ("责任编辑", "郑重声明", "热门资讯", "首页", "版权所有", "开户送好礼", "微博"):
        assert boilerplate not in article.text
        assert boilerplate not in article.html
    assert article.title == SEED_TITLE


def test_seed_page_record_fields() -> None:
    url = "https://finance.example.com/a.html"
    article = extract_article(share_page().decode("gb18030"), url)
    assert article.url == article.id == url
    assert article.source == "科技日报"
    assert article.published is not None and article.published.isoformat() == "2022-05-17T20:10:06+08:00"


def test_cleaned_html_has_content_tags_only_and_absolute_links() -> None:
    body = (
        f'<p class="lead" style="color:red" onclick="steal()" id="x">{PARA} '
        '<a href="../more.html" class="in">Read the plan</a> and '
        '<a href="javascript:alert(1)">click here</a> or <a href="data:text/html,hi">this</a>.</p>'
        '<script>alert("x")</script><style>p{}</style><iframe src="https://ads.example/"></iframe>'
        '<form action="/subscribe"><input name="email"><button>Subscribe</button></form>'
        f'<figure><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="/img/plan.jpg" alt="Plan">'
        "<figcaption>The new wing</figcaption></figure>"
        '<p><img src="/spacer.gif" data-original="//cdn.example.com/garden.png"></p>'
        '<p><img srcset="/s.jpg 320w, /l.jpg 1280w, /m.jpg 640w"></p>'
        f"<p>{PARA}</p><p>{PARA}</p>"
    )
    article = extract_article(page(body), URL)
    html = article.html or ""
    for gone in ("class=", "style=", "onclick", " id=", "<script", "<style", "<iframe", "<form", "<input",
                 "javascript:", "data:", "Subscribe", "alert"):  # fmt: skip
        assert gone not in html
    assert '<a href="https://news.example.com/2022/05/more.html">Read the plan</a>' in html
    assert "and click here or this." in html
    assert '<img src="https://news.example.com/img/plan.jpg" alt="Plan">' in html
    assert '<img src="https://cdn.example.com/garden.png">' in html
    assert '<img src="https://news.example.com/l.jpg">' in html
    assert "<figcaption>The new wing</figcaption>" in html
    assert "Home" not in html and "About us" not in html


def test_plain_text_paragraphs_breaks_and_chinese_spacing() -> None:
    zh = "这是一段很长的中文新闻正文，用来测试文本的提取效果。" * 3
    body = (
        f"<p>{zh[:20]}\n  {zh[20:]}</p>"
        f"<p>第一行<br>第二行<br/>\n第三行，<strong>重点</strong>内容<em>强调</em>结束。{zh}</p>"
        f"<p>  {PARA}\n\n   {PARA}  </p>"
        "<ul><li>one item of the list</li><li>another item</li></ul>"
    )
    text = extract_article(page(body), URL).text
    assert text == (
        f"{zh}\n\n第一行\n第二行\n第三行，重点内容强调结束。{zh}\n\n{PARA} {PARA}\n\none item of the list\n\nanother item"
    )


@pytest.mark.parametrize("text", ["", "   \n\t ", "<html></html>", "<html><body><p> </p></body></html>"])
def test_empty_pages_are_no_article(text: str) -> None:
    with pytest.raises(ExtractError) as info:
        extract_article(text, URL)
    assert str(info.value) == f"{URL}: no article found"
    assert info.value.kind == "extract"


def test_binary_junk_is_no_article() -> None:
    junk = "\x00\x01\x02\x03\x1b\x7f" * 2000  # lxml refuses NUL in str input; the rest is no text
    with pytest.raises(ExtractError, match="no article found"):
        extract_article(junk, URL)


def test_deep_nesting_is_a_failed_extraction_not_an_empty_success() -> None:
    deep = "<html><body>" + "<div>" * 300 + f"<p>{PARA}</p>" * 5 + "</div>" * 300 + "</body></html>"
    with pytest.raises(ExtractError, match="no article found"):
        extract_article(deep, URL)


def test_meta_charset_with_junk_and_xml_declaration() -> None:
    body = f"<p>{PARA}</p>" * 3
    for head in (
        '<meta charset="utf-8, ie=edge">',
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-8, ie=edge">',
    ):
        assert PARA in (extract_article(page(body, head), URL).text or "")
    xml = '<?xml version="1.0" encoding="utf-8"?>\n' + page(body)
    assert PARA in (extract_article(xml, URL).text or "")


def test_canonical_url_is_the_article_url() -> None:
    head = '<link rel="canonical" href="https://news.example.com/story">'
    article = extract_article(page(f"<p>{PARA}</p>" * 3, head), URL + "?utm_source=x")
    assert article.url == article.id == "https://news.example.com/story"


def test_page_is_cut_at_the_cap() -> None:
    filler = f"<div><p>{PARA}</p></div>"
    text = page(filler * (MAX_HTML_CHARS // len(filler) + 50) + "<p>THE VERY END</p>")
    article = quick_article(text, URL)
    assert "THE VERY END" not in (article.text or "")


# -- the pool ------------------------------------------------------------------------------------------------------


def _crash(text: str, url: str, *, tz_override: str | None = None) -> Article:
    if text == "crash":
        os._exit(3)
    if text == "http":
        raise HTTPStatusError("HTTP 503", source=url, status=503, retry_after=99.0)
    if text == "bug":
        raise ZeroDivisionError("oops")
    return Article(url=url, text=text)


def test_news_errors_survive_pickling_with_their_fields() -> None:
    with ExtractorPool(workers=1, time_limit=5, extract=_crash) as pool:
        with pytest.raises(HTTPStatusError) as info:
            pool.submit("http", URL).result(timeout=30)
        assert (info.value.status, info.value.retry_after, info.value.source) == (503, 99.0, URL)
        assert str(info.value) == f"{URL}: HTTP 503"
        with pytest.raises(ExtractError, match="extraction failed: ZeroDivisionError: oops"):
            pool.submit("bug", URL).result(timeout=30)


def test_a_crashing_worker_fails_only_its_job() -> None:
    with ExtractorPool(workers=2, time_limit=5, extract=_crash) as pool:
        crashed = pool.submit("crash", URL)
        fine = [pool.submit(f"page {i}", f"{URL}?{i}") for i in range(4)]
        with pytest.raises(ExtractError) as info:
            crashed.result(timeout=30)
        assert str(info.value) == f"{URL}: extraction failed: worker process died (exit code 3)"
        assert [f.result(timeout=30).text for f in fine] == [f"page {i}" for i in range(4)]
        assert pool.submit("again", URL).result(timeout=30).text == "again"


def _hang_or_echo(text: str, url: str, *, tz_override: str | None = None) -> Article:
    if text == "hang":
        time.sleep(120)
    if text == "crash":
        os._exit(3)
    return Article(url=url, text=text[:20])


@pytest.mark.parametrize("first", ["hang", "crash"])
def test_a_page_sent_behind_one_that_is_killed_or_dies_is_still_extracted(first: str) -> None:
    """The pool sends a busy worker its next page ahead (PIPELINE): when the page it runs is killed at the time
    limit, or kills it, the page waiting in its pipe is not lost with it nor blamed for it."""
    with ExtractorPool(workers=1, time_limit=1.0, extract=_hang_or_echo, fallback=None) as pool:
        bad = pool.submit(first, URL)
        nxt = pool.submit("the next page", f"{URL}?next")
        with pytest.raises(ExtractError) as info:
            bad.result(timeout=30)
        assert str(info.value) == (
            f"{URL}: extraction timed out after 1 s"
            if first == "hang"
            else f"{URL}: extraction failed: worker process died (exit code 3)"
        )
        assert nxt.result(timeout=30).text == "the next page"


def test_a_big_page_waits_for_a_free_worker_and_time_limits_still_hold() -> None:
    """A page too big for a busy worker's pipe is not sent ahead: the write would block the pool's thread until
    the worker is done, and a page that hangs would then never be killed."""
    with ExtractorPool(workers=1, time_limit=1.0, extract=_hang_or_echo, fallback=None) as pool:
        hung = pool.submit("hang", URL)
        big = pool.submit("big " + "x" * 2_000_000, f"{URL}?big")
        with pytest.raises(ExtractError, match="timed out after 1 s"):
            hung.result(timeout=30)  # killed at its limit, not after the two minutes it sleeps
        assert big.result(timeout=30).text == "big " + "x" * 16


def test_pool_start_starts_a_worker_before_the_first_job() -> None:
    """start() has a worker booting while the caller still prepares the first jobs; warm says when one
    has answered (a run parses its first small feeds itself until then)."""
    with ExtractorPool(workers=2, time_limit=10, fresh_workers=True) as pool:
        assert not pool.warm
        pool.start()
        deadline = time.monotonic() + 30
        while not pool._workers and time.monotonic() < deadline:
            time.sleep(0.01)
        pids = {w.process.pid for w in pool._workers}
        assert len(pids) == 1 and all(pids)
        assert not pool.warm
        article = pool.submit(page(f"<p>{PARA}</p>" * 3), URL).result(timeout=30)
        assert PARA in (article.text or "")
        assert pool.warm
        assert {w.process.pid for w in pool._workers} == pids  # the job ran on the worker started ahead


def _quick(text: str, url: str, *, tz_override: str | None = None) -> Article:
    return Article(url=url, text=f"{text} by {os.getpid()}")


def _slow(text: str, url: str, *, tz_override: str | None = None) -> Article:
    time.sleep(0.3)
    return Article(url=url, text=f"{text} by {os.getpid()}")


def test_one_worker_keeps_up_with_small_pages_and_stays_alone() -> None:
    """Issue 15: pages one worker extracts as fast as they come never start a second (each would boot an
    interpreter, and run colder, for nothing)."""
    with ExtractorPool(workers=4, time_limit=10, extract=_quick) as pool:
        done = [pool.submit(f"page {i}", f"{URL}?{i}").result(timeout=30) for i in range(30)]
        assert len({a.text.split(" by ")[1] for a in done if a.text}) == 1
        assert len(pool._workers) == 1


def test_pages_that_queue_up_start_every_worker() -> None:
    """Pages that take long (0.3 s each here, twelve at once) have all four workers within a moment: the twelve
    end in about three rounds, not the twelve one worker would take."""
    with ExtractorPool(workers=4, time_limit=10, extract=_slow) as pool:
        began = time.monotonic()
        futures = [pool.submit(f"page {i}", f"{URL}?{i}") for i in range(12)]
        done = [f.result(timeout=60) for f in futures]
        took = time.monotonic() - began
        assert len(pool._workers) == 4
        assert len({a.text.split(" by ")[1] for a in done if a.text}) == 4
        assert took < 12 * 0.3 / 2, f"took {took:.2f} s: the pool did not grow"


def _step(kind: str, seconds: float = 0.0) -> float:
    """A CPU step run by ExtractorPool.call: returns when it ended (wall clock)."""
    if kind == "hang":
        while True:
            pass
    if kind == "feed":
        raise FeedError("not a feed: oops", source="https://feeds.example.com/x.xml")
    if kind == "bug":
        raise ZeroDivisionError("oops")
    time.sleep(seconds)
    return time.time()


def _slow_page(text: str, url: str, *, tz_override: str | None = None) -> Article:
    time.sleep(0.4)
    return Article(url=url, text=str(time.time()))


def test_pool_call_runs_a_step_on_a_worker_and_kills_one_that_hangs() -> None:
    feed = "https://feeds.example.com/x.xml"
    start = time.monotonic()
    with ExtractorPool(workers=1, time_limit=1.0) as pool:
        assert pool.call(_step, "sleep", 0.0, source=feed, what="feed parsing").result(timeout=30) > 0
        with pytest.raises(FeedError) as info:
            pool.call(_step, "hang", source=feed, what="feed parsing", error=FeedError).result(timeout=30)
        assert str(info.value) == f"{feed}: feed parsing timed out after 1 s"
        # its own errors come back as they were; a bug is named, with the source it was for
        with pytest.raises(FeedError, match="not a feed: oops"):
            pool.call(_step, "feed", source=feed, what="feed parsing").result(timeout=30)
        with pytest.raises(NewsError) as bug:
            pool.call(_step, "bug", source=feed, what="feed parsing").result(timeout=30)
        assert str(bug.value) == f"{feed}: feed parsing failed: ZeroDivisionError: oops"
        # and the pool goes on: a new worker replaced the killed one
        assert pool.submit(f"<p>{PARA}</p>" * 3, URL).result(timeout=30).text
    assert time.monotonic() - start < 20


def test_pool_calls_go_before_waiting_pages() -> None:
    """A feed's parse makes the pages' work: on a busy pool it does not wait behind every queued page."""
    with ExtractorPool(workers=1, time_limit=10, extract=_slow_page) as pool:
        pages = [pool.submit("x", f"{URL}?{i}") for i in range(4)]
        time.sleep(0.1)  # the first page is running
        step = pool.call(_step, "sleep", 0.0, source="https://feeds.example.com/x.xml", what="feed parsing")
        ended = step.result(timeout=30)
        done = [float(f.result(timeout=30).text or 0) for f in pages]
    # after the running page and the one already in the worker's pipe behind it (PIPELINE), before the others
    assert done[0] < done[1] < ended < done[2]


def _broken_step(article: Article, what: str) -> str:
    raise ValueError(what)


def test_pool_runs_the_callers_next_step_beside_the_extraction() -> None:
    from newscli.posts.post import PostOptions, post_body

    text, url = share_page().decode("gb18030"), "https://finance.example.com/a.html"
    options = PostOptions(profile="hugo")
    with ExtractorPool(workers=1, time_limit=20) as pool:
        article, body = pool.submit_then(text, url, (post_body, (options,))).result(timeout=60)
        assert article.title == SEED_TITLE
        assert body == post_body(extract_article(text, url), options)
        assert body.startswith("从凹陷区致密砾岩") and "（文章来源：科技日报）" in body
        # a step that fails leaves the extraction alone: its result is None, the caller runs it itself
        article, nothing = pool.submit_then(text, url, (_broken_step, ("no",))).result(timeout=60)
        assert article.title == SEED_TITLE and nothing is None


def _loaded(text: str, url: str, *, tz_override: str | None = None) -> Article:
    return Article(url=url, text=" ".join(sorted(sys.modules)))


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="workers start as fresh interpreters on Linux"
)
def test_workers_start_fresh_not_as_copies_of_the_main_process() -> None:
    """Issue 15: a worker holds what extraction needs, not the main process's HTTP client, feed parser
    and heap (a fork of an 800-feed digest held 46 MiB per worker; a fresh one ~34 MiB)."""
    import httpx  # noqa: F401 - this process has it loaded; a worker must not

    import newscli.cli.app  # noqa: F401

    big = b"\x01" * (64 * 1024 * 1024)  # and 64 MiB of heap
    with ExtractorPool(workers=1, time_limit=20, extract=_loaded, fresh_workers=True) as pool:
        worker_modules = set((pool.submit("x", URL).result(timeout=60).text or "").split())
        pid = pool._workers[0].process.pid
        with open(f"/proc/{pid}/status") as fh:
            rss_kib = next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
    del big
    assert "httpx" in sys.modules and "typer" in sys.modules
    assert "newscli.page.pool" in worker_modules
    assert not worker_modules & {"httpx", "typer", "feedparser", "sqlite3"}
    assert rss_kib < 60 * 1024


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="workers start as fresh interpreters on Linux"
)
def test_workers_that_cannot_start_fail_the_jobs_at_once_and_are_tried_again_later(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker that ends before it is up (a broken install) is not started again and again, one per job (a
    digest's 2,000 pages took minutes, each printing a traceback): after BOOT_FAILURES in a row every job
    fails at once saying why, and after BROKEN_PAUSE a worker is tried again."""
    import newscli.page.pool as pool_module

    boot = pool_module._BOOT
    monkeypatch.setattr(pool_module, "_BOOT", "import sys, time\ntime.sleep(0.1)\nsys.exit(7)\n")
    monkeypatch.setattr(pool_module, "BROKEN_PAUSE", 1.0)
    spawned: list[int] = []
    spawn = ExtractorPool._spawn

    def counted(self: ExtractorPool) -> Any:
        spawned.append(1)
        return spawn(self)

    monkeypatch.setattr(ExtractorPool, "_spawn", counted)
    with ExtractorPool(workers=2, time_limit=20, fresh_workers=True) as pool:
        errors = []
        for i in range(40):
            with pytest.raises(ExtractError) as info:
                pool.submit(page(f"<p>{PARA}</p>"), f"{URL}?{i}").result(timeout=30)
            errors.append(str(info.value))
        assert errors[0].startswith(f"{URL}?0: extraction failed: extraction workers cannot start")
        assert all("the last with exit code 7" in e for e in errors)
        assert len(spawned) <= pool_module.BOOT_FAILURES + 1
        monkeypatch.setattr(pool_module, "_BOOT", boot)  # mended: after the pause, a worker is tried again
        time.sleep(1.1)
        assert PARA in (pool.submit(page(f"<p>{PARA}</p>" * 3), URL).result(timeout=30).text or "")


def test_pages_that_all_kill_their_workers_stop_the_pool_starting_workers_for_a_while(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A page that kills its worker is that page's failure and the next page gets a new worker; but
    DEATH_STREAK pages in a row doing so, none answered in between, is no page's doing (an extension that
    crashes on anything): the jobs after them fail at once, until BROKEN_PAUSE has passed."""
    import newscli.page.pool as pool_module

    monkeypatch.setattr(pool_module, "BROKEN_PAUSE", 1.0)
    streak = pool_module.DEATH_STREAK
    with ExtractorPool(workers=1, time_limit=10, extract=_crash) as pool:
        errors = []
        for i in range(streak + 12):
            with pytest.raises(ExtractError) as info:
                pool.submit("crash", f"{URL}?{i}").result(timeout=30)
            errors.append(str(info.value))
        assert all(e.endswith("worker process died (exit code 3)") for e in errors[:streak])
        assert all(
            f"extraction workers keep dying ({streak} jobs in a row, the last with exit code 3)" in e
            for e in errors[streak:]
        )
        time.sleep(1.1)
        assert pool.submit("fine", URL).result(timeout=30).text == "fine"


def test_pages_that_kill_their_workers_among_good_ones_fail_only_themselves() -> None:
    with ExtractorPool(workers=1, time_limit=10, extract=_crash) as pool:
        for i in range(24):
            future = pool.submit("crash" if i % 2 else f"page {i}", f"{URL}?{i}")
            if i % 2:
                with pytest.raises(ExtractError, match="worker process died"):
                    future.result(timeout=30)
            else:
                assert future.result(timeout=30).text == f"page {i}"


def test_a_job_still_waiting_at_its_deadline_is_not_started() -> None:
    """A digest's run budget reaches the pages already fetched: one still waiting for a worker when the
    budget ends is not extracted (it fails saying so, and the digest leaves its entry for the next run)."""
    with ExtractorPool(workers=1, time_limit=10, extract=_slow) as pool:
        assert pool.submit("warm", URL).result(timeout=30).text
        with pytest.raises(ExtractError, match="extraction not started: its time ran out while it waited"):
            pool.submit("late", f"{URL}?late", deadline=time.monotonic() - 1).result(timeout=30)
        running = pool.submit("running", f"{URL}?running")
        time.sleep(0.25)  # past PIPELINE_FRESH: the next job waits in the pool, not in the worker's pipe
        waiting = pool.submit("waiting", f"{URL}?waiting", deadline=time.monotonic() + 0.02)
        with_time = pool.submit("with time", f"{URL}?with-time", deadline=time.monotonic() + 60)
        assert (running.result(timeout=30).text or "").startswith("running by ")
        with pytest.raises(ExtractError, match=r"\?waiting: extraction not started: its time ran out"):
            waiting.result(timeout=30)
        assert (with_time.result(timeout=30).text or "").startswith("with time by ")


def test_closing_the_pool_ends_every_worker_on_its_own() -> None:
    """close() tells every worker to stop before it waits for any: each ends by itself (exit code 0, not
    killed), and with nothing to flush it skips the interpreter's teardown (it held up a run's end)."""
    pool = ExtractorPool(workers=2, time_limit=20, extract=_slow, fresh_workers=True)
    futures = [pool.submit(f"page {i}", f"{URL}?{i}") for i in range(6)]
    assert all(f.result(timeout=60).text for f in futures)
    processes = [w.process for w in pool._workers]
    assert len(processes) == 2
    pool.close()
    assert [p.exitcode for p in processes] == [0, 0]
    assert not pool._workers


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="workers start as fresh interpreters on Linux"
)
def test_a_process_whose_workers_extract_does_not_load_extraction_itself() -> None:
    """The digest's main process never extracts a page: its fresh workers do. It does not import readability
    and the page readers for them (~0.3 s on the way to the first post), and the workers' pages still come
    back extracted."""
    code = (
        "import sys\n"
        "from newscli.page.pool import ExtractorPool\n"
        "page = '<html><head><title>Hello</title></head><body><article><h1>Hello</h1>'"
        " + '<p>' + 'A sentence of the story, long enough to count. ' * 20 + '</p></article></body></html>'\n"
        "with ExtractorPool(workers=1, time_limit=20, fresh_workers=True) as pool:\n"
        "    article = pool.submit(page, 'https://example.com/a').result(timeout=60)\n"
        "print(article.title, 'readability' in sys.modules, 'newscli.page.extract' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split() == ["Hello", "False", "False"], out.stderr


def test_pool_extracts_a_normal_page() -> None:
    with ExtractorPool(workers=1, time_limit=20) as pool:
        article = pool.submit(share_page().decode("gb18030"), "https://finance.example.com/a.html").result(
            timeout=60
        )
        assert article.title == SEED_TITLE
        assert not isinstance(article, FallbackArticle)
        with pytest.raises(ExtractError, match="no article found") as info:
            pool.submit("", URL).result(timeout=60)
        assert isinstance(info.value, NewsError) and info.value.source == URL


def test_pool_decodes_a_page_given_as_bytes_by_the_charset_rules() -> None:
    """The fetched bytes go to the worker: the page's own declaration (GB18030 here) still decides."""
    with ExtractorPool(workers=1, time_limit=20) as pool:
        article = pool.submit(share_page(), "https://finance.example.com/a.html").result(timeout=60)
        assert article.title == SEED_TITLE
        # undeclared, the charset is detected there; declared by HTTP, that is taken
        undeclared = share_page(declare_charset=False)
        assert (
            pool.submit(undeclared, "https://finance.example.com/a.html").result(timeout=60).title
            == SEED_TITLE
        )
        said = pool.submit(undeclared, "https://finance.example.com/a.html", http_charset="gb18030")
        assert said.result(timeout=60).title == SEED_TITLE
        with pytest.raises(ExtractError) as info:
            pool.submit(b"  \n ", URL).result(timeout=60)
        assert str(info.value) == f"{URL}: no article found (empty page)"


def test_fifty_thousand_tiny_divs_time_out_then_fall_back() -> None:
    divs = "".join(f"<div>Sentence number {i} of the tiny divs.</div>" for i in range(50_000))
    start = time.monotonic()
    with ExtractorPool(workers=1, time_limit=1.0, fallback_limit=8.0) as pool:
        article = pool.submit(f"<html><body>{divs}</body></html>", URL).result(timeout=60)
    assert time.monotonic() - start < 15
    assert isinstance(article, FallbackArticle)
    assert article.warning == "extraction timed out after 1 s; used a simpler extraction"
    assert (article.text or "").startswith("Sentence number 0 of the tiny divs.\n\nSentence number 1 ")


def test_time_limit_without_fallback_is_an_error() -> None:
    divs = "".join(f"<div>Sentence number {i} of the tiny divs.</div>" for i in range(50_000))
    start = time.monotonic()
    with ExtractorPool(workers=1, time_limit=0.5, fallback=None) as pool:
        with pytest.raises(ExtractError) as info:
            pool.submit(f"<html><body>{divs}</body></html>", URL).result(timeout=60)
    assert str(info.value) == f"{URL}: extraction timed out after 0.5 s"
    assert time.monotonic() - start < 10


def test_five_megabyte_page_ends_in_bounded_time() -> None:
    para = f"<div class='c'><div><p>{PARA}</p><span>x</span></div></div>"
    text = page(para * (5 * 1024 * 1024 // len(para)))
    start = time.monotonic()
    with ExtractorPool(workers=1, time_limit=2.0, fallback_limit=5.0) as pool:
        article = pool.submit(text, URL).result(timeout=60)
    assert time.monotonic() - start < 15
    assert PARA in (article.text or "")


def test_markup_nested_past_the_parsers_depth_limit_is_said_not_silently_dropped() -> None:
    lead = "".join(
        f"<p>Paragraph {i}, a sentence long enough to be read as text, with commas, here.</p>"
        for i in range(5)
    )
    deep = "<div>" * 20_000 + "<p>deep text</p>" * 50 + "</div>" * 20_000
    page = f"<html><head><title>Deep</title></head><body><article><h1>Deep</h1>{lead}{deep}</article></body></html>"
    article = extract_article(page, "https://e.com/deep")
    assert "Paragraph 4" in (article.text or "")
    assert getattr(article, "warning", "") == (
        "the page nests its markup deeper than 255 levels; what lies deeper was not read"
    )
    shallow = extract_article(page.replace(deep, ""), "https://e.com/deep")
    assert not getattr(shallow, "warning", "")
