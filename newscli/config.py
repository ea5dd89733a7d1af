"""The configuration file: global defaults and feed subscriptions, in one TOML file.

Where: `$NEWSCLI_CONFIG`, else `<user config dir>/newscli/config.toml` (`config_path()`).
State (the digest's SQLite database) lives in `$NEWSCLI_HOME`, else the user data dir
(`state_dir()`). A missing file is an empty configuration; a file that cannot be read or
parsed, or holds a value of the wrong type, is a ConfigError (exit 2) naming the file,
the line and the problem.

Layout::

    # newscli configuration
    [defaults]
    profile = "jekyll"                  # front matter: jekyll | hugo | plain
    body = "html"                       # html | markdown
    filename = "{date:%Y-%m-%d}-{slug}.md"
    footer = '<{url}>\\n\\n[返回首页](//example.com/)'
    set = { categories = "{source_pinyin}", tags = "{source}新闻" }
    tz = "Asia/Shanghai"                # zone for dates that carry none
    full = true                         # fetch every entry's page (default: teasers only)
    render = false                      # load entry pages in a headless browser (needs newscli[render])
    out = "~/site/_posts"               # digest output dir (relative: to this file's folder)
    archive = "~/site/old_post"         # where --keep-days moves old posts
    keep_days = 3
    user_agent = "newscli (+https://example.com/bot)"
    timeout = 30                        # seconds per request
    concurrency = 16                    # requests in flight
    per_host = 6                        # requests in flight to one host
    allow_private = false               # let links and redirects in feeds reach private addresses
    budget = 300                        # seconds a digest run may take before pages wait for the next

    [[feeds]]
    name = "kejiribao"                  # what `feeds remove` and `digest --feed` take
    url = "https://www.example.cn/rss/tech.xml"
    title = "科技日报"
    category = "新闻/科技"
    tags = ["科技", "新闻"]
    tz = "Asia/Shanghai"
    encoding = "gb18030"
    full = true
    allow_private = true                # an intranet feed: its links may point into the intranet
    profile = "jekyll"
    set = { categories = "kejiribao" }   # merged over [defaults].set, key by key
    footer = "<{url}>"
    filename = "{date:%Y-%m-%d}-{slug}.md"
    body = "html"

    [[feeds]]                           # a JSON news API instead of a feed
    name = "kejiribao-api"
    url = "https://api.example.cn/news/list?column=kejiribao&pageSize=20"
    type = "json"
    items = "data.list"                 # JMESPath to the list of entries
    tz = "Asia/Shanghai"
    [feeds.fields]                      # JMESPath per entry field, on one item
    id = "infoCode"
    title = "title"
    published = "showTime"
    content = "content"
    [feeds.templates]                   # str.format templates over the raw item's fields
    url = "https://www.example.cn/html_News/NewsShare.html?infoCode={infoCode}"

Feeds are an array of tables (`[[feeds]]`): each reads on its own, and `feeds add`/`remove`
edit one block without disturbing the rest. Keys may be written with `-` or `_`.

Precedence for a setting is flag > environment > file > default (`effective()`). The
environment variables are listed in ENVIRONMENT; NEWSCLI_CONFIG and NEWSCLI_HOME move
the configuration file and the state directory.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newscli.errors import ConfigError, UsageError
from newscli.tomltext import Line, locate, norm_key, scan_lines

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PROFILES = ("jekyll", "hugo", "plain")
BODIES = ("html", "markdown")
FEED_TYPES = ("feed", "json")
# the entry fields a JSON API mapping may fill (cli.md)
API_FIELDS = (
    "id", "title", "url", "published", "updated", "summary", "content", "author", "source", "image",
    "categories", "tags",
)  # fmt: skip

# setting → environment variable consulted by effective() callers
ENVIRONMENT: Mapping[str, str] = {
    "tz": "NEWSCLI_TZ",
    "user_agent": "NEWSCLI_USER_AGENT",
    "timeout": "NEWSCLI_TIMEOUT",
    "concurrency": "NEWSCLI_CONCURRENCY",
    "per_host": "NEWSCLI_PER_HOST",
    "profile": "NEWSCLI_PROFILE",
    "out": "NEWSCLI_OUT",
}


def config_path() -> Path:
    """The configuration file: $NEWSCLI_CONFIG, else the user config dir's newscli/config.toml."""
    value = os.environ.get("NEWSCLI_CONFIG", "").strip()
    if value:
        return Path(value).expanduser()
    if sys.platform.startswith("linux"):
        # What platformdirs answers on Linux in the plain cases, without importing it (feed-name
        # completion reads the configuration on every TAB); anything unusual is left to it.
        xdg, home = os.environ.get("XDG_CONFIG_HOME", ""), os.environ.get("HOME", "")
        if os.path.isabs(xdg):
            return Path(xdg, "newscli", "config.toml")
        if not xdg.strip() and os.path.isabs(home):
            return Path(home, ".config", "newscli", "config.toml")
    import platformdirs

    return Path(platformdirs.user_config_dir("newscli")) / "config.toml"


