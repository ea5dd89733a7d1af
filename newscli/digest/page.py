"""The day's digest page: per feed, each saved post's linked title, source, time and first sentence.

Each title links to the post on this site — Jekyll: `{% post_url NAME %}`, Hugo: `{{< relref "NAME" >}}`,
plain: the file's relative name — with the origin URL beside it. Only posts that the site will build
get such a link (in the page's folder, a name Jekyll reads as a post, not dated in the future: Jekyll
and Hugo fail the build on a link to a post they skip); the others link to the origin alone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import quote

from newscli.digest.state import PostRecord, State
from newscli.errors import NewsError
from newscli.models import Article
from newscli.posts.folder import PostFolder

# any day's page name: posts never take one, so a page never has to land on a post
_PAGE_NAME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}-digest\.(md|html)\Z", re.IGNORECASE)
_JEKYLL_POST = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2}-[^{}%\s]+)\.(md|markdown|html)\Z")
PAGE_FORMAT = 1  # the version of the page's rendering, part of its inputs
_LINK = "https://newscli.invalid/post/{}/"  # stands for a site link until the page's body is protected
_SENTENCE = re.compile(r".+?(?:[。！？!?](?:[”’」』\"')]*)|\.(?=\s|$))", re.DOTALL)


def page_name(day: str) -> str:
    """The file name of the digest page of `day` (YYYY-MM-DD)."""
    return f"{day}-digest.md"


def page_key(day: str) -> str:
    """The id the digest page of `day` is saved under in the saved index."""
    return f"digest:{day}"


def is_page_name(name: str) -> bool:
    """True when `name` is shaped like a digest page's file name (of any day)."""
    return _PAGE_NAME.match(name) is not None


def first_sentence(text: str | None, limit: int = 160) -> str:
    """The first sentence of the first paragraph, at most `limit` characters."""
    for para in (text or "").split("\n"):
        para = " ".join(para.split())
        if not para:
            continue
        match = _SENTENCE.match(para)
        sentence = match.group(0) if match else para
        return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"
    return ""


def site_link(
    post: PostRecord,
    folder: Path,
    profile: str,
    now: datetime,
    real: dict[str, str] | None = None,
    files: set[str] | None = None,
) -> str | None:
    """The link to `post` on the site built from `folder` (see the module doc), or None when it has none.

    For the many posts of one page: `real`, a cache of resolved folder paths; `files`, the names of the
    files in `folder` (else each post's file is looked at)."""
    parent, _, name = post.path.rpartition(os.sep)
    real = {} if real is None else real
    here = str(folder)
    for where in (parent, here):
        if where not in real:
            real[where] = os.path.realpath(where)
    if real[parent] != real[here]:
        return None
    if not (name in files if files is not None else os.path.isfile(post.path)):
        return None
    if post.published:
        try:
            if datetime.fromisoformat(post.published) > now:
                return None  # Jekyll and Hugo skip future posts, and a link to one fails the build
        except (ValueError, TypeError):
            pass
    if profile == "jekyll":
        m = _JEKYLL_POST.match(name)
        return "{% post_url " + m.group(1) + " %}" if m else None
    if profile == "hugo":
        return '{{< relref "' + name + '" >}}' if '"' not in name else None
    return quote(name)


# One entry of the page as what it is made of, rendered as HTML or Markdown alike: ("a", text, href) a link,
# ("t", text) text, ("br",) a line break.
_Node = tuple[str, ...]


