"""Bytes to text: the user's override, HTTP charset, BOM, in-document declaration, then detection."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from newscli.errors import UsageError

# charset-normalizer is slow on large inputs; it picks the codec from this prefix only.
DETECT_PREFIX = 64 * 1024
# A codec still fits when at most one in this many non-ASCII characters is broken.
BAD_CHAR_RATIO = 200
# Bytes that are UTF-8 but for a few broken sequences are UTF-8: at least this many valid multibyte
# characters per broken sequence (legacy single-byte text almost never forms valid UTF-8 sequences;
# GBK, Big5, EUC-JP and Shift_JIS text gave at most 0.4 valid per broken on real Chinese text).
MOSTLY_UTF8_RATIO = 3
# Where in-document declarations are looked for (many Chinese pages put <meta> after long comments).
DECLARATION_SCAN = 16 * 1024

# Labels browsers accept that Python does not know, and codecs browsers widen (WHATWG Encoding).
_ALIASES = {
    "gb2312": "gb18030",
    "gb_2312": "gb18030",
    "gb_2312-80": "gb18030",
    "gb-2312": "gb18030",
    "csgb2312": "gb18030",
    "x-gbk": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "chinese": "gb18030",
    "iso-ir-58": "gb18030",
    "x-mac-chinesesimp": "gb18030",
    "big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "csbig5": "big5hkscs",
    "x-sjis": "shift_jis",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "ks_c_5601-1987": "cp949",
    "windows-949": "cp949",
    "euc-kr": "cp949",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "unicode": "utf-16-le",
    "ucs-2": "utf-16-le",
    "utf8": "utf-8",
}

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_META_CHARSET = re.compile(
    rb"""<meta[^>]*?\bcharset\s*=\s*["']?\s*([^"'\s/>;]+(?:\s*,\s*[^"'\s/>;,]+)*)""", re.I
)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([^"']+)["']""", re.I)

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"%PDF-", "PDF document"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"PK\x05\x06", "ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"BZh", "bzip2 data"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"\x28\xb5\x2f\xfd", "zstd data"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\x7fELF", "ELF executable"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "MS Office document"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"wOFF", "WOFF font"),
    (b"wOF2", "WOFF2 font"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
    (b"OggS", "Ogg media"),
    (b"ID3", "MP3 audio"),
    (b"fLaC", "FLAC audio"),
    (b"\x00asm", "WebAssembly module"),
    (b"\x1aE\xdf\xa3", "WebM/Matroska video"),
)

_CJK_CODECS = ("gb", "big5", "hz", "shift_jis", "cp932", "euc_j", "cp949", "euc_kr", "iso2022")

# Frequent characters of real text in CJK scripts. A wrong multibyte codec yields rare
# ideographs, so the share of these tells a right decoding from a wrong one.
_COMMON_HAN = set(
    "的一是不了人我在有他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后作"
    "里用道行所然家种事成方多经么去法学如都同现当没动面起看定天分还进好小部其些主样理心她本前开但因只从想"
    "实日军者意无力它与长把机十民第公此已工使情明性知全三又关点正业外将两高间由问很最重并物手应战向头文体"
    "政美相见被利什二等产或新己制身果加西斯月话合回特代内信表化老给世位次度门任常先海通教儿原东声提立及比"
    "员解水名真论处走义各入几口认条平系气题活尔更别打女变四神总何电数安少报才结反受目太量再感建务做接必场"
    "件计管期市直德资命山金指克许统区保至队形社便空决治展马科司五基眼书非则听白却界达光放强即像难且权思王"
    "象完设式色路记南品住告类求据程北边死张该交规万取拉格望觉术领共确传师观清今切院让识候带导争运笑飞风步"
    "改收根干造言联持组每济车亲极林服快办议往元英士证近失转夫令准布始怎呢存未远叫台单影具罗字爱击流备兵连"
    "调深商算质团集百需价花党华城石级整府离况亚请技际约示复病息究线似官火断精满支视消越器容照须九增研写称"
    "企八功吗包片史委乎查轻易早曾除农找装广显吧阿李标谈吃图念六引历首医局突专费号尽另周较注语仅考落青随选"
    "列武红响虽推势参希古众构房半节土投某案黑维革划敌致陈律足态护七兴派孩验责营星够章音跟志底站严巴例防族"
    "供效续施留讲型料终答紧黄绝奇察母京段依批群项故按河米围江织害斗双境客纪采举杀攻父苏密低朝友诉止细愿千"
    "值仍男钱破网热助倒育属坐帝限船脸职速刻乐否刚威毛状率甚独球般普怕弹校苦创假久错承印晚兰试股拿脑预谁益"
    "這個們來為國們說時會對後開過還進動麼現從當種點樣長機關發經學問體頭間實樣裡見將員與業與"
    "，。、：；！？「」『』（）《》“”…—"
)


