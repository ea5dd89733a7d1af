"""SOURCE arguments in, article records out: fetch, recognise feeds by content, extract, in input order.

Network work runs on a thread pool (the HTTP client enforces per-host limits),
extraction on worker processes with a hard time limit. Records come out in input
order (feed entries in feed order), each as soon as it and those before it are ready.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar
from urllib.parse import urlsplit

from newscli.errors import ExtractError, FeedError, FetchError, NewsError, NotHTML, TooLarge, redact
from newscli.models import Article, Entry, Feed, Fetched
from newscli.net.sources import expand, is_url, read_file

if TYPE_CHECKING:
    from newscli.feeds.jsonapi import ApiMapping

SCHEMA = 1
SOURCE_WINDOW = 64  # sources read ahead of the consumer (at least twice --concurrency)
# Requests in flight when --concurrency is not given: every host of the sources at its per-host limit
# (the latency bound), at least MIN_CONCURRENCY (entry pages may be on other hosts), at most MAX_CONCURRENCY.
MIN_CONCURRENCY = 16
MAX_CONCURRENCY = 64
PAGE_MAX = 5 * 1024 * 1024
FEED_MAX = 10 * 1024 * 1024
ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/feed+json,application/xml;q=0.9,*/*;q=0.8"
)


# A feed this large is parsed on the extraction workers, under their time limit (Fetcher.parse_feed).
WORKER_FEED_BYTES = 256 * 1024


@dataclass(frozen=True)
class FeedSettings:
    """What the configuration says about one subscribed feed, for a plain `fetch` of it."""

    tz: str | None = None
    encoding: str | None = None
    full: bool | None = None
    api: ApiMapping | None = None  # a JSON API subscription's mapping
    render: bool | None = None  # its entries' pages loaded in the headless browser


@dataclass(frozen=True)
class FetchOptions:
    """How `fetch` works: what to take from feeds, how to read dates and bytes, network knobs."""

    full: bool | None = None  # None: only where the feed's content is a teaser
    limit: int | None = None
    since: datetime | None = None
    tz: str | None = None
    encoding: str | None = None
    base_url: str | None = None
    timeout: float = 30.0
    concurrency: int | None = None  # requests in flight; None: sized from the hosts (concurrency_for)
    per_host: int = 6
    user_agent: str | None = None
    allow_private: bool = False  # links and redirects in content may reach private addresses
    extract_time_limit: float = 20.0
    # extraction workers started as fresh interpreters, not forks (the digest's memory: page/pool.py)
    fresh_workers: bool = False
    api: ApiMapping | None = None  # read every source as a JSON list API with this mapping
    render: bool = False  # load HTML pages in a headless browser first (net/browser.py)
    # the subscription settings of a feed URL, if it is subscribed (flags still win)
    settings_for: Callable[[str], FeedSettings | None] = lambda url: None


@dataclass(frozen=True)
class Record:
    """One output record: an article (or feed entry), or the error of a source that failed."""

    input: str
    article: Article | None
    error: NewsError | None = None
    warnings: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The JSON record of cli.md: every field present, null when unknown."""
        # a failed page still says what its meta tags know (title, author, date), when it knows something
        fields = (self.article or getattr(self.error, "article", None) or Article()).as_record()
        return {
            "schema": SCHEMA,
            "input": redact(self.input),  # a password in a URL is never printed
            **fields,
            "error": self.error.as_record() if self.error else None,
        }


def unexpected(exc: Exception, source: str) -> NewsError:
    """An error nobody foresaw, as a NewsError naming the source (the run goes on)."""
    return NewsError(f"unexpected error: {type(exc).__name__}: {exc}", source=source)


def _fallback_note(article: Article) -> tuple[str, ...]:
    """The warning of an article that came from the cheap fallback extraction, if it did."""
    warning = getattr(article, "warning", "")
    return (warning,) if warning else ()


