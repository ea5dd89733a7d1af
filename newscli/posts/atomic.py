"""Files written all-or-nothing: atomic writes, writable-folder checks, SaveError causes, stale temp files."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from newscli.errors import SaveError

STALE_TEMP = 600.0  # temp files of ours older than this are leftovers of a killed run


def _cause(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return "disk full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "not writable"
    if exc.errno == errno.ENOTDIR:
        return "not a directory"
    if exc.errno == errno.ENAMETOOLONG:
        return "file name too long"
    return exc.strerror or str(exc)


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        _fsync_dir_fd(fd)
    finally:
        os.close(fd)


def _fsync_dir_fd(fd: int) -> None:
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):  # some file systems cannot sync directories
            raise


def atomic_write(path: Path, data: bytes, *, replace: bool = True, sync_dir: bool = True) -> None:
    """Write `data` to `path` all-or-nothing: temp file in the same directory, fsync, rename, fsync dir.

    With `replace=False` an existing `path` is never overwritten (FileExistsError instead). With
    `sync_dir=False` the caller fsyncs the directory (once for several files: `sync_directory`).
    Other OS errors become SaveError naming the path and the cause; no temporary file survives.
    """
    directory = path.parent
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".newscli-", suffix=".tmp")
    except OSError as exc:
        raise SaveError(_cause(exc), source=str(path)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            found = os.lstat(
                path
            )  # an updated post keeps its permissions; a symlink lends none of its target's
            if stat.S_ISLNK(found.st_mode):
                raise OSError(errno.ENOENT, "a symbolic link")
            mode = found.st_mode & 0o7777
        except OSError:
            mode = 0o666 & ~_umask()  # mkstemp's 0o600 would hide posts from a web server's user
        os.chmod(tmp, mode)
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if path appeared meanwhile: never clobber another article
            except FileExistsError:
                raise
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EMLINK, errno.EXDEV, errno.ENOSYS):
                    raise
                if os.path.lexists(path):  # no hard links here: checking first is the best we can do
                    raise FileExistsError(errno.EEXIST, "exists", str(path)) from None
                os.replace(tmp, path)
        if sync_dir:
            _fsync_dir(directory)
    except FileExistsError:
        raise
    except OSError as exc:
        raise SaveError(_cause(exc), source=str(path)) from None
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        except OSError:
            pass


def sync_directory(dir_fd: int | None, directory: Path) -> None:
    """fsync the directory open as `dir_fd`, so that the names linked or renamed in it survive a crash;
    SaveError naming the cause."""
    if dir_fd is None:
        return
    try:
        _fsync_dir_fd(dir_fd)
    except OSError as exc:
        raise SaveError(_cause(exc), source=str(directory)) from None


def stage_file(directory: Path, data: bytes) -> int | None:
    """`data` in an unnamed file of `directory` (Linux's O_TMPFILE), written and fsynced: its open descriptor.

    Nothing is left behind if the process dies before the file is given a name (`link_staged`), so
    staging needs no lock and no clean-up. None where the system or file system has no unnamed files.
    SaveError naming the cause when the data cannot be written (a full disk).
    """
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag:
        return None
    try:
        fd = os.open(
            directory, flag | os.O_WRONLY | os.O_CLOEXEC, 0o666
        )  # the umask applies, as for any post
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT, errno.ENOSYS):
            return None
        raise SaveError(_cause(exc), source=str(directory)) from None
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except OSError as exc:
        os.close(fd)
        raise SaveError(_cause(exc), source=str(directory)) from None
    except BaseException:
        os.close(fd)
        raise
    return fd


def link_staged(fd: int, path: Path, dir_fd: int) -> bool:
    """Give the staged file `fd` the name `path` (in the directory open as `dir_fd`), never replacing
    anything there (FileExistsError).

    False when this system cannot name unnamed files (no /proc): the caller writes `path` another way.
    """
    try:
        # with a dir_fd os.link is linkat(AT_SYMLINK_FOLLOW), which follows /proc's link to the open file
        # (plain link(2) would try to link the /proc entry itself)
        os.link(f"/proc/self/fd/{fd}", path.name, dst_dir_fd=dir_fd)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.EPERM, errno.EACCES, errno.ENOTSUP, errno.EXDEV, errno.EINVAL):
            return False
        raise SaveError(_cause(exc), source=str(path)) from None
    return True


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022  # os.umask() would have to set it to read it, racing other threads


def make_directory(directory: Path) -> None:
    """Create `directory` and its parents; SaveError naming the cause when that fails."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise SaveError("not a directory", source=str(directory)) from None
    except OSError as exc:
        raise SaveError(_cause(exc), source=str(directory)) from None


def check_directory(directory: Path) -> None:
    """Create `directory` if needed and prove it writable by writing a file (works for root too)."""
    make_directory(directory)
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".newscli-", suffix=".tmp")
    except OSError as exc:
        raise SaveError(_cause(exc), source=str(directory)) from None
    os.close(fd)
    os.unlink(tmp)


def read_existing(path: Path) -> bytes | None:
    """The bytes of `path`; None when there is no such file, SaveError naming the cause otherwise."""
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    except OSError as exc:
        raise SaveError(_cause(exc), source=str(path)) from None


def remove_stale_temps(out: Path, now: float) -> None:
    """Temp files a killed run left behind (never a live writer's: those are fresh)."""
    try:
        entries = list(os.scandir(out))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(".newscli-") and entry.name.endswith(".tmp"):
            try:
                if now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMP:
                    os.unlink(entry.path)
            except OSError:
                pass
