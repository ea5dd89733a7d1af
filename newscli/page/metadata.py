"""Article metadata from a parsed page: title, byline, dates, outlet, site, language, image."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import urljoin, urlparse

from lxml import etree

from newscli import dates
from newscli.page.byline import read_author, read_editor
from newscli.page.dates import read_date, read_published
from newscli.page.embedded import ARTICLE_TYPES, json_ld, ld_site_name, ld_str, ld_types
from newscli.page.headline import read_title
from newscli.page.metatags import first, keywords, meta_tags, unique
from newscli.page.text import CJK, Needled, Windows, clean, text_nodes, text_windows

# the page's XPath expressions, compiled once (doc.xpath(text) compiles its expression on every call)
TITLE_ELEMENTS = etree.XPath("//title[not(ancestor::svg)]")
H1_ELEMENTS = etree.XPath("//body//h1")
_CANONICAL_HREFS = etree.XPath(
    "//link[@href][contains(concat(' ', normalize-space(translate(@rel,'CANONICAL','canonical')), ' '), ' canonical ')]/@href"
)


@dataclass(frozen=True)
class Metadata:
    """What the page says about its article. Dates are timezone-aware."""

    title: str | None = None
    author: str | None = None
    editor: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    site_name: str | None = None
    source: str | None = None
    lang: str | None = None
    description: str | None = None
    image: str | None = None
    canonical_url: str | None = None
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    tz: tzinfo | None = None


_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


# 来源：X (文章来源：X too), Source: X. Every branch starts with a letter, not a class, and there is no re.I
# (its case folding is spelt out, ſ included as re.I reads it), so that the engine skips to the places where
# a label can start; and only a text with a colon is searched (text.Needled). Six times faster than
# `(?:文章|新闻|信息|稿件)?(?:来源|來源|出处|source)…` with re.I, and the same matches of the group.
_SOURCE = Needled(
    r"(?:来源|來源|出处|s[oO][uU][rR][cC][eE]|S[oO][uU][rR][cC][eE]|ſ[oO][uU][rR][cC][eE])\s*[:：]\s*[\[【(（《]?\s*"
    r"(?P<s>[^\s\[\]【】()（）《》|｜:：,，。;；]{2,30})",
    ":",
    "：",
)


_MARKUP = re.compile(r"[=<>\"']|^\d+$")


def read_metadata(
    doc: Any, url: str, *, tz_override: str | None = None, body_text: str | None = None
) -> Metadata:
    """Read the metadata of `doc` (an lxml.html element tree of the page fetched from `url`)."""
    metas = meta_tags(doc)
    ld = list(json_ld(doc))
    article = next((o for o in ld if ld_types(o) & ARTICLE_TYPES and not ld_types(o) <= {"webpage"}), None)
    article = article or next((o for o in ld if ld_types(o) & ARTICLE_TYPES), None) or {}

    title_tag = next((t for t in (clean(e.text_content()) for e in TITLE_ELEMENTS(doc)[:5]) if t), "")
    # Documentation generators end headings with a permalink sign ("Evolve¶").
    h1s = [t for t in (clean(h.text_content()).rstrip("¶§#🔗 ") for h in H1_ELEMENTS(doc)[:5]) if t]

    site_name = first(metas, "og:site_name") or ld_site_name(ld, article) or first(metas, "application-name")
    host = urlparse(url).hostname
    title, title_site = read_title(metas, article, title_tag, h1s, site_name, host, body_text)
    site_name = site_name or title_site

    nodes = text_nodes(doc)
    lang = _lang(doc, metas, nodes, title_tag)
    tz = dates.default_zone(override=tz_override, lang=lang, host=host)
    windows = text_windows(nodes, title, h1s, body_text)
    publisher = article.get("publisher")
    publishers = (site_name or "", (ld_str(publisher) if isinstance(publisher, (dict, list)) else None) or "")
    author = read_author(
        doc,
        metas,
        article,
        windows,
        title_tag,
        title,
        chinese=(lang or "").startswith("zh"),
        publishers=publishers,
    )
    # the responsible editor (责任编辑) is not a byline: kept apart, never given as the author (issue 12)
    editor = read_editor(article, windows)
    published = read_published(doc, metas, article, windows, tz, lang)
    updated = read_date(
        ld_str(article.get("dateModified"))
        or first(metas, "article:modified_time", "og:updated_time", "dcterms.modified"),
        tz,
    )
    source = _source(windows) or site_name
    image = _image(metas, article, url)
    return Metadata(
        title=title,
        author=author,
        editor=editor,
        published=published,
        updated=updated,
        site_name=site_name,
        source=source,
        lang=lang,
        description=first(metas, "og:description", "description", "twitter:description", "dc.description"),
        image=image,
        canonical_url=_canonical(doc, metas, url),
        tags=keywords(metas),
        categories=tuple(unique(metas.get("article:section", []))),
        tz=tz,
    )


def _lang(doc: Any, metas: dict[str, list[str]], nodes: list[str], title: str) -> str | None:
    for value in (
        doc.get("lang"),
        doc.get("{http://www.w3.org/XML/1998/namespace}lang"),
        doc.get("xml:lang"),
        first(metas, "content-language", "dc.language", "language"),
        first(metas, "og:locale"),
    ):
        if value and re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*", value.strip()):
            return value.strip().replace("_", "-")
    return _guess_lang(title + " " + " ".join(nodes[:400])[:4000])


def _guess_lang(text: str) -> str | None:
    cjk, kana, hangul, latin = (len(p.findall(text)) for p in (CJK, _KANA, _HANGUL, _LATIN))
    letters = cjk + kana + hangul + latin
    # A CJK character carries about a word, so a few of them are as telling as a sentence of Latin letters.
    if cjk + kana + hangul < 6 and letters < 20:
        return None
    if kana > 0.05 * letters:
        return "ja"
    if hangul > 0.3 * letters:
        return "ko"
    if cjk > 0.3 * letters:
        return "zh"
    return None


def _source(windows: Windows) -> str | None:
    for text in (windows.before + "\n" + windows.header, windows.body_tail + "\n" + windows.after_body):
        for match in _SOURCE.finditer(text):
            # Text, never markup that leaked into it (`来源：size="20"`).
            if not _MARKUP.search(match["s"]):
                return match["s"].strip()
    return None


def _image(metas: dict[str, list[str]], article: dict[str, Any], url: str) -> str | None:
    value = first(metas, "og:image", "og:image:url", "twitter:image", "twitter:image:src") or ld_str(
        article.get("image")
    )
    return _absolute(value, url)


def _absolute(value: str | None, base: str) -> str | None:
    if not value:
        return None
    try:
        full = urljoin(base, value.strip())
    except ValueError:
        return None
    return full if urlparse(full).scheme in ("http", "https") else None


def _canonical(doc: Any, metas: dict[str, list[str]], url: str) -> str | None:
    for href in _CANONICAL_HREFS(doc):
        found = _absolute(href, url)
        if found and not _root_of_deeper_page(found, url):
            return found
    found = _absolute(first(metas, "og:url"), url)
    return found if found and not _root_of_deeper_page(found, url) else None


def _root_of_deeper_page(candidate: str, url: str) -> bool:
    """A canonical that names the site's home page for an article below it: a template misconfigured
    site-wide. Taken as the article's identity, every article would replace the last one saved."""
    target = urlparse(candidate)
    return target.path in ("", "/") and not target.query and urlparse(url).path not in ("", "/")
