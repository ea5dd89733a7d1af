"""YAML front matter written by hand: each scalar plain or quoted so that any YAML loader reads it back."""

from __future__ import annotations

import re

from newscli.errors import UsageError

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def valid_key(key: str) -> bool:
    """Whether `key` can be a front matter field name (no YAML boolean or null word)."""
    return bool(_KEY.match(key)) and key.lower() not in _WORDS  # `on:` would load as the key True


# C0 (but tab and newline), DEL, C1 (but NEL, which YAML knows as a line break), bidi embeddings,
# overrides and isolates, lone surrogates and the two non-characters YAML cannot carry.
_STRIP = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\x80-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)


def clean_text(text: str) -> str:
    """The text as it goes into front matter: control, bidi-control and unencodable characters removed."""
    return _STRIP.sub("", text)


class Raw(str):
    """A scalar we formatted ourselves (a date, `post`) and emit exactly as it is."""


_WORDS = frozenset(
    "y n yes no on off true false null ~ nan inf".split()  # YAML 1.1 booleans and nulls, any case
)
# Numbers, dates, times and sexagesimals of YAML 1.1 and 1.2 start like this and use only these
# characters; quoting every such string is simpler and safer than matching each grammar exactly.
_NUMBERISH = re.compile(r"[-+.]?[0-9][0-9A-Za-z_.:+\- ]*\Z")
_ESCAPE = {
    "\\": "\\\\",
    '"': '\\"',
    "\t": "\\t",
    "\n": "\\n",
    "\r": "\\r",
    "\x85": "\\N",
    "\u2028": "\\L",
    "\u2029": "\\P",
    "\ufeff": "\\uFEFF",
}
_NEEDS_ESCAPE = re.compile('[\\\\"\t\n\r\x85\u2028\u2029\ufeff\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]')


def _plain_ok(s: str) -> bool:
    if not s or s != s.strip(" ") or s.lower() in _WORDS:
        return False
    if not (s[0].isalnum() or s[0] in "_/("):  # indicators, `.inf`, `---`, `<<`, `=`, `~`
        return False
    if _NUMBERISH.match(s):
        return False
    if any(not ch.isprintable() for ch in s):
        return False
    if '"' in s or "'" in s or "\\" in s or ": " in s or " #" in s or s.endswith(":") or "\t" in s:
        return False
    return True


def _escape_char(m: re.Match[str]) -> str:
    ch = m.group(0)
    if ch in _ESCAPE:
        return _ESCAPE[ch]
    code = ord(ch)
    return f"\\x{code:02X}" if code < 0x100 else f"\\u{code:04X}"


def quote(s: str) -> str:
    """A YAML double-quoted scalar that every YAML 1.1 and 1.2 loader reads back as `s`."""
    return '"' + _NEEDS_ESCAPE.sub(_escape_char, s) + '"'


def scalar(s: str, *, force_quotes: bool = False) -> str:
    """`s` (cleaned) as a YAML scalar: plain when no loader could read it as anything else."""
    s = clean_text(s)
    return s if not force_quotes and _plain_ok(s) else quote(s)


def front_matter(fields: list[tuple[str, object]]) -> str:
    """YAML between `---` lines for (key, value) pairs; `title` is always double-quoted."""
    lines = ["---"]
    for key, value in fields:
        if not valid_key(key):
            raise UsageError(f"front matter: bad field name {key!r}")
        if value is None:
            continue
        if isinstance(value, bool):
            lines.append(f"{key}: {'true' if value else 'false'}")
        elif isinstance(value, Raw):
            lines.append(f"{key}: {value}")
        elif isinstance(value, str):
            lines.append(f"{key}: {scalar(value, force_quotes=key == 'title')}")
        elif isinstance(value, int | float):
            lines.append(f"{key}: {value!r}")
        elif isinstance(value, list | tuple):
            items = [clean_text(str(v)) for v in value]
            items = [v for v in items if v.strip()]
            if not items:
                continue
            lines.append(f"{key}:")
            lines.extend(f"  - {scalar(v)}" for v in items)
        else:
            lines.append(f"{key}: {scalar(str(value))}")
    lines.append("---")
    return "\n".join(lines) + "\n"
