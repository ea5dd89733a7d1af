"""The article in a page: readability-lxml picks the body, then a structural clean-up and plain text."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
from lxml.html import HtmlElement
from readability import Document
from readability.readability import Unparseable, clean

from newscli import metadata
from newscli.errors import ExtractError
from newscli.models import Article

# readability takes ~7 s on 0.5 MB and ~78 s on 5 MB of HTML: it never sees more than this.
MAX_HTML_CHARS = 2_000_000
# A body shorter than this (in characters of text) is no article.
MIN_BODY_CHARS = 20

log = logging.getLogger(__name__)

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# `<meta charset="utf-8, ie=edge">` and friends: keep only the first token, the part browsers use.
_META_CHARSET = re.compile(r"""(<meta[^>]*?\bcharset\s*=\s*["']?)([^"'>]*)""", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_DROP = {
    "script", "style", "noscript", "iframe", "frame", "frameset", "form", "input", "button", "select",
    "textarea", "object", "embed", "svg", "canvas", "template", "link", "meta", "nav", "aside", "audio",
    "video", "source", "track", "map", "area", "dialog", "label", "head", "title", "base",
}  # fmt: skip
_INLINE_KEEP = {
    "a",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "s",
    "sub",
    "sup",
    "code",
    "br",
    "img",
    "mark",
    "q",
    "cite",
}
_BLOCK_KEEP = {
    "p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "pre", "figure",
    "figcaption", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "hr",
}  # fmt: skip
_CONTAINERS = {
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "center",
    "body",
    "html",
    "span",
    "font",
}
_BLOCKISH = _BLOCK_KEEP | _CONTAINERS - {"span", "font"} | {"h1", "address", "details", "summary"}
_RENAME = {"h1": "h2", "tt": "code", "kbd": "code", "samp": "code", "var": "em", "dfn": "em", "strike": "s",
           "del": "s", "ins": "u", "big": "strong", "address": "p", "summary": "p", "details": "div"}  # fmt: skip
_ATTRS = {"a": ("href", "title"), "img": ("src", "alt", "title"), "td": ("colspan", "rowspan"),
          "th": ("colspan", "rowspan"), "ol": ("start",)}  # fmt: skip
_LAZY_SRC = ("data-src", "data-original", "data-lazy-src", "data-actualsrc", "data-url", "data-echo",
             "data-original-src", "data-lazy", "data-hi-res-src")  # fmt: skip
_PLACEHOLDER = re.compile(
    r"(?:^data:|blank\.gif|spacer\.gif|pixel\.gif|1x1\.|placeholder|loading\.gif|grey\.gif)", re.I
)

_COMMAS = re.compile("[,，、]")
_NOISE = re.compile(
    r"byline|\bauthor|dateline|timestamp|\bshare|social|related|recommend|newsletter|subscri|promo|sponsor"
    r"|\bad-|\bads?\b|advert|popular|trending|more-stories|read-?more|breadcrumb|toolbar|\brail",
    re.I,
)
_CAPTION = re.compile(r"caption|\bcredit", re.I)
_BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
_TEXT_BLOCKS = _BLOCK_KEEP | {"div", "h1"}
_CJK = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_CJK_BREAK = re.compile(rf"(?<=[{_CJK}])[ \t\r\f\v]*\n\s*(?=[{_CJK}])")
_SPACES = re.compile(r"[ \t\n\r\f\v\u00a0\u3000]+")


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
    for el in list(work.iter(*_DROP, "header", "footer")):
        el.drop_tree()
    scores: dict[HtmlElement, int] = {}
    for el in work.iter("p", "div", "td", "li", "pre", "blockquote"):
        parent = el.getparent()
        if parent is None or el.tag != "p" and any(isinstance(c.tag, str) and c.tag in _BLOCKISH for c in el):
            continue
        scores[parent] = scores.get(parent, 0) + len(_SPACES.sub("", el.text_content()))
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
    return doc


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
    if len(_SPACES.sub("", text)) < MIN_BODY_CHARS:
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
    repeats = {_SPACES.sub("", t).casefold() for t in (title, author) if t}
    if not repeats:
        return False
    lead: list[HtmlElement] = []
    keys: list[str] = []
    for el in body.iter(*_TEXT_BLOCKS):
        if any(isinstance(c.tag, str) and c.tag in _TEXT_BLOCKS for c in el.iterdescendants()):
            continue
        key = _SPACES.sub("", el.text_content()).casefold()
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
    whole = _SPACES.sub("", body.text_content()).casefold()
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


# -- the body, cleaned by structure -----------------------------------------------------------------------------


def clean_body(node: HtmlElement, url: str) -> HtmlElement:
    """A copy of `node` holding only content tags, no attributes but href/src/alt, links made absolute."""
    root = lxml.html.fragment_fromstring("<div></div>")
    root.append(copy.deepcopy(node))
    for el in list(root.iter(lxml.etree.Comment, lxml.etree.ProcessingInstruction)):
        el.drop_tree()
    for el in list(root.iter(*_DROP)):
        el.drop_tree()
    for img in list(root.iter("img")):
        _resolve_image(img, url)
    _drop_boilerplate(root)
    _drop_noise(root)
    for el in list(root.iter()):
        if el is root or not isinstance(el.tag, str):
            continue
        tag = _RENAME.get(el.tag, el.tag)
        el.tag = tag
        if tag in _CONTAINERS:
            if any(isinstance(c.tag, str) and c.tag in _BLOCKISH for c in el):
                el.drop_tag()
            elif tag in ("span", "font"):
                el.drop_tag()
            elif _has_content(el):
                el.tag = "p"
            else:
                el.drop_tree()
            continue
        if tag not in _INLINE_KEEP and tag not in _BLOCK_KEEP:
            el.drop_tag()
            continue
        keep = _ATTRS.get(tag, ())
        for name in list(el.attrib):
            if name not in keep:
                del el.attrib[name]
        if tag == "a":
            _fix_link(el, url)
    _drop_empty(root)
    _wrap_loose_text(root)
    return root


def _resolve_image(img: HtmlElement, url: str) -> None:
    src = (img.get("src") or "").strip()
    if not src or _PLACEHOLDER.search(src):
        src = ""
        for name in _LAZY_SRC:
            value = (img.get(name) or "").strip()
            if value and not _PLACEHOLDER.search(value):
                src = value
                break
        if not src:
            src = _from_srcset(img.get("srcset") or img.get("data-srcset") or "")
    if not src:
        img.drop_tree()
        return
    absolute = _absolute(src, url)
    if absolute is None:
        img.drop_tree()
        return
    img.set("src", absolute)


def _from_srcset(srcset: str) -> str:
    """The largest candidate of a srcset."""
    best, best_size = "", -1.0
    for part in srcset.split(","):
        bits = part.split()
        if not bits or _PLACEHOLDER.search(bits[0]):
            continue
        size = 0.0
        if len(bits) > 1:
            try:
                size = float(bits[1].rstrip("wxWX"))
            except ValueError:
                size = 0.0
        if size > best_size:
            best, best_size = bits[0], size
    return best


def _absolute(href: str, url: str) -> str | None:
    href = "".join(href.split())  # browsers strip tabs and newlines inside URLs
    lowered = href[:8].lower()
    if lowered.startswith(("http://", "https://")):
        return href  # the common case, without urljoin's cost (50,000 links on hostile pages)
    try:
        absolute = urljoin(url, href)
        scheme = urlsplit(absolute).scheme.lower()
    except ValueError:
        return None
    return absolute if scheme in ("http", "https", "mailto", "ftp", "") else None


def _fix_link(a: HtmlElement, url: str) -> None:
    href = a.get("href")
    if href is None:
        return
    if href.strip().startswith("#"):
        del a.attrib["href"]
        return
    absolute = _absolute(href, url)
    if absolute is None:  # javascript:, data:, vbscript: … keep the words, drop the link
        a.drop_tag()
    else:
        a.set("href", absolute)


def _text_len(el: HtmlElement) -> int:
    return len(_SPACES.sub("", el.text_content() or ""))


def _link_density(el: HtmlElement, total: int) -> float:
    links = sum(_text_len(a) for a in el.iter("a"))
    return links / max(total, 1)


def _features(el: HtmlElement) -> str:
    return f"{el.get('class', '')} {el.get('id', '')} {el.get('itemprop', '')} {el.get('rel', '')}"


def _drop_noise(root: HtmlElement) -> None:
    """Bylines, share/related/newsletter boxes by their class or id (the names Readability.js uses); captions marked."""
    for el in list(root.iter()):
        if el is root or not isinstance(el.tag, str) or el.getparent() is None:
            continue
        features = _features(el)
        if len(features) < 4:
            continue
        if _CAPTION.search(features) and el.tag not in ("figure", "img"):
            if el.tag in ("div", "p", "span", "small", "figcaption"):
                el.tag = "figcaption"
            continue
        if (
            _NOISE.search(features)
            and _text_len(el) < 300
            and not el.xpath(".//p[string-length(normalize-space()) > 200]")
        ):
            el.drop_tree()


def _drop_boilerplate(root: HtmlElement) -> None:
    """Share bars, link lists and empty shells around the text: short blocks that are mostly links."""
    for el in list(root.iter("ul", "ol", "div", "section", "p", "table", "dl")):
        if el.getparent() is None or el.find(".//a") is None:
            continue
        total = _text_len(el)
        if el.find(".//img") is not None and total == 0:
            continue
        if total and _link_density(el, total) > 0.5 and (el.tag in ("ul", "ol", "dl") or total < 200):
            el.drop_tree()


def _has_content(el: HtmlElement) -> bool:
    if el.text and not el.text.isspace():
        return True
    return bool((el.text_content() or "").strip()) or el.find(".//img") is not None


def _drop_empty(root: HtmlElement) -> None:
    for el in list(root.iter()):
        if el is root or not isinstance(el.tag, str) or el.getparent() is None:
            continue
        if el.tag in ("br", "img", "hr", "td", "th", "tr"):
            continue
        if not _has_content(el):
            el.drop_tree()


def _wrap_loose_text(root: HtmlElement) -> None:
    """Text and inline elements sitting directly in the root go into paragraphs."""
    children = list(root)
    run: list[HtmlElement] = []
    pending_text = root.text if root.text and root.text.strip() else None
    root.text = None

    def flush(before: HtmlElement | None) -> None:
        nonlocal pending_text
        if not run and pending_text is None:
            return
        p = lxml.html.Element("p")
        p.text = pending_text
        for el in run:
            p.append(el)
        if before is None:
            root.append(p)
        else:
            before.addprevious(p)
        run.clear()
        pending_text = None

    for child in children:
        if child.tag in _INLINE_KEEP:
            run.append(child)
        else:
            flush(child)
            if child.tail and child.tail.strip():
                pending_text = child.tail
            child.tail = None
    flush(None)


# -- plain text --------------------------------------------------------------------------------------------------


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
        elif tag in _TEXT_BLOCKS:
            end_block()
        if tag in ("td", "th"):
            current.append(" ")
        if el.text and tag:
            current.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                current.append(child.tail)
        if tag in _TEXT_BLOCKS:
            end_block()

    walk(root)
    end_block()
    return "\n\n".join(blocks)


def _collapse(text: str) -> str:
    # A line break between two CJK characters is no space (CSS Text 3 segment breaks).
    text = _CJK_BREAK.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\x00")]
    return "\n".join(line for line in lines if line).strip()


__all__ = ["MAX_HTML_CHARS", "clean_body", "extract_article", "html_to_text", "parse_page", "quick_article"]
