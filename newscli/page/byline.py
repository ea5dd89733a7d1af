"""Who wrote the article: JSON-LD and meta authors, marked-up bylines, and bylines written the Chinese way."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator
from itertools import islice
from typing import Any

from lxml import etree

from newscli.page.embedded import ld_str
from newscli.page.headline import norm
from newscli.page.metatags import unique
from newscli.page.text import Needled, Windows, clean

# the page's XPath expressions, compiled once (doc.xpath(text) compiles its expression on every call)
_ITEMPROP_NAMES = etree.XPath(".//*[@itemprop='name']")

# A Chinese name or a list of them (张三、李四 / 张三 李四), or a Latin handle/name.
_LABELS = r"来源|來源|责任|编者|编辑|責編|责编|时间|時間|发布|發佈|日期|摄影|通讯员|记者|作者|出处|点击|阅读|评论|字号|打印"
_ZH_NAME = rf"(?!{_LABELS})[\u4e00-\u9fff·]{{2,5}}(?:[ 　、，,/]+(?!{_LABELS})[\u4e00-\u9fff·]{{2,4}})*"
_LATIN_NAME = r"[A-Za-z][\w&.\-']*(?: [A-Z][\w.\-']*){0,3}(?: \([^)\n]{1,40}\))?"
_NAME = (
    rf"(?:{_ZH_NAME}(?: \([^)\n]{{1,40}}\))?|[\u4e00-\u9fff]{{1,10}}&[\u4e00-\u9fff]{{1,10}}|{_LATIN_NAME})"
)
_STOP = r"(?=$|[\s\n）)\]】|｜，。;；:：]|来源|编辑|时间|发布|日期|摄影|通讯员)"
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
_HEADLINE_END = re.compile(r"[！？!?；;：:，,、]$|。|^\W|\d{4}")
_SUBTITLE = ("——", "──", "--", "－－", "—")


class _ZhPatterns:
    """The Chinese byline patterns. Their CJK classes make them slow to compile (~35 ms, most of the metadata
    import time), so they wait for the first page that needs them."""

    def __init__(self) -> None:
        # Each wrapped so that a text without the literal every match holds is not searched (text.Needled).
        self.author = Needled(
            rf"(?:作\s*者|撰\s*文|撰\s*稿|执\s*笔\s*人?|原作者|博主|楼主|发文机关|发布机构)\s*[:：]\s*\n?\s*(?P<n>{_NAME}){_STOP}",
            ":",
            "：",
        )
        self.wen = Needled(rf"(?<![\u4e00-\u9fff])文\s*[/／|]\s*(?P<n>{_ZH_NAME}){_STOP}", "文")
        # Sohu style: "2004年7月16日08:19 [ 黄宇 ] 来源：..."
        self.date_then_name = Needled(rf"\d{{1,2}}:\d\d(?::\d\d)?\s*[\[【]\s*(?P<n>{_ZH_NAME})\s*[\]】]", ":")
        self.reporter = Needled(
            rf"(?:本报|本刊|总台|新华社|央视|特约|实习)?(?:记者|通讯员)(?:[ 　]*[:：\n][ 　]*|[ 　]+)(?P<n>{_ZH_NAME}){_STOP}",
            "记者",
            "通讯员",
        )
        self.end_credits = [
            Needled(
                rf"[（(]\s*(?:(?:本报|总台|新华社|特约)?记者\s*)?(?P<n>{_ZH_NAME})"
                rf"(?:\s*[\u4e00-\u9fff]{{2,4}}报道)?\s*[）)]\s*(?:\n|$)",
                "（",
                "(",
            ),
            Needled(rf"(?:本报|总台|新华社)?记者\s*(?P<n>{_ZH_NAME})\s*(?:\n|$)", "记者"),
        ]
        self.name_line = re.compile(_ZH_NAME)
        self.label_word = re.compile(_LABELS)
        # Blogs: "ggjjzhzz 发表于 2005-9-15 11:46:00"
        self.posted_by = Needled(
            r"(?:^|\n|\s)(?P<n>[A-Za-z][\w.\-]{2,30}|[\u4e00-\u9fff]{2,8})\s*发表于\s*[:：]?\s*(?:19|20)\d\d",
            "发表于",
        )
        # Government notices: the issuing body is the author (发文机关：吉林省人民政府).
        self.issuer = Needled(
            r"(?:发文机关|发布机构|发文单位|发布单位)\s*[:：]\s*\n?\s*(?P<n>[\u4e00-\u9fff（）()]{2,24})(?=$|[\s\n])",
            "发文",
            "发布",
        )
        # A personal blog names its owner: "海姑娘的博客", "bjreader的博客".
        self.blog_of = Needled(
            r"(?:^|\n)(?P<n>[A-Za-z][\w.\-]{2,20}|[\u4e00-\u9fff]{2,5})\s*的(?:博客|部落格|网志|blog|Blog|BLOG)",
            "的",
        )
        # A line under a headline that is only a name (or names) or a user handle: how essays and forum posts credit.
        self.name_only = re.compile(rf"{_ZH_NAME}|[A-Za-z][A-Za-z0-9_.\-]{{2,19}}")
        self.not_name_words = re.compile(
            r"[我你您]|首页|目录|导航|登录|注册|摘要|正文|简介|概述|前言|引言|导语|编者|新闻|图片|视频|分享|收藏|关闭|返回"
            r"|更多|推荐|相关|热门|专题|频道|浏览|查看|原文|转载|全文|本文|网友|用户|匿名|游客|广告|下载|订阅"
        )
        self.editor = Needled(rf"(?:责任编辑|责编|编辑)\s*[:：]\s*(?P<n>{_ZH_NAME}){_STOP}", "编")


@functools.cache
def _zh() -> _ZhPatterns:
    return _ZhPatterns()


_BY_LINE = re.compile(r"^\s*(?:by|von|par|por|di|door)\s+(?P<n>[^\n]{2,80})$", re.I)


# schema.org types that name an outlet, not a person: a publisher given as the author is no byline.
_ORG_TYPES = {"organization", "newsmediaorganization", "corporation", "website", "brand", "onlinebusiness"}


def _split_author(value: Any, *, people: bool = False) -> str | None:
    """The names in a JSON-LD author value; with `people`, those not typed as an organisation."""
    if isinstance(value, list):
        names = [n for n in (_split_author(v, people=people) for v in value) if n]
        return ", ".join(unique(names)) or None
    if people and isinstance(value, dict):
        kinds = value.get("@type")
        kinds = {str(k).lower() for k in (kinds if isinstance(kinds, list) else [kinds]) if k}
        if kinds & _ORG_TYPES and "person" not in kinds:
            return None
    name = ld_str(value)
    return _clean_author(name) if name else None


def _clean_author(name: str | None) -> str | None:
    if not name:
        return None
    name = clean(name)
    if re.match(r"https?://", name):
        return None
    name = _EDGE_MARKS.sub("", name)
    name = re.sub(r"^(?:by|posted by|written by|von|par|por)\s+", "", name, flags=re.I)
    name = re.sub(r"^(?:作者|记者|文|撰文)\s*[:：/／]\s*", "", name)
    name = re.sub(r"\s+\S{2,4}报道$", "", name)
    name = _EDGE_MARKS.sub("", name)
    return name or None


# Separators that frame a byline ("/ Cory Doctorow /", "| By Jo Park", "— Ana Lee"), not part of the name.
_EDGE_MARKS = re.compile(r"^[\s,;|:·•/／\\\-–—]+|[\s,;|:·•/／\\\-–—]+$")
# A label that makes the name an editor's: 责任编辑 (the responsible editor), "Edited by".
_EDITOR_LABEL = re.compile(r"^\s*(?:责任编辑|责编|編輯|编辑|edited by|editor)\s*[:：/／]?\s*", re.I)


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
            names = _ITEMPROP_NAMES(element)
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


def read_author(
    doc: Any,
    metas: dict[str, list[str]],
    article: dict[str, Any],
    windows: Windows,
    title_tag: str,
    title: str | None,
    *,
    chinese: bool,
    publishers: tuple[str, ...] = (),
) -> str | None:
    """The article's author: JSON-LD, a visible Chinese byline, meta tags, marked-up bylines, a 'By' line.

    A name that is the publisher's (the site name, the JSON-LD publisher) or an editor's is no byline: the
    next source is asked. An organisation JSON-LD names as the author is taken only when no source names
    a person.
    """
    outlets = {norm(p) for p in publishers if p}
    for name in _author_candidates(doc, metas, article, windows, title_tag, title, chinese=chinese):
        if name and norm(name) not in outlets and not _EDITOR_LABEL.match(name):
            return name
    name = _split_author(article.get("author")) or _split_author(article.get("creator"))
    return name if name and norm(name) not in outlets else None


def _author_candidates(
    doc: Any,
    metas: dict[str, list[str]],
    article: dict[str, Any],
    windows: Windows,
    title_tag: str,
    title: str | None,
    *,
    chinese: bool,
) -> Iterator[str | None]:
    yield _split_author(article.get("author"), people=True) or _split_author(
        article.get("creator"), people=True
    )
    # Chinese CMSs often fill meta author with the vendor or an editor's login; a visible byline is better.
    if chinese:
        yield _zh_byline(windows, title_tag, title)
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
            if _EDITOR_LABEL.match(value):
                continue
            yield _byline_name(value)
    yield _element_byline(doc)
    for line in windows.header.split("\n")[:60]:
        match = _BY_LINE.match(line)
        if match:
            yield _clean_author(match["n"])
            break
    if not chinese:
        yield _zh_byline(windows, title_tag, title, chinese=False)


def read_editor(article: dict[str, Any], windows: Windows) -> str | None:
    """The article's editor, kept apart from its author: 责任编辑/编辑：X, "Edited by X", JSON-LD editor."""
    found = _split_author(article.get("editor"))
    if found:
        return found
    zh = _zh()
    for text in (windows.body_tail + "\n" + windows.after_body, windows.before + "\n" + windows.header):
        match = zh.editor.search(text)
        if match:
            return _clean_author(match["n"])
        match = _EDITED_BY.search(text)
        if match:
            return _byline_name(match["n"])
    return None


