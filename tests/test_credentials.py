"""Issue 11 #13: user:password@ in a feed URL is sent as HTTP Basic auth to that origin only, and the
password is never printed, put in a JSON record or stored (`alice:***@`)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING

import conftest
import pytest
from test_digest import RSS_TYPE, item, rss, run_cli

from newscli.digest.state import DB_NAME
from newscli.errors import FetchError, redact
from newscli.net.http import HttpClient

if TYPE_CHECKING:
    from conftest import TestServer

ROOT = Path(__file__).resolve().parent.parent
GOOD = "Basic " + base64.b64encode(b"alice:s3cret:pw").decode()


@pytest.fixture
def other_host() -> Iterator[TestServer]:
    server = conftest.TestServer("127.0.0.2")
    yield server
    server.close()


def protected(body: bytes):  # type: ignore[no-untyped-def]
    def handler(req: BaseHTTPRequestHandler) -> None:
        ok = req.headers.get("Authorization") == GOOD
        data = body if ok else b"who are you?"
        req.send_response(200 if ok else 401)
        req.send_header("Content-Type", RSS_TYPE if ok else "text/plain")
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    return handler


def with_credentials(url: str) -> str:
    return url.replace("http://", "http://alice:s3cret%3Apw@")


def test_redact() -> None:
    assert redact("http://alice:secret@host/f.xml") == "http://alice:***@host/f.xml"
    assert (
        redact("see https://a:b@x.org/ and http://c:d@y/") == "see https://a:***@x.org/ and http://c:***@y/"
    )
    assert redact("mail me at a@b.org, http://host/") == "mail me at a@b.org, http://host/"
    assert (
        str(FetchError("failed: http://u:pw@h/", source="http://u:pw@h/"))
        == "http://u:***@h/: failed: http://u:***@h/"
    )


def test_credentials_go_as_basic_auth_to_their_origin_only(
    http_server: TestServer, other_host: TestServer
) -> None:
    feed = http_server.add("/f.xml", protected(rss([item(1)])))
    away = other_host.serve("/away.xml", rss([item(2)]), content_type=RSS_TYPE)

    def bounce(req: BaseHTTPRequestHandler) -> None:
        req.send_response(302)
        req.send_header("Location", away)
        req.send_header("Content-Length", "0")
        req.end_headers()

    bouncing = http_server.add("/bounce", bounce)
    with HttpClient(timeout=5) as client:
        fetched = client.get(with_credentials(feed))
        assert fetched.status == 200 and "s3cret" not in fetched.url
        assert http_server.requests("/f.xml")[0]["authorization"] == GOOD
        client.get(with_credentials(bouncing))
    assert http_server.requests("/bounce")[0]["authorization"] == GOOD
    assert "authorization" not in other_host.requests("/away.xml")[0]  # another host never sees them


def test_the_password_is_never_printed_listed_or_stored(
    http_server: TestServer, tmp_path: Path, newscli_home: Path
) -> None:
    from test_subscriptions import run as feeds

    good = with_credentials(http_server.add("/f.xml", protected(rss([item(1)]))))
    missing = with_credentials(http_server.url("/gone.xml"))
    outputs = []
    for name, url, extra in (("good", good, ()), ("gone", missing, ("--no-check",))):
        code, out, err = feeds("add", url, "--name", name, *extra)
        assert code == 0, err
        outputs += [out, err]
    also_missing = with_credentials(http_server.url("/gone-too.xml"))
    code, out, err = feeds("add", also_missing, "--name", "checked")  # the check's own failure names the URL
    assert code == 3 and "alice:***@" in err
    outputs += [out, err]
    outputs += list(feeds("list")[1:])
    code, out, err = run_cli("--out", str(tmp_path / "out"))
    assert code == 1 and "gone" in err and "alice:***@" in err
    outputs += [out, err]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    fetched = subprocess.run(
        [sys.executable, "-m", "newscli", "fetch", good, missing, "-f", "ndjson"],
        capture_output=True,
        env=env,
        timeout=60,
        text=True,
    )
    records = [json.loads(line) for line in fetched.stdout.splitlines()]
    assert records[0]["error"] is None and records[0]["title"] == "Story a1"
    assert records[-1]["error"]["kind"] == "http" and records[-1]["input"] == redact(missing)
    outputs += [fetched.stdout, fetched.stderr]
    assert len(list((tmp_path / "out").glob("*story-a1*"))) == 1
    for text in outputs:
        assert "s3cret" not in text, text
    for path in newscli_home.iterdir():
        if path.name.startswith(DB_NAME):
            assert b"s3cret" not in path.read_bytes()
