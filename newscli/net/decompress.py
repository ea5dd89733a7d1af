"""Compressed bodies decoded under a size cap: the content-codings HTTP sends us, and .gz files."""

from __future__ import annotations

import io
import zlib

from newscli.errors import DecodeError, TooLarge

_GZIP_MAGIC = b"\x1f\x8b"

# Output per decompress call: peak memory stays near the cap plus one step, never twice the cap.
_STEP = 256 * 1024


def size_text(n: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor and n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n} bytes"


def too_large(max_bytes: int, source: str) -> TooLarge:
    return TooLarge(f"too large: more than {size_text(max_bytes)}", source=source)


class Decoder:
    """Decodes one content-coding incrementally, refusing to produce more than `max_bytes`."""

    def __init__(self, coding: str, max_bytes: int, source: str, *, label: str) -> None:
        self._coding = coding
        self._max = max_bytes
        self._source = source
        self._label = label
        self._out = io.BytesIO()
        self._size = 0
        self._fed = False
        self._first = True
        self._done = False
        self._z = self._new() if coding != "identity" else None

    def _new(self) -> zlib._Decompress:
        return zlib.decompressobj(16 + zlib.MAX_WBITS if self._coding == "gzip" else zlib.MAX_WBITS)

    def _emit(self, piece: bytes) -> None:
        self._size += len(piece)
        if self._size > self._max:
            raise too_large(self._max, self._source)
        self._out.write(piece)

    def feed(self, data: bytes) -> None:
        """Decode one chunk of the body."""
        if not data:
            return
        self._fed = True
        if self._z is None:
            self._emit(data)
            return
        while data and not self._done:
            if self._z.eof:
                if self._coding == "gzip" and _GZIP_MAGIC.startswith(data[:2]):
                    self._z = self._new()  # another gzip member
                else:
                    self._done = True  # bytes after the end of the stream: ignored, as browsers do
                    return
            z = self._z
            try:
                # max_length bounds the output of this call; the rest of the input waits in unconsumed_tail.
                piece = z.decompress(data, min(self._max - self._size + 1, _STEP))
            except zlib.error as exc:
                if self._first and self._coding == "deflate":
                    # "deflate" is zlib-wrapped by the standard, raw deflate in practice on some servers.
                    self._first = False
                    self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                reason = str(exc).rsplit(": ", 1)[-1]
                raise DecodeError(
                    f"{self._label} is not valid {self._coding} data ({reason})", source=self._source
                ) from exc
            self._first = False
            self._emit(piece)
            data = z.unconsumed_tail or (z.unused_data if z.eof else b"")

    def finish(self) -> bytes:
        """The decoded body; a compressed stream that stops before its end is an error."""
        if self._z is not None and self._fed and not self._done:
            self._emit(self._z.flush())
            if not self._z.eof:
                raise DecodeError(f"truncated: the {self._coding} stream ends early", source=self._source)
        return self._out.getvalue()


def gunzip_capped(data: bytes, max_bytes: int, *, source: str) -> bytes:
    """Decompress gzip data (local .gz files, stdin), refusing output larger than `max_bytes`."""
    decoder = Decoder("gzip", max_bytes, source, label="the file")
    decoder.feed(data)
    if not data:
        raise DecodeError("the file is not valid gzip data (empty)", source=source)
    return decoder.finish()


def content_coding(header: str, source: str) -> str:
    """The single content-coding of a response: identity, gzip or deflate; anything else is refused."""
    codings = [c.strip().lower() for c in header.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return "identity"
    if len(codings) > 1:
        shown = ", ".join(codings[:4]) + (", …" if len(codings) > 4 else "")
        raise DecodeError(f"unsupported content-encoding: {shown}", source=source)
    coding = codings[0]
    if coding in ("gzip", "x-gzip"):
        return "gzip"
    if coding == "deflate":
        return "deflate"
    raise DecodeError(f"unsupported content-encoding: {coding[:40]}", source=source)
