"""Issue 11 #4: a killed digest never locks out the next one, and SIGTERM is a clean stop (exit 143).

A real `python -m newscli digest` process is killed while its extraction workers are alive and a page
is still being fetched; its workers must go with it and the next run must start at once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_digest import RSS_TYPE, WORDS

from newscli.feeds.subscriptions import add_feed

if TYPE_CHECKING:
    from conftest import TestServer

ROOT = Path(__file__).resolve().parent.parent


def page(n: int) -> str:
    return (
        f"<html><head><title>Page {n}</title></head><body><article><h1>Page {n}</h1>"
        f"<p>{WORDS}</p><p>{WORDS}</p></article></body></html>"
    )


def feed(links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Story {n}</title><link>{link}</link><guid isPermaLink='false'>s{n}</guid>"
        f"<pubDate>Fri, 17 May 2024 1{n}:00:00 +0000</pubDate><description>Teaser {n}.</description></item>"
        for n, link in enumerate(links)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>'
        f"<link>https://f.example.com/</link><description>d</description>{items}</channel></rss>"
    ).encode()


def marked(mark: str) -> list[int]:
    """Processes (other than this one) whose environment carries `mark`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if f"NEWSCLI_TEST_MARK={mark}".encode() in environ and state != "Z":
            pids.append(int(entry.name))
    return pids


def start_digest(out: Path, mark: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NEWSCLI_TEST_MARK": mark, "NEWSCLI_TIMEOUT": "60"}
    return subprocess.Popen(
        [sys.executable, "-m", "newscli", "digest", "--out", str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )


def wait_for(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc to find the workers")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_digest_takes_its_workers_along_and_the_next_run_starts_at_once(
    http_server: TestServer, tmp_path: Path, sig: signal.Signals
) -> None:
    links = [http_server.serve(f"/p{n}.html", page(n)) for n in range(2)]
    links.append(http_server.serve("/slow.html", page(9), delay=30))
    add_feed(http_server.serve("/f.xml", feed(links), content_type=RSS_TYPE), name="f")
    out = tmp_path / "out"
    mark = uuid.uuid4().hex
    proc = start_digest(out, mark)
    try:
        # the two quick pages are extracted (workers are up) and the slow one is in flight
        assert wait_for(lambda: http_server.hits("/slow.html") == 1, 30), proc.stderr
        assert wait_for(
            lambda: len(marked(mark)) >= 2, 30
        )  # the digest and a worker (more start as pages queue)
        started = time.monotonic()
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=20)  # the pipes reach EOF: nobody else holds them
        assert time.monotonic() - started < 10
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if not wait_for(lambda: not marked(mark), 10):
            for pid in marked(mark):  # this test's own leftovers, never anyone else's
                os.kill(pid, signal.SIGKILL)
            pytest.fail("processes of the killed digest were left behind")
    if sig == signal.SIGTERM:
        assert proc.returncode == 143 and b"terminated" in stderr
    else:
        assert proc.returncode == -signal.SIGKILL
    http_server.serve("/slow.html", page(9))
    started = time.monotonic()
    rerun = start_digest(out, uuid.uuid4().hex)
    _, err = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, err
    assert time.monotonic() - started < 30
    assert sorted(p.name for p in out.glob("*story*")) == [
        "2024-05-17-story-0.md",
        "2024-05-17-story-1.md",
        "2024-05-17-story-2.md",
    ]
