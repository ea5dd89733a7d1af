"""The article body cleaned by structure: content tags only, boilerplate and noise dropped, lazy images
resolved, links made absolute, loose text wrapped in paragraphs."""

from __future__ import annotations

import copy
import re
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
from lxml.html import HtmlElement

DROP = {
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
BLOCK_KEEP = {
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
BLOCKISH = BLOCK_KEEP | _CONTAINERS - {"span", "font"} | {"h1", "address", "details", "summary"}
_RENAME = {"h1": "h2", "tt": "code", "kbd": "code", "samp": "code", "var": "em", "dfn": "em", "strike": "s",
           "del": "s", "ins": "u", "big": "strong", "address": "p", "summary": "p", "details": "div"}  # fmt: skip
_ATTRS = {"a": ("href", "title"), "img": ("src", "alt", "title"), "td": ("colspan", "rowspan"),
          "th": ("colspan", "rowspan"), "ol": ("start",)}  # fmt: skip
_LAZY_SRC = ("data-src", "data-original", "data-lazy-src", "data-actualsrc", "data-url", "data-echo",
             "data-original-src", "data-lazy", "data-hi-res-src")  # fmt: skip
_PLACEHOLDER = re.compile(
    r"(?:^data:|blank\.gif|spacer\.gif|pixel\.gif|1x1\.|placeholder|loading\.gif|grey\.gif)", re.I
)
_NOISE = re.compile(
    r"byline|\bauthor|dateline|timestamp|\bshare|social|related|recommend|newsletter|subscri|promo|sponsor"
    r"|\bad-|\bads?\b|advert|popular|trending|more-stories|read-?more|breadcrumb|toolbar|\brail",
    re.I,
)
_CAPTION = re.compile(r"caption|\bcredit", re.I)
# No-break and ideographic spaces count as white space too: text is measured and collapsed without them.
SPACES = re.compile(r"[ \t\n\r\f\v\u00a0\u3000]+")


def clean_body(node: HtmlElement, url: str) -> HtmlElement:
    """A copy of `node` holding only content tags, no attributes but href/src/alt, links made absolute."""
    root = lxml.html.fragment_fromstring("<div></div>")
    root.append(copy.deepcopy(node))
    for el in list(root.iter(lxml.etree.Comment, lxml.etree.ProcessingInstruction)):
        el.drop_tree()
    for el in list(root.iter(*DROP)):
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
            if any(isinstance(c.tag, str) and c.tag in BLOCKISH for c in el):
                el.drop_tag()
            elif tag in ("span", "font"):
                el.drop_tag()
            elif _has_content(el):
                el.tag = "p"
            else:
                el.drop_tree()
            continue
        if tag not in _INLINE_KEEP and tag not in BLOCK_KEEP:
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
    return len(SPACES.sub("", el.text_content() or ""))


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
