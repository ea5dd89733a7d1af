"""The article body cleaned by structure: content tags only, boilerplate and noise dropped, lazy images
resolved, links made absolute, loose text wrapped in paragraphs."""

from __future__ import annotations

import copy
import re
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
from lxml.html import HtmlElement

# the page's XPath expressions, compiled once (doc.xpath(text) compiles its expression on every call)
_LONG_PARAGRAPH = lxml.etree.XPath(".//p[string-length(normalize-space()) > 200]")

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
    r"byline|\bauthor|timestamp|\bshare|social|related|recommend|newsletter|subscri|promo|sponsor"
    r"|\bad-|\bads?\b|advert|popular|trending|more-stories|read-?more|breadcrumb|toolbar|\brail",
    re.I,
)
_CAPTION = re.compile(r"caption|\bcredit", re.I)
# Boxes beside the story by their names: related/recommended stories, ad networks' teasers, author bios.
_BOX = re.compile(
    r"related|recommend|more-stories|outbrain|taboola|author-?(?:bio|box|info|card|profile)|about-(?:the-)?author",
    re.I,
)
# Such a box holding less than this share of the body's text is not the article.
BOX_SHARE = 0.4
# Class names that say an element is *not* a caption or has none ("no_caption", "hide-caption").
_NOT_CAPTION = re.compile(r"(?:^|[\s_-])(?:no|non|not|without|hide|hidden)[_-]?(?:caption|credit)", re.I)
# A dateline ("CAIRO —", "WASHINGTON (AP) -") opens the article's first sentence: text, not metadata.
_DATELINE = re.compile(r"dateline", re.I)
_SOFT = re.compile("[\u00ad\u200b]")
# No-break and ideographic spaces count as white space too: text is measured and collapsed without them.
SPACES = re.compile(r"[ \t\n\r\f\v\u00a0\u3000]+")
_SPACE_CHARS = " \t\n\r\f\v\u00a0\u3000"
# White space str.split() drops that SPACES keeps (what without_spaces must not remove).
OTHER_SPACES = re.compile("[\x1c-\x1f\x85\u1680\u2000-\u200a\u2028\u2029\u202f\u205f]")


def visible_len(text: str) -> int:
    """len(SPACES.sub("", text)): the characters that are not SPACES, counted (a text is measured often)."""
    if len(text) < 64:
        return len(SPACES.sub("", text))
    return len(text) - sum(map(text.count, _SPACE_CHARS))


def without_spaces(text: str) -> str:
    """SPACES.sub("", text), by str.split where that removes the same characters (three times faster)."""
    if OTHER_SPACES.search(text):
        return SPACES.sub("", text)
    return "".join(text.split())


# lxml.html's own parser asks Python code for the class of every element it hands out (forms, inputs and
# labels get classes of their own, which nothing here uses); this one is lxml's C-level default lookup: every
# element an HtmlElement, comments, processing instructions and entities as lxml.html makes them.
_ONE_CLASS = lxml.etree.ElementDefaultClassLookup(
    element=HtmlElement,
    comment=lxml.html.HtmlComment,
    pi=lxml.html.HtmlProcessingInstruction,
    entity=lxml.html.HtmlEntity,
)


def html_parser() -> lxml.html.HTMLParser:
    """A new lxml.html parser (its own error log) whose elements cost no Python call to hand out."""
    parser = lxml.html.HTMLParser()
    parser.set_element_class_lookup(_ONE_CLASS)
    return parser


HTML_PARSER = html_parser()  # for fragments; lxml serialises a parser's use across threads


def fragment(html: str, create_parent: str | None = None) -> HtmlElement:
    """lxml.html.fragment_fromstring with HTML_PARSER; its errors (ParserError, ValueError) as lxml raises them.

    With `create_parent`, the parent is made as lxml makes it, but by HTML_PARSER: lxml.html's own would
    bring its per-element Python lookup back to every element moved under it."""
    if create_parent is None:
        return lxml.html.fragment_fromstring(html, parser=HTML_PARSER)
    elements = lxml.html.fragments_fromstring(html, parser=HTML_PARSER, no_leading_text=False)
    root: HtmlElement = HTML_PARSER.makeelement(create_parent)
    if elements:
        if isinstance(elements[0], str):
            root.text = elements[0]
            del elements[0]
        root.extend(elements)
    return root


