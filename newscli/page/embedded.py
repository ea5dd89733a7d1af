"""Data a page embeds as JSON: JSON-LD objects (graphs flattened), and the article a script-built page carries
in its state (Next.js `__NEXT_DATA__`, Nuxt `__NUXT_DATA__`, `window.__INITIAL_STATE__ = {…}` and the like)."""

from __future__ import annotations

import html
import itertools
import json
import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

from newscli.models import clean_json
from newscli.page.text import clean

# the page's XPath expressions, compiled once (doc.xpath(text) compiles its expression on every call)
_LD_SCRIPTS = etree.XPath("//script[@type='application/ld+json']")

ARTICLE_TYPES = {
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


# The JSON-LD of the pages being read, parsed once per page for the metadata and the embedded article.
_PARSED: weakref.WeakKeyDictionary[Any, list[dict[str, Any]]] = weakref.WeakKeyDictionary()


def json_ld(doc: Any) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object in the page's scripts, lists and @graph flattened (parsed once per page tree)."""
    try:
        found = _PARSED.get(doc)
    except TypeError:  # not weakly referenceable: parse every time
        found = None
        yield from _json_ld(doc)
        return
    if found is None:
        found = list(_json_ld(doc))
        _PARSED[doc] = found
    yield from found


def _json_ld(doc: Any) -> Iterator[dict[str, Any]]:
    for script in _LD_SCRIPTS(doc):
        text = (script.text or "").strip()
        if not text:
            continue
        try:
            data = json.loads(text)
        except RecursionError:
            continue
        except ValueError:
            # Some sites wrap JSON-LD in CDATA or leave trailing commas; try once without the wrapping.
            try:
                data = json.loads(re.sub(r"^\s*(?://)?<!\[CDATA\[|(?://)?\]\]>\s*$", "", text))
            except (ValueError, RecursionError):
                continue
        yield from _flatten(clean_json(data))


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


def ld_types(obj: dict[str, Any]) -> set[str]:
    """The lower-cased @type names of a JSON-LD object."""
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.lower() for k in kinds if isinstance(k, str)}