def state_dir() -> Path:
    """The state directory: $NEWSCLI_HOME, else the user data dir for newscli (not created here)."""
    value = os.environ.get("NEWSCLI_HOME", "").strip()
    if value:
        return Path(value).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("newscli"))


@dataclass(frozen=True)
class FeedConfig:
    """One subscription and its own settings; None means "use the default"."""

    name: str
    url: str
    category: str | None = None
    tags: tuple[str, ...] = ()
    profile: str | None = None
    tz: str | None = None
    encoding: str | None = None
    full: bool | None = None
    sets: tuple[tuple[str, str], ...] = ()
    footer: str | None = None
    filename: str | None = None
    body: str | None = None
    title: str | None = None
    type: str | None = None  # "json": a JSON list API read through items/fields/templates
    items: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    templates: tuple[tuple[str, str], ...] = ()
    render: bool | None = None  # load entry pages in a headless browser (`fetch --render`)
    allow_private: bool | None = None


@dataclass(frozen=True)
class Defaults:
    """The [defaults] table: save, network and digest settings; None means "not set in the file"."""

    profile: str | None = None
    body: str | None = None
    sets: tuple[tuple[str, str], ...] = ()
    footer: str | None = None
    filename: str | None = None
    tz: str | None = None
    full: bool | None = None
    user_agent: str | None = None
    timeout: float | None = None
    concurrency: int | None = None
    per_host: int | None = None
    out: Path | None = None
    archive: Path | None = None
    keep_days: int | None = None
    render: bool | None = None
    allow_private: bool | None = None
    budget: float | None = None


@dataclass(frozen=True)
class Config:
    """The whole configuration file, validated."""

    defaults: Defaults = field(default_factory=Defaults)
    feeds: tuple[FeedConfig, ...] = ()
    path: Path | None = None

    def names(self) -> list[str]:
        """Feed names in file order."""
        return [feed.name for feed in self.feeds]

    def feed(self, name: str) -> FeedConfig:
        """The feed called `name`; UsageError naming close names when there is none."""
        for feed in self.feeds:
            if feed.name == name:
                return feed
        raise unknown_feed(name, self.names())

    def for_feed(self, feed: FeedConfig) -> FeedConfig:
        """The feed with every unset save setting taken from [defaults]; `set` merged key by key."""
        d = self.defaults
        merged = dict(d.sets)
        merged.update(feed.sets)
        return replace(
            feed,
            profile=feed.profile if feed.profile is not None else d.profile,
            body=feed.body if feed.body is not None else d.body,
            footer=feed.footer if feed.footer is not None else d.footer,
            filename=feed.filename if feed.filename is not None else d.filename,
            tz=feed.tz if feed.tz is not None else d.tz,
            full=feed.full if feed.full is not None else d.full,
            render=feed.render if feed.render is not None else d.render,
            allow_private=feed.allow_private if feed.allow_private is not None else d.allow_private,
            sets=tuple(merged.items()),
        )


def unknown_feed(name: str, names: Iterable[str]) -> UsageError:
    """The error for a feed name that is not subscribed, suggesting close ones."""
    names = list(names)
    if not names:
        return UsageError(
            f"no feed named {name!r}: no feeds are subscribed (add one with: newscli feeds add URL)"
        )
    import difflib  # for this message only: not at import (feed-name completion reads the config)

    close = difflib.get_close_matches(name, names, n=5, cutoff=0.5)
    if not close:
        close = [n for n in names if name.lower() in n.lower() or n.lower() in name.lower()][:5]
    if close:
        return UsageError(f"no feed named {name!r}; did you mean: {', '.join(close)}?")
    shown = ", ".join(names[:10]) + (", …" if len(names) > 10 else "")
    return UsageError(f"no feed named {name!r}; subscribed: {shown}")


# --- environment -------------------------------------------------------------------------------------

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def effective(
    flag_value: Any,
    env_name: str | None,
    file_value: Any,
    default: Any,
    *,
    cast: Callable[[str], Any] | None = None,
) -> Any:
    """The setting by precedence flag > environment > file > default; env text converted to the default's type."""
    if flag_value is not None:
        return flag_value
    raw = os.environ.get(env_name, "").strip() if env_name else ""
    if raw and env_name:
        return _from_env(env_name, raw, cast, default if default is not None else file_value)
    if file_value is not None:
        return file_value
    return default


