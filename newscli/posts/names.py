"""Post file names: the filename template rendered into one safe path component, and its numbered variants."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime

from newscli.models import Article, short_text_cache
from newscli.posts.frontmatter import clean_text
from newscli.posts.post import PostOptions
from newscli.posts.templates import TemplateValues, article_key, render_with

MAX_NAME_BYTES = 255

_RESERVED = re.compile(r"(CON|PRN|AUX|NUL|CLOCK\$|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])\Z", re.IGNORECASE)
# bidi marks (U+200E, U+200F, U+061C) too: the terminal boundary strips them, so a printed path holding
# one would name a file that does not exist (`| xargs git add` breaks)
_BAD_NAME_CHARS = re.compile(
    r'[/\\<>:"|?*\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]+'
)
# only these count as the name's extension; anything else ("Version 2.0") gets ".md" added
_EXT = re.compile(r"\.(md|markdown|mdown|mkd|mdx|html|htm|txt|rst|adoc|org)\Z", re.IGNORECASE)
_TRIM = " .-\t\u3000"


def _cut_utf8(text: str, limit: int) -> str:
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")


def _fit(stem: str, ext: str, tail: str = "") -> str:
    room = MAX_NAME_BYTES - len((tail + ext).encode("utf-8"))
    stem = _cut_utf8(stem, room).rstrip(_TRIM)
    return stem + tail + ext


def _split_name(name: str, fallback_seed: str) -> tuple[str, str]:
    name = unicodedata.normalize("NFC", clean_text(name))
    name = _BAD_NAME_CHARS.sub("-", name)
    name = re.sub(r"\s+", " ", name)
    m = _EXT.search(name)
    ext = m.group(0).lower() if m else ".md"
    stem = name[: m.start()] if m else name
    stem = re.sub(r"-{2,}", "-", stem).strip(_TRIM)
    if _RESERVED.match(stem.split(".")[0].rstrip(" ")):
        stem = "_" + stem
    if not stem:
        stem = "untitled-" + hashlib.sha256(fallback_seed.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return stem, ext


def safe_filename(name: str, *, fallback_seed: str) -> str:
    """`name` as one safe path component: no separators, `..`, reserved names or controls; ≤255 bytes."""
    return _safe_filename(name, fallback_seed)


# the digest checks a post's name before its folder saves it under that name
@short_text_cache(512)
def _safe_filename(name: str, fallback_seed: str) -> str:
    stem, ext = _split_name(name, fallback_seed)
    return _fit(stem, ext)


def numbered(name: str, n: int) -> str:
    """The n-th alternative of a safe file name: `name-2.md`, `name-3.md`… still ≤255 bytes."""
    stem, ext = _split_name(name, name)
    return _fit(stem, ext, f"-{n}") if n > 1 else _fit(stem, ext)


def post_filename(article: Article, options: PostOptions, *, now: datetime | None = None) -> str:
    """The safe file name the filename template gives for `article` (before collision numbering)."""
    return safe_filename(
        render_with(options.name_template, TemplateValues(article, now=now)),
        fallback_seed=article_key(article),
    )


__all__ = ["MAX_NAME_BYTES", "article_key", "numbered", "post_filename", "safe_filename"]
