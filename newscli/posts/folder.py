"""The output folder of posts, with one owner: its saved index, names, atomic writes, archiving.

`fetch --save`, `digest` and the day's digest page all save through a PostFolder.

Saving: a different article whose name is taken gets `-2`, `-3`…; the same article (same id,
known from the SavedIndex, or a file with identical bytes) rewrites its own file only when the
bytes changed. Without an index, a changed article whose old file is not recognisable is saved
under a new number rather than overwriting a file that might be someone else's.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from newscli.dates import default_zone
from newscli.errors import SaveError
from newscli.models import Article
from newscli.posts.archive import front_matter_date, front_matter_head, move_no_clobber, post_date
from newscli.posts.atomic import (
    atomic_write,
    check_directory,
    make_directory,
    read_existing,
    remove_stale_temps,
)
from newscli.posts.index import SavedIndex
from newscli.posts.names import article_key, numbered, safe_filename
from newscli.posts.post import PostOptions, post_text
from newscli.posts.templates import TemplateValues, own_date, render_with

MAX_COLLISIONS = 10_000
POST_SUFFIXES = (".md", ".markdown", ".html")  # what archiving moves

_PROBES = (
    datetime(2001, 2, 3, 4, 5, 6, tzinfo=timezone.utc),
    datetime(2012, 11, 10, 9, 8, 7, tzinfo=timezone.utc),
)

_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _directory_lock(directory: Path) -> threading.Lock:
    """One lock per real folder for the whole process, however many PostFolder objects name it."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(os.path.realpath(directory), threading.Lock())


WRITE_LOCK_WAIT = 60.0  # seconds a writer waits for another program writing to the same folder


