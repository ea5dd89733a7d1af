"""Issue 11 #12: content may not lead the fetcher from a public address into a private network.

The servers all listen on loopback; a server on 127.0.0.2 plays a public host through the client's
`classify` parameter (production: newscli.net.transport.address_class), so that links and redirects
from it into 127.0.0.1 cross from "public" into "loopback" as they would on the internet.
"""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING

import conftest
import pytest
from test_digest import RSS_TYPE, WORDS, digest, posts

from newscli.errors import AddressRefused
from newscli.feeds.subscriptions import add_feed
from newscli.net.http import HttpClient
from newscli.net.transport import address_class
from newscli.pipeline import Fetcher, FetchOptions

if TYPE_CHECKING:
    from conftest import TestServer

SECRET = "internal-metadata-token-93f1"


def as_public(ip: str) -> str:
    """127.0.0.2 plays a public host; everything else is classed as it really is."""
    return "public" if ip == "127.0.0.2" else address_class(ip)


@pytest.fixture
def public_server() -> Iterator[TestServer]:
    server = conftest.TestServer("127.0.0.2")
    yield server
    server.close()


def secret_page() -> str:
    return (
        f"<html><head><title>Internal</title></head><body><article><h1>Internal</h1><p>{SECRET} {WORDS}</p>"
        f"<p>{WORDS}</p><p>{WORDS}</p></article></body></html>"
    )


def redirect(to: str):  # type: ignore[no-untyped-def]
    def handler(req: BaseHTTPRequestHandler) -> None:
        req.send_response(302)
        req.send_header("Location", to)
        req.send_header("Content-Length", "0")
        req.end_headers()

    return handler


def teasers(links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Story {n}</title><link>{link}</link><guid isPermaLink='false'>s{n}</guid>"
        f"<pubDate>Fri, 17 May 2024 1{n}:00:00 +0000</pubDate><description>Teaser {n}.</description></item>"
        for n, link in enumerate(links)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>P</title>'
        f"<link>https://p.example.com/</link><description>d</description>{items}</channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    ("ip", "kind"),
    [
        ("8.8.8.8", "public"),
        ("2001:4860:4860::8888", "public"),
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "private"),
        ("fd00::1", "private"),
        ("::ffff:10.0.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("::ffff:169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
    ],
)
def test_address_classes(ip: str, kind: str) -> None:
    assert address_class(ip) == kind


def test_a_public_feed_cannot_make_the_digest_fetch_loopback(
    http_server: TestServer, public_server: TestServer, tmp_path: Path
) -> None:
    inside = http_server.serve("/secret.html", secret_page())
    decimal = inside.replace("127.0.0.1", "2130706433")
    bounce = public_server.add("/bounce", redirect(inside))
    public_server.serve("/ok.html", secret_page().replace(SECRET, "public page"))
    links = [inside, decimal, bounce, public_server.url("/ok.html")]
    add_feed(public_server.serve("/feed.xml", teasers(links), content_type=RSS_TYPE), name="pub")
    out = tmp_path / "out"
    with HttpClient(timeout=5, classify=as_public) as client:
        report = digest(out, client=client)
    (outcome,) = report.feeds
    assert len(outcome.saved) == 4  # every entry saved, the refused ones from the feed's own content
    assert http_server.hits("/secret.html") == 0  # never even asked
    refused = [f for f in outcome.flagged if "loopback address" in f]
    assert len(refused) == 3, outcome.flagged
    assert any("127.0.0.1 is a loopback address" in f for f in refused)
    assert any("2130706433 resolves to 127.0.0.1" in f for f in refused)
    assert any(f"redirected to {inside}" in f for f in refused)
    for name in posts(out):
        assert SECRET not in (out / name).read_text(encoding="utf-8")
    assert "public page" in next(p for p in outcome.saved if "story-3" in p.name).read_text()


def test_allow_private_per_feed_lets_an_intranet_feed_link_inside(
    http_server: TestServer, public_server: TestServer, tmp_path: Path, newscli_home: Path
) -> None:
    inside = http_server.serve("/secret.html", secret_page())
    url = public_server.serve("/feed.xml", teasers([inside]), content_type=RSS_TYPE)
    (newscli_home / "config.toml").write_text(
        f'[[feeds]]\nname = "intra"\nurl = "{url}"\nallow_private = true\n'
    )
    with HttpClient(timeout=5, classify=as_public) as client:
        report = digest(tmp_path / "out", client=client)
    assert report.feeds[0].flagged == () and SECRET in report.saved[0].read_text()


def test_allow_private_flag_of_the_run(
    http_server: TestServer, public_server: TestServer, tmp_path: Path
) -> None:
    inside = http_server.serve("/secret.html", secret_page())
    add_feed(public_server.serve("/feed.xml", teasers([inside]), content_type=RSS_TYPE), name="pub")
    with HttpClient(timeout=5, classify=as_public, allow_private=True) as client:
        report = digest(tmp_path / "out", client=client, allow_private=True)
    assert report.feeds[0].flagged == () and SECRET in report.saved[0].read_text()


def test_user_named_urls_reach_any_address_but_their_redirects_do_not_go_inward(
    http_server: TestServer, public_server: TestServer
) -> None:
    inside = http_server.serve("/secret.html", secret_page())
    bounce = public_server.add("/bounce", redirect(inside))
    inner_bounce = http_server.add("/inner-bounce", redirect(inside))
    with HttpClient(timeout=5, classify=as_public) as client:
        assert SECRET.encode() in client.get(inside).content  # named by the user (RSSHub on localhost)
        assert client.get(inner_bounce).address == "127.0.0.1"  # loopback to loopback: the same network
        with pytest.raises(AddressRefused) as caught:
            client.get(bounce)
        assert caught.value.kind == "address_refused" and caught.value.address_class == "loopback"
        assert f"redirected to {inside}" in str(caught.value) and "a redirect from 127.0.0.2 (public)" in str(
            caught.value
        )
        # a kept-alive connection opened for the user's URL is not reused by content-derived requests
        with pytest.raises(AddressRefused):
            client.get(inside, origin="public")
        assert client.get(inside, origin="loopback").status == 200
    assert http_server.hits("/secret.html") == 3


def test_fetch_of_a_public_feed_refuses_its_inward_links_in_the_json_record(
    http_server: TestServer, public_server: TestServer
) -> None:
    inside = http_server.serve("/secret.html", secret_page())
    url = public_server.serve("/feed.xml", teasers([inside]), content_type=RSS_TYPE)
    with (
        HttpClient(timeout=5, classify=as_public) as client,
        Fetcher(FetchOptions(full=True), client=client) as f,
    ):
        (record,) = list(f.run([url]))
    data = record.as_json()
    assert data["error"]["kind"] == "address_refused" and "loopback" in data["error"]["message"]
    assert SECRET not in (data["text"] or "") and http_server.hits("/secret.html") == 0
