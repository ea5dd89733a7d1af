"""`newscli digest`: the cron job. Parse options, call digest.run_digest, report only what went wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer


def digest(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            file_okay=False,
            help="Folder for the posts and the day's digest page [default: `out` in the config file]. "
            "Example: --out ~/site/_posts",
            show_default=False,
        ),
    ] = None,
    feed: Annotated[
        list[str] | None,
        typer.Option("--feed", help="Only this subscribed feed (repeatable). Example: --feed kejiribao"),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Skip entries published before a date or duration, and remember them as seen "
            "(a first run without a backfill). Example: --since 2d",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be written; write nothing.")
    ] = False,
    keep_days: Annotated[
        int | None,
        typer.Option(
            "--keep-days", min=1, help="Keep N days of posts in --out; move older ones to --archive."
        ),
    ] = None,
    archive: Annotated[
        Path | None,
        typer.Option(
            "--archive",
            file_okay=False,
            help="Where --keep-days moves older posts. Example: --archive old_post",
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Say what was done for every feed.")
    ] = False,
    budget: Annotated[
        float | None,
        typer.Option(
            "--budget",
            min=1,
            help="Seconds the run may spend fetching; what is left waits for the next run "
            "[default: budget in the config, else 240].",
            show_default=False,
        ),
    ] = None,
    allow_private: Annotated[
        bool,
        typer.Option(
            "--allow-private",
            help="Let links and redirects in feeds reach loopback and private addresses (an intranet); "
            "also allow_private = true in the config.",
        ),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for unexpected errors.")] = False,
) -> None:
    """Save every new article of the subscribed feeds as a post, plus the day's digest page.

    Silent when everything worked; one line per failing feed on stderr otherwise.
    Exit status: 0 done, 1 some feeds failed or must wait, 3 all failed,
    4 another digest is running, 2 usage error.

    \b
    Example crontab line (every 10 minutes, keeping three days of posts):
      */10 * * * * newscli digest --out ~/site/_posts --keep-days 3 --archive ~/site/old_post
    """
    from newscli.cli.commands import run_command

    run_command(
        lambda: _run(
            out=out,
            feeds=feed or [],
            since=since,
            dry_run=dry_run,
            keep_days=keep_days,
            archive=archive,
            verbose=verbose,
            allow_private=allow_private,
            budget=budget,
        ),
        debug=debug,
    )


def _say(message: str) -> None:
    from newscli.cli.render import say

    say(message)


def _run(
    *,
    out: Path | None,
    feeds: list[str],
    since: str | None,
    dry_run: bool,
    keep_days: int | None,
    archive: Path | None,
    verbose: bool,
    allow_private: bool = False,
    budget: float | None = None,
) -> int:
    import sys

    from newscli.cli.render import clean
    from newscli.config import effective, load_config
    from newscli.dates import local_zone, parse_since, zone
    from newscli.digest.run import run_digest
    from newscli.errors import UsageError
    from newscli.net.cores import one_cpu

    config = load_config()
    defaults = config.defaults
    out = effective(out, "NEWSCLI_OUT", defaults.out, None, cast=Path)
    if out is None:
        raise UsageError('digest: no output folder; give --out DIR or set out = "DIR" in the config file')
    out = Path(out).expanduser()
    archive = effective(archive, None, defaults.archive, None)
    keep_days = effective(keep_days, None, defaults.keep_days, None)
    if archive is not None:
        archive = Path(archive).expanduser()
    tz_name = effective(None, "NEWSCLI_TZ", defaults.tz, None)
    tz = zone(tz_name) if tz_name else local_zone()
    since_at = parse_since(since, tz=tz) if since else None

    # the run's threads take turns on the interpreter lock: on one CPU, the workers on all (newscli.net.cores)
    with one_cpu():
        progress, stop = _progress()
        try:
            report = run_digest(
                out=out,
                feeds=feeds or None,
                since=since_at,
                dry_run=dry_run,
                keep_days=keep_days,
                archive=archive,
                config=config,
                progress=progress,
                allow_private=allow_private,
                budget=budget,
            )
        finally:
            stop()
    if dry_run:
        for line in report.planned:
            sys.stdout.write(clean(line) + "\n")
        sys.stdout.flush()
    if verbose:
        for outcome in report.feeds:
            _say(_summary(outcome))
            for path in outcome.saved:
                _say(f"  saved {path}")
            for warning in outcome.warnings:
                _say(f"  warning: {warning}")
        if report.digest_page is not None:
            _say(f"digest page {report.digest_page}")
        for src, dst in report.archived:
            _say(f"archived {src} -> {dst}")
    for line in report.problems(tz):
        _say(line)
    return report.exit_code


def _summary(outcome: Any) -> str:
    if outcome.status == "new":
        n = len(outcome.saved) or len(outcome.planned)
        return f"{outcome.name}: {n} new post{'s' if n != 1 else ''}"
    if outcome.status == "unchanged":
        return f"{outcome.name}: nothing new"
    if outcome.status == "skipped":
        return f"{outcome.name}: skipped (the server asked to wait)"
    return f"{outcome.name}: {outcome.status}: {outcome.error}"


def _progress() -> tuple[Any, Any]:
    """A progress bar on stderr, only when stderr is a terminal (cron sees nothing)."""
    import sys

    if not sys.stderr.isatty():
        return None, lambda: None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(
        TextColumn("feeds"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("", total=None)
    bar.start()

    def update(done: int, total: int, outcome: Any) -> None:
        from rich.markup import escape

        from newscli.cli.render import clean

        bar.update(task, completed=done, total=total, description=escape(clean(outcome.name)))

    return update, bar.stop
