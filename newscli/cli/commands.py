"""Command bodies behind app.py: build options, run the library, render, map errors to exit codes."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import typer

from newscli.errors import NewsError, UsageError, redact


def _say(message: str) -> None:
    from newscli.cli.render import say

    say(message)


class Terminated(KeyboardInterrupt):
    """SIGTERM (kill, systemd, a cron timeout): handled as Ctrl-C is, with its own exit status."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


def interrupted(status: int = 130) -> NoReturn:
    """Ctrl-C or SIGTERM: say so and leave now; threads waiting on the network would hold a normal exit to
    their deadline. 130 = 128 + SIGINT, 143 = 128 + SIGTERM, as shells report them."""
    _say("terminated" if status == 143 else "interrupted")
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    os._exit(status)


def run_command(body: Callable[[], int], *, debug: bool) -> NoReturn:
    """Run a command body and leave with its exit code; the one place errors become messages and codes."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        with contextlib.suppress(ValueError, OSError):
            signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        code = body()
    except NewsError as exc:
        if debug:
            raise
        _say(str(exc))
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt as exc:
        # Safe for every command: files are written atomically, state advances only after they are on disk.
        interrupted(143 if isinstance(exc, Terminated) else 130)
    except BrokenPipeError:
        # `| head` closed the pipe: that reader has what it wanted. Leave quietly, now.
        os._exit(141)
    except typer.Exit:
        raise
    except Exception as exc:  # a bug: one line, not a traceback, unless asked for
        if debug:
            raise
        _say(f"unexpected error: {type(exc).__name__}: {exc} (run again with --debug for the traceback)")
        raise typer.Exit(1) from None
    sys.stderr.flush()
    raise typer.Exit(code)


def run_fetch(*, debug: bool, **options: Any) -> NoReturn:
    """`newscli fetch`: everything that can fail on the command line fails before any network work."""
    run_command(lambda: _fetch(**options), debug=debug)


def _post_options(
    profile: str | None,
    sets: list[str],
    footer: str | None,
    filename: str | None,
    body: str | None,
    defaults: Any,
) -> Any:
    from newscli.posts.post import PostOptions

    pairs = list(defaults.sets) if defaults is not None else []
    for item in sets:
        key, eq, template = item.partition("=")
        if not eq or not key.strip():
            raise UsageError(f"--set {item!r}: expected KEY=TEMPLATE")
        pairs.append((key.strip(), template))
    kwargs: dict[str, Any] = {"sets": tuple(pairs)}
    if profile is None:
        from newscli.config import effective

        profile = effective(None, "NEWSCLI_PROFILE", getattr(defaults, "profile", None), None)
    for name, flag in (("profile", profile), ("body", body), ("footer", footer), ("filename", filename)):
        value = flag if flag is not None else getattr(defaults, name, None)
        if value is not None:
            kwargs[name] = value
    options = PostOptions(**kwargs)
    options.check()
    return options


def _fetch(
    *,
    sources: list[str],
    format: str | None,
    full: bool | None,
    limit: int | None,
    since: str | None,
    save: Path | None,
    profile: str | None,
    sets: list[str],
    footer: str | None,
    filename: str | None,
    body: str | None,
    tz: str | None,
    encoding: str | None,
    base_url: str | None,
    timeout: float | None,
    concurrency: int | None,
    user_agent: str | None,
    items: str | None = None,
    fields: list[str] | None = None,
    templates: list[str] | None = None,
    render: bool | None = None,
    pager: bool = True,
) -> int:
    from newscli.config import effective, load_config
    from newscli.dates import parse_since, zone
    from newscli.net.cores import one_cpu
    from newscli.pipeline import Fetcher, FetchOptions, exit_code

    config = load_config()
    defaults = config.defaults
    tz = effective(tz, "NEWSCLI_TZ", defaults.tz, None)
    if tz:
        zone(tz)  # unknown zone: usage error now, not per article
    if encoding is not None:
        from newscli.page.charset import codec_name

        if codec_name(encoding) is None:
            raise UsageError(f"--encoding: unknown character set {encoding!r}")
    api = _api_mapping(items, fields or [], templates or [])
    render = render if render is not None else bool(defaults.render)
    if render:
        from newscli.net.browser import check_render

        check_render()  # no Playwright or no Chromium: a usage error now, saying what to install
    post_options = None
    fmt = format or ("rich" if sys.stdout.isatty() else "text")
    if save is not None or fmt == "markdown":
        post_options = _post_options(profile, sets, footer, filename, body, defaults)
    elif sets or footer or filename:
        _post_options(profile, sets, footer, filename, body, defaults)  # still a usage error when wrong
    if save is not None:
        from newscli.posts.folder import PostFolder

        PostFolder(save).check()  # not writable, not a directory: said before any fetching
    options = FetchOptions(
        full=full,  # else the feed's own setting, else the config's default (via settings_for)
        limit=limit,
        since=parse_since(since) if since else None,
        tz=tz,
        encoding=encoding,
        base_url=base_url,
        timeout=float(effective(timeout, "NEWSCLI_TIMEOUT", defaults.timeout, 30.0)),
        concurrency=effective(concurrency, "NEWSCLI_CONCURRENCY", defaults.concurrency, None, cast=int),
        per_host=int(effective(None, "NEWSCLI_PER_HOST", defaults.per_host, 6)),
        user_agent=effective(user_agent, "NEWSCLI_USER_AGENT", defaults.user_agent, None),
        allow_private=bool(defaults.allow_private),
        settings_for=_subscribed(config),
        api=api,
        render=render,
    )

    from newscli.cli.terminal import StatusLine

    _leave_when_the_reader_goes(sys.stdout)
    total = failed = flagged = 0

    def progress(elapsed: float) -> str:
        counts = f"{total}/{fetcher.planned} done" if fetcher.planned > total else f"{total} done"
        return f"newscli: fetching… {counts} · {elapsed:.0f} s"

    with (
        one_cpu(),  # the fetches' threads take turns on the interpreter lock: on one CPU (newscli.net.cores)
        Fetcher(options) as fetcher,
        _Output(fmt, save, post_options, pager=pager) as output,
        StatusLine(progress) as status,
    ):
        if hasattr(output.out, "on_start"):
            output.out.on_start = status.stop  # the pager takes the screen
        for record in fetcher.run(sources):
            total += 1
            with status.pause():
                for warning in record.warnings:
                    _say(f"warning: {redact(record.input)}: {warning}")
                if record.error is not None:
                    _say(str(record.error) + (" (showing the feed's summary)" if record.article else ""))
                    failed += record.article is None
                    flagged += record.article is not None
                if not output.emit(record):
                    failed += 1
    return exit_code(total, failed, flagged)


def _api_mapping(items: str | None, fields: list[str], templates: list[str]) -> Any:
    """The JSON API mapping of --items/--field/--template, checked; None without --items."""
    if items is None:
        if fields or templates:
            raise UsageError("--field and --template go with --items (the JMESPath to the list of entries)")
        return None
    from newscli.feeds.jsonapi import ApiMapping, parse_pairs

    mapping = ApiMapping(items, parse_pairs(fields, "--field"), parse_pairs(templates, "--template"))
    mapping.check()
    return mapping


def _leave_when_the_reader_goes(stream: Any) -> None:
    """A reader that closes our pipe early (`| head`) ends the run at once, not at the next write.

    The next write may be far off (a slow page still to come); a watcher sees the pipe's reader go
    (POLLERR on the write end) and leaves as a closed pipe does. Safe at any moment: posts are written
    atomically and nothing else is left half done.
    """
    import select
    import stat
    import threading

    try:
        fd = stream.fileno()
        if not stat.S_ISFIFO(os.fstat(fd).st_mode) or not hasattr(select, "poll"):
            return
    except (OSError, ValueError, AttributeError):
        return

    def watch() -> None:
        poller = select.poll()
        poller.register(fd, select.POLLERR | select.POLLHUP)
        while True:
            for _, event in poller.poll():
                if event & select.POLLNVAL:  # our own stdout closed: nothing left to watch
                    return
                if event & (select.POLLERR | select.POLLHUP):
                    os._exit(141)

    threading.Thread(target=watch, name="newscli-reader-watch", daemon=True).start()


def _subscribed(config: Any) -> Callable[[str], Any]:
    """Looks up a fetched feed among the subscriptions, so `fetch FEED` reads it as `digest` would;
    other feeds get the configuration's defaults."""
    from newscli.pipeline import FeedSettings

    fallback = FeedSettings(full=config.defaults.full)
    if not config.feeds:
        return lambda url: fallback
    from newscli.feeds.jsonapi import mapping_of
    from newscli.feeds.subscriptions import url_key

    known = {url_key(f.url): config.for_feed(f) for f in config.feeds}

    def settings_for(url: str) -> FeedSettings:
        feed = known.get(url_key(url))
        if feed is None:
            return fallback
        return FeedSettings(
            tz=feed.tz, encoding=feed.encoding, full=feed.full, api=mapping_of(feed), render=feed.render
        )

    return settings_for


