"""Feed subscriptions: add, remove and list the [[feeds]] tables of the configuration file.

Edits keep everything else in the file byte for byte: a new feed is appended as its own
`[[feeds]]` block (rendered by tomlkit), a removed feed's block is cut out together with
the comment lines written directly above it. Each edit is checked by parsing the result
and comparing it with the intended data; if the text edit would change anything else,
tomlkit edits the parsed document instead. Writes are atomic (temporary file in the same
folder, fsync, rename), and a symlinked configuration file stays a symlink.
"""

from __future__ import annotations

import copy
import os
import re
import stat
import tempfile
from collections.abc import Container, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import tomlkit
from tomlkit.items import AoT

from newscli.config import (
    Config,
    FeedConfig,
    build_config,
    clean_tags,
    config_path,
    load_config,
    name_problem,
    normalise_category,
    parse_toml,
    read_text,
    url_problem,
)
from newscli.errors import ConfigError, UsageError
from newscli.tomltext import feed_header_lines, physical_lines, scan_lines

NAME_MAX_CHARS = 40
# path segments that say "this is a feed" and nothing about which one
_NOISE = {"rss", "rss2", "feed", "feeds", "atom", "index", "xml", "default", "www", "blog"}
_SECOND_LEVEL = {"co", "com", "net", "org", "gov", "edu", "ac"}


@dataclass(frozen=True)
class NewFeed:
    """A feed to subscribe to; a missing name is derived from the title or the URL."""

    url: str
    name: str | None = None
    title: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    exact_name: bool = True  # False: `name` is a wish, and a taken or unusable one is replaced
    type: str | None = None  # "json": a JSON list API, read through items/fields/templates
    items: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    templates: tuple[tuple[str, str], ...] = ()
    tz: str | None = None


def add_feed(
    url: str,
    *,
    name: str | None = None,
    category: str | None = None,
    tags: Sequence[str] = (),
    title: str | None = None,
    path: Path | None = None,
    type: str | None = None,
    items: str | None = None,
    fields: Sequence[tuple[str, str]] = (),
    templates: Sequence[tuple[str, str]] = (),
    tz: str | None = None,
) -> FeedConfig:
    """Subscribe to `url`; UsageError when the URL is not http(s), or the name or URL is already subscribed.

    `type="json"` with `items`, `fields` and `templates` subscribes a JSON list API (cli.md).
    """
    with _locked(path):
        doc = ConfigFile(path)
        item = NewFeed(
            url.strip(),
            name,
            title,
            category,
            tuple(tags),
            True,
            type,
            items,
            tuple(fields),
            tuple(templates),
            tz,
        )
        feed = doc.prepare(item)
        doc.append([feed])
        doc.save()
    return feed


def check_addable(
    url: str, *, name: str | None = None, title: str | None = None, path: Path | None = None
) -> None:
    """UsageError for what add_feed would refuse (bad URL or name, already subscribed), writing nothing.

    For checks to run before the feed is fetched; add_feed checks again under the file's lock.
    """
    ConfigFile(path).prepare(NewFeed(url.strip(), name, title))


def add_feeds(items: Iterable[NewFeed], *, path: Path | None = None) -> tuple[list[FeedConfig], list[str]]:
    """Subscribe to many feeds in one write; returns (added, reasons for the ones skipped)."""
    added: list[FeedConfig] = []
    skipped: list[str] = []
    with _locked(path):
        doc = ConfigFile(path)
        for item in items:
            try:
                feed = doc.prepare(item)
            except UsageError as exc:
                label = f"{item.title} <{item.url}>" if item.title else item.url
                skipped.append(f"{label}: {exc.message}")
                continue
            added.append(feed)
        if added:
            doc.append(added)
            doc.save()
    return added, skipped


def remove_feed(name: str, *, path: Path | None = None) -> FeedConfig:
    """Unsubscribe the feed called `name`; UsageError listing close names when there is none."""
    with _locked(path):
        doc = ConfigFile(path)
        feed = doc.config.feed(name)
        doc.remove(doc.config.feeds.index(feed))
        doc.save()
    return feed


def list_feeds(path: Path | None = None) -> list[FeedConfig]:
    """The subscribed feeds in file order."""
    return list(load_config(path).feeds)


@contextmanager
def _locked(path: Path | None) -> Iterator[None]:
    """Serialise read-edit-write cycles of concurrent `feeds add/remove/import`: a lock on the file's folder."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks, edits are rare enough
        yield
        return
    folder = (path if path is not None else config_path()).resolve().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield  # the write will report the problem with the file's name
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


# --- names and URLs ------------------------------------------------------------------------------------


def url_key(url: str) -> str:
    """What makes two feed URLs the same subscription: http/https, host case, default port, trailing slash."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    return urlunsplit(("", netloc, parts.path.rstrip("/"), parts.query, ""))


