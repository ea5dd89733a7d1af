"""Feed entry content as clean HTML and as plain text, and whether it is only a teaser."""

from __future__ import annotations

import functools
import html as htmllib
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml_html_clean import Cleaner

from newscli.page.cleanup import fragment as html_fragment

# A teaser is shorter than this (CJK characters, or words for other scripts).
TEASER_CJK_CHARS = 200
TEASER_WORDS = 60
_TEASER_ENDINGS = ("…", "...", "阅读全文", "全文", "read more", "continue reading", "[…]", "[...]", "更多")

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_SAFE_SCHEME = re.compile(r"(?:https?:|mailto:|//|/|\.|\?|#|[^:/?#]*(?:[/?#]|$))", re.I)
# What makes a fragment more than plain text to the HTML parser (markup, references, CR, controls).
_NOT_PLAIN = re.compile("[<>&\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_WS = re.compile(r"[ \t\r\n\f\v\u00a0\u3000]+")
# An absolute http(s) URL that urljoin and urlsplit give back as it is, whatever the (readable) base: ASCII,
# a host, none of the characters they split on, drop or check (query, fragment, params, brackets, TAB, CR, LF).
PLAIN_HTTP_URL = re.compile(r"https?://[^/?#;\[\]\t\r\n\x80-\U0010ffff][^?#;\[\]\t\r\n\x80-\U0010ffff]*")

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


def is_teaser(entry_html_or_text: str | None) -> bool:
    """Whether feed content is only a teaser: empty, short, or ending in … / 阅读全文 / Read more."""
    if not entry_html_or_text:
        return True
    text = (
        html_to_text(entry_html_or_text)
        if "<" in entry_html_or_text
        else htmllib.unescape(entry_html_or_text)
    )
    return is_teaser_text(text)


def is_teaser_text(text: str | None) -> bool:
    """Whether plain text is only a teaser: empty, short, or ending in … / 阅读全文 / Read more."""
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


def plain_text(value: str | None, detail: Mapping[str, Any] | None) -> str | None:
    """A feed text field as plain text (titles and summaries may be HTML)."""
    if not value:
        return None
    kind = (detail or {}).get("type") or "text/plain"
    text = html_to_text(value) if "html" in kind else _WS.sub(" ", value)
    return text.strip() or None


def entry_body(value: str | None, kind: str, base: str) -> tuple[str | None, str | None]:
    """(clean html, plain text) of entry content; text/plain content stays text and is escaped for html."""
    if not value or not value.strip():
        return None, None
    if "html" not in kind and "xml" not in kind:
        text = value.strip()
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        html = "".join(f"<p>{htmllib.escape(p)}</p>" for p in paragraphs)
        return html, text
    if not _NOT_PLAIN.search(value):
        # no markup, no references: what parsing and cleaning would give, without them (teasers often)
        return htmllib.escape(value.strip()), _WS.sub(" ", value).strip()
    root = _cleaned(value, base)
    html = _serialized(root) if root is not None else ""
    if not html:
        return None, None
    # the text of the cleaned tree itself: the same as re-parsing the html, one parse fewer
    return html, _tree_text(root) or None


def clean_html(fragment: str, base: str | None = None) -> str:
    """An HTML fragment without scripts, styles, event handlers or javascript: links; URLs made absolute."""
    root = _cleaned(fragment, base)
    return _serialized(root) if root is not None else ""


def _cleaned(fragment: str, base: str | None) -> Any:
    try:
        root = html_fragment(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return None
    # cleaned in place: clean_html would clean a deep copy, whose elements lose HTML_PARSER's C-level class
    # lookup (every later walk of the tree then calls lxml.html's Python one per element)
    _CLEANER(root)
    for el in root.iter():
        for attr in ("href", "src"):
            value = el.get(attr)
            # The cleaner blanks javascript: links; a blank href would then resolve to the base URL.
            if value is not None and (not value.strip() or not _SAFE_SCHEME.match(value.strip())):
                del el.attrib[attr]
    if base and "://" in base:
        # make_links_absolute(base, handle_failures="discard"), an absolute link kept without a join
        root.rewrite_links(functools.partial(_absolute_link, base, _readable(base)))
    return root


def _readable(url: str) -> bool:
    try:
        urlsplit(url)
    except ValueError:
        return False
    return True


def _absolute_link(base: str, readable: bool, href: str) -> str | None:
    """`href` joined to `base` (None when that fails: the link is dropped), as make_links_absolute joins."""
    if readable and PLAIN_HTTP_URL.fullmatch(href):
        return href  # what the join gives back for it (a base that cannot be read fails every join)
    try:
        return urljoin(base, href)
    except ValueError:
        return None


def _serialized(root: Any) -> str:
    parts = [htmllib.escape(root.text)] if root.text else []
    parts.extend(etree.tostring(child, encoding="unicode", method="html") for child in root)
    return "".join(parts).strip()


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: one paragraph per block, blank lines between."""
    try:
        root = html_fragment(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return _WS.sub(" ", re.sub(r"<[^>]+>", " ", fragment)).strip()
    return _tree_text(root)


def _tree_text(root: Any) -> str:
    """Plain text of a parsed fragment (its script-like elements are removed from the tree)."""
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
