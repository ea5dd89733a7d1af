"""OPML in and out: the subscription lists feed readers exchange.

Import reads OPML 1.0 and 2.0: feed outlines carry `xmlUrl`; an outline without one that
holds other outlines is a folder, and the folders around a feed become its category,
joined with "/" (`新闻/科技`); without folders the outline's `category` attribute is used.
Files declaring entities or an external DTD are refused (nothing is expanded or loaded).
Export writes OPML 2.0 grouped into folder outlines by category, and keeps each feed's
newscli name and tags in `newscli:` attributes so that a round trip restores them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from newscli.config import FeedConfig, clean_tags, normalise_category
from newscli.errors import UsageError

_BARE_AMP = re.compile(rb"&(?!(?:[A-Za-z_][\w.-]*|#[0-9]+|#x[0-9A-Fa-f]+);)")
_ENTITY_MARKERS = tuple(
    "<!ENTITY".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)
# C0/C1 controls, bidi marks, embeddings, overrides and isolates, line/paragraph separators: what a
# terminal or editor acts on (U+009B is CSI). Dropped from names and titles on import and from all export.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
_TEXT_KEYS = ("title", "text", "category")
NS = "https://newscli.invalid/opml"  # our own attributes; .invalid so it never resolves to anything
_NAME = f"{{{NS}}}name"
_TAGS = f"{{{NS}}}tags"


@dataclass(frozen=True)
class Outline:
    """A leaf outline of an OPML file: a feed when it has `url` (xmlUrl)."""

    url: str | None
    title: str | None = None
    category: str | None = None
    html_url: str | None = None
    name: str | None = None
    tags: tuple[str, ...] = ()


def parse_opml(data: bytes, *, source: str) -> list[Outline]:
    """The leaf outlines of an OPML document, in document order; UsageError when it is not OPML."""
    from lxml import etree  # heavy: only for import

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
        remove_comments=True, remove_pis=True,
    )  # fmt: skip
    if not data.strip():
        raise UsageError("empty file, not OPML", source=source)
    if any(marker in data for marker in _ENTITY_MARKERS):
        # refused before parsing: expanding them is how entity bombs and file disclosure work
        raise UsageError("refusing an OPML file that declares entities (<!ENTITY>)", source=source)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        # exports with a bare & in a URL are common: escape those and try once more
        fixed = _BARE_AMP.sub(b"&amp;", data)
        try:
            root = etree.fromstring(fixed, parser) if fixed != data else None
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            message = re.sub(r"\s*\(<string>, line \d+\)$", "", str(exc))
            raise UsageError(f"not valid XML: {message}", source=source) from None
    docinfo = root.getroottree().docinfo
    dtd = docinfo.internalDTD
    if docinfo.system_url or docinfo.public_id or (dtd is not None and any(True for _ in dtd.iterentities())):
        raise UsageError("refusing an OPML file with an external DTD or entity declarations", source=source)
    if _local(root.tag) != "opml":
        raise UsageError(f"not an OPML file (the document is <{_local(root.tag)}>)", source=source)
    body = next((child for child in root if _local(child.tag) == "body"), None)
    if body is None:
        raise UsageError("not an OPML file (no <body>)", source=source)
    outlines: list[Outline] = []
    # an explicit stack, not recursion: nesting depth is the file's to choose
    stack: list[tuple[Iterator[Any], tuple[str, ...]]] = [(_outlines(body), ())]
    while stack:
        children, folders = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            continue
        attrs = {_attr_key(key): value for key, value in child.attrib.items()}
        for key in (*_TEXT_KEYS, _NAME, _TAGS):
            if key in attrs:
                attrs[key] = _clean(attrs[key])
        title = _text(attrs.get("title")) or _text(attrs.get("text"))
        url = (attrs.get("xmlurl") or "").strip()
        if url or not any(True for _ in _outlines(child)):
            category = "/".join(folders) or _category_attr(attrs.get("category"))
            tags = clean_tags((attrs.get(_TAGS) or "").split(","))
            html_url = (attrs.get("htmlurl") or "").strip() or None
            outlines.append(Outline(url or None, title, category, html_url, _text(attrs.get(_NAME)), tags))
        else:
            stack.append((_outlines(child), (*folders, title) if title else folders))
    return outlines


def _outlines(element: Any) -> Iterator[Any]:
    return (child for child in element if _local(child.tag) == "outline")


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _attr_key(key: str) -> str:
    return key if key.startswith(f"{{{NS}}}") else key.rsplit("}", 1)[-1].lower()


def _clean(value: str) -> str:
    """`value` without the characters of _UNSAFE (the whitespace ones become a space)."""
    return _UNSAFE.sub(lambda m: " " if m.group().isspace() else "", value)


def _text(value: str | None) -> str | None:
    return " ".join(value.split()) or None if value else None


def _category_attr(value: str | None) -> str | None:
    """OPML 2.0 `category`: comma-separated, slash-delimited paths; the first one is the category."""
    if not value:
        return None
    return normalise_category(value.split(",")[0])


def to_opml(
    feeds: Sequence[FeedConfig], *, title: str = "newscli subscriptions", now: datetime | None = None
) -> str:
    """OPML 2.0 text of `feeds`, in folder outlines by category (`a/b` nests b inside a)."""
    root = _Folder()
    for feed in feeds:
        folder = root
        for part in (feed.category or "").split("/"):
            if part:
                folder = folder.folder(part)
        folder.items.append(feed)
    created = format_datetime((now or datetime.now(timezone.utc)).astimezone(timezone.utc), usegmt=True)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<opml version="2.0" xmlns:newscli="{NS}">',
        "  <head>",
        f"    <title>{_escape(title)}</title>",
        f"    <dateCreated>{created}</dateCreated>",
        "  </head>",
        "  <body>",
    ]
    root.render(lines, 2)
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


@dataclass
class _Folder:
    items: list[FeedConfig | tuple[str, _Folder]] = field(default_factory=list)

    def folder(self, name: str) -> _Folder:
        for item in self.items:
            if isinstance(item, tuple) and item[0] == name:
                return item[1]
        sub = _Folder()
        self.items.append((name, sub))
        return sub

    def render(self, lines: list[str], depth: int) -> None:
        pad = "  " * depth
        for item in self.items:
            if isinstance(item, tuple):
                name, sub = item
                lines.append(f'{pad}<outline text="{_escape(name)}" title="{_escape(name)}">')
                sub.render(lines, depth + 1)
                lines.append(f"{pad}</outline>")
                continue
            label = _escape(item.title or item.name)
            attrs = f'type="rss" text="{label}"' + (f' title="{label}"' if item.title else "")
            attrs += f' xmlUrl="{_escape(item.url)}"'
            attrs += f' newscli:name="{_escape(item.name)}"'
            if item.tags:
                attrs += f' newscli:tags="{_escape(",".join(item.tags))}"'
            lines.append(f"{pad}<outline {attrs}/>")


def _escape(text: str) -> str:
    """Text safe inside an XML 1.0 attribute or element and on a terminal: markup escaped; characters
    XML cannot hold and the controls a terminal acts on (C0, C1, bidi, U+2028/9) dropped."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch == '"':
            out.append("&quot;")
        elif ch in "\t\n\r":
            out.append(f"&#{code};")
        elif _UNSAFE.match(ch) or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            continue
        else:
            out.append(ch)
    return "".join(out)


def import_opml(data: bytes, *, source: str, path: Path | None = None) -> tuple[list[FeedConfig], list[str]]:
    """Subscribe to every feed of an OPML file; returns (added, reasons for the outlines skipped)."""
    from newscli.feeds.subscriptions import NewFeed, add_feeds

    outlines = parse_opml(data, source=source)
    skipped: list[str] = []
    items: list[NewFeed] = []
    for outline in outlines:
        if outline.url is None:
            skipped.append(f"{outline.title or '(untitled outline)'}: no xmlUrl, not a feed")
            continue
        # our export writes text=name when a feed has no title: that is no title
        title = outline.title if outline.title != outline.name else None
        items.append(
            NewFeed(
                outline.url,
                name=outline.name,
                title=title,
                category=outline.category,
                tags=outline.tags,
                exact_name=False,
            )
        )
    added, refused = add_feeds(items, path=path)
    return added, skipped + refused