def clean_body(node: HtmlElement, url: str) -> HtmlElement:
    """A copy of `node` holding only content tags, no attributes but href/src/alt, links made absolute."""
    root = fragment("<div></div>")
    root.append(copy.deepcopy(node))
    for el in list(root.iter(lxml.etree.Comment, lxml.etree.ProcessingInstruction)):
        el.drop_tree()
    for el in list(root.iter(*DROP)):
        el.drop_tree()
    for img in list(root.iter("img")):
        _resolve_image(img, url)
    _drop_boilerplate(root)
    _drop_noise(root)
    _drop_ad_labels(root)
    for el in list(root.iter()):
        if el.text and ("\u00ad" in el.text or "\u200b" in el.text):
            el.text = _SOFT.sub("", el.text)
        if el.tail and ("\u00ad" in el.tail or "\u200b" in el.tail):
            el.tail = _SOFT.sub("", el.tail)
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
                el.attrib.clear()
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
    return visible_len(el.text_content() or "")


def _link_density(el: HtmlElement, total: int) -> float:
    links = sum(_text_len(a) for a in el.iter("a"))
    return links / max(total, 1)


def _features(el: HtmlElement) -> str:
    return f"{el.get('class', '')} {el.get('id', '')} {el.get('itemprop', '')} {el.get('rel', '')}"


def _drop_noise(root: HtmlElement) -> None:
    """Bylines, share/related/newsletter boxes by their class or id (the names Readability.js uses); captions marked.

    A related-stories or author-bio box goes whatever its size as long as it holds a small part of the text
    (a box of teasers with their excerpts is longer than a share bar)."""
    whole = 0
    for el in list(root.iter()):
        if el is root or not isinstance(el.tag, str) or el.getparent() is None:
            continue
        features = _features(el)
        if len(features) < 4:
            continue
        if _BOX.search(features):
            whole = whole or _text_len(root)
            if _text_len(el) < BOX_SHARE * whole:
                el.drop_tree()
                continue
        if (
            _CAPTION.search(features)
            and not _NOT_CAPTION.search(features)
            and el.tag not in ("figure", "img")
        ):
            if el.tag in ("div", "p", "span", "small", "figcaption"):
                el.tag = "figcaption"
            continue
        if _DATELINE.search(features) and not _NOISE.search(features):
            if not _is_dateline_text(el):
                el.drop_tree()
            continue
        if _NOISE.search(features) and _text_len(el) < 300 and not _LONG_PARAGRAPH(el):
            el.drop_tree()


# "CAIRO —", "WASHINGTON, March 3 (Reuters) -": a place (capitals), maybe a date and agency, then a dash.
_PLACE_LINE = re.compile(r"^[A-Z][A-Za-z.' ,]*[A-Z][A-Za-z0-9.' ,()]*[—–-]$|^[A-Z][A-Z .',]+$")


def _is_dateline_text(el: HtmlElement) -> bool:
    """A dateline element that holds the article's place line (kept), not a publication date (dropped)."""
    text = SPACES.sub(" ", el.text_content() or "").strip()
    if not text:
        return False
    parent = el.getparent()
    inline = el.tag in _INLINE_KEEP or el.tag in ("span", "font")
    in_prose = (
        parent is not None and parent.tag == "p" and visible_len(parent.text_content()) > len(text) + 20
    )
    return (inline and in_prose) or (len(text) <= 60 and bool(_PLACE_LINE.match(text)))


# The label an ad slot leaves in the text when its ad is not loaded, in the languages pages label them in.
_AD_LABEL = re.compile(
    r"(?:advertisement|advertising|advert|ad|sponsored|anzeige|werbung|publicit[ée]|publicidad|pubblicit[àa]"
    r"|реклама|广告|廣告|広告|광고|(?:story|article|content) continues (?:below|after) (?:this )?(?:advertisement|ad))"
    r"\s*[:.]?",
    re.I,
)


def _drop_ad_labels(root: HtmlElement) -> None:
    """Blocks whose whole text is an ad slot's label ("Advertisement", "Story continues below advertisement")."""
    for el in list(root.iter("p", "div", "span", "section", "aside", "figure", "h4", "h5", "h6")):
        if el.getparent() is None or len(el) > 3:
            continue
        raw = el.text_content() or ""
        if visible_len(raw) > 50:  # longer than any label however its spaces collapse
            continue
        text = SPACES.sub(" ", raw).strip()
        if text and len(text) <= 50 and _AD_LABEL.fullmatch(text):
            el.drop_tree()


