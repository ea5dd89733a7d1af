"""Test harness: run the `newscli` command line (as `python -m newscli` does) with faults injected.

Used only by tests/test_digest.py, through the environment:

- DIGEST_KILL_AT=WHAT:N — SIGKILL this process at the N-th WHAT:
  `fsync`: before the N-th os.fsync (a post's temporary file is written, not yet renamed);
  `rename`: just after the N-th os.link/os.replace (a file in place, nothing recorded yet);
  `commit`: inside the N-th state transaction that marks articles seen, just before COMMIT.
- DIGEST_FSIZE=BYTES — RLIMIT_FSIZE with SIGXFSZ ignored: writes beyond BYTES fail (disk full).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
from typing import Any


def _arm(what: str, n: int) -> None:
    count = 0

    def hit() -> None:
        nonlocal count
        count += 1
        if count == n:
            os.kill(os.getpid(), signal.SIGKILL)

    if what == "fsync":
        real_fsync = os.fsync

        def fsync(fd: Any) -> None:
            hit()
            real_fsync(fd)

        os.fsync = fsync
    elif what == "rename":
        real_link, real_replace = os.link, os.replace

        def link(*args: Any, **kw: Any) -> None:
            real_link(*args, **kw)
            hit()

        def replace(*args: Any, **kw: Any) -> None:
            real_replace(*args, **kw)
            hit()

        os.link = link
        os.replace = replace
    elif what == "commit":
        real_connect = sqlite3.connect

        class Connection(sqlite3.Connection):
            marking = False

            def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
                if sql.strip().upper() == "COMMIT" and self.marking:
                    self.marking = False
                    hit()
                return super().execute(sql, *args)

            def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
                if "INSERT INTO seen" in sql:
                    self.marking = True
                return super().executemany(sql, *args)

        def connect(*args: Any, **kw: Any) -> sqlite3.Connection:
            kw.setdefault("factory", Connection)
            return real_connect(*args, **kw)

        sqlite3.connect = connect  # type: ignore[assignment]
    else:
        raise SystemExit(f"digest_harness: unknown DIGEST_KILL_AT {what!r}")


def main() -> None:
    kill = os.environ.get("DIGEST_KILL_AT")
    if kill:
        what, _, n = kill.partition(":")
        _arm(what, int(n))
    fsize = os.environ.get("DIGEST_FSIZE")
    if fsize:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(fsize), int(fsize)))

    from newscli.cli.app import app
    from newscli.cli.app import main as cli_main

    if not any(c.name == "digest" for c in app.registered_commands):
        from newscli.cli.digest import digest

        app.command("digest")(digest)
    sys.argv[0] = "newscli"
    cli_main()


if __name__ == "__main__":
    main()