def derive_name(url: str, title: str | None = None) -> str:
    """A shell-friendly name: the title's slug (pinyin for Chinese), else the host's and path's."""
    from newscli.slugs import pinyin, slugify

    if title:
        slug = pinyin(title) if not title.isascii() else slugify(title)
        slug = _bounded(slug.strip("-"))
        if slug and not name_problem(slug):
            return slug
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    labels = host.split(".")
    if not re.fullmatch(r"[\d.]+|[0-9a-f:]+", host):
        if len(labels) > 1:
            labels.pop()  # the top-level domain
        if len(labels) > 1 and labels[-1] in _SECOND_LEVEL:
            labels.pop()
        while len(labels) > 1 and labels[0] in _NOISE:
            labels.pop(0)
    segments = [
        re.sub(r"\.(xml|rss|atom|json|php|aspx?|html?)$", "", s, flags=re.I) for s in parts.path.split("/")
    ]
    segments = [s for s in segments if s and s.lower() not in _NOISE]
    slug = _bounded(slugify("-".join(labels + segments)))
    return slug or "feed"


def _table(feed: FeedConfig) -> Any:
    table = tomlkit.table()
    table["name"] = feed.name
    table["url"] = feed.url
    if feed.title:
        table["title"] = feed.title
    if feed.category:
        table["category"] = feed.category
    if feed.tags:
        table["tags"] = list(feed.tags)
    if feed.tz:
        table["tz"] = feed.tz
    if feed.type:
        table["type"] = feed.type
        table["items"] = feed.items
        for key, pairs in (("fields", feed.fields), ("templates", feed.templates)):
            if pairs:
                sub = tomlkit.table()
                for name, value in pairs:
                    sub[name] = value
                table[key] = sub
    return table


def _check_api(item: NewFeed) -> None:
    """UsageError for a JSON API subscription that would not read (or API settings on a plain feed)."""
    if item.type not in (None, "feed", "json"):
        raise UsageError(f"--type: expected feed or json, got {item.type!r}")
    if item.tz is not None:
        from newscli.dates import zone

        zone(item.tz)
    if item.type != "json":
        if item.items or item.fields or item.templates:
            raise UsageError("--items, --field and --template are for a JSON API: add --type json")
        return
    if not item.items:
        raise UsageError("--type json needs --items, the JMESPath to the list of entries")
    from newscli.feeds.jsonapi import ApiMapping

    ApiMapping(item.items, item.fields, item.templates).check()


