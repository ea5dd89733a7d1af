"""Archiving mechanics: the date a post is filed under, and moving a file without replacing one (folder.py decides what moves)."""

from __future__ import annotations

import errno
import os
import re
import shutil
from datetime import date, datetime
from pathlib import Path

_DATED = re.compile(r"(\d{4})-(\d{2})-(\d{2})-")
_FM_DATE = re.compile(r"^date:\s*[\"']?(\d{4})-(\d{2})-(\d{2})", re.MULTILINE)
# what our profiles write: `2024-01-02 10:00:00 +0800` (jekyll) or `2024-01-02T10:00:00+08:00`
_FM_STAMP = re.compile(r"^date: (\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d) ?([+-]\d\d:?\d\d|Z)$", re.MULTILINE)


def front_matter_head(path: Path) -> str | None:
    """The front matter of the post at `path` (between its `---` lines), or None when it has none."""
    try:
        with path.open("rb") as f:
            text = f.read(16384).decode("utf-8", "replace")
    except OSError:
        return None
    head, sep, _ = text.removeprefix("---\n").partition("\n---\n")
    return head if text.startswith("---\n") and sep else None


def front_matter_date(head: str) -> datetime | None:
    """The full date (with its offset) of a front matter our profiles wrote, or None."""
    match = _FM_STAMP.search(head)
    if match is None:
        return None
    offset = match[3].replace("Z", "+00:00")
    if ":" not in offset:
        offset = offset[:3] + ":" + offset[3:]
    try:
        return datetime.fromisoformat(f"{match[1]}T{match[2]}{offset}")
    except ValueError:
        return None


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


def move_no_clobber(src: Path, dst: Path) -> None:
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
