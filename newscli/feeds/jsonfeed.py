"""JSON Feed (jsonfeed.org, version 1 and 1.1) documents to a typed Feed."""

from __future__ import annotations

import json
from typing import Any

from newscli.dates import parse_date
from newscli.errors import FeedError, NotAFeed
from newscli.feeds.content import entry_body
from newscli.feeds.entry import FeedContext, dedupe, http_url, make_entry
from newscli.models import Entry, Feed, FeedRef, clean_json


def parse_json_feed(text: str, ctx: FeedContext) -> Feed:
    """A JSON Feed document as a Feed; NotAFeed for other JSON, FeedError when it cannot be read."""
    try:
        # Numbers stay as written (an id 3.1415 is "3.1415", 1e3 is "1e3"), and huge ones cost nothing.
        doc = clean_json(json.loads(text, parse_int=_Number, parse_float=_Number))
    except (ValueError, RecursionError) as exc:
        raise FeedError(f"cannot parse the JSON Feed ({exc})", source=ctx.url) from None
    if not isinstance(doc, dict):
        raise NotAFeed("not a feed (JSON, but not a JSON Feed)", source=ctx.url)
    items = doc.get("items")
    if not isinstance(items, list):
        raise FeedError("cannot parse the JSON Feed (no items list)", source=ctx.url)
    truncated = len(items) > ctx.cap
    if truncated:
        ctx.warnings.append(f"the feed has {len(items)} entries; only the first {ctx.cap} were read")
        items = items[: ctx.cap]
    title = _str(doc.get("title"))
    lang = _str(doc.get("language")) or ctx.http_lang
    ctx.own_base(_str(doc.get("home_page_url")) or _str(doc.get("feed_url")))
    ref = FeedRef(title=title, url=ctx.url)
    feed_authors = _json_authors(doc)
    entries = dedupe(
        (
            _json_entry(item, ref, lang, feed_authors, ctx, n)
            for n, item in enumerate(items)
            if isinstance(item, dict)
        ),
        ctx,
    )
    return Feed(
        title=title,
        url=ctx.url,
        site_url=http_url(_str(doc.get("home_page_url")), ctx.base),
        lang=lang,
        entries=tuple(entries),
        truncated=truncated,
        warnings=tuple(ctx.warnings),
    )


class _Number(str):
    """A JSON number, kept as its source text."""


def _json_entry(
    item: dict[str, Any],
    ref: FeedRef,
    feed_lang: str | None,
    feed_authors: str | None,
    ctx: FeedContext,
    position: int,
) -> Entry:
    url = http_url(_str(item.get("url")) or _str(item.get("external_url")), ctx.base)
    lang = _str(item.get("language")) or feed_lang
    tz = ctx.zone(lang)
    content_html = _str(item.get("content_html"))
    content_text = _str(item.get("content_text"))
    summary = _str(item.get("summary"))
    if content_html:
        html, text = entry_body(content_html, "text/html", url or ctx.base)
        if content_text:
            text = content_text.strip()
    elif content_text:
        html, text = entry_body(content_text, "text/plain", url or ctx.base)
    else:
        html, text = entry_body(summary, "text/plain", url or ctx.base)
    raw_tags = item.get("tags")
    raw_tags = raw_tags if isinstance(raw_tags, list) else []  # the spec says an array; anything else: none
    tags = tuple(dict.fromkeys(t for t in map(_str, raw_tags) if t))
    raw_id = item.get("id")
    # The spec says a string; a number is kept as written (never replaced by a made-up id).
    guid = raw_id.strip() or None if isinstance(raw_id, str) else None
    published_raw = _str(item.get("date_published"))
    updated_raw = _str(item.get("date_modified"))
    return make_entry(
        ref=ref,
        guid=guid,
        url=url,
        title=_str(item.get("title")),
        author=_json_authors(item) or feed_authors,
        published=parse_date(published_raw, tz),
        updated=parse_date(updated_raw, tz),
        raw_date=published_raw or updated_raw,
        source=None,
        lang=lang,
        description=summary,
        image=http_url(_str(item.get("image")) or _str(item.get("banner_image")), url or ctx.base),
        categories=(),
        tags=tags,
        html=html,
        text=text,
        position=position,
    )


def _json_authors(obj: dict[str, Any]) -> str | None:
    authors = obj.get("authors")
    if not isinstance(authors, list):
        authors = [obj.get("author")]
    names = [n for n in (_str(a.get("name")) for a in authors if isinstance(a, dict)) if n]
    return ", ".join(names) if names else None


def _str(value: object) -> str | None:
    """A string field's text; None for anything else (numbers included)."""
    return value.strip() or None if isinstance(value, str) and not isinstance(value, _Number) else None
