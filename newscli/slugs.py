"""Slugs and pinyin: text as lower-case URL- and file-name-friendly words (科技日报 → kejiribao)."""

from __future__ import annotations

import unicodedata


def _fold(ch: str) -> str:
    """ASCII letters keep their case here; accented Latin letters lose the accent (é → e)."""
    if ch.isascii():
        return ch
    base = unicodedata.normalize("NFKD", ch)
    if base[:1].isascii() and base[:1].isalpha() and all(unicodedata.category(c) == "Mn" for c in base[1:]):
        return base[0]
    return ch


def slugify(text: str) -> str:
    """Lower-case ASCII, Han and other letters kept, every other run of characters becomes one '-'."""
    out: list[str] = []
    dash = False
    for ch in unicodedata.normalize("NFKC", text):
        ch = _fold(ch)
        if ch.isalnum() and ch.isprintable():
            if dash and out:
                out.append("-")
            out.append(ch.lower())
            dash = False
        else:
            dash = True
    return "".join(out)


def pinyin(text: str) -> str:
    """Toneless pinyin without spaces (科技日报 → kejiribao); other text slugified."""
    from pypinyin import Style, lazy_pinyin  # slow to import (loads its dictionaries): only when used

    spelled = "".join(lazy_pinyin(text, style=Style.NORMAL, errors="default"))
    return slugify(spelled)
