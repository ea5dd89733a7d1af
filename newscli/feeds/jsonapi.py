"""JSON list APIs as feeds: the subscription's JMESPath mapping turns each item into an entry.

Many news sources have no feed, only an endpoint answering a JSON list (column, roll and app APIs).
A mapping says where the list is (`items`), which JMESPath gives each entry field on one item
(`fields`), and which `str.format` templates over the item's own keys build the rest (`templates`,
typically the article URL from an id). No code runs from a mapping. An item that cannot be read is
that item's failure, named in `Feed.failed`; the others are entries as a
feed's would be, with the same ids, dates, clean-up and full-text rules.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from newscli.config import API_FIELDS, api_problem
from newscli.dates import parse_date
from newscli.errors import FeedError, NewsError, UsageError
from newscli.feeds.content import entry_body
from newscli.feeds.entry import FeedContext, dedupe, http_url, make_entry
from newscli.feeds.parse import ENTRY_CAP
from newscli.models import Entry, Feed, FeedRef, Fetched
from newscli.page.charset import decode, sniff_binary

API_ACCEPT = "application/json, text/json;q=0.9, */*;q=0.5"  # what an API subscription asks for
MAX_DEPTH = 64  # deeper JSON than this is no news list
_TEXT_FIELDS = ("id", "title", "url", "summary", "content", "author", "source", "image")
_LIST_FIELDS = ("categories", "tags")
_HTMLISH = re.compile(r"<[A-Za-z!/][^>]*>")
_URL_UNSAFE = "%/:=&?~#+!$,;'@()*[]"  # kept as they are when a templated URL is made safe


@dataclass(frozen=True)
class ApiMapping:
    """Where the entries are in a JSON API answer and how each becomes an entry (cli.md)."""

    items: str
    fields: tuple[tuple[str, str], ...] = ()
    templates: tuple[tuple[str, str], ...] = ()

    def check(self) -> None:
        """UsageError naming the bad part (a JMESPath that does not compile, an unknown field, a bad template)."""
        key, problem = api_problem(self.items, self.fields, self.templates)
        if problem:
            kind, _, name = (key or "items").partition(".")
            flag = {"fields": "--field", "templates": "--template"}.get(kind, "--items")
            raise UsageError(f"{flag} {name}: {problem}" if name else f"{flag}: {problem}")


def mapping_of(feed: Any) -> ApiMapping | None:
    """The ApiMapping of a subscription (a FeedConfig) of type "json", else None."""
    if getattr(feed, "type", None) != "json" or not getattr(feed, "items", None):
        return None
    return ApiMapping(feed.items, tuple(feed.fields), tuple(feed.templates))


def parse_pairs(options: Iterable[str], flag: str) -> tuple[tuple[str, str], ...]:
    """`NAME=VALUE` options (--field, --template) as pairs; UsageError when one is malformed."""
    pairs: list[tuple[str, str]] = []
    for option in options:
        name, sep, value = option.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name:
            raise UsageError(
                f"{flag} {option!r}: expected NAME=VALUE, with NAME one of {', '.join(API_FIELDS)}"
            )
        pairs.append((name, value))
    return tuple(pairs)


def parse_api(
    fetched: Fetched,
    mapping: ApiMapping,
    *,
    encoding: str | None = None,
    tz_override: str | None = None,
    configured_tz: str | None = None,
    max_entries: int = ENTRY_CAP,
) -> Feed:
    """The entries of one JSON API answer; FeedError (naming the URL and the cause) when it is unreadable."""
    import jmespath

    source = fetched.url
    data = _load(fetched, encoding)
    try:
        items = jmespath.search(mapping.items, data)
    except jmespath.exceptions.JMESPathError as exc:
        raise FeedError(f"items {mapping.items!r}: {' '.join(str(exc).split())}", source=source) from None
    if items is None:
        raise FeedError(
            f"items {mapping.items!r} finds nothing in the answer{_keys_hint(data)}", source=source
        )
    if not isinstance(items, list):
        raise FeedError(f"items {mapping.items!r} gives {_kind(items)}, not a list", source=source)
    warnings: list[str] = []
    cap = max(1, max_entries)
    truncated = len(items) > cap
    if truncated:
        warnings.append(f"the API answer has {len(items)} items; only the first {cap} were read")
        items = items[:cap]
    ctx = FeedContext(source, tz_override, configured_tz, warnings, cap)
    ref = FeedRef(title=None, url=source)
    compiled = [(name, jmespath.compile(expr)) for name, expr in mapping.fields]
    entries: list[Entry] = []
    failed: list[str] = []
    for number, item in enumerate(items, 1):
        try:
            entries.append(_entry(item, compiled, mapping.templates, ref, ctx, number - 1))
        except _ItemError as exc:
            failed.append(f"item {number}: {exc}")
    return Feed(
        title=None,
        url=source,
        entries=tuple(dedupe(entries, ctx)),
        truncated=truncated,
        warnings=tuple(warnings),
        failed=tuple(failed),
    )


class _ItemError(Exception):
    """One item that cannot become an entry (the others still do)."""


def _load(fetched: Fetched, encoding: str | None) -> Any:
    source = fetched.url
    if not fetched.content.strip():
        raise FeedError("not JSON (empty answer)", source=source)
    binary = sniff_binary(fetched.content)
    if binary:
        raise FeedError(f"not JSON ({binary})", source=source)
    try:
        text = decode(fetched.content, http_charset=fetched.charset, override=encoding, kind="xml").text
    except NewsError as exc:
        raise FeedError(f"cannot decode the API answer: {exc.message}", source=source) from None
    head = text.lstrip("\ufeff \t\r\n")[:512].lower()
    if head.startswith("<"):
        what = "an HTML page (a login or error page?)" if "<html" in head or "<!doctype" in head else "XML"
        raise FeedError(f"not JSON: the endpoint answered {what}", source=source)
    try:
        data = json.loads(text)
    except RecursionError:
        raise FeedError("not a news list (JSON nested too deeply)", source=source) from None
    except ValueError as exc:
        raise FeedError(f"not JSON ({exc})", source=source) from None
    if _depth(data) > MAX_DEPTH:
        raise FeedError(f"not a news list (JSON nested deeper than {MAX_DEPTH} levels)", source=source)
    return data


def _depth(value: Any) -> int:
    """Nesting depth, without recursion (json.loads already bounded it by the interpreter's limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        if isinstance(node, dict):
            stack.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, level + 1) for v in node)
    return deepest


