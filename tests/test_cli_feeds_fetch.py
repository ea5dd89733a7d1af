"""`newscli fetch FEED`: entries in feed order, full text for teasers, fallbacks flagged, --limit/--since."""

from __future__ import annotations

import json

import pytest
from test_cli_fetch import newscli

from newscli.pipeline import concurrency_for

PARAS = "".join(
    f"<p>第{j}段：当地的科技创新正在改变传统产业的面貌，企业加大研发投入，新产品不断涌现。</p>"
    for j in range(10)
)
FULL = "<p>" + "这是完整的正文，" * 80 + "结束。</p>"


def page(title: str) -> str:
    return (
        f"<html lang='zh-CN'><head><title>{title}_示例网</title></head><body><nav>首页 | 要闻</nav>"
        f"<article><h1>{title}</h1>{PARAS}</article><footer>版权所有</footer></body></html>"
    )


def rss(base: str, items: list[tuple[str, str, str, str]]) -> str:
    body = "".join(
        f"<item><title>{t}</title><link>{base}{path}</link><guid>{base}{path}</guid>"
        f"<pubDate>{date}</pubDate><description><![CDATA[{desc}]]></description></item>"
        for t, path, date, desc in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>示例新闻</title>'
        f"<link>{base}/</link>{body}</channel></rss>"
    )


def serve_feed(http_server, *, broken: bool = False) -> str:
    base = http_server.url("")
    http_server.serve("/a/1.html", page("第一篇"))
    if broken:
        http_server.serve("/a/2.html", "gone", status=404, content_type="text/plain")
    else:
        http_server.serve("/a/2.html", page("第二篇"))
    http_server.serve("/a/3.html", page("第三篇"))
    items = [
        ("第一篇", "/a/1.html", "Tue, 17 May 2022 20:10:06 +0800", "第一篇的摘要……"),
        ("第二篇", "/a/2.html", "Mon, 16 May 2022 09:00:00 +0800", "第二篇的摘要……"),
        ("第三篇", "/a/3.html", "Sun, 15 May 2022 08:00:00 +0800", FULL),
    ]
    return http_server.serve("/feed.xml", rss(base, items), content_type="application/rss+xml; charset=utf-8")


def records(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


def test_teasers_are_fetched_in_full_and_full_entries_are_not(http_server):
    feed = serve_feed(http_server)
    result = newscli("fetch", feed, "-f", "ndjson")
    assert result.returncode == 0, result.stderr.decode()
    got = records(result)
    assert [r["title"] for r in got] == ["第一篇", "第二篇", "第三篇"]
    assert "第9段" in got[0]["text"] and "第9段" in got[1]["text"]
    assert got[2]["text"].startswith("这是完整的正文")
    assert http_server.hits("/a/3.html") == 0
    assert got[0]["feed"] == {"title": "示例新闻", "url": feed}
    assert got[0]["published"] == "2022-05-17T20:10:06+08:00"
    assert got[0]["id"].endswith("/a/1.html")


def test_no_full_takes_only_the_feed(http_server):
    feed = serve_feed(http_server)
    result = newscli("fetch", feed, "--no-full", "-f", "json")
    assert result.returncode == 0
    got = json.loads(result.stdout)
    assert [r["text"] for r in got][:2] == ["第一篇的摘要……", "第二篇的摘要……"]
    assert http_server.hits("/a/1.html") == http_server.hits("/a/2.html") == 0


def test_limit_and_since(http_server):
    feed = serve_feed(http_server)
    limited = records(newscli("fetch", feed, "-n", "1", "--no-full", "-f", "ndjson"))
    assert [r["title"] for r in limited] == ["第一篇"]
    since = records(
        newscli("fetch", feed, "--since", "2022-05-16", "--no-full", "-f", "ndjson", "--tz", "+08:00")
    )
    assert [r["title"] for r in since] == ["第一篇", "第二篇"]


def test_a_failed_page_falls_back_to_the_summary_flagged(http_server):
    feed = serve_feed(http_server, broken=True)
    result = newscli("fetch", feed, "-f", "ndjson")
    assert result.returncode == 1
    got = records(result)
    assert [r["title"] for r in got] == ["第一篇", "第二篇", "第三篇"]
    assert got[1]["error"]["kind"] == "http" and got[1]["text"] == "第二篇的摘要……"
    assert got[0]["error"] is None and got[2]["error"] is None
    assert "/a/2.html" in result.stderr.decode() and "404" in result.stderr.decode()


def test_a_feed_as_text_lists_every_entry(http_server):
    feed = serve_feed(http_server)
    out = newscli("fetch", feed, "--no-full").stdout.decode()
    assert out.index("第一篇") < out.index("第二篇") < out.index("第三篇")


def test_save_a_feed(http_server, tmp_path):
    feed = serve_feed(http_server)
    out = tmp_path / "posts"
    result = newscli("fetch", feed, "--save", str(out), "--profile", "hugo")
    assert result.returncode == 0, result.stderr.decode()
    paths = result.stdout.decode().split()
    assert len(paths) == 3 and all(p.startswith(str(out)) for p in paths)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.rsplit("/", 1)[1] for p in paths)


