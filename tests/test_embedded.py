"""Pages that build their article with JavaScript: the article read from the data they embed, or an honest failure."""

from __future__ import annotations

import json
import time

import pytest
from conftest import TestServer as Server
from seedpage import SEED_BODY, SEED_TITLE
from test_cli_fetch import newscli, seed_paragraphs

from newscli.errors import ExtractError
from newscli.page.extract import extract_article

TITLE = "Harbour tide turbine starts feeding the grid"
PARAS = [
    f"Paragraph {i}: the tidal turbine in the harbour mouth turned for the first time on Tuesday, "
    "and engineers say it will feed the town's grid for most of the day." for i in range(8)
]  # fmt: skip
BODY = "".join(f"<p>{p}</p>" for p in PARAS)
URL = "https://news.example.com/2024/05/tide.html"


def shell(head: str, body: str) -> str:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"


def next_page() -> str:
    data = {
        "props": {
            "pageProps": {
                "related": [{"title": "Other story", "body": "<p>" + "other " * 200 + "</p>"}],
                "article": {
                    "title": TITLE,
                    "body": BODY,
                    "author": {"name": "Ada Lovelace"},
                    "publishedAt": "2024-05-17T08:00:00Z",
                },
            }
        },
        "page": "/news/[slug]",
    }
    return shell(
        f"<title>{TITLE} | Harbour Daily</title><meta property='og:title' content='{TITLE}'>",
        f"<div id='__next'><h1>{TITLE}</h1><p>Loading…</p></div>"
        f"<script id='__NEXT_DATA__' type='application/json'>{json.dumps(data)}</script>",
    )


def state_page() -> str:
    state = {
        "user": None,
        "news": {"detail": {"newsTitle": TITLE, "content": "\n".join(PARAS), "ctime": 1715932800}},
    }
    return shell(
        f"<title>{TITLE}</title>",
        "<div id='app'></div><script>var a = 1; window.__INITIAL_STATE__ = "
        + json.dumps(state)
        + ";(function(){var s=document.currentScript;s.parentNode.removeChild(s);}());</script>",
    )


def nuxt_page() -> str:
    payload = [
        ["ShallowReactive", 1],
        {"data": 2, "state": 8},
        ["ShallowReactive", 3],
        {"article-tide": 4},
        {"title": 5, "content": 6, "author": 7},
        TITLE,
        BODY,
        "Grace Hopper",
        {},
    ]
    return shell(
        f"<title>{TITLE}</title>",
        f"<div id='__nuxt'></div><script type='application/json' id='__NUXT_DATA__'>{json.dumps(payload)}</script>",
    )


def json_ld_page() -> str:
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": TITLE,
        "articleBody": "\n".join(PARAS),
    }
    return shell(
        f"<title>{TITLE}</title><script type='application/ld+json'>{json.dumps(ld)}</script>",
        "<div id='root'></div><script src='/static/app.js'></script>",
    )


@pytest.mark.parametrize(
    ("page", "where"),
    [
        (next_page, "__NEXT_DATA__"),
        (state_page, "window.__INITIAL_STATE__"),
        (nuxt_page, "__NUXT_DATA__"),
        (json_ld_page, "JSON-LD articleBody"),
    ],
)
def test_the_article_comes_from_the_embedded_data(page, where) -> None:  # type: ignore[no-untyped-def]
    article = extract_article(page(), URL)
    assert article.title == TITLE
    assert [" ".join(p.split()) for p in (article.text or "").split("\n\n")] == PARAS
    assert article.html is not None and article.html.count("<p>") == len(PARAS)
    assert getattr(article, "warning", "") == f"body from embedded page data ({where})"


def test_the_objects_own_author_and_date_fill_what_the_page_lacks() -> None:
    article = extract_article(next_page(), URL)
    assert article.author == "Ada Lovelace"
    assert article.published is not None and article.published.isoformat() == "2024-05-17T08:00:00+00:00"
    article = extract_article(state_page(), URL)
    assert article.published is not None and article.published.timestamp() == 1715932800


def test_a_page_with_its_article_in_the_html_keeps_it() -> None:
    """Script data that is not the headline's article (related stories, comments) never replaces the body."""
    data = {"comments": [{"title": "re: tide", "body": "<p>" + "a long comment " * 300 + "</p>"}]}
    page = shell(
        f"<title>{TITLE}</title>",
        f"<article><h1>{TITLE}</h1>{BODY}</article><script>window.__DATA__ = {json.dumps(data)};</script>",
    )
    article = extract_article(page, URL)
    assert "a long comment" not in (article.text or "") and "Paragraph 7" in (article.text or "")
    assert not getattr(article, "warning", "")


