"""The day's digest page: per feed, each saved post's linked title, source, time and first sentence."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from newscli.errors import NewsError
from newscli.models import Article
from newscli.state import PostRecord, State

_SENTENCE = re.compile(r".+?(?:[。！？!?](?:[”’」』\"')]*)|\.(?=\s|$))", re.DOTALL)


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


def digest_page_html(posts: Sequence[PostRecord], titles: dict[str, str], tz: tzinfo) -> str:
    """The digest body: per feed a heading and a list of linked titles with source, local time, first sentence."""
    parts: list[str] = []
    current = None
    for post in posts:
        if post.feed != current:
            if current is not None:
                parts.append("</ul>")
            current = post.feed
            parts.append(f"<h2>{html.escape(titles.get(post.feed, post.feed))}</h2>")
            parts.append("<ul>")
        title = html.escape(post.title or post.url or Path(post.path).name)
        link = post.url or Path(post.path).name
        meta = [post.source or ""]
        if post.published:
            try:
                when = datetime.fromisoformat(post.published).astimezone(tz)
                meta.append(
                    when.strftime("%H:%M")
                    if when.date().isoformat() == post.day
                    else when.strftime("%Y-%m-%d %H:%M")
                )
            except ValueError:
                pass
        line = f'<a href="{html.escape(link, quote=True)}">{title}</a>'
        meta_text = " · ".join(html.escape(m) for m in meta if m)
        if meta_text:
            line += f" · {meta_text}"
        if post.summary:
            line += f"<br>{html.escape(post.summary)}"
        parts.append(f"<li>{line}</li>")
    if current is not None:
        parts.append("</ul>")
    return "\n".join(parts)


def write_digest_page(
    out: Path,
    state: State,
    config: Any,
    *,
    now: Callable[[], float],
    tz: tzinfo,
    dry_run: bool,
    planned: list[str],
    warnings: list[str],
) -> Path | None:
    """Write today's `<day>-digest.md` in `out` from today's posts (dry run: plan it); its path or None."""
    from newscli.atomicwrite import atomic_write
    from newscli.posts import PostOptions, render_post

    day = datetime.fromtimestamp(now(), tz).date().isoformat()
    path = out / f"{day}-digest.md"
    posts = state.day_posts(day)
    if dry_run:
        if any(line.startswith("would save") for line in planned):
            planned.append(f"would write {path} (the day's digest page)")
        return None
    if not posts:
        return None
    titles = {f.name: (getattr(f, "title", None) or f.name) for f in config.feeds}
    last = max(p.saved_at for p in posts)
    article = Article(
        title=f"Digest {day}",
        id=f"digest:{day}",
        published=datetime.fromtimestamp(last, tz),
        categories=("digest",),
        html=digest_page_html(posts, titles, tz),
    )
    defaults = config.defaults
    options = PostOptions(
        profile=getattr(defaults, "profile", None) or "jekyll",
        body=getattr(defaults, "body", None) or "markdown",
    )
    data = render_post(article, options).encode("utf-8")
    try:
        if path.read_bytes() == data:
            return path
    except OSError:
        pass
    try:
        atomic_write(path, data)
    except NewsError as exc:
        warnings.append(f"digest page: {exc}")
        return None
    return path
