"""Feed parsing: fixtures with expected values beside them, and the hostile feeds of bad-inputs.md (F01–F12)."""

from __future__ import annotations

import json
import re
import time
import tracemalloc
from pathlib import Path

import pytest

from newscli.errors import FeedError, NotAFeed
from newscli.feeds.content import is_teaser
from newscli.feeds.parse import ENTRY_CAP, looks_like_feed, parse_feed
from newscli.models import Fetched

DATA = Path(__file__).parent / "data" / "feeds"

FIXTURES = [
    ("rss2.xml", "https://news.example.cn/rss.xml", "application/rss+xml; charset=utf-8"),
    ("rss1.rdf", "https://planet.example.org/rss10.rdf", "application/rdf+xml"),
    ("atom.xml", "https://blog.example.com/atom.xml", "application/atom+xml"),
    ("jsonfeed11.json", "https://pod.example.cn/feed.json", "application/feed+json"),
    ("jsonfeed10.json", "https://old.example.com/feed.json", "application/json"),
    ("authors_several.xml", "https://cowritten.example.org/atom.xml", "application/atom+xml"),
    ("authors_rss_creators.xml", "https://creators.example.net/rss", "application/rss+xml"),
    ("authors_inherited.xml", "https://jane.example.com/feed.atom", "application/atom+xml"),
    ("selfclosed_embeds.xml", "https://video.example.com/feed", "application/rss+xml"),
    ("utf8_one_bad_byte.xml", "https://mostly.example.org/rss", "application/rss+xml"),
    ("media_description.xml", "https://photos.example.com/rss", "application/rss+xml"),
    ("subscribable.xml", "https://technews.example.com/rss", "application/rss+xml"),
    ("jsonfeed_ids.json", "https://numbered.example.com/feed.json", "application/feed+json"),
    ("empty_items.xml", "https://empty.example.com/rss", "application/rss+xml"),
    ("dtd_internal_entities.xml", "https://old.example.net/rss.xml", "text/xml"),
    ("dtd_entity_in_guid.xml", "https://news.example.org/rss", "application/rss+xml"),
    ("doctype_in_comment.xml", "https://comment.example.com/rss", "application/rss+xml"),
    ("atom_no_namespace.xml", "https://nons.example.com/atom", "application/atom+xml"),
    ("atom_enclosure_link.xml", "https://links.example.it/atom", "application/atom+xml"),
    ("lang_xml_lang.xml", "https://lang.example.com/atom", "application/atom+xml"),
    ("lang_dc_language.xml", "https://lang.example.ca/rss", "application/rss+xml"),
    # local files (no --base-url): relative links resolve against the feed's own link or xml:base, or stay relative
    ("relative_links.xml", "file:///home/me/feeds/relative_links.xml", ""),
    ("relative_links_nobase.xml", "file:///home/me/feeds/relative_links_nobase.xml", ""),
    ("relative_atom_base.xml", "file:///home/me/feeds/relative_atom_base.xml", ""),
]


def fetched(
    body: bytes | str, url: str = "https://feeds.example.com/feed.xml", content_type: str = ""
) -> Fetched:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return Fetched(url=url, content=data, headers={"content-type": content_type} if content_type else {})


def rss(items: str, *, decl: str = '<?xml version="1.0" encoding="utf-8"?>', head: str = "") -> str:
    return f'{decl}{head}<rss version="2.0"><channel><title>Feed</title><link>https://feeds.example.com/</link>{items}</channel></rss>'


def item(n: int | str, *, guid: bool = True, link: bool = True, body: str = "Body") -> str:
    parts = [f"<title>Item {n}</title>"]
    if link:
        parts.append(f"<link>https://feeds.example.com/{n}</link>")
    if guid:
        parts.append(f'<guid isPermaLink="false">g-{n}</guid>')
    parts.append(f"<description>{body}</description>")
    return "<item>" + "".join(parts) + "</item>"


