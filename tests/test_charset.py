"""Bytes to text: declarations, BOMs, false declarations, undeclared Chinese, binary sniffing."""

from __future__ import annotations

import codecs
import gzip
import zlib

import pytest
from seedpage import SEED_TITLE, share_page

from newscli.errors import UsageError
from newscli.page.charset import codec_name, decode, sniff_binary

# 镕 喆 堃 are outside GB2312: only GBK/GB18030 can encode them.
RARE = "朱镕基、张喆和王堃在北京出席了会议，讨论今年的经济工作。"


def html(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{head}<title>测试</title></head><body><p>{body}</p></body></html>"


def test_undeclared_gbk_with_characters_outside_gb2312() -> None:
    got = decode(html(RARE).encode("gbk"))
    assert RARE in got.text
    assert got.encoding == "gb18030"


def test_short_undeclared_gbk() -> None:
    # charset-normalizer alone reads these four bytes as Big5 (笢恅).
    assert decode("中文".encode("gbk")).text == "中文"


def test_false_utf8_declaration_on_gbk_bytes() -> None:
    got = decode(html(RARE, '<meta charset="utf-8">').encode("gbk"))
    assert RARE in got.text
    assert got.warnings == ("declared charset utf-8 does not fit the bytes; read as gb18030",)


def test_false_http_charset_on_gbk_bytes() -> None:
    got = decode(html(RARE).encode("gbk"), http_charset="UTF-8")
    assert RARE in got.text
    assert "HTTP charset UTF-8 does not fit the bytes; read as gb18030" in got.warnings


def test_gb2312_declared_but_gb18030_characters() -> None:
    got = decode(
        html(RARE, '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">').encode("gb18030")
    )
    assert RARE in got.text
    assert got.warnings == ()


def test_gb2312_declared_but_bytes_are_utf8() -> None:
    got = decode(html(RARE, '<meta charset="gb2312">').encode("utf-8"))
    assert RARE in got.text
    assert got.warnings == ("declared charset gb2312 does not fit the bytes; read as utf-8",)


QUOTED = "It’s “quoted” — a café’s menu, naïve “smart” quotes."


@pytest.mark.parametrize("declared", ['<meta charset="utf-8">', "", '<meta charset="iso-8859-1">'])
def test_one_invalid_byte_in_utf8_page_stays_utf8(declared: str) -> None:
    data = html(QUOTED + " Broken: \x00", declared).encode("utf-8").replace(b"\x00", b"\xe9")
    got = decode(data)
    assert got.encoding == "utf-8"
    assert QUOTED + " Broken: \ufffd" in got.text
    assert "some bytes are not valid utf-8; replaced" in got.warnings


@pytest.mark.parametrize("codec", ["gbk", "big5", "shift_jis", "euc_jp", "cp1251", "cp1252"])
def test_legacy_text_is_not_taken_for_broken_utf8(codec: str) -> None:
    samples = {
        "gbk": RARE * 3,
        "big5": "中華民國的總統府今天發表聲明，說明這項政策的內容與影響。" * 3,
        "shift_jis": "東京都は今日も晴れでした。日本語の文章をテストします。" * 3,
        "euc_jp": "東京都は今日も晴れでした。日本語の文章をテストします。" * 3,
        "cp1251": "Съешь же ещё этих мягких французских булок, да выпей чаю." * 3,
        "cp1252": "Voilà l’été où le cœur s’éveille — « déjà » très naïf." * 3,
    }
    page = f"<!DOCTYPE html><html><head><title>t</title></head><body><p>{samples[codec]}</p></body></html>"
    got = decode(page.encode(codec))
    # (which legacy codec detection then picks is charset-normalizer's call: undeclared cp1252 can
    # come out as mac-latin2, as it did before the mostly-UTF-8 rule)
    assert got.encoding != "utf-8" and "\ufffd" not in got.text
    if codec != "cp1252":
        assert samples[codec] in got.text, got.encoding


def test_seed_share_page_declared_and_undeclared() -> None:
    for declare in (True, False):
        assert SEED_TITLE in decode(share_page(declare_charset=declare)).text


def test_meta_charset_with_junk_after_the_codec() -> None:
    got = decode(html(RARE, '<meta charset="utf-8, ie=edge">').encode("utf-8"))
    assert RARE in got.text
    assert got.encoding == "utf-8"


def test_unknown_declared_charset_falls_through() -> None:
    got = decode(html(RARE, '<meta charset="x-nonsense">').encode("gbk"))
    assert RARE in got.text
    assert "declared charset x-nonsense is not a known encoding; ignored" in got.warnings


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF8, "utf-8"),
    ],
)
def test_bom_wins_over_a_wrong_http_charset(bom: bytes, codec: str) -> None:
    page = html(RARE, '<meta charset="utf-8">')
    got = decode(bom + page.encode(codec), http_charset="iso-8859-1")
    assert got.text == page
    assert got.encoding == codec


