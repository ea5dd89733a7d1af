"""The article in a page: readability-lxml picks the body, then a structural clean-up and plain text."""

from __future__ import annotations

import copy
import dataclasses
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin

import lxml.etree
import lxml.html
import readability.readability
from lxml.html import HtmlElement
from readability import Document
from readability.readability import REGEXES, Unparseable

from newscli.errors import ExtractError
from newscli.models import Article
from newscli.page import metadata
from newscli.page.cleanup import (
    BLOCKISH,
    DROP,
    HTML_PARSER,
    SPACES,
    clean_body,
    fragment,
    html_parser,
    lists_inside_text,
    quotes_only,
    text_offsets,
    visible_len,
    without_spaces,
)
from newscli.page.embedded import EmbeddedArticle, embedded_article
from newscli.page.metatags import first, meta_tags
from newscli.page.plaintext import TEXT_BLOCKS, html_to_text

# the page's XPath expressions, compiled once (doc.xpath(text) compiles its expression on every call)
_HIDDEN = lxml.etree.XPath("//*[@hidden]")
_STYLED = lxml.etree.XPath("//*[@style]")
_IN_CODE = lxml.etree.XPath("ancestor-or-self::pre | ancestor-or-self::code")
_HOLDS_MAIN = lxml.etree.XPath(
    "descendant-or-self::main | descendant-or-self::article | descendant-or-self::math"
)
_BASE_HREF = lxml.etree.XPath("//base/@href")

# readability takes ~7 s on 0.5 MB and ~78 s on 5 MB of HTML: it never sees more than this.
MAX_HTML_CHARS = 2_000_000
# A body shorter than this (in characters of text) is no article.
MIN_BODY_CHARS = 20
# Below this many characters of text from the HTML, the page's embedded data is looked at too, and
# taken when its article is this many times longer (a teaser shell around a full article in the data).
EMBEDDED_CHECK_CHARS = 1500
EMBEDDED_RATIO = 2
# A JSON-LD articleBody at least this long (characters) that the chosen body does not hold replaces it.
EMBEDDED_OTHER_CHARS = 500

log = logging.getLogger(__name__)

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# `<meta charset="utf-8, ie=edge">` and friends: keep only the first token, the part browsers use.
_META_CHARSET = re.compile(r"""(<meta[^>]*?\bcharset\s*=\s*["']?)([^"'>]*)""", re.I)
# what lxml takes from the parser but refuses to set again (text of a dropped tag): controls, surrogates,
# the non-characters U+FFFE/U+FFFF
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")

# \s\s{254,} rather than \s{255,}: a pattern that starts with a class lets the engine skip to the spaces;
# (?<!\s\s): a run is tried once, from its start, not again from each of its characters (the same
# matches: the leftmost one starts a run anyway).
_LONG_SPACE = re.compile(r"\s(?<!\s\s)\s{254,}")
_TAB_SPACES = re.compile(r"\t|[ \t]{2,}")


def _clean(text: str) -> str:
    """readability's clean(text), the same three substitutions, each skipped where it cannot match (it is run
    on every paragraph and link, twice)."""
    if len(text) >= 255:
        text = _LONG_SPACE.sub(" " * 255, text)
    if "\n" in text:
        text = _newlines(text)
    if "\t" in text or "  " in text:
        text = _TAB_SPACES.sub(" ", text)
    return text.strip()


def _newlines(text: str) -> str:
    r"""re.sub(r"\s*\n\s*", "\n", text): each run of white space that holds a line break becomes one line
    break. By str.split and strip (\s is str.isspace): the pattern tries every position, and every position
    of a run of spaces with no break in it anew (a 255-space run that _LONG_SPACE leaves costs it 65,000 steps)."""
    lines = text.split("\n")
    kept = [lines[0].rstrip()]
    kept += [line.strip() for line in lines[1:-1] if line and not line.isspace()]  # blank: inside a run
    kept.append(lines[-1].lstrip())
    return "\n".join(kept)