@pytest.mark.parametrize(("name", "url", "content_type"), FIXTURES, ids=[f[0] for f in FIXTURES])
def test_fixture_feeds_give_expected_entries(name: str, url: str, content_type: str) -> None:
    expected = json.loads((DATA / name).with_suffix(".expected.json").read_text(encoding="utf-8"))
    given = fetched((DATA / name).read_bytes(), url, content_type)
    # (an expected record may say which other response headers the feed is served with)
    feed = parse_feed(
        Fetched(url=url, content=given.content, headers={**given.headers, **expected.get("headers", {})})
    )
    for key, value in expected["feed"].items():
        got = getattr(feed, key)
        assert (list(got) if isinstance(got, tuple) else got) == value, key
    assert feed.url == url
    assert len(feed.entries) == len(expected["entries"])
    for entry, want in zip(feed.entries, expected["entries"], strict=True):
        record = entry.article.as_record()
        assert record["feed"] == {"title": expected["feed"]["title"], "url": url}
        for key, value in want.items():
            if key == "content_is_full":
                assert entry.content_is_full is value, (want.get("id"), key)
            elif key == "html_contains":
                for fragment in value:
                    assert fragment in record["html"]
            elif key == "html_lacks":
                for fragment in value:
                    assert fragment not in record["html"]
            elif key == "text_startswith":
                assert record["text"].startswith(value), record["text"][:80]
            else:
                assert record[key] == value, (want.get("id"), key)
        assert entry.article.published is None or entry.article.published.tzinfo is not None


@pytest.mark.parametrize("name", ["jsonfeed_ids.json", "empty_items.xml"])
def test_entries_with_nothing_to_tell_them_apart_keep_distinct_stable_ids(name: str) -> None:
    url = "https://empty.example.com/feed"
    ids = [e.article.id for e in parse_feed(fetched((DATA / name).read_bytes(), url)).entries]
    assert (
        len(set(ids))
        == len(ids)
        == len(json.loads((DATA / name).with_suffix(".expected.json").read_text())["entries"])
    )
    assert ids == [e.article.id for e in parse_feed(fetched((DATA / name).read_bytes(), url)).entries]
    assert [e.article.id for e in parse_feed(fetched((DATA / name).read_bytes(), url + "2")).entries][
        -1
    ] != ids[-1]


def test_feed_shaped_xml_is_said_to_be_no_feed_newscli_reads() -> None:
    expected = json.loads((DATA / "channel_root.expected.json").read_text(encoding="utf-8"))["error"]
    data = (DATA / "channel_root.xml").read_bytes()
    assert looks_like_feed(data.decode("utf-8"))
    with pytest.raises(NotAFeed) as info:
        parse_feed(fetched(data, "https://lone.example.com/channel.xml"))
    assert (info.value.kind, info.value.message) == (expected["kind"], expected["message"])
    for doc, what in [
        (
            '<?xml version="1.0"?><entry xmlns="http://www.w3.org/2005/Atom"><title>x</title></entry>',
            "a single Atom entry",
        ),
        (
            '<opml version="2.0"><body><outline xmlUrl="https://x.example/feed"/></body></opml>',
            "an OPML outline",
        ),
        (
            '<feed xmlns="http://example.com/not-atom"><title>x</title></feed>',
            "a <feed> in a namespace other",
        ),
    ]:
        with pytest.raises(NotAFeed, match=f": not a feed newscli can read \\({re.escape(what)}"):
            parse_feed(fetched(doc))


def test_looks_like_feed_by_content_not_url() -> None:
    for name, _, _ in FIXTURES:
        assert looks_like_feed((DATA / name).read_text(encoding="utf-8", errors="replace")), name
    assert looks_like_feed('<?xml version="1.0"?>\n<!-- hi -->\n<rss version="0.91"><channel/></rss>')
    assert not looks_like_feed("<!DOCTYPE html><html><head><title>rss</title></head></html>")
    assert not looks_like_feed("<html><body><feed>not XML</feed></body></html>")
    assert not looks_like_feed('{"version": "1.0", "items": []}')
    assert not looks_like_feed("")


@pytest.mark.parametrize(
    ("content", "teaser"),
    [
        (None, True),
        ("", True),
        ("   ", True),
        ("<p></p>", True),
        ("A short English summary of the story.", True),
        ("<p>" + "word " * 80 + "</p>", False),
        ("<p>" + "word " * 80 + "Read more »</p>", True),
        ("<p>" + "word " * 80 + "[…]</p>", True),
        ("新疆油田公司17日发布消息……", True),
        ("新" * 300, False),
        ("新" * 300 + "……", True),
        ("新" * 300 + "<a href='/x'>阅读全文</a>", True),
        ("新" * 300 + "【全文】", True),
        ("新" * 150, True),
    ],
)
def test_is_teaser(content: str | None, teaser: bool) -> None:
    assert is_teaser(content) is teaser


