"""Time per feed file, process start-up included: `newscli fetch FILE --no-full -f ndjson`.

    python bench/feed_files.py                       # every feed fixture in tests/data/feeds
    python bench/feed_files.py --runs 5 FILE...      # other files

Each file runs once to warm the file cache and then --runs times as a fresh subprocess; the table
shows the median wall time per file and the median over all files. Bounded: at most --runs × files
processes, each killed after --timeout seconds.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "data" / "feeds"


def _newscli() -> str:
    exe = Path(sys.executable).with_name("newscli")
    return str(exe) if exe.exists() else "newscli"


def time_file(path: Path, runs: int, timeout: float) -> tuple[float, int]:
    """(median seconds, exit code of the last run) of `newscli fetch PATH --no-full -f ndjson`."""
    cmd = [_newscli(), "fetch", str(path), "--no-full", "-f", "ndjson"]
    subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    times = []
    code = 0
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        times.append(time.perf_counter() - start)
        code = done.returncode
    return statistics.median(times), code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    files = args.files or sorted(p for p in FIXTURES.iterdir() if not p.name.endswith(".expected.json"))
    medians = []
    for path in files:
        seconds, code = time_file(path, max(1, args.runs), args.timeout)
        medians.append(seconds)
        print(f"{seconds * 1000:8.1f} ms  exit {code}  {path.name}")
    if medians:
        print(f"{statistics.median(medians) * 1000:8.1f} ms  median of {len(medians)} files")


if __name__ == "__main__":
    main()
