"""Output: Rich, plain text, JSON/NDJSON, HTML. The one boundary that sanitises what reaches a terminal.

Article content is hostile data: control characters, ANSI/OSC escapes, bidi
overrides and Rich markup in titles must print inert. Everything written to
stdout or stderr as text passes through `clean()`; JSON escapes what `clean()`
would strip, so the data survives but no escape byte reaches the stream.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import IO, Any

# C0 but tab and newline, DEL, C1, bidi embeddings/overrides/isolates, and the line/paragraph separators
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def clean(text: str | None) -> str:
    """Text safe for a terminal: control, C1 and bidi characters removed (CR becomes a newline)."""
    if not text:
        return ""
    return _UNSAFE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def say(message: str) -> None:
    """A diagnostic line on stderr (`newscli: …`), sanitised like everything else that reaches a terminal."""
    sys.stderr.write(f"newscli: {clean(message)}\n")
    sys.stderr.flush()


def to_json(obj: Any, *, indent: int | None = None) -> str:
    """JSON text with C1 and bidi controls escaped too (json escapes only C0)."""
    import json  # not at import: `feeds list --names` (completion) needs only clean()

    text = json.dumps(obj, ensure_ascii=False, indent=indent)
    if not text.isascii():  # a lone surrogate (an argument in an unknown encoding) cannot be written
        text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def local_time(value: datetime | None, tz: tzinfo | None = None) -> str:
    """A date for people: in the reader's zone (or `tz`), to the minute, with the offset."""
    if value is None:
        return ""
    shown = value.astimezone(tz)
    return shown.strftime("%Y-%m-%d %H:%M %z").strip()


def meta_line(record: dict[str, Any], published: datetime | None) -> str:
    """source · author · date, what is known of it."""
    parts = [record.get("source") or record.get("site_name"), record.get("author"), local_time(published)]
    return " · ".join(clean(str(p)) for p in parts if p)


class JsonArrayWriter:
    """`--format json`: one array, written record by record so a pipe sees progress."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.count = 0

    def write(self, record: dict[str, Any]) -> None:
        self.out.write(("[\n" if self.count == 0 else ",\n") + to_json(record, indent=2))
        self.out.flush()
        self.count += 1

    def close(self) -> None:
        self.out.write("[]\n" if self.count == 0 else "\n]\n")
        self.out.flush()


def ndjson_line(record: dict[str, Any]) -> str:
    """One NDJSON line (newline included)."""
    return to_json(record) + "\n"


def shown_url(record: dict[str, Any]) -> str:
    """The URL line of the text and rich views: a local file as it was typed, not its file:// URL
    (which depends on where it lives); JSON keeps the URL."""
    url = record.get("url") or ""
    given = record.get("input") or ""
    if url.startswith("file:") and given and "://" not in given and given != "-":
        return clean(given)
    return clean(url)


def text_block(record: dict[str, Any], published: datetime | None) -> str:
    """`--format text`: title, metadata line, URL, blank line, body paragraphs."""
    lines = [clean(record.get("title")) or "(untitled)"]
    meta = meta_line(record, published)
    if meta:
        lines.append(meta)
    if record.get("url"):
        lines.append(shown_url(record))
    body = clean(record.get("text")) or clean(record.get("description"))
    return "\n".join(lines) + ("\n\n" + body if body else "") + "\n"


def html_block(record: dict[str, Any]) -> str:
    """`--format html`: the cleaned body in an <article>, with its title."""
    from html import escape

    title = escape(clean(record.get("title")))
    url = escape(clean(record.get("url") or ""), quote=True)
    head = f'<h1><a href="{url}">{title}</a></h1>' if url else f"<h1>{title}</h1>"
    return f"<article>\n{head}\n{clean(record.get('html'))}\n</article>\n"


_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


def body_blocks(record: dict[str, Any]) -> list[tuple[str, str]]:
    """The body as (text, style) blocks for the rich view: headings and bold-only paragraphs bold,
    list items bulleted, quotes dimmed. Falls back to the plain-text paragraphs."""
    html = record.get("html")
    if html:
        try:
            blocks = _html_blocks(html)
        except ValueError:
            blocks = []
        if blocks:
            return blocks
    body = clean(record.get("text")) or clean(record.get("description"))
    return [(p.strip(), "") for p in body.split("\n\n") if p.strip()]


def _html_blocks(html: str) -> list[tuple[str, str]]:
    import lxml.html

    from newscli.page.extract import html_to_text  # the pipeline's own text rules (no spaces between Han)

    root = lxml.html.fragment_fromstring(html, create_parent="div")
    blocks: list[tuple[str, str]] = []

    def words(el: Any) -> str:
        return clean(html_to_text(el)).replace("\n\n", " ")

    def walk(el: Any, quote: bool) -> None:
        for child in el:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag in ("ul", "ol", "div", "section", "figure", "table", "tbody", "thead"):
                walk(child, quote)
            elif tag == "blockquote" and len(child):
                walk(child, True)
            elif tag:
                text = words(child)
                if not text or tag in ("img", "figcaption", "br"):
                    continue
                bold = tag in _HEADINGS or _only_bold(child)
                prefix = "• " if tag == "li" else ("│ " if quote else "")
                style = "bold" if bold else ("italic dim" if quote else "")
                blocks.append((prefix + text, style))

    walk(root, False)
    return blocks


def _only_bold(el: Any) -> bool:
    """A paragraph that is nothing but <strong>/<b> text: a subhead in Chinese news."""
    kids = [k for k in el if isinstance(k.tag, str)]
    return (
        len(kids) == 1
        and kids[0].tag in ("strong", "b")
        and not (el.text or "").strip()
        and not (kids[0].tail or "").strip()
    )


def rich_printer(
    file: IO[str] | None = None, *, width: int | None = None
) -> Callable[[dict[str, Any], datetime | None], None]:
    """`--format rich`: a function printing one record readably (markup, emoji and highlighting off)."""
    from rich.console import Console
    from rich.rule import Rule
    from rich.text import Text

    console = Console(file=file, width=width, highlight=False, emoji=False, markup=False, soft_wrap=False)
    first = [True]

    def show(record: dict[str, Any], published: datetime | None) -> None:
        if not first[0]:
            console.print(Rule(style="dim"))
        first[0] = False
        console.print(Text(clean(record.get("title")) or "(untitled)", style="bold"))
        meta = meta_line(record, published)
        if meta:
            console.print(Text(meta, style="cyan"))
        if record.get("url"):
            console.print(Text(shown_url(record), style="dim"))  # shown as text, never a live link
        for text, style in body_blocks(record):
            console.print()
            console.print(Text(text, style=style))
        console.print()

    return show
