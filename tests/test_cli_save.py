"""The seed article end to end: share page on a local server → `newscli fetch --save` → the seed's Jekyll post."""

from __future__ import annotations

import os
import re
from pathlib import Path

import lxml.html
from seedpage import SEED_BODY, SHARE_PATH, share_page
from test_cli_fetch import newscli

GOLDEN = Path(__file__).parent / "data" / "golden" / "seed-jekyll.md"
SEED_OPTIONS = [
    "--profile",
    "jekyll",
    "--body",
    "html",
    "--set",
    "categories={source_pinyin}",
    "--set",
    "tags={source}新闻",
    "--footer",
    "<{url}>\\n\\n[返回{source}新闻](//finews.withounder.com/category/{source_pinyin}.html)"
    "｜[返回首页](//finews.withounder.com/)",
]


def paragraphs(html: str) -> list[str]:
    doc = lxml.html.fragment_fromstring(html, create_parent="div")
    return [" ".join(p.text_content().split()) for p in doc.iter("p")]


def split_post(text: str) -> tuple[list[str], str]:
    match = re.match(r"---\n(.*?\n)---\n(.*)\Z", text, re.S)
    assert match, text[:200]
    return match.group(1).splitlines(), match.group(2)


def test_seed_share_page_saves_as_the_seed_post(http_server, tmp_path):
    url = http_server.serve(SHARE_PATH, share_page(), content_type="text/html; charset=gb2312")
    out = tmp_path / "_posts"
    result = newscli("fetch", url, "--save", str(out), *SEED_OPTIONS)
    assert result.returncode == 0, result.stderr.decode()
    [path] = result.stdout.decode().split()
    saved = Path(path)
    assert saved.parent == out and saved.name.startswith("2022-05-17-") and saved.name.endswith(".md")
    assert list(out.iterdir()) == [saved]  # no temporary file left behind

    front, body = split_post(saved.read_text(encoding="utf-8"))
    seed_front, _ = split_post(GOLDEN.read_text(encoding="utf-8"))
    assert front == seed_front  # byte-identical front matter lines (golden = the seed's own lines)
    html, _, footer = body.partition("\n\n<")
    assert paragraphs(html) == paragraphs(SEED_BODY)
    assert len(paragraphs(html)) == 28
    assert "<" + footer == (
        f"<{url}>\n\n[返回科技日报新闻](//finews.withounder.com/category/kejiribao.html)"
        "｜[返回首页](//finews.withounder.com/)"
    )

    before = os.stat(saved).st_mtime_ns
    again = newscli("fetch", url, "--save", str(out), *SEED_OPTIONS)
    assert again.returncode == 0, again.stderr.decode()
    assert again.stdout.decode().split() == [path]
    assert os.stat(saved).st_mtime_ns == before
    assert sorted(out.iterdir()) == [saved]


def test_markdown_format_prints_the_post(http_server):
    url = http_server.serve(SHARE_PATH, share_page())
    result = newscli("fetch", url, "-f", "markdown", "--profile", "hugo")
    assert result.returncode == 0, result.stderr.decode()
    front, body = split_post(result.stdout.decode())
    assert front[0].startswith('title: "从“弯道超车”')
    assert "date: 2022-05-17T20:10:06+08:00" in front
    assert "draft: false" in front and f"source_url: {url}" in front
    assert "**创新的基因融入血脉之中**" in body or "<strong>创新的基因融入血脉之中</strong>" in body


def test_unwritable_save_dir_fails_before_fetching(http_server, tmp_path):
    url = http_server.serve("/a", share_page())
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = newscli("fetch", url, "--save", str(blocker / "posts"))
    assert result.returncode in (1, 3)
    assert str(blocker) in result.stderr.decode()
    assert http_server.hits("/a") == 0


def test_articles_whose_canonical_is_the_home_page_are_saved_apart(http_server, tmp_path):
    def page(title: str) -> str:
        body = "".join(
            f"<p>{title} paragraph {i} with enough words to make it an article body.</p>" for i in range(6)
        )
        return (
            f'<html><head><link rel="canonical" href="https://example.com/"><title>{title}</title></head>'
            f"<body><article><h1>{title}</h1>{body}</article></body></html>"
        )

    one = http_server.serve("/news/one.html", page("Story one"))
    two = http_server.serve("/news/two.html", page("Story two"))
    result = newscli("fetch", one, two, "--save", str(tmp_path / "posts"), "-f", "ndjson")
    assert result.returncode == 0, result.stderr.decode()
    paths = [Path(p) for p in result.stdout.decode().split()]
    assert len(set(paths)) == 2
    assert "Story one" in paths[0].read_text() and "Story two" in paths[1].read_text()
