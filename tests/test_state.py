"""The digest's state database and run lock: keys, transactions, corrupt/locked/unwritable files (L01, L04-L06)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from contextlib import closing
from pathlib import Path

import pytest

from newscli.digest import state as state_module
from newscli.digest.lock import RunLock
from newscli.digest.seen import normalise_url, seen_keys
from newscli.digest.state import DB_NAME, Mark, PostRecord, State
from newscli.errors import AlreadyRunning, StateError


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://Example.COM/a/b/", "example.com/a/b"),
        ("http://example.com/a/b", "example.com/a/b"),
        ("https://example.com/a/b?utm_source=x&utm_medium=rss#top", "example.com/a/b"),
        ("https://example.com/a?id=3&spm=a.b.c&fbclid=z&gclid=q", "example.com/a?id=3"),
        ("https://example.com/a?b=2&a=1", "example.com/a?a=1&b=2"),
        ("https://example.com:443/a", "example.com/a"),
        ("http://example.com:8080/a", "example.com:8080/a"),
        (
            "https://mp.weixin.qq.com/s?__biz=MzA&mid=1&chksm=ff&scene=21",
            "mp.weixin.qq.com/s?__biz=MzA&mid=1",
        ),
        ("https://example.com/", "example.com"),
    ],
)
def test_normalise_url(url: str, key: str) -> None:
    assert normalise_url(url) == key


def test_seen_keys_scope_bare_guids_by_feed() -> None:
    assert seen_keys("https://a.com/x?utm_source=rss", "http://a.com/x/", "https://a.com/feed") == [
        "url:a.com/x"
    ]
    assert seen_keys("tag:a.com,2024:1", "https://a.com/x", "https://a.com/feed") == [
        "id:tag:a.com,2024:1",
        "url:a.com/x",
    ]
    one = seen_keys("123", None, "https://a.com/feed")
    other = seen_keys("123", None, "https://b.com/feed")
    assert one != other  # "123" in two feeds are two articles


def _post(path: str, day: str = "2024-05-17", **kw: object) -> PostRecord:
    return PostRecord(id=path, feed="f", path=path, day=day, saved_at=1.0, **kw)  # type: ignore[arg-type]


def test_commit_and_reopen(tmp_path: Path) -> None:
    with State.open(tmp_path) as state:
        assert state.feed("f") is None
        assert not state.seen(["url:a.com/x"])
        state.commit_feed(
            "f",
            "https://a.com/feed",
            now=100.0,
            marks=[Mark(("url:a.com/x", "id:tag:1"), "/out/x.md")],
            posts=[_post("/out/x.md", title="X")],
            validators=('W/"abc"', "Fri, 17 May 2024 12:00:00 GMT", "sha"),
        )
    with closing(sqlite3.connect(tmp_path / DB_NAME)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with State.open(tmp_path) as state:
        feed = state.feed("f")
        assert feed is not None
        assert (feed.etag, feed.last_modified, feed.body_sha256) == (
            'W/"abc"',
            "Fri, 17 May 2024 12:00:00 GMT",
            "sha",
        )
        assert state.feeds() == {"f": feed}  # every feed at once, as a run reads them
        assert state.seen(["id:tag:1"]) and state.seen(["nope", "url:a.com/x"])
        assert [p.title for p in state.day_posts("2024-05-17")] == ["X"]
        assert state.day_posts("2024-05-18") == []


def test_failures_count_and_history_then_reset(tmp_path: Path) -> None:
    with State.open(tmp_path) as state:
        state.commit_feed("f", "https://a.com/feed", now=1.0, validators=("e1", None, "h1"))
        for i in range(3):
            state.commit_feed("f", "https://a.com/feed", now=10.0 + i, error=("http", f"HTTP 500 #{i}"))
        feed = state.feed("f")
        assert feed is not None and feed.failures == 3 and feed.last_error == "HTTP 500 #2"
        assert feed.etag == "e1"  # a failure never touches the validators
        assert [f.message for f in state.history("f")] == ["HTTP 500 #2", "HTTP 500 #1", "HTTP 500 #0"]
        state.commit_feed("f", "https://a.com/feed", now=20.0, error=("http", "HTTP 429"), retry_after=500.0)
        assert state.feed("f").retry_after == 500.0  # type: ignore[union-attr]
        state.commit_feed("f", "https://a.com/feed", now=30.0)
        feed = state.feed("f")
        assert (
            feed is not None and feed.failures == 0 and feed.retry_after is None and feed.last_success == 30.0
        )


def test_new_url_for_a_name_forgets_validators(tmp_path: Path) -> None:
    with State.open(tmp_path) as state:
        state.commit_feed("f", "https://a.com/feed", now=1.0, validators=("e1", "lm", "h1"))
        state.commit_feed("f", "https://b.com/feed", now=2.0)
        feed = state.feed("f")
        assert (
            feed is not None
            and feed.url == "https://b.com/feed"
            and feed.etag is None
            and feed.body_sha256 is None
        )


def test_readonly_never_creates_anything(tmp_path: Path) -> None:
    home = tmp_path / "nothing-here"
    with State.open(home, readonly=True) as state:
        assert state.feed("f") is None
        state.commit_feed("f", "u", now=1.0, marks=[Mark(("k",), "p")])
        assert not state.seen(["k"])
    assert not home.exists()


def test_shares_the_file_with_the_saved_index(tmp_path: Path) -> None:
    from newscli.posts.index import SavedIndex

    with SavedIndex(tmp_path / DB_NAME) as index:
        index.record(tmp_path, "id1", "a.md", "sha")
    with State.open(tmp_path) as state:
        state.commit_feed("f", "u", now=1.0, marks=[Mark(("k",), "p")])
    with SavedIndex(tmp_path / DB_NAME) as index:
        assert index.lookup(tmp_path, "id1") == ("a.md", "sha")


# ---- L05: corrupt or truncated ------------------------------------------------------------------------


def test_garbage_file_is_reported_not_reset(tmp_path: Path) -> None:
    db = tmp_path / DB_NAME
    db.write_bytes(b"this is not a database at all\n" * 200)
    before = db.read_bytes()
    with pytest.raises(StateError) as info:
        State.open(tmp_path)
    message = str(info.value)
    assert f"state database {db} is corrupt" in message and "move it away to start fresh" in message
    assert db.read_bytes() == before


def test_truncated_database_is_reported(tmp_path: Path) -> None:
    with State.open(tmp_path) as state:
        marks = [Mark((f"url:a.com/{i}" + "x" * 200,), f"/out/{i}.md") for i in range(2000)]
        state.commit_feed("f", "u", now=1.0, marks=marks)
    db = tmp_path / DB_NAME
    size = db.stat().st_size
    assert size > 100_000
    with db.open("r+b") as f:
        f.truncate(size // 2)
    with pytest.raises(StateError, match="is corrupt: .*move it away to start fresh"):
        State.open(tmp_path)
    assert db.stat().st_size == size // 2


# ---- L06: locked ----------------------------------------------------------------------------------------


def test_locked_database_waits_then_fails_clearly(tmp_path: Path) -> None:
    State.open(tmp_path).close()
    holder = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        with pytest.raises(StateError, match=r"state database .*newscli\.db is locked by another process"):
            State.open(tmp_path, busy_timeout=0.3)
        waited = time.monotonic() - started
        assert 0.25 <= waited < 5
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_locked_briefly_then_released_is_fine(tmp_path: Path) -> None:
    State.open(tmp_path).close()
    code = textwrap.dedent(
        f"""
        import sqlite3, sys, time
        c = sqlite3.connect({str(tmp_path / DB_NAME)!r}, isolation_level=None)
        c.execute("BEGIN EXCLUSIVE")
        print("held", flush=True)
        time.sleep(0.5)
        c.execute("COMMIT")
        """
    )
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with State.open(tmp_path, busy_timeout=5.0) as state:
            state.commit_feed("f", "u", now=1.0)
    assert proc.returncode == 0


# ---- L04: not writable ------------------------------------------------------------------------------------


def test_state_dir_that_cannot_exist(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StateError, match="cannot create the state directory"):
        State.open(blocker / "home")
    with pytest.raises(StateError, match="cannot create the lock file"):
        RunLock(blocker / "home").acquire()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_database(tmp_path: Path) -> None:
    State.open(tmp_path).close()
    (tmp_path / DB_NAME).chmod(0o444)
    try:
        with pytest.raises(StateError, match="not writable"):
            State.open(tmp_path)
    finally:
        (tmp_path / DB_NAME).chmod(0o644)


# ---- L01: the run lock --------------------------------------------------------------------------------------


def test_second_lock_in_the_same_process_is_refused(tmp_path: Path) -> None:
    with RunLock(tmp_path):
        assert (tmp_path / "digest.lock").read_text().strip() == str(os.getpid())
        with pytest.raises(AlreadyRunning, match=rf"already running \(pid {os.getpid()}\)") as info:
            RunLock(tmp_path).acquire()
        assert info.value.exit_code == 4
    with RunLock(tmp_path):  # released: free again
        pass


def test_lock_dies_with_its_process(tmp_path: Path) -> None:
    code = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from newscli.digest.lock import RunLock
        lock = RunLock(Path({str(tmp_path)!r}))
        lock.acquire()
        print("locked", flush=True)
        time.sleep(60)
        """
    )
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        with pytest.raises(AlreadyRunning, match=rf"already running \(pid {proc.pid}\)"):
            RunLock(tmp_path).acquire()
        proc.kill()
        proc.wait()
    with RunLock(tmp_path):  # a SIGKILLed holder leaves no lock behind
        pass


