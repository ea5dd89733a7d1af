"""newscli: news from the web as clean articles, for terminals, pipes and static sites.

The public face, for library users (everything else inside the package is internal and may move)::

    import newscli

    for record in newscli.fetch(["https://example.com/feed.xml"], full=True, limit=10):
        print(record.error or record.article.title)

    article = newscli.extract(page_bytes, "https://example.com/a.html")  # an Article
    feed = newscli.parse_feed(feed_bytes, "https://example.com/feed.xml")  # a Feed of Entries
    print(newscli.render_post(article, profile="hugo"))                  # Markdown with front matter

Importing this module loads nothing else: each name is imported on first use (PEP 562), so
`newscli --help` and shell completion stay as fast as a bare Typer app.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)

__version__ = "0.1.0"

# name -> the module that defines it, imported when the name is first asked for
_LAZY = {
    "Article": "newscli.models",
    "Entry": "newscli.models",
    "Feed": "newscli.models",
    "NewsError": "newscli.errors",
    "Fetcher": "newscli.pipeline",
    "FetchOptions": "newscli.pipeline",
    "Record": "newscli.pipeline",
    "fetch": "newscli.api",
    "extract": "newscli.api",
    "parse_feed": "newscli.api",
    "render_post": "newscli.api",
}

__all__ = [
    "Article",
    "Entry",
    "Feed",
    "FetchOptions",
    "Fetcher",
    "NewsError",
    "Record",
    "__version__",
    "extract",
    "fetch",
    "parse_feed",
    "render_post",
]

if TYPE_CHECKING:  # for type checkers and editors; at run time each name comes from __getattr__
    from typing import Any

    from newscli.api import extract, fetch, parse_feed, render_post
    from newscli.errors import NewsError
    from newscli.models import Article, Entry, Feed
    from newscli.pipeline import Fetcher, FetchOptions, Record


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'newscli' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # asked once, then an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