def _page_entries(
    posts: Sequence[PostRecord], titles: dict[str, str], tz: tzinfo, links: dict[str, str]
) -> Iterator[tuple[str, list[list[_Node]]]]:
    """Per feed, in the order of `posts`: its heading and its entries (a linked title, then source, local
    time and first sentence)."""
    current: str | None = None
    entries: list[list[_Node]] = []
    for post in posts:
        if post.feed != current:
            if current is not None:
                yield titles.get(current, current), entries
            current, entries = post.feed, []
        own = links.get(post.path)
        nodes: list[_Node] = [
            ("a", post.title or post.url or Path(post.path).name, own or post.url or Path(post.path).name)
        ]
        meta: list[_Node] = []
        if own and post.url:  # the origin beside the site's own page
            meta.append(("a", post.source or post.url, post.url))
        elif post.source:
            meta.append(("t", post.source))
        if post.published:
            try:
                when = datetime.fromisoformat(post.published).astimezone(tz)
                shown = (
                    when.strftime("%H:%M")
                    if when.date().isoformat() == post.day
                    else when.strftime("%Y-%m-%d %H:%M")
                )
                meta.append(("t", shown))
            except ValueError:
                pass
        for node in meta:
            nodes += [("t", " · "), node]
        if post.summary:
            nodes += [("br",), ("t", post.summary)]
        entries.append(nodes)
    if current is not None:
        yield titles.get(current, current), entries


def _html_section(heading: str, entries: list[list[_Node]]) -> str:
    parts = [f"<h2>{html.escape(heading)}</h2>", "<ul>"]
    for nodes in entries:
        line = "".join(
            f'<a href="{html.escape(n[2], quote=True)}">{html.escape(n[1])}</a>'
            if n[0] == "a"
            else "<br>"
            if n[0] == "br"
            else html.escape(n[1])
            for n in nodes
        )
        parts.append(f"<li>{line}</li>")
    parts.append("</ul>")
    return "\n".join(parts)


def _markdown_section(heading: str, entries: list[list[_Node]]) -> str:
    """The Markdown html_to_markdown makes of _html_section's HTML, written directly (a day of thousands of
    posts is not parsed back from HTML)."""
    from newscli.posts import markdown as md

    def parsed(value: str) -> str:  # as the HTML parser reads it: no controls, CR LF and CR as LF
        if value.isprintable():  # (nearly always: none of those)
            return value
        return md.strip_controls(value).replace("\r\n", "\n").replace("\r", "\n")

    def text(value: str) -> str:
        return md.inline_text(parsed(value))

    items = []
    for nodes in entries:
        run: list[str] = []
        pending = ""  # adjacent text is one text node
        for node in nodes:
            if node[0] == "t":
                pending += node[1]
                continue
            if pending:
                run.append(text(pending))
                pending = ""
            if node[0] == "a":
                run.append(md.link_markdown(text(node[1]), parsed(node[2])))
            else:
                run.append(md.HARD_BREAK)
        if pending:
            run.append(text(pending))
        items.append(md.list_item("- ", [md.paragraph_markdown("".join(run))]))
    blocks = [md.heading_markdown(2, text(heading)), "\n".join(items)]
    return "\n\n".join(b for b in blocks if b.strip())


def digest_page_sections(
    posts: Sequence[PostRecord],
    titles: dict[str, str],
    tz: tzinfo,
    links: dict[str, str] | None = None,
    *,
    markdown: bool = False,
) -> list[str]:
    """The digest body, one section per feed: a heading and a list of linked titles with source, local
    time, first sentence; HTML, or with `markdown` the Markdown that HTML converts to.

    `links` maps a post's path to the href of its page on this site; the origin URL then stands beside it.
    """
    render = _markdown_section if markdown else _html_section
    return [render(heading, entries) for heading, entries in _page_entries(posts, titles, tz, links or {})]


