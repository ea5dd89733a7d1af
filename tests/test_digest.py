"""`newscli digest` against a real 127.0.0.1 server: once and only once, cheap when nothing changed, cron-quiet.

Faults: L01 (second run), L02 (SIGKILL at points, through tests/digest_harness.py), L03 (disk full),
L05 (corrupt state), L06 (locked state), H13 (Retry-After), H15 (304), H16 (same body, new ETag).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import typer

if TYPE_CHECKING:
    from conftest import TestServer
from typer.testing import CliRunner

from newscli.digest.lock import RunLock
from newscli.digest.page import first_sentence
from newscli.digest.run import DigestReport, run_digest
from newscli.digest.state import DB_NAME
from newscli.errors import StateError
from newscli.feeds.subscriptions import add_feed
from newscli.models import Article
from newscli.posts.archive import post_date
from newscli.posts.folder import PostFolder

HARNESS = Path(__file__).parent / "digest_harness.py"
ROOT = Path(__file__).resolve().parent.parent
WORDS = (
    "The council met on Tuesday to discuss the new budget for schools, roads and parks. Members agreed that the "
    "plan needs more work before the vote next month, and asked the staff to bring back three options with costs "
    "for each district. Residents who spoke at the meeting mostly asked for better bus service and safer crossings "
    "near the primary schools, and several of them brought letters signed by their neighbours."
)


def item(
    n: int, *, feed: str = "a", link: str | None = None, guid: str | None = None, day: int = 17
) -> dict[str, str]:
    return {
        "title": f"Story {feed}{n}",
        "link": link or f"https://news.example.com/{feed}/{n}.html",
        "guid": guid or f"tag:news.example.com,2024:{feed}{n}",
        "date": f"Fri, {day} May 2024 {10 + n % 10:02d}:00:00 +0000",
        "body": f"Story {feed}{n} begins here. " + WORDS,
    }


def rss(items: list[dict[str, str]], title: str = "Example News") -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>',
        f"<title>{title}</title><link>https://news.example.com/</link><description>d</description>",
    ]
    for it in items:
        parts.append(
            f"<item><title>{it['title']}</title><link>{it['link']}</link>"
            f'<guid isPermaLink="false">{it["guid"]}</guid><pubDate>{it["date"]}</pubDate>'
            f"<description>{it['body'][:40]}</description>"
            f"<content:encoded><![CDATA[<p>{it['body']}</p><p>{WORDS}</p>]]></content:encoded></item>"
        )
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


RSS_TYPE = "application/rss+xml; charset=utf-8"


def posts(out: Path) -> list[str]:
    """The visible files in DIR (posts and digest pages), sorted."""
    return sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) if out.exists() else []


def snapshot(out: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir() if not p.name.startswith(".")
    }


def digest(out: Path, **kw: object) -> DigestReport:
    kw.setdefault("workers", 4)
    return run_digest(out=out, **kw)  # type: ignore[arg-type]


def cli_app() -> typer.Typer:
    from newscli.cli.app import app

    if not any(c.name == "digest" for c in app.registered_commands):
        from newscli.cli.digest import digest as command

        app.command("digest")(command)
    return app


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli_app(), ["digest", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


# ---- the ordinary life of a cron job ------------------------------------------------------------------------


def test_first_run_saves_all_second_nothing_then_exactly_the_new(
    http_server: TestServer, tmp_path: Path
) -> None:
    a_items = [item(i, feed="a") for i in range(3)]
    b_items = [item(i, feed="b") for i in range(2)]
    add_feed(http_server.serve("/a.xml", rss(a_items), content_type=RSS_TYPE), name="alpha")
    add_feed(http_server.serve("/b.xml", rss(b_items), content_type=RSS_TYPE), name="beta")
    out = tmp_path / "_posts"

    code, stdout, stderr = run_cli("--out", str(out))
    assert (code, stdout, stderr) == (0, "", "")  # cron mails any output: none when all is well
    names = posts(out)
    saved = [n for n in names if not n.endswith("-digest.md")]
    assert len(saved) == 5
    assert {(out / n).read_text().split("\n")[2] for n in saved} == {
        f'title: "Story {f}{i}"' for f, n in (("a", 3), ("b", 2)) for i in range(n)
    }
    [page] = [n for n in names if n.endswith("-digest.md")]
    assert page == f"{datetime.now().astimezone().date().isoformat()}-digest.md"

    before = snapshot(out)
    assert run_cli("--out", str(out)) == (0, "", "")
    assert snapshot(out) == before  # not one file touched

    a_items += [item(3, feed="a"), item(4, feed="a")]
    http_server.serve("/a.xml", rss(a_items), content_type=RSS_TYPE)
    code, _, _ = run_cli("--out", str(out), "-v")
    assert code == 0
    after = snapshot(out)
    new = sorted(set(after) - set(before))
    assert len(new) == 2 and all("story-a3" in n or "story-a4" in n for n in new)
    assert all(after[n] == before[n] for n in before if not n.endswith("-digest.md"))
    digest_text = (out / page).read_text()
    assert digest_text.count("[Story a") == 5 and digest_text.count("[Story b") == 2
    # the post on this site, the origin beside it
    assert (
        "[Story a4]({% post_url 2024-05-17-story-a4 %}) · [Example News](https://news.example.com/a/4.html)"
        in digest_text
    )


def test_same_article_in_two_feeds_is_saved_once(http_server: TestServer, tmp_path: Path) -> None:
    shared_a = item(1, feed="a", link="https://news.example.com/shared.html?utm_source=rss&utm_medium=a")
    shared_b = item(9, feed="b", link="http://news.example.com/shared.html/#comments", guid="b-local-9")
    shared_b["title"] = shared_a["title"]
    add_feed(http_server.serve("/a.xml", rss([shared_a, item(2)]), content_type=RSS_TYPE), name="alpha")
    add_feed(
        http_server.serve("/b.xml", rss([shared_b, item(3, feed="b")]), content_type=RSS_TYPE), name="beta"
    )
    out = tmp_path / "out"
    report = digest(out)
    assert report.exit_code == 0
    assert len(report.saved) == 3
    assert sum("story-a1" in n for n in posts(out)) == 1
    assert len(digest(out).saved) == 0


def test_a_big_feed_is_claimed_at_once_each_article_saved_once(
    http_server: TestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 300 entries give 600 seen keys, more than one query of the state takes; the last entry is the first
    # one again under another guid, and the next run adds one new entry
    items = [item(i, feed="big") for i in range(300)]
    again = item(0, feed="big", guid="tag:news.example.com,2024:again")
    url = http_server.serve("/big.xml", rss([*items, again]), content_type=RSS_TYPE)
    add_feed(url, name="big")
    out = tmp_path / "out"
    report = digest(out)
    assert report.exit_code == 0
    assert len(report.saved) == 300
    assert sum("story-big0." in n for n in posts(out)) == 1
    http_server.serve("/big.xml", rss([*items, again, item(300, feed="big")]), content_type=RSS_TYPE)
    saving: list[str | None] = []
    real_save = PostFolder.save

    def save(self: PostFolder, article: Article, *args: Any, **kwargs: Any) -> Any:
        saving.append(article.title)
        return real_save(self, article, *args, **kwargs)

    monkeypatch.setattr(PostFolder, "save", save)
    assert [p.name for p in digest(out).saved] == ["2024-05-17-story-big300.md"]
    assert (
        saving[0] == "Story big300" and len(saving) == 2
    )  # the new entry (every seen one skipped), the page


def test_full_text_fetched_for_teasers_and_failed_page_falls_back(
    http_server: TestServer, tmp_path: Path
) -> None:
    from seedpage import SEED_TITLE, share_page

    page = http_server.serve("/share.html", share_page(), content_type="text/html")
    broken = http_server.serve("/gone.html", "gone", status=404, content_type="text/plain")
    feed = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"<item><title>{SEED_TITLE}</title><link>{page}</link><guid>tag:x,1</guid>"
        "<pubDate>Tue, 17 May 2022 12:10:06 +0000</pubDate><description>短摘要……</description></item>"
        f"<item><title>Gone</title><link>{broken}</link><guid>tag:x,2</guid>"
        "<pubDate>Tue, 17 May 2022 12:00:00 +0000</pubDate><description>Teaser of gone…</description></item>"
        "</channel></rss>"
    )
    add_feed(http_server.serve("/t.xml", feed, content_type=RSS_TYPE), name="teasers")
    out = tmp_path / "out"
    report = digest(out)
    assert http_server.hits("/share.html") == 1 and http_server.hits("/gone.html") >= 1
    [outcome] = report.feeds
    assert outcome.status == "new" and len(outcome.saved) == 2
    assert len(outcome.flagged) == 1 and "gone.html" in outcome.flagged[0] and "404" in outcome.flagged[0]
    assert report.exit_code == 1
    full = next(p for p in outcome.saved if "gone" not in p.name.lower())
    assert "克拉玛依" in full.read_text() and full.read_text().count("\n\n") > 20
    assert "Teaser of gone" in next(p for p in outcome.saved if p != full).read_text()


def test_feed_settings_go_into_the_posts(http_server: TestServer, tmp_path: Path) -> None:
    add_feed(
        http_server.serve("/a.xml", rss([item(1)]), content_type=RSS_TYPE),
        name="alpha",
        category="本地",
        tags=["city", "council"],
    )
    out = tmp_path / "out"
    digest(out)
    [post] = [n for n in posts(out) if not n.endswith("-digest.md")]
    text = (out / post).read_text()
    assert "categories:\n  - 本地\ntags:\n  - city\n  - council\n" in text


MAY_17_NOON = datetime(2024, 5, 17, 13, 0, tzinfo=timezone.utc).timestamp()


def test_post_named_like_the_digest_page_is_kept_beside_it(
    http_server: TestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSCLI_TZ", "UTC")
    named_digest = item(1)
    named_digest["title"] = "Digest"
    other = item(2)
    other["title"] = "Other story"
    add_feed(http_server.serve("/a.xml", rss([named_digest, other]), content_type=RSS_TYPE), name="alpha")
    out = tmp_path / "out"
    report = digest(out, now=lambda: MAY_17_NOON)
    assert report.exit_code == 0
    assert posts(out) == ["2024-05-17-digest-2.md", "2024-05-17-digest.md", "2024-05-17-other-story.md"]
    assert report.digest_page == out / "2024-05-17-digest.md"
    assert 'title: "Digest"' in (out / "2024-05-17-digest-2.md").read_text()
    page = (out / "2024-05-17-digest.md").read_text()
    assert "title: Digest 2024-05-17" in page or 'title: "Digest 2024-05-17"' in page
    assert (
        "[Digest]({% post_url 2024-05-17-digest-2 %}) · [Example News](https://news.example.com/a/1.html)"
        in page
    )
    assert "[Other story]({% post_url 2024-05-17-other-story %})" in page
    before = snapshot(out)
    assert digest(out, now=lambda: MAY_17_NOON).exit_code == 0  # the next run: nothing moves
    assert snapshot(out) == before


def test_digest_page_never_replaces_a_file_that_is_not_the_page(
    http_server: TestServer, tmp_path: Path, newscli_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSCLI_TZ", "UTC")
    add_feed(http_server.serve("/a.xml", rss([item(1)]), content_type=RSS_TYPE), name="alpha")
    out = tmp_path / "out"
    out.mkdir()
    (out / "2024-05-17-digest.md").write_text("my own notes\n")
    report = digest(out, now=lambda: MAY_17_NOON)
    assert report.exit_code == 0
    assert (out / "2024-05-17-digest.md").read_text() == "my own notes\n"
    assert report.digest_page == out / "2024-05-17-digest-2.md"
    assert "[Story a1]" in (out / "2024-05-17-digest-2.md").read_text()

    # the page recognises itself even when the index lost it (a crash between writing and recording)
    (out / "2024-05-17-digest.md").unlink()
    (out / "2024-05-17-digest-2.md").rename(out / "2024-05-17-digest.md")
    with sqlite3.connect(newscli_home / DB_NAME) as db:
        db.execute("DELETE FROM saved WHERE id LIKE 'digest:%'")
    db.close()
    http_server.serve("/a.xml", rss([item(1), item(2)]), content_type=RSS_TYPE)
    report = digest(out, now=lambda: MAY_17_NOON)
    assert report.exit_code == 0 and report.digest_page == out / "2024-05-17-digest.md"
    assert not (out / "2024-05-17-digest-2.md").exists()
    page = (out / "2024-05-17-digest.md").read_text()
    assert "[Story a1]" in page and "[Story a2]" in page


def test_dry_run_writes_nothing(http_server: TestServer, tmp_path: Path, newscli_home: Path) -> None:
    add_feed(http_server.serve("/a.xml", rss([item(1), item(2)]), content_type=RSS_TYPE), name="alpha")
    out = tmp_path / "out"
    before = sorted(p.name for p in newscli_home.iterdir())
    code, stdout, stderr = run_cli("--out", str(out), "--dry-run")
    assert code == 0 and stderr == ""
    lines = stdout.splitlines()
    assert len(lines) == 3 and lines[0].startswith(f"would save {out}/2024-05-17-story-a")
    assert lines[2].startswith("would write") and lines[2].endswith("-digest.md (the day's digest page)")
    assert not out.exists()
    assert sorted(p.name for p in newscli_home.iterdir()) == before  # no state, no lock file
    assert len(digest(out).saved) == 2  # and the real run still finds both new


def test_since_skips_old_entries_for_good(http_server: TestServer, tmp_path: Path) -> None:
    old, new = item(1, day=1), item(2, day=17)
    add_feed(http_server.serve("/a.xml", rss([old, new]), content_type=RSS_TYPE), name="alpha")
    out = tmp_path / "out"
    report = digest(out, since=datetime(2024, 5, 10, tzinfo=timezone.utc))
    assert [p.name for p in report.saved] == ["2024-05-17-story-a2.md"]
    http_server.serve("/a.xml", rss([old, new]) + b"\n", content_type=RSS_TYPE)  # changed body, same entries
    assert digest(out).saved == ()


def test_keep_days_moves_old_posts_never_overwriting(http_server: TestServer, tmp_path: Path) -> None:
    add_feed(http_server.serve("/a.xml", rss([item(1)]), content_type=RSS_TYPE), name="alpha")
    out, old = tmp_path / "_posts", tmp_path / "old_post"
    out.mkdir()
    old.mkdir()
    today = datetime.now().astimezone().date()
    keep = out / f"{(today - timedelta(days=2)).isoformat()}-recent.md"
    move = out / f"{(today - timedelta(days=3)).isoformat()}-older.md"
    clash = out / "2020-01-01-clash.md"
    undated = out / "about.md"
    for path in (keep, move, clash):
        path.write_text(f"---\ntitle: {path.stem}\n---\nbody\n")
    undated.write_text('---\ntitle: "x"\ndate: 2021-03-04 10:00:00 +0800\n---\nbody\n')
    (old / clash.name).write_text("already archived, different\n")
    report = digest(out, keep_days=3, archive=old)
    assert (old / move.name).read_text().endswith("body\n") and not move.exists()
    assert (old / undated.name).exists() and not undated.exists()
    assert keep.exists() and clash.exists()
    assert (old / clash.name).read_text() == "already archived, different\n"
    assert any("clash" in w and "already exists" in w for w in report.warnings)
    assert report.exit_code == 1
    assert post_date(keep) == today - timedelta(days=2)


def test_usage_errors(http_server: TestServer, tmp_path: Path) -> None:
    code, _, stderr = run_cli("--out", str(tmp_path / "o"))
    assert code == 2 and "no feeds subscribed" in stderr
    add_feed(http_server.serve("/a.xml", rss([item(1)]), content_type=RSS_TYPE), name="alpha")
    code, _, stderr = run_cli("--out", str(tmp_path / "o"), "--feed", "alpah")
    assert code == 2 and "no feed named 'alpah'" in stderr and "alpha" in stderr
    code, _, stderr = run_cli()
    assert code == 2 and "--out DIR" in stderr
    code, _, stderr = run_cli("--out", str(tmp_path / "o"), "--keep-days", "3")
    assert code == 2 and "--keep-days N and --archive DIR go together" in stderr
    assert http_server.hits("/a.xml") == 0


def test_first_sentence() -> None:
    assert first_sentence("\n 从凹陷区致密砾岩获得突破。再到其他。") == "从凹陷区致密砾岩获得突破。"
    assert first_sentence("Dr. Who? No. The U.S. is big. Next.") == "Dr."  # crude, but bounded
    assert first_sentence("no end at all") == "no end at all"
    assert len(first_sentence("x" * 500)) == 160


# ---- failures, history and politeness ------------------------------------------------------------------------


def test_failing_feeds_are_named_with_history_and_all_failed_is_3(
    http_server: TestServer, tmp_path: Path
) -> None:
    bad = http_server.serve("/bad.xml", "oops", status=500, content_type="text/plain")
    add_feed(bad, name="broken")
    out = tmp_path / "out"
    for run in range(1, 4):
        code, stdout, stderr = run_cli("--out", str(out))
        assert code == 3 and stdout == ""
        [line] = stderr.splitlines()
        assert line.startswith(f"newscli: broken: {bad}: HTTP 500")
        assert ("failed 3 runs in a row since" in line) == (run == 3)
    add_feed(http_server.serve("/a.xml", rss([item(1)]), content_type=RSS_TYPE), name="alpha")
    code, _, stderr = run_cli("--out", str(out))
    assert code == 1 and "broken" in stderr and "alpha" not in stderr


@pytest.mark.parametrize(
    "retry_after",
    ["120", "HTTPDATE", "soon-ish, maybe", "99999999999999999999"],
    ids=["seconds", "http-date", "garbage", "huge"],
)
def test_h13_retry_after_skips_the_feed_without_sleeping(
    http_server: TestServer, tmp_path: Path, retry_after: str
) -> None:
    if retry_after == "HTTPDATE":
        retry_after = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=120), usegmt=True)
    limited = http_server.serve(
        "/limited.xml",
        "slow down",
        status=429,
        content_type="text/plain",
        headers={"Retry-After": retry_after},
    )
    add_feed(limited, name="limited")
    add_feed(http_server.serve("/a.xml", rss([item(1)]), content_type=RSS_TYPE), name="alpha")
    out = tmp_path / "out"
    started = time.monotonic()
    code, _, stderr = run_cli("--out", str(out))
    assert time.monotonic() - started < 4
    assert code == 1
    assert "limited: " in stderr and "HTTP 429" in stderr and "will retry after" in stderr
    hits = http_server.hits("/limited.xml")
    assert hits <= 3

    code, _, stderr = run_cli("--out", str(out))
    assert code == 1 and http_server.hits("/limited.xml") == hits  # skipped: not even asked
    assert "limited: skipped until" in stderr

    later = time.time() + 86400 + 60  # even a huge Retry-After is honoured for at most a day
    http_server.serve("/limited.xml", rss([item(5, feed="l")]), content_type=RSS_TYPE)
    report = digest(out, now=lambda: later)
    assert report.exit_code == 0 and http_server.hits("/limited.xml") == 1  # (a new route: its own count)
    assert len(report.saved) == 1


def test_h15_validators_sent_back_verbatim_and_304_costs_nothing(
    http_server: TestServer, tmp_path: Path
) -> None:
    etag = 'W/"5e1-Ab/C+d=="'
    modified = "Fri, 17 May 2024 12:00:00 GMT"
    body = rss([item(1), item(2)])

    def handler(req: BaseHTTPRequestHandler) -> None:
        if req.headers.get("If-None-Match") == etag:
            req.send_response(304)
            req.send_header("ETag", etag)
            req.end_headers()
            return
        req.send_response(200)
        req.send_header("Content-Type", RSS_TYPE)
        req.send_header("ETag", etag)
        req.send_header("Last-Modified", modified)
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    add_feed(http_server.add("/a.xml", handler), name="alpha")
    out = tmp_path / "out"
    assert len(digest(out).saved) == 2
    before = snapshot(out)
    report = digest(out)
    assert report.exit_code == 0 and report.feeds[0].status == "unchanged" and report.saved == ()
    second = http_server.requests("/a.xml")[1]
    assert second["if-none-match"] == etag and second["if-modified-since"] == modified
    assert snapshot(out) == before


def test_h16_new_etag_same_body_makes_no_posts(http_server: TestServer, tmp_path: Path) -> None:
    body = rss([item(1), item(2)])
    counter = iter(range(1000))

    def handler(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", RSS_TYPE)
        req.send_header("ETag", f'"{next(counter)}"')
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    add_feed(http_server.add("/a.xml", handler), name="alpha")
    out = tmp_path / "out"
    assert len(digest(out).saved) == 2
    before = snapshot(out)
    for _ in range(2):
        report = digest(out)
        assert report.saved == () and report.feeds[0].status == "unchanged"
    assert [r.get("if-none-match") for r in http_server.requests("/a.xml")] == [None, '"0"', '"1"']
    assert snapshot(out) == before


# ---- local faults --------------------------------------------------------------------------------------------


def test_l01_second_digest_exits_4_and_writes_nothing(
    http_server: TestServer, tmp_path: Path, newscli_home: Path
) -> None:
    add_feed(http_server.serve("/a.xml", rss([item(1)]), content_type=RSS_TYPE), name="alpha")
    out = tmp_path / "out"
    with RunLock(newscli_home):
        code, stdout, stderr = run_cli("--out", str(out))
    assert code == 4 and stdout == ""
    assert stderr.startswith(f"newscli: already running (pid {os.getpid()})")
    assert not out.exists() and not (newscli_home / DB_NAME).exists()
    assert http_server.hits("/a.xml") == 0


def test_l04_output_dir_not_writable_fails_before_fetching(http_server: TestServer, tmp_path: Path) -> None:
    add_feed(http_server.serve("/a.xml", rss([item(1)]), content_type=RSS_TYPE), name="alpha")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, stderr = run_cli("--out", str(blocker / "posts"))
    assert code == 1 and str(blocker / "posts") in stderr and "not a directory" in stderr
    assert http_server.hits("/a.xml") == 0


def test_l05_corrupt_state_is_reported_never_reset(
    http_server: TestServer, tmp_path: Path, newscli_home: Path
) -> None:
    add_feed(http_server.serve("/a.xml", rss([item(1)]), content_type=RSS_TYPE), name="alpha")
    db = newscli_home / DB_NAME
    db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    code, _, stderr = run_cli("--out", str(tmp_path / "out"))
    assert code != 0 and f"state database {db} is corrupt" in stderr and "move it away" in stderr
    assert db.read_bytes() == b"SQLite format 3\x00" + b"\xff" * 5000
    assert http_server.hits("/a.xml") == 0


def test_l06_locked_state_waits_then_fails_before_fetching(
    http_server: TestServer, tmp_path: Path, newscli_home: Path
) -> None:
    add_feed(http_server.serve("/a.xml", rss([item(1)]), content_type=RSS_TYPE), name="alpha")
    out = tmp_path / "out"
    digest(out)
    holder = sqlite3.connect(newscli_home / DB_NAME, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StateError, match="is locked by another process"):
            digest(out, busy_timeout=0.3)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert http_server.hits("/a.xml") == 1


def _harness(out: Path, env_extra: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **env_extra}
    return subprocess.run(
        [sys.executable, str(HARNESS), "digest", "--out", str(out), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


@pytest.mark.parametrize(
    "kill_at",
    ["fsync:3", "rename:2", "commit:1", "commit:2", "rename:8"],
    ids=[
        "writing-a-post",
        "after-rename",
        "in-db-transaction",
        "second-feed-transaction",
        "after-digest-page",
    ],
)
def test_l02_sigkill_then_rerun_gives_the_same_files(
    http_server: TestServer, tmp_path: Path, kill_at: str
) -> None:
    add_feed(
        http_server.serve("/a.xml", rss([item(i) for i in range(4)]), content_type=RSS_TYPE), name="alpha"
    )
    add_feed(
        http_server.serve("/b.xml", rss([item(i, feed="b") for i in range(3)]), content_type=RSS_TYPE),
        name="beta",
    )
    out = tmp_path / "out"
    killed = _harness(out, {"DIGEST_KILL_AT": kill_at})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    for name in posts(out):  # whatever is there is whole
        assert (out / name).read_text().endswith("\n")

    rerun = digest(out)  # the next cron run
    assert rerun.exit_code == 0
    reference = tmp_path / "reference"
    assert digest(reference, state_dir=tmp_path / "reference-home").exit_code == 0  # a run never killed
    assert posts(out) == posts(reference) and len(posts(out)) == 8
    for name in posts(reference):
        if not name.endswith("-digest.md"):
            assert (out / name).read_bytes() == (reference / name).read_bytes()
    page = next(n for n in posts(out) if n.endswith("-digest.md"))
    assert (out / page).read_text().count(
        "](https://news.example.com/"
    ) == 7  # nothing missing, nothing twice
    assert digest(out).saved == ()


def test_l03_disk_full_names_the_error_and_advances_nothing(http_server: TestServer, tmp_path: Path) -> None:
    small = [item(i) for i in range(2)]
    add_feed(http_server.serve("/a.xml", rss(small), content_type=RSS_TYPE), name="alpha")
    out = tmp_path / "out"
    assert digest(out).exit_code == 0
    before = snapshot(out)
    big = item(7)
    big["body"] = "Huge story begins. " + WORDS * 400  # ~150 KB post
    http_server.serve("/a.xml", rss([*small, big, item(8)]), content_type=RSS_TYPE)
    full = _harness(out, {"DIGEST_FSIZE": str(100_000)})
    assert full.returncode in (1, 3), full.stderr
    assert "disk full" in full.stderr and "alpha" in full.stderr
    assert {n: v for n, v in snapshot(out).items() if n in before} == before
    assert not any(n.startswith("2024-05-17-story-a7") for n in posts(out))
    # the state did not advance: with room again, the next run saves what was missing, once
    assert digest(out).exit_code == 0
    names = posts(out)
    assert sum("story-a7" in n for n in names) == 1 and sum("story-a8" in n for n in names) == 1


def test_a_surprise_in_one_feed_fails_that_feed_only(http_server: TestServer, tmp_path: Path) -> None:
    from newscli.net.http import HttpClient

    bad = http_server.serve("/bad.xml", rss([item(1)]), content_type=RSS_TYPE)
    good = http_server.serve("/good.xml", rss([item(2, feed="g")]), content_type=RSS_TYPE)
    add_feed(bad, name="bad")
    add_feed(good, name="good")

    class Surprising(HttpClient):
        def get(self, url: str, **kw: object):  # type: ignore[no-untyped-def, override]
            if url == bad:
                raise RuntimeError("a library surprise")
            return super().get(url, **kw)  # type: ignore[arg-type]

    with Surprising(timeout=5) as client:
        report = digest(tmp_path / "out", client=client)
    assert report.exit_code == 1
    outcomes = {o.name: o for o in report.feeds}
    assert outcomes["good"].status == "new" and len(outcomes["good"].saved) == 1
    assert outcomes["bad"].status == "failed"
    assert "unexpected error: RuntimeError: a library surprise" in str(outcomes["bad"].error)
    assert bad in str(outcomes["bad"].error)


def test_dry_run_on_a_state_database_made_by_fetch_save(
    http_server: TestServer, tmp_path: Path, newscli_home: Path
) -> None:
    from newscli.posts.index import SavedIndex

    with SavedIndex() as index:  # what `fetch --save` leaves: a database holding only the `saved` table
        index.record(tmp_path, "x", "x.md", "0" * 64)
    assert (newscli_home / DB_NAME).exists()
    add_feed(http_server.serve("/a.xml", rss([item(1)]), content_type=RSS_TYPE), name="alpha")
    out = tmp_path / "out"
    code, stdout, stderr = run_cli("--out", str(out), "--dry-run")
    assert (code, stderr) == (0, "")
    assert stdout.splitlines()[0].startswith(f"would save {out}/2024-05-17-story-a1")
    assert not out.exists()


def test_site_links_only_to_posts_the_site_builds(tmp_path: Path) -> None:
    from newscli.digest.page import site_link
    from newscli.digest.state import PostRecord

    now = datetime(2024, 5, 17, 12, 0, tzinfo=timezone.utc)
    (tmp_path / "2024-05-17-a story.md").write_text("x")
    (tmp_path / "notes.md").write_text("x")

    def record(name: str, published: str = "2024-05-17T10:00:00+00:00") -> PostRecord:
        return PostRecord("i", "f", str(tmp_path / name), "2024-05-17", 0.0, published=published)

    assert (
        site_link(record("2024-05-17-a story.md"), tmp_path, "hugo", now)
        == '{{< relref "2024-05-17-a story.md" >}}'
    )
    assert site_link(record("2024-05-17-a story.md"), tmp_path, "plain", now) == "2024-05-17-a%20story.md"
    assert site_link(record("notes.md"), tmp_path, "jekyll", now) is None  # Jekyll reads no post from it
    assert (
        site_link(record("2024-05-17-a story.md"), tmp_path, "jekyll", now) is None
    )  # post_url takes no space
    (tmp_path / "2024-05-17-b.md").write_text("x")
    assert site_link(record("2024-05-17-b.md"), tmp_path, "jekyll", now) == "{% post_url 2024-05-17-b %}"
    future = record("2024-05-17-b.md", "2024-05-17T13:00:00+00:00")
    assert (
        site_link(future, tmp_path, "jekyll", now) is None
    )  # the site skips it: a link would fail the build
    assert site_link(record("gone.md"), tmp_path, "plain", now) is None
    assert site_link(record("2024-05-17-b.md"), tmp_path / "elsewhere", "plain", now) is None


@pytest.mark.slow
def test_a_feed_over_the_entry_cap_says_so_every_run_and_is_not_refetched_in_full(
    http_server: TestServer, tmp_path: Path
) -> None:
    """The entries past the cap are never read: said without -v, and the validators advance all the same."""
    body = rss([item(i) for i in range(1001)])
    add_feed(http_server.serve("/big.xml", body, content_type=RSS_TYPE, etag='"big"'), name="big")
    out = tmp_path / "_posts"
    code, _, stderr = run_cli("--out", str(out))
    assert code == 1
    assert "big: the feed has 1001 entries; only the first 1000 were read; the rest are not saved" in stderr
    assert len([n for n in posts(out) if not n.endswith("-digest.md")]) == 1000
    assert run_cli("--out", str(out)) == (0, "", "")  # 304: not fetched and parsed in full again
    assert http_server.requests("/big.xml")[-1].get("if-none-match") == '"big"'


def test_a_rerun_with_nothing_new_renders_no_page_but_a_lost_or_edited_page_comes_back(
    http_server: TestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15: the day's page is rendered only when what it is made of changed (or the file did)."""
    from newscli.digest import page as page_module

    items = [item(i) for i in range(3)]
    add_feed(http_server.serve("/a.xml", rss(items), content_type=RSS_TYPE), name="alpha")
    out = tmp_path / "out"
    page = digest(out).digest_page
    assert page is not None
    text = page.read_bytes()
    rendered: list[int] = []
    real = page_module.digest_page_sections

    def counting(*args: object, **kw: object) -> list[str]:
        rendered.append(1)
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(page_module, "digest_page_sections", counting)
    assert digest(out).digest_page == page and rendered == [] and page.read_bytes() == text
    page.write_text("edited by hand\n", "utf-8")
    assert digest(out).digest_page == page and page.read_bytes() == text and len(rendered) == 1
    page.unlink()
    assert digest(out).digest_page == page and page.read_bytes() == text and len(rendered) == 2
    http_server.serve("/a.xml", rss([*items, item(7)]), content_type=RSS_TYPE)
    report = digest(out)
    assert report.digest_page == page and len(rendered) == 3
    assert "Story a7" in page.read_text("utf-8") and len(report.saved) == 1