_EDITED_BY = re.compile(r"(?:^|\n)\s*(?:edited by|editor:)\s+(?P<n>[^\n]{2,60})(?:\n|$)", re.I)


def _zh_byline(
    windows: Windows, title_tag: str, title: str | None = None, *, chinese: bool = True
) -> str | None:
    """A byline written the Chinese way: 作者：X, 记者 X, 文/X, （记者 X） at the end, a name line under the title."""
    zh = _zh()
    head = windows.before + "\n" + windows.header
    tail = windows.body_tail + "\n" + windows.after_body
    for text in (head, tail):
        for pattern in (zh.author, zh.wen, zh.date_then_name, zh.posted_by):
            match = pattern.search(text)
            if match:
                return _clean_author(match["n"])
    for pattern in zh.end_credits:
        match = pattern.search(windows.body_tail)
        if match:
            return _clean_author(match["n"])
    for text in (windows.header, windows.body_tail):
        match = zh.reporter.search(text)
        if match:
            return _clean_author(match["n"])
    match = zh.issuer.search(windows.before + "\n" + windows.header)
    if match:
        return match["n"]
    # Only on Chinese pages: on others, section headings ("Conclusion", "News") stand on such lines too.
    name = _name_under_headline(windows.lead, title) if chinese else None
    if name:
        return name
    lines = windows.after_title.split("\n")
    if (
        lines
        and zh.name_line.fullmatch(lines[0])
        and len(lines[0]) <= 16
        and lines[0] not in _NOT_NAMES
        and not zh.not_name_words.search(lines[0])
        and lines[0] not in title_tag
        and not zh.label_word.search(lines[0])
    ):
        return lines[0]
    return _blog_owner(windows, title_tag)


