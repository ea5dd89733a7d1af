"""Feed bytes to a typed Feed: RSS 0.9x/1.0/2.0, Atom and JSON Feed, decoded by us and parsed safely.

feedparser only ever sees text we decoded and checked, handed over as a byte stream: given a str or
bytes it may open a URL or a local file of that name itself, with no limits. DOCTYPE entity
declarations are refused before parsing (entity expansion can turn a small feed into gigabytes).
"""

from __future__ import annotations

import hashlib
import html as htmllib
import io
import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone, tzinfo
from html.entities import name2codepoint
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.html
from lxml import etree
from lxml_html_clean import Cleaner

from newscli.charset import decode, sniff_binary
from newscli.dates import CHINA, default_zone, parse_date
from newscli.errors import DecodeError, FeedError, NotAFeed
from newscli.models import Article, Entry, Feed, FeedRef, Fetched

# Real news feeds carry tens to a few hundred entries. feedparser needs about a millisecond per
# entry, so 1,000 keeps a pathological 50,000-item feed to about a second of parsing.
ENTRY_CAP = 1000

# A teaser is shorter than this (CJK characters, or words for other scripts).
TEASER_CJK_CHARS = 200
TEASER_WORDS = 60
_TEASER_ENDINGS = ("…", "...", "阅读全文", "全文", "read more", "continue reading", "[…]", "[...]", "更多")

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
_HTMLISH = re.compile(r"<!DOCTYPE\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.I)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_SOURCE_IN_TEXT = re.compile(r"来源[：:]\s*([^\s|｜丨/，,。;；<>()（）]{1,30})")
_SAFE_SCHEME = re.compile(r"(?:https?:|mailto:|//|/|\.|\?|#|[^:/?#]*(?:[/?#]|$))", re.I)
_HTML_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_ENTITIES = frozenset(("amp", "lt", "gt", "quot", "apos"))
_CST = re.compile(r"\s+CST$")
_WS = re.compile(r"[ \t\r\n\f\v\u00a0\u3000]+")

_BLOCK_TAGS = frozenset(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 blockquote pre tr table section article header footer "
    "figure figcaption dl dt dd hr address aside nav main details summary".split()
)

_CLEANER = Cleaner(
    scripts=True,
    javascript=True,
    comments=True,
    style=True,
    inline_style=True,
    links=True,
    meta=True,
    page_structure=True,
    processing_instructions=True,
    embedded=True,
    frames=True,
    forms=True,
    annoying_tags=True,
    remove_unknown_tags=False,
    safe_attrs_only=True,
    add_nofollow=False,
)


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


def is_teaser(entry_html_or_text: str | None) -> bool:
    """Whether feed content is only a teaser: empty, short, or ending in … / 阅读全文 / Read more."""
    if not entry_html_or_text:
        return True
    text = (
        html_to_text(entry_html_or_text)
        if "<" in entry_html_or_text
        else htmllib.unescape(entry_html_or_text)
    )
    return _is_teaser_text(text)


def _is_teaser_text(text: str | None) -> bool:
    text = _WS.sub(" ", text or "").strip()
    if not text:
        return True
    tail = text.rstrip(" >»→›)]】」").lower()
    if text.lower().endswith(_TEASER_ENDINGS) or tail.endswith(_TEASER_ENDINGS):
        return True
    cjk = len(_CJK.findall(text))
    if cjk * 2 >= len(text.replace(" ", "")):
        return cjk < TEASER_CJK_CHARS
    return len(text.split()) + cjk < TEASER_WORDS


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
    text = decoded.text.lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        try:
            text = _check_entities(text)
        except FeedError as exc:
            raise FeedError(exc.message, source=source) from None
    kind = feed_kind(text)
    if kind is None:
        if _HTMLISH.search(text[:8192]):
            raise NotAFeed(_HTML_HINT, source=source)
        raise NotAFeed("not a feed (no RSS, Atom or JSON Feed document found)", source=source)
    ctx = _Context(fetched.url, tz_override, configured_tz, list(decoded.warnings), max(1, max_entries))
    if kind == "json":
        return _parse_json(text, ctx)
    return _parse_xml(text, ctx)


class _Context:
    """What every entry of one feed is read against: base URL, zone settings, warnings so far."""

    def __init__(
        self, url: str, tz_override: str | None, configured_tz: str | None, warnings: list[str], cap: int
    ) -> None:
        self.url = url
        self.cap = cap
        self.host = urlsplit(url).hostname if "://" in url else None
        self.tz_override = tz_override
        self.configured_tz = configured_tz
        self.warnings = warnings
        self._zones: dict[str | None, tzinfo] = {}

    def zone(self, lang: str | None) -> tzinfo:
        if lang not in self._zones:
            self._zones[lang] = default_zone(
                override=self.tz_override, configured=self.configured_tz, lang=lang, host=self.host
            )
        return self._zones[lang]


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


def _cap(text: str, ctx: _Context) -> tuple[str, bool]:
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


def _parse_xml(text: str, ctx: _Context) -> Feed:
    text = _XML_INVALID.sub("", text)
    text = _HTML_ENTITY.sub(_numeric_entity, text)
    text, truncated = _cap(text, ctx)
    decl = _XML_DECL.match(text)
    body = text[decl.end() :] if decl else text
    data = ('<?xml version="1.0" encoding="utf-8"?>' + body).encode("utf-8")
    headers: dict[str, str] = {"content-type": "application/xml; charset=utf-8"}
    if ctx.url.startswith(("http://", "https://")):
        headers["content-location"] = ctx.url
    # A stream, never str or bytes: feedparser would try those as a URL or a file name first.
    # Our own cleaner (clean_html) is the one sanitising boundary; feedparser's would double the parse time.
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers, sanitize_html=False)
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
    title = _plain(meta.get("title"), meta.get("title_detail"))
    site_url = _http_url(meta.get("link"), ctx.url)
    lang = meta.get("language") or None
    ref = FeedRef(title=title, url=ctx.url)
    entries = _dedupe(
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


def _xml_entry(raw: Any, ref: FeedRef, feed_lang: str | None, ctx: _Context) -> Entry:
    base = ctx.url
    link = _http_url(raw.get("link"), base)
    title = _plain(raw.get("title"), raw.get("title_detail"))
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
    html, text = _body(content_value, content_type, link or base)
    summary_detail = raw.get("summary_detail") or {}
    description = None
    if raw.get("summary"):
        same = content_value == raw.summary and "html" in content_type
        description = text if same else _plain(raw.summary, summary_detail)

    author = None
    if raw.get("author_detail") and raw.author_detail.get("name"):
        author = raw.author_detail.name
    elif raw.get("author"):
        author = raw.author
    source_title = (raw.get("source") or {}).get("title") if isinstance(raw.get("source"), Mapping) else None

    tags, categories = _terms(raw.get("tags") or [])
    return _entry(
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
            return _http_url(thumb["url"], base)
    for media in raw.get("media_content") or []:
        if media.get("url") and (
            media.get("medium") == "image" or (media.get("type") or "").startswith("image/")
        ):
            return _http_url(media["url"], base)
    for enc in raw.get("enclosures") or []:
        if (enc.get("type") or "").startswith("image/") and enc.get("href"):
            return _http_url(enc["href"], base)
    return None


# ---------------------------------------------------------------- JSON Feed


def _parse_json(text: str, ctx: _Context) -> Feed:
    try:
        doc = json.loads(text)
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
    lang = _str(doc.get("language"))
    ref = FeedRef(title=title, url=ctx.url)
    feed_authors = _json_authors(doc)
    entries = _dedupe(
        (_json_entry(item, ref, lang, feed_authors, ctx) for item in items if isinstance(item, dict)), ctx
    )
    return Feed(
        title=title,
        url=ctx.url,
        site_url=_http_url(_str(doc.get("home_page_url")), ctx.url),
        lang=lang,
        entries=tuple(entries),
        truncated=truncated,
        warnings=tuple(ctx.warnings),
    )


def _json_entry(
    item: dict[str, Any], ref: FeedRef, feed_lang: str | None, feed_authors: str | None, ctx: _Context
) -> Entry:
    url = _http_url(_str(item.get("url")) or _str(item.get("external_url")), ctx.url)
    lang = _str(item.get("language")) or feed_lang
    tz = ctx.zone(lang)
    content_html = _str(item.get("content_html"))
    content_text = _str(item.get("content_text"))
    summary = _str(item.get("summary"))
    if content_html:
        html, text = _body(content_html, "text/html", url or ctx.url)
        if content_text:
            text = content_text.strip()
    elif content_text:
        html, text = _body(content_text, "text/plain", url or ctx.url)
    else:
        html, text = _body(summary, "text/plain", url or ctx.url)
    tags = tuple(dict.fromkeys(t.strip() for t in item.get("tags") or [] if isinstance(t, str) and t.strip()))
    raw_id = item.get("id")
    guid = str(raw_id) if isinstance(raw_id, (str, int)) and str(raw_id).strip() else None
    published_raw = _str(item.get("date_published"))
    updated_raw = _str(item.get("date_modified"))
    return _entry(
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
        image=_http_url(_str(item.get("image")) or _str(item.get("banner_image")), url or ctx.url),
        categories=(),
        tags=tags,
        html=html,
        text=text,
    )


def _json_authors(obj: dict[str, Any]) -> str | None:
    authors = obj.get("authors")
    if not isinstance(authors, list):
        authors = [obj.get("author")]
    names = [a["name"].strip() for a in authors if isinstance(a, dict) and isinstance(a.get("name"), str)]
    names = [n for n in names if n]
    return ", ".join(names) if names else None


def _str(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


# ---------------------------------------------------------------- shared


def _entry(
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
) -> Entry:
    if not source and text:
        found = _SOURCE_IN_TEXT.search(text[:2000])
        source = found.group(1) if found else None
    article = Article(
        url=url,
        id=(guid or "").strip() or url or stable_id(title, raw_date, text),
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
    return Entry(article=article, content_is_full=not _is_teaser_text(text))


def stable_id(title: str | None, date: str | None, text: str | None = None) -> str:
    """An id for an entry with neither guid nor link: a hash of its title and date (else its text)."""
    key = f"{(title or '').strip()}\n{(date or '').strip()}"
    if not key.strip():
        key = (text or "").strip()[:2000]
    return "urn:sha1:" + hashlib.sha1(key.encode("utf-8")).hexdigest()


def _dedupe(entries: Iterable[Entry], ctx: _Context) -> list[Entry]:
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


def _http_url(value: str | None, base: str) -> str | None:
    """`value` made absolute against `base`; None unless it is an http(s) URL."""
    if not value or not value.strip():
        return None
    url = urljoin(base, value.strip()) if "://" in base else value.strip()
    return url if urlsplit(url).scheme in ("http", "https") else None


def _plain(value: str | None, detail: Mapping[str, Any] | None) -> str | None:
    """A feed text field as plain text (titles and summaries may be HTML)."""
    if not value:
        return None
    kind = (detail or {}).get("type") or "text/plain"
    text = html_to_text(value) if "html" in kind else _WS.sub(" ", value)
    return text.strip() or None


def _body(value: str | None, kind: str, base: str) -> tuple[str | None, str | None]:
    """(clean html, plain text) of entry content; text/plain content stays text and is escaped for html."""
    if not value or not value.strip():
        return None, None
    if "html" not in kind and "xml" not in kind:
        text = value.strip()
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        html = "".join(f"<p>{htmllib.escape(p)}</p>" for p in paragraphs)
        return html, text
    html = clean_html(value, base)
    return html or None, html_to_text(html) or None if html else None


def clean_html(fragment: str, base: str | None = None) -> str:
    """An HTML fragment without scripts, styles, event handlers or javascript: links; URLs made absolute."""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return ""
    root = _CLEANER.clean_html(root)
    for el in root.iter():
        for attr in ("href", "src"):
            value = el.get(attr)
            # The cleaner blanks javascript: links; a blank href would then resolve to the base URL.
            if value is not None and (not value.strip() or not _SAFE_SCHEME.match(value.strip())):
                del el.attrib[attr]
    if base and "://" in base:
        root.make_links_absolute(base, resolve_base_href=False, handle_failures="discard")
    parts = [htmllib.escape(root.text)] if root.text else []
    parts.extend(etree.tostring(child, encoding="unicode", method="html") for child in root)
    return "".join(parts).strip()


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: one paragraph per block, blank lines between."""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return _WS.sub(" ", re.sub(r"<[^>]+>", " ", fragment)).strip()
    etree.strip_elements(root, "script", "style", "noscript", "template", with_tail=False)
    blocks: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = _WS.sub(" ", "".join(current)).strip()
        if line:
            blocks.append(line)
        current.clear()

    def walk(el: Any) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        block = tag.lower() in _BLOCK_TAGS
        if block:
            flush()
        if el.text and tag:
            current.append(el.text)
        for child in el:
            walk(child)
        if block:
            flush()
        if el.tail:
            current.append(el.tail)

    if root.text:
        current.append(root.text)
    for child in root:
        walk(child)
    flush()
    return "\n\n".join(blocks)