def _suggest_discover(exc: ExtractError, text: str, url: str) -> ExtractError:
    """No article on a page that advertises feeds: say so, and how to list them."""
    from newscli.feeds.discover import find_feed_links

    links = find_feed_links(text, url)
    if not links:
        return exc
    hint = f"{exc.message}; the page advertises {len(links)} feed(s), e.g. {links[0].url} (see: newscli discover URL)"
    suggested = type(exc)(hint, source=exc.source)
    suggested.__dict__.update({k: v for k, v in vars(exc).items() if k not in ("message", "source")})
    return suggested


def host_of(url: str) -> str:
    """The (lower-case) host of `url`; '' when it has none or cannot be read (`http://[bad`: that source's
    own fetch says why)."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def concurrency_for(sources: Iterable[str], concurrency: int | None, per_host: int) -> int:
    """Requests in flight for a run: `concurrency` when given, else every distinct host among the URL
    sources at `per_host`, within MIN_CONCURRENCY..MAX_CONCURRENCY."""
    if concurrency is not None:
        return max(1, concurrency)
    hosts = {host_of(s) for s in sources if is_url(s)}
    return min(MAX_CONCURRENCY, max(MIN_CONCURRENCY, len(hosts) * max(1, per_host)))


_T = TypeVar("_T")


def _done(value: Record) -> Future[Record]:
    fut: Future[Record] = Future()
    fut.set_result(value)
    return fut


def _chain(fut: Future[Any], fn: Callable[[Future[Any]], _T]) -> Future[_T]:
    """A future of fn(fut) once fut is done (fn reads fut.result() and handles its errors)."""
    out: Future[_T] = Future()

    def _cb(done: Future[Any]) -> None:
        try:
            out.set_result(fn(done))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            out.set_exception(exc)

    fut.add_done_callback(_cb)
    return out


# Who wins when a feed entry meets its extracted page: the feed knows identity and dates, the page the rest.
_ENTRY_FIRST = ("id", "title", "published", "updated", "description", "categories", "tags")
_PAGE_FIRST = ("url", "author", "site_name", "source", "lang", "image")


def merge_entry(entry: Article, page: Article) -> Article:
    """A feed entry completed with its extracted page: the feed's identity and dates, the page's body."""
    values = {name: getattr(entry, name) or getattr(page, name) for name in _ENTRY_FIRST}
    values.update({name: getattr(page, name) or getattr(entry, name) for name in _PAGE_FIRST})
    return dataclasses.replace(page, feed=entry.feed, **values)


class Fetcher:
    """Runs `newscli fetch` over many sources; side effects (client, pool, stdin) are parameters."""

    def __init__(
        self,
        options: FetchOptions | None = None,
        *,
        client: Any = None,
        pool: Any = None,
        stdin: BinaryIO | None = None,
    ) -> None:
        self.options = options or FetchOptions()
        self._client = client
        self._pool = pool
        self._renderer: Any = None
        self._stdin = stdin
        self._owned: list[Any] = []
        self._warming = False
        self._lock = threading.Lock()  # io threads ask for the client and pool at once: make each once
        self.planned = 0  # records known to be coming so far (sources read, feed entries selected): progress

    # -- resources, made on first use so a run of local files never imports httpx
    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                from newscli.net.http import HttpClient

                self._client = HttpClient(
                    timeout=self.options.timeout,
                    user_agent=self.options.user_agent,
                    max_per_host=self.options.per_host,
                    allow_private=self.options.allow_private,
                )
                self._owned.append(self._client)
            return self._client

    @property
    def renderer(self) -> Any:
        """The headless browser, started on first use (UsageError when Playwright or Chromium is missing)."""
        client = self.client
        with self._lock:
            if self._renderer is None:
                from newscli.net.browser import Renderer

                self._renderer = Renderer(
                    client,
                    timeout=self.options.timeout,
                    decode=_page_text,
                    allow_private=self.options.allow_private,
                )
                self._owned.append(self._renderer)
            return self._renderer

    @property
    def pool(self) -> Any:
        with self._lock:
            if self._pool is None:
                from newscli.page.pool import ExtractorPool

                self._pool = ExtractorPool(
                    time_limit=self.options.extract_time_limit, fresh_workers=self.options.fresh_workers
                )
                self._owned.append(self._pool)
            return self._pool

    def close(self) -> None:
        for thing in reversed(self._owned):
            thing.close()
        self._owned.clear()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the run
    def run(self, sources: Iterable[str]) -> Iterator[Record]:
        """Records for every source, in input order, each yielded as soon as it is ready.

        At most `window` sources are in progress ahead of the consumer, so ten thousand
        files or URLs never sit in memory at once.
        """
        sources = list(sources)
        workers = concurrency_for(sources, self.options.concurrency, self.options.per_host)
        io = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch")
        self._io = io
        window = max(SOURCE_WINDOW, 2 * workers)
        pending = expand(sources, self._stdin, base_url=self.options.base_url)
        plans: deque[Future[list[Future[Record]]]] = deque()
        finished = False
        try:
            while True:
                for source, pre, err in itertools.islice(pending, window - len(plans)):
                    plans.append(io.submit(self._plan, source, pre, err))
                if not plans:
                    break
                for fut in plans.popleft().result():
                    yield fut.result()
            finished = True
        finally:
            # Interrupted, or the consumer stopped reading: don't wait for requests still in flight.
            io.shutdown(wait=finished, cancel_futures=True)

    def _warm_up(self) -> None:
        """Once: import the parsers and make the extractor pool while the first request is in flight."""
        with self._lock:
            if self._warming:
                return
            self._warming = True

        def warm() -> None:
            import newscli.feeds.parse
            import newscli.page.charset  # noqa: F401

            newscli.feeds.parse.preload()

            if self.options.full is not False or self.options.render:
                _ = self.pool  # feeds only (--no-full): made only if a source turns out to be a page

        self._io.submit(warm)

    def _plan(self, source: str, pre: Fetched | None, err: Exception | None) -> list[Future[Record]]:
        planned = self._records(source, pre, err)
        with self._lock:
            self.planned += len(planned)
        return planned

    def _records(self, source: str, pre: Fetched | None, err: Exception | None) -> list[Future[Record]]:
        try:
            if err is not None:
                raise err
            fetched = pre if pre is not None else self._load(source)
            return self._classify(source, fetched)
        except NewsError as exc:
            return [_done(Record(source, None, exc))]
        except Exception as exc:  # a bug or a library surprise on one source must not end the run
            return [_done(Record(source, None, unexpected(exc, source)))]

    def _load(self, source: str) -> Fetched:
        if is_url(source):
            client = self.client
            self._warm_up()
            return client.get(source, max_bytes=FEED_MAX, accept=ACCEPT)  # type: ignore[no-any-return]
        if "://" in source:
            raise FetchError("unsupported URL scheme (only http and https)", source=source)
        return read_file(source, base_url=self.options.base_url)

    def _classify(self, source: str, fetched: Fetched) -> list[Future[Record]]:
        from newscli.page.charset import decode, sniff_binary

        subscribed = self.options.settings_for(source) or FeedSettings()
        mapping = self.options.api or subscribed.api
        if mapping is not None:
            from newscli.feeds.jsonapi import parse_api

            feed = parse_api(
                fetched,
                mapping,
                encoding=self.options.encoding or subscribed.encoding,
                tz_override=self.options.tz,
                configured_tz=subscribed.tz,
            )
            failed = [_done(Record(source, None, FeedError(reason, source=source))) for reason in feed.failed]
            origin = self.client.address_class(fetched.address) if fetched.address else None
            return failed + self._entries(source, feed, subscribed.full, origin, subscribed.render)
        what = sniff_binary(fetched.content)
        if what:
            raise NotHTML(f"not a page or feed: {what}", source=source)
        decoded = decode(fetched.content, http_charset=fetched.charset, override=self.options.encoding)
        from newscli.feeds.parse import looks_like_feed

        if looks_like_feed(decoded.text):
            feed = self.parse_feed(
                fetched,
                source,
                encoding=self.options.encoding or subscribed.encoding,
                tz_override=self.options.tz,
                configured_tz=subscribed.tz,
            )
            origin = self.client.address_class(fetched.address) if fetched.address else None
            return self._entries(source, feed, subscribed.full, origin, subscribed.render)
        if len(fetched.content) > PAGE_MAX:
            raise TooLarge(f"too large for a page (over {PAGE_MAX // (1024 * 1024)} MiB)", source=source)
        if not decoded.text.strip():
            raise ExtractError("no article found (empty page)", source=source)
        text, url, warnings = decoded.text, fetched.url, tuple(decoded.warnings)
        if self.options.render and is_url(source):
            rendered, notes = self.renderer.render(source, first=_as_utf8(fetched, text))
            text, url, warnings = rendered.content.decode("utf-8"), rendered.url, warnings + notes
        fut = self.pool.submit(text, url, tz_override=self.options.tz)
        return [
            _chain(fut, lambda f: self._article_record(source, f, warnings, text, url, self.options.render))
        ]

    @staticmethod
    def _article_record(
        source: str,
        fut: Future[Article],
        warnings: tuple[str, ...],
        text: str,
        url: str,
        rendered: bool = False,
    ) -> Record:
        try:
            article = fut.result()
        except ExtractError as exc:
            if not rendered and exc.message.endswith("builds it with JavaScript"):
                exc.message += " (try --render)"
            return Record(source, None, _suggest_discover(exc, text, url), warnings=tuple(warnings))
        except NewsError as exc:
            return Record(source, None, exc, warnings=tuple(warnings))
        return Record(source, article, warnings=tuple(warnings) + _fallback_note(article))

    def _select(self, feed: Feed) -> list[Entry]:
        entries = list(feed.entries)
        since = self.options.since
        if since is not None:
            entries = [e for e in entries if (e.article.published or e.article.updated or since) >= since]
        if self.options.limit is not None:
            entries = entries[: max(0, self.options.limit)]
        return entries

    def _entries(
        self,
        source: str,
        feed: Feed,
        full: bool | None = None,
        origin: str | None = None,
        render: bool | None = None,
    ) -> list[Future[Record]]:
        warnings = tuple(feed.warnings)
        out: list[Future[Record]] = []
        full = self.options.full if self.options.full is not None else full
        for i, entry in enumerate(self._select(feed)):
            note = warnings if i == 0 else ()
            wanted = full if full is not None else not entry.content_is_full
            if wanted and entry.article.url and is_url(entry.article.url):
                out.append(self._io.submit(self._full_entry, source, entry, note, origin, bool(render)))
            else:
                out.append(_done(Record(source, entry.article, warnings=note)))
        return out

    def _full_entry(
        self,
        source: str,
        entry: Entry,
        warnings: tuple[str, ...],
        origin: str | None = None,
        render: bool = False,
    ) -> Record:
        """Fetch and extract one entry's page; on failure keep the feed's own content, flagged."""
        url = entry.article.url or ""
        try:
            page = self.extract_url(url, origin=origin, render=self.options.render or render)
        except NewsError as exc:
            return Record(source, entry.article, exc, warnings=warnings)
        except Exception as exc:  # as in _plan: one entry's surprise stays that entry's error
            return Record(source, entry.article, unexpected(exc, url), warnings=warnings)
        return Record(source, merge_entry(entry.article, page), warnings=warnings + _fallback_note(page))

    def parse_feed(
        self, fetched: Fetched, source: str, *, on_worker: bool | None = None, **settings: Any
    ) -> Feed:
        """feeds.parse.parse_feed, on the extraction workers under their hard time limit when `on_worker` (by
        default: a feed of WORKER_FEED_BYTES or more, which can keep feedparser busy for minutes: thousands
        of tiny XHTML elements take ~60 µs each); a smaller one in this thread, where it ends in about a
        second at worst, and a run of feeds only starts no worker processes. With `on_worker`, a small feed
        is parsed here too until the workers are up (ExtractorPool.warm), and starts them."""
        from newscli.feeds.parse import parse_feed

        if on_worker is None:
            on_worker = len(fetched.content) >= WORKER_FEED_BYTES
        if not on_worker:
            return parse_feed(fetched, **settings)
        if len(fetched.content) < WORKER_FEED_BYTES and not self.pool.warm:
            # The workers take ~0.25 s to start: a run's first feeds, when small, are parsed here meanwhile,
            # and the workers are started now for the pages those feeds bring, not when those pages arrive.
            self.pool.start()
            return parse_feed(fetched, **settings)
        if not isinstance(fetched.headers, dict):  # a file's empty read-only mapping does not pickle
            fetched = dataclasses.replace(fetched, headers=dict(fetched.headers))
        future = self.pool.call(
            parse_feed, fetched, source=source, what="feed parsing", error=FeedError, **settings
        )
        return future.result()  # type: ignore[no-any-return]

    def extract_url(
        self,
        url: str,
        *,
        origin: str | None = None,
        allow_private: bool | None = None,
        deadline: float | None = None,
        render: bool | None = None,
    ) -> Article:
        """Fetch one article page and extract it (raises NewsError); `render`: in the browser (default: as
        the options say).

        `origin`: the address class of the feed or page the URL came from (HttpClient.get's address policy);
        None when the user named it."""
        article, _ = self.extraction(
            url, None, origin=origin, allow_private=allow_private, deadline=deadline, render=render
        ).result()
        return article

    def extraction(
        self,
        url: str,
        then: tuple[Callable[..., Any], tuple[Any, ...]] | None,
        *,
        origin: str | None = None,
        allow_private: bool | None = None,
        deadline: float | None = None,
        render: bool | None = None,
    ) -> Future[tuple[Article, Any]]:
        """extract_url in two halves: the page is fetched (and rendered) by the calling thread, which then has
        the extraction's future and is free while a worker extracts (a run's threads keep its connections busy
        instead of waiting for workers). Fetching errors are raised here, extraction errors come with the
        future, which holds (article, result of `then[0](article, *then[1])` run beside the extraction on its
        worker), the result None when that step failed or `then` is None (ExtractorPool.submit_then)."""
        from newscli.page.charset import decode, sniff_binary

        fetched = self.client.get(
            url,
            max_bytes=PAGE_MAX,
            accept=ACCEPT,
            origin=origin,
            allow_private=allow_private,
            deadline=deadline,
        )
        what = sniff_binary(fetched.content)
        if what:
            raise NotHTML(f"not a page: {what}", source=url)
        page: str | bytes = fetched.content  # decoded on the worker, by the same rules, unless used here
        final, charset = fetched.url, fetched.charset
        rendering = render if render is not None else self.options.render
        if rendering or self.options.encoding:
            decoded = decode(fetched.content, http_charset=fetched.charset, override=self.options.encoding)
            if not decoded.text.strip():
                raise ExtractError("no article found (empty page)", source=url)
            page, charset = decoded.text, None
            if rendering:
                rendered, _notes = self.renderer.render(url, first=_as_utf8(fetched, decoded.text))
                page, final = rendered.content.decode("utf-8"), rendered.url
        tz = self.options.tz
        if then is None:
            return _chain(
                self.pool.submit(page, final, tz_override=tz, http_charset=charset, deadline=deadline), _alone
            )
        return self.pool.submit_then(
            page, final, then, tz_override=tz, http_charset=charset, deadline=deadline
        )


def _alone(done: Future[Article]) -> tuple[Article, None]:
    return done.result(), None


def _page_text(fetched: Fetched) -> str:
    """A page's text by newscli's charset rules (the browser is handed this, never its own guess)."""
    from newscli.page.charset import decode

    return decode(fetched.content, http_charset=fetched.charset).text


def _as_utf8(fetched: Fetched, text: str) -> Fetched:
    """`fetched` with its body already decoded, as UTF-8 bytes that say so."""
    return dataclasses.replace(
        fetched, content=text.encode("utf-8"), headers={"content-type": "text/html; charset=utf-8"}
    )


def exit_code(total: int, failed: int, flagged: int = 0) -> int:
    """0 all done, 1 partial (some failed, or fell back), 3 nothing could be fetched or extracted (cli.md)."""
    if failed and failed >= total:
        return 3
    return 1 if failed or flagged else 0
