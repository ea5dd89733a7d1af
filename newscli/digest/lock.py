"""One digest at a time: an flock on a file beside the state database."""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path
from types import TracebackType

from newscli.errors import AlreadyRunning, StateError

LOCK_NAME = "digest.lock"


class RunLock:
    """One digest at a time: an flock on `<state dir>/digest.lock`, released when the process dies."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise AlreadyRunning (naming the holder's pid); StateError when impossible."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # never through a symlink: truncating the pid would truncate whatever file it points to
            fd = os.open(
                self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0), 0o644
            )
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise StateError(
                    "the lock file is a symbolic link; remove it (a real file is made in its place)",
                    source=str(self.path),
                ) from exc
            raise StateError(
                f"cannot create the lock file: {exc.strerror or exc} (is the state directory writable?)",
                source=str(self.path),
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _read_pid(fd)
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                who = f" (pid {holder})" if holder else ""
                raise AlreadyRunning(f"already running{who}; lock file {self.path}") from None
            raise StateError(f"cannot lock: {exc.strerror or exc}", source=str(self.path)) from exc
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:
            pass  # the pid is only informative; the flock is the lock
        self._fd = fd

    def release(self) -> None:
        """Give the lock up (the file stays: deleting it would race with a starting run)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.ftruncate(fd, 0)
            except OSError:
                pass
            os.close(fd)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