@contextlib.contextmanager
def _folder_flock(directory: Path, *, wait: float = WRITE_LOCK_WAIT) -> Iterator[bool]:
    """An advisory flock on the folder itself (no lock file is left in it), across processes (`fetch --save` beside `digest`, two
    digests with different state): choosing a name, writing and recording are one step per folder.

    Yields True when held; with `wait` 0, False at once when another process holds it. SaveError after
    `wait` seconds. Where flock is unavailable (no fcntl), yields True: the thread lock still holds.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield True
        return
    path = Path(directory)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise SaveError(
            f"cannot open the folder's write lock: {exc.strerror or exc}", source=str(path)
        ) from exc
    try:
        ends = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise SaveError(
                        f"cannot lock the folder: {exc.strerror or exc}", source=str(path)
                    ) from exc
                if wait <= 0:
                    yield False
                    return
                if time.monotonic() >= ends:
                    raise SaveError(
                        f"another program kept the folder locked for {wait:g} s; nothing was written",
                        source=str(directory),
                    ) from None
                time.sleep(0.02)
        yield True
    finally:
        os.close(fd)  # closing releases the flock


@dataclass(frozen=True)
class Saved:
    """Where a post went and what happened: 'new', 'updated' or 'unchanged'."""

    path: Path
    status: str


class PostFolder:
    """A folder of posts and the saved index that says which file is whose (no index: by bytes only).

    `PostFolder(path, index)` borrows an open index; `PostFolder.open(path)` opens its own (in the
    state directory, or at `index_path`) and closes it with the folder. Safe to share between threads.
    """

    def __init__(self, path: Path, index: SavedIndex | None = None) -> None:
        self.path = Path(path)
        self.index = index
        self._owns_index = False

    @classmethod
    def open(cls, path: Path, *, index_path: Path | None = None) -> PostFolder:
        """The folder with a saved index of its own, closed by close()."""
        folder = cls(path, SavedIndex(index_path))
        folder._owns_index = True
        return folder

    def close(self) -> None:
        """Close the index if this folder opened it (idempotent)."""
        if self._owns_index and self.index is not None:
            self.index.close()

    def __enter__(self) -> PostFolder:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostFolder({str(self.path)!r})"

    # ---- before a run -----------------------------------------------------------------------------

    def check(self) -> None:
        """Create the folder if needed and prove it writable (SaveError naming the cause), before any work."""
        check_directory(self.path)

    def remove_stale_temps(self, now: float) -> None:
        """Delete temp files a killed run left here (never a live writer's).

        When the folder's write lock is free, no writer is alive: every temp file is a leftover and goes
        now; otherwise only those older than STALE_TEMP (atomic.py)."""
        try:
            with _directory_lock(self.path), _folder_flock(self.path, wait=0) as held:
                if held:
                    remove_stale_temps(self.path, float("inf"))
                    return
        except SaveError:
            pass
        remove_stale_temps(self.path, now)

    # ---- saving -----------------------------------------------------------------------------------

    def save(self, article: Article, options: PostOptions, *, now: datetime | None = None) -> Saved:
        """Write `article` as a post: a new file, a rewrite of its own file, or nothing if unchanged.

        An undated article is filed under the date it was first saved with (the saved index keeps
        it; with a new index, its earlier post in this folder says), else `now` — by default the
        current time in cli.md's zone for the article (Asia/Shanghai for Chinese pages).
        """
        options.check()
        key = article_key(article)
        undated = own_date(article) is None
        if undated:
            now = self._first_date(article, options, key) or now or _now_for(article)
        values = TemplateValues(article, now=now or datetime.now().astimezone())
        data = post_text(article, options, values).encode("utf-8")
        saved = self.write(data, key, render_with(options.name_template, values))
        if undated and self.index is not None and now is not None:
            self.index.remember_date(self.path, key, now.isoformat(timespec="seconds"))
        return saved

    def _first_date(self, article: Article, options: PostOptions, key: str) -> datetime | None:
        """When undated `article` was first saved here: from the index, else from its earlier post."""
        if self.index is not None:
            known = self.index.first_date(self.path, key)
            if known:
                try:
                    return datetime.fromisoformat(known)
                except ValueError:
                    pass
            own = self.index.lookup(self.path, key)
            if own is not None:  # saved before first dates were kept: its own file says
                head = front_matter_head(self.path / own[0])
                return front_matter_date(head) if head is not None else None
        # names the template gives on two far-apart dates: what they share is the date-free part
        a, b = (
            safe_filename(
                render_with(options.name_template, TemplateValues(article, now=when)), fallback_seed=key
            )
            for when in _PROBES
        )
        head_len = len(os.path.commonprefix([a, b]))
        tail_len = len(os.path.commonprefix([a[::-1], b[::-1]]))

        def candidate(name: str) -> bool:
            if a == b:
                return name == a
            return (
                name.startswith(a[:head_len])
                and name.endswith(a[len(a) - tail_len :])
                and (len(name) >= head_len + tail_len)
            )

        rendered = post_text(article, options, TemplateValues(article, now=_PROBES[0]))
        title = next((line for line in rendered.split("\n") if line.startswith("title:")), None)
        try:
            names_here = sorted(os.listdir(self.path))
        except OSError:
            return None
        for name in filter(candidate, names_here):
            head = front_matter_head(self.path / name)
            if head is None or title is None or title not in head.split("\n"):
                continue
            when = front_matter_date(head)
            if when is None:
                continue
            current = read_existing(self.path / name) or b""
            if article.url and article.url.encode("utf-8") in current:
                # the same article for sure (its URL in the front matter or footer): its file, to rewrite
                self.adopt(name, key, post_text(article, options, TemplateValues(article, now=when)))
            # else only a post of the same title: its date, so an unchanged article is recognised by
            # its bytes, while a changed one is never written over what may be another article
            return when
        return None

    def write(self, data: bytes, key: str, wanted: str) -> Saved:
        """Save `data` as the file of `key`, named `wanted` (made safe; numbered when another's)."""
        make_directory(self.path)
        # choosing a name, writing and recording its owner is one step, for the threads of this process
        # (the thread lock) and for other processes writing here (the folder's flock)
        with _directory_lock(self.path), _folder_flock(self.path):
            return self._write(data, hashlib.sha256(data).hexdigest(), key, wanted)

    def _write(self, data: bytes, digest: str, key: str, wanted: str) -> Saved:
        directory, index = self.path, self.index

        def done(name: str, status: str) -> Saved:
            if index is not None:
                index.record(directory, key, name, digest)
            return Saved(directory / name, status)

        known = index.lookup(directory, key) if index is not None else None
        if known is not None and known[0] == safe_filename(known[0], fallback_seed=key):
            own = directory / known[0]
            current = read_existing(own)
            if current is not None:
                if current == data:
                    return done(known[0], "unchanged")
                atomic_write(own, data)
                return done(known[0], "updated")

        base = safe_filename(wanted, fallback_seed=key)
        for n in range(1, MAX_COLLISIONS + 1):
            name = numbered(base, n)
            path = directory / name
            current = read_existing(path)
            if current is None and not os.path.lexists(path):
                try:
                    atomic_write(path, data, replace=False)
                except FileExistsError:
                    # lost a race with a writer that ignores the lock: compare before numbering
                    if read_existing(path) == data:
                        return done(name, "unchanged")
                    continue
                return done(name, "new")
            owner = index.owner(directory, name) if index is not None else None
            if owner is not None and owner != key:
                continue  # another article's file, even if its bytes happen to be the same
            if current == data:
                return done(name, "unchanged")  # identical bytes, no other owner: this article, saved before
            if owner == key and current is not None:
                atomic_write(path, data)
                return done(name, "updated")
        raise SaveError(f"more than {MAX_COLLISIONS} files named like {base}", source=str(directory))

    def adopt(self, name: str, key: str, rendered: str) -> None:
        """Record an unowned `name` as `key`'s own when it is an earlier version of the post `rendered`.

        The index misses a file after a crash between writing and recording it, or one written
        before such files were recorded; it is recognised by its front matter's title line.
        """
        index = self.index
        if (
            index is None
            or index.lookup(self.path, key) is not None
            or index.owner(self.path, name) is not None
        ):
            return
        current = read_existing(self.path / name)
        if current is None:
            return
        title = next((line for line in rendered.split("\n")[1:] if line.startswith("title:")), None)
        text = current.decode("utf-8", "replace")
        head, sep, _ = text.removeprefix("---\n").partition("\n---\n")
        if title is None or not text.startswith("---\n") or not sep or title not in head.split("\n"):
            return
        index.record(self.path, key, name, hashlib.sha256(current).hexdigest())

    # ---- archiving --------------------------------------------------------------------------------

    def archive(
        self,
        archive: Path,
        before: date,
        *,
        dry_run: bool,
        planned: list[str],
        warnings: list[str],
        moved: Callable[[Path, Path], None] = lambda src, dst: None,
    ) -> list[tuple[Path, Path]]:
        """Move posts filed before `before` to `archive`, never replacing a file there (dry run: plan it).

        `moved(src, dst)` is called after each move, so the caller's records follow the file at once.
        """
        done: list[tuple[Path, Path]] = []
        try:
            names = sorted(os.listdir(self.path))
        except OSError as exc:
            warnings.append(f"archive: cannot list {self.path}: {exc.strerror or exc}")
            return done
        for name in names:
            src = self.path / name
            if (
                name.startswith(".")
                or not name.lower().endswith(POST_SUFFIXES)
                or src.is_symlink()  # never ours: a planted link's target is not moved or copied
                or not src.is_file()
            ):
                continue
            when = post_date(src)
            if when is None or when >= before:
                continue
            dst = archive / name
            if dry_run:
                planned.append(f"would move {src} to {dst}")
                continue
            try:
                move_no_clobber(src, dst)
            except FileExistsError:
                warnings.append(f"archive: {dst} already exists; left {src} where it is")
                continue
            except OSError as exc:
                warnings.append(f"archive: cannot move {src} to {dst}: {exc.strerror or exc}")
                continue
            moved(src, dst)
            done.append((src, dst))
        return done


def _now_for(article: Article) -> datetime:
    """Now, in the zone cli.md gives the article's dates (Asia/Shanghai for a Chinese page, else local)."""
    try:
        host = urlsplit(article.url or "").hostname
    except ValueError:
        host = None
    return datetime.now(default_zone(lang=article.lang, host=host))


def save_post(
    article: Article,
    directory: Path,
    options: PostOptions,
    *,
    index: SavedIndex | None = None,
    now: datetime | None = None,
) -> Saved:
    """Write `article` as a post in `directory` (see PostFolder.save), with an open index or none."""
    return PostFolder(directory, index).save(article, options, now=now)