# ---------------------------------------------------------------- F01–F03: entities

REFUSED = "refused: the feed declares XML entities (possible entity-expansion attack)"
NESTED = (
    "refused: the feed's DTD declares entities that use other entities (possible entity-expansion attack)"
)
TOO_LONG = "refused: the feed's DTD declares an entity longer than 1024 characters (possible entity-expansion attack)"
TOO_MUCH = (
    "refused: the feed's entities expand to more than 1048576 characters (possible entity-expansion attack)"
)


def billion_laughs() -> str:
    decls = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    return f'<?xml version="1.0"?><!DOCTYPE rss [{decls}]>' + rss(item(1, body="&lol9;"), decl="")


def one_big_entity(size: int = 100_000, uses: int = 2000) -> str:
    doctype = '<!DOCTYPE rss [<!ENTITY big "' + "x" * size + '">]>'
    return (
        '<?xml version="1.0"?>' + doctype + rss("".join(item(i, body="&big;") for i in range(uses)), decl="")
    )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("billion laughs", billion_laughs().encode("utf-8"), NESTED),
        ("100 KB entity x 2000", one_big_entity().encode("utf-8"), TOO_LONG),
        ("100 KB entity x 2000, UTF-16 with BOM", one_big_entity().encode("utf-16"), TOO_LONG),
        ("100 KB entity x 2000, UTF-16-BE without BOM", one_big_entity().encode("utf-16-be"), TOO_LONG),
        ("1 KB entity x 50000 (quadratic blow-up)", one_big_entity(1000, 50_000).encode("utf-8"), TOO_MUCH),
        ("an entity declared in the body", rss(item(1, body='<!ENTITY x "y">')).encode("utf-8"), REFUSED),
    ],
)
def test_entity_expansion_attacks_refused_in_bounded_time_and_memory(
    name: str, data: bytes, message: str
) -> None:
    tracemalloc.start()
    start = time.monotonic()
    try:
        with pytest.raises(FeedError) as info:
            parse_feed(fetched(data, "https://evil.example.com/lol.xml"))
        elapsed = time.monotonic() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 2.0
    assert peak < 20 * len(data) + 8_000_000  # a few copies of the document, never its expansion
    assert type(info.value) is FeedError
    assert str(info.value) == f"https://evil.example.com/lol.xml: {message}"


@pytest.mark.parametrize(
    ("subset", "why"),
    [
        ('<!ENTITY % pe "x">', "declares parameter entities"),
        ('<!ENTITY % pe SYSTEM "https://evil.example.com/x.dtd"> %pe;', "declares parameter entities"),
        ("%pe;", "declares parameter entities"),
        ('<!ENTITY xxe SYSTEM "file:///etc/passwd">', "declares an external entity"),
        ('<!ENTITY xxe PUBLIC "-//x//y" "https://evil.example.com/x">', "declares an external entity"),
        ('<!ENTITY pic SYSTEM "x.gif" NDATA gif>', "declares an external entity"),
        ('<!ENTITY a "&b;"><!ENTITY b "x">', "declares entities that use other entities"),
        ('<!ENTITY a "&a;">', "declares entities that use other entities"),
        ('<!ENTITY a "100%">', "uses parameter entities"),
        ('<!ENTITY a "x"', "cannot be read safely"),
        ("<![INCLUDE[ ]]>", "cannot be read safely"),
    ],
)
def test_risky_internal_subsets_refused(subset: str, why: str) -> None:
    doc = f'<?xml version="1.0"?><!DOCTYPE rss [{subset}]>' + rss(item(1, body="&a;"), decl="")
    with pytest.raises(FeedError) as info:
        parse_feed(fetched(doc))
    assert info.value.message == f"refused: the feed's DTD {why} (possible entity-expansion attack)"


