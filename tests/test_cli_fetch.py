"""`newscli fetch` end to end: a real server on 127.0.0.1, the real command in a subprocess."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
from seedpage import SEED_BODY, SEED_TITLE, SHARE_PATH, share_page

ROOT = Path(__file__).resolve().parent.parent


def newscli(
    *args: str, stdin: bytes | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"}
    return subprocess.run(
        [sys.executable, "-m", "newscli", *args], input=stdin, capture_output=True, timeout=timeout, env=env
    )


def seed_paragraphs() -> list[str]:
    doc = lxml.html.fragment_fromstring(SEED_BODY, create_parent="div")
    return [" ".join(p.text_content().split()) for p in doc.iter("p")]


def body_paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def test_seed_share_page_as_json(http_server):
    url = http_server.serve(SHARE_PATH, share_page(), content_type="text/html; charset=gb2312")
    result = newscli("fetch", url, "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    [record] = json.loads(result.stdout)
    assert record["title"] == SEED_TITLE
    assert body_paragraphs(record["text"]) == seed_paragraphs()
    assert len(re.findall(r"<p[ >]", record["html"])) == 28
    assert record["published"] == "2022-05-17T20:10:06+08:00"
    assert record["source"] == "科技日报"
    assert record["input"] == url and record["schema"] == 1 and record["error"] is None


def test_visible_chinese_date_without_charset(http_server):
    page = share_page(declare_charset=False, published_meta=False)
    url = http_server.serve(SHARE_PATH, page, content_type="text/html")
    result = newscli("fetch", url, "-f", "ndjson")
    assert result.returncode == 0, result.stderr.decode()
    record = json.loads(result.stdout)
    assert record["published"] == "2022-05-17T20:10:00+08:00"
    assert record["title"] == SEED_TITLE
    assert body_paragraphs(record["text"]) == seed_paragraphs()


def test_record_has_every_field(http_server):
    url = http_server.serve("/a", share_page())
    record = json.loads(newscli("fetch", url, "-f", "ndjson").stdout)
    assert set(record) == {
        "schema",
        "input",
        "url",
        "id",
        "title",
        "author",
        "editor",
        "published",
        "updated",
        "site_name",
        "source",
        "lang",
        "description",
        "image",
        "feed",
        "categories",
        "tags",
        "text",
        "html",
        "error",
    }
    assert record["lang"] == "zh"


def test_one_failing_source_is_named_and_the_rest_still_come_out(http_server):
    good = http_server.serve("/good", share_page())
    bad = http_server.serve("/missing", "gone", status=404, content_type="text/plain")
    result = newscli("fetch", bad, good, "-f", "ndjson")
    assert result.returncode == 1
    first, second = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert first["input"] == bad and first["error"]["kind"] == "http" and first["title"] is None
    assert second["input"] == good and second["title"] == SEED_TITLE
    assert bad in result.stderr.decode() and "404" in result.stderr.decode()


def test_all_sources_failing_exits_3(http_server, tmp_path):
    bad = http_server.serve("/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 200, content_type="text/html")
    result = newscli("fetch", bad, str(tmp_path / "nope.html"), "-f", "json")
    assert result.returncode == 3
    records = json.loads(result.stdout)
    assert [r["error"]["kind"] for r in records] == ["not_html", "fetch"]
    err = result.stderr.decode()
    assert "PNG" in err and "nope.html" in err and "no such file" in err


def test_stdin_list_of_urls_in_order(http_server):
    a = http_server.serve("/a", share_page())
    b = http_server.serve("/b", share_page(declare_charset=False, published_meta=False))
    result = newscli("fetch", "-", "-f", "ndjson", stdin=f"{a}\n\n{b}\n".encode())
    assert result.returncode == 0, result.stderr.decode()
    records = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [r["input"] for r in records] == [a, b]
    assert [r["published"] for r in records] == ["2022-05-17T20:10:06+08:00", "2022-05-17T20:10:00+08:00"]


def test_stdin_url_list_with_bad_lines_fetches_the_good_ones_and_names_each_bad_one(http_server):
    a = http_server.serve("/a", share_page())
    b = http_server.serve("/b", share_page(declare_charset=False, published_meta=False))
    bare = a.removeprefix("http://")  # no scheme
    stdin = f"# today\n{a}\n{bare}\nsee you tomorrow\n\n{b}\nftp://example.com/x\n".encode()
    result = newscli("fetch", "-", "-f", "ndjson", stdin=stdin)
    assert result.returncode == 1, result.stderr.decode()
    records = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [r["input"] for r in records] == [a, bare, "see you tomorrow", b, "ftp://example.com/x"]
    assert [r["title"] for r in records] == [SEED_TITLE, None, None, SEED_TITLE, None]
    assert [r["error"] is None for r in records] == [True, False, False, True, False]
    err = [line for line in result.stderr.decode().splitlines() if "warning:" not in line]
    assert len(err) == 3, err
    assert err[0].startswith("newscli: stdin line 3: not an http(s) URL: ") and f"http://{bare}" in err[0]
    assert "stdin line 4" in err[1] and "'see you tomorrow'" in err[1]
    assert "stdin line 7" in err[2] and "only http and https" in err[2]


def test_stdin_of_only_bad_lines_exits_3_and_text_is_still_a_page(http_server):
    result = newscli("fetch", "-", "-f", "json", stdin=b"example.com/a\nexample.com/b\n")
    assert result.returncode == 3
    assert [r["error"]["message"][:30] for r in json.loads(result.stdout)] == [
        "stdin line 1: not an http(s) U",
        "stdin line 2: not an http(s) U",
    ]
    # a page that merely mentions a URL is a page, not a list
    page = share_page()
    result = newscli("fetch", "-", "-f", "json", stdin=page + b"\nhttps://example.com/x\n")
    assert result.returncode == 0, result.stderr.decode()
    assert [r["title"] for r in json.loads(result.stdout)] == [SEED_TITLE]


def test_text_view_names_a_local_file_as_typed_json_keeps_its_url(tmp_path):
    (tmp_path / "share.html").write_bytes(share_page())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = [sys.executable, "-m", "newscli", "fetch", "share.html"]
    text = subprocess.run([*run, "-f", "text"], capture_output=True, env=env, cwd=tmp_path, timeout=60)
    assert text.stdout.decode().splitlines()[2] == "share.html"  # the same wherever the folder lives
    record = json.loads(
        subprocess.run([*run, "-f", "json"], capture_output=True, env=env, cwd=tmp_path).stdout
    )[0]
    assert record["url"] == (tmp_path / "share.html").as_uri()


def test_stdin_page_and_gz_file_with_base_url(tmp_path):
    page = tmp_path / "share.html.gz"
    page.write_bytes(gzip.compress(share_page()))
    base = "https://finance.example.cn/news/1.html"
    from_file = newscli("fetch", str(page), "--base-url", base, "-f", "ndjson")
    from_stdin = newscli("fetch", "-", "--base-url", base, "-f", "ndjson", stdin=share_page())
    for result in (from_file, from_stdin):
        assert result.returncode == 0, result.stderr.decode()
        record = json.loads(result.stdout)
        assert record["title"] == SEED_TITLE and record["url"] == base


HOSTILE = "[bold]x[/] [/] [link=https://evil.example/]click[/link] :warning: \x1b[31mred\x1b]52;c;aGk=\x07 \x9b2J \u202egnp.exe\x00 end"


def hostile_page() -> str:
    paragraphs = "".join(
        f"<p>{HOSTILE} paragraph {i} with enough words to be an article body here.</p>" for i in range(8)
    )
    return f"<html><head><title>{HOSTILE}</title></head><body><article><h1>{HOSTILE}</h1>{paragraphs}</article></body></html>"


@pytest.mark.parametrize("fmt", ["rich", "text", "json", "ndjson", "html", "markdown"])
def test_hostile_text_prints_inert(http_server, fmt):
    url = http_server.serve("/evil", hostile_page())
    result = newscli("fetch", url, "-f", fmt)
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode("utf-8")
    assert "\x1b" not in out and "\x9b" not in out and "\x07" not in out and "\x00" not in out
    assert "\u202e" not in out
    if fmt in ("rich", "text"):
        assert "[bold]x[/] [/] [link=https://evil.example/]click[/link] :warning:" in out


def test_unknown_template_field_is_a_usage_error_before_any_request(http_server, tmp_path):
    url = http_server.serve("/a", share_page())
    result = newscli("fetch", url, "--save", str(tmp_path), "--set", "tags={nosuchfield}")
    assert result.returncode == 2
    assert "nosuchfield" in result.stderr.decode()
    assert http_server.hits("/a") == 0


def test_text_is_the_default_when_piped(http_server):
    url = http_server.serve("/a", share_page())
    out = newscli("fetch", url).stdout.decode()
    assert out.startswith(SEED_TITLE + "\n")
    assert "克拉玛依市科技创新能力不断提升" in out


def test_a_page_without_article_that_advertises_feeds_suggests_discover(http_server):
    page = (
        '<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml" title="News">'
        "</head><body><nav><a href='/'>Home</a></nav></body></html>"
    )
    url = http_server.serve("/", page)
    result = newscli("fetch", url)
    assert result.returncode == 3
    err = result.stderr.decode()
    assert "no article found" in err and "newscli discover" in err and http_server.url("/rss.xml") in err


def test_ctrl_c_exits_130_at_once(http_server):
    import signal
    import threading
    import time

    release = threading.Event()
    url = http_server.add("/silent", lambda req: release.wait(20))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "newscli", "fetch", url], stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 15
        while http_server.hits("/silent") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        start = time.monotonic()
        _, err = proc.communicate(timeout=10)
        assert time.monotonic() - start < 5  # not held until the 30 s request deadline
        assert proc.returncode == 130
        assert b"interrupted" in err
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_many_local_files_come_out_in_input_order(tmp_path):
    paths = []
    for i in range(150):  # more than the read-ahead window
        page = tmp_path / f"p{i:03d}.html"
        words = " ".join(f"word{i}x{j}" for j in range(80))
        page.write_text(
            f"<html><head><title>Story {i}</title></head><body><article><p>{words}.</p>"
            f"<p>{words}.</p></article></body></html>"
        )
        paths.append(str(page))
    paths.insert(75, str(tmp_path / "missing.html"))
    result = newscli("fetch", *paths, "-f", "ndjson")
    assert result.returncode == 1
    records = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [r["input"] for r in records] == paths
    assert [r["title"] for r in records if r["title"]] == [f"Story {i}" for i in range(150)]
    assert records[75]["error"]["kind"] == "fetch"
