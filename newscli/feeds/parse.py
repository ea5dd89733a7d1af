"""Feed bytes to a typed Feed: RSS 0.9x/1.0/2.0, Atom and JSON Feed, decoded by us and parsed safely.

feedparser only ever sees text we decoded and checked, handed over as a byte stream: given a str or
bytes it may open a URL or a local file of that name itself, with no limits. DOCTYPE entity
declarations are refused before parsing (entity expansion can turn a small feed into gigabytes).
"""

from __future__ import annotations

import html as htmllib
import io
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone, tzinfo
from html.entities import name2codepoint
from typing import Any

from newscli.dates import CHINA, parse_date
from newscli.errors import DecodeError, FeedError, NotAFeed
from newscli.feeds.content import entry_body, plain_text
from newscli.feeds.entry import FeedContext, dedupe, http_url, language_tag, make_entry
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
_DEFAULT_NS = re.compile(r"\sxmlns\s*=")
# Roots of XML that looks like a feed but is none newscli reads, and what to call it.
_SHAPES = {
    "feed": "a <feed> in a namespace other than Atom's",
    "entry": "a single Atom entry, not a feed",
    "channel": "an RSS <channel> without the <rss> element around it",
    "item": "a single RSS item, not a feed",
    "items": "a list of items, not an RSS, Atom or JSON Feed document",
    "opml": "an OPML outline; `newscli feeds import FILE` subscribes to the feeds it lists",
}
_JSON_VERSION = re.compile(r'"version"\s*:\s*"https?://jsonfeed\.org/version/1')
_DOCTYPE_NAME = re.compile(r"(?:\s+|<\?[^>]*\?>|<!--.*?-->)*<!DOCTYPE\s+(?:[\w.-]+:)?([\w.-]+)", re.S)
_XML_DECL = re.compile(r"\A<\?xml[^>]*\?>")
_DECLARATION = re.compile(r"<!ENTITY|<!DOCTYPE", re.I)
# Internal DTD subsets: what is read, and the bounds on it.
ENTITY_VALUE_MAX = 1024
ENTITY_EXPANSION_MAX = 1024 * 1024
ENTITY_DECLARATIONS_MAX = 256
_PROLOG_ITEM = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.S)
_QUOTED = r"(?:\"[^\"]*\"|'[^']*')"
_DOCTYPE_HEAD = re.compile(
    rf"<!DOCTYPE\s+[^\s\[>\"']+(?:\s+(?:SYSTEM\s+{_QUOTED}|PUBLIC\s+{_QUOTED}(?:\s+{_QUOTED})?))?\s*",
    re.I,
)
_SUBSET_ITEM = re.compile(
    rf"\s+|<!--.*?-->|<\?.*?\?>|<!(?:ELEMENT|ATTLIST|NOTATION)\s(?:{_QUOTED}|[^\"'<>%])*>"
    rf"|<!ENTITY\s+(?P<pe>%\s+)?(?P<name>[^\s%&;<>\"']+)\s+(?P<def>(?:{_QUOTED}|[^\"'<>\]])*)>"
    r"|(?P<close>\]\s*>)",
    re.S,
)
_DOCTYPE_END = re.compile(r"[\[>]")
_PE_REFERENCE = re.compile(r"%[^\s;]*;")
_ENTITY_VALUE = re.compile(r"\"([^\"]*)\"\s*|'([^']*)'\s*")
_ENTITY_REF = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[^\s&;<>\"'#]+);")
_EXPANDABLE = re.compile(r"<!\[CDATA\[|<!--|&([^\s&;<>\"'#]+);")
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
# HTML elements that have content, written self-closed in entry HTML (`<iframe src=… />`): feedparser 6.0.x
# drops the slash, and the rest of the entry then becomes the iframe's text or the script's body.
_NOT_VOID = (
    "a|abbr|article|aside|audio|b|blockquote|canvas|code|del|div|em|figcaption|figure|font|h[1-6]|i|"
    "iframe|ins|noscript|object|ol|p|pre|q|s|script|section|small|span|strong|style|sub|sup|table|"
    "tbody|td|textarea|th|thead|tr|u|ul|video"
)
# Linear: an attempt never scans past the next < or >.
_SELF_CLOSED = re.compile(rf"<({_NOT_VOID})(\s(?:[^<>\"']|\"[^<>\"]*\"|'[^<>']*')*?)?/>", re.I)
_SELF_CLOSED_ESCAPED = re.compile(rf"&lt;({_NOT_VOID})(\s(?:(?!&[lg]t;)[^<>])*?)?/&gt;", re.I)


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
    prefix, name, attrs = root.group(1), root.group(2), root.group(3)
    if name == "rss" or name == "RDF":
        return "rss"
    if name == "feed" and ("w3.org/2005/Atom" in attrs or "purl.org/atom/ns" in attrs):
        return "atom"
    if name == "feed" and prefix is None and not _DEFAULT_NS.search(attrs):
        return "atom"  # a <feed> without any namespace: Atom whose publisher forgot to say so
    return None


