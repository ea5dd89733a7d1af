"""What `fetch` does on a terminal: a transient progress line on stderr, and a pager the way git does it:
$NEWSCLI_PAGER, else $PAGER, else `less -FRX`; empty (or `cat`) means none. Output is held back only until
it is taller than the screen; then the pager starts and gets everything so far and the rest as it comes.
Output that fits is printed at the end, so a short article never starts a pager."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import IO

from newscli.net.cores import every_cpu

DEFAULT = "less -FRX"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def pager_command(environ: Mapping[str, str] | None = None) -> str | None:
    """The pager to use, or None for none: $NEWSCLI_PAGER, else $PAGER, else less -FRX (when installed)."""
    env = os.environ if environ is None else environ
    for name in ("NEWSCLI_PAGER", "PAGER"):
        if name in env:
            command = env[name].strip()
            return None if command in ("", "cat") else command
    return DEFAULT if shutil.which("less") else None


def rows(text: str, columns: int) -> int:
    """How many terminal rows `text` takes at `columns` wide (double-width characters count twice)."""
    from rich.cells import cell_len

    total = 0
    for line in _ANSI.sub("", text).split("\n"):
        total += max(1, -(-cell_len(line) // max(1, columns)))
    return total


class Paged(io.TextIOBase):
    """A text stream to the terminal that turns into a pager once what was written is taller than it."""

    def __init__(self, out: IO[str], command: str, *, height: int, width: int) -> None:
        self.out, self.command, self.height, self.width = out, command, height, width
        self.on_start: Callable[[], None] = lambda: (
            None
        )  # e.g. stop a progress line: the pager has the screen
        self.held: list[str] = []
        self.proc: subprocess.Popen[str] | None = None
        self.direct = False  # the pager could not start: straight to the terminal

    def isatty(self) -> bool:  # rich: colours as on the terminal the pager shows them on
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.out, "encoding", None) or "utf-8"

    def write(self, text: str) -> int:
        if self.direct:
            return self.out.write(text)
        if self.proc is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.write(text)
            return len(text)
        self.held.append(text)
        if rows("".join(self.held), self.width) > self.height:
            self._start()
        return len(text)

    def _start(self) -> None:
        self.on_start()
        env = dict(os.environ)
        env.setdefault(
            "LESS", "FRX"
        )  # as git: a bare `less` in $PAGER still keeps colours and exits on short
        env.setdefault("LV", "-c")
        try:
            with every_cpu():  # though the fetch holds its threads to one (newscli.net.cores)
                self.proc = subprocess.Popen(
                    self.command,
                    shell=True,
                    stdin=subprocess.PIPE,
                    env=env,
                    text=True,
                    encoding=self.encoding,
                    errors=getattr(self.out, "errors", None) or "strict",
                )
        except OSError:
            self.direct = True
            self.out.write("".join(self.held))
            self.held = []
            return
        assert self.proc.stdin is not None
        self.proc.stdin.write("".join(self.held))
        self.held = []

    def flush(self) -> None:
        if self.direct:
            self.out.flush()
        elif self.proc is not None and self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.flush()

    def close(self) -> None:
        """Print what fitted, or let the pager have the rest and wait until the reader quits it."""
        if self.closed:
            return
        if self.proc is None:  # it fitted (or no pager could start)
            self.out.write("".join(self.held))
            self.out.flush()
            self.held = []
        else:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
            except BrokenPipeError:
                pass  # the reader quit the pager before the end
            self.proc.wait()
        super().close()


def open_paged(enabled: bool) -> IO[str]:
    """stdout, through a pager when it is a terminal, paging is on and a pager is configured."""
    out = sys.stdout
    if not enabled or not out.isatty():
        return out
    command = pager_command()
    if command is None:
        return out
    size = shutil.get_terminal_size()
    return Paged(out, command, height=max(1, size.lines - 1), width=size.columns)  # type: ignore[return-value]


class StatusLine:
    """A transient progress line on stderr, only when stderr is a terminal (never in pipes or cron).

    It appears after `delay` seconds of waiting, is redrawn from a thread, and is wiped before anything
    else is printed (`pause`) and for good when a pager takes the screen (`stop`).
    """

    def __init__(self, text: Callable[[float], str], *, delay: float = 0.5, every: float = 0.2) -> None:
        self.text, self.delay, self.every = text, delay, every
        self.err = sys.stderr
        self.enabled = self.err.isatty()
        self.lock = threading.RLock()
        self.shown = False
        self.last = ""
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None
        self.started = time.monotonic()

    def __enter__(self) -> StatusLine:
        if self.enabled:
            self.thread = threading.Thread(target=self._run, name="status", daemon=True)
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        if self.stopped.wait(self.delay):
            return
        while not self.stopped.is_set():
            self._draw()
            self.stopped.wait(self.every)

    def _draw(self) -> None:
        from rich.cells import set_cell_size

        from newscli.cli.render import clean

        with self.lock:
            if self.stopped.is_set():
                return
            width = shutil.get_terminal_size().columns
            line = set_cell_size(
                clean(self.text(time.monotonic() - self.started)), max(1, width - 1)
            ).rstrip()
            if self.shown and line == self.last:
                return
            self.last = line
            self.err.write("\r\x1b[2K" + line)
            self.err.flush()
            self.shown = True

    def _wipe(self) -> None:
        if self.shown:
            self.err.write("\r\x1b[2K")
            self.err.flush()
            self.shown = False

    @contextlib.contextmanager
    def pause(self) -> Iterator[None]:
        """Wipe the line while something else prints; it comes back at the next redraw."""
        with self.lock:
            self._wipe()
            yield

    def stop(self) -> None:
        with self.lock:
            self.stopped.set()
            self._wipe()