def write_digest_page(
    folder: PostFolder,
    state: State,
    config: Any,
    *,
    now: Callable[[], float],
    tz: tzinfo,
    dry_run: bool,
    planned: list[str],
    warnings: list[str],
) -> Path | None:
    """Write today's `<day>-digest.md` in `folder` from today's posts (dry run: plan it); its path or None.

    The page is saved like a post under its own id: it rewrites only its own file (known from the
    saved index, or recognised by its title when the index lost it), never a post or a stranger's
    file; when its name is taken by one of those it gets `-2`, `-3`….
    """
    from newscli.posts.post import PostOptions, render_post

    day = datetime.fromtimestamp(now(), tz).date().isoformat()
    defaults = config.defaults
    base = PostOptions(
        profile=getattr(defaults, "profile", None) or "jekyll",
        body=getattr(defaults, "body", None) or "markdown",
        filename=page_name(day),
    )
    name, key = base.name_template, page_key(day)  # Hugo's HTML bodies: `<day>-digest.html`
    if dry_run:
        if any(line.startswith("would save") for line in planned):
            planned.append(f"would write {folder.path / name} (the day's digest page)")
        return None
    posts = state.day_posts(day)
    if not posts:
        return None
    titles = {f.name: (getattr(f, "title", None) or f.name) for f in config.feeds}
    last = max(p.saved_at for p in posts)
    when = datetime.fromtimestamp(now(), tz)
    hrefs: dict[str, str] = {}
    links: list[tuple[str, str]] = []
    real: dict[str, str] = {}
    try:
        with os.scandir(folder.path) as entries:
            files: set[str] | None = {e.name for e in entries if e.is_file()}
    except OSError:
        files = None
    for post in posts:
        link = site_link(post, folder.path, base.profile, when, real, files)
        if link is not None and post.path not in hrefs:
            hrefs[post.path] = _LINK.format(len(links) + 1)
            links.append((hrefs[post.path], link))
    del files, real
    # What the page is made of; when it is what the page on disk was made of, the page stands (a rerun
    # with nothing new renders nothing: thousands of posts make a page that takes a while to render).
    inputs = _inputs(day, base, titles, posts, links)
    written = folder.recorded(key)
    if written is not None and state.page_inputs(day) == inputs:
        return written
    sections = digest_page_sections(posts, titles, tz, hrefs, markdown=base.body != "html")
    # Thousands of entries: what the sections were made from goes before the page is rendered, and the
    # whole HTML exists only as an HTML body (a Markdown body is written section by section).
    del posts, hrefs
    article = Article(
        title=f"Digest {day}",
        id=key,
        published=datetime.fromtimestamp(last, tz),
        categories=("digest",),
        html="\n".join(sections) if base.body == "html" else None,
    )
    options = dataclasses.replace(
        base, links=tuple(links), markdown_sections=tuple(sections) if base.body != "html" else ()
    )
    try:
        folder.adopt(name, key, lambda: render_post(article, options))
        saved = folder.save(article, options, now=when)
        state.set_page_inputs(day, inputs)
    except NewsError as exc:
        warnings.append(f"digest page: {exc}")
        return None
    except OSError as exc:  # should have been a SaveError; never let it kill the run
        warnings.append(f"digest page: {exc.strerror or exc} ({folder.path})")
        return None
    return saved.path


_RECORD_FIELDS = tuple(f.name for f in dataclasses.fields(PostRecord))


def _inputs(
    day: str, options: Any, titles: dict[str, str], posts: Sequence[PostRecord], links: list[tuple[str, str]]
) -> str:
    """A digest of everything the day's page is rendered from (PAGE_FORMAT: bump it when the rendering changes).

    It is the SHA-256 of the JSON text of [PAGE_FORMAT, day, profile, body, feed titles, rows, links],
    fed to the hash a few hundred rows at a time (a day of thousands of posts never becomes one string)."""
    digest = hashlib.sha256()

    def put(text: str) -> None:
        digest.update(text.encode("utf-8", "surrogatepass"))

    def dumps(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, default=str)

    head = [
        PAGE_FORMAT,
        day,
        options.profile,
        options.body,
        sorted({titles.get(p.feed, p.feed) for p in posts}),
    ]
    put(dumps(head)[:-1] + ", [")
    for start in range(0, len(posts), _ROWS_PER_CHUNK):
        rows = [[getattr(p, f) for f in _RECORD_FIELDS] for p in posts[start : start + _ROWS_PER_CHUNK]]
        put((", " if start else "") + dumps(rows)[1:-1])
    put("], " + dumps(links) + "]")
    return digest.hexdigest()


_ROWS_PER_CHUNK = 256
