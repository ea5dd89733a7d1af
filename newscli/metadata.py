"""Article metadata from a parsed page: title, byline, dates, outlet, site, language, image."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any


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


def read_metadata(doc: Any, url: str, *, tz_override: str | None = None, body_text: str | None = None) -> Metadata:
    """Read the metadata of `doc` (an lxml.html element tree of the page fetched from `url`)."""
    titles = doc.xpath("//meta[@property='og:title']/@content") or doc.xpath("//title/text()")
    return Metadata(title=titles[0].strip() if titles else None)
