"""Templates over an article's fields (`{title}`, `{date:%Y-%m-%d}`, `{source_pinyin}`); slugs of bounded length.

Templates are Python `str.format` strings restricted to plain field names: no attribute
or index access (`{url.__class__}`), no positional fields. Missing values render as "".
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from newscli.errors import UsageError
from newscli.models import Article, short_text_cache
from newscli.slugs import pinyin, slugify

FIELDS = (
    "title",
    "url",
    "id",
    "slug",
    "source",
    "source_pinyin",
    "site_name",
    "author",
    "date",
    "published",
    "updated",
    "lang",
    "description",
    "image",
    "feed_title",
)

SLUG_MAX_CHARS = 80

_FORMATTER = string.Formatter()
_ESCAPES = re.compile(r"\\(n|t|\\)")


# a post's name is rendered more than once (the digest checks it before saving)
@short_text_cache(512)
def _bounded_slug(text: str) -> str:
    slug = slugify(text)
    if len(slug) <= SLUG_MAX_CHARS:
        return slug
    cut = slug[:SLUG_MAX_CHARS]
    # prefer ending on a word boundary when one is reasonably close
    if "-" in cut[SLUG_MAX_CHARS // 2 :]:
        cut = cut[: cut.rindex("-")]
    return cut.strip("-")


class _Blank:
    """A missing value: renders as "" whatever the format spec."""

    def __format__(self, spec: str) -> str:
        return ""

    def __str__(self) -> str:
        return ""

    def __repr__(self) -> str:
        return ""


BLANK = _Blank()


MIN_YEAR = 1000  # below: a placeholder (Go's zero time 0001-01-01), which no site accepts as a post date


def own_date(article: Article) -> datetime | None:
    """The article's own date: published, else updated; None when it has none worth filing under."""
    for when in (article.published, article.updated):
        if when is not None and when.year >= MIN_YEAR:
            return when
    return None


def article_date(article: Article, now: datetime | None = None) -> datetime:
    """The date a post is filed under: its own date (own_date), else now (local zone)."""
    return own_date(article) or now or datetime.now().astimezone()


def article_key(article: Article) -> str:
    """What the saved index knows an article by: its id, else its URL, else its title."""
    return article.id or article.url or "title:" + (article.title or "")


def untitled_slug(article: Article) -> str:
    """The stable slug of an article whose title gives none: `untitled-<8 hex digits of its key>`."""
    digest = hashlib.sha256(article_key(article).encode("utf-8", "surrogatepass")).hexdigest()
    return "untitled-" + digest[:8]


class TemplateValues(Mapping[str, Any]):
    """An article's template fields, computed on demand (pinyin only when asked for)."""

    def __init__(self, article: Article, *, now: datetime | None = None, dry: bool = False) -> None:
        self.article = article
        self.now = now
        self.dry = dry  # checking a template: don't load pypinyin just for that
        self._cache: dict[str, Any] = {}

    def _compute(self, key: str) -> Any:
        a = self.article
        if key == "source":
            return a.source or a.site_name
        if key == "source_pinyin":
            source = self["source"]
            if not isinstance(source, str):
                return None
            return slugify(source) if self.dry else pinyin(source)
        if key == "slug":
            # an empty slug would name a Jekyll post `2005-07-18.md`, which Jekyll ignores
            return _bounded_slug(a.title or "") or untitled_slug(a)
        if key == "date":
            return article_date(a, self.now)
        if key == "feed_title":
            return a.feed.title if a.feed else None
        return getattr(a, key)

    def __getitem__(self, key: str) -> Any:
        if key not in FIELDS:
            raise KeyError(key)
        if key not in self._cache:
            self._cache[key] = self._compute(key)
        value = self._cache[key]
        return BLANK if value is None or value == "" else value

    def __iter__(self) -> Iterator[str]:
        return iter(FIELDS)

    def __len__(self) -> int:
        return len(FIELDS)


def unescape(template: str) -> str:
    """Turn the two-character sequences `\\n`, `\\t`, `\\\\` of a command-line template into characters."""
    return _ESCAPES.sub(lambda m: {"n": "\n", "t": "\t", "\\": "\\"}[m.group(1)], template)


def _fields(template: str, what: str) -> Iterator[tuple[str, str]]:
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as exc:
        raise UsageError(
            f"{what}: malformed template {template!r} ({exc}); write {{{{ and }}}} for braces"
        ) from None
    for _, name, spec, _ in parsed:
        if name is None:
            continue
        yield name, spec or ""
        if spec and ("{" in spec or "}" in spec):
            yield from _fields(spec, what)


_SAMPLE = Article(
    url="https://example.com/a",
    id="https://example.com/a",
    title="Sample",
    author="A",
    published=datetime(2022, 5, 17, 20, 10, 6).astimezone(),
    updated=datetime(2022, 5, 17, 20, 10, 6).astimezone(),
    site_name="Example",
    source="Example",
    lang="en",
    description="d",
    image="https://example.com/i.png",
)


def check_template(template: str, *, what: str) -> None:
    """Raise UsageError (exit 2) for an unknown field or a malformed template; `what` names the option."""
    known = ", ".join(FIELDS)
    for name, _ in _fields(template, what):
        if name not in FIELDS:
            raise UsageError(f"{what}: unknown field {{{name}}}; known: {known}")
    try:
        # format specs are only checked by formatting: `{title:%Y}` fails here, not mid-run
        _render(template, TemplateValues(_SAMPLE, now=_SAMPLE.published, dry=True))
        _render(template, TemplateValues(Article(), now=_SAMPLE.published, dry=True))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise UsageError(f"{what}: bad template {template!r}: {exc}") from None


# templates whose fields were found plain: a run renders the same few thousands of times
_PLAIN: set[str] = set()


def _render(template: str, values: Mapping[str, Any]) -> str:
    if template not in _PLAIN:
        for name, _ in _fields(template, "template"):
            if name not in FIELDS:  # never let `{url.__class__}` reach str.format
                raise UsageError(f"template: unknown field {{{name}}}; known: {', '.join(FIELDS)}")
        if len(_PLAIN) > 256:
            _PLAIN.clear()
        _PLAIN.add(template)
    return template.format_map(values)


def render_template(template: str, article: Article, *, now: datetime | None = None) -> str:
    """Render a checked template over `article`; None fields render as ""."""
    return _render(template, TemplateValues(article, now=now))


def render_with(template: str, values: Mapping[str, Any]) -> str:
    """Render a checked template over precomputed values (one `now` for a whole post)."""
    return _render(template, values)