def feed_shape(text: str) -> str | None:
    """What XML that is shaped like a feed but no feed newscli reads is (e.g. "an OPML outline"), or None."""
    head = text[:65536].lstrip("\ufeff \t\r\n")
    if not head.startswith("<"):
        return None
    prolog = _PROLOG.match(head)
    root = _ROOT.match(head, prolog.end() if prolog else 0)
    if root is None or feed_kind(text) is not None:
        return None
    return _SHAPES.get(root.group(2).lower())


def looks_like_feed(text: str) -> bool:
    """Whether decoded `text` is an RSS, Atom, RDF or JSON Feed document, or XML shaped like one.

    (By content, not URL. parse_feed reads the first kind and says what the second is.)
    """
    return feed_kind(text) is not None or feed_shape(text) is not None


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
        shape = feed_shape(text)
        if shape is not None:
            raise NotAFeed(f"not a feed newscli can read ({shape})", source=source)
        if _HTMLISH.search(text[:8192]):
            raise NotAFeed(_HTML_HINT, source=source)
        raise NotAFeed("not a feed (no RSS, Atom or JSON Feed document found)", source=source)
    ctx = FeedContext(
        fetched.url,
        tz_override,
        configured_tz,
        list(decoded.warnings),
        max(1, max_entries),
        http_lang=language_tag(fetched.headers.get("content-language")),
    )
    if kind == "json":
        return parse_json_feed(text, ctx)
    return _parse_xml(text, ctx)


# ---------------------------------------------------------------- XML feeds


def _check_entities(text: str) -> str:
    """The document without its DOCTYPE, simple internal entities expanded once; FeedError for anything risky.

    An external DTD is dropped (never loaded). An internal subset may declare general entities whose
    value is plain text (character references and the five XML entities allowed), at most
    ENTITY_VALUE_MAX characters each, expanded at most ENTITY_EXPANSION_MAX characters in all; parameter
    entities, external entities, entities using other declared entities and any other declaration
    syntax are refused. So are entity declarations outside the prolog (except quoted in CDATA).
    """
    pos = _prolog_end(text)
    entities: dict[str, str] = {}
    if text[pos : pos + 9].upper() == "<!DOCTYPE":
        end, entities = _read_doctype(text, pos)
        text = text[:pos] + text[end:]
    scan = pos
    doctypes = 0
    while True:
        hit = _DECLARATION.search(text, scan)
        if hit is None:
            break
        # A post about XML may quote these inside CDATA (content) or a comment (nothing).
        inside = _enclosing_section(text, hit.start())
        if inside is not None:
            scan = inside
        elif hit.group(0).upper() == "<!DOCTYPE" and not doctypes:
            # after junk before the prolog, say: read by the same rules, and dropped (one only: each
            # removal copies the text)
            doctypes += 1
            end, more = _read_doctype(text, hit.start())
            entities.update(more)
            text = text[: hit.start()] + text[end:]
            scan = hit.start()
        else:
            raise FeedError(_ENTITY_REFUSED)
    return _expand(text, pos, entities) if entities else text