def _drop_boilerplate(root: HtmlElement) -> None:
    """Share bars, tag clouds, related-story lists and empty shells: blocks that are mostly links.

    Link-rich prose stays (a sentence citing three sources: its own words carry punctuation), and so does a
    list of long links standing between the article's paragraphs (a "read more" list inside the text); a
    list at the edge of the text, or of short link texts (share bars, tags), goes. Quotes (embedded posts)
    are the article's.
    """
    offsets: dict[HtmlElement, tuple[int, int]] | None = None
    for el in list(root.iter("ul", "ol", "div", "section", "p", "table", "dl")):
        if el.getparent() is None or el.find(".//a") is None:
            continue
        total = _text_len(el)
        if el.find(".//img") is not None and total == 0:
            continue
        if not total:
            continue
        links = [_text_len(a) for a in el.iter("a")]
        if sum(links) <= 0.5 * total or any(a.tag == "blockquote" for a in el.iterancestors()):
            continue
        listish = el.tag in ("ul", "ol", "dl")
        if not listish and total >= 200:
            continue
        if not listish and _reads_as_prose(el):
            continue
        if listish and _long_links(links):
            if offsets is None:
                offsets = text_offsets(root)
            if _inside_text(el, offsets, root):
                continue
        el.drop_tree()


# A list needs this much of the article's text on either side to count as inside it.
_EDGE_CHARS = 200
# Words of a sentence between the links (not "Share:", "Tags:" or separators).
_PROSE_WORDS = re.compile(r"[^\W\d_]{2,}")
_PROSE_CJK = re.compile(r"[\u4e00-\u9fff]")
_SENTENCE_MARK = re.compile(r"[.,;!?。，；！？、]")


def _reads_as_prose(el: HtmlElement) -> bool:
    """Whether a link-heavy block is a sentence: its own words (outside the links) hold punctuation and
    a few words, and it has no block children (a container of link rows is no sentence)."""
    if any(isinstance(c.tag, str) and c.tag in BLOCKISH for c in el):
        return False
    own = [el.text or ""]
    for node in el.iterdescendants():
        if node.tag == "a" or any(a.tag == "a" for a in node.iterancestors()):
            own.append(node.tail or "" if node.tag == "a" else "")
            continue
        own.append((node.text or "") + (node.tail or ""))
    words = " ".join(own)
    letters = len(_PROSE_WORDS.findall(words)) + len(_PROSE_CJK.findall(words)) // 2
    return letters >= 3 and bool(_SENTENCE_MARK.search(words.strip()))


def lists_inside_text(node: HtmlElement) -> list[HtmlElement]:
    """The link lists of `node` that stand between its paragraphs and link titles, not words: a "read more"
    or sources list inside the article, which link-density rules would take for a related-story box."""
    offsets: dict[HtmlElement, tuple[int, int]] | None = None
    found = []
    for el in node.iter("ul", "ol"):
        links = [_text_len(a) for a in el.iter("a")]
        if not _long_links(links):
            continue
        if offsets is None:
            offsets = text_offsets(node)
        if _inside_text(el, offsets, node):
            found.append(el)
    return found


def quotes_only(node: HtmlElement) -> list[HtmlElement]:
    """Containers in `node` that hold an embedded post or quote and little else (kept like the quote)."""
    found = []
    sizes: dict[HtmlElement, int] = {}  # each container measured once, however many quotes it holds
    for quote in node.iter("blockquote"):
        inner = _text_len(quote)
        for el in quote.iterancestors("div", "section", "figure"):
            if el not in sizes:
                sizes[el] = _text_len(el)
            if el is node or not inner or sizes[el] > 1.25 * inner:
                break
            found.append(el)
    return found


def _inside_text(el: HtmlElement, offsets: dict[HtmlElement, tuple[int, int]], root: HtmlElement) -> bool:
    start, end = offsets.get(el, (0, 0))
    return start >= _EDGE_CHARS and offsets[root][1] - end >= _EDGE_CHARS


def _long_links(links: list[int]) -> bool:
    """Links that read as headlines or titles (a list of stories or sources), not single words (share, tags)."""
    shown = sorted(n for n in links if n)
    if len(shown) < 2:
        return False
    return shown[len(shown) // 2] >= 20


def text_offsets(root: HtmlElement) -> dict[HtmlElement, tuple[int, int]]:
    """Where each element's text starts and ends in `root`'s text (characters, no white space)."""
    found: dict[HtmlElement, tuple[int, int]] = {}
    starts: dict[HtmlElement, int] = {}
    at = 0
    for event, el in lxml.etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            starts[el] = at
            if el.text and isinstance(el.tag, str):
                at += visible_len(el.text)
        else:
            found[el] = (starts.pop(el), at)
            if el.tail and el is not root:
                at += visible_len(el.tail)
    return found


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
