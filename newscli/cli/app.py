"""The `newscli` command: parse options, call the library, render. Heavy imports happen inside commands."""

import gc
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn

_collecting = gc.isenabled()
gc.disable()  # importing Typer makes tens of thousands of objects that all stay: collecting meanwhile finds none
try:
    import typer
    import typer.main
finally:
    if _collecting:
        gc.enable()

from newscli import __version__  # noqa: E402

app = typer.Typer(
    name="newscli",
    help="News from the web in your terminal, your pipes and your static site.\n\n"
    "\b\nExamples:\n"
    "  newscli fetch https://example.com/news/article.html\n"
    "  newscli fetch https://example.com/feed.xml -f ndjson\n"
    "  newscli completion --install",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(str, Enum):
    rich = "rich"
    text = "text"
    markdown = "markdown"
    json = "json"
    ndjson = "ndjson"
    html = "html"


class Profile(str, Enum):
    jekyll = "jekyll"
    hugo = "hugo"
    plain = "plain"


class Body(str, Enum):
    html = "html"
    markdown = "markdown"


def _version(value: bool) -> None:
    if value:
        print(f"newscli {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """News from the web in your terminal, your pipes and your static site.

    \b
    Examples:
      newscli fetch https://example.com/news/article.html
      newscli fetch https://example.com/feed.xml -f ndjson
      newscli completion --install
    """


@app.command()
def fetch(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="URLs (articles, share pages or feeds), local .html/.xml/.json files (also .gz), or - for stdin.",
            show_default=False,
            metavar="SOURCE...",
        ),
    ],
    format: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format [default: rich on a terminal, text otherwise]. Example: -f ndjson",
            show_default=False,
        ),
    ] = None,
    full: Annotated[
        bool | None,
        typer.Option(
            "--full/--no-full",
            help="For feeds: fetch and extract each entry's page [default: only where the feed's content is a teaser].",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=0, help="At most N entries per feed. Example: -n 5")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only entries published after a date or duration. Example: --since 2d"),
    ] = None,
    save: Annotated[
        Path | None,
        typer.Option(
            "--save",
            help="Write each article as a Markdown post into DIR and print the paths. Example: --save _posts",
            file_okay=False,
        ),
    ] = None,
    profile: Annotated[
        Profile | None,
        typer.Option(
            "--profile",
            help="Front-matter profile for --save and -f markdown [default: jekyll].",
            show_default=False,
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Add or override a front-matter field (repeatable). Example: --set 'tags={source}新闻'",
        ),
    ] = None,
    footer: Annotated[
        str | None,
        typer.Option("--footer", help="Text after the body (\\n is a newline). Example: --footer '<{url}>'"),
    ] = None,
    filename: Annotated[
        str | None,
        typer.Option("--filename", help="File-name template [default: {date:%Y-%m-%d}-{slug}.md]."),
    ] = None,
    body: Annotated[
        Body | None,
        typer.Option(
            "--body",
            help="Body of saved posts: cleaned html or markdown [default: markdown].",
            show_default=False,
        ),
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option("--tz", help="Time zone for dates that carry none. Example: --tz Asia/Shanghai"),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="Override the page's character set. Example: --encoding gbk"),
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Base URL for links of a local file or stdin.")
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", min=0.1, help="Total seconds allowed per request [default: 30]."),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            min=1,
            help="Requests in flight at once [default: each host's per-host limit, 16 to 64].",
        ),
    ] = None,
    user_agent: Annotated[str | None, typer.Option("--user-agent", help="User-Agent header to send.")] = None,
    items: Annotated[
        str | None,
        typer.Option(
            "--items",
            help="Read SOURCE as a JSON news API: JMESPath to its list of entries. Example: --items data.list",
        ),
    ] = None,
    field: Annotated[
        list[str] | None,
        typer.Option(
            "--field",
            help="With --items: an entry field as NAME=JMESPath on one item (repeatable). Example: --field title=title",
        ),
    ] = None,
    template: Annotated[
        list[str] | None,
        typer.Option(
            "--template",
            help="With --items: an entry field as NAME=TEMPLATE over the item's keys (repeatable). "
            "Example: --template 'url=https://example.cn/a/{id}.html'",
        ),
    ] = None,
    render: Annotated[
        bool | None,
        typer.Option(
            "--render/--no-render",
            help="Load pages in a headless Chromium first, for pages that build their article with JavaScript "
            "(needs: pip install 'newscli[render]' and a Chromium).",
            show_default=False,
        ),
    ] = None,
    no_pager: Annotated[
        bool,
        typer.Option(
            "--no-pager",
            help="Never page. On a terminal, a view taller than the screen goes through $NEWSCLI_PAGER, "
            "else $PAGER, else less -FRX (NEWSCLI_PAGER= turns it off).",
        ),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for unexpected errors.")] = False,
) -> None:
    """Fetch articles or feeds and show them, print them as JSON, or save them as posts.

    \b
    Examples:
      newscli fetch https://example.com/2024/05/story.html
      newscli fetch https://example.com/feed.xml -f ndjson | jq .title
      cat urls.txt | newscli fetch - -f json
      newscli fetch URL --save _posts --profile jekyll --body html
    """
    from newscli.cli.commands import run_fetch

    run_fetch(
        sources=sources,
        format=format.value if format else None,
        full=full,
        limit=limit,
        since=since,
        save=save,
        profile=profile.value if profile else None,
        sets=set_ or [],
        footer=footer,
        filename=filename,
        body=body.value if body else None,
        tz=tz,
        encoding=encoding,
        base_url=base_url,
        timeout=timeout,
        concurrency=concurrency,
        user_agent=user_agent,
        items=items,
        fields=field or [],
        templates=template or [],
        render=render,
        pager=not no_pager,
        debug=debug,
    )


@app.command()
def discover(
    url: Annotated[
        str, typer.Argument(help="A site or page URL. Example: newscli discover https://example.com/")
    ],
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", min=0.1, help="Total seconds allowed per request [default: 30]."),
    ] = None,
    format: Annotated[
        Format | None,
        typer.Option(
            "--format", "-f", help="text (default), json or ndjson. Example: -f json", show_default=False
        ),
    ] = None,
) -> None:
    """List the feeds a site advertises, each checked to really be a feed.

    \b
    Example:
      newscli discover https://example.com/
    """
    from newscli.cli.commands import run_discover

    run_discover(url, timeout=timeout, format=format.value if format else None)


class Shell(str, Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


@app.command()
def completion(
    shell: Annotated[
        Shell | None,
        typer.Argument(
            help="bash, zsh or fish [default: the shell $SHELL names].", show_default=False, metavar="[SHELL]"
        ),
    ] = None,
    install: Annotated[
        bool,
        typer.Option("--install", help="Write the script where the shell loads it from, and say where."),
    ] = False,
) -> None:
    """Print the shell completion script, or install it with --install.

    The script completes commands, options and their values without starting Python.

    \b
    Examples:
      newscli completion --install
      newscli completion --install zsh
      newscli completion bash > ~/.local/share/bash-completion/completions/newscli
    """
    from newscli.cli import completion as body
    from newscli.cli.commands import run_command

    run_command(lambda: body.run(shell.value if shell else None, install_it=install), debug=False)


from newscli.cli.digest import digest  # noqa: E402  (typer only at import)
from newscli.cli.feeds import feeds_app  # noqa: E402

app.command("digest")(digest)
app.add_typer(feeds_app, name="feeds")


def _program(command: str) -> str:
    """How usage lines name `command`: as the program was started (`newscli`, `python -m newscli`)."""
    run_as = "python -m newscli" if Path(sys.argv[0]).name == "__main__.py" else Path(sys.argv[0]).name
    return f"{run_as or 'newscli'} {command}"


def _feeds(args: list[str]) -> None:
    """`newscli feeds ...` without building the other commands: Typer turns every command of an app
    into a Click command before running one (fetch alone has thirty options), and feed-name completion
    runs `newscli feeds list --names` on every TAB. `feeds NAME ...` builds only that command."""
    prog = _program("feeds")
    named = [info for info in feeds_app.registered_commands if args and info.name == args[0]]
    if named:
        one = typer.Typer(
            rich_markup_mode=None, add_completion=False, context_settings=feeds_app.info.context_settings
        )
        one.registered_commands = named
        typer.main.get_command(one).main(args[1:], prog_name=f"{prog} {args[0]}")
    else:
        typer.main.get_command(feeds_app).main(args, prog_name=prog)


def _digest(args: list[str]) -> None:
    """`newscli digest ...` as its own one-command app: cron runs it every few minutes, and building the
    other commands (fetch alone has thirty options) is start-up spent before the first request."""
    one = typer.Typer(rich_markup_mode=None, add_completion=False, context_settings=app.info.context_settings)
    one.registered_commands = [info for info in app.registered_commands if info.name == "digest"]
    _load_for_digest()
    try:
        typer.main.get_command(one).main(args, prog_name=_program("digest"))
    except SystemExit as done:
        _leave(done.code)


def _load_for_digest() -> None:
    """Import what a digest run uses, with no garbage collection meanwhile, then freeze it: these modules
    make ~100,000 objects that live as long as the process, so collecting while they pile up finds nothing,
    and no later collection need look at them again (~20 ms of CPU at start-up, and cheaper collections)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        import newscli.cli.render  # noqa: F401
        import newscli.config  # noqa: F401
        import newscli.dates  # noqa: F401
        import newscli.digest.run  # noqa: F401
        import newscli.net.http  # noqa: F401
        import newscli.pipeline  # noqa: F401
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


def _leave(code: object) -> NoReturn:
    """Exit with `code` as sys.exit would, but without the interpreter's teardown: freeing every object of
    a process that loaded httpx, sqlite3 and the digest takes 20-50 ms, a tenth of a rerun that cron runs
    every few minutes. Exit handlers still run and the output is flushed; while a thread that is not a
    daemon still runs, this is sys.exit (which waits for it)."""
    import atexit
    import os
    import threading

    main = threading.main_thread()
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)  # CPython's own, run by sys.exit too
    if run_exit_handlers is None or any(
        t is not main and not t.daemon and t.is_alive() for t in threading.enumerate()
    ):
        raise SystemExit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        sys.stderr.write(f"{code}\n")
        status = 1
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            status = status or 120  # what Python exits with when flushing fails at exit
    os._exit(status)


def main() -> None:
    """Console-script entry point."""
    try:
        if sys.argv[1:2] == ["feeds"]:
            _feeds(sys.argv[2:])
        elif sys.argv[1:2] == ["digest"]:
            _digest(sys.argv[2:])
        else:
            app()
    except KeyboardInterrupt:
        sys.stderr.write("newscli: interrupted\n")
        sys.exit(130)
