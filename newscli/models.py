"""Typed values handed from stage to stage: fetched bytes, articles, feeds."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from types import MappingProxyType
from typing import Any, TypeVar

_EMPTY: Mapping[str, str] = MappingProxyType({})

# What decoded text may not carry: surrogates (a CMS cutting a string inside an emoji writes "\\ud83d";
# nothing can encode it: SQLite, UTF-8 files and terminals all refuse) and the C0 controls and DEL the
# render boundary strips anyway (tab, newline and carriage return stay), and the two non-characters
# U+FFFE/U+FFFF that XML (lxml) and YAML refuse.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_SURROGATES = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """`text` as valid Unicode: a surrogate pair becomes its character, a lone surrogate U+FFFD, controls go.

    The one normalisation point: every Article, FeedRef and Feed passes its strings through it on creation,
    so whatever a stage decoded (JSON, feeds, HTML) is encodable by every later one.
    """
    if not _UNSAFE.search(text):
        return text
    if _SURROGATES.search(text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _CONTROLS.sub("", text)


def clean_value(value: Any) -> Any:
    """clean_text over a string, or each string of a tuple; anything else as it is."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, tuple) and any(isinstance(v, str) and _UNSAFE.search(v) for v in value):
        return tuple(clean_text(v) if isinstance(v, str) else v for v in value)
    return value


def clean_json(data: Any) -> Any:
    """A decoded JSON document with clean_text over every string (keys too), in place, at any depth.

    JSON escapes can spell a lone surrogate (`"\\ud83d"`): cleaned here, before any stage parses the HTML
    inside such a string (lxml would silently drop everything after it).
    """
    if isinstance(data, str):
        return clean_text(data)
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key in list(node):
                value = node[key]
                if (
                    type(value) is str
                ):  # exactly str: subclasses (a JSON number kept as text) stay as they are
                    value = clean_text(value)
                elif isinstance(value, (dict, list)):
                    stack.append(value)
                if isinstance(key, str) and _UNSAFE.search(key):
                    del node[key]
                    key = clean_text(key)
                node[key] = value
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if type(value) is str:
                    node[i] = clean_text(value)
                elif isinstance(value, (dict, list)):
                    stack.append(value)
    return data


_Result = TypeVar("_Result")
CACHED_CHARS = 2000  # longer texts (a hostile feed's megabyte title) are never kept in a cache


def short_text_cache(maxsize: int) -> Callable[[Callable[..., _Result]], Callable[..., _Result]]:
    """functools.lru_cache for a pure function of strings, over calls whose strings are CACHED_CHARS long in
    all at most (a run computes the same names and keys many times; a huge one is computed, never kept)."""

    def wrap(func: Callable[..., _Result]) -> Callable[..., _Result]:
        cached = functools.lru_cache(maxsize=maxsize)(func)

        @functools.wraps(func)
        def call(*texts: str) -> _Result:
            return cached(*texts) if sum(map(len, texts)) <= CACHED_CHARS else func(*texts)

        return call

    return wrap


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _clean_fields(obj: Any) -> None:
    names = _FIELD_NAMES.get(type(obj))
    if names is None:
        names = _FIELD_NAMES.setdefault(type(obj), tuple(f.name for f in fields(obj)))
    values = obj.__dict__
    unsafe = _UNSAFE.search
    for name in names:
        value = values[name]
        # clean_value changes strings and non-empty tuples only; a string is checked here without the call
        if isinstance(value, str):
            if not unsafe(value):
                continue
        elif not value or not isinstance(value, tuple):
            continue
        cleaned = clean_value(value)
        if cleaned is not value:
            object.__setattr__(obj, name, cleaned)


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
    address: str | None = None  # the IP address the body came from (None: unknown, a file, a proxy)

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

    def __post_init__(self) -> None:
        _clean_fields(self)

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
    # Who edited the article (责任编辑, "Edited by"), kept apart from its author: an extra record field.
    editor: str | None = None

    def __post_init__(self) -> None:
        _clean_fields(self)

    def as_record(self) -> dict[str, Any]:
        """The JSON record fields of cli.md (without `schema`, `input`, `error`)."""
        return {
            "url": self.url,
            "id": self.id,
            "title": self.title,
            "author": self.author,
            "editor": self.editor,
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

    def __post_init__(self) -> None:
        _clean_fields(self)
