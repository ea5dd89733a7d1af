"""Feed discovery: the feeds a page advertises, else the usual paths, each checked to really be a feed."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from lxml import etree

from newscli.charset import decode, sniff_binary
from newscli.errors import FeedError, FetchError, HTTPStatusError
from newscli.feeds import feed_kind, parse_feed
from newscli.models import Fetched

if TYPE_CHECKING:
    from newscli.http import HttpClient

# Where sites without <link rel="alternate"> most often serve their feed (WordPress, Hugo, Jekyll, Ghost…).
PROBE_PATHS = ("/feed", "/rss", "/atom.xml", "/index.xml", "/rss.xml", "/feed.xml")
PAGE_MAX = 5 * 1024 * 1024
FEED_MAX = 10 * 1024 * 1024
# Candidates are fetched side by side; the client still keeps its own per-host limit.
PARALLEL = 6

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, application/json;q=0.7, */*;q=0.5"
)

_TYPES = {
    "application/rss+xml": "rss",
    "application/rdf+xml": "rss",
    "application/atom+xml": "atom",
    "application/feed+json": "json",
    "application/json": "json",
}


@dataclass(frozen=True)
class FeedLink:
    """A feed found for a site: its URL, its title, and whether it is RSS, Atom or JSON Feed."""

    url: str
    title: str | None
    kind: str  # "rss" | "atom" | "json"


def find_feed_links(html_text: str, base_url: str) -> list[FeedLink]:
    """The feeds a page advertises with <link rel="alternate" type=…>, absolute, deduplicated, in page order."""
    if not html_text.strip():
        return []
    try:
        doc = lxml.html.document_fromstring(html_text)
    except (etree.ParserError, ValueError):
        return []
    base = base_url
    for href in doc.xpath("//base/@href")[:1]:
        base = urljoin(base_url, href.strip())
    found: list[FeedLink] = []
    seen: set[str] = set()
    for link in doc.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = _TYPES.get((link.get("type") or "").split(";")[0].strip().lower())
        href = (link.get("href") or "").strip()
        if "alternate" not in rel or kind is None or not href:
            continue
        url = urldefrag(urljoin(base, href))[0]
        if urlsplit(url).scheme not in ("http", "https") or url in seen:
            continue
        seen.add(url)
        title = " ".join((link.get("title") or "").split()) or None
        found.append(FeedLink(url=url, title=title, kind=kind))
    return found


def discover(url: str, client: HttpClient) -> list[FeedLink]:
    """The feeds `url` advertises (else found at the usual paths of its site), each verified by parsing it."""
    try:
        page = client.get(url, max_bytes=FEED_MAX)
    except HTTPStatusError as exc:
        # The page may refuse us while the site's feed is public: still try the usual paths.
        found = _verified([FeedLink(u, None, "rss") for u in _probe_urls(url)], client)
        if found:
            return found
        raise exc
    text = _text(page)
    if text is not None and feed_kind(text) is not None:
        feed = parse_feed(page)
        return [FeedLink(url=page.url, title=feed.title, kind=feed_kind(text) or "rss")]
    advertised = find_feed_links(text, page.url) if text is not None else []
    found = _verified(advertised, client)
    if not found:
        found = _verified([FeedLink(u, None, "rss") for u in _probe_urls(page.url)], client)
    return found


def _probe_urls(url: str) -> list[str]:
    parts = urlsplit(url)
    root = f"{parts.scheme}://{parts.netloc}/"
    return [urljoin(root, path) for path in PROBE_PATHS]


def _text(fetched: Fetched) -> str | None:
    if not fetched.content or sniff_binary(fetched.content):
        return None
    return decode(fetched.content, http_charset=fetched.charset).text


def _verified(candidates: list[FeedLink], client: HttpClient) -> list[FeedLink]:
    """Candidates that really are feeds, in the given order, without repeats (same final URL or same bytes)."""
    if not candidates:
        return []
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(candidates))) as pool:
        results = list(pool.map(lambda c: _check(c, client), candidates))
    out: list[FeedLink] = []
    seen: set[str] = set()
    for result in results:
        if result is None:
            continue
        link, digest = result
        if link.url in seen or digest in seen:
            continue
        seen.update((link.url, digest))
        out.append(link)
    return out


def _check(candidate: FeedLink, client: HttpClient) -> tuple[FeedLink, str] | None:
    """The candidate as found at its final URL, with a digest of its bytes; None if it is not a feed."""
    try:
        fetched = client.get(candidate.url, max_bytes=FEED_MAX, accept=FEED_ACCEPT)
        feed = parse_feed(fetched)
    except (FetchError, FeedError):
        return None
    text = _text(fetched) or ""
    kind = feed_kind(text.lstrip("\ufeff \t\r\n")) or candidate.kind
    link = FeedLink(url=fetched.url, title=candidate.title or feed.title, kind=kind)
    return link, hashlib.sha1(fetched.content).hexdigest()