def _blog_owner(windows: Windows, title_tag: str) -> str | None:
    """The owner a personal blog is named after: in its <title>, or named again and again around the post."""
    zh = _zh()
    around = "\n".join((windows.top, windows.before, windows.header, windows.body_tail, windows.after_body))
    for text, mentions in (
        ("\n" + title_tag, 1),
        (windows.before + "\n" + windows.header, 3),
        (windows.top, 3),
    ):
        for match in zh.blog_of.finditer(text):
            name = match["n"]
            # A blogroll lists other people's blogs once each; the owner's name recurs.
            if not zh.not_name_words.search(name) and around.count(name) >= mentions:
                return name
    return None


def _name_under_headline(lines: tuple[str, ...], title: str | None) -> str | None:
    """A name standing alone on the line between a headline and the article text (essays, forum posts)."""
    zh = _zh()
    for i in range(1, len(lines) - 1):
        name, above, below = lines[i], lines[i - 1], lines[i + 1]
        if (
            len(name) > 16
            or not zh.name_only.fullmatch(name)
            or name in _NOT_NAMES
            or zh.label_word.search(name)
            or zh.not_name_words.search(name)
            or (title and name in title)
        ):
            continue
        if not (title and norm(above) == norm(title)) and (
            not 6 <= len(above) <= 60 or _HEADLINE_END.search(above) or zh.label_word.search(above)
        ):
            continue
        if below.startswith(_SUBTITLE) or (len(below) >= 20 and not zh.name_only.fullmatch(below)):
            return name
    return None