def test_simple_entities_expand_once_and_not_in_cdata_or_comments() -> None:
    subset = '<!ENTITY me "Ann &amp; Bob"><!ENTITY q \'say "hi" &#60;b&#62;\'>'
    body = "&me; / &q; <![CDATA[ &me; ]]> <!-- &me; --> &unknown;"
    feed = parse_feed(
        fetched(f'<?xml version="1.0"?><!DOCTYPE rss [{subset}]>' + rss(item(1, body=body), decl=""))
    )
    text = feed.entries[0].article.text or ""
    assert text.startswith('Ann & Bob / say "hi"')
    assert text.count("Ann & Bob") == 1


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/rss-0.91.dtd">',
        "<!doctype rss>",
        "<!DOCTYPE rss SYSTEM http://unquoted.example.com/rss.dtd>",  # sloppy, but no internal subset
    ],
)
def test_doctypes_without_internal_subset_are_dropped(doctype: str) -> None:
    feed = parse_feed(fetched(f'<?xml version="1.0"?>{doctype}' + rss(item(1), decl="")))
    assert [e.article.title for e in feed.entries] == ["Item 1"]
    assert feed.warnings == ()


def test_external_entity_to_local_file_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    doc = f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>' + rss(
        item(1, body="&xxe;"), decl=""
    )
    with pytest.raises(FeedError, match="declares an external entity"):
        parse_feed(fetched(doc))


def test_external_dtd_to_local_file_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY xxe SYSTEM "{secret.as_uri()}">', encoding="utf-8")
    doc = f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{dtd.as_uri()}">' + rss(
        item(1, body="before &xxe; after"), decl=""
    )
    try:
        feed = parse_feed(fetched(doc))
    except FeedError:
        return
    assert "TOP-SECRET-CONTENT" not in repr(feed)
    assert [e.article.title for e in feed.entries] == ["Item 1"]


def test_entity_text_quoted_in_cdata_is_content() -> None:
    body = "<![CDATA[<p>Never accept <code><!ENTITY x SYSTEM 'file:///etc/passwd'></code> in a feed.</p>]]>"
    feed = parse_feed(fetched(rss(item(1, body=body))))
    assert "<!ENTITY x SYSTEM" in (feed.entries[0].article.text or "")


# ---------------------------------------------------------------- F04–F06: encodings


def test_undeclared_gbk_feed_reads_exact_chinese() -> None:
    data = (DATA / "gbk_undeclared.xml").read_bytes()
    feed = parse_feed(fetched(data, "https://people.example.cn/rss.xml", "text/xml"))
    assert feed.title == "新华社 · 人物"
    first = feed.entries[0].article
    assert first.title == "朱镕基、张喆与王堃：三位读者的来信"
    assert "镕、喆、堃这三个字" in (first.text or "")
    assert first.published is not None and first.published.isoformat() == "2022-05-17T08:00:00+08:00"


def test_gb2312_header_utf8_declaration_gbk_bytes() -> None:
    data = (
        (DATA / "gbk_undeclared.xml")
        .read_bytes()
        .replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="utf-8"?>', 1)
    )
    feed = parse_feed(fetched(data, "https://people.example.cn/rss.xml", "text/xml; charset=gb2312"))
    title = feed.entries[0].article.title
    assert title == "朱镕基、张喆与王堃：三位读者的来信" or any("encod" in w for w in feed.warnings)


def test_utf8_declaration_over_gbk_bytes_warns_or_reads_right() -> None:
    data = (
        (DATA / "gbk_undeclared.xml")
        .read_bytes()
        .replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="utf-8"?>', 1)
    )
    feed = parse_feed(fetched(data, "https://people.example.cn/rss.xml"))
    title = feed.entries[0].article.title
    assert title == "朱镕基、张喆与王堃：三位读者的来信" or feed.warnings


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("declared", [True, False])
def test_utf16_and_utf32_feeds_with_and_without_bom(codec: str, declared: bool) -> None:
    decl = f'<?xml version="1.0" encoding="{codec.upper()}"?>' if declared else ""
    doc = rss(item(1) + "<item><title>镕喆堃</title><guid>g-2</guid></item>", decl=decl)
    feed = parse_feed(fetched(doc.encode(codec)))
    assert feed.title == "Feed"
    assert [e.article.title for e in feed.entries] == ["Item 1", "镕喆堃"]


