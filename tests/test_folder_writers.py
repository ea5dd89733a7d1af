"""Issue 11 #6 and #5: one writer at a time per output folder, across processes; leftovers of a killed
writer go at once when no writer holds the folder. Issue 15: saves from many threads share batches."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from test_digest import RSS_TYPE, item, rss

from newscli.errors import SaveError
from newscli.feeds.subscriptions import add_feed
from newscli.models import Article
from newscli.posts import folder as folder_module
from newscli.posts.folder import PostFolder, Saved, _folder_flock
from newscli.posts.post import PostOptions

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


def _save_from_threads(out: Path, index_path: Path, articles: list[Article], threads: int = 8) -> list[Saved]:
    from concurrent.futures import ThreadPoolExecutor

    with PostFolder.open(out, index_path=index_path) as folder, ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda a: folder.save(a, PostOptions()), articles))


def _articles(n: int) -> list[Article]:
    # every third article shares a title: their names collide and must be numbered, never overwritten
    return [
        Article(
            title=f"Story {i if i % 3 else 0}",
            id=f"https://news.example.com/{i}",
            url=f"https://news.example.com/{i}",
            html=f"<p>Body of story {i}.</p>",
            published=datetime(2024, 5, 17, 8, i % 60, tzinfo=timezone.utc),
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("unnamed", [True, False], ids=["unnamed-staged-files", "named-temp-files"])
def test_threads_saving_at_once_each_get_their_own_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unnamed: bool
) -> None:
    """Saves from many threads are written in shared batches: every article lands once, whole, under its own
    name (colliding titles numbered), recorded in the index, with no temporary file left — with unnamed staged
    files (Linux) and with the named temporary files used where those do not exist."""
    if not unnamed:
        monkeypatch.setattr(folder_module, "stage_file", lambda directory, data: None)
    out, db = tmp_path / "out", tmp_path / "index.db"
    articles = _articles(60)
    saved = _save_from_threads(out, db, articles)
    assert [s.status for s in saved] == ["new"] * 60
    assert len({s.path for s in saved}) == 60
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 60 and not any(n.startswith(".") for n in names)
    assert sum(n.startswith("2024-05-17-story-0") for n in names) == 20  # story-0, story-0-2 … story-0-20
    for article, result in zip(articles, saved, strict=True):
        text = result.path.read_text("utf-8")
        assert f"Body of story {article.id.rsplit('/', 1)[1]}." in text and text.endswith("\n")
    # saved again, from threads again: every article finds its own file, nothing new, nothing rewritten
    again = _save_from_threads(out, db, articles)
    assert [s.status for s in again] == ["unchanged"] * 60
    assert [s.path for s in again] == [s.path for s in saved]
    assert sorted(p.name for p in out.iterdir()) == names


def test_a_failing_post_in_a_batch_fails_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One post that cannot be named (its file name taken by a folder) is that post's error; the other
    saves of the same moment still land."""
    out = tmp_path / "out"
    articles = _articles(12)
    real_place = PostFolder._place

    def place(self: PostFolder, job: Any, *args: Any) -> Saved:
        if job.key.endswith("/5"):
            raise SaveError("a surprise", source=str(self.path / job.wanted))
        return real_place(self, job, *args)

    monkeypatch.setattr(PostFolder, "_place", place)
    from concurrent.futures import ThreadPoolExecutor

    with PostFolder.open(out, index_path=tmp_path / "db") as folder, ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(folder.save, a, PostOptions()) for a in articles]
        errors = [f.exception() for f in futures]
    assert [i for i, e in enumerate(errors) if e is not None] == [5]
    assert "a surprise" in str(errors[5])
    assert len(list(out.iterdir())) == 11


def test_a_writer_killed_while_writing_leaves_no_file_behind(tmp_path: Path) -> None:
    """SIGKILL after a post's bytes are written but before it has a name: nothing is left in the folder
    (unnamed staged files vanish with the process; where they are not used, the temp file is cleaned up
    by the next writer at once, as the test above shows)."""
    out = tmp_path / "out"
    out.mkdir()
    code = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from newscli.posts import folder\n"
        "real = folder.stage_file\n"
        "def stage(directory, data):\n"
        "    fd = real(directory, data)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "folder.stage_file = stage\n"
        "from newscli.models import Article\n"
        "from newscli.posts.post import PostOptions\n"
        "folder.PostFolder(Path(sys.argv[1])).save(Article(title='T', id='x', html='<p>x</p>'), PostOptions())\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code, str(out)], env=env, capture_output=True, timeout=60)
    assert result.returncode == -9, result.stderr
    assert list(out.iterdir()) == []


def test_index_commits_are_synced_unless_the_digests_state_commit_syncs_them(
    http_server: TestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newscli.digest.run import run_digest
    from newscli.posts.index import SavedIndex

    def synchronous(db: Any) -> int:
        return int(db.execute("PRAGMA synchronous").fetchone()[0])

    with SavedIndex(
        tmp_path / "own.db"
    ) as own:  # `fetch --save`: nothing commits after it, each commit is synced
        assert synchronous(own.db) == 2  # FULL
    # The digest: every batch of index rows is followed by the feed's commit of the state, FULL, in the same
    # write-ahead log, which makes the rows durable with it (a power loss cannot keep a seen mark without them).
    opened: list[tuple[str, int]] = []
    real_init = SavedIndex.__init__

    def init(self: SavedIndex, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        opened.append((str(self.path), synchronous(self.db)))

    monkeypatch.setattr(SavedIndex, "__init__", init)
    url = http_server.serve("/a.xml", rss([item(i) for i in range(3)]), content_type=RSS_TYPE)
    add_feed(url, name="alpha")
    state_dir = tmp_path / "state"
    report = run_digest(out=tmp_path / "out", state_dir=state_dir)
    assert len(report.saved) == 3
    assert opened == [(str(state_dir / "newscli.db"), 1)]  # NORMAL, in the state's own database
    with sqlite3.connect(state_dir / "newscli.db") as db:
        saved = db.execute("SELECT count(*) FROM saved").fetchone()[0]
        seen = db.execute("SELECT count(*) FROM seen").fetchone()[0]
    db.close()  # the with block commits, it does not close (Python 3.13 warns of an unclosed database)
    assert saved == 4 and seen >= 3  # the three posts and the day's page, each recorded


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_process_forked_while_a_save_holds_the_folder_lock_does_not_keep_it(tmp_path: Path) -> None:
    """`fetch` forks its extraction workers (and forks again to replace one killed at its time limit)
    while other threads save: a child forked while a save held the folder's flock shared that lock, kept
    it for as long as it lived, and every later save into the folder waited 60 s and failed (seen in CI)."""
    import fcntl
    import warnings

    folder = tmp_path / "out"
    folder.mkdir()
    with _folder_flock(folder, wait=0) as held:
        assert held
        with warnings.catch_warnings():  # Python 3.12+ warns about forking a threaded process
            warnings.simplefilter("ignore", DeprecationWarning)
            child = os.fork()
        if child == 0:  # the child: live on, as a worker does
            time.sleep(30)
            os._exit(0)
    try:
        fd = os.open(folder, os.O_RDONLY)
        try:
            ends = time.monotonic() + 5  # the child closes its copy as it starts: at once, not in 30 s
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    assert time.monotonic() < ends, "the forked child still holds the folder's lock"
                    time.sleep(0.01)
        finally:
            os.close(fd)
        saved = PostFolder(folder).save(Article(title="After the fork", text="Body."), PostOptions())
        assert saved.status == "new" and saved.path.exists()
    finally:
        os.kill(child, 9)
        os.waitpid(child, 0)