def _entry(
    item: Any,
    compiled: list[tuple[str, Any]],
    templates: tuple[tuple[str, str], ...],
    ref: FeedRef,
    ctx: FeedContext,
    position: int,
) -> Entry:
    if not isinstance(item, dict):
        raise _ItemError(f"{_kind(item)}, not an object")
    values: dict[str, Any] = {}
    for name, expr in compiled:
        try:
            value = expr.search(item)
        except Exception as exc:  # a JMESPath function given the wrong type raises at search time
            raise _ItemError(f"field {name} ({expr.expression}): {' '.join(str(exc).split())}") from None
        if value is not None and value != "" and value != []:
            values[name] = value
    for name, template in templates:
        if name not in values:
            values[name] = _fill(name, template, item)
    text_values = {name: _text(name, values[name]) for name in _TEXT_FIELDS if name in values}
    lists = {name: _strings(name, values[name]) for name in _LIST_FIELDS if name in values}
    url = http_url(text_values.get("url"), ctx.url)
    guid = text_values.get("id")
    if not guid and not url:
        raise _ItemError("no id and no url: nothing to know it by (map fields.id or fields.url)")
    tz = ctx.zone(None)
    published = _date("published", values.get("published"), tz)
    updated = _date("updated", values.get("updated"), tz)
    content = text_values.get("content")
    summary = text_values.get("summary")
    body = content or summary
    kind = "text/html" if body and _HTMLISH.search(body) else "text/plain"
    html, text = entry_body(body, kind, url or ctx.url)
    entry = make_entry(
        ref=ref,
        guid=guid,
        url=url,
        title=text_values.get("title"),
        author=text_values.get("author"),
        published=published,
        updated=updated,
        raw_date=None,
        source=text_values.get("source"),
        lang=None,
        description=_plain(summary),
        image=http_url(text_values.get("image"), url or ctx.url),
        categories=lists.get("categories", ()),
        tags=lists.get("tags", ()),
        html=html,
        text=text,
        position=position,
    )
    # mapped content is the article; without it the page at `url` is fetched, as for a teaser
    return dataclasses.replace(entry, content_is_full=bool(content))


def _fill(name: str, template: str, item: Mapping[str, Any]) -> str:
    try:
        value = template.format_map(_Fields(item))
    except KeyError as exc:
        raise _ItemError(f"template {name}: the item has no {exc.args[0]!r}") from None
    if name in ("url", "image"):
        value = quote(value, safe=_URL_UNSAFE)  # spaces and non-ASCII from the item made URL-safe
    return value


class _Fields(dict[str, Any]):
    """An item's own keys for str.format: scalars only, so no object's repr lands in a URL."""

    def __init__(self, item: Mapping[str, Any]) -> None:
        super().__init__(item)

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        if value is None or isinstance(value, (dict, list)):
            raise KeyError(key)
        if isinstance(value, bool):
            return "true" if value else "false"
        return value


def _text(name: str, value: Any) -> str:
    if isinstance(value, bool):
        raise _ItemError(f"field {name} gives {_kind(value)}, not text")
    if isinstance(value, (int, float)):
        return str(value)  # numeric ids are ids as given
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list) and name in ("author", "source") and all(isinstance(v, str) for v in value):
        return ", ".join(v.strip() for v in value if v.strip())
    raise _ItemError(f"field {name} gives {_kind(value)}, not text")


def _strings(name: str, value: Any) -> tuple[str, ...]:
    values = [value] if isinstance(value, (str, int, float)) and not isinstance(value, bool) else value
    if not isinstance(values, list) or not all(
        isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in values
    ):
        raise _ItemError(f"field {name} gives {_kind(value)}, not a list of strings")
    return tuple(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))


def _date(name: str, value: Any, tz: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) > 100_000_000_000 else value  # epoch milliseconds, else seconds
        try:
            return datetime.fromtimestamp(seconds, timezone.utc).astimezone(tz)
        except (OverflowError, OSError, ValueError):
            raise _ItemError(f"field {name}: {value!r} is no date") from None
    if not isinstance(value, str):
        raise _ItemError(f"field {name} gives {_kind(value)}, not a date")
    text = value.strip()
    if text.isdigit() and len(text) in (10, 13):
        return _date(name, int(text), tz)
    when = parse_date(text, tz)
    if when is None:
        raise _ItemError(f"field {name}: {text[:60]!r} is no date newscli can read")
    return when


def _plain(summary: str | None) -> str | None:
    if not summary:
        return None
    if _HTMLISH.search(summary):
        _, text = entry_body(summary, "text/html", "")
        return text
    return summary


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _keys_hint(data: Any) -> str:
    if isinstance(data, dict) and data:
        keys = ", ".join(list(map(str, data))[:8])
        return f" (its top-level keys: {keys})"
    return ""
