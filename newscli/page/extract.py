"""The article in a page: readability-lxml picks the body, then a structural clean-up and plain text."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

import lxml.etree
import lxml.html
from lxml.html import HtmlElement
from readability import Document
from readability.readability import Unparseable, clean

from newscli.errors import ExtractError
from newscli.models import Article
from newscli.page import metadata
from newscli.page.cleanup import BLOCKISH, DROP, SPACES, clean_body
from newscli.page.plaintext import TEXT_BLOCKS, html_to_text

# readability takes ~7 s on 0.5 MB and ~78 s on 5 MB of HTML: it never sees more than this.
MAX_HTML_CHARS = 2_000_000
# A body shorter than this (in characters of text) is no article.
MIN_BODY_CHARS = 20

log = logging.getLogger(__name__)

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# `<meta charset="utf-8, ie=edge">` and friends: keep only the first token, the part browsers use.
_META_CHARSET = re.compile(r"""(<meta[^>]*?\bcharset\s*=\s*["']?)([^"'>]*)""", re.I)
# what lxml takes from the parser but refuses to set again (text of a dropped tag): controls, surrogates,
# the non-characters U+FFFE/U+FFFF
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_COMMAS = re.compile("[,，、]")
_BAD_SCHEMES = ("javascript:", "data:", "vbscript:")


def extract_article(text: str, url: str, *, tz_override: str | None = None) -> Article:
    """The article in page `text` fetched from `url`; ExtractError when there is none."""
    doc = parse_page(text, url)
    try:
        body = _readability_body(doc, url)
    except Unparseable as exc:
        log.debug("readability failed on %s: %s", url, exc)
        raise ExtractError("no article found", source=url) from None
    return _article(doc, body, url, tz_override=tz_override)


def quick_article(text: str, url: str, *, tz_override: str | None = None) -> Article:
    """A cheap, linear-time extraction (the block holding the most paragraph text) for when readability is too slow."""
    doc = parse_page(text, url)
    work = copy.deepcopy(doc)
    for el in list(work.iter(*DROP, "header", "footer")):
        el.drop_tree()
    scores: dict[HtmlElement, int] = {}
    for el in work.iter("p", "div", "td", "li", "pre", "blockquote"):
        parent = el.getparent()
        if parent is None or el.tag != "p" and any(isinstance(c.tag, str) and c.tag in BLOCKISH for c in el):
            continue
        scores[parent] = scores.get(parent, 0) + len(SPACES.sub("", el.text_content()))
    body = work.find("body")
    best = max(scores, key=lambda el: scores[el]) if scores else body if body is not None else work
    return _article(doc, best, url, tz_override=tz_override)


def parse_page(text: str, url: str) -> HtmlElement:
    """Parse page text with lxml.html (capped at MAX_HTML_CHARS); ExtractError for nothing parseable."""
    if not text or not text.strip():
        raise ExtractError("no article found", source=url)
    text = _CONTROL.sub("", text[:MAX_HTML_CHARS])
    # lxml refuses str input that carries an encoding declaration.
    text = _XML_DECL.sub("", text, count=1)
    text = _META_CHARSET.sub(
        lambda m: m.group(1) + re.split(r"[\s,;]", m.group(2).strip(), maxsplit=1)[0], text
    )
    try:
        doc = lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError) as exc:
        log.debug("lxml failed on %s: %s", url, exc)
        raise ExtractError("no article found", source=url) from None
    if not isinstance(doc, HtmlElement) or doc.find("body") is None and not len(doc):
        raise ExtractError("no article found", source=url)
    _fix_tag_names(doc)
    return doc


_TAG_START = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def _fix_tag_names(doc: HtmlElement) -> None:
    """Tags libxml2 kept but lxml will not set again (`<div<p>` makes a tag `div<p`): renamed to their
    leading name, so every later rename (clean-up, readability) works on valid names."""
    for el in doc.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        try:
            el.tag = tag
        except ValueError:
            match = _TAG_START.match(tag)
            el.tag = match.group(0).lower() if match else "span"


class _Readability(Document):  # type: ignore[misc]
    """readability-lxml on a tree parsed once: no re-parsing, no encoding guesses, no attribute regex pass."""

    def __init__(self, tree: HtmlElement, url: str) -> None:
        super().__init__("", url=url)
        self._tree = tree
        self.article_node: HtmlElement | None = None

    def _parse(self, input: Any) -> HtmlElement:
        tree = copy.deepcopy(self._tree)
        # readability blanks javascript: links and then resolves "" to the page's own URL.
        for a in list(tree.iter("a")):
            href = "".join((a.get("href") or "").split()).lower()
            if a.get("href") is not None and (not href or href.startswith(_BAD_SCHEMES)):
                a.drop_tag()
        return super()._parse(tree)

    def score_paragraphs(self) -> dict[HtmlElement, dict[str, Any]]:
        """readability's scoring, with Chinese commas counted as commas (it only counts ASCII ones)."""
        candidates: dict[HtmlElement, dict[str, Any]] = {}
        ordered = []
        for elem in self.tags(self._html(), "p", "pre", "td", "blockquote"):
            parent = elem.getparent()
            if parent is None:
                continue
            grand_parent = parent.getparent()
            inner_text = clean(elem.text_content() or "")
            if len(inner_text) < self.min_text_length:
                continue
            for node in (parent, grand_parent):
                if node is not None and node not in candidates:
                    candidates[node] = self.score_node(node)
                    ordered.append(node)
            score = 1 + 1 + len(_COMMAS.findall(inner_text)) + min(len(inner_text) / 100, 3)
            candidates[parent]["content_score"] += score
            if grand_parent is not None:
                candidates[grand_parent]["content_score"] += score / 2.0
        for node in ordered:
            candidates[node]["content_score"] *= 1 - self.get_link_density(node)
        return candidates

    def get_clean_html(self) -> str:
        self.article_node = self.html
        return str(lxml.etree.tounicode(self.html, method="html"))


def _readability_body(doc: HtmlElement, url: str) -> HtmlElement:
    reader = _Readability(doc, url)
    reader.summary(html_partial=True)
    if reader.article_node is None:
        raise Unparseable("no summary")
    return reader.article_node


def _article(doc: HtmlElement, body: HtmlElement, url: str, *, tz_override: str | None) -> Article:
    body = clean_body(body, url)
    text = html_to_text(body)
    if len(SPACES.sub("", text)) < MIN_BODY_CHARS:
        raise ExtractError("no article found", source=url)
    html = "\n".join(lxml.etree.tounicode(child, method="html").strip() for child in body)
    meta = metadata.read_metadata(doc, url, tz_override=tz_override, body_text=text)
    page_url = meta.canonical_url or url
    title = meta.title or _short_title(doc) or None
    if _drop_lead_repeats(body, title, meta.author):
        text = html_to_text(body)
        html = "\n".join(lxml.etree.tounicode(child, method="html").strip() for child in body)
    return Article(
        url=page_url,
        id=page_url,
        title=title,
        author=meta.author,
        published=meta.published,
        updated=meta.updated,
        site_name=meta.site_name,
        source=meta.source or meta.site_name,
        lang=meta.lang,
        description=meta.description,
        image=meta.image,
        categories=meta.categories,
        tags=meta.tags,
        text=text,
        html=html,
    )


# A line that is the article's metadata (date, source, byline labels) or a comment button, not its text.
_LEAD_META = re.compile(
    r"^(?:发表评论|我要评论|打印|关闭|分享到?)$|(?:19|20)\d\d[-/.年]\d{1,2}[-/.月]\d{1,2}.{0,30}(?:来源|作者|更新|发布|编辑)"
    r"|^(?:来源|作者|发布时间|时间|编辑)[:：]"
)


def _drop_lead_repeats(body: HtmlElement, title: str | None, author: str | None) -> bool:
    """Drop the headline and byline lines that open the body when they repeat the title and author shown apart.

    Up to the last of the first three text blocks that is the title or the author, when all blocks up to there
    are short lines (a headline the metadata read differently, a kicker) and the body keeps some text.
    """
    repeats = {SPACES.sub("", t).casefold() for t in (title, author) if t}
    if not repeats:
        return False
    lead: list[HtmlElement] = []
    keys: list[str] = []
    for el in body.iter(*TEXT_BLOCKS):
        if any(isinstance(c.tag, str) and c.tag in TEXT_BLOCKS for c in el.iterdescendants()):
            continue
        key = SPACES.sub("", el.text_content()).casefold()
        if key:
            lead.append(el)
            keys.append(key)
        if len(lead) == 4:
            break
    cut = 0
    for i, (el, key) in enumerate(zip(lead, keys, strict=True)):
        if len(key) > 80 or el.find(".//img") is not None:
            break
        if key in repeats or (len(key) <= 60 and _LEAD_META.search(key)):
            cut = i + 1
    whole = SPACES.sub("", body.text_content()).casefold()
    start = "".join(keys[:cut])
    # Only blocks that really open the text (no loose text before them), and never the whole body.
    if not cut or not whole.startswith(start) or len(whole) - len(start) < MIN_BODY_CHARS:
        return False
    for el in lead[:cut]:
        el.drop_tree()
    return True


def _short_title(doc: HtmlElement) -> str:
    from readability.htmls import shorten_title

    try:
        return str(shorten_title(doc)).strip()
    except Exception:  # a title heuristic is never worth failing the article for
        return ""


__all__ = ["MAX_HTML_CHARS", "clean_body", "extract_article", "html_to_text", "parse_page", "quick_article"]