class _Output:
    """Where fetch's records go: saved as posts (paths printed), or printed in one format."""

    def __init__(self, fmt: str, save: Path | None, post_options: Any, *, pager: bool = False) -> None:
        from newscli.cli import render

        self.fmt, self.save, self.out = fmt, save, sys.stdout
        if fmt in ("rich", "text") and save is None:
            from newscli.cli.terminal import open_paged

            self.out = open_paged(pager)  # the terminal, through a pager once the view is taller than it
        self.post_options = post_options
        self.json = render.JsonArrayWriter(self.out) if fmt == "json" and save is None else None
        paged = self.out is not sys.stdout
        self.show = (
            render.rich_printer(self.out if paged else None, width=getattr(self.out, "width", None))
            if fmt == "rich" and save is None
            else None
        )
        self.folder: Any = None
        if save is not None:
            from newscli.posts.folder import PostFolder

            self.folder = PostFolder.open(save)  # its index: a changed article rewrites its own file
        self.count = 0

    def __enter__(self) -> _Output:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.json is not None:
            self.json.close()
        if self.folder is not None:
            self.folder.close()
        if self.out is not sys.stdout:
            self.out.close()  # prints what fitted, or waits until the reader quits the pager

    def emit(self, record: Any) -> bool:
        """Write one record; False when saving it failed (already reported)."""
        from newscli.cli import render

        self.count += 1
        article = record.article
        if self.save is not None:
            return article is None or self._save(article)
        data = record.as_json()
        if self.json is not None:
            self.json.write(data)
        elif self.fmt == "ndjson":
            self._write(render.ndjson_line(data))
        elif article is None:
            pass
        elif self.show is not None:
            self.show(data, article.published)
        elif self.fmt == "markdown":
            from newscli.posts.post import render_post

            self._write(render.clean(render_post(article, self.post_options)) + "\n")
        elif self.fmt == "html":
            self._write(render.html_block(data))
        else:
            self._write(("\n" if self.count > 1 else "") + render.text_block(data, article.published))
        return True

    def _save(self, article: Any) -> bool:
        from newscli.cli import render

        try:
            saved = self.folder.save(article, self.post_options)
        except NewsError as exc:
            _say(str(exc))
            return False
        self._write(render.clean(str(saved.path)) + "\n")
        return True

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()


def run_discover(url: str, *, timeout: float | None, format: str | None) -> None:
    """`newscli discover`: the feeds a site advertises."""
    from newscli.cli import render
    from newscli.feeds.discover import discover
    from newscli.net.http import HttpClient

    try:
        notes: list[str] = []
        with HttpClient(timeout=timeout or 30.0) as client:
            links = discover(url, client, notes=notes)
    except NewsError as exc:
        _say(str(exc))
        raise typer.Exit(exc.exit_code) from None
    for note in notes:
        _say(f"{url}: {note}")
    if not links:
        _say(f"{url}: no feeds found")
        raise typer.Exit(3)
    records = [{"url": link.url, "title": link.title, "kind": link.kind} for link in links]
    if format == "json":
        sys.stdout.write(render.to_json(records, indent=2) + "\n")
    elif format == "ndjson":
        sys.stdout.writelines(render.ndjson_line(data) for data in records)
    else:
        sys.stdout.writelines(
            render.clean(f"{r['url']}\t{r['kind']}\t{r['title'] or ''}") + "\n" for r in records
        )
    raise typer.Exit(0)
