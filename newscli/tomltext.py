"""Where things are in the configuration file's TOML text: lines classified, tables spanned, keys located."""

from __future__ import annotations

import re
from dataclasses import dataclass


def norm_key(key: str) -> str:
    """A settings key with `-` read as `_` (the file may write either)."""
    return key.replace("-", "_")


@dataclass(frozen=True)
class Line:
    """One physical line of a TOML file as far as editing it needs to know."""

    kind: str  # blank | comment | header | content
    header: str | None = None  # table name of a header line, whitespace removed
    array: bool = False  # [[header]]
    key: str | None = None  # first part of the key a content line starts with


_KEY = re.compile(r"""\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)""")


def scan_lines(text: str) -> list[Line]:
    """Classify each line, following multi-line strings and arrays so that their lines are content."""
    lines: list[Line] = []
    in_string: str | None = None
    depth = 0
    for raw in physical_lines(text.removeprefix("\ufeff")):
        stripped = raw.strip()
        if in_string or depth > 0:
            lines.append(Line("content"))
            start = 0
        elif not stripped:
            lines.append(Line("blank"))
            continue
        elif stripped.startswith("#"):
            lines.append(Line("comment"))
            continue
        elif stripped.startswith("["):
            array = stripped.startswith("[[")
            inner = stripped[2:] if array else stripped[1:]
            end = inner.find("]")
            name = re.sub(r"\s+", "", inner[:end] if end >= 0 else inner)
            lines.append(Line("header", header=name, array=array))
            continue
        else:
            match = _KEY.match(raw)
            key = match.group(1).strip("\"'") if match else None
            lines.append(Line("content", key=key))
            start = raw.find("=") + 1 if "=" in raw else len(raw)
        in_string, depth = _scan_value(raw, start, in_string, depth)
    return lines


def physical_lines(text: str, *, keepends: bool = False) -> list[str]:
    """The file's lines as TOML counts them: split on LF only (str.splitlines also splits on U+2028 and more)."""
    parts = text.split("\n")
    last = parts.pop()
    lines = [part + "\n" for part in parts] if keepends else parts
    if last:
        lines.append(last)
    return lines


def _scan_value(raw: str, i: int, in_string: str | None, depth: int) -> tuple[str | None, int]:
    n = len(raw)
    while i < n:
        if in_string:
            if in_string == '"""' and raw[i] == "\\":
                i += 2
                continue
            if raw.startswith(in_string, i):
                in_string = None
                i += 3
                continue
            i += 1
            continue
        ch = raw[i]
        if ch == "#":
            break
        if raw.startswith('"""', i) or raw.startswith("'''", i):
            in_string = raw[i : i + 3]
            i += 3
            continue
        if ch in "\"'":
            j = i + 1
            while j < n and raw[j] != ch:
                j += 2 if ch == '"' and raw[j] == "\\" else 1
            i = j + 1
            continue
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth = max(0, depth - 1)
        i += 1
    return in_string, depth


def table_spans(lines: list[Line]) -> list[tuple[str | None, bool, int, int]]:
    """(header, array, first line, end line) for the root and every table, 0-based, end exclusive."""
    spans: list[tuple[str | None, bool, int, int]] = []
    current: tuple[str | None, bool, int] = (None, False, 0)
    for i, line in enumerate(lines):
        if line.kind == "header":
            spans.append((*current, i))
            current = (line.header, line.array, i)
    spans.append((*current, len(lines)))
    return spans


def feed_header_lines(lines: list[Line]) -> list[int]:
    """0-based line numbers of the [[feeds]] headers, in order."""
    return [
        i for i, line in enumerate(lines) if line.kind == "header" and line.array and line.header == "feeds"
    ]


def locate(lines: list[Line], where: tuple[str, int] | None, key: str | None) -> int | None:
    """1-based line of `key` in the root table, [defaults] or the n-th [[feeds]]; the table's header without key."""
    target: tuple[int, int] | None = None
    feed_count = 0
    spans = list(table_spans(lines))
    if where is not None and key is not None and "." in key:  # a key of a sub-table: [feeds.fields] title
        table, _, sub_key = key.partition(".")
        found = _sub_table_line(lines, spans, where, table, sub_key)
        if found is not None:
            return found
    for header, array, start, end in spans:
        if where is None and header is None:
            target = (start, end)
        elif where is not None and where[0] == "defaults" and header == "defaults" and not array:
            target = (start, end)
        elif where is not None and where[0] == "feeds" and header == "feeds" and array:
            if feed_count == where[1]:
                target = (start, end)
            feed_count += 1
        if target:
            break
    if target is None:
        return None
    start, end = target
    if key is not None:
        for i in range(start, end):
            if lines[i].key is not None and norm_key(lines[i].key or "") == norm_key(key):
                return i + 1
        if where is None:  # an unknown top-level table such as [feed]
            for i, line in enumerate(lines):
                if line.kind == "header" and (line.header or "").split(".")[0] == key:
                    return i + 1
    return start + 1 if where is not None else None


def _sub_table_line(
    lines: list[Line],
    spans: list[tuple[str | None, bool, int, int]],
    where: tuple[str, int],
    table: str,
    key: str,
) -> int | None:
    """1-based line of `key` in the `[<where>.<table>]` sub-table of the where[1]-th array table, if written so."""
    count = -1
    for header, array, start, end in spans:
        if header == where[0] and array:
            count += 1
        elif count == where[1] and header == f"{where[0]}.{table}" and not array:
            for i in range(start, end):
                if lines[i].key is not None and norm_key(lines[i].key or "") == norm_key(key):
                    return i + 1
            return start + 1
    return None
