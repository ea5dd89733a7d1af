"""Feed discovery against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from newscli.errors import HTTPStatusError
from newscli.feeds.discover import FeedLink, discover, find_feed_links
from newscli.net.http import HttpClient

DATA = Path(__file__).parent / "data" / "feeds"
RSS = (DATA / "rss2.xml").read_bytes()
ATOM = (DATA / "atom.xml").read_bytes()
JSON_FEED = (DATA / "jsonfeed11.json").read_bytes()


def page(head: str) -> str:
    return f"<!DOCTYPE html><html><head><title>Site</title>{head}</head><body><p>Hello</p></body></html>"


@pytest.fixture
def client() -> Iterator[HttpClient]:
    with HttpClient(timeout=5.0) as c:
        yield c


def test_find_feed_links_in_page_order_absolute_and_deduplicated() -> None:
    html = page(
        '<link rel="stylesheet" href="/s.css">'
        '<link rel="alternate" hreflang="en" href="/en/">'
        '<link rel="alternate" type="application/rss+xml" title=" 全部 文章 " href="feed/">'
        '<link rel="Alternate Home" type="application/atom+xml; charset=utf-8" href="https://other.example/atom">'
        '<link rel="alternate" type="application/feed+json" href="/feed.json#top">'
        '<link rel="alternate" type="application/rss+xml" href="/blog/feed/">'
        '<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">'
        '<link rel="alternate" type="text/html" href="/print">'
        '<link rel="alternate" type="application/rss+xml">'
    )
    assert find_feed_links(html, "https://site.example/blog/post.html") == [
        FeedLink("https://site.example/blog/feed/", "全部 文章", "rss"),
        FeedLink("https://other.example/atom", None, "atom"),
        FeedLink("https://site.example/feed.json", None, "json"),
    ]


def test_find_feed_links_honours_base_href() -> None:
    html = page(
        '<base href="https://cdn.example/news/"><link rel="alternate" type="application/rss+xml" href="rss">'
    )
    assert find_feed_links(html, "https://site.example/") == [
        FeedLink("https://cdn.example/news/rss", None, "rss")
    ]


@pytest.mark.parametrize("html", ["", "   ", "<p>no head at all</p>"])
def test_find_feed_links_nothing(html: str) -> None:
    assert find_feed_links(html, "https://site.example/") == []


def test_page_advertising_rss_and_atom(http_server, client: HttpClient) -> None:  # type: ignore[no-untyped-def]
    http_server.serve(
        "/",
        page(
            '<link rel="alternate" type="application/rss+xml" title="要闻 RSS" href="/news.rss">'
            '<link rel="alternate" type="application/atom+xml" href="/atom.xml">'
        ),
    )
    http_server.serve("/news.rss", RSS, content_type="application/rss+xml")
    http_server.serve("/atom.xml", ATOM, content_type="application/atom+xml")
    links = discover(http_server.url("/"), client)
    assert links == [
        FeedLink(http_server.url("/news.rss"), "要闻 RSS", "rss"),
        FeedLink(http_server.url("/atom.xml"), "Example Engineering", "atom"),
    ]
    assert http_server.hits("/news.rss") == 1 and http_server.hits("/atom.xml") == 1


def test_page_advertising_nothing_probes_the_usual_paths(http_server, client: HttpClient) -> None:  # type: ignore[no-untyped-def]
    http_server.serve("/blog/post.html", page(""))
    http_server.serve("/feed", RSS, content_type="application/rss+xml; charset=utf-8")
    http_server.serve("/index.xml", b"<html><body>Not here</body></html>", content_type="text/html")
    links = discover(http_server.url("/blog/post.html"), client)
    assert links == [FeedLink(http_server.url("/feed"), "科技日报 · 要闻", "rss")]
    assert http_server.hits("/index.xml") == 1


def test_advertised_link_that_404s_is_skipped(http_server, client: HttpClient) -> None:  # type: ignore[no-untyped-def]
    http_server.serve(
        "/",
        page(
            '<link rel="alternate" type="application/rss+xml" href="/gone.rss">'
            '<link rel="alternate" type="application/rss+xml" href="/login">'
            '<link rel="alternate" type="application/feed+json" href="/feed.json">'
        ),
    )
    http_server.serve("/login", page('<form action="/login"></form>'))
    http_server.serve("/feed.json", JSON_FEED, content_type="application/feed+json")
    links = discover(http_server.url("/"), client)
    assert links == [FeedLink(http_server.url("/feed.json"), "示例播客", "json")]


def test_same_feed_at_two_paths_listed_once(http_server, client: HttpClient) -> None:  # type: ignore[no-untyped-def]
    http_server.serve("/", page(""))
    http_server.serve("/feed", ATOM, content_type="application/atom+xml")
    http_server.serve("/rss", ATOM, content_type="application/atom+xml")
    assert discover(http_server.url("/"), client) == [
        FeedLink(http_server.url("/feed"), "Example Engineering", "atom")
    ]


def test_url_that_is_a_feed_is_returned_itself(http_server, client: HttpClient) -> None:  # type: ignore[no-untyped-def]
    http_server.serve("/some/feed", RSS, content_type="text/xml")
    assert discover(http_server.url("/some/feed"), client) == [
        FeedLink(http_server.url("/some/feed"), "科技日报 · 要闻", "rss")
    ]


def test_nothing_found(http_server, client: HttpClient) -> None:  # type: ignore[no-untyped-def]
    http_server.serve("/", page(""))
    assert discover(http_server.url("/"), client) == []
    assert http_server.hits("/") == 1


def test_page_error_still_probes_then_reports(http_server, client: HttpClient) -> None:  # type: ignore[no-untyped-def]
    http_server.serve("/private", "forbidden", status=403, content_type="text/plain")
    with pytest.raises(HTTPStatusError) as info:
        discover(http_server.url("/private"), client)
    assert info.value.status == 403
    http_server.serve("/rss.xml", RSS, content_type="application/rss+xml")
    assert discover(http_server.url("/private"), client) == [
        FeedLink(http_server.url("/rss.xml"), "科技日报 · 要闻", "rss")
    ]


def _many_links(count: int) -> str:
    return page(
        "".join(f'<link rel="alternate" type="application/rss+xml" href="/f{i}.rss">' for i in range(count))
    )


def test_only_the_first_advertised_links_are_checked(http_server, client: HttpClient) -> None:  # type: ignore[no-untyped-def]
    http_server.serve("/", _many_links(50))
    for i in range(50):
        http_server.serve(f"/f{i}.rss", "gone", status=404, content_type="text/plain")
    notes: list[str] = []
    assert discover(http_server.url("/"), client, notes=notes) == []
    assert [http_server.hits(f"/f{i}.rss") for i in range(50)] == [1] * 20 + [0] * 30
    assert notes == ["30 more advertised links not checked (only the first 20 are)"]


def test_slow_candidates_stop_at_the_deadline(http_server, client: HttpClient) -> None:  # type: ignore[no-untyped-def]
    import time

    from newscli.errors import Timeout

    http_server.serve("/", _many_links(50))
    for i in range(50):
        http_server.serve(f"/f{i}.rss", "slow", status=404, content_type="text/plain", delay=1.5)
    notes: list[str] = []
    started = time.monotonic()
    with pytest.raises(Timeout) as info:
        discover(http_server.url("/"), client, deadline=0.5, notes=notes)
    assert time.monotonic() - started < 1.4  # the client's own timeout is 5 s; each link takes 1.5 s
    assert str(info.value) == (
        f"{http_server.url('/')}: no feed found within the 0.5 s deadline (20 candidate feeds not checked)"
    )
    assert sum(http_server.hits(f"/f{i}.rss") for i in range(50)) <= 6  # none started after the first batch
    assert notes[-1] == "stopped after the 0.5 s deadline: 20 candidate feeds not checked"


def test_feeds_found_before_the_deadline_are_kept(http_server, client: HttpClient) -> None:  # type: ignore[no-untyped-def]
    http_server.serve("/", _many_links(8))
    http_server.serve("/f0.rss", RSS, content_type="application/rss+xml")
    http_server.serve("/feed", ATOM, content_type="application/atom+xml")
    for i in range(1, 8):
        http_server.serve(f"/f{i}.rss", ATOM, content_type="application/atom+xml", delay=1.5)
    notes: list[str] = []
    links = discover(http_server.url("/"), client, deadline=0.5, notes=notes)
    assert links == [FeedLink(http_server.url("/f0.rss"), "科技日报 · 要闻", "rss")]
    assert notes == ["stopped after the 0.5 s deadline: 7 candidate feeds not checked"]
    assert http_server.hits("/feed") == 0  # no time left for the usual paths
