"""Time per feed file, process start-up included: `newscli fetch FILE --no-full -f ndjson`.

    python bench/feed_files.py                            # every feed fixture in tests/data/feeds
    python bench/feed_files.py --runs 5 FILE...           # other files
    python bench/feed_files.py --code /tmp/old --code .   # two checkouts (e.g. `git archive` of a commit
                                                          # unpacked in /tmp/old), runs interleaved

Each file runs once per checkout to warm the file cache, then --runs times per checkout, the checkouts
taking turns so that load from other work falls on both alike. The table shows, per checkout, the median
wall time and the median CPU time (user + system of the process) per file, then the medians over all
files. CPU time is the steadier figure on a shared machine. Bounded: at most (runs + 1) x checkouts x
files processes, each killed after --timeout seconds.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "data" / "feeds"


def command(path: Path, code_dir: Path) -> list[str]:
    """`newscli fetch PATH --no-full -f ndjson` from `code_dir`, the editable install's finder set aside."""
    boot = (
        "import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'Editable' not in repr(f)]; "
        f"sys.path.insert(0, {str(code_dir)!r}); sys.argv[0] = 'newscli'; "
        "from newscli.cli.launch import main; main()"
    )
    return [sys.executable, "-c", boot, "fetch", str(path), "--no-full", "-f", "ndjson"]


def run_once(cmd: list[str], timeout: float) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, exit code) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--code", type=Path, action="append", help="a folder holding a newscli/ package")
    args = parser.parse_args()
    files = args.files or sorted(p for p in FIXTURES.iterdir() if not p.name.endswith(".expected.json"))
    codes = [c.resolve() for c in args.code or [ROOT]]
    walls: dict[Path, list[float]] = {c: [] for c in codes}
    cpus: dict[Path, list[float]] = {c: [] for c in codes}
    print("  ".join(f"{'wall ms':>8} {'cpu ms':>7} exit" for _ in codes) + "  file")
    for path in files:
        samples: dict[Path, list[tuple[float, float, int]]] = {c: [] for c in codes}
        for c in codes:
            run_once(command(path, c), args.timeout)
        for _ in range(max(1, args.runs)):
            for c in codes:
                samples[c].append(run_once(command(path, c), args.timeout))
        cells = []
        for c in codes:
            wall = statistics.median(s[0] for s in samples[c])
            cpu = statistics.median(s[1] for s in samples[c])
            walls[c].append(wall)
            cpus[c].append(cpu)
            cells.append(f"{wall * 1000:8.1f} {cpu * 1000:7.1f} {samples[c][-1][2]:4d}")
        print("  ".join(cells) + f"  {path.name}", flush=True)
    cells = [
        f"{statistics.median(walls[c]) * 1000:8.1f} {statistics.median(cpus[c]) * 1000:7.1f}     "
        for c in codes
    ]
    print("  ".join(cells) + f"  median of {len(files)} files")
    for n, c in enumerate(codes, 1):
        print(f"checkout {n}: {c}")


if __name__ == "__main__":
    main()
