"""The hostile catalogue (bad-inputs.md H01–H12, A01–A07) through the real command, in a multi-source run.

Each case: `newscli fetch BAD GOOD` ends in bounded time with exit 1, one clear message
naming BAD and the cause, BAD's record carries the error, and GOOD still comes out whole.
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler

import pytest
from seedpage import SEED_TITLE, share_page
from test_cli_fetch import newscli

MiB = 1024 * 1024
STOP = threading.Event()


@pytest.fixture(autouse=True)
def release_handlers() -> Iterator[None]:
    STOP.clear()
    yield
    STOP.set()  # slow handlers give their threads back


def head(req: BaseHTTPRequestHandler, status: int, headers: dict[str, str]) -> None:
    req.send_response(status)
    for key, value in headers.items():
        req.send_header(key, value)
    req.end_headers()


def gzip_stream(req: BaseHTTPRequestHandler) -> None:
    """A body of compressed zeros that would inflate without end."""
    head(req, 200, {"Content-Type": "text/html", "Content-Encoding": "gzip", "Transfer-Encoding": "chunked"})
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    zeros = bytes(MiB)
    end = time.monotonic() + 10
    while not STOP.is_set() and time.monotonic() < end:
        data = compressor.compress(zeros) + compressor.flush(zlib.Z_SYNC_FLUSH)
        req.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))


def endless_chunks(req: BaseHTTPRequestHandler) -> None:
    head(req, 200, {"Content-Type": "text/html", "Transfer-Encoding": "chunked"})
    data = b"<p>more</p>" * 6000
    end = time.monotonic() + 10
    while not STOP.is_set() and time.monotonic() < end:
        req.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))


def raw(status: int, headers: dict[str, str], body: bytes = b"", *, close: bool = False) -> Callable:
    def handler(req: BaseHTTPRequestHandler) -> None:
        head(req, status, headers)
        req.wfile.write(body)
        if close:
            req.close_connection = True

    return handler


def drip(req: BaseHTTPRequestHandler) -> None:
    head(req, 200, {"Content-Type": "text/html", "Content-Length": "100"})
    for _ in range(100):
        req.wfile.write(b"x")
        if STOP.wait(0.5):
            return


def silent(req: BaseHTTPRequestHandler) -> None:
    STOP.wait(10)


def nested(depth: int) -> bytes:
    text = "<p>" + "深层嵌套的正文内容，" * 40 + "</p>"
    return f"<html><body>{'<div>' * depth}{text}{'</div>' * depth}</body></html>".encode()


# id → (handler or (body, content-type), expected error kind, words the message must hold)
CASES: dict[str, tuple[object, str, str]] = {
    "H01": (gzip_stream, "too_large", "too large"),
    "H02": (
        raw(
            200, {"Content-Type": "text/html", "Content-Encoding": "br", "Content-Length": "40"}, b"\x8b" * 40
        ),
        "decode",
        "unsupported content-encoding: br",
    ),
    "H03": (
        raw(
            200,
            {
                "Content-Type": "text/html",
                "Content-Encoding": ", ".join(["gzip"] * 50),
                "Content-Length": "4",
            },
            b"abcd",
        ),
        "decode",
        "unsupported content-encoding",
    ),
    "H04": (
        raw(
            200,
            {"Content-Type": "text/html", "Content-Encoding": "gzip", "Content-Length": "20"},
            b"<html>plain body</ht",
        ),
        "decode",
        "not valid gzip",
    ),
    "H05": (
        raw(200, {"Content-Type": "text/html", "Content-Length": "10737418240"}),
        "too_large",
        "Content-Length",
    ),
    "H06": (endless_chunks, "too_large", "too large"),
    "H07": (
        raw(200, {"Content-Type": "text/html", "Content-Length": "1000"}, b"<html", close=True),
        "decode",
        "truncated",
    ),
    "H08": (drip, "timeout", "timed out after 2 s"),
    "H09": (silent, "timeout", "timed out after 2 s"),
    "H10": (raw(302, {"Location": "/bad", "Content-Length": "0"}), "redirect", "redirect loop"),
    "H11": (None, "redirect", "redirect"),  # a 302 with a bomb body, to a loop: the body is never read
    "H12": (
        raw(302, {"Location": "file:///etc/passwd", "Content-Length": "0"}),
        "redirect",
        "refused redirect to file:///etc/passwd",
    ),
    "A01": ((b"   \n\t  ", "text/html"), "extract", "no article found"),
    "A03": ((nested(300), "text/html"), "extract", "no article found"),
    "A04": (
        (b"<html><body>" + b"<p>big page text</p>" * 300_000 + b"</body></html>", "text/html"),
        "too_large",
        "too large",
    ),
    "A06": ((b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj" + b"\0" * 500, "text/html"), "not_html", "PDF"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_source_fails_alone(http_server, case):
    handler, kind, words = CASES[case]
    if case == "H11":
        http_server.add("/loop", raw(302, {"Location": "/loop", "Content-Length": "0"}))
        handler = raw(302, {"Location": "/loop", "Content-Encoding": "gzip", "Transfer-Encoding": "chunked"})
    if isinstance(handler, tuple):
        bad = http_server.serve("/bad", handler[0], content_type=handler[1])
    else:
        bad = http_server.add("/bad", handler)
    good = http_server.serve("/good", share_page())
    start = time.monotonic()
    result = newscli("fetch", bad, good, "-f", "ndjson", "--timeout", "2")
    assert time.monotonic() - start < 20
    assert result.returncode == 1, result.stderr.decode()
    first, second = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert first["input"] == bad and first["error"]["kind"] == kind, first["error"]
    assert words in first["error"]["message"]
    assert second["title"] == SEED_TITLE and second["error"] is None
    err = result.stderr.decode()
    assert bad in err and words in err
    assert "Traceback" not in err


def test_a02_meta_charset_with_junk_is_read_normally(http_server):
    body = (
        '<html><head><meta charset="utf-8, ie=edge"><title>标题</title></head><body><article>'
        + "<p>这是一段足够长的中文正文，用来测试字符集声明中带有多余内容的页面能否正常提取。</p>" * 6
        + "</article></body></html>"
    )
    url = http_server.serve("/a02", body.encode(), content_type="text/html")
    result = newscli("fetch", url, "-f", "ndjson")
    assert result.returncode == 0, result.stderr.decode()
    assert "能否正常提取" in json.loads(result.stdout)["text"]


@pytest.mark.parametrize("declared", ["", '<meta charset="utf-8">'])
def test_a07_gbk_without_or_with_false_declaration(http_server, declared):
    text = "朱镕基与陶喆、王堃在科技日报发表文章，" * 20
    body = f"<html><head>{declared}<title>新闻</title></head><body><article><p>{text}</p><p>{text}</p></article></body></html>"
    url = http_server.serve("/a07", body.encode("gbk"), content_type="text/html")
    result = newscli("fetch", url, "-f", "ndjson")
    assert result.returncode == 0, result.stderr.decode()
    assert "朱镕基与陶喆、王堃" in json.loads(result.stdout)["text"]


@pytest.mark.parametrize("label", ["undefined", "idna", "rot13"])
def test_a_charset_label_python_cannot_decode_with_fails_nothing(http_server, label):
    page = share_page().replace(b"charset=gb2312", f"charset={label}".encode())
    odd = http_server.serve("/odd", page, content_type=f"text/html; charset={label}")
    good = http_server.serve("/good", share_page())
    result = newscli("fetch", odd, good, "-f", "ndjson")
    assert result.returncode == 0, result.stderr.decode()
    records = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [r["title"] for r in records] == [SEED_TITLE, SEED_TITLE]


def test_unknown_encoding_option_is_a_usage_error_before_fetching(http_server):
    url = http_server.serve("/a", share_page())
    result = newscli("fetch", url, "--encoding", "bogus")
    assert result.returncode == 2
    assert "--encoding" in result.stderr.decode() and "bogus" in result.stderr.decode()
    assert http_server.hits("/a") == 0


def test_json_feed_with_junk_field_types_still_lists_its_entries(http_server, tmp_path):
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "J",
        "items": [
            {"id": "1", "title": "one", "content_text": "body " * 100, "tags": 5},
            {"id": "2", "title": "two", "content_text": "body " * 100, "tags": "abc"},
        ],
    }
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(feed))
    result = newscli("fetch", str(path), "-f", "ndjson", "--no-full")
    assert result.returncode == 0, result.stderr.decode()
    records = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [(r["title"], r["tags"]) for r in records] == [("one", []), ("two", [])]


def test_a_form_feed_does_not_hide_an_entity_declaration(http_server):
    bomb = (
        '\x0c<!DOCTYPE rss [<!ENTITY a "' + "A" * 100_000 + '">]><rss version="2.0"><channel><title>t</title>'
    )
    bomb += "<item><title>&a;&a;&a;&a;&a;&a;&a;&a;</title></item>" * 200 + "</channel></rss>"
    bad = http_server.serve("/bomb.xml", bomb, content_type="application/rss+xml")
    start = time.monotonic()
    result = newscli("fetch", bad, "-f", "ndjson")
    assert time.monotonic() - start < 10
    assert result.returncode == 3
    assert "entit" in json.loads(result.stdout)["error"]["message"]


def test_a_closed_pipe_ends_the_run_quietly_and_at_once(http_server):
    import subprocess
    import sys

    from test_cli_fetch import ROOT

    good = http_server.serve("/good", share_page())
    slow = http_server.add("/slow", silent)
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT)}
    cmd = f"{sys.executable} -m newscli fetch {good} {good} {slow} -f ndjson | head -c 10"
    start = time.monotonic()
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, env=env, timeout=30)
    assert time.monotonic() - start < 8  # not held until the 30 s deadline of /slow
    assert len(proc.stdout) == 10
    assert b"unexpected" not in proc.stderr and b"Traceback" not in proc.stderr
