"""What `digest` remembers between runs: feed validators, seen articles, the day's posts, failures.

SQLite at `<state dir>/newscli.db` (a file shared with other tables, e.g. the saved index of posts/index.py),
in WAL mode with a busy timeout. Each feed's outcome is committed in one transaction,
after its posts are on disk, so a crash anywhere leaves work to redo but nothing lost.
A corrupt database is reported, never reset. The run lock (lock.py) lives beside it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from newscli.errors import StateError, redact
from newscli.models import clean_value

DB_NAME = "newscli.db"
SCHEMA_VERSION = 1
HISTORY_KEEP = 20  # failure rows kept per feed
CHECK_EVERY = 86400.0  # seconds between full integrity checks of the database (a cut-off file: every run)

# SQLite's primary result codes (sqlite3 names them only from Python 3.11; the numbers are SQLite's, fixed).
SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY = 3, 5, 6, 8
SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 11, 13, 14, 26

_SCHEMA = """
CREATE TABLE IF NOT EXISTS state_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS feeds (
    name TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    body_sha256 TEXT,
    retry_after REAL,
    failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_success REAL,
    last_attempt REAL
);
CREATE TABLE IF NOT EXISTS seen (
    key TEXT PRIMARY KEY,
    feed TEXT NOT NULL,
    first_seen REAL NOT NULL,
    path TEXT
);
CREATE TABLE IF NOT EXISTS day_posts (
    id TEXT PRIMARY KEY,
    day TEXT NOT NULL,
    feed TEXT NOT NULL,
    saved_at REAL NOT NULL,
    path TEXT NOT NULL,
    title TEXT,
    url TEXT,
    source TEXT,
    published TEXT,
    summary TEXT
);
CREATE INDEX IF NOT EXISTS day_posts_day ON day_posts (day, feed, saved_at);
CREATE TABLE IF NOT EXISTS failures (
    feed TEXT NOT NULL,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS failures_feed ON failures (feed, at);
CREATE TABLE IF NOT EXISTS checks (what TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS pages (
    day TEXT PRIMARY KEY,
    inputs TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS page_stamps (
    day TEXT PRIMARY KEY,
    stamp TEXT NOT NULL,
    until REAL NOT NULL
);
"""


def body_hash(content: bytes) -> str:
    """sha256 of a feed body, to tell an unchanged 200 from a changed one."""
    return hashlib.sha256(content).hexdigest()


@dataclass(frozen=True)
class FeedState:
    """What was remembered of one feed after its last run."""

    name: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None
    retry_after: float | None = None
    failures: int = 0
    last_error: str | None = None
    last_success: float | None = None


@dataclass(frozen=True)
class PostRecord:
    """A post saved by digest, as the day's digest page lists it."""

    id: str
    feed: str
    path: str
    day: str
    saved_at: float
    title: str | None = None
    url: str | None = None
    source: str | None = None
    published: str | None = None  # ISO 8601 with offset
    summary: str | None = None


@dataclass(frozen=True)
class Mark:
    """Keys to remember as seen, and the post they were saved as (None: deliberately skipped)."""

    keys: tuple[str, ...]
    path: str | None = None


@dataclass(frozen=True)
class Failure:
    """One failed run of a feed."""

    at: float
    kind: str
    message: str


def _describe(exc: sqlite3.Error | OSError) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__


class State:
    """The state database; thread-safe (one connection behind a lock, the statements are short)."""

    def __init__(self, conn: sqlite3.Connection, path: Path, *, readonly: bool = False) -> None:
        self._conn = conn
        self.path = path
        self.readonly = readonly
        self._lock = threading.RLock()
        self._scratch: Path | None = None  # a copy read in place of a database on read-only media

    # -- opening
    @classmethod
    def open(
        cls,
        directory: Path,
        *,
        busy_timeout: float = 5.0,
        readonly: bool = False,
        has_posts: bool = False,
    ) -> State:
        """Open (creating if needed) the database in `directory`; StateError when unusable.

        `readonly` never creates or changes anything: a missing database reads as empty.
        `has_posts`: the output folder already holds posts, so a database that exists but is empty
        (0 bytes, no tables) is a lost state, not a fresh one: refused, never silently started over.
        """
        path = Path(directory) / DB_NAME
        if readonly and not path.exists():
            conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            conn.executescript(_SCHEMA)
            return cls(conn, path, readonly=True)
        if not readonly:
            try:
                Path(directory).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StateError(
                    f"cannot create the state directory: {exc.strerror or exc}", source=str(directory)
                ) from exc
            if not os.access(directory, os.W_OK):
                raise StateError("the state directory is not writable", source=str(directory))
            if path.exists() and not os.access(path, os.W_OK):
                raise StateError("the state database is not writable", source=str(path))
        try:
            size_before: int | None = path.stat().st_size  # connecting creates the file: look first
        except OSError:
            size_before = None
        try:
            if readonly:
                conn, scratch = _connect_readonly(path, busy_timeout)
            else:
                conn = sqlite3.connect(
                    str(path), timeout=busy_timeout, isolation_level=None, check_same_thread=False
                )
        except (sqlite3.Error, OSError) as exc:
            raise StateError(f"cannot open the state database: {_describe(exc)}", source=str(path)) from exc
        state = cls(conn, path, readonly=readonly)
        if readonly:
            state._scratch = scratch
        try:
            if has_posts and size_before is not None:
                state._refuse_empty(size_before)
            state._prepare(busy_timeout)
        except BaseException:
            state.close()
            raise
        return state

    def _refuse_empty(self, size: int) -> None:
        try:
            tables = (
                0 if size == 0 else self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            )
        except sqlite3.Error:
            return  # not a database at all: _prepare names that
        if tables:
            return
        what = "empty (0 bytes)" if size == 0 else "a database without any tables"
        raise StateError(
            f"the state database is {what}, but the output folder already holds posts: starting over would "
            "save every archived entry again. Restore the database from a backup, or, to start over on "
            f"purpose, delete {self.path} (and run once with --since to skip old entries)",
            source=str(self.path),
        )

    def _prepare(self, busy_timeout: float) -> None:
        conn = self._conn
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            # Reading the schema is the first thing that fails on a file that is no database.
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            short = _cut_short(self.path)
            if short:
                raise sqlite3.DatabaseError(f"malformed ({short})")
            # The full check reads the whole file (a year of posts: ~0.2 s): once a day, not every run.
            checked = self.readonly or self._checked_lately()
            if not checked:
                check = conn.execute("PRAGMA quick_check(1)").fetchone()
                if check is None or check[0] != "ok":
                    said = " ".join(str(check[0]).split()) if check else "integrity check failed"
                    raise sqlite3.DatabaseError(f"malformed ({said})")  # one line, for a cron mail
            if self.readonly:
                return
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()
            if mode is None or str(mode[0]).lower() != "wal":
                raise sqlite3.OperationalError(f"cannot switch to WAL mode (got {mode})")
            conn.execute("PRAGMA synchronous = FULL")
            # Take the write lock once now, so a database held by someone else fails before any fetching.
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("COMMIT")
            conn.executescript("BEGIN;" + _SCHEMA + "COMMIT;")
            if not checked:
                conn.execute(
                    "INSERT INTO checks (what, at) VALUES ('quick_check', ?) "
                    "ON CONFLICT (what) DO UPDATE SET at = excluded.at",
                    (time.time(),),
                )
        except sqlite3.Error as exc:
            raise self._error(exc, "cannot open") from exc
        self._check_version()

    def _checked_lately(self) -> bool:
        """Whether the full integrity check passed less than CHECK_EVERY seconds ago."""
        try:
            row = self._conn.execute("SELECT at FROM checks WHERE what = 'quick_check'").fetchone()
        except sqlite3.Error:
            return False  # no such table yet
        return row is not None and 0 <= time.time() - float(row[0]) < CHECK_EVERY

    def _check_version(self) -> None:
        with self._lock:
            try:
                row = self._conn.execute(
                    "SELECT version FROM state_schema WHERE component = 'digest'"
                ).fetchone()
                if row is None:
                    self._conn.execute(
                        "INSERT INTO state_schema (component, version) VALUES ('digest', ?)",
                        (SCHEMA_VERSION,),
                    )
                elif row[0] > SCHEMA_VERSION:
                    raise StateError(
                        f"the state database was written by a newer newscli (schema {row[0]}); upgrade newscli",
                        source=str(self.path),
                    )
            except sqlite3.Error as exc:
                raise self._error(exc, "cannot open") from exc

    def _error(self, exc: sqlite3.Error, doing: str) -> StateError:
        """A StateError in words a user can act on."""
        text = _describe(exc)
        low = text.lower()
        where = str(self.path)
        code = getattr(
            exc, "sqlite_errorcode", None
        )  # Python 3.11+; an extended code: the low byte is primary
        code = code & 0xFF if isinstance(code, int) else None
        if "locked" in low or "busy" in low or code in (SQLITE_BUSY, SQLITE_LOCKED):
            return StateError(
                f"state database {where} is locked by another process (waited; try again later): {text}",
                source=None,
            )
        if (
            "not a database" in low
            or "malformed" in low
            or "corrupt" in low
            or code
            in (
                SQLITE_CORRUPT,
                SQLITE_NOTADB,
            )
        ):
            return StateError(
                f"state database {where} is corrupt: {text}; move it away to start fresh "
                "(every feed's articles will then count as new)",
                source=None,
            )
        if (
            "readonly" in low
            or "read-only" in low
            or "unable to open" in low
            or code
            in (
                SQLITE_READONLY,
                SQLITE_CANTOPEN,
                SQLITE_PERM,
            )
        ):
            return StateError(f"state database {where} is not writable: {text}", source=None)
        if "full" in low or code == SQLITE_FULL:
            return StateError(f"state database {where}: disk full: {text}", source=None)
        return StateError(f"state database {where}: {doing}: {text}", source=None)

    def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        with self._lock:
            self._conn.close()
            if self._scratch is not None:
                import shutil

                shutil.rmtree(self._scratch, ignore_errors=True)
                self._scratch = None

    def __enter__(self) -> State:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- reading
    def _query(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._conn.execute(sql, args).fetchall()
            except sqlite3.OperationalError as exc:
                if self.readonly and "no such table" in str(exc):
                    return []  # read-only (dry run) on a database someone else created: nothing of ours yet
                raise self._error(exc, "read failed") from exc
            except sqlite3.Error as exc:
                raise self._error(exc, "read failed") from exc

    def feed(self, name: str) -> FeedState | None:
        """The remembered state of feed `name`, or None when it never ran."""
        rows = self._query(f"SELECT {_FEED_COLUMNS} FROM feeds WHERE name = ?", (name,))
        return _feed_state(rows[0]) if rows else None

    def feeds(self) -> dict[str, FeedState]:
        """The remembered state of every feed that ran, by name (one query for a run's hundreds of feeds)."""
        return {str(r[0]): _feed_state(r) for r in self._query(f"SELECT {_FEED_COLUMNS} FROM feeds")}

    def seen(self, keys: Iterable[str]) -> bool:
        """Whether any of the keys was remembered as seen."""
        return bool(self.seen_among(keys))

    def seen_among(self, keys: Iterable[str]) -> set[str]:
        """The keys of `keys` remembered as seen (a feed's entries' keys at once: a few queries, not one each)."""
        keys = list(dict.fromkeys(keys))
        found: set[str] = set()
        for start in range(0, len(keys), _KEYS_PER_QUERY):
            chunk = keys[start : start + _KEYS_PER_QUERY]
            marks = ",".join("?" * len(chunk))
            found.update(
                str(r[0]) for r in self._query(f"SELECT key FROM seen WHERE key IN ({marks})", chunk)
            )
        return found

    def day_posts(self, day: str) -> list[PostRecord]:
        """The posts saved on `day` (YYYY-MM-DD, local), by feed then arrival."""
        rows = self._query(
            "SELECT id, feed, path, day, saved_at, title, url, source, published, summary FROM day_posts"
            " WHERE day = ? ORDER BY feed, saved_at, published, id",
            (day,),
        )
        return [
            PostRecord(
                id=str(r[0]),
                feed=str(r[1]),
                path=str(r[2]),
                day=str(r[3]),
                saved_at=float(r[4]),
                title=_opt(r[5]),
                url=_opt(r[6]),
                source=_opt(r[7]),
                published=_opt(r[8]),
                summary=_opt(r[9]),
            )
            for r in rows
        ]

    def page_inputs(self, day: str) -> str | None:
        """The digest of the inputs the day's page was last written from (digest/page.py), if any."""
        rows = self._query("SELECT inputs FROM pages WHERE day = ?", (day,))
        return str(rows[0][0]) if rows else None

    def set_page_inputs(self, day: str, inputs: str) -> None:
        """Remember what the day's page was written from (older days are forgotten)."""
        if self.readonly:
            return
        with self._transaction("cannot record the digest page") as conn:
            conn.execute("DELETE FROM pages WHERE day < ?", (day,))
            conn.execute(
                "INSERT INTO pages (day, inputs) VALUES (?, ?) "
                "ON CONFLICT (day) DO UPDATE SET inputs = excluded.inputs",
                (day, inputs),
            )

    def day_signature(self, day: str) -> tuple[int, float, int]:
        """Count, last saved_at and total path length of `day`'s posts: changes whenever a post is added,
        re-saved or moved (digest/run.py's page stamp), read from the day index alone."""
        rows = self._query(
            "SELECT count(*), coalesce(max(saved_at), 0), coalesce(total(length(path)), 0) FROM day_posts"
            " WHERE day = ?",
            (day,),
        )
        count, last, paths = rows[0] if rows else (0, 0.0, 0)
        return int(count), float(last), int(paths)

    def day_published(self, day: str) -> list[str]:
        """The `published` values of `day`'s posts that have one."""
        rows = self._query("SELECT published FROM day_posts WHERE day = ? AND published IS NOT NULL", (day,))
        return [str(r[0]) for r in rows]

    def page_stamp(self, day: str) -> tuple[str, float] | None:
        """The stamp recorded after the day's page was last checked or written, and until when it holds."""
        rows = self._query("SELECT stamp, until FROM page_stamps WHERE day = ?", (day,))
        return (str(rows[0][0]), float(rows[0][1])) if rows else None

    def set_page_stamp(self, day: str, stamp: str | None, until: float) -> None:
        """Record (or with None, forget) the day's page stamp; older days' stamps are forgotten."""
        if self.readonly:
            return
        with self._transaction("cannot record the digest page") as conn:
            conn.execute(
                "DELETE FROM page_stamps WHERE day < ? OR (day = ? AND ? IS NULL)", (day, day, stamp)
            )
            if stamp is not None:
                conn.execute(
                    "INSERT INTO page_stamps (day, stamp, until) VALUES (?, ?, ?) "
                    "ON CONFLICT (day) DO UPDATE SET stamp = excluded.stamp, until = excluded.until",
                    (day, stamp, until),
                )

    def history(self, name: str, limit: int = 5) -> list[Failure]:
        """The feed's most recent failures, newest first."""
        rows = self._query(
            "SELECT at, kind, message FROM failures WHERE feed = ? ORDER BY at DESC LIMIT ?", (name, limit)
        )
        return [Failure(float(r[0]), str(r[1]), str(r[2])) for r in rows]

    # -- writing: one transaction per feed
    def commit_feed(
        self,
        name: str,
        url: str,
        *,
        now: float,
        marks: Sequence[Mark] = (),
        posts: Sequence[PostRecord] = (),
        validators: tuple[str | None, str | None, str | None] | None = None,
        error: tuple[str, str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Record one feed's run in one transaction (see commit_feeds for several).

        `marks` and `posts` describe posts already durably on disk. `validators`
        (etag, last_modified, body sha256) are given only when every entry of the feed
        was handled; `error` (kind, message) records a failed run.
        """
        self.commit_feeds([(name, url, now, marks, posts, validators, error, retry_after)])

    def commit_feeds(self, runs: Sequence[tuple[Any, ...]]) -> None:
        """Record several feeds' runs, each as commit_feed would, in one transaction (one fsync for all:
        a rerun's hundreds of unchanged feeds). Each item: (name, url, now, marks, posts, validators,
        error, retry_after)."""
        if self.readonly or not runs:
            return
        names = ", ".join(repr(run[0]) for run in runs[:3]) + (" …" if len(runs) > 3 else "")
        with self._transaction(f"cannot record feed {names}") as conn:
            for run in runs:
                self._record(conn, *run)

    @staticmethod
    def _record(
        conn: sqlite3.Connection,
        name: str,
        url: str,
        now: float,
        marks: Sequence[Mark],
        posts: Sequence[PostRecord],
        validators: tuple[str | None, str | None, str | None] | None,
        error: tuple[str, str] | None,
        retry_after: float | None,
    ) -> None:
        # whatever a stage let through, nothing unencodable reaches SQLite (it would fail the whole feed)
        name, url = clean_value(name), redact(clean_value(url))
        marks = [_cleaned(m) for m in marks]
        posts = [_cleaned(p) for p in posts]
        if error is not None:
            error = (clean_value(error[0]), clean_value(error[1]))
        if validators is not None:
            validators = (clean_value(validators[0]), clean_value(validators[1]), validators[2])
        conn.execute("INSERT INTO feeds (name, url) VALUES (?, ?) ON CONFLICT(name) DO NOTHING", (name, url))
        row = conn.execute("SELECT url FROM feeds WHERE name = ?", (name,)).fetchone()
        if row is not None and row[0] != url:
            # A feed renamed onto another URL: old validators would mean nothing there.
            conn.execute(
                "UPDATE feeds SET url = ?, etag = NULL, last_modified = NULL, body_sha256 = NULL,"
                " retry_after = NULL WHERE name = ?",
                (url, name),
            )
        conn.executemany(
            "INSERT INTO seen (key, feed, first_seen, path) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO NOTHING",
            [(key, name, now, mark.path) for mark in marks for key in mark.keys],
        )
        conn.executemany(
            "INSERT INTO day_posts (id, day, feed, saved_at, path, title, url, source, published, summary)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET path = excluded.path",
            [
                (
                    p.id,
                    p.day,
                    p.feed,
                    p.saved_at,
                    p.path,
                    p.title,
                    p.url,
                    p.source,
                    p.published,
                    p.summary,
                )
                for p in posts
            ],
        )
        if error is not None:
            conn.execute(
                "UPDATE feeds SET failures = failures + 1, last_error = ?, last_attempt = ?,"
                " retry_after = ? WHERE name = ?",
                (error[1], now, retry_after, name),
            )
            conn.execute(
                "INSERT INTO failures (feed, at, kind, message) VALUES (?, ?, ?, ?)",
                (name, now, error[0], error[1]),
            )
            conn.execute(
                "DELETE FROM failures WHERE feed = ? AND rowid NOT IN"
                " (SELECT rowid FROM failures WHERE feed = ? ORDER BY at DESC LIMIT ?)",
                (name, name, HISTORY_KEEP),
            )
        else:
            conn.execute(
                "UPDATE feeds SET failures = 0, last_error = NULL, last_attempt = ?, last_success = ?,"
                " retry_after = NULL WHERE name = ?",
                (now, now, name),
            )
        if validators is not None:
            conn.execute(
                "UPDATE feeds SET etag = ?, last_modified = ?, body_sha256 = ? WHERE name = ?",
                (*validators, name),
            )

    def moved(self, old: str, new: str) -> None:
        """A post file moved (archived): follow it."""
        if self.readonly:
            return
        with self._transaction("cannot record a moved post") as conn:
            conn.execute("UPDATE seen SET path = ? WHERE path = ?", (new, old))
            conn.execute("UPDATE day_posts SET path = ? WHERE path = ?", (new, old))

    @contextlib.contextmanager
    def _transaction(self, doing: str) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT, rolled back on failure); StateError saying `doing`."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                raise self._error(exc, doing) from exc


_Record = TypeVar("_Record", Mark, PostRecord)


def _cleaned(record: _Record) -> _Record:
    """`record` with clean_value over each field; the record itself when that changes none (nearly always)."""
    changes = {k: c for k, v in vars(record).items() if (c := clean_value(v)) is not v}
    return dataclasses.replace(record, **changes) if changes else record


_KEYS_PER_QUERY = 500  # SQLite before 3.32 takes at most 999 parameters in one statement
_FEED_COLUMNS = "name, url, etag, last_modified, body_sha256, retry_after, failures, last_error, last_success"


def _feed_state(r: Sequence[Any]) -> FeedState:
    return FeedState(
        name=str(r[0]),
        url=str(r[1]),
        etag=_opt(r[2]),
        last_modified=_opt(r[3]),
        body_sha256=_opt(r[4]),
        retry_after=float(r[5]) if r[5] is not None else None,
        failures=int(r[6] or 0),
        last_error=_opt(r[7]),
        last_success=float(r[8]) if r[8] is not None else None,
    )


def _cut_short(path: Path) -> str | None:
    """Why the database file is shorter than its own header says (a truncated copy), or None.

    SQLite's header (offsets 16, 24, 28, 92) holds the page size and the page count, valid when the
    change counter matches; the file must hold that many pages (the write-ahead log only adds to them).
    """
    try:
        with open(path, "rb") as f:
            head = f.read(100)
            size = os.fstat(f.fileno()).st_size
    except OSError:
        return None
    if len(head) < 100 or not head.startswith(b"SQLite format 3\x00"):
        return None
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    if not pages or head[24:28] != head[92:96]:
        return None  # an old writer's header: the count is not to be trusted
    if size < pages * page_size:
        return f"the file holds {size} bytes of the {pages * page_size} its header gives"
    return None


def _connect_readonly(path: Path, busy_timeout: float) -> tuple[sqlite3.Connection, Path | None]:
    """A read-only connection to the database at `path`, and the scratch folder it reads from, if any.

    A database in WAL mode is read beside its `-shm` file, which a reader must be able to create: on
    read-only media (or in a folder this user cannot write) SQLite cannot open it at all. Then the
    database alone, when it has no write-ahead log to replay, is read as immutable; with a log, both
    are copied to a scratch folder and read there, so that the last transactions are seen too.
    """

    def connect(uri: str) -> sqlite3.Connection:
        return sqlite3.connect(
            uri, uri=True, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )

    where = path.resolve()
    conn = connect(f"{where.as_uri()}?mode=ro")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn, None
    except sqlite3.OperationalError as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        cannot_open = code is not None and (code & 0xFF) in (SQLITE_CANTOPEN, SQLITE_READONLY)
        if not cannot_open and "unable to open" not in str(exc) and "readonly" not in str(exc):
            return conn, None  # something else: reported by the caller's first query
        if os.access(where.parent, os.W_OK) and not _read_only_media(where.parent):
            return conn, None
    except sqlite3.Error:
        return conn, None  # not a database, corrupt…: named by the caller
    conn.close()
    wal = where.with_name(where.name + "-wal")
    try:
        has_log = wal.stat().st_size > 0
    except OSError:
        has_log = False
    if not has_log:
        return connect(f"{where.as_uri()}?mode=ro&immutable=1"), None
    import shutil
    import tempfile

    scratch = Path(tempfile.mkdtemp(prefix="newscli-state-"))
    try:
        shutil.copyfile(where, scratch / where.name)
        shutil.copyfile(wal, scratch / wal.name)
        return connect(f"{(scratch / where.name).as_uri()}?mode=ro"), scratch
    except (OSError, sqlite3.Error):
        shutil.rmtree(scratch, ignore_errors=True)
        raise


def _read_only_media(directory: Path) -> bool:
    """Whether `directory` is on a file system mounted read-only (where even root cannot write)."""
    try:
        return bool(os.statvfs(directory).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def _opt(value: object) -> str | None:
    return None if value is None else str(value)
