"""JSON list APIs as subscriptions: the mapping, bad APIs named, and the seed end to end from its own kind of source."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from conftest import TestServer as Server
from seedpage import SEED_BODY, SEED_TITLE
from test_cli_fetch import newscli

from newscli.config import load_config
from newscli.errors import ConfigError, FeedError, UsageError
from newscli.feeds.jsonapi import ApiMapping, parse_api
from newscli.models import Fetched

CST = timezone(timedelta(hours=8))
SEED_FILE = next(Path(__file__).resolve().parent.parent.parent.joinpath("shared", "seed").glob("*.md"), None)
SHARE = "https://www.example.cn/html_News/NewsShare.html?infoCode={infoCode}"
MAPPING = ApiMapping(
    items="data.list",
    fields=(
        ("id", "infoCode"),
        ("title", "title"),
        ("published", "showTime"),
        ("content", "content"),
        ("summary", "digest"),
        ("source", "mediaName"),
        ("author", "author"),
        ("image", "image"),
    ),
    templates=(("url", SHARE),),
)
FIELD_FLAGS = [
    arg
    for name, expr in MAPPING.fields
    for arg in ("--field", f"{name}={expr}")
] + ["--template", f"url={SHARE}"]  # fmt: skip


def api(items: list[Any]) -> bytes:
    return json.dumps({"code": 0, "data": {"list": items, "total": len(items)}}, ensure_ascii=False).encode()


def story(n: int, **extra: Any) -> dict[str, Any]:
    item = {
        "infoCode": f"NW2022051700000{n}",
        "title": f"第{n}条新闻",
        "showTime": f"2022-05-17 0{n}:10:06",
        "mediaName": "科技日报",
        "content": f"<p>第{n}条的正文。</p><p>第二段。</p>",
        "digest": f"摘要{n}",
    }
    item.update(extra)
    return item


def parse(data: bytes, mapping: ApiMapping = MAPPING, **kw: Any) -> Any:
    return parse_api(Fetched("https://api.example.cn/list", data), mapping, **kw)


# ---- the mapping ----------------------------------------------------------------------------------------


def test_items_become_entries_with_the_mapped_fields() -> None:
    feed = parse(api([story(1, author="王晓东", image="/img/1.jpg")]), configured_tz="Asia/Shanghai")
    [entry] = feed.entries
    a = entry.article
    assert (a.id, a.title, a.source, a.author) == ("NW20220517000001", "第1条新闻", "科技日报", "王晓东")
    assert a.url == "https://www.example.cn/html_News/NewsShare.html?infoCode=NW20220517000001"
    assert a.published == datetime(2022, 5, 17, 1, 10, 6, tzinfo=CST)  # naive: the subscription's zone
    assert a.text == "第1条的正文。\n\n第二段。" and a.html == "<p>第1条的正文。</p><p>第二段。</p>"
    assert a.description == "摘要1"
    assert a.image == "https://www.example.cn/img/1.jpg"  # relative to the article
    assert entry.content_is_full and feed.failed == ()


def test_values_are_read_as_given() -> None:
    items = [
        {
            "id": 3.1415,
            "title": "numeric id",
            "t": 1652789406,
            "tags": ["科技", "新闻", "科技"],
            "link": "/a/1",
        },
        {"id": 7, "title": "ms epoch", "t": 1652789406000, "tags": "一个", "link": "/a/2"},
        {"id": "x", "title": "text body", "t": "1652789406", "body": "one\n\ntwo <3", "link": "/a/ 3?q=中"},
    ]
    mapping = ApiMapping(
        "items",
        (
            ("id", "id"),
            ("title", "title"),
            ("published", "t"),
            ("tags", "tags"),
            ("url", "link"),
            ("content", "body"),
        ),
    )
    feed = parse(json.dumps({"items": items}).encode(), mapping, configured_tz="Asia/Shanghai")
    a, b, c = (e.article for e in feed.entries)
    assert (a.id, b.id, c.id) == ("3.1415", "7", "x")  # ids as given, as strings
    when = datetime(2022, 5, 17, 20, 10, 6, tzinfo=CST)
    assert a.published == b.published == c.published == when
    assert a.tags == ("科技", "新闻") and b.tags == ("一个",)
    assert a.url == "https://api.example.cn/a/1"
    assert c.text == "one\n\ntwo <3" and c.html == "<p>one</p><p>two &lt;3</p>"  # text stays text
    assert [e.content_is_full for e in feed.entries] == [False, False, True]  # no content: a teaser


def test_templates_fill_urls_safely_from_the_items_own_keys() -> None:
    mapping = ApiMapping(
        "list", (("title", "t"),), (("url", "https://e.cn/{cat}/{code}.html"), ("id", "{code}"))
    )
    feed = parse(json.dumps({"list": [{"t": "a", "cat": "科技 要闻", "code": "N1"}]}).encode(), mapping)
    [entry] = feed.entries
    assert entry.article.url == "https://e.cn/%E7%A7%91%E6%8A%80%20%E8%A6%81%E9%97%BB/N1.html"
    assert entry.article.id == "N1"


def test_html_content_is_cleaned_like_a_feeds() -> None:
    body = '<p onclick="steal()">正文<script>alert(1)</script></p><p><a href="/x">链接</a></p>'
    [entry] = parse(api([story(1, content=body)])).entries
    assert "script" not in (entry.article.html or "") and "onclick" not in (entry.article.html or "")
    assert 'href="https://www.example.cn/x"' in (entry.article.html or "")


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ("junk", "item 1: a string, not an object"),
        ({"title": "t"}, "item 1: template url: the item has no 'infoCode'"),
        (story(1, title={"zh": "标题"}), "item 1: field title gives an object, not text"),
        (story(1, showTime="someday"), "item 1: field published: 'someday' is no date newscli can read"),
        (story(1, mediaName=True), "item 1: field source gives a boolean, not text"),
    ],
)
def test_one_bad_item_is_that_items_failure(item: Any, reason: str) -> None:
    feed = parse(api([item, story(2)]))
    assert feed.failed == (reason,)
    assert [e.article.id for e in feed.entries] == ["NW20220517000002"]


def test_an_item_without_id_or_url_has_no_identity() -> None:
    feed = parse(json.dumps({"list": [{"title": "t"}]}).encode(), ApiMapping("list", (("title", "title"),)))
    assert feed.failed == ("item 1: no id and no url: nothing to know it by (map fields.id or fields.url)",)


@pytest.mark.parametrize(
    ("data", "mapping", "message"),
    [
        (b"", MAPPING, "not JSON (empty answer)"),
        (b"<!DOCTYPE html><html><body><form>login</form></body></html>", MAPPING, "a login or error page?"),
        (b"{not json", MAPPING, "not JSON (Expecting property name"),
        (b'{"data": {"rows": []}}', MAPPING, "items 'data.list' finds nothing in the answer"),
        (b'{"data": {"list": {"a": 1}}}', MAPPING, "items 'data.list' gives an object, not a list"),
        (b"[" * 100 + b"]" * 100, ApiMapping("[0]"), "nested deeper than 64 levels"),
    ],
)
def test_a_bad_api_is_a_feed_error_naming_it(data: bytes, mapping: ApiMapping, message: str) -> None:
    with pytest.raises(FeedError) as info:
        parse(data, mapping)
    assert info.value.source == "https://api.example.cn/list"
    assert message in info.value.message


def test_the_list_is_capped_like_a_feeds() -> None:
    feed = parse(api([story(n % 10, infoCode=f"N{n}") for n in range(30)]), max_entries=12)
    assert len(feed.entries) == 12 and feed.truncated
    assert "only the first 12" in feed.warnings[0]


def test_mapping_check_names_the_flag() -> None:
    with pytest.raises(UsageError, match=r"--items: not a JMESPath expression: 'data\['"):
        ApiMapping("data[").check()
    with pytest.raises(UsageError, match=r"--field titel: unknown field \(did you mean 'title'\?\)"):
        ApiMapping("data", (("titel", "t"),)).check()
    with pytest.raises(UsageError, match="--template url: bad template"):
        ApiMapping("data", (), (("url", "https://e.cn/{a.b}"),)).check()


# ---- the configuration -----------------------------------------------------------------------------------

CONFIG = """\
[[feeds]]
name = "kejiribao"
url = "https://api.example.cn/news/list?column=kejiribao&pageSize=20"
type = "json"
items = "data.list"
tz = "Asia/Shanghai"
[feeds.fields]
id = "infoCode"
title = "title"
published = "showTime"
content = "content"
[feeds.templates]
url = "https://www.example.cn/html_News/NewsShare.html?infoCode={infoCode}"
"""


def test_a_json_subscription_reads_from_the_config(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    [feed] = load_config(path).feeds
    assert (feed.type, feed.items, feed.tz) == ("json", "data.list", "Asia/Shanghai")
    assert feed.fields == (
        ("id", "infoCode"),
        ("title", "title"),
        ("published", "showTime"),
        ("content", "content"),
    )
    assert feed.templates == (("url", "https://www.example.cn/html_News/NewsShare.html?infoCode={infoCode}"),)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('type = "json"', 'type = "xml"'),
            "line 4: feed 'kejiribao' type: expected one of feed, json, got 'xml'",
        ),
        (('items = "data.list"\n', ""), "needs items, the JMESPath to the list of entries"),
        (('items = "data.list"', 'items = "data.[list"'), "items: not a JMESPath expression"),
        (
            ('title = "title"', 'titel = "title"'),
            "line 9: feed 'kejiribao' fields.titel: unknown field (did you",
        ),
        (('type = "json"\n', ""), 'only for a JSON API subscription (type = "json")'),
        (("{infoCode}", "{infoCode!r}"), "no format specs or conversions in {infoCode}"),
    ],
)
def test_a_bad_json_subscription_is_a_config_error(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.replace(*change), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_feeds_add_writes_the_same_block() -> None:
    result = newscli(
        "feeds", "add", "https://api.example.cn/news/list?column=kejiribao&pageSize=20", "--name", "kejiribao",
        "--no-check",
        "--type", "json", "--items", "data.list", "--tz", "Asia/Shanghai",
        "--field", "id=infoCode", "--field", "title=title", "--field", "published=showTime",
        "--field", "content=content",
        "--template", "url=https://www.example.cn/html_News/NewsShare.html?infoCode={infoCode}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    [written] = load_config().feeds
    expected = Path(__file__).parent / "expected.toml"
    expected.write_text(CONFIG, encoding="utf-8")
    try:
        [wanted] = load_config(expected).feeds
    finally:
        expected.unlink()
    assert written == wanted
    bad = newscli("feeds", "add", "https://api.example.cn/b", "--type", "json", "--items", "data.list",
                  "--field", "title=length(")  # fmt: skip
    assert bad.returncode == 2 and b"--field title: not a JMESPath expression" in bad.stderr
    assert len(load_config().feeds) == 1


# ---- through the real command ---------------------------------------------------------------------------


def test_feeds_add_checks_the_api_answers_what_the_mapping_reads(http_server: Server) -> None:
    login = http_server.serve("/login", "<html><body><form>sign in</form></body></html>")
    result = newscli(
        "feeds", "add", login, "--type", "json", "--items", "data.list", "--field", "id=infoCode"
    )
    assert result.returncode == 3 and b"not JSON: the endpoint answered an HTML page" in result.stderr
    assert load_config().feeds == ()
    good = http_server.serve("/api", api([story(1)]), content_type="application/json")
    result = newscli("feeds", "add", good, "--type", "json", "--items", "data.list", "--field", "id=infoCode")
    assert result.returncode == 0, result.stderr.decode()
    assert [f.url for f in load_config().feeds] == [good]


def test_fetch_reads_an_api_once_from_the_shell(http_server: Server) -> None:
    url = http_server.serve("/api/list", api([story(1), "junk", story(2)]), content_type="application/json")
    result = newscli(
        "fetch", url, "--items", "data.list", *FIELD_FLAGS, "--tz", "Asia/Shanghai", "-f", "ndjson"
    )
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 1  # one item failed, the others were read
    assert [r["id"] for r in records if r["error"] is None] == ["NW20220517000001", "NW20220517000002"]
    [bad] = [r for r in records if r["error"]]
    assert bad["error"]["message"] == f"{url}: item 2: a string, not an object"
    assert f"{url}: item 2: a string, not an object".encode() in result.stderr
    good = [r for r in records if r["error"] is None]
    assert (
        good[0]["published"] == "2022-05-17T01:10:06+08:00" and good[0]["text"] == "第1条的正文。\n\n第二段。"
    )


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (
            b"<html><head><title>Login</title></head><body>sign in</body></html>",
            "text/html",
            "a login or error page?",
        ),
        (b'{"data": 1}', "application/json", "items 'data.list' finds nothing"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png", "not JSON (PNG image)"),
    ],
)
def test_fetch_names_a_bad_api(http_server: Server, body: bytes, content_type: str, message: str) -> None:
    url = http_server.serve("/api/bad", body, content_type=content_type)
    result = newscli("fetch", url, "--items", "data.list", *FIELD_FLAGS, "-f", "ndjson")
    assert result.returncode == 3
    [record] = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["error"]["kind"] == "feed" and message in record["error"]["message"]
    assert url.encode() in result.stderr


def test_fetch_flags_need_items() -> None:
    result = newscli("fetch", "https://api.example.cn/x", "--field", "title=title")
    assert result.returncode == 2 and b"--field and --template go with --items" in result.stderr


def test_fetch_of_a_subscribed_api_uses_its_mapping(http_server: Server) -> None:
    url = http_server.serve("/api/list", api([story(3)]), content_type="application/json")
    home_config = load_config()  # the test's own (empty) config file
    assert home_config.path is not None
    home_config.path.write_text(
        CONFIG.replace("https://api.example.cn/news/list?column=kejiribao&pageSize=20", url)
    )
    result = newscli("fetch", url, "-f", "ndjson")
    assert result.returncode == 0, result.stderr.decode()
    record = json.loads(result.stdout)
    assert record["id"] == "NW20220517000003" and record["title"] == "第3条新闻"
    assert record["published"] == "2022-05-17T03:10:06+08:00"


def _subscribe(url: str, *extra: str) -> None:
    result = newscli(
        "feeds", "add", url, "--name", "kejiribao", "--type", "json", "--items", "data.list",
        "--tz", "Asia/Shanghai", *FIELD_FLAGS, *extra,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()


def test_digest_saves_each_item_once_with_conditional_get(http_server: Server, tmp_path: Path) -> None:
    url = http_server.serve(
        "/api/list", api([story(1), story(2)]), content_type="application/json; charset=utf-8", etag='"v1"'
    )
    _subscribe(url)
    out = tmp_path / "_posts"
    first = newscli("digest", "--out", str(out))
    assert first.returncode == 0, first.stderr.decode()
    posts = sorted(p.name for p in out.iterdir() if not p.name.endswith("-digest.md"))
    assert len(posts) == 2
    again = newscli("digest", "--out", str(out))
    assert again.returncode == 0 and again.stderr == b""
    assert http_server.requests("/api/list")[-1].get("if-none-match") == '"v1"'
    assert sorted(p.name for p in out.iterdir() if not p.name.endswith("-digest.md")) == posts
    # a new answer with one old, one new and one broken item: only the new is saved, the broken named
    http_server.serve(
        "/api/list", api([story(2), story(4), {"title": "??"}]), content_type="application/json"
    )
    third = newscli("digest", "--out", str(out))
    assert third.returncode == 1
    assert b"kejiribao: item 3: template url: the item has no 'infoCode' (not saved)" in third.stderr
    assert len([p for p in out.iterdir() if not p.name.endswith("-digest.md")]) == 3


def test_digest_fetches_the_page_when_the_api_has_no_content(http_server: Server, tmp_path: Path) -> None:
    page = (
        "<html><head><title>第5条新闻</title></head><body><article><h1>第5条新闻</h1>"
        + "".join(f"<p>来自文章页面的第{i}段正文，内容足够长，足以被识别为正文。</p>" for i in range(8))
        + "</article></body></html>"
    )
    article = http_server.serve("/a/5.html", page)
    url = http_server.serve(
        "/api/list",
        api([{"code": "N5", "title": "第5条新闻", "link": article}]),
        content_type="application/json",
    )
    result = newscli(
        "feeds", "add", url, "--name", "teasers", "--type", "json", "--items", "data.list",
        "--field", "id=code", "--field", "title=title", "--field", "url=link",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    out = tmp_path / "_posts"
    run = newscli("digest", "--out", str(out))
    assert run.returncode == 0, run.stderr.decode()
    [post] = [p for p in out.iterdir() if not p.name.endswith("-digest.md")]
    assert "来自文章页面的第7段正文" in post.read_text(encoding="utf-8")
    assert http_server.hits("/a/5.html") == 1


def _paragraph_markup(body: str) -> list[bytes]:
    doc = lxml.html.fragment_fromstring(body.split("\n\n<")[0], create_parent="div")
    return [lxml.html.tostring(p, encoding="utf-8").strip() for p in doc.iter("p")]


def test_the_seed_end_to_end_from_a_news_api(http_server: Server, tmp_path: Path) -> None:
    """The kind of source the seed came from: a JSON list API, subscribed, digested into the seed's post."""
    item = {
        "infoCode": "NW202205172382328235",
        "title": SEED_TITLE,
        "showTime": "2022-05-17 20:10:06",  # Beijing time, without an offset
        "mediaName": "科技日报",
        "content": SEED_BODY,
        "digest": "从凹陷区致密砾岩、页岩油勘探理论技术获得突破……",
    }
    url = http_server.serve(
        "/api/qt/ulist/get?column=kejiribao", api([item]), content_type="application/json;charset=UTF-8"
    )
    footer = r"<{url}>\n\n[返回{source}新闻](//finews.withounder.com/category/{source_pinyin}.html)｜[返回首页](//finews.withounder.com/)"
    result = newscli(
        "feeds", "add", url, "--name", "kejiribao", "--type", "json", "--items", "data.list",
        "--tz", "Asia/Shanghai", "--field", "id=infoCode", "--field", "title=title",
        "--field", "published=showTime", "--field", "content=content", "--field", "source=mediaName",
        "--field", "summary=digest",
        "--template", "url=http://finews.zning.xyz/html_News/NewsShare.html?infoCode={infoCode}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    config = load_config()
    assert config.path is not None
    config.path.write_text(
        config.path.read_text(encoding="utf-8").replace(
            "[[feeds]]",
            '[defaults]\nprofile = "jekyll"\nbody = "html"\nfilename = "{date:%Y-%m-%d}-{id}.md"\n'
            f"footer = '{footer}'\n"
            'set = { categories = "{source_pinyin}", tags = "{source}新闻" }\n\n[[feeds]]',
        ),
        encoding="utf-8",
    )
    out = tmp_path / "_posts"
    run = newscli("digest", "--out", str(out))
    assert run.returncode == 0, run.stderr.decode()
    post = out / "2022-05-17-NW202205172382328235.md"
    text = post.read_text(encoding="utf-8")
    front, body = text[: text.index("\n---\n", 3) + 5], text[text.index("\n---\n", 3) + 5 :]
    assert front.splitlines() == [
        "---",
        "layout: post",
        f'title: "{SEED_TITLE}"',
        "date: 2022-05-17 20:10:06 +0800",
        "categories: kejiribao",
        "tags: 科技日报新闻",
        "---",
    ]
    doc = lxml.html.fragment_fromstring(SEED_BODY, create_parent="div")
    wanted = [" ".join(p.text_content().split()) for p in doc.iter("p")]
    got = [
        " ".join(p.text_content().split())
        for p in lxml.html.fragment_fromstring(body.split("\n\n<")[0], create_parent="div").iter("p")
    ]
    assert len(wanted) == 28 and got == wanted
    assert body.endswith(
        "\n\n<http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202205172382328235>\n\n"
        "[返回科技日报新闻](//finews.withounder.com/category/kejiribao.html)｜[返回首页](//finews.withounder.com/)"
    )
    if SEED_FILE is not None:  # the seed itself: its front matter and footer, byte for byte
        seed = SEED_FILE.read_text(encoding="utf-8")
        assert front == seed[: seed.index("\n---\n", 3) + 5]
        assert _paragraph_markup(body) == _paragraph_markup(seed[len(front) :])  # <strong> and all
        assert body.split("\n\n<", 1)[1] == seed[len(front) :].split("\n\n<", 1)[1]