def test_utf16_without_bom() -> None:
    page = html(RARE)
    assert decode(page.encode("utf-16-le")).text == page
    assert decode(page.encode("utf-16-be")).text == page


def test_xml_declaration_for_feeds() -> None:
    feed = f'<?xml version="1.0" encoding="GB2312"?><rss><channel><title>{RARE}</title></channel></rss>'
    got = decode(feed.encode("gb18030"), kind="xml")
    assert got.text == feed
    assert got.encoding == "gb18030"


def test_iso_8859_1_header_yields_to_the_page_declaration() -> None:
    page = html(RARE, '<meta charset="gbk">')
    got = decode(page.encode("gb18030"), http_charset="ISO-8859-1")
    assert got.text == page


def test_override_wins_and_reports_misfit() -> None:
    page = html(RARE, '<meta charset="utf-8">')
    assert decode(page.encode("gbk"), override="GBK").text == page
    bad = decode(page.encode("gbk"), override="utf-8")
    assert "\ufffd" in bad.text
    assert bad.warnings == ("bytes do not fit encoding utf-8; undecodable bytes replaced",)


def test_unknown_override_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown encoding 'klingon'"):
        decode(b"<p>x</p>", override="klingon")


def test_page_cut_mid_character_keeps_its_codec() -> None:
    page = html(RARE * 20).encode("gb18030")
    cut = page[:200] + page[201:]
    got = decode(cut)
    assert got.encoding == "gb18030"
    assert RARE in got.text


def test_big_undeclared_gbk_page_is_decoded_whole() -> None:
    body = (RARE * 5 + "\n") * 4000  # ~ 1 MB, more than the detection prefix
    got = decode(html(body).encode("gbk"))
    assert got.text.count(RARE) == 20000


def test_codec_names() -> None:
    assert codec_name("GB2312") == "gb18030"
    assert codec_name("gb_2312-80") == "gb18030"
    assert codec_name("Big5") == "big5hkscs"
    assert codec_name("utf-8, ie=edge") == "utf-8"
    assert codec_name("rot13") is None
    assert codec_name("ie=edge") is None


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF document"),
        (b"GIF89a\x01\x00\x01\x00", "GIF image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG image"),
        (b"PK\x03\x04\x14\x00", "ZIP archive"),
        (gzip.compress(b"<html></html>"), "gzip data"),
        (zlib.compress(b"x" * 100) + b"\x00\x00\x00", "binary data"),
    ],
)
def test_sniff_binary(data: bytes, what: str) -> None:
    assert sniff_binary(data) == what


@pytest.mark.parametrize(
    "text",
    [
        html(RARE).encode("gbk"),
        html(RARE).encode("utf-16-le"),
        codecs.BOM_UTF16_BE + html(RARE).encode("utf-16-be"),
        b"",
    ],
)
def test_sniff_binary_lets_text_through(text: bytes) -> None:
    assert sniff_binary(text) is None