def test_discover_lists_checked_feeds(http_server):
    feed = serve_feed(http_server)
    page = f'<html><head><link rel="alternate" type="application/rss+xml" title="示例" href="{feed}"></head><body>x</body></html>'
    url = http_server.serve("/", page)
    result = newscli("discover", url)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().split("\t")[:2] == [feed, "rss"]
    as_json = newscli("discover", url, "-f", "ndjson")
    assert json.loads(as_json.stdout) == {"url": feed, "title": "示例", "kind": "rss"}
    assert json.loads(newscli("discover", url, "-f", "json").stdout) == [
        {"url": feed, "title": "示例", "kind": "rss"}
    ]


def test_discover_on_a_site_without_feeds_exits_3(http_server):
    url = http_server.serve("/", "<html><body>no feeds here</body></html>")
    result = newscli("discover", url)
    assert result.returncode == 3
    assert "no feeds found" in result.stderr.decode() and url in result.stderr.decode()


def test_a_subscribed_feed_is_read_with_its_settings(http_server, newscli_home, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")  # the machine's zone, for a feed nobody configured
    base = http_server.url("")
    http_server.serve("/a/1.html", page("朱镕基与陶喆"))
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>GBK</title>'
        f"<item><title>朱镕基与陶喆</title><link>{base}/a/1.html</link><guid>g1</guid>"
        "<pubDate>2022-05-17 20:10:06</pubDate><description>摘要……</description></item></channel></rss>"
    ).encode("gbk")
    feed = http_server.serve("/gbk.xml", body, content_type="application/rss+xml")
    plain = json.loads(newscli("fetch", feed, "-f", "ndjson").stdout)
    assert plain["published"] == "2022-05-17T20:10:06+00:00" and http_server.hits("/a/1.html") == 1
    (newscli_home / "config.toml").write_text(
        f'[[feeds]]\nname = "gbk"\nurl = "{feed}"\nencoding = "gbk"\ntz = "Asia/Shanghai"\nfull = false\n',
        encoding="utf-8",
    )
    result = newscli("fetch", feed, "-f", "ndjson")
    assert result.returncode == 0, result.stderr.decode()
    record = json.loads(result.stdout)
    assert record["title"] == "朱镕基与陶喆"
    assert record["published"] == "2022-05-17T20:10:06+08:00"
    assert http_server.hits("/a/1.html") == 1  # full = false: the teaser is not fetched this time


def test_feed_shaped_xml_is_not_sent_to_the_article_extractor():
    from pathlib import Path

    path = Path(__file__).parent / "data" / "feeds" / "channel_root.xml"
    result = newscli("fetch", str(path), "-f", "ndjson")
    assert result.returncode == 3
    (record,) = records(result)
    assert record["error"]["kind"] == "not_a_feed"
    assert record["error"]["message"].endswith(
        ": not a feed newscli can read (an RSS <channel> without the <rss> element around it)"
    )


@pytest.mark.parametrize(
    ("sources", "given", "expected"),
    [
        ([f"http://h{i % 8}.example/feed/{i}.xml" for i in range(200)], None, 48),  # 8 hosts x 6
        (["http://one.example/a.xml", "http://one.example/b.xml"], None, 16),  # pages may be elsewhere
        ([f"http://h{i}.example/f.xml" for i in range(40)], None, 64),  # a global cap
        (["feed.xml", "-", "http://one.example/a.xml"], None, 16),
        ([f"http://h{i}.example/f.xml" for i in range(40)], 3, 3),  # --concurrency is the user's word
        ([], 0, 1),
    ],
)
def test_requests_in_flight_sized_from_the_hosts(sources, given, expected):
    assert concurrency_for(sources, given, per_host=6) == expected


def test_a_malformed_url_is_its_own_error_not_the_runs():
    """Sizing the run reads every URL's host: one that cannot be read (`http://[bad`) is that source's
    failure, named, and the other sources still run."""
    from pathlib import Path

    good = Path(__file__).parent / "data" / "feeds" / "channel_root.xml"
    result = newscli("fetch", "http://[bad/x", str(good), "-f", "ndjson")
    assert "unexpected error" not in result.stderr.decode()
    bad, other = records(result)
    assert bad["input"] == "http://[bad/x" and bad["error"] is not None
    assert bad["error"]["message"].startswith("http://[bad/x: ")
    assert other["input"] == str(good)
