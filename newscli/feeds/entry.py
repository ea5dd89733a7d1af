"""Feed entries as Entry values: ids, sources, absolute links, repeats dropped; the feed's reading context."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime, tzinfo
from urllib.parse import urljoin, urlsplit

from newscli.dates import default_zone
from newscli.feeds.content import PLAIN_HTTP_URL, is_teaser_text
from newscli.models import Article, Entry, FeedRef

_SOURCE_IN_TEXT = re.compile(r"来源[：:]\s*([^\s|｜丨/，,。;；<>()（）]{1,30})")


class FeedContext:
    """What every entry of one feed is read against: base URL, zone settings, warnings so far."""

    def __init__(
        self,
        url: str,
        tz_override: str | None,
        configured_tz: str | None,
        warnings: list[str],
        cap: int,
        http_lang: str | None = None,
    ) -> None:
        self.url = url
        self.http_lang = http_lang  # the Content-Language header: the feed's language when it gives none
        # What relative links resolve against: the feed's http(s) URL; for a local file or stdin, the
        # feed's own link once known (see own_base), else nothing (they stay out: never file: URLs).
        self.base = url if urlsplit(url).scheme in ("http", "https") else ""
        self.cap = cap
        self.host = urlsplit(url).hostname if "://" in url else None
        self.tz_override = tz_override
        self.configured_tz = configured_tz
        self.warnings = warnings
        self._zones: dict[str | None, tzinfo] = {}

    def own_base(self, link: str | None) -> None:
        """A document without an http(s) URL: resolve against its own absolute http(s) link, if it has one."""
        if not self.base and link and http_url(link, "") is not None:
            self.base = link.strip()

    def zone(self, lang: str | None) -> tzinfo:
        if lang not in self._zones:
            self._zones[lang] = default_zone(
                override=self.tz_override, configured=self.configured_tz, lang=lang, host=self.host
            )
        return self._zones[lang]


def make_entry(
    *,
    ref: FeedRef,
    guid: str | None,
    url: str | None,
    title: str | None,
    author: str | None,
    published: datetime | None,
    updated: datetime | None,
    raw_date: str | None,
    source: str | None,
    lang: str | None,
    description: str | None,
    image: str | None,
    categories: tuple[str, ...],
    tags: tuple[str, ...],
    html: str | None,
    text: str | None,
    position: int,
) -> Entry:
    """The Entry of one feed item, whatever the format: id, source and fullness filled in.

    `position` (the item's place in the feed, from 0) names an item that has nothing else to be told by.
    """
    if not source and text:
        found = _SOURCE_IN_TEXT.search(text[:2000])
        source = found.group(1) if found else None
    article = Article(
        url=url,
        id=(guid or "").strip()
        or url
        or stable_id(title, raw_date, text or description or image)
        or _position_id(ref.url or "", position),
        title=title,
        author=author,
        published=published,
        updated=updated,
        site_name=ref.title,
        source=source or ref.title,
        lang=lang,
        description=description,
        image=image,
        categories=categories,
        tags=tags,
        text=text,
        html=html,
        feed=ref,
    )
    return Entry(article=article, content_is_full=not is_teaser_text(text))


def stable_id(title: str | None, date: str | None, text: str | None = None) -> str | None:
    """An id for an entry with neither guid nor link: a hash of its title and date (else its text).

    None when all are empty: the hash of nothing would make every such entry the same one.
    """
    key = f"{(title or '').strip()}\n{(date or '').strip()}"
    if not key.strip():
        key = (text or "").strip()[:2000]
    if not key:
        return None
    return "urn:sha1:" + hashlib.sha1(key.encode("utf-8")).hexdigest()


def _position_id(feed_url: str, position: int) -> str:
    """The id of an entry with no guid, link, title, date or text: its feed and its place in it."""
    return "urn:sha1:" + hashlib.sha1(f"{feed_url}\n#{position}".encode()).hexdigest()


def dedupe(entries: Iterable[Entry], ctx: FeedContext) -> list[Entry]:
    """First entry of each id wins (feeds repeat guids; the later copies would only collide)."""
    seen: set[str | None] = set()
    out: list[Entry] = []
    dropped = 0
    for entry in entries:
        if entry.article.id in seen:
            dropped += 1
            continue
        seen.add(entry.article.id)
        out.append(entry)
    if dropped:
        ctx.warnings.append(f"{dropped} entries repeat an earlier entry's id; kept the first of each")
    return out


_LANG_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")


def language_tag(value: str | None) -> str | None:
    """The one language tag of a Content-Language value ("de-DE"), None for a list or anything else."""
    value = (value or "").strip()
    return value if _LANG_TAG.fullmatch(value) else None


def http_url(value: str | None, base: str) -> str | None:
    """`value` made absolute against `base`; None unless it is an http(s) URL (one that can be read)."""
    if not value:
        return None
    value = value.strip()
    if not value:
        return None
    if PLAIN_HTTP_URL.fullmatch(value):
        return value  # what the join and the check below give for it, without them (most links)
    try:
        url = urljoin(base, value) if "://" in base else value
        return url if urlsplit(url).scheme in ("http", "https") else None
    except ValueError:  # a host urllib cannot read ("http://[bad/x"): no URL, not the feed's failure
        return None
