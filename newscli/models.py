"""Typed values handed from stage to stage: fetched bytes, articles, feeds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class Fetched:
    """Raw bytes of one source, with where they finally came from.

    `headers` keys are lower-case. For local files and stdin, `status` is 0 and
    `url` is the base URL given (or a file: URL).
    """

    url: str
    content: bytes
    headers: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    status: int = 200
    requested_url: str | None = None

    @property
    def content_type(self) -> str:
        """Media type without parameters, lower-case ('' when unknown)."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        """The charset parameter of Content-Type, if any."""
        for part in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = part.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'")
        return None


@dataclass(frozen=True)
class FeedRef:
    """The feed an entry came from."""

    title: str | None
    url: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {"title": self.title, "url": self.url}


@dataclass(frozen=True)
class Article:
    """One article or feed entry, fully extracted. Dates are timezone-aware."""

    url: str | None = None
    id: str | None = None
    title: str | None = None
    author: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    site_name: str | None = None
    source: str | None = None
    lang: str | None = None
    description: str | None = None
    image: str | None = None
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    text: str | None = None
    html: str | None = None
    feed: FeedRef | None = None

    def as_record(self) -> dict[str, Any]:
        """The JSON record fields of cli.md (without `schema`, `input`, `error`)."""
        return {
            "url": self.url,
            "id": self.id,
            "title": self.title,
            "author": self.author,
            "published": self.published.isoformat() if self.published else None,
            "updated": self.updated.isoformat() if self.updated else None,
            "site_name": self.site_name,
            "source": self.source,
            "lang": self.lang,
            "description": self.description,
            "image": self.image,
            "feed": self.feed.as_dict() if self.feed else None,
            "categories": list(self.categories),
            "tags": list(self.tags),
            "text": self.text,
            "html": self.html,
        }


@dataclass(frozen=True)
class Entry:
    """One feed entry as the feed gives it, before any full-text fetch."""

    article: Article
    content_is_full: bool = False


@dataclass(frozen=True)
class Feed:
    """A parsed feed: its own metadata and its entries in feed order."""

    title: str | None
    url: str | None
    site_url: str | None = None
    lang: str | None = None
    entries: tuple[Entry, ...] = field(default_factory=tuple)
    truncated: bool = False
    warnings: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()  # entries that could not be read, each named with its reason