@dataclass(frozen=True)
class Decoded:
    """Text decoded from bytes, the codec used, and what went wrong on the way."""

    text: str
    encoding: str
    warnings: tuple[str, ...] = ()


def codec_name(label: str | None) -> str | None:
    """The Python codec for a charset label as pages and servers write it, or None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    # `utf-8, ie=edge` and similar: the first token may still be a codec.
    label = re.split(r"[\s,;]", label, maxsplit=1)[0]
    if not label:
        return None
    label = _ALIASES.get(label, label)
    if not label.isprintable() or not label.isascii():
        return None  # a NUL or control in a label names no codec (codecs.lookup raises ValueError on NUL)
    try:
        name = codecs.lookup(label).name
    except (LookupError, ValueError):
        return None
    # Only text codecs; `codecs.lookup("rot13")` or "base64" exist but are not charsets.
    # and only codecs that decode any bytes with errors="replace" (`idna`, `undefined` raise instead).
    try:
        "a".encode(name)
        b"a\xff".decode(name, errors="replace")
    except (LookupError, TypeError, ValueError):  # UnicodeError is a ValueError
        return None
    return _ALIASES.get(name, name)


# every byte but the control characters binary formats are full of (tab, newlines, form feed and escape
# are text): bytes.translate deletes these, and what is left is counted
_NOT_CONTROLS = bytes(b for b in range(256) if not (b < 9 or 13 < b < 32 and b != 27))


def sniff_binary(data: bytes) -> str | None:
    """What binary format `data` is (e.g. "PNG image"), or None when it may be text."""
    head = data[:64]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return {b"WEBP": "WebP image", b"WAVE": "WAV audio", b"AVI ": "AVI video"}[head[8:12]]
    if head[4:8] == b"ftyp":
        return "MP4/ISO media"
    if any(data.startswith(bom) for bom, _ in _BOMS) or _utf16_without_bom(data):
        return None
    sample = data[:1024]
    # A stray NUL or escape in a title is hostile text, not a binary file: judge by proportion.
    controls = len(sample.translate(None, _NOT_CONTROLS))
    if sample and controls > len(sample) // 10:
        return "binary data"
    return None


def decode(
    data: bytes, *, http_charset: str | None = None, override: str | None = None, kind: str = "html"
) -> Decoded:
    """Decode a page or feed: override, BOM, HTTP charset, in-document declaration, UTF-8, detection."""
    warnings: list[str] = []
    if override:
        name = codec_name(override)
        if name is None:
            raise UsageError(f"unknown encoding {override!r}")
        text = data.decode(name, errors="replace")
        if "\ufffd" in text and not _fits(data, name):
            warnings.append(f"bytes do not fit encoding {override}; undecodable bytes replaced")
        return Decoded(_strip_bom(text), name, tuple(warnings))

    # A BOM is unambiguous; browsers let it win even over HTTP (WHATWG "decode").
    for bom, name in _BOMS:
        if data.startswith(bom):
            return Decoded(data[len(bom) :].decode(name, errors="replace"), name)

    declared: list[tuple[str, str]] = []
    utf16 = _utf16_without_bom(data)
    if utf16:
        declared.append((utf16, "byte pattern"))
    if http_charset:
        declared.append((http_charset, "HTTP charset"))
    if not utf16:
        declared.extend((label, "declared charset") for label in _declarations(data, kind))
    # Servers send ISO-8859-1 by default far more often than they mean it: let the page speak first.
    if http_charset and codec_name(http_charset) == "cp1252" and len(declared) > 1:
        declared.append(declared.pop(declared.index((http_charset, "HTTP charset"))))

    for label, origin in declared:
        name = codec_name(label)
        if name is None:
            shown = label if label.isprintable() else ascii(label)
            warnings.append(f"{origin} {shown} is not a known encoding; ignored")
            continue
        if name.startswith("utf-16") and origin == "declared charset":
            # A page that can declare anything in ASCII is not UTF-16 (WHATWG treats it as UTF-8).
            name = "utf-8"
        if not _fits(data, name):
            if name == "utf-8" and _mostly_utf8(data):
                return _finish(data, "utf-8", warnings)
            chosen = _detect(data)
            warnings.append(f"{origin} {label} does not fit the bytes; read as {chosen}")
            return _finish(data, chosen, warnings)
        if name != "utf-8" and _is_real_utf8(data):
            warnings.append(f"{origin} {label} does not fit the bytes; read as utf-8")
            return _finish(data, "utf-8", warnings)
        return _finish(data, name, warnings)

    return _finish(data, _detect(data), warnings)


def _finish(data: bytes, name: str, warnings: list[str]) -> Decoded:
    text = data.decode(name, errors="replace")
    if "\ufffd" in text and not _fits(data, name):
        warnings.append(f"some bytes are not valid {name}; replaced")
    return Decoded(_strip_bom(text), name, tuple(warnings))


def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def _declarations(data: bytes, kind: str) -> list[str]:
    head = data[:DECLARATION_SCAN]
    found: list[str] = []
    xml = _XML_DECL.match(head)
    metas = (
        [m.group(1).decode("ascii", "replace") for m in _META_CHARSET.finditer(head)] if kind != "xml" else []
    )
    if kind == "xml":
        found.extend([xml.group(1).decode("ascii", "replace")] if xml else [])
    else:
        found.extend(metas[:1])
        if xml:
            found.append(xml.group(1).decode("ascii", "replace"))
    return found


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16/32 text without a BOM, told by where the NUL bytes of ASCII characters fall."""
    sample = data[:512]
    if len(sample) < 8 or b"\x00" not in sample[:8]:
        return None
    if sample[:4] == b"<\x00\x00\x00" or sample[:4] == b"\x00\x00\x00<":
        return "utf-32-le" if sample[0] else "utf-32-be"
    n = len(sample) // 2 * 2
    even = sum(1 for i in range(0, n, 2) if sample[i] == 0)
    odd = sum(1 for i in range(1, n, 2) if sample[i] == 0)
    half = n // 2
    if odd > half * 0.6 and even < half * 0.05:
        return "utf-16-le"
    if even > half * 0.6 and odd < half * 0.05:
        return "utf-16-be"
    return None


