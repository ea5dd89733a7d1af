"""Article metadata from a parsed page: title, byline, dates, outlet, site, language, image."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from itertools import islice
from typing import Any
from urllib.parse import urljoin, urlparse

from lxml import etree

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
_LABELS = r"来源|來源|责任|编者|编辑|責編|责编|时间|時間|发布|發佈|日期|摄影|通讯员|记者|作者|出处|点击|阅读|评论|字号|打印"
_ZH_NAME = rf"(?!{_LABELS})[\u4e00-\u9fff·]{{2,5}}(?:[ 　、，,/]+(?!{_LABELS})[\u4e00-\u9fff·]{{2,4}})*"
_LATIN_NAME = r"[A-Za-z][\w&.\-']*(?: [A-Z][\w.\-']*){0,3}(?: \([^)\n]{1,40}\))?"
_NAME = (
    rf"(?:{_ZH_NAME}(?: \([^)\n]{{1,40}}\))?|[\u4e00-\u9fff]{{1,10}}&[\u4e00-\u9fff]{{1,10}}|{_LATIN_NAME})"
)
_STOP = r"(?=$|[\s\n）)\]】|｜，。;；:：]|来源|编辑|时间|发布|日期|摄影|通讯员)"
_ZH_AUTHOR = re.compile(
    rf"(?:作\s*者|撰\s*文|撰\s*稿|执\s*笔\s*人?|原作者|博主|楼主|发文机关|发布机构)\s*[:：]\s*\n?\s*(?P<n>{_NAME}){_STOP}"
)
_ZH_WEN = re.compile(rf"(?<![\u4e00-\u9fff])文\s*[/／|]\s*(?P<n>{_ZH_NAME}){_STOP}")
# Sohu style: "2004年7月16日08:19 [ 黄宇 ] 来源：..."
_ZH_DATE_THEN_NAME = re.compile(rf"\d{{1,2}}:\d\d(?::\d\d)?\s*[\[【]\s*(?P<n>{_ZH_NAME})\s*[\]】]")
_ZH_REPORTER = re.compile(
    rf"(?:本报|本刊|总台|新华社|央视|特约|实习)?(?:记者|通讯员)(?:[ 　]*[:：\n][ 　]*|[ 　]+)(?P<n>{_ZH_NAME}){_STOP}"
)
_ZH_TAIL_PATTERNS = [
    re.compile(
        rf"[（(]\s*(?:(?:本报|总台|新华社|特约)?记者\s*)?(?P<n>{_ZH_NAME})"
        rf"(?:\s*[\u4e00-\u9fff]{{2,4}}报道)?\s*[）)]\s*(?:\n|$)"
    ),
    re.compile(rf"(?:本报|总台|新华社)?记者\s*(?P<n>{_ZH_NAME})\s*(?:\n|$)"),
]
_ZH_NAME_LINE = re.compile(_ZH_NAME)
_LABEL_WORD = re.compile(_LABELS)
# Blogs: "ggjjzhzz 发表于 2005-9-15 11:46:00"
_ZH_POSTED_BY = re.compile(
    r"(?:^|\n|\s)(?P<n>[A-Za-z][\w.\-]{2,30}|[\u4e00-\u9fff]{2,8})\s*发表于\s*[:：]?\s*(?:19|20)\d\d"
)
_NOT_NAMES = {
    "首页",
    "正文",
    "返回",
    "评论",
    "打印",
    "关闭",
    "分享",
    "收藏",
    "推荐",
    "登录",
    "注册",
    "更多",
    "相关新闻",
}
# Government notices: the issuing body is the author (发文机关：吉林省人民政府).
_ZH_ISSUER = re.compile(
    r"(?:发文机关|发布机构|发文单位|发布单位)\s*[:：]\s*\n?\s*(?P<n>[\u4e00-\u9fff（）()]{2,24})(?=$|[\s\n])"
)
# A personal blog names its owner: "海姑娘的博客", "bjreader的博客".
_ZH_BLOG_OF = re.compile(
    r"(?:^|\n)(?P<n>[A-Za-z][\w.\-]{2,20}|[\u4e00-\u9fff]{2,5})\s*的(?:博客|部落格|网志|blog|Blog|BLOG)"
)
# A line under a headline that is only a name (or names) or a user handle: how essays and forum posts credit.
_NAME_ONLY = re.compile(rf"{_ZH_NAME}|[A-Za-z][A-Za-z0-9_.\-]{{2,19}}")
_NOT_NAME_WORDS = re.compile(
    r"[我你您]|首页|目录|导航|登录|注册|摘要|正文|简介|概述|前言|引言|导语|编者|新闻|图片|视频|分享|收藏|关闭|返回"
    r"|更多|推荐|相关|热门|专题|频道|浏览|查看|原文|转载|全文|本文|网友|用户|匿名|游客|广告|下载|订阅"
)
_HEADLINE_END = re.compile(r"[！？!?；;：:，,、]$|。|^\W|\d{4}")
_SUBTITLE = ("——", "──", "--", "－－", "—")
_ZH_EDITOR = re.compile(rf"(?:责任编辑|责编|编辑)\s*[:：]\s*(?P<n>{_ZH_NAME}){_STOP}")
_BY_LINE = re.compile(r"^\s*(?:by|von|par|por|di|door)\s+(?P<n>[^\n]{2,80})$", re.I)

_SOURCE = re.compile(
    r"(?:文章|新闻|信息|稿件)?(?:来源|來源|出处|source)\s*[:：]\s*[\[【(（《]?\s*"
    r"(?P<s>[^\s\[\]【】()（）《》|｜:：,，。;；]{2,30})",
    re.I,
)
_DATE_LABEL = re.compile(
    r"(?:发布|發佈|发表|發表|更新|出版|时间|時間|日期|发表于|发布于|published|posted|updated|date)\s*(?:[:：]|on|于)?\s*$",
    re.I,
)


def read_metadata(
    doc: Any, url: str, *, tz_override: str | None = None, body_text: str | None = None
) -> Metadata:
    """Read the metadata of `doc` (an lxml.html element tree of the page fetched from `url`)."""
    metas = _metas(doc)
    ld = list(_json_ld(doc))
    article = next((o for o in ld if _types(o) & _ARTICLE_TYPES and not _types(o) <= {"webpage"}), None)
    article = article or next((o for o in ld if _types(o) & _ARTICLE_TYPES), None) or {}

    title_tag = next(
        (t for t in (_clean(e.text_content()) for e in doc.xpath("//title[not(ancestor::svg)]")[:5]) if t), ""
    )
    # Documentation generators end headings with a permalink sign ("Evolve¶").
    h1s = [t for t in (_clean(h.text_content()).rstrip("¶§#🔗 ") for h in doc.xpath("//body//h1")[:5]) if t]

    site_name = (
        _first(metas, "og:site_name") or _ld_site_name(ld, article) or _first(metas, "application-name")
    )
    title, title_site = _title(metas, article, title_tag, h1s, site_name)
    site_name = site_name or title_site

    nodes = _text_nodes(doc)
    lang = _lang(doc, metas, nodes, title_tag)
    host = urlparse(url).hostname
    tz = dates.default_zone(override=tz_override, lang=lang, host=host)
    windows = _windows(nodes, title, h1s, body_text)
    author = _author(doc, metas, article, windows, title_tag, title, chinese=(lang or "").startswith("zh"))
    published = _published(doc, metas, article, windows, tz, lang)
    updated = _date(
        _ld_str(article.get("dateModified"))
        or _first(metas, "article:modified_time", "og:updated_time", "dcterms.modified"),
        tz,
    )
    source = _source(windows) or site_name
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
    """Meta contents by lower-cased key; `property` (RDFa, may list several keys) before `name`/`itemprop`."""
    found: dict[str, list[str]] = {}
    elements = doc.xpath("//meta[@content]")
    for attrs in (("property",), ("name", "itemprop", "http-equiv")):
        for meta in elements:
            content = _clean(meta.get("content"))
            if not content:
                continue
            for attr in attrs:
                for key in (meta.get(attr) or "").lower().split():
                    key = re.sub(r"^(dc|dcterms?)[:.]", lambda m: "dcterms." if m[1] != "dc" else "dc.", key)
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


# Text of the body in document order. Plain strings, and no per-node predicate: both are much cheaper.
_BODY_TEXT = etree.XPath("//body//text()", smart_strings=False)
_ALL_TEXT = etree.XPath("//text()", smart_strings=False)
_HIDDEN_TEXT = etree.XPath(
    "//script/text() | //style/text() | //noscript/text() | //template/text() | //body//title/text()",
    smart_strings=False,
)


def _text_nodes(doc: Any) -> list[str]:
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


# -- fields ------------------------------------------------------------------------------------------------------


def _title(
    metas: dict[str, list[str]],
    article: dict[str, Any],
    title_tag: str,
    h1s: list[str],
    site_name: str | None,
) -> tuple[str | None, str | None]:
    """The headline and the site name split off the <title> (if any).

    Each source (meta tags, JSON-LD, <h1>, <title>) proposes headlines; the one most sources agree on wins,
    ties going to the more trusted source. Agreement beats trust because social titles (og:title) are often
    rewritten for sharing while <title> and <h1> carry the page's own headline.
    """
    parts = [p.strip() for p in _TITLE_SPLIT.split(title_tag) if p.strip()] if title_tag else []
    site_from_title = None
    if len(parts) > 1 and len(parts[-1]) < len(max(parts, key=len)):
        site_from_title = parts[-1]
    site = site_name or site_from_title
    groups: list[list[str]] = [
        [
            _strip_site(t, site)
            for t in (_first(metas, k) for k in ("dc.title", "dcterms.title", "og:title", "twitter:title"))
            if t
        ],
        [t for t in (_ld_str(article.get("headline")), _ld_str(article.get("name"))) if t],
        [h for h in h1s if len(h) > 1],
        _title_tag_headlines(title_tag, parts, h1s, site_name),
    ]
    votes: dict[str, int] = {}
    for group in groups:
        for key in {_norm(t) for t in group}:
            votes[key] = votes.get(key, 0) + 1
    order = [t for group in (groups[0], groups[1], groups[3], groups[2]) for t in group]
    if not order:
        return None, site_from_title
    best = max(order, key=lambda t: votes[_norm(t)])
    if votes[_norm(best)] == 1 and not groups[0] and not groups[1] and not groups[3]:
        # Several <h1>s and nothing else: no telling which is the headline unless there is only one.
        best = h1s[0] if len(h1s) == 1 else best
    return best, site_from_title


def _title_tag_headlines(
    title_tag: str, parts: list[str], h1s: list[str], site_name: str | None
) -> list[str]:
    """What <title> proposes: the whole title, or the part(s) left when the site name is split off."""
    if not title_tag:
        return []
    if len(parts) <= 1:
        return [title_tag]
    norm_h1s = {_norm(h) for h in h1s} - {_norm(site_name or "")}
    matching = [p for p in parts if _norm(p) in norm_h1s]
    if matching:
        return matching[:1]
    for h1 in h1s:
        if len(h1) >= 4 and _norm(title_tag).startswith(_norm(h1)):
            return [h1]
    if site_name:
        kept = [p for p in parts if _norm(p) != _norm(site_name)]
        if kept and len(kept) < len(parts):
            return [_join_parts(title_tag, kept)]
    longest = max(parts, key=len)
    if len(parts[0]) >= 0.6 * len(longest):
        # Headline first, then section and site: the usual order, unless the first part is a short site prefix.
        return [parts[0]]
    if not _CJK.search(longest) and len(longest.split()) < 3 and len(title_tag.split()) > 3:
        return [_join_parts(title_tag, parts[:-1])]
    return [longest]


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
class _Windows:
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


def _windows(nodes: list[str], title: str | None, h1s: list[str], body_text: str | None) -> _Windows:
    title_at = -1
    for needle in [*(h for h in h1s if title and (h in title or title in h)), title or ""]:
        title_at = _find_node(nodes, _clean(needle), exact_first=True)
        if title_at >= 0:
            break
    body = _SPACE.sub(" ", body_text or "").strip()
    body_at = _find_node(nodes, body[:16], max(title_at, 0)) if body else -1
    if body_at < 0 and body and title_at >= 0:
        body_at = _find_node(nodes, body[:16])
    if title_at >= 0 and (body_at < 0 or body_at >= title_at):
        head_start, head_stop = title_at, (body_at + 3 if body_at >= 0 else len(nodes))
    elif body_at >= 0:
        head_start, head_stop = max(0, body_at - 25), body_at + 3
    else:
        head_start, head_stop = 0, len(nodes)
    found = _Windows(
        before=_join(nodes, max(0, head_start - 10), head_start, _WINDOW_BEFORE, backwards=True),
        header=_join(nodes, head_start, head_stop, _WINDOW_AFTER),
        after_title="\n".join(nodes[title_at + 1 : title_at + 3]) if title_at >= 0 else "",
        body_tail=body[-300:],
    )
    lead_at = body_at
    if lead_at < 0 and body:
        # The article's first line alone (a short headline) when its first characters span several nodes.
        first = _SPACE.sub(" ", (body_text or "").strip().split("\n", 1)[0]).strip()
        lead_at = _find_node(nodes, first[:16], max(title_at, 0), exact_first=True)
    if lead_at >= 0:
        found.lead = tuple(nodes[max(0, lead_at - 8) : lead_at + 6])
    if body:
        end_at = _find_node(nodes, body[-16:].strip(), max(body_at, 0))
        if end_at >= 0:
            found.after_body = _join(nodes, end_at + 1, len(nodes), 300)
    return found


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
    name = re.sub(r"^(?:作者|记者|文|撰文|责任编辑|编辑|责编)\s*[:：/／]\s*", "", name)
    name = re.sub(r"\s+\S{2,4}报道$", "", name)
    name = re.sub(r"[\s,;|:·•\-–—]+$", "", name)
    return name or None


_AUTHOR_CANDIDATES = etree.XPath(
    "//body//*[contains(@itemprop, 'author') or contains(@rel, 'author') or contains(@class, 'uthor')"
    " or contains(@class, 'UTHOR') or contains(@class, 'yline') or contains(@class, 'YLINE')]"
)


def _element_byline(doc: Any) -> str | None:
    """The byline from marked-up elements, by how precise the mark-up is (schema.org name, rel=author, classes)."""
    best: tuple[int, str] | None = None
    for element in _AUTHOR_CANDIDATES(doc)[:80]:
        itemprop = (element.get("itemprop") or "").lower().split()
        rel = (element.get("rel") or "").lower().split()
        klass = (element.get("class") or "").lower()
        if "author" in itemprop:
            names = element.xpath(".//*[@itemprop='name']")
            rank, text = (0, names[0].get("content") or names[0].text_content()) if names else (2, None)
        elif "author" in rel and element.tag == "a":
            rank, text = 1, None
        elif "author" in klass and "name" in klass:
            rank, text = 3, None
        elif "byline" in klass:
            rank, text = 4, None
        elif "author" in klass:
            rank, text = 5, None
        else:
            continue
        if best is not None and rank >= best[0]:
            continue
        if next(islice(element.iter(), 25, None), None) is not None:
            continue  # a container (author box, bio, comments), not a byline
        name = _byline_name(text if text is not None else element.get("content") or element.text_content())
        if name:
            best = (rank, name)
            if rank == 0:
                break
    return best[1] if best else None


_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t|tember)?|oct(?:ober)?"
    r"|nov(?:ember)?|dec(?:ember)?"
)
# Where a byline stops: a date, a time, a handle, a separator, or words that follow names in bylines.
_BYLINE_END = re.compile(
    rf"\s*(?:\b(?:{_MONTHS})\.?\s+\d|\b\d{{1,4}}[/.:-]\d|\d+\s+(?:min|hour|day|week)s?\b|\bupdated\b|\bpublished\b"
    r"|\bposted\b|\bshare\b|@|\||•|·|\s[-–—]\s|\n\s*\n).*",
    re.I | re.S,
)


def _byline_name(text: str | None) -> str | None:
    """A person's name out of a byline element's text ("Tech Industry by Jo Park January 18, 2017 @jo")."""
    if not text:
        return None
    text = html.unescape(text).strip()
    if re.match(r"(?:https?://|www\.|@)", text):
        return None
    by = re.search(r"(?:^|\s)(?:by|written by|posted by)\s+(?=\S)", text, re.I)
    if by:
        text = text[by.end() :]
    text = _BYLINE_END.sub("", text)
    name = _clean_author(text.split("\n")[0] if "\n" in text.strip() and len(text) > 60 else text)
    if not name or len(name) > 60 or len(name.split()) > 8 or not re.search(r"\w", name) or name.isdigit():
        return None
    return name


def _author(
    doc: Any,
    metas: dict[str, list[str]],
    article: dict[str, Any],
    windows: _Windows,
    title_tag: str,
    title: str | None,
    *,
    chinese: bool,
) -> str | None:
    found = _split_author(article.get("author")) or _split_author(article.get("creator"))
    if found:
        return found
    # Chinese CMSs often fill meta author with the vendor or an editor's login; a visible byline is better.
    visible = _zh_byline(windows, title_tag, title) if chinese else None
    if visible:
        return visible
    for key in (
        "dc.creator",
        "dcterms.creator",
        "author",
        "article:author",
        "parsely-author",
        "byl",
        "sailthru.author",
    ):
        for value in metas.get(key, ()):
            name = _byline_name(value)
            if name:
                return name
    name = _element_byline(doc)
    if name:
        return name
    for line in windows.header.split("\n")[:60]:
        match = _BY_LINE.match(line)
        if match:
            return _clean_author(match["n"])
    return None if chinese else _zh_byline(windows, title_tag, title, chinese=False)


def _zh_byline(
    windows: _Windows, title_tag: str, title: str | None = None, *, chinese: bool = True
) -> str | None:
    """A byline written the Chinese way: 作者：X, 记者 X, 文/X, （记者 X） at the end, a name line under the title."""
    head = windows.before + "\n" + windows.header
    tail = windows.body_tail + "\n" + windows.after_body
    for text in (head, tail):
        for pattern in (_ZH_AUTHOR, _ZH_WEN, _ZH_DATE_THEN_NAME, _ZH_POSTED_BY):
            match = pattern.search(text)
            if match:
                return _clean_author(match["n"])
    for pattern in _ZH_TAIL_PATTERNS:
        match = pattern.search(windows.body_tail)
        if match:
            return _clean_author(match["n"])
    for text in (windows.header, windows.body_tail):
        match = _ZH_REPORTER.search(text)
        if match:
            return _clean_author(match["n"])
    match = _ZH_ISSUER.search(windows.before + "\n" + windows.header)
    if match:
        return match["n"]
    # Only on Chinese pages: on others, section headings ("Conclusion", "News") stand on such lines too.
    name = _name_under_headline(windows.lead, title) if chinese else None
    if name:
        return name
    lines = windows.after_title.split("\n")
    if (
        lines
        and _ZH_NAME_LINE.fullmatch(lines[0])
        and len(lines[0]) <= 16
        and lines[0] not in _NOT_NAMES
        and not _NOT_NAME_WORDS.search(lines[0])
        and lines[0] not in title_tag
        and not _LABEL_WORD.search(lines[0])
    ):
        return lines[0]
    owner = _blog_owner(windows, title_tag)
    if owner:
        return owner
    for text in (windows.header, tail):
        match = _ZH_EDITOR.search(text)
        if match:
            return _clean_author(match["n"])
    return None


def _blog_owner(windows: _Windows, title_tag: str) -> str | None:
    """The owner a personal blog is named after: in its <title>, or named again and again around the post."""
    around = "\n".join((windows.before, windows.header, windows.body_tail, windows.after_body))
    for text, mentions in (("\n" + title_tag, 1), (windows.before + "\n" + windows.header, 3)):
        for match in _ZH_BLOG_OF.finditer(text):
            name = match["n"]
            # A blogroll lists other people's blogs once each; the owner's name recurs.
            if not _NOT_NAME_WORDS.search(name) and around.count(name) >= mentions:
                return name
    return None


def _name_under_headline(lines: tuple[str, ...], title: str | None) -> str | None:
    """A name standing alone on the line between a headline and the article text (essays, forum posts)."""
    for i in range(1, len(lines) - 1):
        name, above, below = lines[i], lines[i - 1], lines[i + 1]
        if (
            len(name) > 16
            or not _NAME_ONLY.fullmatch(name)
            or name in _NOT_NAMES
            or _LABEL_WORD.search(name)
            or _NOT_NAME_WORDS.search(name)
            or (title and name in title)
        ):
            continue
        if not (title and _norm(above) == _norm(title)) and (
            not 6 <= len(above) <= 60 or _HEADLINE_END.search(above) or _LABEL_WORD.search(above)
        ):
            continue
        if below.startswith(_SUBTITLE) or (len(below) >= 20 and not _NAME_ONLY.fullmatch(below)):
            return name
    return None


def _date(text: str | None, tz: tzinfo) -> datetime | None:
    try:
        return dates.parse_date(text, tz)
    except (ValueError, OverflowError):
        return None


def _published(
    doc: Any,
    metas: dict[str, list[str]],
    article: dict[str, Any],
    windows: _Windows,
    tz: tzinfo,
    lang: str | None,
) -> datetime | None:
    day_first = not (lang or "").lower().startswith("en-us")
    for text in (
        _ld_str(article.get("datePublished")),
        _first(metas, *_DATE_KEYS),
        *doc.xpath("(//body//time[@datetime])[1]/@datetime"),
        _ld_str(article.get("dateCreated")),
    ):
        value = _date(text, tz)
        if value:
            shown = _shown_date(windows, tz, day_first)
            if text and not re.search(r"\d:\d\d", text):
                # The markup gives the day only; the page often shows the same day with the time.
                if shown and shown.date() == value.date():
                    return shown
            elif shown:
                return _as_shown(value, shown)
            return value
    return _shown_date(windows, tz, day_first) or _date(
        _first(metas, "article:modified_time", "og:updated_time"), tz
    )


def _shown_date(windows: _Windows, tz: tzinfo, day_first: bool) -> datetime | None:
    for text in (
        windows.after_title,
        windows.header[:800],
        windows.before,
        windows.body_tail + "\n" + windows.after_body,
    ):
        value = _visible_date(text, tz, day_first)
        if value:
            return value
    return None


def _as_shown(value: datetime, shown: datetime) -> datetime:
    """`value` in the offset of the wall-clock time the page shows for the same moment (12:48Z shown as 13:48)."""
    delta = shown.replace(tzinfo=None) - value.astimezone(timezone.utc).replace(tzinfo=None)
    minutes = round(delta.total_seconds() / 60)
    if (
        abs(delta.total_seconds() - minutes * 60) >= 60
        or minutes % 15
        or abs(minutes) > 14 * 60
        or value.utcoffset() == timedelta(minutes=minutes)
    ):
        return value
    return value.astimezone(timezone(timedelta(minutes=minutes)))


_DATE_KEYS = (
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
)


def _visible_date(text: str, tz: tzinfo, day_first: bool) -> datetime | None:
    """The date a page shows for its article: the first labelled one (发布时间：), else the first; with its time."""
    latest = datetime.now(tz) + timedelta(days=2)
    found = [
        (pos, value, timed)
        for pos, value, timed in dates.find_dates(text, tz, day_first=day_first)
        if 1990 <= value.year and value <= latest
    ]
    if not found:
        return None
    labelled = [f for f in found if _DATE_LABEL.search(text[max(0, f[0] - 12) : f[0]])]
    chosen = (labelled or found)[0]
    if not chosen[2]:
        # A bare day near the headline, and the same day with a time a little further on: the time is wanted.
        for _pos, value, timed in found:
            if timed and value.date() == chosen[1].date():
                return value
    return chosen[1]


def _source(windows: _Windows) -> str | None:
    for text in (windows.before + "\n" + windows.header, windows.body_tail + "\n" + windows.after_body):
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
