"""Pictures of newscli's rich terminal view for the README: docs/fetch-zh.svg and docs/fetch-en.svg.

    python scripts/screenshots.py            # rewrite the pictures
    python scripts/screenshots.py --check    # exit 1 if a picture would change

Each picture is the real program's output: `newscli fetch FILE -f rich` runs in a subprocess
with colours forced on and a fixed terminal width; its ANSI output is read back with
Rich's `Text.from_ansi` into a recording console and exported with `save_svg`. Only the
first lines are kept, so the picture stays a readable size.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.text import Text

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
WIDTH = 80
# Rich's SVG names Fira Code, then monospace. Han characters come from a fallback font, so name the
# usual CJK monospace and UI fonts first (each span's textLength keeps two cells per character anyway).
FONTS = (
    'Fira Code, "Noto Sans Mono CJK SC", "Sarasa Mono SC", "Source Han Mono SC", "PingFang SC", '
    '"Microsoft YaHei", "Noto Sans CJK SC", monospace'
)


@dataclass(frozen=True)
class Shot:
    """One picture: the example page, at most how many lines of output to keep, where the SVG goes."""

    source: str  # relative to the repository root, as typed in the README
    lines: int
    svg: str
    tz: str  # the reader's zone: the rich view shows dates in local time


SHOTS = [
    Shot("examples/kejiribao-share.html", 22, "fetch-zh.svg", "Asia/Shanghai"),
    Shot("examples/harbour-tide-turbine.html", 24, "fetch-en.svg", "Europe/London"),
]


def newscli_command() -> list[str]:
    """The console script beside this interpreter, else `python -m newscli`."""
    script = Path(sys.executable).parent / "newscli"
    return [str(script)] if script.exists() else [sys.executable, "-m", "newscli"]


def run_rich_view(source: str, home: Path, tz: str = "UTC") -> str:
    """The ANSI text `newscli fetch SOURCE -f rich` writes to a WIDTH-column colour terminal."""
    env = {
        **os.environ,
        "FORCE_COLOR": "1",
        "COLUMNS": str(WIDTH),
        "LINES": "50",
        "TERM": "xterm-256color",
        "NEWSCLI_HOME": str(home),
        "NEWSCLI_CONFIG": str(home / "config.toml"),
        "TZ": tz,
    }
    env.pop("NO_COLOR", None)
    result = subprocess.run(
        [*newscli_command(), "fetch", source, "-f", "rich"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise SystemExit(f"newscli fetch {source} failed ({result.returncode}): {result.stderr.decode()}")
    return result.stdout.decode("utf-8")


def svg(shot: Shot, ansi: str) -> str:
    """The SVG of a prompt line and the first lines of the output."""
    console = Console(
        record=True, width=WIDTH, file=io.StringIO(), force_terminal=True, color_system="truecolor"
    )
    # the zone is part of the command: the rich view shows dates in the reader's zone
    console.print(Text.assemble(("$ ", "green"), f"TZ={shot.tz} newscli fetch {shot.source}"))
    lines = ansi.splitlines()
    kept = lines[: shot.lines]
    if len(lines) > shot.lines and "" in kept:
        kept = kept[: len(kept) - kept[::-1].index("")]  # end at a paragraph break
    console.print(Text.from_ansi("\n".join(kept).rstrip()), soft_wrap=True)
    if len(lines) > len(kept):
        console.print(Text("…", style="dim"))
    picture = console.export_svg(title=f"newscli fetch {Path(shot.source).name}")
    return picture.replace("font-family: Fira Code, monospace;", f"font-family: {FONTS};", 1)


def main(argv: list[str] | None = None) -> int:
    """Render every picture; with --check, only report those that differ."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a picture would change"
    )
    args = parser.parse_args(argv)
    DOCS.mkdir(exist_ok=True)
    changed = []
    with tempfile.TemporaryDirectory(prefix="newscli-shots-") as tmp:
        home = Path(tmp)
        (home / "config.toml").write_text("", "utf-8")
        for shot in SHOTS:
            path = DOCS / shot.svg
            text = svg(shot, run_rich_view(shot.source, home, shot.tz))
            if path.exists() and path.read_text("utf-8") == text:
                continue
            changed.append(path)
            if not args.check:
                path.write_text(text, "utf-8")
            print(("out of date: " if args.check else "wrote ") + str(path.relative_to(ROOT)))
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