# readability calls its clean() itself too (the text length of every node it sanitises, quote leads), with
# the slow patterns: given ours, the same function, while it is the one whose three patterns we know.
READABILITY_CLEAN = readability.readability.clean
if {r"\s{255,}", r"\s*\n\s*", r"\t|[ \t]{2,}"} <= set(READABILITY_CLEAN.__code__.co_consts):
    readability.readability.clean = _clean


_BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
_DISPLAY_NONE = REGEXES["displayNoneRe"]
# Notices laid over or beside every page of a site: cookie/consent banners, newsletter and sign-up boxes.
# Class and id names are matched folded (fold_case) by patterns without re.I: with it, the engine tries each
# word at every position of the names; without it, it skips to the letters a word can start with.
_UNLIKELY = re.compile(REGEXES["unlikelyCandidatesRe"].pattern)
_MAYBE = re.compile(REGEXES["okMaybeItsACandidateRe"].pattern)
_NOTICE = re.compile(
    "cookie|consent|gdpr|onetrust|didomi|cmp-|newsletter|signup|sign-up|subscribe-box|paywall|regwall"
)
_NAMED = lxml.etree.XPath(".//*[@class or @id]")
_SUSPECT = re.compile(f"{_UNLIKELY.pattern}|{_NOTICE.pattern}")
# The four letters beyond A-Z that re.I matches to ASCII letters and str.lower() does not (or not alone).
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def fold_case(text: str) -> str:
    """`text` as a pattern of lower-case ASCII letters without re.I sees it as one with re.I sees `text`."""
    return (text if text.isascii() else text.translate(_FOLD)).lower()


# A notice is short; an element this long (characters) with such a name is something else (a site's wrapper).
NOTICE_CHARS = 1500
# readability's divToPElementsRe ("<(blockquote|dl|div|img|ol|p|pre|table|ul)" on markup): tag prefixes.
_BLOCK_PREFIXES = ("blockquote", "dl", "div", "img", "ol", "p", "pre", "table", "ul")
_INLINE = {"a", "b", "cite", "code", "em", "font", "i", "small", "span", "strong", "sub", "sup", "u"}


# The lede: the body's first paragraph of at least this many characters.
LEDE_CHARS = 80


def _lede_wrappers(node: HtmlElement) -> list[HtmlElement]:
    """The tight wrappers of the body's first real paragraph (the lede), whatever their class names say
    (readability's class weights drop a "sourced-paragraph" or "media" wrapper and the lede with it)."""
    for p in node.iter("p"):
        text = without_spaces(p.text_content())
        if len(text) < LEDE_CHARS:
            continue
        links = sum(visible_len(a.text_content()) for a in p.iter("a"))
        if links > 0.5 * len(text):
            return []
        found = []
        for el in p.iterancestors("div", "section"):
            if el is node or visible_len(el.text_content()) > 1.2 * len(text):
                break
            found.append(el)
        return found
    return []


def _has_block(el: HtmlElement) -> bool:
    """Whether `el` or an element inside it has a tag readability counts as a block."""
    return any(isinstance(e.tag, str) and e.tag.lower().startswith(_BLOCK_PREFIXES) for e in el.iter())


_EMBEDDED_POST = re.compile(r"tweet|twitter|instagram|tiktok|mastodon|bluesky|threads|reddit|facebook", re.I)


@dataclass(frozen=True)
class NotedArticle(Article):
    """An article read some other way than from the page's HTML; `warning` says how, for the caller to show."""

    warning: str = ""


def extract_article(text: str, url: str, *, tz_override: str | None = None) -> Article:
    """The article in page `text` fetched from `url`; ExtractError when there is none.

    A page whose HTML holds no article (or a much shorter text than its script data) is read from the
    data it embeds (embedded.py); when there is none either, the error keeps what the meta tags say.
    """
    doc, cut = _parse_page(text, url)
    static: Article | None = None
    try:
        static = _article(doc, _chosen_body(doc, url), url, tz_override=tz_override)
    except Unparseable as exc:
        log.debug("readability failed on %s: %s", url, exc)
    except ExtractError:
        pass
    shown = visible_len(static.text or "") if static is not None else 0
    found = embedded_article(doc, _headlines(doc), scripts=shown < EMBEDDED_CHECK_CHARS)
    if found is not None and (
        (shown < EMBEDDED_CHECK_CHARS and found.text_chars > EMBEDDED_RATIO * shown)
        or (static is not None and _other_text(found, static.text or ""))
    ):
        article = _embedded(doc, found, url, tz_override=tz_override)
        if article is not None:
            return _noted(article, cut)
    if static is None:
        raise _no_article(doc, url, tz_override=tz_override)
    return _noted(static, cut)


