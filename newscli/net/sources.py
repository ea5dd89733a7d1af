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


def url_list(data: bytes) -> list[str] | None:
    """The URLs of a list given on stdin (one per line, # comments allowed), or None if it isn't one."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    lines = [line.strip() for line in text.splitlines()]
    urls = [line for line in lines if line and not line.startswith("#")]
    if urls and all(is_url(u) for u in urls):
        return urls
    return None


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
            urls = url_list(fetched.content)
            if urls is not None:
                for url in urls:
                    yield url, None, None
            else:
                yield source, fetched, None
        else:
            yield source, None, None
