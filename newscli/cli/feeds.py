"""`newscli feeds`: subscriptions kept in the configuration file (add, list, remove, OPML import/export).

Only typer is imported here; the modules doing the work are imported inside each command.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from newscli.errors import redact

if TYPE_CHECKING:
    from newscli.config import FeedConfig

feeds_app = typer.Typer(
    help="Subscriptions: the feeds `newscli digest` follows, kept in the configuration file.\n\n"
    "\b\nExample:\n  newscli feeds add https://www.example.cn/rss/tech.xml --category 科技",
    no_args_is_help=True,
    add_completion=False,  # as under `newscli` (app.main runs this group by itself)
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


# A feed's title kept as the subscription's title is cut to this many characters.
TITLE_MAX_CHARS = 200


def _clean(text: str | None) -> str:
    from newscli.cli.render import clean

    return clean(text)


def _say(message: str) -> None:
    from newscli.cli.render import say

    say(message)


@contextmanager
def _errors() -> Iterator[None]:
    """NewsError → `newscli: message` on stderr and its exit code."""
    from newscli.errors import NewsError

    try:
        yield
    except NewsError as exc:
        _say(str(exc))
        raise typer.Exit(exc.exit_code) from None


def _complete_names(incomplete: str) -> list[str]:
    from newscli.errors import NewsError
    from newscli.feeds.subscriptions import list_feeds

    try:
        return [feed.name for feed in list_feeds() if feed.name.startswith(incomplete)]
    except NewsError:
        return []


@feeds_app.command("add")
def add(
    url: Annotated[str, typer.Argument(metavar="URL", help="The feed's http(s) URL.", show_default=False)],
    name: Annotated[
        str | None,
        typer.Option("--name", help="Name to refer to it by (default: from the feed's title, else the URL)."),
    ] = None,
    category: Annotated[
        str | None, typer.Option("--category", help="Category; nest with '/', e.g. 新闻/科技.")
    ] = None,
    tags: Annotated[
        list[str] | None, typer.Option("--tags", help="Tags (repeatable, or a comma-separated list).")
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", help="A human title (default: the feed's); also names the feed.")
    ] = None,
    no_check: Annotated[
        bool,
        typer.Option(
            "--no-check", help="Subscribe without fetching the URL first (offline, or a feed behind a login)."
        ),
    ] = False,
    type_: Annotated[
        str | None,
        typer.Option("--type", help="feed (default), or json for a JSON news API.", show_default=False),
    ] = None,
    items: Annotated[
        str | None, typer.Option("--items", help="With --type json: JMESPath to the list of entries.")
    ] = None,
    field: Annotated[
        list[str] | None,
        typer.Option("--field", help="With --type json: NAME=JMESPath for an entry field (repeatable)."),
    ] = None,
    template: Annotated[
        list[str] | None,
        typer.Option("--template", help="With --type json: NAME=TEMPLATE over the item's keys (repeatable)."),
    ] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="Time zone for dates that carry none.")] = None,
) -> None:
    """Subscribe to a feed (or a JSON news API with --type json), after fetching it once to check it.

    A page that is not a feed is refused, naming the feeds it advertises; so is a URL that cannot be
    fetched, or an API answer the mapping cannot read (exit code 3). --no-check subscribes without fetching.

    \b
    Example:
      newscli feeds add https://www.example.cn/rss/tech.xml --name keji --category 新闻/科技 --tags 科技,新闻
    """
    from newscli.feeds.jsonapi import ApiMapping, parse_pairs
    from newscli.feeds.subscriptions import add_feed, check_addable

    split = [tag for item in tags or () for tag in item.replace("，", ",").split(",")]
    with _errors():
        fields = parse_pairs(field or (), "--field")
        templates = parse_pairs(template or (), "--template")
        check_addable(url, name=name, title=title)  # a bad URL or a taken name: said before any fetching
        mapping = ApiMapping(items, fields, templates) if type_ == "json" and items else None
        if mapping is not None:
            mapping.check()
    if not no_check:
        title = title or _feed_title(url.strip(), mapping)
    with _errors():
        feed = add_feed(
            url,
            name=name,
            category=category,
            tags=split,
            title=title,
            type=type_,
            items=items,
            fields=fields,
            templates=templates,
            tz=tz,
        )
    _say(f"added {feed.name}: {redact(feed.url)}")


def _feed_title(url: str, mapping: Any = None) -> str | None:
    """The title of the feed at `url`, fetched once; exit 3 when it cannot be fetched or is no feed.

    With a JSON API `mapping`, the answer must be a list the mapping reads (an API has no title)."""
    from newscli.config import effective, load_config
    from newscli.errors import FeedError, FetchError
    from newscli.feeds.discover import check_feed
    from newscli.net.http import HttpClient

    with _errors():
        defaults = load_config().defaults
        timeout = float(effective(None, "NEWSCLI_TIMEOUT", defaults.timeout, 30.0))
        user_agent = effective(None, "NEWSCLI_USER_AGENT", defaults.user_agent, None)
    try:
        with HttpClient(timeout=timeout, user_agent=user_agent) as client:
            if mapping is not None:
                from newscli.feeds.jsonapi import API_ACCEPT, parse_api
                from newscli.net.http import FEED_MAX

                parse_api(client.get(url, max_bytes=FEED_MAX, accept=API_ACCEPT), mapping)
                return None
            title = check_feed(url, client).title
    except (FetchError, FeedError) as exc:
        _say(str(exc))
        _say(f"not subscribed to {redact(url)} (--no-check subscribes without fetching it)")
        raise typer.Exit(3) from None
    return title[:TITLE_MAX_CHARS].strip() if title else None


@feeds_app.command("list")
def list_(
    names: Annotated[
        bool, typer.Option("--names", help="Only the names, one per line (for scripts and completion).")
    ] = False,
) -> None:
    """List the subscribed feeds: name, category and URL.

    \b
    Example:
      newscli feeds list --names
    """
    from newscli.config import load_config  # tomllib only: completion calls this on every TAB

    with _errors():
        feeds = list(load_config().feeds)
    out = sys.stdout
    if names:
        for feed in feeds:
            out.write(_clean(feed.name) + "\n")
        return
    if not feeds:
        _say("no feeds subscribed (add one with: newscli feeds add URL)")
        return
    out.write(_table(feeds))


def _table(feeds: list[FeedConfig]) -> str:
    rows = [("NAME", "CATEGORY", "TITLE", "URL")]
    rows += [
        (_clean(f.name), _clean(f.category or "-"), _clean(f.title or "-"), _clean(redact(f.url)))
        for f in feeds
    ]
    widths = [max(_width(row[i]) for row in rows) for i in range(3)]
    lines = []
    for row in rows:
        cells = [row[i] + " " * (widths[i] - _width(row[i])) for i in range(3)]
        lines.append("  ".join([*cells, row[3]]).rstrip())
    return "\n".join(lines) + "\n"


def _width(text: str) -> int:
    """Terminal columns: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@feeds_app.command("remove")
