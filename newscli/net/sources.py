"""SOURCE arguments → raw bytes: http(s) URLs through the network layer, local files (also .gz), stdin."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from newscli.errors import FetchError, TooLarge
from newscli.models import Fetched

URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
# Local inputs get the larger (feed) cap: we don't know yet whether they are pages or feeds.
LOCAL_MAX = 10 * 1024 * 1024


def is_url(source: str) -> bool:
    """True for an http(s) URL."""
    return bool(URL.match(source.strip()))


def _read_capped(stream: BinaryIO, limit: int, *, source: str) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"too large (over {limit // (1024 * 1024)} MiB)", source=source)
    return data


def _local(data: bytes, *, source: str, base_url: str | None, gz: bool) -> Fetched:
    if gz or data[:2] == b"\x1f\x8b":
        from newscli.net.decompress import gunzip_capped

        data = gunzip_capped(data, LOCAL_MAX, source=source)
    return Fetched(url=base_url or source, content=data, status=0, requested_url=source)


def read_file(path: str, *, base_url: str | None = None) -> Fetched:
    """A local page or feed; gzip-compressed when it ends in .gz or starts with the gzip magic."""
    try:
        with open(path, "rb") as stream:
            data = _read_capped(stream, LOCAL_MAX, source=path)
    except FileNotFoundError:
        raise FetchError("no such file", source=path) from None
    except IsADirectoryError:
        raise FetchError("is a directory", source=path) from None
    except PermissionError:
        raise FetchError("permission denied", source=path) from None
    except OSError as exc:
        raise FetchError(exc.strerror or str(exc), source=path) from None
    base = base_url or Path(path).resolve().as_uri()
    return _local(data, source=path, base_url=base, gz=path.endswith(".gz"))


def read_stdin(stream: BinaryIO | None = None, *, base_url: str | None = None) -> Fetched:
    """Everything on stdin, capped."""
    stream = stream if stream is not None else sys.stdin.buffer
    data = _read_capped(stream, LOCAL_MAX, source="-")
    return _local(data, source="-", base_url=base_url or "stdin:", gz=False)


# A line of a URL list that lacks its scheme: host[:port][/path] (example.com/a, 127.0.0.1:8765/a.html)
_BARE_URL = re.compile(r"^(?:[\w-]+\.)+[\w-]+(?::\d+)?(?:/\S*)?$|^[\w.-]+:\d+(?:/\S*)?$", re.UNICODE)
_SCHEME_URL = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$", re.IGNORECASE)


def _url_like(line: str) -> bool:
    return bool(_SCHEME_URL.match(line) or _BARE_URL.match(line))


def url_list(data: bytes) -> list[tuple[int, str]] | None:
    """The lines of a URL list given on stdin, as (line number, text), or None if it isn't one.

    A list has one URL per line (# comments and blank lines allowed) and is mostly URLs: at least half
    its lines look like URLs, and nothing in it looks like markup or JSON. Its other lines are still
    returned, so that each becomes its own error rather than the whole list being read as a page.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if text.lstrip()[:1] in ("<", "{", "["):
        return None  # a page, a feed or JSON
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1)]
    lines = [(n, line) for n, line in lines if line and not line.startswith("#")]
    if not lines or any("<" in line for _, line in lines):
        return None
    if 2 * sum(1 for _, line in lines if _url_like(line)) < len(lines):
        return None
    return lines


def not_a_url(number: int, line: str) -> FetchError:
    """The error of a URL-list line that is no http(s) URL, naming the line and what to do."""
    shown = line if len(line) <= 100 else line[:99] + "…"
    if _BARE_URL.match(line):
        hint = f"; did you mean http://{shown} or https://{shown}?"
    elif _SCHEME_URL.match(line):
        hint = " (only http and https)"
    else:
        hint = " (a URL list on stdin has one http:// or https:// URL per line)"
    return FetchError(f"not an http(s) URL: {shown!r}{hint}", source=f"stdin line {number}")


def expand(
    sources: list[str], stdin: BinaryIO | None = None, *, base_url: str | None = None
) -> Iterator[tuple[str, Fetched | None, Exception | None]]:
    """Each SOURCE as (input, pre-read bytes or None, error); `-` holding a URL list becomes its URLs."""
    for source in sources:
        if source == "-":
            try:
                fetched = read_stdin(stdin, base_url=base_url)
            except FetchError as exc:
                yield source, None, exc
                continue
            lines = url_list(fetched.content)
            if lines is not None:
                for number, line in lines:
                    yield (line, None, None) if is_url(line) else (line, None, not_a_url(number, line))
            else:
                yield source, fetched, None
        else:
            yield source, None, None