def ld_str(value: Any) -> str | None:
    """A JSON-LD value as one cleaned string (the first of a list, the name of an object); None if empty."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or value.get("url")
    if isinstance(value, (str, int, float)):
        text = clean(str(value))
        return text or None
    return None


def ld_site_name(ld: list[dict[str, Any]], article: dict[str, Any]) -> str | None:
    publisher = article.get("publisher")
    name = ld_str(publisher) if isinstance(publisher, (dict, list)) else None
    if name:
        return name
    for obj in ld:
        if ld_types(obj) & {"website"}:
            name = ld_str(obj.get("name"))
            if name:
                return name
    return None


# ---- the article a script-built page carries as data ---------------------------------------------------------

# Keys that name an article's parts in the state objects of Next.js, Nuxt, Redux/Apollo stores and CMS APIs.
_TITLE_KEYS = (
    "title",
    "headline",
    "name",
    "articleTitle",
    "newsTitle",
    "Title",
    "article_title",
    "news_title",
)
_BODY_KEYS = (
    "articleBody", "content", "body", "html", "contentHtml", "content_html", "bodyHtml", "body_html",
    "articleContent", "newsContent", "Content", "text", "detail", "contentText",
)  # fmt: skip
_AUTHOR_KEYS = ("author", "authors", "byline", "writer", "authorName", "author_name", "editor")
_SOURCE_KEYS = ("source", "sourceName", "source_name", "mediaName", "media", "origin", "copyfrom")
_DATE_KEYS = (
    "datePublished", "publishedAt", "published_at", "publishTime", "publish_time", "pubDate", "pubTime",
    "publishDate", "publish_date", "showTime", "firstPublishedAt", "createdAt", "createTime", "ctime", "date",
)  # fmt: skip
# `window.__INITIAL_STATE__ = {`, `window["__APOLLO_STATE__"] = [`, `var __DATA__ = {`, `self.X = JSON.parse("…")`
_ASSIGNMENT = re.compile(
    r"""(?:\b(?:window|self|globalThis)\s*(?:\.\s*([A-Za-z_$][\w$]*)|\[\s*["']([^"'\]]{1,80})["']\s*\])"""
    r"""|\b(?:var|let|const)\s+([A-Za-z_$][\w$]*))\s*=\s*(JSON\.parse\(\s*)?"""
)
_TAG = re.compile(r"<[A-Za-z/!][^>]*>")
_SPACES = re.compile(r"\s+")
MAX_SCRIPT_CHARS = 4_000_000  # JSON read from all scripts of one page, at most
MAX_NODES = 400_000  # values looked at while searching it
MIN_EMBEDDED_CHARS = 100  # a body shorter than this (text characters) is a teaser, not the article


@dataclass(frozen=True)
class EmbeddedArticle:
    """The article a page carries as script data: its body (HTML) and what the same object says of it."""

    where: str  # "__NEXT_DATA__", "window.__INITIAL_STATE__", "JSON-LD articleBody" …
    title: str
    html: str
    text_chars: int
    author: str | None = None
    source: str | None = None
    published: str | None = None  # as written: an ISO or local date string, or epoch seconds/milliseconds


def script_data(doc: Any) -> Iterator[tuple[str, Any]]:
    """(where, value) for every JSON value the page's scripts hold: JSON scripts and `X = {…}` assignments.

    Parsing is JSON only (no script is run): an assignment's value is read where it starts, as one
    balanced JSON value, and skipped when it is not JSON. Bounded by MAX_SCRIPT_CHARS in all.
    """
    budget = MAX_SCRIPT_CHARS
    decoder = json.JSONDecoder()
    for script in doc.iter("script"):
        if script.get("src") or budget <= 0:
            continue
        text = script.text or ""
        kind = (script.get("type") or "").strip().lower()
        if (
            len(text) < 64
            or kind == "application/ld+json"
            or (kind and "json" not in kind and "javascript" not in kind and "module" not in kind)
        ):
            continue
        text = text[:budget]
        budget -= len(text)
        ident = script.get("id") or ""
        stripped = text.strip()
        if "json" in kind or stripped[:1] in "{[":
            value = _loads(stripped)
            if value is not None:
                name = ident or "script data"
                yield name, (_revive_nuxt(value) if ident == "__NUXT_DATA__" else value)
            continue
        for match in _ASSIGNMENT.finditer(text):
            name = next((g for g in match.groups()[:3] if g), "script")
            pos = match.end()
            try:
                if match.group(4):  # JSON.parse("…"): a JSON string holding JSON
                    if text[pos : pos + 1] != '"':
                        continue
                    inner, _ = decoder.raw_decode(text, pos)
                    value = _loads(inner) if isinstance(inner, str) else None
                elif text[pos : pos + 1] in ("{", "["):
                    raw, _ = decoder.raw_decode(text, pos)
                    value = clean_json(raw)
                else:
                    continue
            except (ValueError, RecursionError):
                continue
            if value is not None:
                yield f"window.{name}", value


def _loads(text: str) -> Any:
    try:
        return clean_json(json.loads(text))
    except (ValueError, RecursionError):
        return None


def _revive_nuxt(payload: Any) -> Any:
    """Nuxt 3's __NUXT_DATA__ (devalue): a flat array whose objects point at other slots by index."""
    if not isinstance(payload, list) or not payload:
        return payload
    done: dict[int, Any] = {}
    budget = [MAX_NODES]

    def revive(index: Any, depth: int = 0) -> Any:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(payload):
            return None
        if index in done:
            return done[index]
        budget[0] -= 1
        if budget[0] < 0 or depth > 64:
            return None
        value = payload[index]
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            done[index] = out
            for key, ref in value.items():
                out[key] = revive(ref, depth + 1)
            return out
        if isinstance(value, list):
            if len(value) == 2 and isinstance(value[0], str) and value[0] in (
                "Reactive", "ShallowReactive", "Ref", "ShallowRef", "EmptyRef", "EmptyShallowRef"
            ):  # fmt: skip
                result = revive(value[1], depth + 1)
            elif value and isinstance(value[0], str):  # Date, Set, Map, BigInt …: not article text
                result = None
            else:
                result = [revive(ref, depth + 1) for ref in value]
            done[index] = result
            return result
        done[index] = value
        return value

    return revive(0)


def headline_key(text: str | None) -> str:
    """A headline folded for comparison: case, white space and punctuation ignored."""
    return "".join(ch for ch in _SPACES.sub("", text or "").casefold() if ch.isalnum())


def _matches(title: str, headlines: list[str]) -> bool:
    key = headline_key(title)
    if len(key) < 4:
        return False
    for wanted in headlines:
        if key == wanted or (len(key) >= 8 and key in wanted) or (len(wanted) >= 8 and wanted in key):
            return True
    return False


def embedded_article(doc: Any, headlines: list[str], *, scripts: bool = True) -> EmbeddedArticle | None:
    """The article among the page's script data (and JSON-LD articleBody): the object whose title matches
    one of the page's `headlines` (og:title, <title>, <h1>) and holds the longest body; None when none does.
    Without `scripts`, JSON-LD alone (cheap: no framework state parsed)."""
    wanted = [k for k in (headline_key(h) for h in headlines) if k]
    if not wanted:
        return None
    best: EmbeddedArticle | None = None
    sources = [
        ("JSON-LD articleBody", obj) for obj in json_ld(doc) if isinstance(obj.get("articleBody"), str)
    ]
    for where, value in itertools.chain(sources, script_data(doc) if scripts else ()):
        for found in _candidates(where, value, wanted):
            if best is None or found.text_chars > best.text_chars:
                best = found
    return best


def _candidates(where: str, value: Any, wanted: list[str]) -> Iterator[EmbeddedArticle]:
    stack = [value]
    seen = 0
    while stack and seen < MAX_NODES:
        node = stack.pop()
        seen += 1
        if isinstance(node, dict):
            found = _as_article(where, node, wanted)
            if found is not None:
                yield found
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))


