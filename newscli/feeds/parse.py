"""Feed bytes to a typed Feed: RSS 0.9x/1.0/2.0, Atom and JSON Feed, decoded by us and parsed safely.

feedparser only ever sees text we decoded and checked, handed over as a byte stream: given a str or
bytes it may open a URL or a local file of that name itself, with no limits. DOCTYPE entity
declarations are refused before parsing (entity expansion can turn a small feed into gigabytes).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone, tzinfo
from html.entities import name2codepoint
from typing import Any

from newscli.dates import CHINA, parse_date
from newscli.errors import DecodeError, FeedError, NotAFeed
from newscli.feeds.content import entry_body, plain_text
from newscli.feeds.entry import FeedContext, dedupe, http_url, make_entry
from newscli.feeds.jsonfeed import parse_json_feed
from newscli.models import Entry, Feed, FeedRef, Fetched
from newscli.page.charset import decode, sniff_binary

# Real news feeds carry tens to a few hundred entries. feedparser needs about a millisecond per
# entry, so 1,000 keeps a pathological 50,000-item feed to about a second of parsing.
ENTRY_CAP = 1000

_ENTITY_REFUSED = "refused: the feed declares XML entities (possible entity-expansion attack)"
_HTML_HINT = "not a feed (looks like an HTML page; try `newscli discover URL`)"

_PROLOG = re.compile(r"\A(?:\s+|<\?[^>]*\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\]\s*)?>)*", re.S | re.I)
_ROOT = re.compile(r"<(?:([\w.-]+):)?([\w.-]+)([^>]*)>", re.S)
_JSON_VERSION = re.compile(r'"version"\s*:\s*"https?://jsonfeed\.org/version/1')
_DOCTYPE_NAME = re.compile(r"(?:\s+|<\?[^>]*\?>|<!--.*?-->)*<!DOCTYPE\s+(?:[\w.-]+:)?([\w.-]+)", re.S)
_XML_DECL = re.compile(r"\A<\?xml[^>]*\?>")
_DECLARATION = re.compile(r"<!ENTITY|<!DOCTYPE[^>\[]*\[", re.I)
_DOCTYPE = re.compile(r"<!DOCTYPE[^>\[]*>", re.I)
_FIRST_ELEMENT = re.compile(r"<[A-Za-z_]")
_ENTRY_CLOSE = re.compile(r"</(?:[\w.-]+:)?(?:item|entry)\s*>")
# Characters XML 1.0 forbids; Chinese CMS feeds often carry them and they make expat give up.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A character reference to what no text can hold (a lone surrogate `&#xD800;`, NUL, beyond U+10FFFF):
# feedparser encodes it to UTF-8 and raises. It is a replacement character instead.
_CHARREF = re.compile(r"&#(?:[xX]0*([0-9A-Fa-f]{1,8})|0*([0-9]{1,10}));")
_HTMLISH = re.compile(r"<!DOCTYPE\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.I)
_HTML_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_ENTITIES = frozenset(("amp", "lt", "gt", "quot", "apos"))
_CST = re.compile(r"\s+CST$")


def _safe_charref(match: re.Match[str]) -> str:
    code = int(match[1], 16) if match[1] else int(match[2])
    if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return "&#xFFFD;"
    return match.group(0)


def feed_kind(text: str) -> str | None:
    """What kind of feed `text` is by its content ("rss", "atom", "json"), or None."""
    head = text[:65536].lstrip("\ufeff \t\r\n")
    if head.startswith("{"):
        return "json" if _JSON_VERSION.search(text) else None
    prolog = _PROLOG.match(head)
    root = _ROOT.match(head, prolog.end() if prolog else 0)
    if root is None:
        # A DOCTYPE longer than the window (a huge internal subset) still names the root.
        doctype = _DOCTYPE_NAME.match(head)
        return {"rss": "rss", "RDF": "rss", "feed": "atom"}.get(doctype.group(1)) if doctype else None
    name, attrs = root.group(2), root.group(3)
    if name == "rss" or name == "RDF":
        return "rss"
    if name == "feed" and ("w3.org/2005/Atom" in attrs or "purl.org/atom/ns" in attrs):
        return "atom"
    return None


def looks_like_feed(text: str) -> bool:
    """Whether decoded `text` is an RSS, Atom, RDF or JSON Feed document (by content, not URL)."""
    return feed_kind(text) is not None


def parse_feed(
    fetched: Fetched,
    *,
    encoding: str | None = None,
    tz_override: str | None = None,
    configured_tz: str | None = None,
    max_entries: int = ENTRY_CAP,
) -> Feed:
    """Parse fetched feed bytes into a Feed; NotAFeed when they are no feed, FeedError when unreadable."""
    source = fetched.url
    if not fetched.content.strip():
        raise NotAFeed("not a feed (empty response)", source=source)
    binary = sniff_binary(fetched.content)
    if binary:
        raise NotAFeed(f"not a feed ({binary})", source=source)
    try:
        decoded = decode(fetched.content, http_charset=fetched.charset, override=encoding, kind="xml")
    except DecodeError as exc:
        raise FeedError(f"cannot decode the feed: {exc.message}", source=source) from exc
    # Drop what XML forbids before looking: a leading form feed must not hide a DTD from the check.
    text = _XML_INVALID.sub("", decoded.text).lstrip("\ufeff \t\r\n")
    if not text.startswith("{"):
        try:
            text = _check_entities(text)
        except FeedError as exc:
            raise FeedError(exc.message, source=source) from None
    kind = feed_kind(text)
    if kind is None:
        if _HTMLISH.search(text[:8192]):
            raise NotAFeed(_HTML_HINT, source=source)
        raise NotAFeed("not a feed (no RSS, Atom or JSON Feed document found)", source=source)
    ctx = FeedContext(fetched.url, tz_override, configured_tz, list(decoded.warnings), max(1, max_entries))
    if kind == "json":
        return parse_json_feed(text, ctx)
    return _parse_xml(text, ctx)


# ---------------------------------------------------------------- XML feeds


def _check_entities(text: str) -> str:
    """Refuse entity declarations and internal DTD subsets; drop an external DOCTYPE so it is never loaded."""
    pos = 0
    while True:
        hit = _DECLARATION.search(text, pos)
        if hit is None:
            break
        # A post about XML may quote these inside CDATA, which is content, once the root element has begun.
        opened = text.rfind("<![CDATA[", 0, hit.start())
        closed = text.find("]]>", hit.end())
        in_cdata = (
            opened >= 0
            and text.find("]]>", opened, hit.start()) < 0
            and closed >= 0
            and _FIRST_ELEMENT.search(text, 0, opened) is not None
        )
        if not in_cdata:
            raise FeedError(_ENTITY_REFUSED)
        pos = closed + 3
    first = _FIRST_ELEMENT.search(text)
    end = first.start() if first else len(text)
    return _DOCTYPE.sub("", text[:end]) + text[end:]


def _cap(text: str, ctx: FeedContext) -> tuple[str, bool]:
    """Cut the document after the cap-th entry, keeping its closing tags; (text, truncated)."""
    closes = _ENTRY_CLOSE.finditer(text)
    cut_at = None
    count = 0
    last_end = 0
    for m in closes:
        count += 1
        if count == ctx.cap:
            cut_at = m.end()
        last_end = m.end()
    if cut_at is None or count <= ctx.cap:
        return text, False
    ctx.warnings.append(f"the feed has {count} entries; only the first {ctx.cap} were read")
    return text[:cut_at] + text[last_end:], True


def _parse_xml(text: str, ctx: FeedContext) -> Feed:
    text = _XML_INVALID.sub("", text)
    text = _HTML_ENTITY.sub(_numeric_entity, text)
    text = _CHARREF.sub(_safe_charref, text)
    text, truncated = _cap(text, ctx)
    decl = _XML_DECL.match(text)
    body = text[decl.end() :] if decl else text
    data = ('<?xml version="1.0" encoding="utf-8"?>' + body).encode("utf-8")
    headers: dict[str, str] = {"content-type": "application/xml; charset=utf-8"}
    if ctx.url.startswith(("http://", "https://")):
        headers["content-location"] = ctx.url
    # A stream, never str or bytes: feedparser would try those as a URL or a file name first.
    # Our own cleaner (clean_html) is the one sanitising boundary; feedparser's would double the parse time.
    import feedparser  # ~80 ms: only when there is a feed to parse, not for every page's feed check

    try:
        parsed = feedparser.parse(io.BytesIO(data), response_headers=headers, sanitize_html=False)
    except Exception as exc:  # noqa: BLE001 - a parser surprise on hostile input is this feed's error
        raise FeedError(f"the feed cannot be parsed ({type(exc).__name__}: {exc})", source=ctx.url) from None
    raw_entries: list[Any] = list(parsed.entries)
    if parsed.bozo:
        complete = len(_ENTRY_CLOSE.findall(body))
        reason = _bozo_reason(parsed.get("bozo_exception"))
        if len(raw_entries) > complete:
            # The loose parser hands back an entry cut off mid-way; keep only the closed ones.
            ctx.warnings.append(
                f"the feed is cut off or malformed ({reason}); read its {complete} complete entries"
            )
            raw_entries = raw_entries[:complete]
        else:
            ctx.warnings.append(f"the feed is not well-formed XML ({reason}); read it leniently")
        if not raw_entries and not parsed.feed.get("title"):
            raise FeedError(f"cannot parse the feed ({reason})", source=ctx.url)
    meta = parsed.feed
    title = plain_text(meta.get("title"), meta.get("title_detail"))
    site_url = http_url(meta.get("link"), ctx.url)
    lang = meta.get("language") or None
    ref = FeedRef(title=title, url=ctx.url)
    entries = dedupe(
        (_xml_entry(raw, ref, lang, ctx) for raw in raw_entries),
        ctx,
    )
    return Feed(
        title=title,
        url=ctx.url,
        site_url=site_url,
        lang=lang,
        entries=tuple(entries),
        truncated=truncated,
        warnings=tuple(ctx.warnings),
    )


def _numeric_entity(match: re.Match[str]) -> str:
    # Feeds use HTML's named entities (&nbsp;, &mdash;) that XML lacks; as numbers expat keeps going.
    name = match.group(1)
    code = name2codepoint.get(name)
    return f"&#{code};" if code is not None and name not in _XML_ENTITIES else match.group(0)


def _bozo_reason(exc: object) -> str:
    if exc is None:
        return "unknown error"
    message = getattr(exc, "getMessage", None)
    text = message() if callable(message) else str(exc)
    line = getattr(exc, "getLineNumber", None)
    return f"{text} at line {line()}" if callable(line) else str(text)


def _xml_entry(raw: Any, ref: FeedRef, feed_lang: str | None, ctx: FeedContext) -> Entry:
    base = ctx.url
    link = http_url(raw.get("link"), base)
    title = plain_text(raw.get("title"), raw.get("title_detail"))
    detail = raw.get("title_detail") or raw.get("summary_detail") or {}
    lang = detail.get("language") or feed_lang
    tz = ctx.zone(lang)
    published_raw = raw.get("published") or raw.get("created")
    updated_raw = dict.get(raw, "updated")  # .get("updated") falls back to published, with a warning
    published = _date(published_raw, raw.get("published_parsed") or raw.get("created_parsed"), tz)
    updated = _date(updated_raw, dict.get(raw, "updated_parsed"), tz)
    if published is None:
        published, updated = updated, None

    content_value, content_type = _best_content(raw)
    html, text = entry_body(content_value, content_type, link or base)
    summary_detail = raw.get("summary_detail") or {}
    description = None
    if raw.get("summary"):
        same = content_value == raw.summary and "html" in content_type
        description = text if same else plain_text(raw.summary, summary_detail)

    author = None
    if raw.get("author_detail") and raw.author_detail.get("name"):
        author = raw.author_detail.name
    elif raw.get("author"):
        author = raw.author
    source_title = (raw.get("source") or {}).get("title") if isinstance(raw.get("source"), Mapping) else None

    tags, categories = _terms(raw.get("tags") or [])
    return make_entry(
        ref=ref,
        guid=raw.get("id") or None,
        url=link,
        title=title,
        author=author,
        published=published,
        updated=updated,
        raw_date=published_raw or updated_raw,
        source=source_title,
        lang=lang,
        description=description,
        image=_image(raw, base),
        categories=categories,
        tags=tags,
        html=html,
        text=text,
    )


def _best_content(raw: Any) -> tuple[str | None, str]:
    """The entry's fullest body: the longest `content`, else the summary; with its media type."""
    candidates = [(c.get("value") or "", c.get("type") or "text/html") for c in raw.get("content") or []]
    if raw.get("summary"):
        candidates.append((raw.summary, (raw.get("summary_detail") or {}).get("type") or "text/html"))
    candidates = [c for c in candidates if c[0].strip()]
    if not candidates:
        return None, "text/html"
    return max(candidates, key=lambda c: len(c[0]))


