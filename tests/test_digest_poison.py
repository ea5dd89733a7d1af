"""Issue 11, stalls: one bad value in one entry is that entry's, never its feed's or the run's.

#1 lone UTF-16 surrogates (JSON-LD of a linked page, a JSON Feed title, fetch -f ndjson, --save),
#2 poison entries (impossible date offsets, NUL in a charset label, &#xD800; in an RSS title, `<div<p>`),
#7 a 0-byte or table-less state database next to existing posts is refused, never taken as fresh.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timezone
from pathlib import Path
from typing import TYPE_CHECKING

from test_digest import RSS_TYPE, WORDS, digest, posts, run_cli

from newscli.dates import parse_date
from newscli.digest.state import DB_NAME
from newscli.feeds.subscriptions import add_feed
from newscli.models import Article, clean_text

if TYPE_CHECKING:
    from conftest import TestServer

ROOT = Path(__file__).resolve().parent.parent
LONG = "<p>" + WORDS + "</p>"


def page(title: str, extra_head: str = "", body_prefix: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title>{extra_head}</head><body>{body_prefix}<article>"
        f"<h1>{title}</h1>{LONG}{LONG}{LONG}</article></body></html>"
    )


def teaser_rss(items: list[tuple[str, str, str]]) -> bytes:
    """(title, link, date) items with only a short description: the digest fetches each linked page."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        "<link>https://news.example.com/</link><description>d</description>"
    ]
    for n, (title, link, date) in enumerate(items):
        parts.append(
            f"<item><title>{title}</title><link>{link}</link><guid isPermaLink='false'>g{n}</guid>"
            f"<pubDate>{date}</pubDate><description>Teaser {n}.</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def test_clean_text_pairs_surrogates_replaces_lone_ones_and_drops_controls() -> None:
    assert clean_text("a\ud83d\ude00b") == "a\U0001f600b"
    assert clean_text("cut \ud83d here\udc00") == "cut \ufffd here\ufffd"
    assert clean_text("nul\x00 and \x1b[31m tab\tnl\n") == "nul and [31m tab\tnl\n"
    art = Article(title="t\ud83d", tags=("x\udfff",), text="ok")
    assert art.title == "t\ufffd" and art.tags == ("x\ufffd",)
    for value in (art.title, *art.tags):
        value.encode("utf-8")


def test_lone_surrogates_in_json_feed_and_json_ld_do_not_stop_the_digest(
    http_server: TestServer, tmp_path: Path
) -> None:
    ld = (
        '<script type="application/ld+json">{"@type":"NewsArticle","headline":"Cut \\ud83d here",'
        '"author":{"name":"Ann \\udc00"},"datePublished":"2024-05-17T10:00:00+00:00"}</script>'
    )
    http_server.serve("/ld.html", page("Cut here", ld))
    items = [("Linked", http_server.url("/ld.html"), "Fri, 17 May 2024 10:00:00 +0000")]
    add_feed(http_server.serve("/a.xml", teaser_rss(items), content_type=RSS_TYPE), name="alpha")
    jf = (
        '{"version":"https://jsonfeed.org/version/1.1","title":"J \\ud83d","items":['
        '{"id":"j1","url":"https://j.example.com/1","title":"Emoji cut \\ud83d","content_html":"<p>Before \\ud83d'
        " after the cut.</p>" + WORDS + '","date_published":"2024-05-17T11:00:00Z"},'
        '{"id":"j2","url":"https://j.example.com/2","title":"Second","content_html":"<p>' + WORDS + '</p>",'
        '"date_published":"2024-05-17T12:00:00Z"}]}'
    )
    add_feed(http_server.serve("/j.json", jf, content_type="application/feed+json"), name="json")
    out = tmp_path / "out"
    report = digest(out)
    assert [o.status for o in report.feeds] == ["new", "new"], report.problems()
    assert len(report.saved) == 3 and report.digest_page is not None
    cut = next(p for p in report.saved if "emoji-cut" in p.name)
    text = cut.read_text(encoding="utf-8")
    assert "after the cut." in text and "\ufffd" in text  # nothing lost after the surrogate
    assert digest(out).saved == ()  # recorded: the next run saves nothing again


def test_fetch_ndjson_goes_on_past_a_surrogate_and_save_keeps_the_body(
    http_server: TestServer, tmp_path: Path
) -> None:
    a = http_server.serve("/a.html", page("First page"))
    ld = '<script type="application/ld+json">{"@type":"NewsArticle","headline":"Poison \\ud83d title"}</script>'
    poison = http_server.serve("/p.html", page("Poison", ld, "<p>Lead \ufffd</p>"))
    c = http_server.serve("/c.html", page("Third page"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "newscli", "fetch", a, poison, c, "-f", "ndjson"],
        capture_output=True,
        env=env,
        timeout=60,
    )
    records = [json.loads(line) for line in run.stdout.decode("utf-8").splitlines()]
    assert [r["input"] for r in records] == [a, poison, c] and run.returncode == 0, run.stderr
    assert all(r["error"] is None for r in records)
    saved = subprocess.run(
        [sys.executable, "-m", "newscli", "fetch", poison, "--save", str(tmp_path / "site")],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert saved.returncode == 0, saved.stderr
    (post,) = (tmp_path / "site").glob("*.md")
    assert post.read_text(encoding="utf-8").count(WORDS) == 3


def test_impossible_offsets_are_read_without_them() -> None:
    for text in ("2024-05-17T10:00:00+89:00", "2024-05-17 10:00 +2500", "2024年5月17日 10:00 +89:00"):
        value = parse_date(text, timezone.utc)
        assert value is not None and value.utcoffset() is not None and (value.hour, value.minute) == (10, 0)
    value = parse_date("2024年5月17日 10:00 +08:00", timezone.utc)
    assert value is not None and value.isoformat() == "2024-05-17T10:00:00+08:00"


def test_poison_entries_are_read_safely_and_the_rest_of_the_feed_is_saved(
    http_server: TestServer, tmp_path: Path
) -> None:
    http_server.serve("/lt.html", page("Stray angle", body_prefix="<div<p>Odd markup"))
    # (a NUL in the HTTP header itself is refused by the HTTP parser: a fetch error, the feed's content saved)
    http_server.serve("/nul.html", page("Nul label", '<meta charset="utf\x00-8">'), content_type="text/html")
    atom = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        "<id>urn:a</id><updated>2024-05-17T10:00:00Z</updated>"
    )
    for n, when in enumerate(
        ("2024-05-17T10:00:00+89:00", "2024-05-17T10:00:00+2500", "2024-05-17T10:00:00Z")
    ):
        atom += (
            f"<entry><id>urn:a:{n}</id><title>Offset {n}</title><link href='https://a.example.com/{n}'/>"
            f"<updated>{when}</updated><content type='html'>&lt;p&gt;{WORDS}&lt;/p&gt;</content></entry>"
        )
    atom += "</feed>"
    add_feed(http_server.serve("/atom.xml", atom, content_type="application/atom+xml"), name="offsets")
    items = [
        ("Bad &#xD800; title", "https://r.example.com/1", "Fri, 17 May 2024 10:00:00 +0000"),
        ("Stray", http_server.url("/lt.html"), "Fri, 17 May 2024 11:00:00 +0000"),
        ("Nul", http_server.url("/nul.html"), "Fri, 17 May 2024 12:00:00 +0000"),
        ("After the poison", "https://r.example.com/4", "Fri, 17 May 2024 13:00:00 +0000"),
    ]
    add_feed(http_server.serve("/r.xml", teaser_rss(items), content_type=RSS_TYPE), name="rss")
    out = tmp_path / "out"
    report = digest(out)
    outcomes = {o.name: o for o in report.feeds}
    assert outcomes["offsets"].status == "new" and len(outcomes["offsets"].saved) == 3
    assert outcomes["rss"].status == "new" and len(outcomes["rss"].saved) == 4
    names = posts(out)
    assert any("bad-title" in n or "bad" in n for n in names) and any("after-the-poison" in n for n in names)
    stray = next(p for p in outcomes["rss"].saved if "stray" in p.name)
    assert WORDS in stray.read_text(encoding="utf-8")  # the page itself, not the feed's teaser
    nul = next(p for p in outcomes["rss"].saved if "nul" in p.name)
    assert WORDS in nul.read_text(encoding="utf-8")
    assert not any("lt.html" in f or "nul.html" in f for f in outcomes["rss"].flagged), outcomes[
        "rss"
    ].flagged
    assert digest(out).saved == ()


def test_zero_byte_state_next_to_posts_is_refused_with_advice(
    http_server: TestServer, tmp_path: Path, newscli_home: Path
) -> None:
    from test_digest import item, rss

    add_feed(
        http_server.serve("/a.xml", rss([item(i) for i in range(3)]), content_type=RSS_TYPE), name="alpha"
    )
    out = tmp_path / "out"
    assert digest(out).exit_code == 0
    before = posts(out)
    db = newscli_home / DB_NAME
    for leftover in (newscli_home / (DB_NAME + "-wal"), newscli_home / (DB_NAME + "-shm")):
        leftover.unlink(missing_ok=True)
    db.write_bytes(b"")
    hits = http_server.hits("/a.xml")
    code, _, stderr = run_cli("--out", str(out))
    assert code != 0 and "state database is empty (0 bytes)" in stderr and "Restore the database" in stderr
    assert posts(out) == before and db.read_bytes() == b"" and http_server.hits("/a.xml") == hits
    # without posts in the output folder, an empty database is a fresh start
    assert digest(tmp_path / "elsewhere").exit_code == 0


def test_a_run_budget_leaves_slow_pages_for_the_next_run(http_server: TestServer, tmp_path: Path) -> None:
    import time

    links = [http_server.serve(f"/slow{n}.html", page(f"Slow {n}"), delay=1.0) for n in range(6)]
    items = [(f"Slow {n}", link, f"Fri, 17 May 2024 1{n}:00:00 +0000") for n, link in enumerate(links)]
    add_feed(http_server.serve("/slow.xml", teaser_rss(items), content_type=RSS_TYPE), name="slow")
    add_feed(http_server.serve("/late.xml", teaser_rss([]), content_type=RSS_TYPE), name="late")
    out = tmp_path / "out"
    started = time.monotonic()
    first = digest(out, budget=1.5, page_workers=1, workers=1)
    assert time.monotonic() - started < 4  # six pages of a second each would take six
    outcomes = {o.name: o for o in first.feeds}
    assert 1 <= len(outcomes["slow"].saved) <= 2 and first.exit_code == 1
    assert any("wait for the next run" in f and "budget of 1.5 s" in f for f in outcomes["slow"].flagged)
    assert outcomes["late"].status == "waiting" and "waits for the next run" in str(outcomes["late"].error)
    for path in outcomes["slow"].saved:  # what was saved is the page, never a teaser
        assert WORDS in path.read_text(encoding="utf-8")
    second = digest(out)
    assert second.exit_code == 0
    assert sorted(p.name for p in out.glob("*slow*")) == [f"2024-05-17-slow-{n}.md" for n in range(6)]


def test_a_symlinked_lock_file_is_refused_and_its_target_untouched(
    tmp_path: Path, newscli_home: Path
) -> None:
    import pytest

    from newscli.digest.lock import LOCK_NAME, RunLock
    from newscli.errors import StateError

    precious = tmp_path / "precious.txt"
    precious.write_text("do not truncate\n")
    (newscli_home / LOCK_NAME).symlink_to(precious)
    with pytest.raises(StateError, match="symbolic link"):
        RunLock(newscli_home).acquire()
    assert precious.read_text() == "do not truncate\n"


def test_a_partial_disk_full_run_is_not_nothing_fetched() -> None:
    from newscli.digest.feed import FeedOutcome
    from newscli.digest.run import DigestReport
    from newscli.errors import SaveError

    full = SaveError("disk full", source="/site")
    partial = DigestReport((FeedOutcome("a", "u", "failed", saved=(Path("/site/a.md"),), error=full),))
    assert partial.exit_code == 1
    assert DigestReport((FeedOutcome("a", "u", "failed", error=full),)).exit_code == 3


def test_bidi_marks_never_reach_a_file_name() -> None:
    from newscli.posts.names import safe_filename

    name = safe_filename("2024-05-17-\u200fשלום\u200e-\u061cمرحبا.md", fallback_seed="k")
    assert not any(c in name for c in "\u200e\u200f\u061c") and name.endswith(".md")


def endless_atom(elements: int = 100_000) -> str:
    """An Atom feed whose one entry's XHTML content is `elements` tiny elements: 0.8 MB, about 6 s of parsing."""
    inner = "<b>x</b>" * elements
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        "<id>urn:a</id><updated>2024-05-17T10:00:00Z</updated><entry><id>urn:a:1</id><title>Big</title>"
        "<link href='https://a.example.com/1'/><updated>2024-05-17T10:00:00Z</updated>"
        f"<content type='xhtml'><div xmlns='http://www.w3.org/1999/xhtml'>{inner}</div></content></entry></feed>"
    )