def test_encoding_override_wins() -> None:
    data = rss(item("镕喆堃")).encode("utf-8").replace(b'encoding="utf-8"', b'encoding="gbk"')
    feed = parse_feed(fetched(data, content_type="text/xml; charset=gbk"), encoding="utf-8")
    assert feed.entries[0].article.title == "Item 镕喆堃"


# ---------------------------------------------------------------- F07: not a feed


LOGIN_PAGE = (
    "<!DOCTYPE html><html><head><title>Sign in</title></head><body>"
    '<form action="/login" method="post"><input name="user"><input type="password" name="pw"></form>'
    "</body></html>"
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (LOGIN_PAGE.encode(), "not a feed (looks like an HTML page; try `newscli discover URL`)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "not a feed (PNG image)"),
        (b"", "not a feed (empty response)"),
        (b"  \r\n", "not a feed (empty response)"),
        (b"Service temporarily unavailable", "not a feed (no RSS, Atom or JSON Feed document found)"),
        (
            b'{"version": "https://jsonfeed.org/version/1.1", "items": 3}',
            "cannot parse the JSON Feed (no items list)",
        ),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "cannot parse the JSON Feed"),
    ],
)
def test_not_a_feed_served_as_a_feed(data: bytes, message: str) -> None:
    url = "https://feeds.example.com/rss"
    with pytest.raises(FeedError) as info:
        parse_feed(fetched(data, url, "application/rss+xml"))
    assert str(info.value).startswith(f"{url}: {message}")
    assert info.value.source == url
    if message.startswith("not a feed"):
        assert isinstance(info.value, NotAFeed)


# ---------------------------------------------------------------- F08: cut off


@pytest.mark.parametrize(
    "tail",
    [
        "",
        "<title>Item 4</title><gu",
        "<title>Item 4</title><descr",
        "<title>Item 4</title><description>Body of",
    ],
)
def test_feed_cut_off_inside_an_item_keeps_only_complete_items(tail: str) -> None:
    doc = rss("".join(item(i) for i in range(1, 4)))
    doc = doc[: doc.index("</channel>")] + "<item>" + tail
    feed = parse_feed(fetched(doc))
    assert [e.article.title for e in feed.entries] == ["Item 1", "Item 2", "Item 3"]
    assert [e.article.id for e in feed.entries] == ["g-1", "g-2", "g-3"]
    assert any("cut off" in w for w in feed.warnings)


def test_feed_cut_off_before_any_complete_item_fails() -> None:
    doc = rss("")
    doc = doc[: doc.index("</channel>")] + "<item><title>Only</title><descr"
    doc = doc.replace("<title>Feed</title>", "")
    with pytest.raises(FeedError, match="cannot parse the feed"):
        parse_feed(fetched(doc))


def test_atom_cut_off_inside_an_entry() -> None:
    text = (DATA / "atom.xml").read_text(encoding="utf-8")
    cut = text[: text.index('<summary type="html">')]
    feed = parse_feed(fetched(cut, "https://blog.example.com/atom.xml"))
    assert [e.article.id for e in feed.entries] == ["tag:blog.example.com,2024:post-17"]


# ---------------------------------------------------------------- F11: ids and the cap


def test_duplicate_guids_keep_the_first() -> None:
    doc = rss(item(1) + item(2) + item(1, body="A later copy") + item(3))
    feed = parse_feed(fetched(doc))
    assert [e.article.id for e in feed.entries] == ["g-1", "g-2", "g-3"]
    assert feed.entries[0].article.text == "Body"
    assert any("repeat" in w for w in feed.warnings)


def test_entries_without_guid_or_link_get_stable_distinct_ids() -> None:
    items = (
        "<item><title>No id A</title><pubDate>Tue, 17 May 2022 08:00:00 +0800</pubDate></item>"
        "<item><title>No id B</title><pubDate>Tue, 17 May 2022 08:00:00 +0800</pubDate></item>"
        "<item><description>Only a body, no title, no date</description></item>" + item("linked", guid=False)
    )
    first = parse_feed(fetched(rss(items)))
    second = parse_feed(fetched(rss(items), "https://mirror.example.com/feed.xml"))
    ids = [e.article.id for e in first.entries]
    assert ids == [e.article.id for e in second.entries]
    assert all(ids) and len(set(ids)) == 4
    assert ids[3] == "https://feeds.example.com/linked"


