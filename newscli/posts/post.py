"""Articles as Markdown posts: front matter profiles, safe file names, saving without clobbering.

The YAML itself is written by frontmatter.py, the files by atomicwrite.py.

Layout of a post: `---\\n<front matter>---\\n<body>\\n` — or, with a footer,
`---\\n<front matter>---\\n<body>\\n\\n<footer>` ending exactly where the footer ends (as the
seed post does).

Profiles (`--set KEY=TEMPLATE` overrides a field in place or appends a new one):

- jekyll: layout: post, title, date (`YYYY-MM-DD HH:MM:SS +ZZZZ`), categories, tags
- hugo:   title, date (RFC 3339), draft: false, categories, tags, source_url
- plain:  title, date (RFC 3339), url, author, source

Fields without a value (no author, no categories) are left out; `title` is always there.

Saving: a different article whose name is taken gets `-2`, `-3`…; the same article (same id,
known from the SavedIndex, or a file with identical bytes) rewrites its own file only when the
bytes changed. Without an index, a changed article whose old file is not recognisable is saved
under a new number rather than overwriting a file that might be someone else's.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from newscli.config import BODIES, PROFILES
from newscli.errors import SaveError, UsageError
from newscli.models import Article
from newscli.posts import markdown
from newscli.posts.atomic import atomic_write, make_directory, read_existing
from newscli.posts.frontmatter import Raw, clean_text, front_matter, valid_key
from newscli.posts.index import SavedIndex
from newscli.posts.templates import TemplateValues, article_date, check_template, render_with, unescape

MAX_NAME_BYTES = 255
MAX_COLLISIONS = 10_000

# in bodies and footers: only what a terminal or editor would act on
_STRIP_BODY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]")


# ---- options and rendering ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PostOptions:
    """How posts are rendered and named; templates as in cli.md."""

    profile: str = "jekyll"
    body: str = "markdown"
    sets: tuple[tuple[str, str], ...] = ()
    footer: str | None = None
    filename: str = "{date:%Y-%m-%d}-{slug}.md"

    def check(self) -> None:
        """Raise UsageError for a bad profile, body, field name or template (before any network work)."""
        if self.profile not in PROFILES:
            raise UsageError(
                f"--profile: unknown profile {self.profile!r}; choose from {', '.join(PROFILES)}"
            )
        if self.body not in BODIES:
            raise UsageError(f"--body: unknown body {self.body!r}; choose from {', '.join(BODIES)}")
        for key, template in self.sets:
            if not valid_key(key):
                raise UsageError(f"--set {key}: bad field name (letters, digits, '_' and '-', not first)")
            check_template(template, what=f"--set {key}")
        if self.footer is not None:
            check_template(unescape(self.footer), what="--footer")
        check_template(self.filename, what="--filename")
        if not self.filename.strip():
            raise UsageError("--filename: empty template")


def parse_set(option: str) -> tuple[str, str]:
    """`KEY=TEMPLATE` from the command line as (key, template); UsageError when malformed."""
    key, sep, template = option.partition("=")
    key = key.strip()
    if not sep or not valid_key(key):
        raise UsageError(f"--set {option!r}: expected KEY=TEMPLATE")
    return key, template


def _profile_fields(article: Article, date: datetime, profile: str) -> list[tuple[str, object]]:
    title = article.title or ""
    source = article.source or article.site_name
    if profile == "jekyll":
        return [
            ("layout", Raw("post")),
            ("title", title),
            ("date", Raw(date.strftime("%Y-%m-%d %H:%M:%S %z").rstrip())),
            ("categories", list(article.categories)),
            ("tags", list(article.tags)),
        ]
    rfc3339 = Raw(date.isoformat(timespec="seconds"))
    if profile == "hugo":
        return [
            ("title", title),
            ("date", rfc3339),
            ("draft", False),
            ("categories", list(article.categories)),
            ("tags", list(article.tags)),
            ("source_url", article.url),
        ]
    return [
        ("title", title),
        ("date", rfc3339),
        ("url", article.url),
        ("author", article.author),
        ("source", source),
    ]


def _fields_for(article: Article, options: PostOptions, values: TemplateValues) -> list[tuple[str, object]]:
    fields = _profile_fields(article, values["date"], options.profile)
    for key, template in options.sets:
        value = render_with(template, values)
        for i, (existing, _) in enumerate(fields):
            if existing == key:
                fields[i] = (key, value)
                break
        else:
            fields.append((key, value))
    return fields


def _body(article: Article, options: PostOptions) -> str:
    if options.body == "html":
        body = article.html if article.html is not None else markdown.text_to_html(article.text or "")
    elif article.html:
        body = markdown.html_to_markdown(article.html)
    else:
        body = markdown.text_to_markdown(article.text or "")
    return _STRIP_BODY.sub("", body).rstrip("\n")


def render_post(article: Article, options: PostOptions, *, now: datetime | None = None) -> str:
    """The whole post: front matter, body and footer (`now` dates an article without a date)."""
    return _render(article, options, TemplateValues(article, now=now))


def _render(article: Article, options: PostOptions, values: TemplateValues) -> str:
    text = front_matter(_fields_for(article, options, values)) + _body(article, options)
    if options.footer is not None:
        footer = _STRIP_BODY.sub("", render_with(unescape(options.footer), values))
        return text + "\n\n" + footer
    return text + "\n"


# ---- file names --------------------------------------------------------------------------------------

_RESERVED = re.compile(r"(CON|PRN|AUX|NUL|CLOCK\$|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])\Z", re.IGNORECASE)
_BAD_NAME_CHARS = re.compile(r'[/\\<>:"|?*\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]+')
# only these count as the name's extension; anything else ("Version 2.0") gets ".md" added
_EXT = re.compile(r"\.(md|markdown|mdown|mkd|mdx|html|htm|txt|rst|adoc|org)\Z", re.IGNORECASE)
_TRIM = " .-\t\u3000"


def _cut_utf8(text: str, limit: int) -> str:
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")


def _fit(stem: str, ext: str, tail: str = "") -> str:
    room = MAX_NAME_BYTES - len((tail + ext).encode("utf-8"))
    stem = _cut_utf8(stem, room).rstrip(_TRIM)
    return stem + tail + ext


def _split_name(name: str, fallback_seed: str) -> tuple[str, str]:
    name = unicodedata.normalize("NFC", clean_text(name))
    name = _BAD_NAME_CHARS.sub("-", name)
    name = re.sub(r"\s+", " ", name)
    m = _EXT.search(name)
    ext = m.group(0).lower() if m else ".md"
    stem = name[: m.start()] if m else name
    stem = re.sub(r"-{2,}", "-", stem).strip(_TRIM)
    if _RESERVED.match(stem.split(".")[0].rstrip(" ")):
        stem = "_" + stem
    if not stem:
        stem = "untitled-" + hashlib.sha256(fallback_seed.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return stem, ext


def safe_filename(name: str, *, fallback_seed: str) -> str:
    """`name` as one safe path component: no separators, `..`, reserved names or controls; ≤255 bytes."""
    stem, ext = _split_name(name, fallback_seed)
    return _fit(stem, ext)


def numbered(name: str, n: int) -> str:
    """The n-th alternative of a safe file name: `name-2.md`, `name-3.md`… still ≤255 bytes."""
    stem, ext = _split_name(name, name)
    return _fit(stem, ext, f"-{n}") if n > 1 else _fit(stem, ext)


def post_filename(article: Article, options: PostOptions, *, now: datetime | None = None) -> str:
    """The safe file name the filename template gives for `article` (before collision numbering)."""
    return safe_filename(
        render_with(options.filename, TemplateValues(article, now=now)), fallback_seed=_key(article)
    )


def _key(article: Article) -> str:
    return article.id or article.url or "title:" + (article.title or "")


# ---- writing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    """Where a post went and what happened: 'new', 'updated' or 'unchanged'."""

    path: Path
    status: str


def save_post(
    article: Article,
    directory: Path,
    options: PostOptions,
    *,
    index: SavedIndex | None = None,
    now: datetime | None = None,
) -> Saved:
    """Write `article` as a post in `directory`: new file, rewrite of its own file, or nothing if unchanged."""
    options.check()
    values = TemplateValues(article, now=now or datetime.now().astimezone())
    data = _render(article, options, values).encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    key = _key(article)
    make_directory(directory)
    # choosing a name, writing and recording its owner is one step for the threads of this process
    with _directory_lock(directory):
        return _save(data, digest, key, directory, render_with(options.filename, values), index)


_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _directory_lock(directory: Path) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(os.path.realpath(directory), threading.Lock())


def _save(
    data: bytes, digest: str, key: str, directory: Path, wanted: str, index: SavedIndex | None
) -> Saved:
    def done(name: str, status: str) -> Saved:
        if index is not None:
            index.record(directory, key, name, digest)
        return Saved(directory / name, status)

    known = index.lookup(directory, key) if index is not None else None
    if known is not None and known[0] == safe_filename(known[0], fallback_seed=key):
        own = directory / known[0]
        current = read_existing(own)
        if current is not None:
            if current == data:
                return done(known[0], "unchanged")
            atomic_write(own, data)
            return done(known[0], "updated")

    base = safe_filename(wanted, fallback_seed=key)
    for n in range(1, MAX_COLLISIONS + 1):
        name = numbered(base, n)
        path = directory / name
        current = read_existing(path)
        if current is None and not os.path.lexists(path):
            try:
                atomic_write(path, data, replace=False)
            except FileExistsError:
                continue
            return done(name, "new")
        owner = index.owner(directory, name) if index is not None else None
        if owner is not None and owner != key:
            continue  # another article's file, even if its bytes happen to be the same
        if current == data:
            return done(name, "unchanged")  # identical bytes, no other owner: this article, saved before
        if owner == key and current is not None:
            atomic_write(path, data)
            return done(name, "updated")
    raise SaveError(f"more than {MAX_COLLISIONS} files named like {base}", source=str(directory))


__all__ = [
    "PROFILES",
    "PostOptions",
    "Saved",
    "parse_set",
    "post_filename",
    "render_post",
    "safe_filename",
    "save_post",
    "article_date",
]
