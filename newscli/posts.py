"""Articles as Markdown posts: front matter profiles, safe YAML, safe file names, atomic writes.

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

import errno
import hashlib
import os
import re
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from newscli import markdown
from newscli.errors import SaveError, UsageError
from newscli.models import Article
from newscli.saved import SavedIndex
from newscli.templates import TemplateValues, article_date, check_template, render_with, unescape

PROFILES = ("jekyll", "hugo", "plain")
BODIES = ("markdown", "html")
MAX_NAME_BYTES = 255
MAX_COLLISIONS = 10_000

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def _valid_key(key: str) -> bool:
    return bool(_KEY.match(key)) and key.lower() not in _WORDS  # `on:` would load as the key True


# ---- text cleaning ---------------------------------------------------------------------------------

# C0 (but tab and newline), DEL, C1 (but NEL, which YAML knows as a line break), bidi embeddings,
# overrides and isolates, lone surrogates and the two non-characters YAML cannot carry.
_STRIP = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\x80-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
# in bodies and footers: only what a terminal or editor would act on
_STRIP_BODY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]")


def clean_text(text: str) -> str:
    """The text as it goes into front matter: control, bidi-control and unencodable characters removed."""
    return _STRIP.sub("", text)


# ---- YAML --------------------------------------------------------------------------------------------


class Raw(str):
    """A scalar we formatted ourselves (a date, `post`) and emit exactly as it is."""


_WORDS = frozenset(
    "y n yes no on off true false null ~ nan inf".split()  # YAML 1.1 booleans and nulls, any case
)
# Numbers, dates, times and sexagesimals of YAML 1.1 and 1.2 start like this and use only these
# characters; quoting every such string is simpler and safer than matching each grammar exactly.
_NUMBERISH = re.compile(r"[-+.]?[0-9][0-9A-Za-z_.:+\- ]*\Z")
_ESCAPE = {
    "\\": "\\\\",
    '"': '\\"',
    "\t": "\\t",
    "\n": "\\n",
    "\r": "\\r",
    "\x85": "\\N",
    "\u2028": "\\L",
    "\u2029": "\\P",
    "\ufeff": "\\uFEFF",
}
_NEEDS_ESCAPE = re.compile('[\\\\"\t\n\r\x85\u2028\u2029\ufeff\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]')


def _plain_ok(s: str) -> bool:
    if not s or s != s.strip(" ") or s.lower() in _WORDS:
        return False
    if not (s[0].isalnum() or s[0] in "_/("):  # indicators, `.inf`, `---`, `<<`, `=`, `~`
        return False
    if _NUMBERISH.match(s):
        return False
    if any(not ch.isprintable() for ch in s):
        return False
    if '"' in s or "'" in s or "\\" in s or ": " in s or " #" in s or s.endswith(":") or "\t" in s:
        return False
    return True


def _escape_char(m: re.Match[str]) -> str:
    ch = m.group(0)
    if ch in _ESCAPE:
        return _ESCAPE[ch]
    code = ord(ch)
    return f"\\x{code:02X}" if code < 0x100 else f"\\u{code:04X}"


def quote(s: str) -> str:
    """A YAML double-quoted scalar that every YAML 1.1 and 1.2 loader reads back as `s`."""
    return '"' + _NEEDS_ESCAPE.sub(_escape_char, s) + '"'


def scalar(s: str, *, force_quotes: bool = False) -> str:
    """`s` (cleaned) as a YAML scalar: plain when no loader could read it as anything else."""
    s = clean_text(s)
    return s if not force_quotes and _plain_ok(s) else quote(s)


def front_matter(fields: list[tuple[str, object]]) -> str:
    """YAML between `---` lines for (key, value) pairs; `title` is always double-quoted."""
    lines = ["---"]
    for key, value in fields:
        if not _valid_key(key):
            raise UsageError(f"front matter: bad field name {key!r}")
        if value is None:
            continue
        if isinstance(value, bool):
            lines.append(f"{key}: {'true' if value else 'false'}")
        elif isinstance(value, Raw):
            lines.append(f"{key}: {value}")
        elif isinstance(value, str):
            lines.append(f"{key}: {scalar(value, force_quotes=key == 'title')}")
        elif isinstance(value, int | float):
            lines.append(f"{key}: {value!r}")
        elif isinstance(value, list | tuple):
            items = [clean_text(str(v)) for v in value]
            items = [v for v in items if v.strip()]
            if not items:
                continue
            lines.append(f"{key}:")
            lines.extend(f"  - {scalar(v)}" for v in items)
        else:
            lines.append(f"{key}: {scalar(str(value))}")
    lines.append("---")
    return "\n".join(lines) + "\n"


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
            if not _valid_key(key):
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
    if not sep or not _valid_key(key):
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


def _cause(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return "disk full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "not writable"
    if exc.errno == errno.ENOTDIR:
        return "not a directory"
    if exc.errno == errno.ENAMETOOLONG:
        return "file name too long"
    return exc.strerror or str(exc)


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):  # some file systems cannot sync directories
            raise
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, replace: bool = True) -> None:
    """Write `data` to `path` all-or-nothing: temp file in the same directory, fsync, rename, fsync dir.

    With `replace=False` an existing `path` is never overwritten (FileExistsError instead).
    Other OS errors become SaveError naming the path and the cause; no temporary file survives.
    """
    directory = path.parent
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".newscli-", suffix=".tmp")
    except OSError as exc:
        raise SaveError(_cause(exc), source=str(path)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            mode = os.stat(path).st_mode & 0o7777  # an updated post keeps its permissions
        except OSError:
            mode = 0o666 & ~_umask()  # mkstemp's 0o600 would hide posts from a web server's user
        os.chmod(tmp, mode)
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if path appeared meanwhile: never clobber another article
            except FileExistsError:
                raise
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EMLINK, errno.EXDEV, errno.ENOSYS):
                    raise
                if os.path.lexists(path):  # no hard links here: checking first is the best we can do
                    raise FileExistsError(errno.EEXIST, "exists", str(path)) from None
                os.replace(tmp, path)
        _fsync_dir(directory)
    except FileExistsError:
        raise
    except OSError as exc:
        raise SaveError(_cause(exc), source=str(path)) from None
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        except OSError:
            pass


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022  # os.umask() would have to set it to read it, racing other threads


def _make_directory(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise SaveError("not a directory", source=str(directory)) from None
    except OSError as exc:
        raise SaveError(_cause(exc), source=str(directory)) from None


def check_directory(directory: Path) -> None:
    """Create `directory` if needed and prove it writable by writing a file (works for root too)."""
    _make_directory(directory)
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".newscli-", suffix=".tmp")
    except OSError as exc:
        raise SaveError(_cause(exc), source=str(directory)) from None
    os.close(fd)
    os.unlink(tmp)


def ensure_writable(directory: Path) -> None:
    """Same as check_directory: SaveError ("not writable", "not a directory") before any fetching."""
    check_directory(directory)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    except OSError as exc:
        raise SaveError(_cause(exc), source=str(path)) from None


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
    _make_directory(directory)
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
        current = _read(own)
        if current is not None:
            if current == data:
                return done(known[0], "unchanged")
            atomic_write(own, data)
            return done(known[0], "updated")

    base = safe_filename(wanted, fallback_seed=key)
    for n in range(1, MAX_COLLISIONS + 1):
        name = numbered(base, n)
        path = directory / name
        current = _read(path)
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
    "atomic_write",
    "check_directory",
    "ensure_writable",
    "clean_text",
    "front_matter",
    "parse_set",
    "post_filename",
    "quote",
    "render_post",
    "safe_filename",
    "save_post",
    "scalar",
    "article_date",
]
