"""The page's <meta> tags: contents by key, the first of several keys, keywords."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from newscli.page.text import clean


def meta_tags(doc: Any) -> dict[str, list[str]]:
    """Meta contents by lower-cased key; `property` (RDFa, may list several keys) before `name`/`itemprop`."""
    found: dict[str, list[str]] = {}
    elements = doc.xpath("//meta[@content]")
    for attrs in (("property",), ("name", "itemprop", "http-equiv")):
        for meta in elements:
            content = clean(meta.get("content"))
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
        tags.extend(t.strip() for t in re.split(r"[,，、;；]", value))
    tags.extend(metas.get("article:tag", []))
    return tuple(unique(t for t in tags if t))


def unique(items: Iterable[str]) -> list[str]:
    """`items` without repeats, in first-seen order."""
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)