def test_fetch_parses_a_large_feed_under_the_time_limit_and_a_small_one_in_process(tmp_path: Path) -> None:
    from newscli.pipeline import WORKER_FEED_BYTES, Fetcher, FetchOptions

    big = tmp_path / "endless.xml"
    big.write_text(endless_atom(), encoding="utf-8")
    small = tmp_path / "small.xml"
    small.write_text(endless_atom(100), encoding="utf-8")
    assert big.stat().st_size >= WORKER_FEED_BYTES > small.stat().st_size
    with Fetcher(FetchOptions(extract_time_limit=1.0, full=False)) as fetcher:
        (fine,) = list(fetcher.run([str(small)]))
        assert fine.error is None and fine.article is not None and fine.article.title == "Big"
        assert fetcher._pool is None  # no worker process started for it
        (record,) = list(fetcher.run([str(big)]))
        assert record.error is not None and str(record.error) == f"{big}: feed parsing timed out after 1 s"


def test_a_feed_whose_parsing_never_ends_is_killed_and_the_other_feeds_are_saved(
    http_server: TestServer, tmp_path: Path
) -> None:
    """Feeds are parsed on the extraction workers, under their hard time limit: a feed that keeps the parser
    busy for minutes (Atom XHTML content of endless tiny elements: ~60 µs each in feedparser) is that
    feed's failure, named, while the run goes on and saves the others."""
    from test_digest import item, rss

    from newscli.pipeline import Fetcher, FetchOptions

    hostile = endless_atom()
    add_feed(http_server.serve("/endless.xml", hostile, content_type="application/atom+xml"), name="endless")
    add_feed(http_server.serve("/fine.xml", rss([item(1), item(2)]), content_type=RSS_TYPE), name="fine")
    out = tmp_path / "out"
    with Fetcher(FetchOptions(extract_time_limit=1.0)) as fetcher:
        report = digest(out, fetcher=fetcher)
    outcomes = {o.name: o for o in report.feeds}
    assert outcomes["fine"].status == "new" and len(outcomes["fine"].saved) == 2, (
        outcomes["fine"].error,
        outcomes["fine"].flagged,
    )
    endless = outcomes["endless"]
    assert endless.status == "failed" and endless.error is not None
    assert str(endless.error) == f"{http_server.url('/endless.xml')}: feed parsing timed out after 1 s"
    assert not any("big" in name for name in posts(out))
