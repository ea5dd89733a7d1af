"""The headline of a page: what meta tags, JSON-LD, <h1> and <title> propose, and the site name split off."""

from __future__ import annotations

import re
from typing import Any

from newscli.page.embedded import ld_str
from newscli.page.metatags import first
from newscli.page.text import CJK

# Separators between a headline and the site name in <title>: spaced dashes/bars, or CJK forms without spaces.
_TITLE_SPLIT = re.compile(r"\s+(?:[|\-–—:·»/\\]|::|--)\s+|\s*(?:[|｜_]|——|－－|--)\s*")


def read_title(
    metas: dict[str, list[str]],
    article: dict[str, Any],
    title_tag: str,
    h1s: list[str],
    site_name: str | None,
    host: str | None = None,
    body_text: str | None = None,
) -> tuple[str | None, str | None]:
    """The headline and the site name split off the <title> (if any).

    Each source (meta tags, JSON-LD, <h1>, <title>) proposes headlines; the one most sources agree on wins,
    ties going to the more trusted source. Agreement beats trust because social titles (og:title) are often
    rewritten for sharing while <title> and <h1> carry the page's own headline.
    """
    parts = _title_parts(title_tag)
    site_from_title = None
    if len(parts) > 1 and len(parts[-1]) < len(max(parts, key=len)):
        site_from_title = parts[-1]
    site = site_name or site_from_title
    groups: list[list[str]] = [
        [
            _strip_site(t, site)
            for t in (first(metas, k) for k in ("dc.title", "dcterms.title", "og:title", "twitter:title"))
            if t
        ],
        [t for t in (ld_str(article.get("headline")), ld_str(article.get("name"))) if t],
        [h for h in h1s if len(h) > 1],
        _title_tag_headlines(title_tag, parts, h1s, site_name),
    ]
    # The site's own name (or its host name) is no headline, whichever source proposes it.
    sites = {norm(n) for n in (site_name, site_from_title, host, (host or "").removeprefix("www.")) if n}
    proposed = any(groups)
    groups = [
        [t for t in group if norm(t) not in sites and not _HOST.fullmatch(t.strip())] for group in groups
    ]
    votes: dict[str, int] = {}
    for group in groups:
        for key in {norm(t) for t in group}:
            votes[key] = votes.get(key, 0) + 1
    order = [t for group in (groups[0], groups[1], groups[3], groups[2]) for t in group]
    if not order:
        return (_shown_headline(body_text) if proposed else None), site_from_title
    best = max(order, key=lambda t: votes[norm(t)])
    if votes[norm(best)] == 1 and not groups[0] and not groups[1] and not groups[3]:
        # Several <h1>s and nothing else: no telling which is the headline unless there is only one.
        best = h1s[0] if len(h1s) == 1 else best
    return best, site_from_title


_HOST = re.compile(r"(?:www\.)?[\w-]+(?:\.[\w-]+)+", re.A)
# A site or channel name after a headline without spaces ("…“洛克菲勒”-搜狐财经"): CJK only, short.
_CJK_SITE_TAIL = re.compile(r"(?<=\S)[-－](?=[\u4e00-\u9fff]{2,6}$)")
# How a headline never ends: a sentence's end or a list's comma.
_NOT_HEADLINE_END = re.compile(r"[.。,，;；:：、]$")


def _title_parts(title_tag: str) -> list[str]:
    if not title_tag:
        return []
    parts = [p.strip() for p in _TITLE_SPLIT.split(title_tag) if p.strip()]
    if len(parts) == 1:
        cut = _CJK_SITE_TAIL.search(title_tag)
        if cut and cut.start() >= 8:
            parts = [title_tag[: cut.start()].strip(), title_tag[cut.end() :].strip()]
    return parts


def _shown_headline(body_text: str | None) -> str | None:
    """When every proposed title is the site's name: the article's first line, if it reads as a headline."""
    first = (body_text or "").strip().split("\n", 1)[0].strip()
    if 4 <= len(first) <= 60 and not _NOT_HEADLINE_END.search(first):
        return first
    return None


def _title_tag_headlines(
    title_tag: str, parts: list[str], h1s: list[str], site_name: str | None
) -> list[str]:
    """What <title> proposes: the whole title, or the part(s) left when the site name is split off."""
    if not title_tag:
        return []
    if len(parts) <= 1:
        return [title_tag]
    norm_h1s = {norm(h) for h in h1s} - {norm(site_name or "")}
    matching = [p for p in parts if norm(p) in norm_h1s]
    if matching:
        return matching[:1]
    for h1 in h1s:
        if len(h1) >= 4 and norm(title_tag).startswith(norm(h1)):
            return [h1]
    if site_name:
        kept = [p for p in parts if norm(p) != norm(site_name)]
        if kept and len(kept) < len(parts):
            return [_join_parts(title_tag, kept)]
    longest = max(parts, key=len)
    if len(parts[0]) >= 0.6 * len(longest):
        # Headline first, then section and site: the usual order, unless the first part is a short site prefix.
        return [parts[0]]
    if not CJK.search(longest) and len(longest.split()) < 3 and len(title_tag.split()) > 3:
        return [_join_parts(title_tag, parts[:-1])]
    return [longest]


def _join_parts(title: str, parts: list[str]) -> str:
    """The span of `title` from the first to the last kept part (keeps inner separators as written)."""
    start = title.find(parts[0])
    end = title.rfind(parts[-1]) + len(parts[-1])
    return title[start:end].strip() if 0 <= start < end else parts[0]


def _strip_site(title: str, site: str | None) -> str:
    if not site:
        return title
    parts = [p.strip() for p in _TITLE_SPLIT.split(title) if p.strip()]
    if len(parts) > 1 and norm(parts[-1]) == norm(site):
        return _join_parts(title, parts[:-1])
    return title


def norm(text: str) -> str:
    """`text` as headlines are compared: white space collapsed, case folded."""
    return " ".join(text.split()).casefold()
