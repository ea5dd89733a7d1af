"""One feed of a digest run: fetched with its validators, parsed, its new entries saved as posts."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from newscli.digest.page import first_sentence, is_page_name
from newscli.digest.seen import seen_keys
from newscli.digest.state import Mark, PostRecord, State, body_hash
from newscli.errors import HTTPStatusError, NewsError, SaveError, redact
from newscli.models import Article, Entry
from newscli.net.scheduler import HostPool
from newscli.posts.folder import PostFolder
from newscli.posts.post import post_body

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.5"
)
_WAIT = "\x00wait"  # a page the run's budget left unfetched: its entry waits for the next run
DEFAULT_BACKOFF = 600.0  # a 429/503 without a usable Retry-After: leave the server alone this long
MAX_BACKOFF = 86400.0  # never obey a Retry-After beyond a day: a broken header must not silence a feed


@dataclass(frozen=True)
class FeedOutcome:
    """What happened to one feed in one run.

    status: "new" (posts saved), "unchanged" (nothing new, 304, or the same body),
    "skipped" (a server's Retry-After still runs), "deferred" (429/503 now), "failed",
    "waiting" (the run's budget ran out before the feed was fetched).
    """

    name: str
    url: str
    status: str
    saved: tuple[Path, ...] = ()
    error: NewsError | None = None
    retry_after: float | None = None
    flagged: tuple[str, ...] = ()  # pages that failed: the feed's own content was saved instead
    warnings: tuple[str, ...] = ()
    failures: int = 0  # consecutive failed runs, this one included
    history: tuple[str, ...] = ()  # earlier failure messages, newest first
    since: float | None = None  # when the current run of failures began
    planned: tuple[str, ...] = ()  # --dry-run: what would be written

    @property
    def ok(self) -> bool:
        return self.status in ("new", "unchanged") and not self.flagged


def setting(obj: Any, name: str) -> Any:
    """A feed's or [defaults]' setting by name; None when unset or when there is no such object."""
    return getattr(obj, name, None) if obj is not None else None


def post_options_for(feed: Any) -> Any:
    """The PostOptions of a feed whose settings are already merged over the defaults (Config.for_feed)."""
    from newscli.posts.post import PostOptions

    kwargs: dict[str, Any] = {"sets": tuple(feed.sets)}
    for name in ("profile", "body", "footer", "filename"):
        value = setting(feed, name)
        if value is not None:
            kwargs[name] = value
    options = PostOptions(**kwargs)
    options.check()
    return options


def _with_feed_labels(article: Article, feed: Any, options: Any) -> Article:
    """The feed's configured category and tags, unless the templates set those fields themselves."""
    templated = {key for key, _ in options.sets}
    changes: dict[str, Any] = {}
    category = setting(feed, "category")
    if category and "categories" not in templated:
        changes["categories"] = (category,) if isinstance(category, str) else tuple(category)
    tags = setting(feed, "tags")
    if tags and "tags" not in templated:
        changes["tags"] = (tags,) if isinstance(tags, str) else tuple(tags)
    return dataclasses.replace(article, **changes) if changes else article


@dataclass
class FeedJob:
    """One feed to run: its merged settings, post options and what the state remembers of it."""

    feed: Any  # FeedConfig
    options: Any  # PostOptions
    remembered: Any  # FeedState | None


@dataclass
class FeedResult:
    """What one feed's run hands back to be committed: the outcome and the rows to record."""

    outcome: FeedOutcome
    marks: list[Mark] = field(default_factory=list)
    posts: list[PostRecord] = field(default_factory=list)
    validators: tuple[str | None, str | None, str | None] | None = None
    error: tuple[str, str] | None = None
    retry_after: float | None = None
    touched: bool = True  # False: nothing to record (skipped)


class DigestRun:
    """One digest run's shared parts: state, clients, the claims of this run, the clock."""

    def __init__(
        self,
        *,
        folder: PostFolder,
        state: State,
        client: Any,
        fetcher: Any,
        defaults: Any,
        since: datetime | None,
        dry_run: bool,
        now: Callable[[], float],
        tz: tzinfo,
        pages: HostPool,
        allow_private: bool = False,
        budget: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.allow_private = allow_private
        self.budget = budget
        self.clock = clock
        self.ends = None if budget is None else clock() + budget
        self.folder = folder
        self.state = state
        self.client = client
        self.fetcher = fetcher
        self.defaults = defaults
        self.since = since
        self.dry_run = dry_run
        self.now = now
        self.tz = tz
        self.pages = pages
        self._claimed: set[str] = set()
        self._claim_lock = threading.Lock()
        self.abort = threading.Event()

    def claim(self, entries_keys: Sequence[Sequence[str]]) -> list[bool]:
        """For each entry's keys, in order: True when no earlier run saved the article and no other entry of
        this run (another feed's, or an earlier one of this feed) took it. One look at the state for them all."""
        with self._claim_lock:
            seen = self.state.seen_among([k for keys in entries_keys for k in keys])
            claimed: list[bool] = []
            for keys in entries_keys:
                taken = any(k in self._claimed or k in seen for k in keys)
                if not taken:
                    self._claimed.update(keys)
                claimed.append(not taken)
            return claimed

    def out_of_time(self) -> bool:
        """The run's budget is used up: what is not yet fetched waits for the next run."""
        return self.ends is not None and self.clock() >= self.ends

    def _budget_note(self) -> str:
        return f"the run's budget of {self.budget:g} s was used up"

    # -- one feed
    def process(self, job: FeedJob) -> FeedResult:
        feed = job.feed
        name, url = feed.name, redact(feed.url)  # what is shown and stored: never the password
        remembered = job.remembered
        if self.out_of_time():
            waits = NewsError(f"not fetched: {self._budget_note()}; it waits for the next run", source=url)
            return FeedResult(FeedOutcome(name, url, "waiting", error=waits), touched=False)
        now = self.now()
        if remembered is not None and remembered.retry_after and remembered.retry_after > now:
            return FeedResult(
                FeedOutcome(name, url, "skipped", retry_after=remembered.retry_after), touched=False
            )
        same_url = remembered is not None and remembered.url == url
        etag = remembered.etag if same_url else None
        last_modified = remembered.last_modified if same_url else None
        mapping, accept = None, FEED_ACCEPT
        if setting(feed, "type") == "json":  # the JSON API code loads only for such feeds
            from newscli.feeds.jsonapi import API_ACCEPT, mapping_of

            mapping = mapping_of(feed)
            accept = API_ACCEPT if mapping is not None else FEED_ACCEPT
        try:
            fetched = self.client.get(
                feed.url,  # `url` is the redacted form, for messages
                max_bytes=_feed_max(),
                accept=accept,
                etag=etag,
                last_modified=last_modified,
                allow_private=self._allow_private(feed),
                deadline=self.ends,
            )
        except HTTPStatusError as exc:
            if exc.status in (429, 503):
                wait = exc.retry_after if exc.retry_after is not None else now + DEFAULT_BACKOFF
                wait = min(max(wait, now), now + MAX_BACKOFF)
                return self._failed(job, exc, "deferred", retry_after=wait)
            return self._failed(job, exc)
        except NewsError as exc:
            return self._failed(job, exc)
        if fetched.status == 304:
            return FeedResult(FeedOutcome(name, url, "unchanged"))
        digest = body_hash(fetched.content)
        validators: tuple[str | None, str | None, str | None] | None = (
            fetched.headers.get("etag"),
            fetched.headers.get("last-modified"),
            digest,
        )
        if same_url and remembered.body_sha256 == digest:
            return FeedResult(FeedOutcome(name, url, "unchanged"), validators=validators)
        try:
            if mapping is not None:
                from newscli.feeds.jsonapi import parse_api

                parsed = parse_api(
                    fetched, mapping, encoding=setting(feed, "encoding"), configured_tz=setting(feed, "tz")
                )
            else:
                parsed = self._parse(
                    fetched, encoding=setting(feed, "encoding"), configured_tz=setting(feed, "tz")
                )
        except NewsError as exc:
            return self._failed(job, exc)
        warnings = tuple(parsed.warnings)
        notes: tuple[str, ...] = ()
        if parsed.truncated:
            # The entries past the cap are never read: this body would be cut in the same place every run. So
            # it is said on every run that reads it (not only with -v), and the validators still advance, so an
            # unchanged feed is not fetched and parsed in full again.
            cut = next(
                (w for w in parsed.warnings if "only the first" in w), "only its first entries were read"
            )
            notes = (f"{cut}; the rest are not saved",)
        # the entries' links may not lead into a more private network than the feed came from
        origin = None if self._allow_private(feed) else self.client.address_class(fetched.address)
        return self._entries(
            job, parsed.entries, warnings, validators, origin, unreadable=parsed.failed, notes=notes
        )

    def _parse(self, fetched: Any, **settings: Any) -> Any:
        """parse_feed on the extraction workers (Fetcher.parse_feed) when there is a fetcher: the feed threads
        and the page threads share this process's one interpreter lock, and a feed that hangs its parser is
        killed there."""
        if self.fetcher is None:
            from newscli.feeds.parse import parse_feed

            return parse_feed(fetched, **settings)
        return self.fetcher.parse_feed(fetched, fetched.url, on_worker=True, **settings)

    def _allow_private(self, feed: Any) -> bool:
        return bool(self.allow_private or setting(feed, "allow_private"))

    def failed_unexpectedly(self, job: FeedJob, exc: Exception) -> FeedResult:
        """A surprise while running one feed: that feed's failure, named, not the end of the run."""
        return self._failed(
            job, NewsError(f"unexpected error: {type(exc).__name__}: {exc}", source=job.feed.url)
        )

    def _failed(
        self, job: FeedJob, exc: NewsError, status: str = "failed", *, retry_after: float | None = None
    ) -> FeedResult:
        feed, remembered = job.feed, job.remembered
        before = remembered.failures if remembered is not None else 0
        earlier = self.state.history(feed.name, max(before, 3)) if before else []
        # the failures of this streak are the newest `before` rows; the oldest of them began it
        began = earlier[min(before, len(earlier)) - 1].at if earlier else self.now()
        outcome = FeedOutcome(
            feed.name,
            redact(feed.url),
            status,
            error=exc,
            retry_after=retry_after,
            failures=before + 1,
            history=tuple(f.message for f in earlier[:3]),
            since=began,
        )
        return FeedResult(outcome, error=(exc.kind, str(exc)), retry_after=retry_after)

    def _entries(
        self,
        job: FeedJob,
        entries: Sequence[Entry],
        warnings: tuple[str, ...],
        validators: tuple[str | None, str | None, str | None] | None,
        origin: str | None = None,
        unreadable: tuple[str, ...] = (),
        notes: tuple[str, ...] = (),
    ) -> FeedResult:
        feed, options = job.feed, job.options
        result = FeedResult(
            FeedOutcome(feed.name, redact(feed.url), "unchanged", warnings=warnings), validators=validators
        )
        todo: list[tuple[Entry, list[str]]] = []
        feed_url = redact(feed.url)
        keyed = [
            (entry, keys)
            for entry in entries
            if (keys := seen_keys(entry.article.id, entry.article.url, feed_url))
        ]
        for (entry, keys), new in zip(keyed, self.claim([keys for _, keys in keyed]), strict=True):
            if not new:
                continue
            art = entry.article
            when = art.published or art.updated
            if self.since is not None and when is not None and when < self.since:
                result.marks.append(Mark(tuple(keys)))  # before --since: remembered, never saved
                continue
            todo.append((entry, keys))
        # Pages are fetched concurrently; saving goes in feed order as each one is ready.
        futures: list[Future[tuple[Article, str | None, str | None]]] = [
            self._full_text(feed, e, origin, None if self.dry_run else options) for e, _ in todo
        ]
        saved: list[Path] = []
        flagged: list[str] = [f"{reason} (not saved)" for reason in unreadable]  # the other items still are
        flagged += notes
        planned: list[str] = []
        error: NewsError | None = None
        failed_entries: list[str] = []
        waiting = 0
        for (_entry, keys), fut in zip(todo, futures, strict=True):
            if error is not None or self.abort.is_set():
                fut.cancel()
                continue
            article, problem, body = fut.result()
            if problem is _WAIT:
                waiting += 1  # not saved, not marked: the next run fetches its page
                continue
            article = _with_feed_labels(article, feed, options)
            post_options = self._off_page_names(article, options)
            if problem:
                flagged.append(problem)
            if self.dry_run:
                planned.append(self._plan(article, post_options, feed.name))
                continue
            try:
                post = self.folder.save(article, post_options, now=_aware(self.now(), self.tz), body=body)
            except NewsError as exc:
                error = exc
                continue
            except OSError as exc:  # should have been a SaveError; never let it kill the run
                error = SaveError(exc.strerror or str(exc), source=str(self.folder.path))
                continue
            except Exception as exc:  # noqa: BLE001 - a surprise in one entry is that entry's, not its feed's
                failed_entries.append(
                    f"entry {article.url or article.id or article.title!r} not saved: "
                    f"unexpected error: {type(exc).__name__}: {exc}"
                )
                continue
            if post.status != "unchanged":
                saved.append(post.path)
            result.marks.append(Mark(tuple(keys), str(post.path)))
            result.posts.append(self._record(article, feed.name, post.path, keys))
        flagged.extend(failed_entries)
        if waiting:
            flagged.append(
                f"{waiting} entr{'y waits' if waiting == 1 else 'ies wait'} for the next run ({self._budget_note()})"
            )
        if error is not None or failed_entries or waiting or self.abort.is_set():
            result.validators = None  # some entries were not saved: the next run must see them again
        if error is not None:
            failed = self._failed(job, error)
            failed.marks, failed.posts = result.marks, result.posts
            failed.outcome = dataclasses.replace(failed.outcome, saved=tuple(saved), flagged=tuple(flagged))
            return failed
        status = "new" if saved or planned else "unchanged"
        result.outcome = dataclasses.replace(
            result.outcome, status=status, saved=tuple(saved), flagged=tuple(flagged), planned=tuple(planned)
        )
        return result

    def _off_page_names(self, article: Article, options: Any) -> Any:
        """`options`, or for a post named like a digest page (a title "Digest") the same name with `-2`.

        The page is written after the posts: were a post to take its name, the page would land beside
        it rather than at `<day>-digest.md`. An article saved before keeps its file (the saved index).
        """
        from newscli.posts.names import numbered, post_filename

        name = post_filename(article, options, now=_aware(self.now(), self.tz))
        if not is_page_name(name):
            return options
        # a page-shaped name is digits, dashes and letters only: safe as a literal template
        return dataclasses.replace(options, filename=numbered(name, 2))

    def _full_text(
        self, feed: Any, entry: Entry, origin: str | None = None, options: Any = None
    ) -> Future[tuple[Article, str | None, str | None]]:
        """(article, problem, body): the entry completed with its page, what went wrong (the feed's own content
        is then saved), and the post's body for `options` when the page's worker converted it (else None)."""
        full = setting(feed, "full")
        wanted = full if full is not None else not entry.content_is_full
        url = entry.article.url
        if (
            not wanted
            or not url
            or not url.lower().startswith(("http://", "https://"))
            or self.fetcher is None
        ):
            done: Future[tuple[Article, str | None, str | None]] = Future()
            done.set_result((entry.article, None, None))
            return done
        from newscli.pipeline import host_of

        out: Future[tuple[Article, str | None, str | None]] = Future()
        self.pages.submit(
            host_of(url),
            self._page,
            out,
            entry.article,
            url,
            origin,
            self._allow_private(feed),
            bool(setting(feed, "render")),
            options,
        )
        return out

    def _page(
        self,
        out: Future[tuple[Article, str | None, str | None]],
        article: Article,
        url: str,
        origin: str | None = None,
        allow_private: bool = False,
        render: bool = False,
        options: Any = None,
    ) -> None:
        """Fetch the entry's page into `out` (see _full_text); the thread is free once the page is fetched,
        before its worker has extracted it (the extraction's end completes `out`)."""
        if not out.set_running_or_notify_cancel():
            return  # the feed gave up (an error saving an earlier entry): nothing to fetch
        if self.abort.is_set():
            out.set_result((article, None, None))
            return
        if self.out_of_time():
            out.set_result((article, _WAIT, None))
            return
        try:
            # the post's body is converted on the page's worker, beside its extraction
            extraction = self.fetcher.extraction(
                url,
                (post_body, (options,)) if options is not None else None,
                origin=origin,
                allow_private=allow_private or None,
                deadline=self.ends,
                render=render,
            )
        except Exception as exc:  # noqa: BLE001 - see _page_failed
            out.set_result(self._page_failed(article, url, exc))
            return
        extraction.add_done_callback(lambda done: self._settle(out, article, url, done))

    def _settle(
        self,
        out: Future[tuple[Article, str | None, str | None]],
        article: Article,
        url: str,
        done: Future[tuple[Article, Any]],
    ) -> None:
        """`out` from the finished extraction; always set, or the feed's thread would wait for it forever."""
        from newscli.pipeline import merge_entry

        try:
            page, body = done.result()
            merged = merge_entry(article, page)
        except Exception as exc:  # noqa: BLE001 - the extraction's error, or a surprise merging the page
            out.set_result(self._page_failed(article, url, exc))
            return
        if merged.html is not page.html or merged.text is not page.text:
            body = None  # converted from what the post does not show
        out.set_result((merged, None, body))

    def _page_failed(self, article: Article, url: str, exc: Exception) -> tuple[Article, str | None, None]:
        """The entry with the reason its page failed: the feed's own content is saved instead, or none when the
        run's budget cut the page short."""
        if isinstance(exc, NewsError):
            if self.out_of_time():  # cut short by the run's budget, not the page's fault
                return article, _WAIT, None
            return article, f"{exc} (saved the feed's own content instead)", None
        # a surprise on one page: the feed's content is still saved
        return (
            article,
            f"{url}: unexpected error: {type(exc).__name__}: {exc} (saved the feed's own content instead)",
            None,
        )

    def _plan(self, article: Article, options: Any, feed_name: str) -> str:
        from newscli.posts.names import post_filename

        name = post_filename(article, options, now=_aware(self.now(), self.tz))
        return f"would save {self.folder.path / name} ({feed_name}: {article.title or article.url or ''})"

    def _record(self, article: Article, feed_name: str, path: Path, keys: Sequence[str]) -> PostRecord:
        saved_at = self.now()
        when = article.published or article.updated
        return PostRecord(
            id=article.id or keys[0],
            feed=feed_name,
            path=str(path),
            day=_aware(saved_at, self.tz).date().isoformat(),
            saved_at=saved_at,
            title=article.title,
            url=article.url,
            source=article.source or article.site_name,
            published=when.isoformat() if when is not None else None,
            summary=first_sentence(article.text or article.description),
        )


def _feed_max() -> int:
    from newscli.net.http import FEED_MAX

    return FEED_MAX


def _aware(ts: float, tz: tzinfo) -> datetime:
    return datetime.fromtimestamp(ts, tz)