def test_fifty_thousand_items_are_capped_with_a_warning() -> None:
    doc = rss("".join(item(i) for i in range(50_000)))
    start = time.monotonic()
    feed = parse_feed(fetched(doc), max_entries=200)
    assert time.monotonic() - start < 10
    assert feed.truncated is True
    assert [e.article.id for e in feed.entries] == [f"g-{i}" for i in range(200)]
    assert "the feed has 50000 entries; only the first 200 were read" in feed.warnings


def test_default_cap_is_entry_cap() -> None:
    doc = rss("".join(item(i) for i in range(ENTRY_CAP + 1)))
    feed = parse_feed(fetched(doc))
    assert feed.truncated and len(feed.entries) == ENTRY_CAP
    assert f"the feed has {ENTRY_CAP + 1} entries; only the first {ENTRY_CAP} were read" in feed.warnings


def test_atom_capped_keeps_its_closing_tags() -> None:
    entries = "".join(f"<entry><id>urn:e:{i}</id><title>E{i}</title></entry>" for i in range(10))
    doc = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>{entries}</feed>'
    feed = parse_feed(fetched(doc), max_entries=3)
    assert [e.article.id for e in feed.entries] == ["urn:e:0", "urn:e:1", "urn:e:2"]
    assert feed.title == "A" and not any("well-formed" in w or "cut off" in w for w in feed.warnings)


def test_json_feed_is_capped_too() -> None:
    items = [{"id": str(i), "content_text": "x"} for i in range(50)]
    doc = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": items})
    feed = parse_feed(fetched(doc), max_entries=7)
    assert feed.truncated and [e.article.id for e in feed.entries] == [str(i) for i in range(7)]
    assert "the feed has 50 entries; only the first 7 were read" in feed.warnings


# ---------------------------------------------------------------- F12: plain text stays text


def test_plain_text_summary_with_script_is_text_not_markup() -> None:
    atom = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        "<entry><id>urn:x:1</id><title>t</title>"
        '<summary type="text">&lt;script&gt;alert(1)&lt;/script&gt; see '
        '&lt;a href="javascript:alert(2)"&gt;here&lt;/a&gt;</summary></entry></feed>'
    )
    article = parse_feed(fetched(atom)).entries[0].article
    assert article.text == '<script>alert(1)</script> see <a href="javascript:alert(2)">here</a>'
    assert article.html is not None
    assert "<script" not in article.html and "<a " not in article.html
    assert "&lt;script&gt;" in article.html


def test_json_content_text_with_script_is_text_not_markup() -> None:
    doc = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1",
            "items": [{"id": "1", "content_text": '<script>x()</script><a href="javascript:y()">z</a>'}],
        }
    )
    article = parse_feed(fetched(doc)).entries[0].article
    assert article.text == '<script>x()</script><a href="javascript:y()">z</a>'
    assert article.html is not None and "<script" not in article.html and "<a " not in article.html


def test_html_content_loses_scripts_handlers_and_javascript_links() -> None:
    body = (
        '<![CDATA[<p onmouseover="steal()">Hello <a href="javascript:alert(1)">bad</a> '
        '<a href=" JaVaScRiPt:alert(1)">bad2</a> <a href="/ok">ok</a></p><script>steal()</script>'
        '<style>p{}</style><iframe src="https://evil.example.com/"></iframe>]]>'
    )
    article = parse_feed(fetched(rss(item(1, body=body)))).entries[0].article
    html = article.html or ""
    for bad in ("script", "onmouseover", "javascript", "JaVaScRiPt", "<style", "<iframe", "steal"):
        assert bad not in html
    assert '<a href="https://feeds.example.com/ok">ok</a>' in html
    assert "<a>bad</a>" in html
    assert article.text == "Hello bad bad2 ok"


# ---------------------------------------------------------------- dates and everyday feed quirks


