"""The page's <meta> tags: contents by key, the first of several keys, keywords."""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable
from typing import Any

from lxml import etree

# the page's XPath expressions, compiled once (doc.xpath(text) compiles its expression on every call)
_METAS = etree.XPath("//meta[@content]")

# The meta tags of the pages being read, collected once per page tree (headlines, then metadata). Read only.
_READ: weakref.WeakKeyDictionary[Any, dict[str, list[str]]] = weakref.WeakKeyDictionary()


def meta_tags(doc: Any) -> dict[str, list[str]]:
    """Meta contents by lower-cased key; `property` (RDFa, may list several keys) before `name`/`itemprop`."""
    try:
        found = _READ.get(doc)
    except TypeError:  # not weakly referenceable
        return _meta_tags(doc)
    if found is None:
        found = _READ[doc] = _meta_tags(doc)
    return found


def _meta_tags(doc: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    elements = _METAS(doc)
    for attrs in (("property",), ("name", "itemprop", "http-equiv")):
        for meta in elements:
            # the parser unescaped the attribute once; again would turn `&amp;amp;` (shown `&amp;`) into `&`
            content = " ".join((meta.get("content") or "").split())
            if not content:
                continue
            for attr in attrs:
                for key in (meta.get(attr) or "").lower().split():
                    key = re.sub(r"^(dc|dcterms?)[:.]", lambda m: "dcterms." if m[1] != "dc" else "dc.", key)
                    found.setdefault(key, []).append(content)
    return found


def first(metas: dict[str, list[str]], *keys: str) -> str | None:
    """The first non-empty content of the first of `keys` the page has."""
    for key in keys:
        for value in metas.get(key, ()):
            if value:
                return value
    return None


def keywords(metas: dict[str, list[str]]) -> tuple[str, ...]:
    """The page's keywords and article tags, in order, without repeats."""
    tags: list[str] = []
    for value in metas.get("keywords", []) + metas.get("news_keywords", []):
        parts = re.split(r"([,，、;；])", value)
        merged = [parts[0]]
        for sep, part in zip(parts[1::2], parts[2::2], strict=True):
            if sep == ";" and re.search(r"&#?\w+\Z", merged[-1]):
                merged[-1] += sep + part  # `&amp;` as written (the page escaped its `&` twice): no split
            else:
                merged.append(part)
        tags.extend(t.strip() for t in merged)
    tags.extend(metas.get("article:tag", []))
    return tuple(unique(t for t in tags if t))


def unique(items: Iterable[str]) -> list[str]:
    """`items` without repeats, in first-seen order."""
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)
