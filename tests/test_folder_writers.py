"""Issue 11 #6 and #5: one writer at a time per output folder, across processes; leftovers of a killed
writer go at once when no writer holds the folder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from test_digest import RSS_TYPE, item, rss

from newscli.feeds.subscriptions import add_feed
from newscli.posts.folder import PostFolder, _folder_flock

if TYPE_CHECKING:
    from conftest import TestServer

ROOT = Path(__file__).resolve().parent.parent


def start(args: list[str], home: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NEWSCLI_HOME": str(home)}
    return subprocess.Popen(
        [sys.executable, "-m", "newscli", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def test_fetch_save_beside_digests_with_other_state_never_makes_duplicates(
    http_server: TestServer, tmp_path: Path, newscli_home: Path
) -> None:
    url = http_server.serve("/a.xml", rss([item(i) for i in range(12)]), content_type=RSS_TYPE)
    add_feed(url, name="alpha")
    for round_ in range(3):
        out = tmp_path / f"out{round_}"
        out.mkdir()
        procs = [
            start(["fetch", url, "--save", str(out), "--no-full"], tmp_path / f"fetch-home{round_}"),
            start(["digest", "--out", str(out)], tmp_path / f"digest-home-a{round_}"),
            start(["digest", "--out", str(out)], tmp_path / f"digest-home-b{round_}"),
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
        stories = sorted(p.name for p in out.glob("*story*"))
        assert len(stories) == 12, stories  # each article once: no "-2" copies
        assert not any(n.endswith("-2.md") for n in stories)


def test_leftover_temp_files_go_at_once_when_no_writer_holds_the_folder(tmp_path: Path) -> None:
    folder = PostFolder(tmp_path)
    leftover = tmp_path / ".newscli-abc123.tmp"
    leftover.write_bytes(b"half a post")
    with _folder_flock(tmp_path):  # a live writer (in this test, ourselves) holds the folder
        folder.remove_stale_temps(time.time())
        assert leftover.exists()
    folder.remove_stale_temps(time.time())  # nobody writes: a fresh temp file is a killed run's
    assert not leftover.exists()