def _fits(data: bytes, name: str) -> bool:
    """Whether `data` reads as `name`, allowing a few broken characters (pages cut mid-character)."""
    try:
        codecs.decode(data, name)
        return True
    except LookupError:
        return False
    except UnicodeDecodeError:
        pass
    text = data.decode(name, errors="replace")
    return text.count("\ufffd") * BAD_CHAR_RATIO <= _wide(text)


def _wide(text: str) -> int:
    """How many characters of `text` are not ASCII (the encoder drops them in C; a loop over the characters
    took a twentieth of a page's extraction)."""
    return len(text) - len(text.encode("ascii", errors="ignore"))


def _is_real_utf8(data: bytes) -> bool:
    """UTF-8 (or mostly UTF-8) with enough multibyte sequences that it cannot be an accident of another codec."""
    if data.isascii():
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _mostly_utf8(data, minimum=8)
    return _wide(text[:DETECT_PREFIX]) >= 8


def _mostly_utf8(data: bytes, minimum: int = 1) -> bool:
    """Whether `data` is overwhelmingly valid UTF-8: a few broken sequences among many valid ones."""
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd") - data.count("\ufffd".encode("utf-8"))
    valid = _wide(text) - text.count("\ufffd")
    return valid >= minimum and broken * MOSTLY_UTF8_RATIO <= valid


def _prefix(data: bytes) -> bytes:
    """A bounded prefix cut at an ASCII byte, so no multibyte character is split."""
    if len(data) <= DETECT_PREFIX:
        return data
    head = data[:DETECT_PREFIX]
    for i in range(len(head) - 1, max(len(head) - 4096, 0), -1):
        if head[i] < 0x80:
            return head[: i + 1]
    return head


def _detect(data: bytes) -> str:
    """The codec for undeclared bytes: strict UTF-8 first, then detection on a bounded prefix."""
    if _fits(data, "utf-8") or _mostly_utf8(data):
        return "utf-8"
    head = _prefix(data)
    import charset_normalizer  # only when nothing declared fits: keeps codec_name cheap to import

    best = charset_normalizer.from_bytes(head).best()
    guess = codec_name(best.encoding) if best is not None else None
    # charset-normalizer reads short GBK texts as Big5 or worse. When the bytes read as
    # plausible Chinese, weigh the readings by how common their characters are.
    chinese = _decode_prefix(head, "gb18030")
    if chinese is not None and _commonness(chinese) >= 0.3:
        scored = []
        cjk_guess = guess if guess and guess.startswith(_CJK_CODECS) else None
        for name in dict.fromkeys(c for c in (cjk_guess, "gb18030", "big5hkscs") if c):
            text = _decode_prefix(head, name)
            if text is not None:
                scored.append((_commonness(text) + (0.01 if name == "gb18030" else 0.0), name))
        return max(scored)[1]
    return guess or "cp1252"


def _decode_prefix(head: bytes, name: str) -> str | None:
    return head.decode(name, errors="replace") if _fits(head, name) else None


def _commonness(text: str) -> float:
    """Share of non-ASCII characters that are frequent Chinese, kana or Hangul."""
    wide = [c for c in text if ord(c) > 0x7F]
    if not wide:
        return 0.0
    hits = sum(
        1
        for c in wide
        if c in _COMMON_HAN
        or "\u3040" <= c <= "\u30ff"
        or "\uac00" <= c <= "\ud7af"
        or "\u0400" <= c <= "\u04ff"
    )
    return hits / len(wide)