def _prolog_end(text: str) -> int:
    """Where the prolog's white space, processing instructions and comments end."""
    pos = 0
    while True:
        m = _PROLOG_ITEM.match(text, pos)
        if m is None or m.end() == pos:
            return pos
        pos = m.end()


def _enclosing_section(text: str, at: int) -> int | None:
    """The end of the CDATA section or comment `at` is in, or None when it is in neither."""
    for opener, closer in (("<![CDATA[", "]]>"), ("<!--", "-->")):
        opened = text.rfind(opener, 0, at)
        if opened >= 0 and text.find(closer, opened, at) < 0:
            closed = text.find(closer, at)
            if closed >= 0:
                return closed + len(closer)
    return None


def _refused(why: str) -> FeedError:
    return FeedError(f"refused: the feed's DTD {why} (possible entity-expansion attack)")


def _read_doctype(text: str, start: int) -> tuple[int, dict[str, str]]:
    """(end of the DOCTYPE at `start`, its internal entities as replacement text); FeedError when risky."""
    head = _DOCTYPE_HEAD.match(text, start)  # (case-insensitive, as the old stripping was)
    pos = head.end() if head is not None else start
    if head is None or not text.startswith(("[", ">"), pos):
        # Sloppy, but without an internal subset (no "[" before its ">"): nothing to read, dropped.
        close = _DOCTYPE_END.search(text, start)
        if close is not None and close.group(0) == ">":
            return close.end(), {}
        raise _refused("cannot be read safely")
    if text.startswith(">", pos):
        return pos + 1, {}
    pos += 1
    raw: dict[str, str] = {}
    while True:
        m = _SUBSET_ITEM.match(text, pos)
        if m is None:
            raise _refused(
                "declares parameter entities" if _PE_REFERENCE.match(text, pos) else "cannot be read safely"
            )
        pos = m.end()
        if m.group("close") is not None:
            break
        name = m.group("name")
        if name is None:
            continue  # white space, a comment, an element, attribute list or notation declaration
        if m.group("pe"):
            raise _refused("declares parameter entities")
        literal = _ENTITY_VALUE.fullmatch(m.group("def"))
        if literal is None:
            raise _refused("declares an external entity")  # SYSTEM/PUBLIC, or no quoted value at all
        if len(raw) >= ENTITY_DECLARATIONS_MAX:
            raise _refused(f"declares more than {ENTITY_DECLARATIONS_MAX} entities")
        raw.setdefault(name, literal.group(1) if literal.group(1) is not None else literal.group(2))
    entities: dict[str, str] = {}
    for name, value in raw.items():
        if name in _XML_ENTITIES:
            continue
        if "%" in value:
            raise _refused("uses parameter entities")
        replacement = _ENTITY_REF.sub(lambda m: _reference_text(m, raw), value)
        if len(replacement) > ENTITY_VALUE_MAX:
            raise _refused(f"declares an entity longer than {ENTITY_VALUE_MAX} characters")
        entities[name] = htmllib.escape(replacement, quote=True)
    return pos, entities


def _reference_text(match: re.Match[str], declared: Mapping[str, str]) -> str:
    """What a reference inside an entity value stands for; nested entities are refused."""
    ref = match.group(1)
    if ref.startswith("#"):
        try:
            code = int(ref[2:], 16) if ref[1:2] in ("x", "X") else int(ref[1:])
            return chr(code)
        except (ValueError, OverflowError):
            raise _refused("declares an entity with a bad character reference") from None
    if ref in _XML_ENTITIES:
        return {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}[ref]
    if ref not in declared and ref in name2codepoint:
        return chr(name2codepoint[ref])
    raise _refused("declares entities that use other entities")


