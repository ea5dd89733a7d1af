"""JSON-LD in a page: the objects its scripts hold (graphs flattened), their types, and their strings."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from newscli.models import clean_json
from newscli.page.text import clean

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


def json_ld(doc: Any) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object in the page's scripts, lists and @graph flattened."""
    for script in doc.xpath("//script[@type='application/ld+json']"):
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
