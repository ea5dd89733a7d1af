"""The page's text as metadata reading sees it: cleaned strings, visible text nodes, and the windows of text
around the headline and the article where bylines, dates and credits sit."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree


class Needled:
    """A pattern that is not searched in a text holding none of its `needles`, literals of which every match
    holds one (the caller's promise). The engine finds a pattern that starts with a literal quickly; one that
    starts with an alternation, an optional group or a class (`(?:本报|总台)?记者…`) it tries at every
    position of the text, and most page texts hold nothing such a pattern needs: `in` says so far sooner."""

    __slots__ = ("pattern", "needles")

    def __init__(self, pattern: str, *needles: str) -> None:
        self.pattern = re.compile(pattern)
        self.needles = needles

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text) if any(n in text for n in self.needles) else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.pattern.finditer(text) if any(n in text for n in self.needles) else iter(())


CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


# How much page text around the headline is searched for bylines, dates and credits.
_WINDOW_BEFORE = 400
_WINDOW_TOP = 3000
_WINDOW_AFTER = 2000
_MAX_NODES = 6000


def clean(text: str | None) -> str:
    """Text with HTML entities unescaped and white space collapsed."""
    return " ".join(html.unescape(text or "").replace("\u00ad", "").split())


# Text of the body in document order. Plain strings, and no per-node predicate: both are much cheaper.
_BODY_TEXT = etree.XPath("//body//text()", smart_strings=False)
_ALL_TEXT = etree.XPath("//text()", smart_strings=False)
_HIDDEN_TEXT = etree.XPath(
    "//script/text() | //style/text() | //noscript/text() | //template/text() | //body//title/text()",
    smart_strings=False,
)


def text_nodes(doc: Any) -> list[str]:
    """The visible text of the page body, node by node, in document order (white space collapsed)."""
    hidden = set(_HIDDEN_TEXT(doc))
    out: list[str] = []
    for text in _BODY_TEXT(doc) or _ALL_TEXT(doc):
        if text in hidden or text.isspace():
            continue
        out.append(" ".join(text.split()))
        if len(out) >= _MAX_NODES:
            break
    return out


def _find_node(nodes: list[str], needle: str, start: int = 0, *, exact_first: bool = False) -> int:
    """Index of the first node holding `needle` (an exact node first when asked); -1 if none."""
    if len(needle) < 4:
        return -1
    limit = min(len(nodes), start + _MAX_NODES)
    if exact_first:
        for i in range(start, limit):
            if nodes[i] == needle:
                return i
    for i in range(start, limit):
        node = nodes[i]
        if needle in node or (len(node) >= 6 and len(node) >= len(needle) // 2 and node in needle):
            return i
    return -1


def _join(nodes: list[str], start: int, stop: int, budget: int, *, backwards: bool = False) -> str:
    """Nodes from start to stop (exclusive), at most about `budget` characters, read away from the article."""
    picked: list[str] = []
    size = 0
    stop = min(stop, len(nodes))
    indexes = range(stop - 1, start - 1, -1) if backwards else range(start, stop)
    for i in indexes:
        picked.append(nodes[i])
        size += len(nodes[i])
        if size > budget:
            break
    return "\n".join(reversed(picked) if backwards else picked)


@dataclass
class Windows:
    """Page text where bylines, dates and credits sit (white-space-collapsed nodes joined by newlines).

    `before`: a few lines above the headline; `header`: from the headline to a little into the article body
    (the top of the page when no headline is found); `after_title`: the two lines under the headline;
    `body_tail`: the end of the article text; `after_body`: what follows it on the page; `lead`: the lines
    just above and at the start of the article text, one node a line (headline, byline, first paragraph).
    """

    before: str = ""
    header: str = ""
    after_title: str = ""
    body_tail: str = ""
    after_body: str = ""
    lead: tuple[str, ...] = ()
    top: str = ""  # the first lines of the page (a blog's name and owner stand there)


def text_windows(nodes: list[str], title: str | None, h1s: list[str], body_text: str | None) -> Windows:
    """The windows of page text around the headline and the article (found by `title` and `body_text`)."""
    title_at = -1
    for needle in [*(h for h in h1s if title and (h in title or title in h)), title or ""]:
        title_at = _find_node(nodes, clean(needle), exact_first=True)
        if title_at >= 0:
            break
    body = " ".join((body_text or "").split())
    body_at = _find_node(nodes, body[:16], max(title_at, 0)) if body else -1
    if body_at < 0 and body and title_at >= 0:
        body_at = _find_node(nodes, body[:16])
    if title_at >= 0 and (body_at < 0 or body_at >= title_at):
        head_start, head_stop = title_at, (body_at + 3 if body_at >= 0 else len(nodes))
    elif body_at >= 0:
        head_start, head_stop = max(0, body_at - 25), body_at + 3
    else:
        head_start, head_stop = 0, len(nodes)
    found = Windows(
        before=_join(nodes, max(0, head_start - 10), head_start, _WINDOW_BEFORE, backwards=True),
        header=_join(nodes, head_start, head_stop, _WINDOW_AFTER),
        after_title="\n".join(nodes[title_at + 1 : title_at + 3]) if title_at >= 0 else "",
        body_tail=body[-300:],
        top=_join(nodes, 0, min(len(nodes), 200), _WINDOW_TOP),
    )
    lead_at = body_at
    if lead_at < 0 and body:
        # The article's first line alone (a short headline) when its first characters span several nodes.
        first = " ".join((body_text or "").strip().split("\n", 1)[0].split())
        lead_at = _find_node(nodes, first[:16], max(title_at, 0), exact_first=True)
    if lead_at >= 0:
        found.lead = tuple(nodes[max(0, lead_at - 8) : lead_at + 6])
    if body:
        end_at = _find_node(nodes, body[-16:].strip(), max(body_at, 0))
        if end_at >= 0:
            found.after_body = _join(nodes, end_at + 1, len(nodes), 300)
    return found