def _expand(text: str, start: int, entities: Mapping[str, str]) -> str:
    """`text` with each reference to `entities` replaced once, outside CDATA and comments; bounded in total."""
    out: list[str] = [text[:start]]
    added = 0
    pos = start
    for m in _EXPANDABLE.finditer(text, start):
        if m.start() < pos:
            continue  # inside a CDATA section or comment skipped below
        value = entities.get(m.group(1) or "")
        if m.group(1) is None:
            closer = "]]>" if m.group(0).startswith("<![") else "-->"
            end = text.find(closer, m.end())
            end = len(text) if end < 0 else end + len(closer)
            out.append(text[pos:end])
            pos = end
            continue
        if value is None:
            continue
        added += len(value)
        if added > ENTITY_EXPANSION_MAX:
            raise FeedError(
                f"refused: the feed's entities expand to more than {ENTITY_EXPANSION_MAX} characters "
                "(possible entity-expansion attack)"
            )
        out.append(text[pos : m.start()])
        out.append(value)
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


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
    if "/>" in text:
        text = _SELF_CLOSED.sub(r"<\1\2></\1>", text)
    if "/&gt;" in text:
        text = _SELF_CLOSED_ESCAPED.sub(r"&lt;\1\2&gt;&lt;/\1&gt;", text)
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
    feedparser = _feedparser()
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
    # RFC 4287 4.2.1: an Atom entry without authors takes its source's, else the feed's.
    feed_author = _authors(meta) if str(parsed.get("version") or "").startswith("atom") else None
    ctx.own_base(meta.get("link"))
    site_url = http_url(meta.get("link"), ctx.base)
    lang = meta.get("language") or ctx.http_lang or None
    # An xml:lang on the root shows in the feed's own text details; an entry's then lacking it was cleared
    # by xml:lang="" (feedparser reports both as None).
    scoped = bool((meta.get("title_detail") or meta.get("subtitle_detail") or {}).get("language"))
    ref = FeedRef(title=title, url=ctx.url)
    entries = dedupe(
        (_xml_entry(raw, ref, lang, scoped, feed_author, ctx, n) for n, raw in enumerate(raw_entries)),
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


_PATCHED: list[Any] = []
_PATCHING = threading.Lock()


def preload() -> None:
    """Import and patch feedparser now (a thread started while a run's first requests are in flight):
    otherwise the first feed to arrive imports it, and every other feed thread waits for that import."""
    _feedparser()


def _feedparser() -> Any:
    """feedparser (~80 ms to import: only when there is a feed to parse), with its 6.0.x bugs worked around.

    - `media:description` is stored as the entry's summary (overwriting or displacing the real one, and
      pushing a later <description> into content): it gets its own `media_description` key instead.
    - An Atom <id> is resolved against the base URI as if it were a link: ids are kept as written.

    And costs cut (a quarter of its time on a plain RSS feed), the results unchanged:
    - every element's start joins the base URI in effect with its own (the same, nearly always): the
      joins are remembered;
    - every text element's parameters (type, language, base: strings) are deep-copied: copied flat;
    - HTML text without any markup or reference is not run through its HTML parser to resolve URIs.
    """
    if _PATCHED:
        return _PATCHED[0]
    with _PATCHING:  # threads parse at once: patch once
        if not _PATCHED:
            _PATCHED.append(_patched_feedparser())
    return _PATCHED[0]


def _patched_feedparser() -> Any:
    import copy
    import functools
    import types

    import feedparser
    from feedparser import mixin
    from feedparser.mixin import _FeedParserMixin
    from feedparser.namespaces import mediarss

    mixin._urljoin = functools.lru_cache(maxsize=1024)(mixin._urljoin)
    mixin.make_safe_absolute_uri = functools.lru_cache(maxsize=1024)(mixin.make_safe_absolute_uri)

    def copy_params(params: Any) -> Any:
        if isinstance(params, dict) and all(isinstance(v, (str, type(None))) for v in params.values()):
            return type(params)(params)
        return copy.deepcopy(params)

    mixin.copy = types.SimpleNamespace(deepcopy=copy_params)  # mixin uses copy for these copies only
    resolve = mixin.resolve_relative_uris

    def resolve_relative_uris(source: str, base: str, encoding: str, kind: str) -> Any:
        # text without markup or references has no URIs: feedparser's HTML parser would return it as is
        if isinstance(source, str) and "<" not in source and "&" not in source:
            return source
        return resolve(source, base, encoding, kind)

    mixin.resolve_relative_uris = resolve_relative_uris

    # xml.sax.make_parser(["drv_libxml2"]) searches sys.path for libxml2's old SAX driver at every parse;
    # expat (the default list's one parser, the one every check here is written against) is always used.
    feedparser.api.PREFERRED_XML_PARSERS = []
    # FeedParserDict reads every key through its alias table (`guid` is `id`, `description` is `summary`…)
    # in Python, ~60 times an entry; a key without an alias or special meaning reads as a plain dict's.
    fpd = feedparser.util.FeedParserDict
    aliased = frozenset(fpd.keymap) | {"category", "enclosures", "license", "updated", "updated_parsed"}
    aliased_get, aliased_getitem, aliased_contains = fpd.get, fpd.__getitem__, fpd.__contains__

    def get(self: Any, key: Any, default: Any = None) -> Any:
        return aliased_get(self, key, default) if key in aliased else dict.get(self, key, default)

    def getitem(self: Any, key: Any) -> Any:
        return aliased_getitem(self, key) if key in aliased else dict.__getitem__(self, key)

    def contains(self: Any, key: Any) -> bool:
        return bool(aliased_contains(self, key)) if key in aliased else dict.__contains__(self, key)

    fpd.get, fpd.__getitem__, fpd.__contains__ = get, getitem, contains

    def start_media_description(self: Any, attrs_d: dict[str, str]) -> None:
        self.push_content("media_description", attrs_d, "text/plain", 1)

    def end_media_description(self: Any) -> None:
        self.pop_content("media_description")

    mediarss.Namespace._start_media_description = start_media_description
    mediarss.Namespace._end_media_description = end_media_description
    _FeedParserMixin.can_be_relative_uri = set(_FeedParserMixin.can_be_relative_uri) - {"id"}
    return feedparser


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


def _xml_entry(
    parsed: Any,
    ref: FeedRef,
    feed_lang: str | None,
    scoped: bool,
    feed_author: str | None,
    ctx: FeedContext,
    position: int,
) -> Entry:
    base = ctx.base
    raw: dict[str, Any] = dict(
        parsed
    )  # a plain dict: no key read here has a FeedParserDict alias (but enclosures)
    link = http_url(_entry_link(raw), base)
    title = plain_text(raw.get("title"), raw.get("title_detail"))
    lang = _entry_lang(raw, feed_lang, scoped)
    tz = ctx.zone(lang)
    published_raw = raw.get("published") or raw.get("created")
    updated_raw = raw.get("updated")  # (FeedParserDict's .get("updated") falls back to published, warning)
    published = _date(published_raw, raw.get("published_parsed") or raw.get("created_parsed"), tz)
    updated = _date(updated_raw, raw.get("updated_parsed"), tz)
    if published is None:
        published, updated = updated, None

    content_value, content_type = _best_content(raw)
    html, text = entry_body(content_value, content_type, link or base)
    summary_detail = raw.get("summary_detail") or {}
    description = None
    if raw.get("summary"):
        same = content_value == raw["summary"] and "html" in content_type
        description = text if same else plain_text(raw["summary"], summary_detail)

    source: Mapping[str, Any] = raw["source"] if isinstance(raw.get("source"), Mapping) else {}
    author = _authors(raw) or _authors(source) or feed_author
    source_title = source.get("title")

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
        image=_image(raw, parsed, base),
        categories=categories,
        tags=tags,
        html=html,
        text=text,
        position=position,
    )