def test_script_that_is_not_json_is_skipped_not_run() -> None:
    page = shell(
        f"<title>{TITLE}</title>",
        "<div id='app'></div><script>window.__STATE__ = {title: 'unquoted', body: alert(1)};"
        "window.__STATE2__ = JSON.parse("
        + json.dumps(json.dumps({"title": TITLE, "body": BODY}))
        + ");</script>",
    )
    article = extract_article(page, URL)  # the JSON.parse("…") string is data; the object literal is code
    assert getattr(article, "warning", "") == "body from embedded page data (window.__STATE2__)"


def test_hostile_data_is_bounded() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    wide = json.dumps({"items": [{"title": f"t{i}", "body": "x"} for i in range(200_000)]})
    page = shell(
        f"<title>{TITLE}</title>",
        f"<div id='app'></div><script type='application/json'>{deep}</script>"
        f"<script>window.__A__ = {deep};</script><script>window.__B__ = {wide};</script>",
    )
    start = time.monotonic()
    with pytest.raises(ExtractError, match="builds it with JavaScript"):
        extract_article(page, URL)
    assert time.monotonic() - start < 30  # generous: bounded, not timed to the millisecond


def test_a_shell_without_data_fails_honestly_keeping_its_meta_tags() -> None:
    page = shell(
        f"<title>{TITLE}</title><meta name='author' content='Ada Lovelace'>"
        "<meta name='description' content='The turbine turned.'>"
        "<meta property='article:published_time' content='2024-05-17T08:00:00Z'>",
        "<div id='root'></div><script src='/static/app.js'></script>",
    )
    with pytest.raises(ExtractError) as info:
        extract_article(page, URL)
    assert info.value.message == "no article in the HTML; the page builds it with JavaScript"
    kept = info.value.article  # type: ignore[attr-defined]
    assert (kept.title, kept.author, kept.description) == (TITLE, "Ada Lovelace", "The turbine turned.")
    assert kept.published.isoformat() == "2024-05-17T08:00:00+00:00" and kept.text is None


def test_a_plain_page_without_article_says_so_plainly() -> None:
    with pytest.raises(ExtractError) as info:
        extract_article(shell("<title>Menu</title>", "<nav><a href='/'>Home</a></nav>"), URL)
    assert info.value.message == "no article found"


def test_chinese_share_page_from_inline_json_through_the_real_command(http_server: Server) -> None:
    """A share page that is an empty shell plus its article as JSON, served as GB18030, fetched for real."""
    data = {"code": 0, "data": {"news": {"title": SEED_TITLE, "content": SEED_BODY, "mediaName": "科技日报",
                                         "showTime": "2022-05-17 20:10:06"}}}  # fmt: skip
    page = shell(
        f"<title>{SEED_TITLE}_东方财富网</title><meta name='keywords' content='克拉玛依'>",
        "<div id='app'><div class='loading'>加载中…</div></div>"
        "<script>window._SSR_HYDRATED_DATA = " + json.dumps(data, ensure_ascii=False) + "</script>",
    ).encode("gb18030")
    url = http_server.serve(
        "/html_News/NewsShare.html?infoCode=NW1", page, content_type="text/html; charset=gbk"
    )
    result = newscli("fetch", url, "-f", "ndjson")
    assert result.returncode == 0, result.stderr.decode()
    record = json.loads(result.stdout)
    assert record["title"] == SEED_TITLE and record["source"] == "科技日报"
    assert [" ".join(p.split()) for p in record["text"].split("\n\n")] == seed_paragraphs()
    assert record["published"] == "2022-05-17T20:10:06+08:00"
    assert b"body from embedded page data (window._SSR_HYDRATED_DATA)" in result.stderr


def test_failed_record_keeps_the_meta_tags_through_the_real_command(http_server: Server) -> None:
    page = shell(
        f"<title>{TITLE}</title><meta name='author' content='Ada Lovelace'>",
        "<div id='__next'></div><script src='/_next/static/main.js'></script>",
    )
    url = http_server.serve("/shell.html", page)
    result = newscli("fetch", url, "-f", "json")
    assert result.returncode == 3
    [record] = json.loads(result.stdout)
    assert record["error"] == {
        "kind": "extract",
        "message": f"{url}: no article in the HTML; the page builds it with JavaScript (try --render)",
    }
    assert (record["title"], record["author"], record["text"]) == (TITLE, "Ada Lovelace", None)
