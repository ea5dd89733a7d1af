#!/usr/bin/env python3
"""Whole-process time of `newscli fetch` over a bench set's pages against a readability-lxml loop on them.

usage: python bench/fetch_time.py [--set aeb] [--runs 5] [--shared ../shared]

The pages are written out once (decompressed) to a temporary folder. Each run times, interleaved,
`newscli fetch -f ndjson PAGE...` (start-up, worker pool, decoding, extraction, metadata, output) and a
fresh interpreter that reads the same files and runs `readability.Document(text).summary()` on each
(start-up and imports included). Prints the median wall time of each and their ratio (goal: ≤ 1.3), and
the median CPU time (user + system, the worker processes included), which a loaded machine disturbs less.
"""

from __future__ import annotations

import argparse
import gzip
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_LOOP = """
import sys
from pathlib import Path
from readability import Document
for name in sys.argv[1:]:
    Document(Path(name).read_text(encoding="utf-8", errors="replace")).summary()
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="aeb")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--shared", default=str(ROOT.parent / "shared"))
    args = parser.parse_args(argv)
    folder = Path(args.shared) / "bench" / args.set / "pages"
    newscli = shutil.which("newscli", path=str(Path(sys.executable).parent))
    if newscli is None:
        print("newscli is not installed beside this interpreter", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for page in sorted(folder.iterdir()):
            data = page.read_bytes()
            if page.name.endswith(".gz"):
                data = gzip.decompress(data)
            target = Path(tmp) / page.name.removesuffix(".gz")
            target.write_bytes(data)
            files.append(str(target))
        commands = {
            "newscli fetch": [newscli, "fetch", "-f", "ndjson", *files],
            "readability loop": [sys.executable, "-c", _LOOP, *files],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(max(1, args.runs)):
            for name, command in commands.items():
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
                times[name].append(time.perf_counter() - start)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    medians = {name: statistics.median(values) for name, values in times.items()}
    cpus = {name: statistics.median(values) for name, values in cpu.items()}
    for name, value in medians.items():
        print(
            f"{name:18} wall {value:6.2f} s ({1000 * value / len(files):5.1f} ms/page)"
            f"  cpu {cpus[name]:6.2f} s  ({len(files)} pages)"
        )
    wall = medians["newscli fetch"] / medians["readability loop"]
    print(
        f"ratio wall {wall:.2f}x (goal <= 1.3x), cpu {cpus['newscli fetch'] / cpus['readability loop']:.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