_HTML_TYPES = ("text/html", "application/xhtml+xml")


def _entry_link(raw: Any) -> str | None:
    """The entry's page: its first alternate link (HTML ones first), else feedparser's `link`.

    feedparser 6.0.x takes a <link rel="enclosure">URL</link> (URL as text) for the entry's link, and
    an id or a guid for one when there is no link: an id counts only when it is an absolute http(s) URL.
    """
    links = [x for x in raw.get("links") or [] if isinstance(x, Mapping) and isinstance(x.get("href"), str)]
    alternates = [x for x in links if (x.get("rel") or "alternate") == "alternate"]
    html = [x for x in alternates if (x.get("type") or "text/html") in _HTML_TYPES]
    for group in (html, alternates):
        if group:
            return str(group[0]["href"])
    link = raw.get("link")
    if not isinstance(link, str) or any(x.get("href") == link for x in links):
        return None  # only non-alternate links (enclosures, related…): no page
    if raw.get("guidislink") and link == raw.get("id") and not link.startswith(("http://", "https://")):
        return None
    return link


def _entry_lang(raw: Any, feed_lang: str | None, scoped: bool) -> str | None:
    """The entry's dc:language, else the xml:lang in effect on its text, else the feed's language.

    A blank xml:lang="" clears the language inherited from the root: the entry has none.
    """
    if isinstance(raw.get("language"), str) and raw["language"].strip():
        return str(raw["language"].strip())
    details = [raw.get(key) for key in ("title_detail", "summary_detail")] + list(raw.get("content") or [])
    details = [d for d in details if isinstance(d, Mapping)]
    for detail in details:
        if detail.get("language"):
            return str(detail["language"])
    if details and scoped:
        return None
    return feed_lang


