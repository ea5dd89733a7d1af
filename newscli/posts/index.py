"""Which saved file belongs to which article: a small SQLite index in the state directory.

Table `saved(directory, id, filename, sha256, first_date)`, one row per article per output directory,
in `<state dir>/newscli.db` (shared with other state tables; this module owns only `saved`).
`first_date` is the date an undated article was first saved with (ISO 8601 with offset), so that
saving it again files it under the same date; databases from before it get the column added.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from newscli.errors import StateError

DB_NAME = "newscli.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS saved (
    directory TEXT NOT NULL,
    id TEXT NOT NULL,
    filename TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    first_date TEXT,
    PRIMARY KEY (directory, id)
);
CREATE INDEX IF NOT EXISTS saved_by_filename ON saved (directory, filename);
"""


def directory_key(directory: Path) -> str:
    """The index's name for an output directory: its absolute, symlink-resolved path."""
    return os.path.realpath(directory)


class SavedIndex:
    """Open (creating if needed) the saved-posts index; use as a context manager or call close()."""

    def __init__(
        self, path: Path | None = None, *, busy_timeout: float = 5.0, synced_later: bool = False
    ) -> None:
        """`synced_later`: the caller commits to the same database synchronously after every batch of rows it
        records here (the digest's feed commit, which marks the posts seen), and that commit makes these
        durable too: one write-ahead log, written and synced in order, so a power loss that takes a row takes
        every later commit with it. Then a commit here is not synced on its own (SQLite's synchronous=NORMAL);
        a crash of the process loses no committed row; a power loss, at most rows of posts not yet marked seen,
        which the next run saves again (finding their files by their bytes)."""
        if path is None:
            from newscli.config import state_dir  # the one rule for where state lives

            path = state_dir() / DB_NAME
        self.path = path
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StateError(
                f"cannot create the state directory: {exc.strerror}", source=str(self.path)
            ) from None
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one connection, shared by the threads that save posts
        self._keys: dict[Path, str] = {}  # directory_key per directory, resolved once per open index
        try:
            self._db = sqlite3.connect(
                self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            self._db.execute("PRAGMA journal_mode = WAL")
            if synced_later:
                self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.executescript(_SCHEMA)
            self._migrate()
        except sqlite3.Error as exc:
            self.close()
            raise self._error(exc) from None

    def _migrate(self) -> None:
        """Add the columns a `saved` table written by an older newscli lacks."""
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(saved)")}
        if "first_date" not in columns:
            try:
                self.db.execute("ALTER TABLE saved ADD COLUMN first_date TEXT")
            except sqlite3.OperationalError as exc:
                if "duplicate column" not in str(exc):  # another process added it first
                    raise

    def _error(self, exc: sqlite3.Error) -> StateError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            cause = "database is locked by another process"
        elif "not a database" in text or "malformed" in text:
            cause = "database is corrupt"
        elif "readonly" in text or "unable to open" in text:
            cause = "database is not writable"
        else:
            cause = text
        return StateError(cause, source=str(self.path))

    def _key(self, directory: Path) -> str:
        """directory_key(directory), resolved once while this index is open (a save asks three times)."""
        key = self._keys.get(directory)
        if key is None:
            key = self._keys[directory] = directory_key(directory)
        return key

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise StateError("index is closed", source=str(self.path))
        return self._db

    def lookup(self, directory: Path, article_id: str) -> tuple[str, str] | None:
        """(filename, sha256) last saved for `article_id` in `directory`, if any."""
        try:
            with self._lock:
                row = self.db.execute(
                    "SELECT filename, sha256 FROM saved WHERE directory = ? AND id = ?",
                    (self._key(directory), article_id),
                ).fetchone()
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        return (row[0], row[1]) if row else None

    def owner(self, directory: Path, filename: str) -> str | None:
        """The id of the article whose file `filename` in `directory` is, if known."""
        try:
            with self._lock:
                row = self.db.execute(
                    "SELECT id FROM saved WHERE directory = ? AND filename = ?",
                    (self._key(directory), filename),
                ).fetchone()
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        return row[0] if row else None

    def record(self, directory: Path, article_id: str, filename: str, sha256: str) -> None:
        """Note that `filename` in `directory` now holds `article_id` (and no other article)."""
        self.record_many(directory, [(article_id, filename, sha256, None)])

    def record_many(self, directory: Path, rows: Sequence[tuple[str, str, str, str | None]]) -> None:
        """Record several (id, filename, sha256, first_date) in one transaction, each file with one owner after.

        `first_date` (or None) is kept only where the article has none yet.
        """
        key = self._key(directory)
        try:
            with self._lock, self.db:  # one transaction: every file has exactly one owner afterwards
                self.db.execute("BEGIN IMMEDIATE")
                for article_id, filename, sha256, first_date in rows:
                    self.db.execute(
                        "DELETE FROM saved WHERE directory = ? AND filename = ? AND id <> ?",
                        (key, filename, article_id),
                    )
                    self.db.execute(
                        "INSERT INTO saved (directory, id, filename, sha256, first_date) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT (directory, id) DO UPDATE SET filename = excluded.filename, "
                        "sha256 = excluded.sha256, first_date = coalesce(saved.first_date, excluded.first_date)",
                        (key, article_id, filename, sha256, first_date),
                    )
        except sqlite3.Error as exc:
            raise self._error(exc) from None

    def first_date(self, directory: Path, article_id: str) -> str | None:
        """The date (ISO 8601) `article_id`, undated, was first saved with in `directory`, if known."""
        try:
            with self._lock:
                row = self.db.execute(
                    "SELECT first_date FROM saved WHERE directory = ? AND id = ?",
                    (self._key(directory), article_id),
                ).fetchone()
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        return row[0] if row else None

    def close(self) -> None:
        """Close the database connection (idempotent)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> SavedIndex:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
