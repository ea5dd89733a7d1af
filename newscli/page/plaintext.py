"""A cleaned body as plain text: blocks separated by blank lines, no space added between CJK characters."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from newscli.page.cleanup import BLOCK_KEEP, OTHER_SPACES, SPACES

TEXT_BLOCKS = BLOCK_KEEP | {"div", "h1"}
_CJK = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_CJK_BREAK = re.compile(rf"(?<=[{_CJK}])[ \t\r\f\v]*\n\s*(?=[{_CJK}])")


def html_to_text(root: HtmlElement, *, skip_captions: bool = True) -> str:
    """Plain text: blocks separated by one blank line, inline white space collapsed, none added between CJK."""
    blocks: list[str] = []
    current: list[str] = []

    def end_block() -> None:
        if current:
            joined = _collapse("".join(current))
            if joined:
                blocks.append(joined)
            current.clear()

    def walk(el: HtmlElement) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "figcaption" and skip_captions:
            return
        if tag == "pre":
            end_block()
            pre = el.text_content().strip("\n")
            if pre.strip():
                blocks.append(pre)
            return
        if tag == "br":
            current.append("\x00")
        elif tag in TEXT_BLOCKS:
            end_block()
        if tag in ("td", "th"):
            current.append(" ")
        if el.text and tag:
            current.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                current.append(child.tail)
        if tag in TEXT_BLOCKS:
            end_block()

    walk(root)
    end_block()
    return "\n\n".join(blocks)


def _collapse(text: str) -> str:
    # A line break between two CJK characters is no space (CSS Text 3 segment breaks).
    if "\n" in text:
        text = _CJK_BREAK.sub("", text)
    if OTHER_SPACES.search(text):
        lines = [SPACES.sub(" ", line).strip() for line in text.split("\x00")]
    else:  # the same, by str.split: without those, the white space it splits on is SPACES' own
        lines = [" ".join(line.split()) for line in text.split("\x00")]
    return "\n".join(line for line in lines if line).strip()