def _as_article(where: str, obj: dict[str, Any], wanted: list[str]) -> EmbeddedArticle | None:
    title = next((v for k in _TITLE_KEYS if isinstance(v := obj.get(k), str) and v.strip()), None)
    if title is None or not _matches(title, wanted):
        return None
    best_html, best_chars = "", 0
    for key in _BODY_KEYS:
        html = _body_html(obj.get(key))
        if html:
            chars = len(_SPACES.sub("", _TAG.sub("", html)))
            if chars > best_chars:
                best_html, best_chars = html, chars
    if best_chars < MIN_EMBEDDED_CHARS:
        return None
    return EmbeddedArticle(
        where=where,
        title=clean(title),
        html=best_html,
        text_chars=best_chars,
        author=_names(next((obj[k] for k in _AUTHOR_KEYS if obj.get(k)), None)),
        source=_names(next((obj[k] for k in _SOURCE_KEYS if obj.get(k)), None)),
        published=_date_value(next((obj[k] for k in _DATE_KEYS if obj.get(k)), None)),
    )


def _body_html(value: Any, depth: int = 0) -> str:
    """A body value as HTML: an HTML string, text (paragraphs by line), or a list of blocks."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return ""
        if _TAG.search(text):
            return text
        return "".join(f"<p>{html.escape(p.strip())}</p>" for p in text.split("\n") if p.strip())
    if isinstance(value, list) and depth < 3:
        parts = []
        for block in value[:2000]:
            if isinstance(block, dict):
                block = next((block[k] for k in ("html", "text", "content", "value") if k in block), None)
            parts.append(_body_html(block, depth + 1))
        return "".join(parts)
    if isinstance(value, dict) and depth < 3:  # {"html": "…"} / {"rendered": "…"} (WordPress REST)
        inner = next((value[k] for k in ("html", "rendered", "text", "value") if k in value), None)
        return _body_html(inner, depth + 1)
    return ""


def _names(value: Any) -> str | None:
    if isinstance(value, str):
        return clean(value) or None
    if isinstance(value, dict):
        return _names(value.get("name") or value.get("nickname") or value.get("title"))
    if isinstance(value, list):
        names = [n for n in (_names(v) for v in value[:10]) if n]
        return ", ".join(dict.fromkeys(names)) or None
    return None


def _date_value(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return str(int(value))
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None