def _authors(obj: Mapping[str, Any]) -> str | None:
    """Every author's name (else e-mail) of an entry, source or feed, in order, joined by ", "."""
    names: list[str] = []
    for person in obj.get("authors") or []:
        if isinstance(person, Mapping):
            name = " ".join(str(person.get("name") or person.get("email") or "").split())
            if name and name not in names:
                names.append(name)
    if not names and isinstance(obj.get("author"), str):
        names = [" ".join(obj["author"].split())]
    return ", ".join(n for n in names if n) or None


def _best_content(raw: Any) -> tuple[str | None, str]:
    """The entry's body with its media type: its own content, else its summary, else a media description.

    Of several content elements the longest wins (a feed may carry a plain and an HTML version).
    """
    for candidates in _content_candidates(raw):
        found = [c for c in candidates if isinstance(c[0], str) and c[0].strip()]
        if found:
            return max(found, key=lambda c: len(c[0]))
    return None, "text/html"


def _content_candidates(raw: Mapping[str, Any]) -> Iterator[list[tuple[Any, Any]]]:
    """The entry's content elements, its summary, its media description: each read only when needed."""
    yield [(c.get("value") or "", c.get("type") or "text/html") for c in raw.get("content") or []]
    yield [(raw.get("summary") or "", (raw.get("summary_detail") or {}).get("type") or "text/html")]
    media = raw.get("media_description_detail") or {}
    yield [(raw.get("media_description") or "", media.get("type") or "text/plain")]


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


def _image(raw: Mapping[str, Any], parsed: Any, base: str) -> str | None:
    """The entry's thumbnail, else its image media, else its image enclosure (of `parsed`, its FeedParserDict)."""
    for thumb in raw.get("media_thumbnail") or []:
        if thumb.get("url"):
            return http_url(thumb["url"], base)
    for media in raw.get("media_content") or []:
        if media.get("url") and (
            media.get("medium") == "image" or (media.get("type") or "").startswith("image/")
        ):
            return http_url(media["url"], base)
    for enc in parsed.get("enclosures") or []:
        if (enc.get("type") or "").startswith("image/") and enc.get("href"):
            return http_url(enc["href"], base)
    return None
