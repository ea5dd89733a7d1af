"""Start-up time of newscli against a one-command Typer app on the same interpreter.

    python bench/startup.py                              # this interpreter (the project venv)
    python bench/startup.py --typer-venv /tmp/typer029   # also another venv's Typer, e.g. 0.29

Each command runs as a fresh subprocess, once to warm the file cache and then --runs times;
the table shows the median wall time. Goals: `newscli --help` within 1.3 x the baseline, and
`newscli feeds list --names` (what feed-name completion runs on every TAB) within 1.2 x the one-command
app running its command, with the configuration named by NEWSCLI_CONFIG and found in the default place.
Then `python -X importtime -c "import newscli.cli.app"` shows what importing the CLI costs.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.3
NAMES_GOAL = 1.2

BASELINE_APP = '''\
import typer

app = typer.Typer()


@app.command()
def hello(name: str = typer.Option("world", help="Who to greet.")) -> None:
    """Say hello."""
    print(f"hello {name}")


if __name__ == "__main__":
    app()
'''

# newscli in another venv that has only Typer: its other dependencies come from this interpreter's
# site-packages, appended after the venv's own so that the venv's Typer is the one imported.
NEWSCLI_ELSEWHERE = "import sys; sys.path.append({site!r}); from newscli.cli.launch import main; main()"


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall and CPU (user + system) milliseconds of one run, and its exit status."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    status = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall * 1000, cpu * 1000, status


def measure(
    commands: list[list[str]], env: dict[str, str], runs: int
) -> list[tuple[float, float, float, int]]:
    """Median wall, fastest wall and median CPU ms, and the exit status, of each command.

    Runs go round-robin (one warm-up round first) so a busy machine slows every command alike.
    """
    walls: list[list[float]] = [[] for _ in commands]
    cpus: list[list[float]] = [[] for _ in commands]
    statuses = [run_once(argv, env)[2] for argv in commands]
    for _ in range(runs):
        for i, argv in enumerate(commands):
            wall, cpu, _ = run_once(argv, env)
            walls[i].append(wall)
            cpus[i].append(cpu)
    return [
        (statistics.median(w), min(w), statistics.median(c), s)
        for w, c, s in zip(walls, cpus, statuses, strict=True)
    ]


def typer_version(python: str) -> str:
    """The Typer version importable by an interpreter."""
    out = subprocess.run(
        [python, "-c", "import typer; print(typer.__version__)"], capture_output=True, text=True
    )
    return out.stdout.strip() or "?"


def newscli_command() -> list[str]:
    """The installed console script beside this interpreter, else `python -m newscli`."""
    script = Path(sys.executable).parent / "newscli"
    return [str(script)] if script.exists() else [sys.executable, "-m", "newscli"]


def importtime(python: str, env: dict[str, str], top: int = 12) -> list[tuple[int, int, str]]:
    """(self µs, cumulative µs, module) of the slowest imports of `import newscli.cli.app`, by cumulative time."""
    out = subprocess.run(
        [python, "-X", "importtime", "-c", "import newscli.cli.app"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
        rows.append((int(self_us), int(cumulative_us), name.rstrip()))
    return sorted(rows, key=lambda row: -row[1])[:top]


def main() -> int:
    """Print the start-up table, the ratio to the goal, and the import-time offenders."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command (default 15)")
    parser.add_argument(
        "--typer-venv",
        type=Path,
        action="append",
        default=[],
        help="another venv whose Typer runs the same baseline app and newscli --help",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="newscli-bench-") as tmp:
        home = Path(tmp)
        # twenty subscriptions, for `feeds list --names`
        feeds = "".join(
            f'[[feeds]]\nname = "feed-{i}"\nurl = "https://news{i}.example/rss.xml"\n\n' for i in range(20)
        )
        (home / "config.toml").write_text(feeds, "utf-8")
        # the same file where it is found when NEWSCLI_CONFIG is not set (XDG_CONFIG_HOME/newscli/)
        (home / "xdg" / "newscli").mkdir(parents=True)
        (home / "xdg" / "newscli" / "config.toml").write_text(feeds, "utf-8")
        app_file = home / "one_command_app.py"
        app_file.write_text(BASELINE_APP, "utf-8")
        env = {
            **os.environ,
            "NEWSCLI_HOME": str(home),
            "NEWSCLI_CONFIG": str(home / "config.toml"),
            "PYTHONPATH": str(ROOT),
        }
        env.pop("COLUMNS", None)
        # as installed: modules compiled once (pip writes .pyc files), not on every run
        env.pop("PYTHONDONTWRITEBYTECODE", None)

        newscli = newscli_command()
        plain_file = home / "one_command_app_plain.py"
        plain_file.write_text(
            BASELINE_APP.replace("typer.Typer()", "typer.Typer(rich_markup_mode=None)"), "utf-8"
        )
        labelled: list[tuple[str, str, list[str]]] = []
        version = typer_version(sys.executable)
        pythons = [(sys.executable, version, newscli)]
        for venv in args.typer_venv:
            python = str(venv / "bin" / "python")
            site = sysconfig.get_paths()["purelib"]
            pythons.append(
                (python, typer_version(python), [python, "-c", NEWSCLI_ELSEWHERE.format(site=site)])
            )
        for python, typer, cli in pythons:
            labelled += [
                ("one-command Typer app --help", typer, [python, str(app_file), "--help"]),
                ("one-command Typer app, plain help, --help", typer, [python, str(plain_file), "--help"]),
                ("one-command Typer app --name x (runs it)", typer, [python, str(plain_file), "--name", "x"]),
                ("newscli --help", typer, [*cli, "--help"]),
                ("newscli fetch --help", typer, [*cli, "fetch", "--help"]),
                ("newscli feeds list --names (runs it)", typer, [*cli, "feeds", "list", "--names"]),
                (
                    "newscli feeds list --names, config in its default place",
                    typer,
                    [
                        "env",
                        "-u",
                        "NEWSCLI_CONFIG",
                        f"XDG_CONFIG_HOME={home / 'xdg'}",
                        *cli,
                        "feeds",
                        "list",
                        "--names",
                    ],
                ),
            ]
        results = measure([argv for _, _, argv in labelled], env, args.runs)

        print(
            f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, median of {args.runs} runs each "
            f"(round-robin), newscli run as: {' '.join(Path(a).name for a in newscli)}\n"
        )
        print("| command | typer | median ms | fastest ms | CPU ms | median × baseline |")
        print("|---|---|---:|---:|---:|---:|")
        baseline = results[0][0]
        for (label, typer, _), (wall, fastest, cpu, status) in zip(labelled, results, strict=True):
            note = "" if status == 0 else f" (exit {status})"
            print(
                f"| `{label}`{note} | {typer} | {wall:.0f} | {fastest:.0f} | {cpu:.0f} | {wall / baseline:.2f} |"
            )
        ratio = results[3][0] / baseline
        verdict = "meets" if ratio <= GOAL else "misses"
        print(
            f"\nnewscli --help / one-command app --help = {ratio:.2f} median, "
            f"{results[3][1] / results[0][1]:.2f} fastest ({verdict} the goal of {GOAL} ×); "
            f"against the plain-help app: {results[3][0] / results[1][0]:.2f} median, "
            f"{results[3][1] / results[1][1]:.2f} fastest"
        )

        runs_it = results[2]
        for row, where in ((results[5], "NEWSCLI_CONFIG"), (results[6], "default place")):
            ratio = row[0] / runs_it[0]
            verdict = "meets" if ratio <= NAMES_GOAL else "misses"
            print(
                f"newscli feeds list --names ({where}) / one-command app --name x = {ratio:.2f} median, "
                f"{row[1] / runs_it[1]:.2f} fastest, {row[2] / runs_it[2]:.2f} CPU "
                f"({verdict} the goal of {NAMES_GOAL} ×)"
            )

        print('\nSlowest imports of `python -X importtime -c "import newscli.cli.app"` (cumulative):\n')
        print("| module | self ms | cumulative ms |")
        print("|---|---:|---:|")
        for self_us, cumulative_us, name in importtime(sys.executable, env):
            print(f"| `{name.strip()}` | {self_us / 1000:.1f} | {cumulative_us / 1000:.1f} |")
        loaded = subprocess.run(
            [sys.executable, "-c", "import sys, newscli.cli.app; print(len(sys.modules))"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        print(f"\nmodules loaded by `import newscli.cli.app`: {loaded}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
