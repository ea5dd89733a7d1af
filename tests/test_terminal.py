"""`fetch` on a terminal pages a view taller than the screen ($NEWSCLI_PAGER, $PAGER, less -FRX) and never
pages in a pipe; run as a user runs it, in a pseudo-terminal of a known size."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "kejiribao-share.html"  # a Chinese article of about 60 rows at 80 columns
TITLE = "从“弯道超车”到“换道超车”"


def run_in_pty(
    args: list[str], env: dict[str, str], *, rows: int = 24, columns: int = 80, timeout: float = 60
) -> tuple[int, str]:
    """Run newscli with stdout and stderr on a pseudo-terminal of rows × columns; its exit code and screen text."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    full_env = {
        k: v for k, v in os.environ.items() if k not in ("PAGER", "NEWSCLI_PAGER", "LESS", "COLUMNS", "LINES")
    }
    full_env.update({"PYTHONPATH": str(ROOT), "TERM": "xterm-256color", **env})
    proc = subprocess.Popen(
        [sys.executable, "-m", "newscli", *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env=full_env,
        cwd=ROOT,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: every writer closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return code, b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture
def recorder(tmp_path: Path) -> tuple[str, Path]:
    """A pager command that records what it was given (its input, argv and LESS) and prints one word."""
    log = tmp_path / "paged.json"
    script = tmp_path / "pager.py"
    script.write_text(
        "import json, os, sys\n"
        "data = sys.stdin.buffer.read().decode('utf-8')\n"
        "cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else None\n"
        f"json.dump({{'argv': sys.argv[1:], 'input': data, 'less': os.environ.get('LESS'), 'cpus': cpus}}, open({str(log)!r}, 'w'))\n"
        "print('PAGER-WAS-HERE')\n",
        "utf-8",
    )
    return f"{sys.executable} {script} --flag", log


def test_a_tall_article_goes_through_newscli_pager_with_colours_and_chinese(recorder):
    command, log = recorder
    code, screen = run_in_pty(["fetch", str(EXAMPLE)], {"NEWSCLI_PAGER": command, "PAGER": "false"}, rows=20)
    assert code == 0, screen
    assert "PAGER-WAS-HERE" in screen and TITLE not in screen  # nothing printed past the pager
    paged = json.loads(log.read_text("utf-8"))
    assert paged["argv"] == ["--flag"]  # a command line, as in git: words and options
    assert TITLE in paged["input"]  # double-width text intact
    assert "\x1b[1m" in paged["input"]  # the bold title's colour codes, for less -R
    assert paged["less"] == "FRX"  # a bare `less` in the variable still keeps colours
    if hasattr(os, "sched_getaffinity"):  # the fetch keeps its threads to one CPU, the pager has them all
        assert paged["cpus"] == sorted(os.sched_getaffinity(0))


def test_pager_falls_back_to_dollar_pager_and_text_format_pages_too(recorder):
    command, log = recorder
    code, screen = run_in_pty(
        ["fetch", str(EXAMPLE), "-f", "text"], {"PAGER": command, "LESS": "-S"}, rows=20
    )
    assert code == 0, screen
    assert "PAGER-WAS-HERE" in screen
    paged = json.loads(log.read_text("utf-8"))
    assert TITLE in paged["input"] and "\x1b[" not in paged["input"]
    assert paged["less"] == "-S"  # the user's own LESS is left alone


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--no-pager"], {}),
        ([], {"NEWSCLI_PAGER": ""}),  # empty: off, even with $PAGER set
        ([], {"NEWSCLI_PAGER": "cat"}),
    ],
)
def test_no_pager_flag_and_empty_variable_print_straight_to_the_terminal(recorder, args, env):
    command, log = recorder
    code, screen = run_in_pty(["fetch", str(EXAMPLE), *args], {"PAGER": command, **env}, rows=20)
    assert code == 0, screen
    assert TITLE in screen and "PAGER-WAS-HERE" not in screen
    assert not log.exists()


def test_a_view_that_fits_the_screen_is_not_paged(recorder):
    command, log = recorder
    code, screen = run_in_pty(["fetch", str(EXAMPLE)], {"NEWSCLI_PAGER": command}, rows=200)
    assert code == 0, screen
    assert TITLE in screen and not log.exists()


def test_default_pager_is_less_frx(tmp_path, recorder):
    command, log = recorder
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    less = bin_dir / "less"
    less.write_text(f'#!/bin/sh\nexec {command} "$@"\n', "utf-8")
    less.chmod(0o755)
    code, screen = run_in_pty(["fetch", str(EXAMPLE)], {"PATH": f"{bin_dir}:{os.environ['PATH']}"}, rows=20)
    assert code == 0, screen
    assert json.loads(log.read_text("utf-8"))["argv"] == ["--flag", "-FRX"]


def test_never_in_a_pipe(recorder):
    command, log = recorder
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NEWSCLI_PAGER": command, "PAGER": command}
    result = subprocess.run(
        [sys.executable, "-m", "newscli", "fetch", str(EXAMPLE), "-f", "text"],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0
    assert TITLE in result.stdout.decode() and not log.exists()


# ---- progress on stderr ---------------------------------------------------------------------------------


def _slow_feed(http_server) -> str:  # type: ignore[no-untyped-def]
    page = (
        "<html><head><title>{0}</title></head><body><article><h1>{0}</h1>"
        + "<p>{0} body text. </p>" * 8
        + "</article></body></html>"
    )
    for name in ("one", "two"):
        http_server.serve(f"/{name}.html", page.format(name.title()), delay=1.0)
    base = http_server.url("")
    items = "".join(
        f"<item><title>{n}</title><link>{base}/{n}.html</link><description>teaser</description></item>"
        for n in ("one", "two")
    )
    return http_server.serve(
        "/feed.xml",
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title><link>{base}/</link>{items}</channel></rss>',
        content_type="application/rss+xml",
    )


def test_long_fetch_shows_a_transient_progress_line_on_a_terminal(http_server):
    feed = _slow_feed(http_server)
    code, screen = run_in_pty(["fetch", feed, "--full", "-f", "text", "--concurrency", "1"], {}, rows=200)
    assert code == 0, screen
    assert "newscli: fetching… 0/2 done" in screen
    assert "\r\x1b[2K" in screen  # wiped, not left behind
    last_wipe = screen.rindex("\r\x1b[2K")
    assert "fetching" not in screen[last_wipe:]  # gone at the end
    assert "One" in screen and "Two" in screen


def test_no_progress_line_in_a_pipe(http_server):
    feed = _slow_feed(http_server)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "newscli", "fetch", feed, "--full", "-f", "text"],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