def _from_env(name: str, raw: str, cast: Callable[[str], Any] | None, like: Any) -> Any:
    if cast is None:
        if isinstance(like, bool):
            if raw.lower() in _TRUE | _FALSE:
                return raw.lower() in _TRUE
            raise UsageError(f"environment variable {name}={raw!r}: expected true or false")
        cast = int if isinstance(like, int) else float if isinstance(like, float) else str
    try:
        return cast(raw)
    except (TypeError, ValueError) as exc:
        kind = "a whole number" if cast is int else "a number" if cast is float else "a valid value"
        raise UsageError(f"environment variable {name}={raw!r}: expected {kind}") from exc


# --- reading -----------------------------------------------------------------------------------------


def read_text(path: Path) -> str | None:
    """The file's text (BOM kept), None when it does not exist; ConfigError when unreadable or not UTF-8."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ConfigError("cannot read the configuration: it is a directory", source=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration: {exc.strerror or exc}", source=str(path)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            source=str(path),
        ) from None


def parse_toml(text: str, path: Path) -> dict[str, Any]:
    """The TOML document as plain data; ConfigError with line and column when it is not valid TOML."""
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        if at:
            message = message[: at.start()]
            where = f"line {at.group(1)}, column {at.group(2)}"
        else:
            where = "end of file" if "end of document" in message else "somewhere"
        message = message[:1].lower() + message[1:]
        raise ConfigError(f"{where}: invalid TOML: {message}", source=str(path)) from None


def load_config(path: Path | None = None) -> Config:
    """The configuration at `path` (default: config_path()); a missing file is an empty Config."""
    path = path if path is not None else config_path()
    text = read_text(path)
    if text is None:
        return Config(path=path)
    return build_config(parse_toml(text, path), text, path)


def build_config(data: Mapping[str, Any], text: str, path: Path) -> Config:
    """Validate parsed TOML into a Config; `text` is only used to point errors at a line."""
    return _Builder(text, path).config(data)


# --- validation ----------------------------------------------------------------------------------------

_DEFAULT_KEYS = (
    "profile", "body", "set", "footer", "filename", "tz", "full", "user_agent", "timeout", "concurrency",
    "per_host", "out", "archive", "keep_days", "render", "allow_private", "budget",
)  # fmt: skip
_FEED_KEYS = (
    "name", "url", "title", "category", "tags", "profile", "tz", "encoding", "full", "set", "footer",
    "filename", "body", "type", "items", "fields", "templates", "render", "allow_private",
)  # fmt: skip


class _Builder:
    def __init__(self, text: str, path: Path) -> None:
        self.text = text
        self.path = path
        self._lines: list[Line] | None = None
        self.names: dict[int, str] = {}

    def fail(self, where: tuple[str, int] | None, key: str | None, message: str) -> ConfigError:
        if self._lines is None:
            self._lines = scan_lines(self.text)
        line = locate(self._lines, where, key)
        label = _label(where, key, self.names)
        prefix = f"line {line}: " if line else ""
        return ConfigError(f"{prefix}{label}{message}", source=str(self.path))

    def config(self, data: Mapping[str, Any]) -> Config:
        for key in data:
            if key not in ("defaults", "feeds"):
                hint = (
                    "; settings go in the [defaults] table"
                    if norm_key(key) in _DEFAULT_KEYS
                    else _did_you_mean(key, ("defaults", "feeds"))
                )
                raise self.fail(None, key, f"unknown key{hint}")
        raw_defaults = data.get("defaults", {})
        if not isinstance(raw_defaults, dict):
            raise self.fail(None, "defaults", "must be a table: [defaults]")
        defaults = self.defaults(raw_defaults)
        raw_feeds = data.get("feeds", [])
        if isinstance(raw_feeds, dict):
            raise self.fail(None, "feeds", "write each feed as its own [[feeds]] table with a name and a url")
        if not isinstance(raw_feeds, list) or not all(isinstance(f, dict) for f in raw_feeds):
            raise self.fail(None, "feeds", "must be [[feeds]] tables")
        feeds: list[FeedConfig] = []
        seen: dict[str, int] = {}
        for index, raw in enumerate(raw_feeds):
            feed = self.feed(index, raw)
            if feed.name in seen:
                raise self.fail(
                    ("feeds", index),
                    "name",
                    f"{feed.name!r} is already the name of feed {seen[feed.name] + 1}",
                )
            seen[feed.name] = index
            feeds.append(feed)
        return Config(defaults=defaults, feeds=tuple(feeds), path=self.path)

    def defaults(self, raw: Mapping[str, Any]) -> Defaults:
        where = ("defaults", 0)
        values = self.common(where, raw, _DEFAULT_KEYS)
        for key in ("user_agent",):
            if key in values:
                values[key] = self.string(where, key, values[key])
        for key in ("timeout", "budget"):
            if key in values:
                value = values[key]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                    raise self.fail(where, key, f"expected a number of seconds above 0, got {value!r}")
                values[key] = float(value)
        for key, low in (("concurrency", 1), ("per_host", 1), ("keep_days", 0)):
            if key in values:
                value = values[key]
                if isinstance(value, bool) or not isinstance(value, int) or value < low:
                    raise self.fail(where, key, f"expected a whole number of at least {low}, got {value!r}")
        for key in ("out", "archive"):
            if key in values:
                text = self.string(where, key, values[key])
                if not text.strip():
                    raise self.fail(where, key, "expected a folder, got an empty string")
                folder = Path(text).expanduser()
                values[key] = folder if folder.is_absolute() else self.path.parent / folder
        return Defaults(**values)

    def feed(self, index: int, raw: Mapping[str, Any]) -> FeedConfig:
        where = ("feeds", index)
        if isinstance(raw.get("name"), str):
            self.names[index] = raw["name"]
        values = self.common(where, raw, _FEED_KEYS)
        if "url" not in values:
            raise self.fail(where, None, "missing url")
        url = self.string(where, "url", values["url"]).strip()
        problem = url_problem(url)
        if problem:
            raise self.fail(where, "url", problem)
        values["url"] = url
        if "name" in values:
            name = self.string(where, "name", values["name"])
            problem = name_problem(name)
            if problem:
                raise self.fail(where, "name", problem)
        else:
            raise self.fail(where, None, "missing name (the name `feeds remove` and `digest --feed` take)")
        for key in ("title", "category"):
            if key in values:
                values[key] = self.string(where, key, values[key]).strip() or None
        if "category" in values and values["category"]:
            values["category"] = normalise_category(values["category"])
        if "tags" in values:
            tags = values["tags"]
            if isinstance(tags, str):
                tags = [tags]
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                raise self.fail(where, "tags", f"expected a list of strings, got {tags!r}")
            values["tags"] = clean_tags(tags)
        if "encoding" in values:
            encoding = self.string(where, "encoding", values["encoding"])
            from newscli.page.charset import codec_name  # the same test --encoding gets

            if codec_name(encoding) is None:
                raise self.fail(where, "encoding", f"unknown character set {encoding!r}")
        self.api(where, values)
        return FeedConfig(**values)

    def api(self, where: tuple[str, int], values: dict[str, Any]) -> None:
        """`type`, `items`, `fields` and `templates` of a JSON API subscription, checked in place."""
        kind = self.string(where, "type", values["type"]) if "type" in values else "feed"
        if kind not in FEED_TYPES:
            raise self.fail(where, "type", f"expected one of {', '.join(FEED_TYPES)}, got {kind!r}")
        values["type"] = None if kind == "feed" else kind
        for key in ("fields", "templates"):
            if key in values:
                table = values[key]
                if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
                    raise self.fail(where, key, f"expected a table of strings: [feeds.{key}]")
                values[key] = tuple((norm_key(k), v) for k, v in table.items())
        if "items" in values:
            values["items"] = self.string(where, "items", values["items"])
        if kind != "json":
            for key in ("items", "fields", "templates"):
                if key in values:
                    raise self.fail(where, key, 'only for a JSON API subscription (type = "json")')
            return
        if "items" not in values:
            raise self.fail(where, None, 'type = "json" needs items, the JMESPath to the list of entries')
        where_key, problem = api_problem(
            values["items"], values.get("fields", ()), values.get("templates", ())
        )
        if problem:
            raise self.fail(where, where_key, problem)

    def common(
        self, where: tuple[str, int], raw: Mapping[str, Any], allowed: tuple[str, ...]
    ) -> dict[str, Any]:
        """Keys shared by [defaults] and [[feeds]]: unknown keys, save settings, tz, full."""
        values: dict[str, Any] = {}
        for key, value in raw.items():
            name = norm_key(key)
            if name not in allowed:
                raise self.fail(where, key, f"unknown setting{_did_you_mean(name, allowed)}")
            values[name] = value
        for key, choices in (("profile", PROFILES), ("body", BODIES)):
            if key in values:
                value = self.string(where, key, values[key])
                if value not in choices:
                    raise self.fail(where, key, f"expected one of {', '.join(choices)}, got {value!r}")
        for key in ("footer", "filename"):
            if key in values:
                values[key] = self.string(where, key, values[key])
        if "tz" in values:
            from newscli.dates import zone

            tz = self.string(where, "tz", values["tz"])
            try:
                zone(tz)
            except UsageError as exc:
                raise self.fail(where, "tz", exc.message) from None
        for key in ("full", "render", "allow_private"):
            if key in values and not isinstance(values[key], bool):
                raise self.fail(where, key, f"expected true or false, got {values[key]!r}")
        if "set" in values:
            table = values.pop("set")
            if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
                raise self.fail(
                    where, "set", 'expected a table of templates, like set = { tags = "{source}" }'
                )
            values["sets"] = tuple((str(k), v) for k, v in table.items())
        return values

    def string(self, where: tuple[str, int], key: str, value: Any) -> str:
        if not isinstance(value, str):
            raise self.fail(where, key, f"expected a string, got {_toml_repr(value)}")
        return value


def _toml_repr(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _label(where: tuple[str, int] | None, key: str | None, names: Mapping[int, str]) -> str:
    if where is None:
        return f"{key}: " if key else ""
    if where[0] == "defaults":
        table = "[defaults]"
    else:
        table = f"feed {names[where[1]]!r}" if where[1] in names else f"feed {where[1] + 1}"
    return f"{table} {key}: " if key else f"{table}: "


def _did_you_mean(key: str, choices: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def api_problem(
    items: str, fields: Iterable[tuple[str, str]], templates: Iterable[tuple[str, str]]
) -> tuple[str | None, str | None]:
    """(key, problem) of a JSON API mapping: a JMESPath that does not compile, an unknown field, a bad
    template; (None, None) when it is sound. No code runs from a mapping: JMESPath is a query language."""
    import string

    import jmespath  # only for JSON API subscriptions
    from jmespath.exceptions import JMESPathError

    for key, expr in (("items", items), *((f"fields.{k}", v) for k, v in fields)):
        name = key.partition(".")[2]
        if name and name not in API_FIELDS:
            return key, f"unknown field{_did_you_mean(name, API_FIELDS)} (fields: {', '.join(API_FIELDS)})"
        if not expr.strip():
            return key, "empty JMESPath expression"
        try:
            jmespath.compile(expr)
        except JMESPathError as exc:
            reason = " ".join(str(exc).split())
            return key, f"not a JMESPath expression: {expr!r} ({reason})"
    for name, template in templates:
        key = f"templates.{name}"
        if name not in API_FIELDS:
            return key, f"unknown field{_did_you_mean(name, API_FIELDS)} (fields: {', '.join(API_FIELDS)})"
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError as exc:
            return key, f"bad template {template!r}: {exc}"
        for _, field_name, spec, conversion in parsed:
            if field_name is None:
                continue
            if not field_name or not field_name.replace("_", "a").replace("-", "a").isalnum():
                return key, f"bad template {template!r}: use plain {{name}} fields of the item"
            if spec or conversion:
                return key, f"bad template {template!r}: no format specs or conversions in {{{field_name}}}"
    return None, None


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a feed URL (not http(s), no host), or None."""
    if not url:
        return "expected an http(s) URL, got an empty string"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return f"not a valid URL: {url!r}"
    if parts.scheme.lower() not in ("http", "https"):
        return f"expected an http(s) URL, got {url!r}"
    if not parts.hostname:
        return f"URL has no host: {url!r}"
    if " " in url or not url.isprintable():  # every other white space is unprintable (one C loop per URL)
        return f"URL contains spaces or control characters: {url!r}"
    return None


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a feed, or None: names are typed in shells, so no spaces or slashes."""
    if not name:
        return "a feed name cannot be empty"
    if name.startswith("-"):
        return f"a feed name cannot start with '-': {name!r}"
    if " " in name or not name.isprintable() or "/" in name or "\\" in name:
        return f"a feed name cannot contain spaces, slashes or control characters: {name!r}"
    if len(name) > 100:
        return "a feed name is at most 100 characters"
    return None


def normalise_category(category: str) -> str | None:
    """'新闻 / 科技/' → '新闻/科技': folder levels separated by '/', blanks dropped."""
    parts = [part.strip() for part in category.split("/")]
    return "/".join(part for part in parts if part) or None


def clean_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Tags stripped, empty ones dropped, duplicates removed, order kept."""
    out: list[str] = []
    for tag in tags:
        tag = tag.strip()
        if tag and tag not in out:
            out.append(tag)
    return tuple(out)