def _other_text(found: EmbeddedArticle, text: str) -> bool:
    """Whether the page's data carries a full article the chosen body is not: as long as the body or
    longer, and most of its paragraphs nowhere in it (readability took a sidebar, a teaser, the next story)."""
    if found.text_chars < EMBEDDED_OTHER_CHARS or found.text_chars < 0.8 * visible_len(text):
        return False
    try:
        data = fragment(found.html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return False
    lines = _sample(data)
    shown = without_spaces(text)
    return len(lines) >= 2 and sum(line in shown for line in lines) < 0.3 * len(lines)


def _noted(article: Article, warning: str | None) -> Article:
    """`article` carrying `warning` too (after any it has), for the caller to show."""
    if not warning:
        return article
    values = {f.name: getattr(article, f.name) for f in dataclasses.fields(Article)}
    earlier = getattr(article, "warning", "")
    return NotedArticle(**values, warning=f"{earlier}; {warning}" if earlier else warning)


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
        scores[parent] = scores.get(parent, 0) + visible_len(el.text_content())
    body = work.find("body")
    best = max(scores, key=lambda el: scores[el]) if scores else body if body is not None else work
    return _article(doc, best, url, tz_override=tz_override)


def parse_page(text: str, url: str) -> HtmlElement:
    """Parse page text with lxml.html (capped at MAX_HTML_CHARS); ExtractError for nothing parseable."""
    return _parse_page(text, url)[0]


def _parse_page(text: str, url: str) -> tuple[HtmlElement, str | None]:
    """The parsed page, and what the parser had to leave out (nesting past libxml2's depth limit), if anything."""
    if not text or not text.strip():
        raise ExtractError("no article found", source=url)
    text = _CONTROL.sub("", text[:MAX_HTML_CHARS])
    # lxml refuses str input that carries an encoding declaration.
    text = _XML_DECL.sub("", text, count=1)
    text = _META_CHARSET.sub(
        lambda m: m.group(1) + re.split(r"[\s,;]", m.group(2).strip(), maxsplit=1)[0], text
    )
    parser = html_parser()
    try:
        doc = lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        log.debug("lxml failed on %s: %s", url, exc)
        raise ExtractError("no article found", source=url) from None
    if not isinstance(doc, HtmlElement) or doc.find("body") is None and not len(doc):
        raise ExtractError("no article found", source=url)
    _fix_tag_names(doc)
    # The depth limit is on purpose (a deep tree costs stack and time at every later step); say what it cut.
    cut = any(error.type_name == "ERR_RESOURCE_LIMIT" for error in parser.error_log)
    return doc, (
        "the page nests its markup deeper than 255 levels; what lies deeper was not read" if cut else None
    )


_TAG_START = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def _fix_tag_names(doc: HtmlElement) -> None:
    """Tags libxml2 kept but lxml will not set again (`<div<p>` makes a tag `div<p`): renamed to their
    leading name, so every later rename (clean-up, readability) works on valid names."""
    valid: set[str] = set()  # a name lxml took once it takes again: one check per name, not per element
    for el in doc.iter():
        tag = el.tag
        if not isinstance(tag, str) or tag in valid:
            continue
        try:
            el.tag = tag
            valid.add(tag)
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
        # What readability's own _parse does, without its two passes over every link of the page (its
        # HTML cleaner's javascript: rewrite and make_links_absolute: a third of its time): hidden elements,
        # scripts, styles, <link>s, comments and processing instructions go; links are made absolute on the
        # chosen body only (_readability_body).
        for elem in _HIDDEN(tree):
            elem.drop_tree()
        for elem in _STYLED(tree):
            if _DISPLAY_NONE.search(elem.get("style") or ""):
                elem.drop_tree()
        for elem in list(
            tree.iter("script", "style", "link", lxml.etree.Comment, lxml.etree.ProcessingInstruction)
        ):
            elem.drop_tree()
        for elem in tree.iter("image"):
            elem.tag = "img"
        return tree

    def score_paragraphs(self) -> dict[HtmlElement, dict[str, Any]]:
        """readability's scoring, with Chinese commas counted as commas (it only counts ASCII ones)."""
        candidates: dict[HtmlElement, dict[str, Any]] = {}
        ordered = []
        for elem in self.tags(self._html(), "p", "pre", "td", "blockquote"):
            parent = elem.getparent()
            if parent is None:
                continue
            grand_parent = parent.getparent()
            inner_text = _clean(elem.text_content() or "")
            if len(inner_text) < self.min_text_length:
                continue
            for node in (parent, grand_parent):
                if node is not None and node not in candidates:
                    candidates[node] = self.score_node(node)
                    ordered.append(node)
            commas = inner_text.count(",") + inner_text.count("，") + inner_text.count("、")
            score = 1 + 1 + commas + min(len(inner_text) / 100, 3)
            candidates[parent]["content_score"] += score
            if grand_parent is not None:
                candidates[grand_parent]["content_score"] += score / 2.0
        for node in ordered:
            candidates[node]["content_score"] *= 1 - self.get_link_density(node)
        return candidates

    def get_link_density(self, elem: HtmlElement) -> float:
        """readability's: the share of the element's text in links."""
        links = sum(len(_clean(a.text_content() or "")) for a in elem.findall(".//a"))
        return float(links) / max(len(_clean(elem.text_content() or "")), 1)

    def remove_unlikely_candidates(self) -> None:
        """readability's removal by class name, sparing embedded posts (its "twitter"/"tweet" rule drops quotes
        the article cites)."""
        for quote in self.html.iter("blockquote"):
            if _EMBEDDED_POST.search(quote.get("class") or ""):
                quote.set("class", "embedded-post")
        # readability's loop, without the debug description it formats for every element it removes; and
        # consent banners and newsletter or sign-up boxes, which it would otherwise take for a short article.
        for elem in _NAMED(self.html):  # elements without class or id have nothing to match
            names = "{} {}".format(elem.get("class", ""), elem.get("id", ""))
            if len(names) < 2:
                continue
            names = fold_case(names)
            if not _SUSPECT.search(names):
                continue  # most elements: one search instead of three
            if (
                _NOTICE.search(names)
                and elem.tag not in ("html", "body", "article", "main")
                and elem.find(".//article") is None
                and visible_len(elem.text_content()) < NOTICE_CHARS
            ):
                elem.drop_tree()
                continue
            if (
                _UNLIKELY.search(names)
                and not _MAYBE.search(names)
                and elem.tag not in ("html", "body")
                and not _IN_CODE(elem)
                and not _HOLDS_MAIN(elem)
            ):
                elem.drop_tree()

    def transform_misused_divs_into_paragraphs(self) -> None:
        """readability's rewrite of <div>s holding no blocks into <p>s, deciding by the tree instead of
        serialising every child of every <div> to search the markup (the same test: a descendant whose tag
        starts with one of readability's block names)."""
        for elem in list(self.html.iter("div")):
            if not any(_has_block(child) for child in elem):
                elem.tag = "p"
        for elem in list(self.html.iter("div")):
            children = list(elem)
            paragraph = None
            if elem.text and elem.text.strip():
                p = HTML_PARSER.makeelement("p")
                p.text = elem.text
                elem.text = None
                elem.insert(0, p)
                paragraph = p
            for child in children:
                if child.tag == "br":
                    paragraph = None
                    continue
                if child.tag not in _INLINE or _has_block(child):
                    paragraph = None
                    continue
                if paragraph is None:
                    paragraph = HTML_PARSER.makeelement("p")
                    child.addprevious(paragraph)
                paragraph.append(child)
            for pos, child in reversed(list(enumerate(elem))):
                if child.tail and child.tail.strip():
                    p = HTML_PARSER.makeelement("p")
                    p.text = child.tail
                    child.tail = None
                    elem.insert(pos + 1, p)
                if child.tag == "br":
                    child.drop_tree()

    def get_preserved_elements(self, node: HtmlElement) -> dict[HtmlElement, bool]:
        """readability's kept elements, and lists of long links inside the text and embedded quotes, which its
        link-density rule would drop as boilerplate (they are the article's: cleanup.py tells them apart)."""
        allowed: dict[HtmlElement, bool] = super().get_preserved_elements(node)
        for el in (*lists_inside_text(node), *quotes_only(node)):
            if self.class_weight(el) >= 0:
                allowed[el] = True
        for el in _lede_wrappers(node):
            allowed[el] = True
        return allowed

    def get_clean_html(self) -> str:
        self.article_node = self.html
        return str(lxml.etree.tounicode(self.html, method="html"))


def _readability_body(doc: HtmlElement, url: str) -> HtmlElement:
    reader = _Readability(doc, url)
    reader.summary(html_partial=True)
    body = reader.article_node
    if body is None:
        raise Unparseable("no summary")
    base = _base_url(doc, url)
    for img in body.iter("img"):
        if "src" in img.attrib and not img.get("src", "").strip():
            del img.attrib[
                "src"
            ]  # a lazy image's empty src is no link to the page itself (cleanup finds its data-src)
    body.make_links_absolute(base, resolve_base_href=False, handle_failures="discard")
    return body


def _base_url(doc: HtmlElement, url: str) -> str:
    """What the page's relative links are relative to: its <base href>, else its own URL."""
    for href in _BASE_HREF(doc)[:1]:
        try:
            return urljoin(url, str(href).strip())
        except ValueError:
            break
    return url


def _chosen_body(doc: HtmlElement, url: str) -> HtmlElement:
    """readability's body, or the block a second look finds when the page's structure says it chose wrong."""
    body = _readability_body(doc, url)
    if _in_margins(doc, body):
        # An events sidebar, a footer's "about us", a menu: read the page again without its margins.
        bare = copy.deepcopy(doc)
        for el in _margins(bare):
            el.drop_tree()
        try:
            again = _readability_body(bare, url)
        except Unparseable:
            again = None
        if again is not None and _text_chars(again) >= MIN_BODY_CHARS:
            body = again
    other = _look_again(doc, body)
    if other is None:
        return body
    page = lxml.html.document_fromstring("<html><body></body></html>", parser=HTML_PARSER)
    page.find("body").append(copy.deepcopy(other))
    try:
        again = _readability_body(page, url)
    except Unparseable:
        return body
    if _text_chars(again) * LONGER_ARTICLE < _text_chars(other):
        # readability takes a fragment of the block again (an article of lists, which it does not score):
        # the block itself, left to the clean-up.
        whole = page.find("body")[0]
        whole.make_links_absolute(_base_url(doc, url), resolve_base_href=False, handle_failures="discard")
        return whole
    return again if _text_chars(again) >= MIN_BODY_CHARS else body


def _margins(doc: HtmlElement) -> list[HtmlElement]:
    """The page's <aside>, <footer> and <nav> blocks outside any <article> or <main> (outermost only)."""
    return [
        el
        for el in doc.iter("aside", "footer", "nav")
        if not any(p.tag in ("article", "main", "aside", "footer", "nav") for p in el.iterancestors())
    ]


def _in_margins(doc: HtmlElement, body: HtmlElement) -> bool:
    """Whether readability's body comes from the page's margins (most of its paragraphs are in them)."""
    margins = _margins(doc)
    if not margins:
        return False
    chosen = _sample(body)
    if not chosen:
        return False
    text = "".join(without_spaces(el.text_content()) for el in margins)
    return sum(line in text for line in chosen) >= 0.5 * len(chosen)


def _text_chars(el: HtmlElement) -> int:
    return visible_len(el.text_content())


# The outside of an article: an <article> in one of these is a teaser, a card or a related story.
_OUTSIDE = {"aside", "nav", "footer", "form", "header"}
# An <article> with less text than this is a teaser card, not a story.
ARTICLE_CHARS = 300
# The page's only <article> replaces a body outside it when it has this many times its text.
LONGER_ARTICLE = 3
# A body shorter than this (characters) inside the page's article is a fragment of it.
FRAGMENT_CHARS = 500


def _look_again(doc: HtmlElement, body: HtmlElement) -> HtmlElement | None:
    """The page's own article block when readability's choice is not it, else None.

    A page carrying several stories (a next article appended below, teasers marked up as articles) says
    which one it is about by its headline: the <article> holding the page's <h1> wins, else the first one.
    """
    articles = [
        a
        for a in doc.iter("article")
        if not any(p.tag == "article" or p.tag in _OUTSIDE for p in a.iterancestors())
        and _text_chars(a) >= ARTICLE_CHARS
    ]
    if not articles:
        return None
    if len(articles) == 1:
        # One article on the page, and readability's body lies outside it and is much shorter (a caption,
        # a form, a teaser): the article the page marks up is the better guess.
        owner = articles[0]
        shown = _text_chars(body)
        if shown * LONGER_ARTICLE > _text_chars(owner):
            return None
        # Inside it, only a fragment (the headline, a caption, one paragraph) is a wrong choice.
        return owner if shown < FRAGMENT_CHARS or not _inside(body, owner, empty=False) else None
    owner = next((a for a in articles if a.find(".//h1") is not None), None)
    if owner is None:
        if any(a.find(".//h1") is None for a in doc.iter("article")) and doc.find(".//h1") is not None:
            return None  # the headline stands outside every article: no telling which one it heads
        owner = articles[0]
    if _inside(body, owner, empty=True):
        return None
    # Only when readability took another of the articles (not a block outside them all: teaser cards
    # marked up as articles under a story that is not).
    return owner if any(_inside(body, a, empty=False) for a in articles if a is not owner) else None


def _inside(body: HtmlElement, block: HtmlElement, *, empty: bool) -> bool:
    """Whether most of the body's paragraphs are in `block` (`empty`: the answer for a body without any)."""
    chosen = _sample(body)
    if not chosen:
        return empty
    inside = without_spaces(block.text_content())
    return sum(line in inside for line in chosen) >= 0.5 * len(chosen)


def _sample(body: HtmlElement) -> list[str]:
    """A few of the body's paragraphs, without white space, to tell where in the page the body came from."""
    lines = [without_spaces(p.text_content()) for p in body.iter("p", "li", "h2", "h3", "blockquote", "pre")]
    lines = [line for line in lines if len(line) >= 30]
    step = max(1, len(lines) // 6)
    return [line[:80] for line in lines[::step]][:8]


def _article(doc: HtmlElement, body: HtmlElement, url: str, *, tz_override: str | None) -> Article:
    body = clean_body(body, _base_url(doc, url))
    _first_entry_only(body)
    text = html_to_text(body)
    if visible_len(text) < MIN_BODY_CHARS:
        raise ExtractError("no article found", source=url)
    html = "\n".join(lxml.etree.tounicode(child, method="html").strip() for child in body)
    meta = metadata.read_metadata(doc, url, tz_override=tz_override, body_text=text)
    title = meta.title or _short_title(doc) or None
    if _drop_lead_repeats(body, title, meta.author):
        text = html_to_text(body)
        html = "\n".join(lxml.etree.tounicode(child, method="html").strip() for child in body)
    return Article(**{**_meta_fields(meta, url), "title": title, "text": text, "html": html})


def _meta_fields(meta: metadata.Metadata, url: str) -> dict[str, Any]:
    """An Article's fields as the page's metadata gives them (the page's canonical URL as its URL and id)."""
    page_url = meta.canonical_url or url
    return {
        "url": page_url,
        "id": page_url,
        "title": meta.title,
        "author": meta.author,
        "editor": meta.editor,
        "published": meta.published,
        "updated": meta.updated,
        "site_name": meta.site_name,
        "source": meta.source or meta.site_name,
        "lang": meta.lang,
        "description": meta.description,
        "image": meta.image,
        "categories": meta.categories,
        "tags": meta.tags,
    }


# A line that is the article's metadata (date, source, byline labels) or a comment button, not its text.
_LEAD_META = re.compile(
    r"^(?:发表评论|我要评论|打印|关闭|分享到?)$|(?:19|20)\d\d[-/.年]\d{1,2}[-/.月]\d{1,2}.{0,30}(?:来源|作者|更新|发布|编辑)"
    r"|^(?:来源|作者|发布时间|时间|编辑)[:：]"
)


# A block that is only a date, maybe with a time: how blogs and archives head each entry.
_DATE_ONLY = re.compile(
    r"(?:(?:19|20)\d\d[-/.年]\d{1,2}[-/.月]\d{1,2}日?|[A-Z][a-z]{2,8}\.? \d{1,2}, (?:19|20)\d\d)"
    r"(?:\s*,?\s*(?:at\s+)?\d{1,2}:\d\d(?::\d\d)?(?:\s*[AaPp]\.?[Mm]\.?)?)?"
)
# Text an entry needs (characters) to count as one: a post, not a dated link in a list.
ENTRY_CHARS = 200


def _first_entry_only(body: HtmlElement) -> None:
    """Cut a body that is a run of dated entries (a blog's front page, an archive) to its first one.

    Entries are told by blocks holding only a date, on different days, each followed by a post's worth of
    text; the cut falls before the second entry's title (a short block just above its date).
    """
    leaves = [
        el
        for el in body.iter(*TEXT_BLOCKS, "td")
        if not any(
            isinstance(c.tag, str) and (c.tag in TEXT_BLOCKS or c.tag == "td") for c in el.iterdescendants()
        )
    ]
    # only short blocks matter below (a date, a title): a long one is not collapsed, and stands as a long text
    texts = [
        SPACES.sub(" ", raw).strip() if visible_len(raw := el.text_content()) <= 80 else "\x00" * 81
        for el in leaves
    ]
    dates = [i for i, t in enumerate(texts) if len(t) <= 40 and _DATE_ONLY.fullmatch(t)]
    if len(dates) < 2 or dates[0] > 3 or len({_DAY.sub("", texts[i])[:10] for i in dates}) < 2:
        return
    # Each entry is headed by its title just above its date (a timeline of dates and text is one article).
    if not all(i > 0 and 0 < len(texts[i - 1]) <= 80 and i - 1 not in dates for i in dates[:2]):
        return
    offsets = text_offsets(body)
    starts = [offsets[leaves[i]][0] for i in dates[1:]] + [offsets[body][1]]
    sizes = [start - offsets[leaves[i]][1] for i, start in zip(dates, starts, strict=True)]
    if sizes[0] < ENTRY_CHARS or sizes[1] < ENTRY_CHARS:
        return
    _drop_from(leaves[dates[1] - 1], body)


_DAY = re.compile(r"\s*,?\s*(?:at\s+)?\d{1,2}:\d\d.*$")


def _drop_from(el: HtmlElement, root: HtmlElement) -> None:
    """Remove `el` and everything after it in document order, up to the end of `root`."""
    node = el
    while node is not None and node is not root:
        parent = node.getparent()
        for sibling in list(node.itersiblings()):
            sibling.drop_tree()
        node.tail = None
        node = parent
    el.drop_tree()


def _drop_lead_repeats(body: HtmlElement, title: str | None, author: str | None) -> bool:
    """Drop the headline and byline lines that open the body when they repeat the title and author shown apart.

    Up to the last of the first three text blocks that is the title or the author, when all blocks up to there
    are short lines (a headline the metadata read differently, a kicker) and the body keeps some text.
    """
    repeats = {without_spaces(t).casefold() for t in (title, author) if t}
    if not repeats:
        return False
    lead: list[HtmlElement] = []
    keys: list[str] = []
    for el in body.iter(*TEXT_BLOCKS):
        if any(isinstance(c.tag, str) and c.tag in TEXT_BLOCKS for c in el.iterdescendants()):
            continue
        key = without_spaces(el.text_content()).casefold()
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
    if not cut:
        return False
    whole = without_spaces(body.text_content()).casefold()
    start = "".join(keys[:cut])
    # Only blocks that really open the text (no loose text before them), and never the whole body.
    if not whole.startswith(start) or len(whole) - len(start) < MIN_BODY_CHARS:
        return False
    for el in lead[:cut]:
        el.drop_tree()
    return True


def _headlines(doc: HtmlElement) -> list[str]:
    """What the page says its headline is: og:title and twitter:title, <title>, the first <h1>s."""
    metas = meta_tags(doc)
    found = [first(metas, "og:title"), first(metas, "twitter:title")]
    found += [e.text_content() for e in metadata.TITLE_ELEMENTS(doc)[:2]]
    found += [h.text_content() for h in metadata.H1_ELEMENTS(doc)[:3]]
    return [f for f in found if f and f.strip()]


def _embedded(
    doc: HtmlElement, found: EmbeddedArticle, url: str, *, tz_override: str | None
) -> Article | None:
    """The article from embedded data: its body through the same clean-up and text path as any body."""
    try:
        body = fragment(found.html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return None
    body = clean_body(body, url)
    text = html_to_text(body)
    if visible_len(text) < MIN_BODY_CHARS:
        return None
    html = "\n".join(lxml.etree.tounicode(child, method="html").strip() for child in body)
    meta = metadata.read_metadata(doc, url, tz_override=tz_override, body_text=text)
    published = meta.published
    if published is None and found.published:
        published = _data_date(found.published, meta.tz)
    return NotedArticle(
        **{
            **_meta_fields(meta, url),
            "title": meta.title or found.title,
            "author": meta.author or found.author,
            "published": published,
            "source": found.source or meta.source or meta.site_name,
            "text": text,
            "html": html,
        },
        warning=f"body from embedded page data ({found.where})",
    )


def _data_date(value: str, tz: Any) -> datetime | None:
    from newscli.dates import local_zone, parse_date

    zone = tz or local_zone()
    if value.isdigit() and len(value) in (10, 13):
        seconds = int(value) / (1000 if len(value) == 13 else 1)
        return datetime.fromtimestamp(seconds, timezone.utc).astimezone(zone)
    return parse_date(value, zone)


# Signs that a page's article is put in by script: a framework's mount point or state, and little text.
_APP_ROOTS = ("__next", "__nuxt", "app", "root", "__layout", "svelte")
_SCRIPT_MARKERS = ("__NEXT_DATA__", "__NUXT", "__INITIAL_STATE__", "__APOLLO_STATE__", "__PRELOADED_STATE__")


def _no_article(doc: HtmlElement, url: str, *, tz_override: str | None) -> ExtractError:
    """The error for a page without an article, keeping the title, author, date and description it shows."""
    message = "no article found"
    if _built_by_script(doc):
        message = "no article in the HTML; the page builds it with JavaScript"
    error = ExtractError(message, source=url)
    try:
        meta = metadata.read_metadata(doc, url, tz_override=tz_override)
    except Exception:  # what the meta tags say is a courtesy, never a second failure
        return error
    if meta.title:
        error.article = Article(**_meta_fields(meta, url))  # type: ignore[attr-defined]
    return error


def _built_by_script(doc: HtmlElement) -> bool:
    body = doc.find("body")
    shown = visible_len(body.text_content()) if body is not None else 0
    scripts = [s for s in doc.iter("script")]
    code = sum(len(s.text or "") for s in scripts)
    if any(
        marker in (s.text or "")[:4096] or marker == (s.get("id") or "")
        for s in scripts
        for marker in _SCRIPT_MARKERS
    ):
        return True
    roots = any(
        (el.get("id") or "").lower() in _APP_ROOTS and visible_len(el.text_content()) < 200
        for el in (body.iter("div", "main") if body is not None else ())
    )
    return (roots and bool(scripts)) or (code > 20 * max(shown, 1) and shown < 500)


def _short_title(doc: HtmlElement) -> str:
    from readability.htmls import shorten_title

    try:
        return str(shorten_title(doc)).strip()
    except Exception:  # a title heuristic is never worth failing the article for
        return ""


__all__ = ["MAX_HTML_CHARS", "clean_body", "extract_article", "html_to_text", "parse_page", "quick_article"]