@pytest.mark.parametrize(
    ("raw", "lang", "url", "tz", "expected"),
    [
        (
            "Tue, 17 May 2022 20:10:06 +0800",
            "en",
            "https://x.example.com/f",
            None,
            "2022-05-17T20:10:06+08:00",
        ),
        ("2022-05-17T20:10:06-04:00", "zh-cn", "https://x.example.com/f", None, "2022-05-17T20:10:06-04:00"),
        ("2022-05-17 20:10", "zh-cn", "https://x.example.com/f", None, "2022-05-17T20:10:00+08:00"),
        ("2022-05-17 20:10", "", "https://news.example.cn/f", None, "2022-05-17T20:10:00+08:00"),
        (
            "2022-05-17 20:10",
            "zh-cn",
            "https://x.example.com/f",
            "Europe/Berlin",
            "2022-05-17T20:10:00+02:00",
        ),
        (
            "Tue, 17 May 2022 20:10:06 CST",
            "zh-cn",
            "https://x.example.com/f",
            None,
            "2022-05-17T20:10:06+08:00",
        ),
        (
            "Tue, 17 May 2022 20:10:06 CST",
            "en-us",
            "https://x.example.com/f",
            None,
            "2022-05-17T20:10:06-06:00",
        ),
        ("2022年05月17日 20:10", "zh-cn", "https://x.example.com/f", None, "2022-05-17T20:10:00+08:00"),
    ],
)
def test_entry_dates_keep_offsets_and_follow_the_zone_rule(
    raw: str, lang: str, url: str, tz: str | None, expected: str
) -> None:
    head = f"<language>{lang}</language>" if lang else ""
    doc = rss(f"<item><title>t</title><guid>g</guid><pubDate>{raw}</pubDate></item>").replace(
        "<channel>", "<channel>" + head
    )
    article = parse_feed(fetched(doc, url), tz_override=tz).entries[0].article
    assert article.published is not None and article.published.isoformat() == expected


def test_configured_zone_applies_to_naive_dates() -> None:
    doc = rss("<item><title>t</title><guid>g</guid><pubDate>2022-05-17 20:10</pubDate></item>")
    article = parse_feed(fetched(doc), configured_tz="+09:00").entries[0].article
    assert article.published is not None and article.published.isoformat() == "2022-05-17T20:10:00+09:00"


def test_html_named_entities_read_without_complaint() -> None:
    doc = rss("<item><title>Tom&nbsp;&amp;&nbsp;Jerry&mdash;again</title><guid>g</guid></item>")
    feed = parse_feed(fetched(doc))
    assert feed.entries[0].article.title == "Tom & Jerry\u2014again"
    assert feed.warnings == ()


def test_a_url_urllib_cannot_read_is_no_url_not_the_feeds_failure() -> None:
    """`http://[bad/x` (an unclosed IPv6 bracket) made urljoin raise ValueError out of parse_feed."""
    rss_doc = rss(
        "<item><title>a</title><guid>g1</guid><link>https://ok.example.com/a</link>"
        "<enclosure url='http://[bad/x.jpg' type='image/jpeg'/></item>"
        "<item><title>b</title><guid>g2</guid><link>http://[bad/b</link></item>"
    )
    feed = parse_feed(fetched(rss_doc))
    assert [(e.article.url, e.article.image) for e in feed.entries] == [
        ("https://ok.example.com/a", None),
        (None, None),
    ]
    json_doc = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "J",
            "items": [
                {"id": "1", "url": "https://j.examp[le.com/1", "content_text": "x"},
                {"id": "2", "url": "/2"},
            ],
        }
    )
    feed = parse_feed(fetched(json_doc, "https://j.example.com/feed.json"))
    assert [(e.article.id, e.article.url) for e in feed.entries] == [
        ("1", None),
        ("2", "https://j.example.com/2"),
    ]


def test_a_local_feed_whose_own_link_cannot_be_read_is_read_without_a_base() -> None:
    """A file's feed resolves against its own link; `http://[bad/` made that a ValueError out of parse_feed."""
    doc = rss(
        "<item><title>a</title><guid>g</guid><description>&lt;a href='x'&gt;l&lt;/a&gt;</description></item>"
    )
    doc = doc.replace("<link>https://feeds.example.com/</link>", "<link>http://[bad/</link>")
    feed = parse_feed(fetched(doc, "file:///tmp/feed.xml"))
    assert feed.site_url is None and feed.entries[0].article.html == '<a href="x">l</a>'
