"""Cleaned article HTML → Markdown that kramdown (Jekyll) and goldmark (Hugo) both read the same way.

A small converter over lxml: paragraphs, headings, emphasis, links, images, nested lists,
blockquotes, code, tables, line breaks. Text is escaped where Markdown would read it as
markup; CJK text passes through untouched. Output is deterministic (golden-testable).
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # lxml is imported where HTML is converted: a digest rerun with nothing new never loads it
    from lxml import etree

BLOCK_TAGS = frozenset(
    "address article aside blockquote body center dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main nav ol p pre section summary table "
    "tbody td tfoot th thead tr ul".split()
)
SKIP_TAGS = frozenset("script style noscript template head title iframe object embed svg math button".split())
_SAFE_SCHEMES = ("http:", "https:", "mailto:", "ftp:", "//", "/", "#", "./", "../", "?")
_WS = re.compile(r"[ \t\n\r\f]+")
_SPACES = re.compile(" {2,}")
# a `{` that opens Liquid (`{{`, `{%`), a Hugo shortcode (`{{<`, `{{%`) or a kramdown attribute list (`{:`)
_BRACE_OPENER = re.compile(r"\{(?=[{%:])")
_TYPO_RUN = re.compile(r"-{2,}|\.{3,}|>{2,}|\${2,}")
_ENTITY_LIKE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_ORDERED = re.compile(r"^(\d{1,9})([.)])(?= |$)")
_RULE_LIKE = re.compile(r"^[-=_ ]+$")
_URL_SPACES = re.compile(r"[\x00-\x20]")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BR = "\x00br\x00"  # placeholder for a hard break until the paragraph is assembled
HARD_BREAK = _BR


def protect_braces(text: str) -> str:
    """`text` with each `{` that would open Liquid, a shortcode or `{:` written `&#123;` (Markdown and HTML show `{`)."""
    return _BRACE_OPENER.sub("&#123;", text)


def _typography_runs(text: str) -> str:
    # kramdown and Hugo's Goldmark turn `"`, `'` (escaped by _BACKSLASHED), `--`, `...`, `<<`, `>>` into
    # curly quotes, dashes, an ellipsis and guillemets; escaped, each shows as written (`$$`: kramdown's math)
    if "--" in text or "..." in text or ">>" in text or "$$" in text:
        text = _TYPO_RUN.sub(lambda m: re.sub(r"([-.>$])", r"\\\1", m.group(0)), text)
    # `~`: Goldmark's strikethrough; kramdown has no `\~`
    return text.replace("~", "&#126;") if "~" in text else text


# one pass for the characters escaped by a backslash: Markdown's inline marks (`|`: kramdown reads a line
# with one as a table row), then the typographic quotes
_BACKSLASHED = str.maketrans({c: "\\" + c for c in "\\`*_[]<|\"'"})


def escape_text(text: str) -> str:
    """Escape characters Markdown (or a site generator's template language) would read as markup."""
    # (each step only where its characters occur: this runs on every text node of every post)
    text = text.translate(_BACKSLASHED)
    if "&" in text:  # `&amp;` rather than `\&`: kramdown does not take `\&` as an escape
        text = _ENTITY_LIKE.sub("&amp;", text)
    text = _typography_runs(text)
    return _BRACE_OPENER.sub("&#123;", text) if "{" in text else text


def _escape_line_start(line: str) -> str:
    if not line:
        return line
    first = line[0]
    if first in "#>:" or first == "|":  # `:` opens a definition (kramdown, Hugo's Goldmark)
        return "\\" + line
    if _RULE_LIKE.match(line) and len(line) > 1:
        # `\---` would show as `-–` (typographic dashes): escape every mark of a rule-like line
        return re.sub(r"([-=])", r"\\\1", line)
    if first in "-+=" and (len(line) == 1 or line[1] == " "):
        return "\\" + line
    m = _ORDERED.match(line)
    if m:
        return m.group(1) + "\\" + line[len(m.group(1)) :]
    return line


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def _is_space(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) == "Zs"


def _plain_edge(ch: str) -> bool:
    """A character that may stand outside emphasis markers as it is (not part of an escape or markup)."""
    return (_is_punct(ch) or _is_space(ch)) and ch not in "\\`[]()!<>&*_|{}#;"


def _safe_url(url: str | None) -> str | None:
    if not url:
        return None
    url = url.strip()
    lower = _URL_SPACES.sub("", url).lower()
    if ":" in lower.split("/", 1)[0] and not lower.startswith(_SAFE_SCHEMES):
        return None  # javascript:, data:, vbscript: … never become live links
    return url.replace("{", "%7B").replace("}", "%7D")  # the same URL, and no Liquid or shortcode


_DEST_ESCAPES = {
    " ": "%20",
    "\t": "%09",
    "\n": "%0A",
    "\r": "%0D",
    "(": "%28",
    ")": "%29",
    "<": "%3C",
    ">": "%3E",
    "|": "%7C",
}


def _dest(url: str) -> str:
    # percent-encoded, the same URL: kramdown knows no `<...>` destinations, and `|` would split a table row
    return re.sub(r"[\s()<>|]", lambda m: _DEST_ESCAPES.get(m.group(0), "%20"), url)


def _code_span(text: str) -> str:
    text = _WS.sub(" ", text)
    if not text:
        return ""
    runs = [len(r) for r in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def inline_text(text: str) -> str:
    """A text node of inline content as the converter writes it: white space collapsed, markup escaped."""
    return escape_text(_WS.sub(" ", text) if "  " in text or not text.isprintable() else text)


def link_markdown(text: str, href: str | None, title: str | None = None) -> str:
    """A link whose content is `text` (inline Markdown): `[text](href "title")`, an autolink, or the text
    alone when the URL may not be a live link."""
    text = text.strip(" ")
    url = _safe_url(href)
    if url is None or url.startswith("#") and not text:
        return text
    if not text:
        return f"<{url}>" if re.fullmatch(r"(https?|ftp)://[^\s<>]+", url) else ""
    suffix = (
        ' "' + protect_braces(title.replace("\\", "\\\\").replace('"', '\\"')) + '"'
        if title and title.strip()
        else ""
    )
    return f"[{text}]({_dest(url)}{suffix})"


def heading_markdown(level: int, text: str) -> str:
    """A heading whose content is `text` (inline Markdown); '' when it has no text."""
    text = _WS.sub(" ", text.replace(_BR, " ")).strip()
    return ("#" * level) + " " + text if text else ""


def paragraph_markdown(text: str) -> str:
    """Inline Markdown (hard breaks as HARD_BREAK) as a paragraph: lines trimmed, their starts escaped."""
    if not text.strip():
        return ""  # the white space between blocks
    lines = [(_SPACES.sub(" ", line) if "  " in line else line).strip(" ") for line in text.split(_BR)]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    lines = [_escape_line_start(line) for line in lines]
    return "  \n".join(lines)


def list_item(marker: str, parts: list[str]) -> str:
    """A list item (`- `, `1. `) made of Markdown blocks, its later lines indented under the marker."""
    pad = " " * len(marker)
    parts = [p for p in parts if p.strip()]
    # a sub-list right after the item's text keeps the list tight
    body = "".join(
        ("" if i == 0 else "\n" if re.match(r"(- |\d+\. )", p) else "\n\n") + p for i, p in enumerate(parts)
    )
    lines = body.split("\n")
    text = marker + lines[0] + "".join("\n" + (pad + line if line else "") for line in lines[1:])
    return text.rstrip()


def strip_controls(text: str) -> str:
    """`text` without the control characters no post keeps (html_to_markdown drops them first)."""
    return _CONTROLS.sub("", text)


class _Converter:
    def __init__(self) -> None:
        self.handlers: dict[str, Callable[[etree._Element], str]] = {
            "strong": lambda el: self._wrap(el, "**"),
            "b": lambda el: self._wrap(el, "**"),
            "em": lambda el: self._wrap(el, "*"),
            "i": lambda el: self._wrap(el, "*"),
            "cite": lambda el: self._wrap(el, "*"),
            "code": self._code,
            "kbd": self._code,
            "samp": self._code,
            "tt": self._code,
            "a": self._link,
            "img": self._image,
            "br": lambda el: _BR,
        }

    # ---- inline ----------------------------------------------------------------

    def inline(self, el: etree._Element) -> str:
        """Children of `el` (text, inline elements, tails) as one inline string."""
        parts = [escape_text(_WS.sub(" ", el.text))] if el.text else []
        for child in el:
            parts.append(self.inline_element(child))
            if child.tail:
                parts.append(escape_text(_WS.sub(" ", child.tail)))
        return "".join(parts)

    def inline_element(self, el: etree._Element) -> str:
        tag = el.tag
        if not isinstance(tag, str):  # comments, processing instructions
            return ""
        tag = tag.lower()
        if tag in SKIP_TAGS:
            return ""
        handler = self.handlers.get(tag)
        if handler is not None:
            return handler(el)
        if tag in BLOCK_TAGS:
            # a block inside inline content (a <div> in an <a>): keep its words apart
            return " " + self.inline(el) + " "
        return self.inline(el)

    def _wrap(self, el: etree._Element, mark: str) -> str:
        inner = self.inline(el)
        if not inner.replace(_BR, "").strip():
            return inner
        # CommonMark opens `**` only before a non-space and, after a letter, a non-punctuation
        # character (`中**“引擎”**中` and `**　　小标题**` stay literal asterisks): move the
        # spaces, breaks and punctuation at the edges outside the markers
        start, end = 0, len(inner)
        while start < end and (inner.startswith(_BR, start) or _plain_edge(inner[start])):
            start += len(_BR) if inner.startswith(_BR, start) else 1
        while end > start and (inner.endswith(_BR, 0, end) or _plain_edge(inner[end - 1])):
            end -= len(_BR) if inner.endswith(_BR, 0, end) else 1
        core = inner[start:end]
        if not core:
            return inner
        if _is_punct(core[0]) or _is_punct(core[-1]):
            # a link, code span or escape at the edge: markers there might not open; keep the text
            return inner
        return f"{inner[:start]}{mark}{core}{mark}{inner[end:]}"

    def _code(self, el: etree._Element) -> str:
        return _code_span(el.text_content())

    def _link(self, el: etree._Element) -> str:
        return link_markdown(self.inline(el), el.get("href"), el.get("title"))

    def _image(self, el: etree._Element) -> str:
        src = _safe_url(el.get("src"))
        if src is None:
            return ""
        alt = escape_text(_WS.sub(" ", el.get("alt") or "").strip())
        return f"![{alt}]({_dest(src)})"

    # ---- blocks ----------------------------------------------------------------

    def blocks(self, el: etree._Element) -> list[str]:
        """Children of `el` as a list of Markdown blocks."""
        out: list[str] = []
        run: list[str] = []

        def flush() -> None:
            para = self._paragraph("".join(run))
            if para:
                out.append(para)
            run.clear()

        if el.text:
            run.append(escape_text(_WS.sub(" ", el.text)))
        for child in el:
            tag = child.tag.lower() if isinstance(child.tag, str) else ""
            if tag in BLOCK_TAGS:
                flush()
                out.extend(self.block(child))
            elif tag:
                run.append(self.inline_element(child))
            if child.tail:
                run.append(escape_text(_WS.sub(" ", child.tail)))
        flush()
        return out

    def _paragraph(self, text: str) -> str:
        return paragraph_markdown(text)

    def block(self, el: etree._Element) -> list[str]:
        tag = el.tag.lower()
        if tag in SKIP_TAGS:
            return []
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = heading_markdown(int(tag[1]), self.inline(el))
            return [text] if text else []
        if tag == "hr":
            return ["* * *"]
        if tag == "pre":
            return [self._pre(el)]
        if tag in ("ul", "ol"):
            return [self._list(el)] if len(el) else []
        if tag == "blockquote":
            inner = "\n\n".join(self.blocks(el))
            return ["\n".join(("> " + line) if line else ">" for line in inner.split("\n"))] if inner else []
        if tag == "table":
            return self._table(el)
        if tag == "dt":
            text = self._paragraph(self.inline(el))
            return [f"**{text}**" if text and not _is_punct(text[0]) and not _is_punct(text[-1]) else text]
        return self.blocks(el)

    def _pre(self, el: etree._Element) -> str:
        code = el.text_content().rstrip("\n")
        classes = (el.get("class") or "") + " " + " ".join(c.get("class") or "" for c in el.iter("code"))
        m = re.search(r"(?:language|lang)-([\w+#.-]+)", classes)
        runs = [len(r) for r in re.findall(r"`{3,}", code)]
        fence = "`" * max(3, max(runs, default=0) + 1)
        return f"{fence}{m.group(1) if m else ''}\n{code}\n{fence}"

    def _list(self, el: etree._Element) -> str:
        ordered = el.tag.lower() == "ol"
        try:
            number = int(el.get("start") or 1)
        except ValueError:
            number = 1
        items: list[str] = []
        for child in el:
            if not isinstance(child.tag, str) or child.tag.lower() in SKIP_TAGS:
                continue
            if child.tag.lower() == "li":
                parts = self.blocks(child)
            else:
                parts = self.block(child) if child.tag.lower() in BLOCK_TAGS else [self.inline_element(child)]
            marker = f"{number}. " if ordered else "- "
            number += 1
            items.append(list_item(marker, parts))
        return "\n".join(items)

    def _table(self, el: etree._Element) -> list[str]:
        rows = [tr for tr in el.iter("tr") if _owner_table(tr) is el]  # not the rows of nested tables
        cells = [
            [td for td in tr if isinstance(td.tag, str) and td.tag.lower() in ("td", "th")] for tr in rows
        ]
        if _is_layout(el, cells):
            # a table that lays out the page (old sites hold the article in one): its cells' content, in order
            return [b for row in cells for td in row for b in self.blocks(td)]
        texts = [
            [
                _WS.sub(" ", re.sub(r"(?<!\\)\|", r"\\|", self.inline(td).replace(_BR, " ")).strip())
                for td in row
            ]
            for row in cells
        ]
        texts = [row for row in texts if row]
        if not texts:
            return []
        width = max(len(r) for r in texts)
        texts = [r + [""] * (width - len(r)) for r in texts]
        lines = ["| " + " | ".join(texts[0]) + " |", "|" + "---|" * width]
        lines += ["| " + " | ".join(r) + " |" for r in texts[1:]]
        return ["\n".join(lines)]


_LAYOUT_INSIDE = frozenset(
    "table p div ul ol dl pre blockquote h1 h2 h3 h4 h5 h6 hr form section article".split()
)


def _owner_table(el: etree._Element) -> etree._Element | None:
    parent = el.getparent()
    while parent is not None and not (isinstance(parent.tag, str) and parent.tag.lower() == "table"):
        parent = parent.getparent()
    return parent


def _is_layout(table: etree._Element, cells: list[list[etree._Element]]) -> bool:
    """A table that holds blocks (paragraphs, lists, other tables) or a single cell lays a page out."""
    if len(cells) <= 1 or all(sum(1 for td in row if td.text_content().strip()) <= 1 for row in cells):
        return True  # one row, or one filled cell a row: text laid out, not data in columns
    for row in cells:
        for td in row:
            for inner in td.iter():
                if inner is not td and isinstance(inner.tag, str) and inner.tag.lower() in _LAYOUT_INSIDE:
                    return True
    return False


_TABLE_PARTS = frozenset("tr td th tbody thead tfoot caption colgroup col".split())


def unwrap_stray_table_parts(html: str) -> str:
    """`html` without table rows and cells that stand outside any table (an article extracted from a `<tr>`).

    Unchanged, byte for byte, when it has none.
    """
    if not re.search(r"<(?:tr|td|th|tbody|thead|tfoot|caption|colgroup|col)[\s>/]", html, re.IGNORECASE):
        return html
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return html
    stray = [
        el
        for el in root.iter()
        if isinstance(el.tag, str) and el.tag.lower() in _TABLE_PARTS and _owner_table(el) is None
    ]
    if not stray:
        return html
    for el in stray:
        el.drop_tag()
    # one <div> around it all: kramdown reads one HTML block, never an indented line as code
    return str(lxml.html.tostring(root, encoding="unicode"))


def html_to_markdown(html: str) -> str:
    """Convert an HTML fragment (or page) to Markdown; '' for empty input."""
    html = _CONTROLS.sub("", html) if html else ""  # lxml rejects some, and none belong in a post
    if not html.strip():
        return ""
    from lxml import etree

    from newscli.page.cleanup import fragment

    try:
        root = fragment(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return ""
    blocks = _Converter().blocks(root)
    return "\n\n".join(b for b in blocks if b.strip())


def text_to_html(text: str) -> str:
    """Plain text (paragraphs separated by blank lines) as escaped HTML paragraphs."""
    paras = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join("<p>" + html_lib.escape(p).replace("\n", "<br>") + "</p>" for p in paras)


def text_to_markdown(text: str) -> str:
    """Plain text (paragraphs separated by blank lines) as escaped Markdown."""
    return html_to_markdown(text_to_html(text))