def _date(raw: str | None, parsed: Any, tz: tzinfo) -> datetime | None:
    # The raw string keeps the feed's own offset; feedparser's struct_time is UTC only.
    if raw and tz == CHINA and _CST.search(raw):
        # Java's Date.toString() writes Asia/Shanghai as "CST", which RFC 822 reads as US Central.
        raw = _CST.sub(" +0800", raw)
    value = parse_date(raw, tz) if raw else None
    if value is None and parsed:
        try:
            year, month, day, hour, minute, second = parsed[:6]
            value = datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
        except (TypeError, ValueError):
            value = None
    return value


def _terms(tags: Iterable[Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Entry categories → (tags, categories): a term goes to categories only when its scheme says so."""
    tag_list: list[str] = []
    cat_list: list[str] = []
    for tag in tags:
        term = (tag.get("term") or tag.get("label") or "").strip()
        if not term:
            continue
        scheme = (tag.get("scheme") or "").lower()
        target = cat_list if "categor" in scheme else tag_list
        if term not in target:
            target.append(term)
    return tuple(tag_list), tuple(cat_list)


def _image(raw: Any, base: str) -> str | None:
    for thumb in raw.get("media_thumbnail") or []:
        if thumb.get("url"):
            return http_url(thumb["url"], base)
    for media in raw.get("media_content") or []:
        if media.get("url") and (
            media.get("medium") == "image" or (media.get("type") or "").startswith("image/")
        ):
            return http_url(media["url"], base)
    for enc in raw.get("enclosures") or []:
        if (enc.get("type") or "").startswith("image/") and enc.get("href"):
            return http_url(enc["href"], base)
    return None
