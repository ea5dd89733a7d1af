"""Feed discovery: the feeds a page advertises, else the usual paths, each checked to really be a feed."""

from __future__ import annotations

import hashlib
import queue
import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from lxml import etree

from newscli.errors import FeedError, FetchError, HTTPStatusError, NotAFeed, Timeout
from newscli.feeds.parse import feed_kind, parse_feed
from newscli.models import Feed, Fetched
from newscli.page.charset import decode, sniff_binary

if TYPE_CHECKING:
    from newscli.net.http import HttpClient

# Where sites without <link rel="alternate"> most often serve their feed (WordPress, Hugo, Jekyll, Ghost…).
PROBE_PATHS = ("/feed", "/rss", "/atom.xml", "/index.xml", "/rss.xml", "/feed.xml")
PAGE_MAX = 5 * 1024 * 1024
FEED_MAX = 10 * 1024 * 1024
# Candidates are fetched side by side; the client still keeps its own per-host limit.
PARALLEL = 6
# Only the first advertised links are checked: a page listing hundreds is not worth hours of requests.
MAX_ADVERTISED = 20
# A page that is not a feed: at most this many of the feeds it advertises are suggested instead.
MAX_SUGGESTED = 5
# The whole discovery (page and checks) ends this many client timeouts after it began, by default.
DEADLINE_FACTOR = 2.0

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, application/json;q=0.7, */*;q=0.5"
)

_HTMLISH = re.compile(r"<!DOCTYPE\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.I)

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


def discover(
    url: str,
    client: HttpClient,
    *,
    max_advertised: int = MAX_ADVERTISED,
    deadline: float | None = None,
    notes: list[str] | None = None,
) -> list[FeedLink]:
    """The feeds `url` advertises (else found at the usual paths of its site), each verified by parsing it.

    At most `max_advertised` advertised links (then the PROBE_PATHS) are checked, and checking stops
    `deadline` seconds after the start (default: DEADLINE_FACTOR x the client's timeout); what was left
    unchecked is told in `notes`. Nothing found and something left unchecked at the deadline: Timeout.
    """
    budget = deadline if deadline is not None else DEADLINE_FACTOR * client.timeout
    run = _Run(client, time.monotonic() + budget, budget, notes if notes is not None else [])
    try:
        page = client.get(url, max_bytes=FEED_MAX)
    except HTTPStatusError as exc:
        # The page may refuse us while the site's feed is public: still try the usual paths.
        found = run.verified([FeedLink(u, None, "rss") for u in _probe_urls(url)])
        if found:
            return found
        raise exc
    run.origin = client.address_class(page.address)  # its links may not lead into a more private network
    text = _text(page)
    if text is not None and feed_kind(text) is not None:
        feed = parse_feed(page)
        return [FeedLink(url=page.url, title=feed.title, kind=feed_kind(text) or "rss")]
    advertised = find_feed_links(text, page.url) if text is not None else []
    if len(advertised) > max_advertised:
        run.notes.append(
            f"{len(advertised) - max_advertised} more advertised links not checked "
            f"(only the first {max_advertised} are)"
        )
        advertised = advertised[: max(0, max_advertised)]
    found = run.verified(advertised)
    if not found and not run.unchecked:
        found = run.verified([FeedLink(u, None, "rss") for u in _probe_urls(page.url)])
    if not found and run.unchecked:
        raise Timeout(
            f"no feed found within the {budget:g} s deadline ({run.unchecked} candidate feeds not checked)",
            source=url,
        )
    return found


def check_feed(url: str, client: HttpClient) -> Feed:
    """`url` fetched once and read as a feed (what `feeds add` checks before subscribing).

    FetchError when it cannot be fetched; FeedError when it cannot be read as a feed; NotAFeed for a page,
    naming the feeds the page advertises (not fetched: that is `discover`'s job), else pointing to discover.
    """
    fetched = client.get(url, max_bytes=FEED_MAX, accept=FEED_ACCEPT)
    try:
        return parse_feed(fetched)
    except NotAFeed:
        text = _text(fetched)
        links = find_feed_links(text, fetched.url) if text is not None else []
        if not links and text is not None and _is_html(text):
            message = f"not a feed (an HTML page advertising none); `newscli discover {url}` also tries the usual paths"
            raise NotAFeed(message, source=url) from None
        if not links:
            raise
        shown = "; ".join(
            f"{link.url} ({link.title})" if link.title else link.url for link in links[:MAX_SUGGESTED]
        )
        more = f" and {len(links) - MAX_SUGGESTED} more" if len(links) > MAX_SUGGESTED else ""
        raise NotAFeed(f"not a feed, but a page advertising feeds: {shown}{more}", source=url) from None


def _is_html(text: str) -> bool:
    """Whether decoded text is an HTML page (by its first 8 KiB)."""
    return _HTMLISH.search(text[:8192]) is not None


def _probe_urls(url: str) -> list[str]:
    parts = urlsplit(url)
    root = f"{parts.scheme}://{parts.netloc}/"
    return [urljoin(root, path) for path in PROBE_PATHS]


def _text(fetched: Fetched) -> str | None:
    if not fetched.content or sniff_binary(fetched.content):
        return None
    return decode(fetched.content, http_charset=fetched.charset).text


class _Run:
    """One discovery's deadline, and what it left unchecked."""

    def __init__(self, client: HttpClient, ends: float, budget: float, notes: list[str]) -> None:
        self.client = client
        self.ends = ends
        self.budget = budget
        self.notes = notes
        self.unchecked = 0
        self.origin: str | None = None  # the address class of the page the links came from

    def verified(self, candidates: list[FeedLink]) -> list[FeedLink]:
        """Candidates that really are feeds, in the given order, without repeats (same final URL or bytes).

        Checked on daemon threads: at the deadline those still running are left to their own
        request timeout (nothing waits for them) and those not started never start.
        """
        if not candidates:
            return []
        todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        for i in range(len(candidates)):
            todo.put(i)
        done: queue.SimpleQueue[tuple[int, tuple[FeedLink, str] | None, BaseException | None]]
        done = queue.SimpleQueue()
        stop = threading.Event()
        client, origin = self.client, self.origin

        def worker() -> None:
            while not stop.is_set():
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    done.put((i, _check(candidates[i], client, origin), None))
                except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                    done.put((i, None, exc))

        threads = [
            threading.Thread(target=worker, name=f"discover-{n}", daemon=True)
            for n in range(min(PARALLEL, len(candidates)))
        ]
        for t in threads:
            t.start()
        results: dict[int, tuple[FeedLink, str] | None] = {}
        try:
            while len(results) < len(candidates):
                left = self.ends - time.monotonic()
                if left <= 0:
                    break
                try:
                    i, result, error = done.get(timeout=left)
                except queue.Empty:
                    break
                if error is not None:
                    raise error
                results[i] = result
        finally:
            stop.set()
        missing = len(candidates) - len(results)
        if missing:
            self.unchecked += missing
            self.notes.append(
                f"stopped after the {self.budget:g} s deadline: {missing} candidate feeds not checked"
            )
        else:
            for t in threads:
                t.join()
        out: list[FeedLink] = []
        seen: set[str] = set()
        for i in sorted(results):
            result = results[i]
            if result is None:
                continue
            link, digest = result
            if link.url in seen or digest in seen:
                continue
            seen.update((link.url, digest))
            out.append(link)
        return out


def _check(candidate: FeedLink, client: HttpClient, origin: str | None = None) -> tuple[FeedLink, str] | None:
    """The candidate as found at its final URL, with a digest of its bytes; None if it is not a feed (or the
    address policy refuses it: a public page advertising a loopback feed)."""
    try:
        fetched = client.get(candidate.url, max_bytes=FEED_MAX, accept=FEED_ACCEPT, origin=origin)
        feed = parse_feed(fetched)
    except (FetchError, FeedError):
        return None
    text = _text(fetched) or ""
    kind = feed_kind(text.lstrip("\ufeff \t\r\n")) or candidate.kind
    link = FeedLink(url=fetched.url, title=candidate.title or feed.title, kind=kind)
    return link, hashlib.sha1(fetched.content).hexdigest()