def _free(base: str, taken: Container[str]) -> str:
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def _bounded(slug: str) -> str:
    if len(slug) <= NAME_MAX_CHARS:
        return slug
    cut = slug[:NAME_MAX_CHARS]
    if "-" in cut[NAME_MAX_CHARS // 2 :]:
        cut = cut[: cut.rindex("-")]
    return cut.strip("-")


# --- the file ------------------------------------------------------------------------------------------


class ConfigFile:
    """The configuration file's text, its parsed data and the validated Config, edited together."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else config_path()
        text = read_text(self.path)
        self.text = text or ""
        self.data: dict[str, Any] = parse_toml(self.text, self.path)
        self.config: Config = build_config(self.data, self.text, self.path)
        self.feeds = list(self.config.feeds)
        # what prepare() checks against: the file's feeds and those prepared since
        self.by_url = {url_key(feed.url): feed for feed in self.feeds}
        self.by_name = {feed.name: feed for feed in self.feeds}

    def prepare(self, item: NewFeed) -> FeedConfig:
        """The FeedConfig `item` becomes; UsageError when it cannot be added to this file."""
        url = item.url.strip()
        problem = url_problem(url)
        if problem:
            raise UsageError(problem)
        key = url_key(url)
        if key in self.by_url:
            other = self.by_url[key]
            raise UsageError(f"already subscribed as {other.name!r} ({other.url})")
        wish = item.name.strip() if item.name is not None else None
        if wish is not None and item.exact_name:
            problem = name_problem(wish)
            if problem:
                raise UsageError(problem)
            if wish in self.by_name:
                other = self.by_name[wish]
                raise UsageError(f"a feed named {wish!r} already exists ({other.url}); choose another --name")
            name = wish
        else:
            base = wish if wish and not name_problem(wish) else derive_name(url, item.title)
            name = _free(base, self.by_name.keys())
        title = " ".join(item.title.split()) if item.title else None
        category = normalise_category(item.category) if item.category else None
        _check_api(item)
        feed = FeedConfig(
            name=name,
            url=url,
            category=category,
            tags=clean_tags(item.tags),
            title=title or None,
            tz=item.tz,
            type=None if item.type in (None, "feed") else item.type,
            items=item.items,
            fields=item.fields,
            templates=item.templates,
        )
        self.by_url[key] = feed
        self.by_name[name] = feed
        return feed

    def append(self, feeds: Sequence[FeedConfig]) -> None:
        """Add prepared feeds as new [[feeds]] blocks at the end of the file."""
        tables = [_table(feed) for feed in feeds]
        aot = tomlkit.aot()
        for table in tables:
            aot.append(table)
        block = tomlkit.dumps({"feeds": aot})
        entries = parse_toml(block, self.path)["feeds"]
        expected = copy.deepcopy(self.data)
        expected.setdefault("feeds", []).extend(entries)
        text = _appended(self.text, block)
        if not self._reads_as(text, expected):
            doc = tomlkit.parse(self.text)
            existing = doc.get("feeds")
            if isinstance(existing, AoT):
                for table in tables:
                    existing.append(table)
            elif existing is not None:  # feeds = [...] written inline: stay inline
                for entry in entries:
                    inline = tomlkit.inline_table()
                    inline.update(entry)
                    existing.append(inline)
            else:
                doc.add("feeds", aot)
            text = tomlkit.dumps(doc)
        self._update(text, expected)
        self.feeds.extend(feeds)

    def remove(self, index: int) -> None:
        """Cut the index-th [[feeds]] block out of the file, with the comments written above it."""
        expected = copy.deepcopy(self.data)
        del expected["feeds"][index]
        if not expected["feeds"]:
            del expected["feeds"]
        text = _removed(self.text, index, len(self.data.get("feeds", [])))
        if text is None or not self._reads_as(text, expected):
            doc = tomlkit.parse(self.text)
            del doc["feeds"][index]
            if not doc["feeds"]:
                del doc["feeds"]
            text = tomlkit.dumps(doc)
        self._update(text, expected)
        gone = self.feeds.pop(index)
        del self.by_url[url_key(gone.url)], self.by_name[gone.name]

    def _reads_as(self, text: str, expected: dict[str, Any]) -> bool:
        try:
            return parse_toml(text, self.path) == expected
        except ConfigError:
            return False

    def _update(self, text: str, expected: dict[str, Any]) -> None:
        if not self._reads_as(text, expected):
            raise ConfigError(
                "could not edit the configuration safely; please edit it by hand", source=str(self.path)
            )
        self.text = text
        self.data = expected

    def save(self) -> None:
        """Write the file atomically; a symlink is followed so that it stays a symlink."""
        write_atomic(self.path, self.text)


def _appended(text: str, block: str) -> str:
    if not text.strip("\ufeff \t\r\n"):
        return ("\ufeff" if text.startswith("\ufeff") else "") + block
    newline = "\r\n" if "\r\n" in text else "\n"
    if not text.endswith("\n"):
        text += newline
    if not text.endswith(newline * 2):
        text += newline  # a blank line between the last table and the new one
    return text + block.replace("\n", newline)


def _removed(text: str, index: int, count: int) -> str | None:
    """The text without the index-th [[feeds]] block, or None when the blocks cannot be told apart."""
    lines = physical_lines(text, keepends=True)
    info = scan_lines(text)
    headers = feed_header_lines(info)
    if len(info) != len(lines) or len(headers) != count:
        return None
    head = headers[index]
    start = head
    while start > 0 and info[start - 1].kind == "comment":
        start -= 1
    if start == 0:
        start = head  # those comments open the file: they are not this feed's
    following = head + 1
    while following < len(info):
        line = info[following]
        if line.kind == "header" and not (line.header or "").startswith("feeds."):
            break
        following += 1
    last = max(i for i in range(head, following) if info[i].kind in ("content", "header"))
    rest = range(last + 1, following)
    blank = next((i for i in rest if info[i].kind == "blank"), None)
    if blank is not None:
        end = next((i for i in range(blank, following) if info[i].kind != "blank"), following)
    elif following == len(info):
        end = following
    else:
        end = last + 1  # comments touching the next header are that table's
    if end == len(info) and start > 0 and info[start - 1].kind == "blank":
        start -= 1
    return "".join(lines[:start] + lines[end:])


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` via a temporary file in the same folder, fsync and rename."""
    target = path.resolve() if path.is_symlink() else path
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o644
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise ConfigError(
            f"cannot write the configuration: {exc.strerror or exc}", source=str(path)
        ) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise ConfigError(
                f"cannot write the configuration: {exc.strerror or exc}", source=str(path)
            ) from None
        raise
    try:
        dir_fd = os.open(target.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)  # the rename itself survives a crash
    except OSError:
        pass
    finally:
        os.close(dir_fd)