def remove(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            help="The feed's name (see: newscli feeds list).",
            show_default=False,
            autocompletion=_complete_names,
        ),
    ],
) -> None:
    """Unsubscribe from a feed.

    \b
    Example:
      newscli feeds remove keji
    """
    from newscli.feeds.subscriptions import remove_feed

    with _errors():
        feed = remove_feed(name)
    _say(f"removed {feed.name}: {redact(feed.url)}")


@feeds_app.command("import")
def import_(
    file: Annotated[
        str, typer.Argument(metavar="FILE.opml", help="An OPML file, or - for stdin.", show_default=False)
    ],
) -> None:
    """Subscribe to every feed of an OPML file (folders become categories).

    Feeds already subscribed and outlines without a feed URL are skipped and listed.

    \b
    Example:
      newscli feeds import subscriptions.opml
    """
    from newscli.errors import UsageError
    from newscli.feeds.opml import import_opml

    with _errors():
        data = _read(file, UsageError)
        added, skipped = import_opml(data, source=file)
    for reason in skipped:
        _say(f"skipped {reason}")
    _say(f"imported {len(added)} feed{'s' if len(added) != 1 else ''}, skipped {len(skipped)}")


def _read(file: str, error: Callable[..., Exception]) -> bytes:
    if file == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(file).read_bytes()
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror or exc}", source=file) from None


@feeds_app.command("export")
def export(
    title: Annotated[
        str, typer.Option("--title", help="Title of the OPML document.")
    ] = "newscli subscriptions",
) -> None:
    """Print the subscriptions as OPML 2.0, grouped into folders by category.

    \b
    Example:
      newscli feeds export > subscriptions.opml
    """
    from newscli.config import load_config  # tomllib only: completion calls this on every TAB
    from newscli.feeds.opml import to_opml

    with _errors():
        feeds = list(load_config().feeds)
    sys.stdout.write(to_opml(feeds, title=title))
    sys.stdout.flush()
