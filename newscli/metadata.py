"""Article metadata from a parsed page: title, byline, dates, outlet, site, language, image."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import urljoin, urlparse

from newscli import dates


@dataclass(frozen=True)
class Metadata:
    """What the page says about its article. Dates are timezone-aware."""

    title: str | None = None
    author: str | None = None
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


# How much page text around the headline is searched for bylines, dates and credits.
_WINDOW_BEFORE = 400
_WINDOW_AFTER = 2000
_MAX_NODES = 6000

_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "blogposting",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "scholarlyarticle",
    "techarticle",
    "report",
    "socialmediaposting",
    "liveblogposting",
    "backgroundnewsarticle",
    "review",
    "creativework",
    "webpage",
    "itempage",
    "posting",
    "discussionforumposting",
    "qapage",
    "videoobject",
}
_SITE_TYPES = {"website", "organization", "newsmediaorganization", "corporation"}

_SPACE = re.compile(r"\s+")
# Separators between a headline and the site name in <title>: spaced dashes/bars, or CJK forms without spaces.
_TITLE_SPLIT = re.compile(r"\s+(?:[|\-–—:·»/\\]|::|--)\s+|\s*(?:[|｜_]|——|－－|--)\s*")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")

# A Chinese name or a list of them (张三、李四 / 张三 李四), or a Latin handle/name.
_LABELS = (
    r"来源|來源|编辑|責編|责编|时间|時間|发布|發佈|日期|摄影|通讯员|记者|作者|出处|点击|阅读|评论|字号|打印"
)
_ZH_NAME = rf"(?!{_LABELS})[\u4e00-\u9fff·]{{2,5}}(?:[ 　、，,/]+(?!{_LABELS})[\u4e00-\u9fff·]{{2,4}})*"
_LATIN_NAME = r"[A-Za-z][\w&.\-']*(?: [A-Z][\w.\-']*){0,3}(?: \([^)\n]{1,40}\))?"
_NAME = (
    rf"(?:{_ZH_NAME}(?: \([^)\n]{{1,40}}\))?|[\u4e00-\u9fff]{{1,10}}&[\u4e00-\u9fff]{{1,10}}|{_LATIN_NAME})"
)
_STOP = r"(?=$|[\s\n）)\]】|｜，。;；:：]|来源|编辑|时间|发布|日期|摄影|通讯员)"
_ZH_AUTHOR_PATTERNS = [
    re.compile(
        rf"(?:作\s*者|撰\s*文|撰\s*稿|执笔人?|文\s*[/／]|原作者|博主|楼主)\s*[:：]?\s*\[?\s*(?P<n>{_NAME}){_STOP}"
    ),
    re.compile(
        rf"(?:本报|本刊|总台|新华社|央视|特约|实习)?(?:记者|通讯员)\s*[:：]?\s*(?P<n>{_ZH_NAME}){_STOP}"
    ),
    re.compile(rf"\[\s*(?P<n>{_ZH_NAME})\s*\]"),
]
_ZH_TAIL_PATTERNS = [
    re.compile(
        rf"[（(]\s*(?:(?:本报|总台|新华社|特约)?记者\s*)?(?P<n>{_ZH_NAME})(?:\s*[\u4e00-\u9fff]{{2,4}}报道)?\s*[）)]\s*$"
    ),
    re.compile(rf"(?:本报|总台|新华社)?记者\s*(?P<n>{_ZH_NAME})\s*$"),
]
_ZH_EDITOR = re.compile(rf"(?:责任编辑|责编|编辑)\s*[:：]\s*(?P<n>{_ZH_NAME}){_STOP}")
_BY_LINE = re.compile(r"^\s*(?:by|von|par|por|di|door)\s+(?P<n>[^\n]{2,80})$", re.I)

_SOURCE = re.compile(
    r"(?:文章|新闻|信息|稿件)?(?:来源|來源|出处|source)\s*[:：]\s*[\[【(（《]?\s*"
    r"(?P<s>[^\s\[\]【】()（）《》|｜:：,，。;；]{2,30})",
    re.I,
)
_LABELLED_DATE = re.compile(
    r"(?:发布|發佈|发表|發表|更新|出版|时间|時間|日期|于|於|published|posted|updated)\s*[:：]?\s*", re.I
)


def read_metadata(
    doc: Any, url: str, *, tz_override: str | None = None, body_text: str | None = None
) -> Metadata:
    """Read the metadata of `doc` (an lxml.html element tree of the page fetched from `url`)."""
    metas = _metas(doc)
    ld = list(_json_ld(doc))
    article = next((o for o in ld if _types(o) & _ARTICLE_TYPES and not _types(o) <= {"webpage"}), None)
    article = article or next((o for o in ld if _types(o) & _ARTICLE_TYPES), None) or {}

    title_tag = _clean(" ".join(doc.xpath("//head/title//text()") or doc.xpath("//title//text()")[:1]))
    h1s = [t for t in (_clean(h.text_content()) for h in doc.xpath("//body//h1")[:5]) if t]

    site_name = (
        _first(metas, "og:site_name") or _ld_site_name(ld, article) or _first(metas, "application-name")
    )
    title, title_site = _title(metas, article, title_tag, h1s, site_name)
    site_name = site_name or title_site

    nodes = _text_nodes(doc)
    lang = _lang(doc, metas, nodes, title_tag)
    host = urlparse(url).hostname
    tz = dates.default_zone(override=tz_override, lang=lang, host=host)
    window = _window(nodes, title, h1s)
    tail = (body_text or "").strip()[-300:]

    author = _author(doc, metas, article, window, tail)
    published = _published(doc, metas, article, window, tz)
    updated = _date(
        _ld_str(article.get("dateModified"))
        or _first(metas, "article:modified_time", "og:updated_time", "dcterms.modified"),
        tz,
    )
    source = _source(window, tail) or site_name
    image = _image(metas, article, url)
    return Metadata(
        title=title,
        author=author,
        published=published,
        updated=updated,
        site_name=site_name,
        source=source,
        lang=lang,
        description=_first(metas, "og:description", "description", "twitter:description", "dc.description"),
        image=image,
        canonical_url=_canonical(doc, metas, url),
        tags=_tags(metas),
        categories=tuple(_unique(metas.get("article:section", []))),
        tz=tz,
    )


# -- page structures -------------------------------------------------------------------------------------------


def _clean(text: str | None) -> str:
    return _SPACE.sub(" ", html.unescape(text or "")).strip()


def _metas(doc: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for meta in doc.xpath("//meta[@content]"):
        content = _clean(meta.get("content"))
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = (meta.get(attr) or "").strip().lower()
            if key:
                found.setdefault(key, []).append(content)
    return found


def _first(metas: dict[str, list[str]], *keys: str) -> str | None:
    for key in keys:
        for value in metas.get(key, ()):
            if value:
                return value
    return None


def _json_ld(doc: Any) -> Iterator[dict[str, Any]]:
    for script in doc.xpath("//script[@type='application/ld+json']"):
        text = (script.text or "").strip()
        if not text:
            continue
        try:
            data = json.loads(text)
        except ValueError:
            # Some sites wrap JSON-LD in CDATA or leave trailing commas; try once without the wrapping.
            try:
                data = json.loads(re.sub(r"^\s*(?://)?<!\[CDATA\[|(?://)?\]\]>\s*$", "", text))
            except ValueError:
                continue
        yield from _flatten(data)


def _flatten(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            yield from _flatten(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _flatten(data["@graph"], depth + 1)
        main = data.get("mainEntity") or data.get("mainEntityOfPage")
        if isinstance(main, dict) and "@type" in main:
            yield from _flatten(main, depth + 1)


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.lower() for k in kinds if isinstance(k, str)}


def _ld_str(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or value.get("url")
    if isinstance(value, (str, int, float)):
        text = _clean(str(value))
        return text or None
    return None


def _ld_site_name(ld: list[dict[str, Any]], article: dict[str, Any]) -> str | None:
    publisher = article.get("publisher")
    name = _ld_str(publisher) if isinstance(publisher, (dict, list)) else None
    if name:
        return name
    for obj in ld:
        if _types(obj) & {"website"}:
            name = _ld_str(obj.get("name"))
            if name:
                return name
    return None


def _text_nodes(doc: Any) -> list[str]:
    out: list[str] = []
    bodies = doc.xpath("//body") or [doc]
    for element in bodies[0].iter():
        if element.tag in ("script", "style", "noscript", "template") or not isinstance(element.tag, str):
            if element.tail and element.tail.strip():
                out.append(_SPACE.sub(" ", element.tail).strip())
            continue
        if element.text and element.text.strip():
            out.append(_SPACE.sub(" ", element.text).strip())
        if element.tail and element.tail.strip():
            out.append(_SPACE.sub(" ", element.tail).strip())
        if len(out) >= _MAX_NODES:
            break
    return out


# -- fields ------------------------------------------------------------------------------------------------------


def _title(
    metas: dict[str, list[str]],
    article: dict[str, Any],
    title_tag: str,
    h1s: list[str],
    site_name: str | None,
) -> tuple[str | None, str | None]:
    """The headline and the site name split off the <title> (if any)."""
    site_from_title: str | None = None
    parts = [p.strip() for p in _TITLE_SPLIT.split(title_tag) if p.strip()] if title_tag else []
    if len(parts) > 1:
        site_from_title = parts[-1] if len(parts[-1]) < len(max(parts, key=len)) else None
    candidates = [
        _first(metas, "og:title", "twitter:title", "dc.title", "dcterms.title"),
        _ld_str(article.get("headline")) or _ld_str(article.get("name")),
    ]
    for cand in candidates:
        if cand:
            return _strip_site(cand, site_name or site_from_title), site_from_title
    for h1 in h1s:
        if title_tag and (title_tag.startswith(h1) or h1 in parts) or len(h1s) == 1 and not title_tag:
            return h1, site_from_title
    if not title_tag:
        return (h1s[0] if len(h1s) == 1 else None), None
    if len(parts) <= 1:
        return title_tag, None
    if site_name:
        kept = [p for p in parts if _norm(p) != _norm(site_name)]
        if kept and len(kept) < len(parts):
            return _join_parts(title_tag, kept), site_from_title
    return max(parts, key=len), site_from_title


def _join_parts(title: str, parts: list[str]) -> str:
    """The span of `title` from the first to the last kept part (keeps inner separators as written)."""
    start = title.find(parts[0])
    end = title.rfind(parts[-1]) + len(parts[-1])
    return title[start:end].strip() if 0 <= start < end else parts[0]


def _strip_site(title: str, site: str | None) -> str:
    if not site:
        return title
    parts = [p.strip() for p in _TITLE_SPLIT.split(title) if p.strip()]
    if len(parts) > 1 and _norm(parts[-1]) == _norm(site):
        return _join_parts(title, parts[:-1])
    return title


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def _lang(doc: Any, metas: dict[str, list[str]], nodes: list[str], title: str) -> str | None:
    for value in (
        doc.get("lang"),
        doc.get("{http://www.w3.org/XML/1998/namespace}lang"),
        doc.get("xml:lang"),
        _first(metas, "content-language", "dc.language", "language"),
        _first(metas, "og:locale"),
    ):
        if value and re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*", value.strip()):
            return value.strip().replace("_", "-")
    return _guess_lang(title + " " + " ".join(nodes[:400])[:4000])


def _guess_lang(text: str) -> str | None:
    cjk, kana, hangul, latin = (len(p.findall(text)) for p in (_CJK, _KANA, _HANGUL, _LATIN))
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


def _window(nodes: list[str], title: str | None, h1s: list[str]) -> str:
    """Page text around the headline, where bylines, dates and credits sit; the top of the page without one."""
    anchor = -1
    for needle in [*(h for h in h1s if title and (h in title or title in h)), title]:
        if not needle or len(needle) < 4:
            continue
        for i, node in enumerate(nodes):
            if needle in node or (len(node) >= 6 and len(node) >= len(needle) // 2 and node in needle):
                anchor = i
                break
        if anchor >= 0:
            break
    if anchor < 0:
        anchor = 0
    before: list[str] = []
    size = 0
    for node in reversed(nodes[max(0, anchor - 20) : anchor]):
        size += len(node)
        if size > _WINDOW_BEFORE:
            break
        before.append(node)
    after: list[str] = []
    size = 0
    for node in nodes[anchor:]:
        after.append(node)
        size += len(node)
        if size > _WINDOW_AFTER:
            break
    return "\n".join([*reversed(before), *after])


def _split_author(value: Any) -> str | None:
    if isinstance(value, list):
        names = [n for n in (_split_author(v) for v in value) if n]
        return ", ".join(_unique(names)) or None
    name = _ld_str(value)
    return _clean_author(name) if name else None


def _clean_author(name: str | None) -> str | None:
    if not name:
        return None
    name = _clean(name)
    if re.match(r"https?://", name):
        return None
    name = re.sub(r"^(?:by|posted by|written by|von|par|por)\s+", "", name, flags=re.I)
    name = re.sub(r"^(?:作者|记者|文|撰文)\s*[:：/／]\s*", "", name)
    name = re.sub(r"[\s,;|:·•\-–—]+$", "", name)
    return name or None


def _author(
    doc: Any, metas: dict[str, list[str]], article: dict[str, Any], window: str, tail: str
) -> str | None:
    found = _split_author(article.get("author")) or _split_author(article.get("creator"))
    if found:
        return found
    meta = _first(
        metas,
        "author",
        "dc.creator",
        "dcterms.creator",
        "article:author",
        "parsely-author",
        "byl",
        "sailthru.author",
    )
    if meta and not re.match(r"https?://", meta):
        return _clean_author(meta)
    for element in doc.xpath(
        "//body//*[@rel='author' or contains(@itemprop,'author') or contains(@class,'byline')"
        " or contains(@class,'author')][position() <= 5]"
    ):
        text = _clean(element.text_content())
        if 1 < len(text) <= 80:
            return _clean_author(text)
    for line in window.split("\n")[:60]:
        match = _BY_LINE.match(line)
        if match:
            return _clean_author(match["n"])
    for pattern in _ZH_AUTHOR_PATTERNS:
        match = pattern.search(window)
        if match:
            return _clean_author(match["n"])
    for pattern in _ZH_TAIL_PATTERNS:
        match = pattern.search(tail)
        if match:
            return _clean_author(match["n"])
    match = _ZH_EDITOR.search(window) or _ZH_EDITOR.search(tail)
    return _clean_author(match["n"]) if match else None


def _date(text: str | None, tz: tzinfo) -> datetime | None:
    try:
        return dates.parse_date(text, tz)
    except (ValueError, OverflowError):
        return None


def _published(
    doc: Any, metas: dict[str, list[str]], article: dict[str, Any], window: str, tz: tzinfo
) -> datetime | None:
    for text in (
        _ld_str(article.get("datePublished")),
        _first(
            metas,
            "article:published_time",
            "datepublished",
            "pubdate",
            "publishdate",
            "date",
            "dc.date",
            "dc.date.issued",
            "dcterms.created",
            "dcterms.date",
            "sailthru.date",
            "parsely-pub-date",
            "og:published_time",
            "publish-date",
            "article.published",
        ),
        *doc.xpath("(//body//time[@datetime])[1]/@datetime"),
        _ld_str(article.get("dateCreated")),
    ):
        value = _date(text, tz)
        if value:
            return value
    labelled = None
    for match in _LABELLED_DATE.finditer(window):
        labelled = _date(window[match.end() : match.end() + 40], tz)
        if labelled:
            return labelled
    first = None
    for line in window.split("\n"):
        if re.search(r"(?:19|20)\d\d", line):
            first = _date(line, tz)
            if first:
                return first
    return _date(_first(metas, "article:modified_time", "og:updated_time"), tz)


def _source(window: str, tail: str) -> str | None:
    for text in (window, tail):
        match = _SOURCE.search(text)
        if match:
            return match["s"].strip()
    return None


def _image(metas: dict[str, list[str]], article: dict[str, Any], url: str) -> str | None:
    value = _first(metas, "og:image", "og:image:url", "twitter:image", "twitter:image:src") or _ld_str(
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
    for href in doc.xpath(
        "//link[@href][contains(concat(' ', normalize-space(translate(@rel,'CANONICAL','canonical')), ' '), ' canonical ')]/@href"
    ):
        found = _absolute(href, url)
        if found:
            return found
    return _absolute(_first(metas, "og:url"), url)


def _tags(metas: dict[str, list[str]]) -> tuple[str, ...]:
    tags: list[str] = []
    for value in metas.get("keywords", []) + metas.get("news_keywords", []):
        tags.extend(t.strip() for t in re.split(r"[,，、;；]", value))
    tags.extend(metas.get("article:tag", []))
    return tuple(_unique(t for t in tags if t))


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)