@contextlib.contextmanager
def read_only_view(directory: Path, view: Path) -> Iterator[Path]:
    """`directory` seen at `view` on a read-only mount (a bind mount: read-only media, as root sees it too)."""
    view.mkdir()
    mount = shutil.which("mount")
    done = None
    if mount is not None and os.geteuid() == 0:
        done = subprocess.run([mount, "--bind", str(directory), str(view)], capture_output=True, text=True)
    if done is None or done.returncode != 0:
        reason = "a read-only bind mount needs root and mount(8)" + (
            f" ({done.stderr.strip()})" if done else ""
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        subprocess.run([mount, "-o", "remount,bind,ro", str(view)], check=True, capture_output=True)
        yield view
    finally:
        subprocess.run(["umount", str(view)], capture_output=True)


@pytest.mark.parametrize("pending_log", [False, True], ids=["checkpointed", "with-a-write-ahead-log"])
def test_dry_run_reads_a_state_on_read_only_media(
    http_server: TestServer, tmp_path: Path, pending_log: bool
) -> None:
    """Issue 11 #9: --dry-run on a state folder on read-only media (SQLite's WAL wants a -shm file beside the
    database) reads that state — including a last transaction still in the -wal file — and plans only the new."""
    url = http_server.serve("/a.xml", rss([item(1), item(2)]), content_type=RSS_TYPE)
    add_feed(url, name="alpha")
    state, out = tmp_path / "state", tmp_path / "out"
    assert digest(out, state_dir=state).exit_code == 0
    http_server.serve("/a.xml", rss([item(1), item(2), item(3), item(4)]), content_type=RSS_TYPE)
    if pending_log:  # a copy taken while another run's last commit was only in the log: story a3 is seen
        writer = sqlite3.connect(state / DB_NAME, isolation_level=None)
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute(
            "INSERT INTO seen (key, feed, first_seen) VALUES (?, 'alpha', 0)",
            ("id:tag:news.example.com,2024:a3",),
        )
        snapshot_dir = tmp_path / "snapshot"
        snapshot_dir.mkdir()
        for name in (DB_NAME, f"{DB_NAME}-wal"):
            shutil.copyfile(state / name, snapshot_dir / name)
        writer.close()
        assert (snapshot_dir / f"{DB_NAME}-wal").stat().st_size > 0
        state = snapshot_dir
    with read_only_view(state, tmp_path / "ro") as ro:
        report = digest(out, state_dir=ro, dry_run=True)
    assert report.exit_code == 0, report.problems()
    planned = [line for line in report.planned if line.startswith("would save")]
    stories = sorted(line.split("story-")[1].split(".md")[0] for line in planned)
    assert stories == (["a4"] if pending_log else ["a3", "a4"])
    assert not list((tmp_path).glob("newscli-state-*"))


def test_feeds_are_fetched_as_many_at_once_as_their_hosts_allow(tmp_path: Path) -> None:
    """Issue 15: feed threads are sized from the feeds' hosts (per_host each), not a fixed 16: three hosts of
    eight feeds each are fetched eighteen at a time, and never more than six at once from one host."""
    import threading
    from http.server import ThreadingHTTPServer

    lock = threading.Lock()
    now: dict[str, int] = {}
    most: dict[str, int] = {}
    total = [0, 0]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            host = self.server.server_address[0]
            with lock:
                now[host] = now.get(host, 0) + 1
                most[host] = max(most.get(host, 0), now[host])
                total[0] += 1
                total[1] = max(total[1], sum(now.values()))
            time.sleep(1.0)
            with lock:
                now[host] -= 1
            n = self.path.strip("/").split(".")[0]
            body = rss([item(int(n), feed=f"h{host[-1]}x")])
            self.send_response(200)
            self.send_header("Content-Type", RSS_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    servers = [ThreadingHTTPServer((f"127.0.0.{h}", 0), Handler) for h in (1, 2, 3)]
    for server in servers:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for h, server in enumerate(servers):
            for n in range(8):
                add_feed(
                    f"http://{server.server_address[0]}:{server.server_address[1]}/{n}.xml", name=f"f{h}-{n}"
                )
        report = run_digest(out=tmp_path / "out")
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    assert report.exit_code == 0 and len(report.saved) == 24
    assert total[0] == 24
    assert max(most.values()) <= 6  # per_host holds
    assert total[1] > 16  # the hosts side by side, beyond the old fixed 16 threads


def test_a_slow_host_s_pages_never_hold_the_threads_another_host_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15: pages go host by host. With two page threads and one request per host, a host whose pages
    hang takes one thread; the other host's pages are all fetched meanwhile (a plain pool of two threads
    gave both to the first host's queue and the second host waited for it)."""
    import threading

    import conftest

    release = threading.Event()
    slow, fast = conftest.TestServer("127.0.0.1"), conftest.TestServer("127.0.0.2")
    try:

        def held(req: BaseHTTPRequestHandler) -> None:
            release.wait(30)
            body = f"<html><body><article><h1>Held</h1><p>{WORDS}</p></article></body></html>".encode()
            req.send_response(200)
            req.send_header("Content-Type", "text/html; charset=utf-8")
            req.send_header("Content-Length", str(len(body)))
            req.end_headers()
            req.wfile.write(body)

        def teasers(server: conftest.TestServer, feed: str, pages: list[str]) -> bytes:
            return (
                '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
                + "".join(
                    f"<item><title>Story {feed}{n}</title><link>{server.url(p)}</link><guid>tag:{feed}{n}</guid>"
                    f"<pubDate>Fri, 17 May 2024 1{n}:00:00 +0000</pubDate><description>Teaser…</description></item>"
                    for n, p in enumerate(pages)
                )
                + "</channel></rss>"
            ).encode()

        slow_pages = [slow.add(f"/s{n}.html", held) and f"/s{n}.html" for n in range(4)]
        fast_pages = [f"/f{n}.html" for n in range(4)]
        for n, path in enumerate(fast_pages):
            fast.serve(path, f"<html><body><article><h1>Fast {n}</h1><p>{WORDS}</p></article></body></html>")
        add_feed(slow.serve("/slow.xml", teasers(slow, "s", slow_pages), content_type=RSS_TYPE), name="slow")
        # the fast host's feed comes later, so its pages queue behind the slow host's
        add_feed(
            fast.serve("/fast.xml", teasers(fast, "f", fast_pages), content_type=RSS_TYPE, delay=0.3),
            name="fast",
        )
        monkeypatch.setenv("NEWSCLI_PER_HOST", "1")
        out = tmp_path / "out"
        ran: list[DigestReport] = []
        runner = threading.Thread(target=lambda: ran.append(digest(out, workers=2, page_workers=2)))
        runner.start()
        try:
            deadline = time.monotonic() + 15
            while sum(fast.hits(p) for p in fast_pages) < 4 and time.monotonic() < deadline:
                time.sleep(0.02)
            fetched = sum(fast.hits(p) for p in fast_pages)
            held_now = sum(slow.hits(p) for p in slow_pages)
        finally:
            release.set()
            runner.join(60)
        assert fetched == 4, f"the fast host's pages waited for the slow host's ({fetched} of 4 fetched)"
        assert held_now == 1  # one request at a time on the slow host: per_host holds
        [report] = ran
        assert report.exit_code == 0 and len(report.saved) == 8
    finally:
        slow.close()
        fast.close()


def test_a_surprise_after_a_page_s_extraction_is_that_entry_s_and_the_feed_is_saved(
    http_server: TestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15: a page's extraction ends on the pool's thread, which completes the entry; an error there
    (merging the page into the entry) must still complete it, or the feed's thread would wait forever."""
    import threading

    import newscli.pipeline

    pages = [
        http_server.serve(
            f"/p{n}.html", f"<html><body><article><h1>P{n}</h1><p>{WORDS}</p></article></body></html>"
        )
        for n in range(2)
    ]
    feed = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        + "".join(
            f"<item><title>Story {n}</title><link>{u}</link><guid>tag:m{n}</guid>"
            f"<pubDate>Fri, 17 May 2024 1{n}:00:00 +0000</pubDate><description>Teaser {n}…</description></item>"
            for n, u in enumerate(pages)
        )
        + "</channel></rss>"
    )
    add_feed(http_server.serve("/m.xml", feed, content_type=RSS_TYPE), name="merging")
    real = newscli.pipeline.merge_entry

    def merge(entry: Article, page: Article) -> Article:
        if entry.url and entry.url.endswith("/p0.html"):
            raise RuntimeError("merge broke")
        return real(entry, page)

    monkeypatch.setattr(newscli.pipeline, "merge_entry", merge)
    ran: list[DigestReport] = []
    runner = threading.Thread(target=lambda: ran.append(digest(tmp_path / "out")), daemon=True)
    runner.start()
    runner.join(60)
    assert ran, "the digest never finished"
    [outcome] = ran[0].feeds
    assert outcome.status == "new" and len(outcome.saved) == 2
    assert len(outcome.flagged) == 1 and "RuntimeError: merge broke" in outcome.flagged[0]
    texts = sorted(p.read_text() for p in outcome.saved)
    assert any("Teaser 0" in t for t in texts) and any(WORDS[:40] in t for t in texts)


def test_a_rerun_with_nothing_new_reads_no_post_until_a_file_goes_or_a_post_falls_due(
    http_server: TestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15: a rerun's page step reads none of the day's posts while nothing the page is made of
    changed; a post file removed, or a post dated later in the day coming due, brings the full check back."""
    from newscli.digest.state import State

    at = datetime(2024, 5, 17, 10, 30, tzinfo=timezone.utc).timestamp()  # item(n) is dated 10:00 + n h
    add_feed(
        http_server.serve("/a.xml", rss([item(i) for i in range(3)]), content_type=RSS_TYPE, etag='"a"'),
        name="alpha",
    )
    out = tmp_path / "out"
    page = digest(out, now=lambda: at).digest_page
    assert page is not None
    assert page.read_text("utf-8").count("{% post_url") == 1  # a1 and a2 are still to come: no link yet
    reads: list[str] = []
    real = State.day_posts

    def counting(self: State, day: str) -> list[object]:
        reads.append(day)
        return real(self, day)  # type: ignore[return-value]

    monkeypatch.setattr(State, "day_posts", counting)
    before = snapshot(out)
    assert digest(out, now=lambda: at + 600).digest_page == page
    assert reads == [] and snapshot(out) == before
    assert digest(out, now=lambda: at + 2400).digest_page == page  # 11:10: a1 is due, its link appears
    assert len(reads) == 1 and page.read_text("utf-8").count("{% post_url") == 2
    assert digest(out, now=lambda: at + 2500).digest_page == page and len(reads) == 1
    [a0] = [p for p in out.iterdir() if p.name.endswith("-story-a0.md")]
    a0.unlink()  # a post removed by hand: the page no longer links to it
    assert digest(out, now=lambda: at + 2600).digest_page == page
    assert len(reads) == 2 and page.read_text("utf-8").count("{% post_url") == 1
    assert "story-a0" not in page.read_text("utf-8")
    assert digest(out, now=lambda: at + 2700).digest_page == page and len(reads) == 2


def test_the_command_leaves_with_its_status_and_all_its_output(
    http_server: TestServer, tmp_path: Path
) -> None:
    """`newscli digest` ends without the interpreter's teardown: its exit status and every line it wrote
    still reach the caller (cron, a pipe), and exit handlers still run."""
    add_feed(
        http_server.serve("/a.xml", rss([item(i) for i in range(3)]), content_type=RSS_TYPE), name="alpha"
    )
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "newscli", "digest", "--out", str(out)]
    planned = subprocess.run([*argv, "--dry-run"], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.count("would save") == 3 and planned.stdout.endswith("(the day's digest page)\n")
    first = subprocess.run([*argv, "-v"], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert first.returncode == 0 and "alpha: 3 new posts" in first.stderr
    assert first.stderr.rstrip().split("\n")[-1].startswith("newscli: digest page ")
    with RunLock(Path(env["NEWSCLI_HOME"])):  # another digest holds the state: exit status 4, and why
        held = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=tmp_path)
    assert held.returncode == 4 and "running" in held.stderr
    hook = tmp_path / "sitecustomize.py"  # an exit handler (coverage, a profiler) still runs
    hook.write_text(f"import atexit\natexit.register(lambda: open({str(tmp_path / 'ran')!r}, 'w').close())\n")
    again = subprocess.run(
        argv, env={**env, "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"}, capture_output=True, text=True
    )
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "") and (tmp_path / "ran").exists()


def test_a_rerun_of_304s_never_loads_the_feed_parser(http_server: TestServer, tmp_path: Path) -> None:
    """Issue 15: a first run imports the feed parser while its requests are in flight (ahead of the first
    feed), but a rerun whose every feed has a validator (answered 304) must not load it at all."""
    add_feed(
        http_server.serve("/a.xml", rss([item(i) for i in range(2)]), content_type=RSS_TYPE, etag='"a1"'),
        name="alpha",
    )
    out = tmp_path / "out"
    (tmp_path / "sitecustomize.py").write_text(
        "import atexit, sys\n"
        f"atexit.register(lambda: 'digest' in sys.argv and open({str(tmp_path / 'loaded')!r}, 'a')"
        ".write(str('feedparser' in sys.modules) + ' '))\n"  # the digest's process, not its workers'"
    )
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"}
    argv = [sys.executable, "-m", "newscli", "digest", "--out", str(out)]
    for _ in range(2):
        done = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "loaded").read_text() == "True False "
    assert http_server.requests("/a.xml")[-1].get("if-none-match") == '"a1"'


# The day's page written as Markdown directly (issue 15): what converting its HTML would give, exactly.

_MARKUP = list("\\`*_[]<>|\"'&#{}%:!-+=.$~ \t\n\r\x00\x0b\x0c\x1f\x7f\x85\u2028\u00a0\u3000")
_TOKENS = [
    *("{{", "{%", "{:", "--", "...", ">>", "$$", "&amp;", "&#123;", "# ", "> ", "1. ", "- ", "---", "\r\n"),
    *("javascript:alert(1)", "http://x.test/a b", "https://e.test/(p)", "中文", "\ufffd", "\U0001f600"),
]


def _page_posts() -> Any:
    from hypothesis import strategies as st

    from newscli.digest.state import PostRecord

    text = st.lists(
        st.one_of(st.sampled_from(_MARKUP), st.sampled_from(_TOKENS), st.text(max_size=4)), max_size=8
    ).map("".join)
    maybe = st.one_of(st.none(), text)
    links = ["http://a.test/1", "https://b.test/x?y=1&z=2", "/rel", "#frag", "mailto:a@b", "data:x,1"]
    url = st.one_of(st.none(), text, st.sampled_from(links))
    published = st.one_of(
        st.none(), st.sampled_from(["2026-12-01T10:00:00+00:00", "2026-11-30T23:59:00+08:00", "x"])
    )

    def record(feed: str, title: Any, link: Any, source: Any, when: Any, summary: Any, name: str) -> Any:
        return PostRecord(
            id=name, feed=feed, path=f"/site/{name}", day="2026-12-01", saved_at=0.0,
            title=title, url=link, source=source, published=when, summary=summary,
        )  # fmt: skip

    names = st.sampled_from(["2026-12-01-x.md", "p(1).md", "a b.md", "2026-12-01-中文.md"])
    return st.lists(
        st.builds(record, st.sampled_from("abc"), maybe, url, maybe, published, maybe, names),
        min_size=1,
        max_size=6,
    ), st.dictionaries(st.sampled_from("abc"), text)


def test_the_days_page_in_markdown_is_what_its_html_converts_to() -> None:
    """Hostile titles, sources, summaries and URLs (Markdown and Liquid marks, controls, CR LF, unsafe
    schemes, spaces and parentheses in URLs): the Markdown sections equal html_to_markdown of the HTML ones."""
    from hypothesis import HealthCheck, given, settings

    from newscli.digest.page import digest_page_sections
    from newscli.posts.markdown import html_to_markdown

    posts, titles = _page_posts()
    zone = timezone(timedelta(hours=8))

    @settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(posts, titles)
    def check(records: list[Any], feed_titles: dict[str, str]) -> None:
        records = sorted(records, key=lambda r: r.feed)
        links = {r.path: f"https://newscli.invalid/post/{i}/" for i, r in enumerate(records) if i % 2 == 0}
        html = digest_page_sections(records, feed_titles, zone, links)
        assert digest_page_sections(records, feed_titles, zone, links, markdown=True) == [
            html_to_markdown(section) for section in html
        ]

    check()