def test_sqlite_result_codes_are_sqlites_own() -> None:
    # sqlite3 names them only from Python 3.11; the module's own numbers must agree where it does
    names = ["PERM", "BUSY", "LOCKED", "READONLY", "CORRUPT", "FULL", "CANTOPEN", "NOTADB"]
    if sys.version_info < (3, 11):
        assert not hasattr(sqlite3, "SQLITE_BUSY")
    for name in names:
        ours = getattr(state_module, f"SQLITE_{name}")
        assert getattr(sqlite3, f"SQLITE_{name}", ours) == ours


def test_damage_inside_the_file_is_found_by_the_daily_full_check(tmp_path: Path) -> None:
    """A cut-off file is refused on every open (its header says how long it must be); damage inside it by
    the full integrity check, run at least once a day (it reads the whole file: a year of posts takes ~0.2 s)."""
    import sqlite3

    from newscli.digest.state import CHECK_EVERY

    with State.open(tmp_path) as state:
        marks = [Mark((f"url:a.com/{i}" + "x" * 200,), f"/out/{i}.md") for i in range(2000)]
        state.commit_feed("f", "u", now=1.0, marks=marks)
    db = tmp_path / DB_NAME
    conn = sqlite3.connect(db)
    try:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        with conn:  # the last full check was more than a day ago
            conn.execute("UPDATE checks SET at = ?", (time.time() - CHECK_EVERY - 60,))
    finally:
        conn.close()
    with db.open("r+b") as f:  # scribble over a page in the middle of the seen table
        f.seek(page_size * 40 + 8)
        f.write(b"\xff" * 64)
    with pytest.raises(StateError, match="is corrupt: .*move it away to start fresh"):
        State.open(tmp_path)
