"""The console script's entry point: `newscli feeds list --names`, which shell completion runs for feed
names on every TAB, is answered here without loading the command-line framework (Typer and Click: ~70 ms
before the first name); every other command line goes to the Typer app (newscli.cli.app.main)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Console-script entry point."""
    if sys.argv[1:] == ["feeds", "list", "--names"] and _feed_names():
        return
    from newscli.cli.app import main as app_main

    app_main()


def _feed_names() -> bool:
    """Write the subscribed feeds' names as `feeds list --names` does; False, having written nothing, when
    the configuration cannot be read (the full command then says why, with its exit code)."""
    from newscli.config import load_config

    try:
        feeds = list(load_config().feeds)
    except Exception:  # noqa: BLE001 - the full command reports it
        return False
    from newscli.cli.render import clean

    try:
        sys.stdout.write("".join(clean(feed.name) + "\n" for feed in feeds))
        sys.stdout.flush()
    except BrokenPipeError:  # `| head` has what it wanted: leave quietly, as every command does
        os._exit(141)
    return True
