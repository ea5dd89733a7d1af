"""`--render`: a real headless Chromium, every request of the page made by newscli's client under its rules."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import TestServer as Server
from test_cli_fetch import ROOT, newscli

from newscli.net.browser import find_browser
from newscli.net.http import HttpClient
from newscli.net.transport import address_class

TITLE = "Tide turbine feeds the grid"
PARAS = [
    f"Paragraph {i}: the tidal turbine in the harbour mouth turned for the first time on Tuesday, "
    "and the engineers say it will feed the town's grid for most of the day." for i in range(8)
]  # fmt: skip


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install 'newscli[render]')"
    if find_browser() is None:
        return "no Chromium on PATH (apt-get install chromium)"
    return None


@pytest.fixture
def browser() -> None:
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {missing}")
        pytest.skip(missing)


def xhr_page(extra_script: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{TITLE}</title></head><body>"
        "<div id='app'>Loading…</div><img src='/big.png'>"
        "<script>fetch('/api/article.json').then(r => r.json()).then(d => {"
        "document.getElementById('app').innerHTML = '<article><h1>' + d.title + '</h1>' + d.body + '</article>';"
        f"{extra_script}}});</script></body></html>"
    )


def serve_xhr(server: Server, extra_script: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in PARAS)
    server.serve(
        "/api/article.json", json.dumps({"title": TITLE, "body": body}), content_type="application/json"
    )
    server.serve("/big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, content_type="image/png")
    return server.serve("/story.html", xhr_page(extra_script))


def test_only_render_gets_an_article_fetched_by_script(browser: None, http_server: Server) -> None:
    url = serve_xhr(http_server)
    plain = newscli("fetch", url, "-f", "ndjson")
    assert plain.returncode == 3
    record = json.loads(plain.stdout)
    assert record["title"] == TITLE  # the failure keeps what the page's <title> says
    assert record["error"]["message"].endswith("the page builds it with JavaScript (try --render)")

    rendered = newscli("fetch", url, "--render", "-f", "ndjson", timeout=120)
    assert rendered.returncode == 0, rendered.stderr.decode()
    record = json.loads(rendered.stdout)
    assert record["title"] == TITLE
    assert [" ".join(p.split()) for p in record["text"].split("\n\n")] == PARAS
    assert http_server.hits("/big.png") == 0  # images are never loaded
    assert http_server.hits("/api/article.json") == 1


class Recording:
    """The real client, and the URLs the browser asked it for."""

    def __init__(self, client: HttpClient) -> None:
        self.client, self.asked = client, []  # type: ignore[var-annotated]

    def get(self, url: str, **kw: Any) -> Any:
        self.asked.append(url)
        return self.client.get(url, **kw)


def test_a_public_page_may_not_reach_into_the_private_network(browser: None, http_server: Server) -> None:
    from newscli.net.browser import Renderer

    url = serve_xhr(http_server, "fetch('http://10.255.255.1/admin').catch(() => {});")
    http_server.serve("/post", "no", content_type="text/plain")

    def classify(host: str) -> str:  # the test server stands in for a public site
        return "public" if host == "127.0.0.1" else "private"

    # the client's own check at connect time sees the same stand-in
    public_loopback = lambda ip: "public" if ip == "127.0.0.1" else address_class(ip)  # noqa: E731
    with HttpClient(timeout=20, classify=public_loopback) as real:
        client = Recording(real)
        with Renderer(client, timeout=20, classify=classify) as renderer:
            page, notes = renderer.render(url)
    html = page.content.decode("utf-8")
    assert PARAS[7] in html
    assert notes == (
        "refused: http://10.255.255.1/admin is a private address; a public page may not reach into it",
    )
    assert not any("10.255.255.1" in u for u in client.asked)  # refused before any connection
    assert all(u.startswith(http_server.url("/")) for u in client.asked)


def test_the_render_keeps_its_deadline_on_a_page_that_never_settles(
    browser: None, http_server: Server
) -> None:
    from newscli.net.browser import Renderer

    http_server.serve("/tick", "{}", content_type="application/json")
    page = (
        "<html><head><title>Busy</title></head><body><p id='n'>0</p><script>"
        "let n = 0; setInterval(() => fetch('/tick').then(() => {"
        "document.getElementById('n').textContent = ++n;}), 30);</script></body></html>"
    )
    url = http_server.serve("/busy.html", page)
    with HttpClient(timeout=20) as client, Renderer(client, timeout=4) as renderer:
        start = time.monotonic()
        fetched, _ = renderer.render(url)
        took = time.monotonic() - start
    assert took < 4 + 6  # the deadline, plus reading the DOM back and closing the page
    assert b'<p id="n">' in fetched.content and http_server.hits("/tick") > 3


def _browsers() -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"newscli-browser-" in (entry / "cmdline").read_bytes():
                    found.add(int(entry.name))
            except OSError:
                pass
    return found


@pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs a system that sets a thread's CPUs, and two CPUs to choose from",
)
def test_the_browser_gets_every_cpu_while_the_run_keeps_to_one(browser: None, http_server: Server) -> None:
    from newscli.net.browser import Renderer
    from newscli.net.cores import one_cpu

    url = serve_xhr(http_server)
    every, before = os.sched_getaffinity(0), _browsers()
    with one_cpu(), HttpClient(timeout=20) as client, Renderer(client, timeout=20) as renderer:
        fetched, _ = renderer.render(url)
        narrowed = os.sched_getaffinity(0)
        started = {pid: os.sched_getaffinity(pid) for pid in _browsers() - before}
    assert TITLE.encode() in fetched.content
    assert len(narrowed) == 1 and started  # Chromium's processes, while it ran
    assert all(cpus == every for cpus in started.values()), started


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_no_browser_outlives_the_command(browser: None, http_server: Server, sig: signal.Signals) -> None:
    http_server.serve("/tick", "{}", content_type="application/json")
    url = http_server.serve(
        "/busy.html", "<html><body><script>setInterval(() => fetch('/tick'), 50);</script></body></html>"
    )
    before = _browsers()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "newscli", "fetch", url, "--render", "--timeout", "60"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60  # Chromium starts slowly on a loaded machine
        while not (_browsers() - before) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _browsers() - before, "the browser never started"
        proc.send_signal(sig)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.monotonic() + 30
    while (_browsers() - before) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not (_browsers() - before), "browser processes outlived newscli"


def test_render_without_a_browser_says_what_to_install() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "newscli", "fetch", "http://127.0.0.1:9/x.html", "--render"],
        env={**os.environ, "PYTHONPATH": str(ROOT), "NEWSCLI_BROWSER": "/nonexistent/chromium"},
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 2
    message = result.stderr.decode()
    assert "--render needs" in message and (
        "apt-get install chromium" in message or "newscli[render]" in message
    )
