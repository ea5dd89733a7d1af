"""The library's functions behind `import newscli`: fetch, extract, parse_feed, render_post."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newscli.models import Article, Feed
    from newscli.pipeline import Fetcher, Record


def fetch(
    sources: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], **options: Any
) -> Iterator[Record]:
    """Records for `sources` (article URLs, feeds, local files), in input order, each as soon as it is ready.

    `options` are FetchOptions' fields (full, limit, since, tz, encoding, base_url, timeout, …).
    A failed source is a Record with `error` set, never an exception; the network and worker
    processes are released when the iterator is exhausted or closed.
    """
    from newscli.pipeline import Fetcher, FetchOptions

    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    fetcher = Fetcher(
        FetchOptions(**options)
    )  # an unknown option is a TypeError here, not at the first record
    return _records(fetcher, [os.fspath(s) for s in sources])


def _records(fetcher: Fetcher, sources: list[str]) -> Iterator[Record]:
    with fetcher:
        yield from fetcher.run(sources)


def extract(html: str | bytes, url: str, *, encoding: str | None = None, tz: str | None = None) -> Article:
    """The article in one page (`bytes` are decoded as a browser would, or as `encoding`); ExtractError if none.

    `tz` names the zone of dates the page gives without an offset (e.g. "Asia/Shanghai").
    """
    from newscli.page.charset import decode
    from newscli.page.extract import extract_article

    text = decode(html, override=encoding).text if isinstance(html, bytes) else html
    return extract_article(text, url, tz_override=tz)


def parse_feed(
    data: bytes,
    url: str = "",
    *,
    headers: Mapping[str, str] | None = None,
    encoding: str | None = None,
    tz: str | None = None,
) -> Feed:
    """A feed (RSS 0.9x–2.0, Atom, JSON Feed) from its bytes; `url` resolves relative links.

    `headers` are the HTTP response's (Content-Type's charset counts); NotAFeed or FeedError when
    the bytes are no feed or cannot be read.
    """
    from newscli.feeds.parse import parse_feed as parse
    from newscli.models import Fetched

    fetched = Fetched(url, data, {k.lower(): v for k, v in (headers or {}).items()})
    return parse(fetched, encoding=encoding, tz_override=tz)


def render_post(article: Article, *, now: datetime | None = None, **options: Any) -> str:
    """`article` as a Markdown post with front matter, as `fetch --save` writes it.

    `options`: profile ("jekyll", "hugo", "plain"), body ("markdown", "html"), sets (pairs of
    field and template), footer and filename templates, as in the CLI; `now` dates an undated article.
    """
    from newscli.posts.post import PostOptions
    from newscli.posts.post import render_post as render

    post_options = PostOptions(**options)
    post_options.check()
    return render(article, post_options, now=now)
