"""OPML import and export: real-world shapes, round trip, hostile files."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from lxml import etree

from newscli.config import FeedConfig, load_config
from newscli.errors import UsageError
from newscli.feeds.opml import Outline, import_opml, parse_opml, to_opml

DATA = Path(__file__).parent / "data" / "opml"
READER_EXPORT = DATA / "reader-export.opml"


def test_parse_reader_export_nested_folders_categories_and_chinese_titles() -> None:
    outlines = parse_opml(READER_EXPORT.read_bytes(), source=str(READER_EXPORT))
    assert [(o.url, o.title, o.category) for o in outlines] == [
        ("https://www.stdaily.com/rss/tech.xml", "科技日报", "新闻/科技"),
        ("http://news.sciencenet.cn/rss/yaowen.xml", "中国科学报 - 要闻", "新闻/科技"),
        ("http://www.people.com.cn/rss/politics.xml", "人民网 时政", "新闻"),
        ("https://news.ycombinator.com/rss", "Hacker News", "Tech"),
        ("https://lwn.net/headlines/rss", "LWN.net", "Tech"),
        (None, "A page, not a feed", "Tech"),
        ("https://feeds.bbci.co.uk/zhongwen/simp/rss.xml", "BBC 中文网", "国际/英国"),  # from category=
        ("https://news.ycombinator.com/rss/", "Hacker News (again)", None),
        ("https://example.com/feed?format=rss&lang=zh", None, None),
    ]
    assert outlines[0].html_url == "https://www.stdaily.com/"


def test_import_reports_added_and_skipped_with_reasons(newscli_home: Path) -> None:
    added, skipped = import_opml(READER_EXPORT.read_bytes(), source="reader-export.opml")
    assert [f.name for f in added] == [
        "kejiribao",
        "zhongguokexuebao-yaowen",
        "renminwang-shizheng",
        "hacker-news",
        "lwn-net",
        "bbc-zhongwenwang",
        "example",
    ]
    assert skipped == [
        "A page, not a feed: no xmlUrl, not a feed",
        "Hacker News (again) <https://news.ycombinator.com/rss/>: "
        "already subscribed as 'hacker-news' (https://news.ycombinator.com/rss)",
    ]
    on_disk = load_config(newscli_home / "config.toml").feeds
    assert on_disk == tuple(added)
    assert on_disk[0] == FeedConfig(
        name="kejiribao", url="https://www.stdaily.com/rss/tech.xml", category="新闻/科技", title="科技日报"
    )


def test_round_trip_import_export_import_gives_the_same_subscriptions(tmp_path: Path) -> None:
    first = tmp_path / "first.toml"
    import_opml(READER_EXPORT.read_bytes(), source="reader-export.opml", path=first)
    # a feed added by hand with a chosen name, tags and no title survives too
    from newscli.feeds.subscriptions import add_feed

    add_feed(
        "https://example.org/atom.xml", name="my-site", tags=["个人", "blog"], category="自己", path=first
    )
    exported = to_opml(load_config(first).feeds)

    second = tmp_path / "second.toml"
    added, skipped = import_opml(exported.encode("utf-8"), source="export.opml", path=second)
    assert skipped == []

    def shape(path: Path) -> list[tuple[str, str, str | None, str | None, tuple[str, ...]]]:
        return [(f.name, f.url, f.category, f.title, f.tags) for f in load_config(path).feeds]

    assert shape(second) == shape(first)
    assert len(shape(second)) == 8
    # and importing the export again into the same config adds nothing
    again, skipped = import_opml(exported.encode("utf-8"), source="export.opml", path=second)
    assert again == [] and len(skipped) == 8 and all("already subscribed" in s for s in skipped)


def test_export_is_opml_2_grouped_by_category() -> None:
    feeds = [
        FeedConfig(name="a", url="https://a.example/feed", category="新闻/科技", title="科技 & <日报>"),
        FeedConfig(name="b", url="https://b.example/rss?x=1&y=2", tags=("t1", "t2")),
        FeedConfig(name="c", url="https://c.example/", category="新闻", title='say "hi"\x07'),
    ]
    text = to_opml(feeds, title="Mine", now=datetime(2022, 5, 17, 12, 10, 6, tzinfo=timezone.utc))
    assert text == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<opml version="2.0" xmlns:newscli="https://newscli.invalid/opml">\n'
        "  <head>\n"
        "    <title>Mine</title>\n"
        "    <dateCreated>Tue, 17 May 2022 12:10:06 GMT</dateCreated>\n"
        "  </head>\n"
        "  <body>\n"
        '    <outline text="新闻" title="新闻">\n'
        '      <outline text="科技" title="科技">\n'
        '        <outline type="rss" text="科技 &amp; &lt;日报&gt;" title="科技 &amp; &lt;日报&gt;"'
        ' xmlUrl="https://a.example/feed" newscli:name="a"/>\n'
        "      </outline>\n"
        '      <outline type="rss" text="say &quot;hi&quot;" title="say &quot;hi&quot;"'
        ' xmlUrl="https://c.example/" newscli:name="c"/>\n'
        "    </outline>\n"
        '    <outline type="rss" text="b" xmlUrl="https://b.example/rss?x=1&amp;y=2" newscli:name="b"'
        ' newscli:tags="t1,t2"/>\n'
        "  </body>\n"
        "</opml>\n"
    )
    root = etree.fromstring(text.encode("utf-8"))
    assert root.get("version") == "2.0"
    assert [o.url for o in parse_opml(text.encode("utf-8"), source="x")] == [
        f.url for f in [feeds[0], feeds[2], feeds[1]]
    ]


def test_empty_export_is_still_valid_opml() -> None:
    text = to_opml([])
    assert etree.fromstring(text.encode("utf-8")).find("body") is not None
    assert parse_opml(text.encode("utf-8"), source="x") == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            '<?xml version="1.0" encoding="UTF-16"?><opml version="2.0"><head/><body>'
            '<outline text="科技" xmlUrl="http://x.example/"/></body></opml>'.encode("utf-16"),
            [Outline("http://x.example/", "科技")],
            id="utf-16 with BOM",
        ),
        pytest.param(
            '<?xml version="1.0" encoding="GBK"?><opml version="1.0"><head/><body>'
            '<outline title="镕喆堃" xmlUrl="http://x.example/"/></body></opml>'.encode("gbk"),
            [Outline("http://x.example/", "镕喆堃")],
            id="declared GBK",
        ),
        pytest.param(
            b'<opml version="2.0"><head/><body><outline text="a &amp; b" xmlurl="http://x.example/?a=1&b=2"/>'
            b"</body></opml>",
            [Outline("http://x.example/?a=1&b=2", "a & b")],
            id="bare ampersand and lower-case xmlurl",
        ),
        pytest.param(
            b'<opml version="2.0"><body><outline text=" spaced\n  title " xmlUrl=" http://x.example/ "'
            b' category="/Tech/Linux,/Other"/></body></opml>',
            [Outline("http://x.example/", "spaced title", "Tech/Linux")],
            id="whitespace and category attribute",
        ),
    ],
)
def test_parse_encodings_and_sloppy_files(data: bytes, expected: list[Outline]) -> None:
    assert parse_opml(data, source="x.opml") == expected


def test_deeply_nested_folders_do_not_recurse() -> None:
    depth = 200
    data = (
        "<opml><body>"
        + "".join(f'<outline text="f{i}">' for i in range(depth))
        + '<outline text="leaf" xmlUrl="http://x.example/"/>'
        + "</outline>" * depth
        + "</body></opml>"
    ).encode()
    (outline,) = parse_opml(data, source="deep.opml")
    assert outline.category == "/".join(f"f{i}" for i in range(depth))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "bad.opml: empty file, not OPML"),
        (
            b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>',
            "bad.opml: not an OPML file (the document is <rss>)",
        ),
        (b'<opml version="2.0"><head/></opml>', "bad.opml: not an OPML file (no <body>)"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00",
            "bad.opml: not valid XML: Start tag expected, '<' not found, line 1, column 1",
        ),
        (b"<opml><body><outline text='x'></body></opml>", "bad.opml: not valid XML: "),
    ],
)
def test_not_opml_is_a_usage_error_naming_the_file(data: bytes, message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_opml(data, source="bad.opml")
    assert str(info.value).startswith(message)
    assert info.value.exit_code == 2


def _billion_laughs(encoding: str = "utf-8") -> bytes:
    entities = '<!ENTITY a0 "ha">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    text = (
        f'<?xml version="1.0" encoding="{encoding.upper()}"?><!DOCTYPE opml [{entities}]>'
        '<opml version="2.0"><head><title>&a9;</title></head><body><outline text="&a9;" xmlUrl="http://x/"/>'
        "</body></opml>"
    )
    return text.encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_entity_bomb_is_refused_quickly(encoding: str, newscli_home: Path) -> None:
    started = time.monotonic()
    with pytest.raises(UsageError, match=r"bomb.opml: refusing an OPML file that declares entities"):
        import_opml(_billion_laughs(encoding), source="bomb.opml")
    assert time.monotonic() - started < 5
    assert not (newscli_home / "config.toml").exists()


def test_external_entities_and_dtds_are_never_loaded(tmp_path: Path, newscli_home: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<opml version="2.0"><head/><body><outline text="&x;" xmlUrl="http://x/">&x;</outline></body></opml>'
    ).encode()
    with pytest.raises(UsageError) as info:
        import_opml(xxe, source="xxe.opml")
    assert "TOP-SECRET" not in str(info.value)

    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ATTLIST outline text CDATA "TOP-SECRET-DEFAULT">')
    external = (
        f'<?xml version="1.0"?><!DOCTYPE opml SYSTEM "file://{dtd}">'
        '<opml version="2.0"><head/><body><outline xmlUrl="http://x/"/></body></opml>'
    ).encode()
    with pytest.raises(UsageError, match="external DTD"):
        import_opml(external, source="dtd.opml")
    assert not (newscli_home / "config.toml").exists()


def test_large_import_is_one_write_and_not_quadratic(newscli_home: Path) -> None:
    n = 600
    body = "".join(
        f'<outline text="Feed {i}" xmlUrl="https://h{i % 40}.example/feed/{i}"/>' for i in range(n)
    )
    data = f'<opml version="2.0"><body><outline text="Dup" xmlUrl="https://h0.example/feed/0/"/>{body}</body></opml>'
    started = time.monotonic()
    added, skipped = import_opml(data.encode(), source="big.opml")
    assert time.monotonic() - started < 20  # one edit per feed took about 40 s here
    assert len(added) == n and skipped == [
        "Feed 0 <https://h0.example/feed/0>: already subscribed as 'dup' (https://h0.example/feed/0/)"
    ]
    assert [f.name for f in load_config().feeds][:3] == ["dup", "feed-1", "feed-2"]


# C1 controls (CSI among them), bidi overrides/isolates/marks and the line/paragraph separators:
# a terminal or editor acts on them, so a title must never carry them to the screen.
UNSAFE = "\x7f\x85\x9b\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"


def test_control_and_bidi_characters_never_reach_the_export(tmp_path: Path) -> None:
    refs = "".join(f"&#x{ord(ch):X};" for ch in UNSAFE)
    opml = (
        '<?xml version="1.0" encoding="UTF-8"?><opml version="2.0"><body>'
        f'<outline text="Top{refs}ics"><outline text="Daily&#x9B;31m News &#x202E;txt.exe"'
        f' xmlUrl="https://a.example/feed" category="x"/></outline>'
        f'<outline text="Second" xmlUrl="https://b.example/feed" newscli:name="b&#x202E;ee"'
        f' newscli:tags="one&#x2066;,tw&#x9B;o" xmlns:newscli="https://newscli.invalid/opml"/>'
        "</body></opml>"
    ).encode()
    path = tmp_path / "subs.toml"
    added, skipped = import_opml(opml, source="hostile.opml", path=path)
    assert skipped == [] and len(added) == 2
    feeds = load_config(path).feeds
    assert [(f.title, f.category, f.name, f.tags) for f in feeds][1] == (
        "Second",
        None,
        "bee",
        ("one", "two"),
    )
    # the line-breaking ones (U+0085, U+2028, U+2029) read as a space, as other whitespace does
    assert (feeds[0].title, feeds[0].category) == ("Daily31m News txt.exe", "Top ics")
    exported = to_opml(feeds)
    assert not [ch for ch in UNSAFE if ch in exported]
    assert 'text="Daily31m News txt.exe"' in exported and 'text="Top ics"' in exported


def test_export_drops_control_and_bidi_characters_from_any_field() -> None:
    feeds = [
        FeedConfig(
            name="n\u202ea",
            url="https://a.example/feed",
            category=f"Sec{UNSAFE}tion",
            title=f"Evil{UNSAFE} title\x9b2J",
            tags=(f"t{UNSAFE}ag",),
        )
    ]
    exported = to_opml(feeds, title=f"Mine{UNSAFE}")
    assert not [ch for ch in UNSAFE if ch in exported]
    assert 'text="Evil title2J"' in exported and 'text="Section"' in exported
    assert 'newscli:name="na"' in exported and 'newscli:tags="tag"' in exported
    assert "<title>Mine</title>" in exported
