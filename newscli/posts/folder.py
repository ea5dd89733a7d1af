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
    link_staged,
    make_directory,
    read_existing,
    remove_stale_temps,
    stage_file,
    sync_directory,
)
from newscli.posts.index import SavedIndex
from newscli.posts.names import article_key, numbered, safe_filename
from newscli.posts.post import PostOptions, post_head, post_text
from newscli.posts.templates import TemplateValues, own_date, render_with

MAX_COLLISIONS = 10_000
POST_SUFFIXES = (".md", ".markdown", ".html")  # what archiving moves

_PROBES = (
    datetime(2001, 2, 3, 4, 5, 6, tzinfo=timezone.utc),
    datetime(2012, 11, 10, 9, 8, 7, tzinfo=timezone.utc),
)


class _Writers:
    """The saving threads of one real folder in this process, however many PostFolder objects name it.

    A save queues its job and takes `lock`; whoever holds it writes every job queued by then, in one
    batch (one folder flock, one directory fsync, one index transaction), so threads that save at
    the same time share the cost instead of waiting for each other's fsyncs and commits.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.queue_lock = threading.Lock()
        self.queue: list[_Job] = []
        self.unnamed = True  # whether unnamed staged files work here (O_TMPFILE and /proc)


_WRITERS: dict[str, _Writers] = {}
_WRITERS_GUARD = threading.Lock()


def _writers(directory: Path) -> _Writers:
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(os.path.realpath(directory), _Writers())


@dataclass(eq=False)
class _Job:
    """One post to put in place: its bytes (already on disk, unnamed, when `fd` is set) and what it became."""

    folder: PostFolder
    data: bytes
    digest: str
    key: str
    wanted: str
    first_date: str | None
    fd: int | None
    saved: Saved | None = None
    error: BaseException | None = None


WRITE_LOCK_WAIT = 60.0  # seconds a writer waits for another program writing to the same folder


@contextlib.contextmanager
def _folder_flock(directory: Path, *, wait: float = WRITE_LOCK_WAIT, fd: int | None = None) -> Iterator[bool]:
    """An advisory flock on the folder itself (no lock file is left in it), across processes (`fetch --save` beside `digest`, two
    digests with different state): choosing a name, writing and recording are one step per folder.

    Yields True when held; with `wait` 0, False at once when another process holds it. SaveError after
    `wait` seconds. Where flock is unavailable (no fcntl), yields True: the thread lock still holds.
    `fd`: an open descriptor of the folder to lock, instead of one of its own (the caller closes it).
    """
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield True
        return
    path = Path(directory)
    own = fd is None
    if fd is None:
        try:
            fd = _open_dir(path)
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
        if own:
            _close_dir(fd)  # closing releases the flock (the caller's descriptor: when it closes it)


_DIR_FLAGS = os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_DIRECTORY", 0)

# The folder descriptors open in this process. A folder's flock belongs to its open file, which a forked
# child shares: a child forked while a batch held one would hold that folder's lock for as long as it
# lives, and every save there would wait for it (`fetch` forks its extraction workers, and forks again
# when it replaces one killed at its time limit). A forked child closes them first thing.
_OPEN_DIRS: set[int] = set()
_OPEN_DIRS_LOCK = threading.Lock()  # held by a fork: no descriptor is half opened or closed meanwhile


def _open_dir(path: Path) -> int:
    with _OPEN_DIRS_LOCK:
        fd = os.open(path, _DIR_FLAGS)
        _OPEN_DIRS.add(fd)
    return fd


def _close_dir(fd: int) -> None:
    with _OPEN_DIRS_LOCK:
        _OPEN_DIRS.discard(fd)
        os.close(fd)


def _closed_in_child() -> None:
    for fd in _OPEN_DIRS:
        with contextlib.suppress(OSError):
            os.close(fd)
    _OPEN_DIRS.clear()
    _OPEN_DIRS_LOCK.release()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_OPEN_DIRS_LOCK.acquire,
        after_in_parent=_OPEN_DIRS_LOCK.release,
        after_in_child=_closed_in_child,
    )


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
        self._made = False  # the folder was made (or found) by this object's first write
        self._writers: _Writers | None = None

    @classmethod
    def open(cls, path: Path, *, index_path: Path | None = None, synced_later: bool = False) -> PostFolder:
        """The folder with a saved index of its own, closed by close() (`synced_later`: see SavedIndex)."""
        folder = cls(path, SavedIndex(index_path, synced_later=synced_later))
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
            with self._folder_writers().lock, _folder_flock(self.path, wait=0) as held:
                if held:
                    remove_stale_temps(self.path, float("inf"))
                    return
        except SaveError:
            pass
        remove_stale_temps(self.path, now)

    # ---- saving -----------------------------------------------------------------------------------

    def save(
        self, article: Article, options: PostOptions, *, now: datetime | None = None, body: str | None = None
    ) -> Saved:
        """Write `article` as a post: a new file, a rewrite of its own file, or nothing if unchanged.

        `body`: post_body(article, options) when the caller has it already (converted on a worker).

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
        data = post_text(article, options, values, body=body).encode("utf-8")
        first = now.isoformat(timespec="seconds") if undated and now is not None else None
        return self.write(data, key, render_with(options.name_template, values), first_date=first)

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

        rendered = post_head(article, options, TemplateValues(article, now=_PROBES[0]))  # for its title line
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

    def write(self, data: bytes, key: str, wanted: str, *, first_date: str | None = None) -> Saved:
        """Save `data` as the file of `key`, named `wanted` (made safe; numbered when another's).

        `first_date` (ISO 8601) is recorded as the article's first-saved date unless it has one. The
        bytes are written and fsynced first, by the calling thread, into an unnamed file where the system
        has them; choosing a name, linking it and recording its owner are then one step per folder, for
        the threads of this process (the folder's batch) and for other processes (the folder's flock).
        Returns once the file is durable under its name and recorded.
        """
        if not self._made:
            make_directory(self.path)
            self._made = True
        writers = self._folder_writers()
        try:
            fd = stage_file(self.path, data) if writers.unnamed else None
        except SaveError as exc:  # named after the file it was to be (the article's own, when it has one)
            known = self.index.lookup(self.path, key) if self.index is not None else None
            name = known[0] if known is not None else safe_filename(wanted, fallback_seed=key)
            raise SaveError(exc.message, source=str(self.path / name)) from None
        job = _Job(self, data, hashlib.sha256(data).hexdigest(), key, wanted, first_date, fd)
        try:
            with writers.queue_lock:
                writers.queue.append(job)
            with writers.lock:
                if job.saved is None and job.error is None:  # no other thread wrote it meanwhile
                    with writers.queue_lock:
                        batch, writers.queue = writers.queue, []
                    _write_batch(self.path, batch)
        finally:
            in_flight = False
            if job.saved is None and job.error is None:  # interrupted while waiting (Ctrl-C)
                with writers.queue_lock:
                    if job in writers.queue:
                        writers.queue.remove(job)
                    else:
                        in_flight = True  # another thread's batch holds it: its descriptor stays open
            if job.fd is not None and not in_flight:
                os.close(job.fd)
        if job.error is not None:
            raise job.error
        if job.saved is None:  # cannot happen: every job of a batch ends saved or failed
            raise SaveError("not written", source=str(self.path / wanted))
        return job.saved

    def _folder_writers(self) -> _Writers:
        """The writers of this folder's real path (see _Writers), looked up once."""
        if self._writers is None:
            self._writers = _writers(self.path)
        return self._writers

    def _place(
        self,
        job: _Job,
        placed: dict[str, str],
        rows: list[tuple[str, str, str, str | None]],
        dir_fd: int | None,
    ) -> Saved:
        """Put `job` under its name (or find it already there), its index row added to `rows`.

        `placed` maps the names given by this batch so far to their keys (not yet in the index)."""
        directory, index, key, data = self.path, self.index, job.key, job.data

        def done(name: str, status: str) -> Saved:
            if index is not None:
                rows.append((key, name, job.digest, job.first_date))
            placed[name] = key
            return Saved(directory / name, status)

        known = index.lookup(directory, key) if index is not None else None
        if known is not None and known[0] == safe_filename(known[0], fallback_seed=key):
            own = directory / known[0]
            current = read_existing(own)
            if current is not None:
                if current == data:
                    return done(known[0], "unchanged")
                atomic_write(own, data, sync_dir=False)
                return done(known[0], "updated")

        base = safe_filename(job.wanted, fallback_seed=key)
        for n in range(1, MAX_COLLISIONS + 1):
            name = numbered(base, n) if n > 1 else base  # a safe name is its own first variant
            path = directory / name
            if placed.get(name, key) != key:
                continue  # another article of this batch took it
            try:
                self._link_new(job, path, dir_fd)
                return done(name, "new")
            except FileExistsError:
                pass  # taken (perhaps by a writer that ignores the lock): whose is it?
            current = read_existing(path)
            if current is None:
                continue  # not a file we could read: a directory, a dangling link
            owner = placed.get(name) or (index.owner(directory, name) if index is not None else None)
            if owner is not None and owner != key:
                continue  # another article's file, even if its bytes happen to be the same
            if current == data:
                return done(name, "unchanged")  # identical bytes, no other owner: this article, saved before
            if owner == key:
                atomic_write(path, data, sync_dir=False)
                return done(name, "updated")
        raise SaveError(f"more than {MAX_COLLISIONS} files named like {base}", source=str(directory))

    def _link_new(self, job: _Job, path: Path, dir_fd: int | None) -> None:
        """Create `path` with the job's bytes, never over an existing name (FileExistsError)."""
        if job.fd is not None and dir_fd is not None:
            if link_staged(job.fd, path, dir_fd):
                return
            self._folder_writers().unnamed = (
                False  # no /proc to name unnamed files by: named temp files from now on
            )
            os.close(job.fd)
            job.fd = None
        atomic_write(path, job.data, replace=False, sync_dir=False)

    def adopt(self, name: str, key: str, rendered: str | Callable[[], str]) -> None:
        """Record an unowned `name` as `key`'s own when it is an earlier version of the post `rendered`.

        The index misses a file after a crash between writing and recording it, or one written
        before such files were recorded; it is recognised by its front matter's title line.
        `rendered` may be a function giving the post, called only when there is a file to recognise.
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
        if callable(rendered):
            rendered = rendered()
        title = next((line for line in rendered.split("\n")[1:] if line.startswith("title:")), None)
        text = current.decode("utf-8", "replace")
        head, sep, _ = text.removeprefix("---\n").partition("\n---\n")
        if title is None or not text.startswith("---\n") or not sep or title not in head.split("\n"):
            return
        index.record(self.path, key, name, hashlib.sha256(current).hexdigest())

    def recorded(self, key: str) -> Path | None:
        """The file recorded as `key`'s, when it still holds exactly the bytes recorded (else None)."""
        if self.index is None:
            return None
        known = self.index.lookup(self.path, key)
        if known is None:
            return None
        current = read_existing(self.path / known[0])
        if current is None or hashlib.sha256(current).hexdigest() != known[1]:
            return None
        return self.path / known[0]

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


