"""`import newscli`: the small public face a library user meets — lazy, and each name does its job."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import TestServer as Server
from seedpage import SEED_TITLE, SHARE_PATH, share_page

import newscli
from newscli.errors import ExtractError, NotAFeed, UsageError

FEEDS = Path(__file__).parent / "data" / "feeds"
CST = timezone(timedelta(hours=8))


def test_import_newscli_loads_nothing_else() -> None:
    code = (
        "import sys, json, newscli\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('newscli') or m in "
        "('httpx', 'lxml', 'feedparser', 'rich', 'typer', 'readability', 'yaml', 'pypinyin'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == ["newscli"]


def test_the_public_names_are_there_and_nothing_else_is_invented() -> None:
    for name in newscli.__all__:
        assert getattr(newscli, name) is not None
    assert set(newscli.__all__) <= set(dir(newscli))
    assert newscli.Article.__module__ == "newscli.models"
    assert issubclass(newscli.NewsError, Exception)
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = newscli.nothing_here  # type: ignore[attr-defined]


def test_extract_reads_page_bytes_as_a_browser_would() -> None:
    article = newscli.extract(share_page(), "http://127.0.0.1:8000" + SHARE_PATH)
    assert isinstance(article, newscli.Article)
    assert article.title == SEED_TITLE
    assert article.source == "科技日报"
    assert "克拉玛依" in (article.text or "")
    assert article.published is not None and article.published.utcoffset() == timedelta(hours=8)


def test_extract_of_a_page_without_article_is_an_extract_error() -> None:
    with pytest.raises(ExtractError, match="no article found"):
        newscli.extract("<html><body><nav><a href='/'>home</a></nav></body></html>", "http://e.com/x")


def test_parse_feed_takes_bytes_and_a_url() -> None:
    feed = newscli.parse_feed((FEEDS / "rss2.xml").read_bytes(), "http://example.com/feed.xml")
    expected = json.loads((FEEDS / "rss2.expected.json").read_text(encoding="utf-8"))
    assert isinstance(feed, newscli.Feed)
    assert [e.article.title for e in feed.entries] == [e["title"] for e in expected["entries"]]
    with pytest.raises(NotAFeed):
        newscli.parse_feed(b"<html><body>hello</body></html>", "http://example.com/")


def test_render_post_takes_the_cli_options_by_name() -> None:
    article = newscli.Article(title="Tide power", url="https://e.com/a", text="First.\n\nSecond.")
    when = datetime(2024, 5, 17, 20, 10, 6, tzinfo=CST)
    post = newscli.render_post(article, profile="hugo", now=when)
    assert post == (
        '---\ntitle: "Tide power"\ndate: 2024-05-17T20:10:06+08:00\ndraft: false\nsource_url: https://e.com/a\n'
        "---\nFirst.\n\nSecond.\n"
    )
    with pytest.raises(UsageError, match="unknown profile"):
        newscli.render_post(article, profile="wordpress")


def test_fetch_yields_records_in_input_order(http_server: Server, tmp_path: Path) -> None:
    page = http_server.serve(SHARE_PATH, share_page(), content_type="text/html; charset=gb2312")
    missing = http_server.url("/gone.html")
    local = tmp_path / "page.html"
    local.write_bytes(share_page())
    records = list(newscli.fetch([page, missing, local], base_url="http://127.0.0.1/", timeout=10))
    assert [r.input for r in records] == [page, missing, str(local)]
    assert records[0].article is not None and records[0].article.title == SEED_TITLE
    assert records[1].article is None and records[1].error is not None and "404" in str(records[1].error)
    assert records[2].article is not None and records[2].article.title == SEED_TITLE


def test_fetch_checks_its_options_before_the_first_record() -> None:
    with pytest.raises(TypeError):
        newscli.fetch("http://127.0.0.1:9/", no_such_option=True)
