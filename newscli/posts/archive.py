"""Posts older than --keep-days moved to the archive folder, never replacing a file already there."""

from __future__ import annotations

import errno
import os
import re
import shutil
from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path

from newscli.digest.state import State

_DATED = re.compile(r"(\d{4})-(\d{2})-(\d{2})-")
_FM_DATE = re.compile(r"^date:\s*[\"']?(\d{4})-(\d{2})-(\d{2})", re.MULTILINE)


def post_date(path: Path) -> date | None:
    """The date a post is filed under: its file name's YYYY-MM-DD- prefix, else its front matter's date."""
    match = _DATED.match(path.name)
    if match is None:
        try:
            with path.open("rb") as f:
                head = f.read(4096).decode("utf-8", "replace")
        except OSError:
            return None
        if not head.startswith("---"):
            return None
        match = _FM_DATE.search(head.split("\n---", 1)[0])
        if match is None:
            return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def archive_posts(
    out: Path,
    archive: Path,
    keep_days: int,
    state: State,
    *,
    now: Callable[[], float],
    tz: tzinfo,
    dry_run: bool,
    planned: list[str],
    warnings: list[str],
) -> list[tuple[Path, Path]]:
    """Move posts filed before the last `keep_days` days from `out` to `archive` (dry run: plan them)."""
    today = datetime.fromtimestamp(now(), tz).date()
    cutoff = today - timedelta(days=keep_days - 1)
    moved: list[tuple[Path, Path]] = []
    try:
        names = sorted(os.listdir(out))
    except OSError as exc:
        warnings.append(f"archive: cannot list {out}: {exc.strerror or exc}")
        return moved
    for name in names:
        src = out / name
        if (
            name.startswith(".")
            or not name.lower().endswith((".md", ".markdown", ".html"))
            or not src.is_file()
        ):
            continue
        when = post_date(src)
        if when is None or when >= cutoff:
            continue
        dst = archive / name
        if dry_run:
            planned.append(f"would move {src} to {dst}")
            continue
        try:
            _move_no_clobber(src, dst)
        except FileExistsError:
            warnings.append(f"archive: {dst} already exists; left {src} where it is")
            continue
        except OSError as exc:
            warnings.append(f"archive: cannot move {src} to {dst}: {exc.strerror or exc}")
            continue
        state.moved(str(src), str(dst))
        moved.append((src, dst))
    return moved


def _move_no_clobber(src: Path, dst: Path) -> None:
    """Move a file atomically, never replacing one already in the archive."""
    try:
        os.link(src, dst)  # atomic and refuses to clobber
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno == errno.EXDEV:  # another file system: copy into place first, then the same link dance
            tmp = dst.with_name(f".newscli-{dst.name}.tmp")
            shutil.copy2(src, tmp)
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            try:
                os.link(tmp, dst)
            finally:
                os.unlink(tmp)
        elif exc.errno in (errno.EPERM, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS):
            if os.path.lexists(dst):
                raise FileExistsError(errno.EEXIST, "exists", str(dst)) from None
            os.replace(src, dst)
            return
        else:
            raise
    os.unlink(src)