def _open_folder(directory: Path) -> int | None:
    """A descriptor of the folder (None where directories cannot be opened), which is made first only when it
    cannot be opened: it was removed since the first write made it."""
    if os.name != "posix":
        make_directory(directory)
        return None
    try:
        return _open_dir(directory)
    except OSError:
        pass
    make_directory(directory)
    try:
        return _open_dir(directory)
    except OSError as exc:
        raise SaveError(
            f"cannot open the folder's write lock: {exc.strerror or exc}", source=str(directory)
        ) from exc


def _write_batch(directory: Path, batch: list[_Job]) -> None:
    """Write the queued jobs of one folder (see _Writers): each ends with `saved` or its own `error`."""
    try:
        fd = _open_folder(directory)  # locked, linked into and synced: one descriptor per batch
        try:
            with _folder_flock(directory, fd=fd):
                _place_batch(directory, batch, fd)
        finally:
            if fd is not None:
                _close_dir(fd)
    except Exception as exc:  # noqa: BLE001 - the folder could not be made or locked: no job was written
        for job in batch:
            if job.saved is None and job.error is None:
                job.error = exc
    finally:
        for job in batch:
            if job.saved is None and job.error is None:  # interrupted mid-batch
                job.error = SaveError("interrupted before it was written", source=str(directory / job.wanted))


def _place_batch(directory: Path, batch: list[_Job], dir_fd: int | None) -> None:
    """Name the jobs' files, sync the folder once, record them in one transaction per index."""
    placed: dict[str, str] = {}
    rows: dict[int, tuple[SavedIndex, list[tuple[str, str, str, str | None]]]] = {}
    for job in batch:
        index = job.folder.index
        job_rows = rows.setdefault(id(index), (index, []))[1] if index is not None else []
        try:
            job.saved = job.folder._place(job, placed, job_rows, dir_fd)
        except Exception as exc:  # noqa: BLE001 - one post's failure (disk full, a surprise) is its own
            job.error = exc
    if any(job.saved is not None and job.saved.status != "unchanged" for job in batch):
        try:
            sync_directory(dir_fd, directory)
        except SaveError as exc:
            for job in batch:
                if job.saved is not None:
                    job.saved, job.error = None, exc
    for index, index_rows in rows.values():
        if not index_rows:
            continue
        try:
            index.record_many(directory, index_rows)
        except Exception as exc:  # noqa: BLE001 - the files stay; recording them failed
            for job in batch:
                if job.saved is not None and job.folder.index is index:
                    job.saved, job.error = None, exc


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
