"""`newscli digest`: every new article of every subscribed feed saved once, plus the day's digest page.

Order of durability, so that a crash anywhere leaves work to redo and nothing lost or doubled:
post files are written atomically first; then, in one transaction per feed, their seen
keys are recorded and (only when every entry of the feed was handled) the feed's
validators and body hash advance. Saving the same article again finds its own file
(the saved index) and leaves identical bytes untouched.
"""

from __future__ import annotations

import dataclasses
import errno
import html
import os
import queue
import re
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

from newscli.errors import HTTPStatusError, NewsError, SaveError, UsageError
from newscli.lock import RunLock
from newscli.models import Article, Entry
from newscli.seenkeys import seen_keys
from newscli.state import Mark, PostRecord, State, body_hash

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.5"
)
DEFAULT_BACKOFF = 600.0  # a 429/503 without a usable Retry-After: leave the server alone this long
MAX_BACKOFF = 86400.0  # never obey a Retry-After beyond a day: a broken header must not silence a feed
STALE_TEMP = 600.0  # temp files of ours older than this are leftovers of a killed run
HISTORY_AFTER = 3  # consecutive failed runs before the report shows a feed's history

_DATED = re.compile(r"(\d{4})-(\d{2})-(\d{2})-")
_FM_DATE = re.compile(r"^date:\s*[\"']?(\d{4})-(\d{2})-(\d{2})", re.MULTILINE)
_SENTENCE = re.compile(r".+?(?:[。！？!?](?:[”’」』\"')]*)|\.(?=\s|$))", re.DOTALL)


# ---- results -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedOutcome:
    """What happened to one feed in one run.

    status: "new" (posts saved), "unchanged" (nothing new, 304, or the same body),
    "skipped" (a server's Retry-After still runs), "deferred" (429/503 now), "failed".
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


@dataclass(frozen=True)
class DigestReport:
    """The outcome of one digest run."""

    feeds: tuple[FeedOutcome, ...]
    digest_page: Path | None = None
    archived: tuple[tuple[Path, Path], ...] = ()
    planned: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    dry_run: bool = False

    @property
    def saved(self) -> tuple[Path, ...]:
        return tuple(p for f in self.feeds for p in f.saved)

    @property
    def exit_code(self) -> int:
        """0 all done; 1 some feeds failed, waited or fell back; 3 every feed failed (cli.md)."""
        failed = sum(1 for f in self.feeds if f.status == "failed")
        if self.feeds and failed == len(self.feeds):
            return 3
        if failed or self.warnings or any(not f.ok for f in self.feeds):
            return 1
        return 0

    def problems(self, tz: tzinfo | None = None) -> list[str]:
        """One line per feed that did not simply work, with the reason (and history when it keeps failing)."""
        lines: list[str] = []
        for f in self.feeds:
            if f.status == "skipped":
                lines.append(
                    f"{f.name}: skipped until {_when(f.retry_after, tz)} (the server asked to wait; {f.url})"
                )
            elif f.status == "deferred":
                lines.append(f"{f.name}: {f.error}; will retry after {_when(f.retry_after, tz)}")
            elif f.status == "failed":
                line = f"{f.name}: {f.error}"
                if f.failures >= HISTORY_AFTER:
                    line += f" (failed {f.failures} runs in a row since {_when(f.since, tz)}"
                    if f.history:
                        line += "; before: " + " | ".join(f.history)
                    line += ")"
                lines.append(line)
            for note in f.flagged:
                lines.append(f"{f.name}: {note}")
        lines.extend(self.warnings)
        return lines


def _when(ts: float | None, tz: tzinfo | None) -> str:
    if ts is None:
        return "later"
    return datetime.fromtimestamp(ts, tz or timezone.utc).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %z")


# ---- options per feed --------------------------------------------------------------------------------


def _opt(obj: Any, name: str) -> Any:
    return getattr(obj, name, None) if obj is not None else None


def post_options_for(feed: Any) -> Any:
    """The PostOptions of a feed whose settings are already merged over the defaults (Config.for_feed)."""
    from newscli.posts import PostOptions

    kwargs: dict[str, Any] = {"sets": tuple(feed.sets)}
    for name in ("profile", "body", "footer", "filename"):
        value = _opt(feed, name)
        if value is not None:
            kwargs[name] = value
    options = PostOptions(**kwargs)
    options.check()
    return options


def _with_feed_labels(article: Article, feed: Any, options: Any) -> Article:
    """The feed's configured category and tags, unless the templates set those fields themselves."""
    templated = {key for key, _ in options.sets}
    changes: dict[str, Any] = {}
    category = _opt(feed, "category")
    if category and "categories" not in templated:
        changes["categories"] = (category,) if isinstance(category, str) else tuple(category)
    tags = _opt(feed, "tags")
    if tags and "tags" not in templated:
        changes["tags"] = (tags,) if isinstance(tags, str) else tuple(tags)
    return dataclasses.replace(article, **changes) if changes else article


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


# ---- the run -----------------------------------------------------------------------------------------


@dataclass
class _Job:
    feed: Any  # FeedConfig
    options: Any  # PostOptions
    remembered: Any  # FeedState | None


@dataclass
class _Result:
    outcome: FeedOutcome
    marks: list[Mark] = field(default_factory=list)
    posts: list[PostRecord] = field(default_factory=list)
    validators: tuple[str | None, str | None, str | None] | None = None
    error: tuple[str, str] | None = None
    retry_after: float | None = None
    touched: bool = True  # False: nothing to record (skipped)


class _Run:
    """One digest run's shared parts: state, clients, the claims of this run, the clock."""

    def __init__(
        self,
        *,
        out: Path,
        state: State,
        client: Any,
        fetcher: Any,
        defaults: Any,
        since: datetime | None,
        dry_run: bool,
        now: Callable[[], float],
        tz: tzinfo,
        pages: ThreadPoolExecutor,
        index_path: Path,
    ) -> None:
        self.out = out
        self.state = state
        self.client = client
        self.fetcher = fetcher
        self.defaults = defaults
        self.since = since
        self.dry_run = dry_run
        self.now = now
        self.tz = tz
        self.pages = pages
        self.index_path = index_path
        self._claimed: set[str] = set()
        self._claim_lock = threading.Lock()
        self.abort = threading.Event()

    def claim(self, keys: Sequence[str]) -> bool:
        """True when no earlier run saved this article and no other feed of this run took it."""
        with self._claim_lock:
            if any(k in self._claimed for k in keys) or self.state.seen(keys):
                return False
            self._claimed.update(keys)
            return True

    # -- one feed
    def process(self, job: _Job, index: Any) -> _Result:
        feed = job.feed
        name, url = feed.name, feed.url
        remembered = job.remembered
        now = self.now()
        if remembered is not None and remembered.retry_after and remembered.retry_after > now:
            return _Result(
                FeedOutcome(name, url, "skipped", retry_after=remembered.retry_after), touched=False
            )
        same_url = remembered is not None and remembered.url == url
        etag = remembered.etag if same_url else None
        last_modified = remembered.last_modified if same_url else None
        try:
            fetched = self.client.get(
                url, max_bytes=_feed_max(), accept=FEED_ACCEPT, etag=etag, last_modified=last_modified
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
            return _Result(FeedOutcome(name, url, "unchanged"))
        digest = body_hash(fetched.content)
        validators: tuple[str | None, str | None, str | None] | None = (
            fetched.headers.get("etag"),
            fetched.headers.get("last-modified"),
            digest,
        )
        if same_url and remembered.body_sha256 == digest:
            return _Result(FeedOutcome(name, url, "unchanged"), validators=validators)
        from newscli.feeds import parse_feed

        try:
            parsed = parse_feed(
                fetched,
                encoding=_opt(feed, "encoding"),
                configured_tz=_opt(feed, "tz"),
            )
        except NewsError as exc:
            return self._failed(job, exc)
        warnings = tuple(parsed.warnings)
        if parsed.truncated:
            # entries past the cut were not looked at: the next run must read this body again
            validators = None
            warnings += ("the feed was cut short; only its first entries were read",)
        return self._entries(job, parsed.entries, warnings, validators, index)

    def _failed(
        self, job: _Job, exc: NewsError, status: str = "failed", *, retry_after: float | None = None
    ) -> _Result:
        feed, remembered = job.feed, job.remembered
        before = remembered.failures if remembered is not None else 0
        earlier = self.state.history(feed.name, max(before, 3)) if before else []
        # the failures of this streak are the newest `before` rows; the oldest of them began it
        began = earlier[min(before, len(earlier)) - 1].at if earlier else self.now()
        outcome = FeedOutcome(
            feed.name,
            feed.url,
            status,
            error=exc,
            retry_after=retry_after,
            failures=before + 1,
            history=tuple(f.message for f in earlier[:3]),
            since=began,
        )
        return _Result(outcome, error=(exc.kind, str(exc)), retry_after=retry_after)

    def _entries(
        self,
        job: _Job,
        entries: Sequence[Entry],
        warnings: tuple[str, ...],
        validators: tuple[str | None, str | None, str | None] | None,
        index: Any,
    ) -> _Result:
        feed, options = job.feed, job.options
        result = _Result(
            FeedOutcome(feed.name, feed.url, "unchanged", warnings=warnings), validators=validators
        )
        todo: list[tuple[Entry, list[str]]] = []
        for entry in entries:
            art = entry.article
            keys = seen_keys(art.id, art.url, feed.url)
            if not keys or not self.claim(keys):
                continue
            when = art.published or art.updated
            if self.since is not None and when is not None and when < self.since:
                result.marks.append(Mark(tuple(keys)))  # before --since: remembered, never saved
                continue
            todo.append((entry, keys))
        # Pages are fetched concurrently; saving goes in feed order as each one is ready.
        futures: list[Future[tuple[Article, str | None]]] = [self._full_text(feed, e) for e, _ in todo]
        saved: list[Path] = []
        flagged: list[str] = []
        planned: list[str] = []
        error: NewsError | None = None
        for (_entry, keys), fut in zip(todo, futures, strict=True):
            if error is not None or self.abort.is_set():
                fut.cancel()
                continue
            article, problem = fut.result()
            article = _with_feed_labels(article, feed, options)
            if problem:
                flagged.append(problem)
            if self.dry_run:
                planned.append(self._plan(article, options, feed.name))
                continue
            try:
                from newscli.posts import save_post

                post = save_post(article, self.out, options, index=index, now=_aware(self.now(), self.tz))
            except NewsError as exc:
                error = exc
                continue
            except OSError as exc:  # should have been a SaveError; never let it kill the run
                error = SaveError(exc.strerror or str(exc), source=str(self.out))
                continue
            if post.status != "unchanged":
                saved.append(post.path)
            result.marks.append(Mark(tuple(keys), str(post.path)))
            result.posts.append(self._record(article, feed.name, post.path, keys))
        if error is not None or self.abort.is_set():
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

    def _full_text(self, feed: Any, entry: Entry) -> Future[tuple[Article, str | None]]:
        full = _opt(feed, "full")
        wanted = full if full is not None else not entry.content_is_full
        url = entry.article.url
        if (
            not wanted
            or not url
            or not url.lower().startswith(("http://", "https://"))
            or self.fetcher is None
        ):
            done: Future[tuple[Article, str | None]] = Future()
            done.set_result((entry.article, None))
            return done
        return self.pages.submit(self._page, entry.article, url)

    def _page(self, article: Article, url: str) -> tuple[Article, str | None]:
        if self.abort.is_set():
            return article, None
        from newscli.pipeline import merge_entry

        try:
            page = self.fetcher.extract_url(url)
        except NewsError as exc:
            return article, f"{exc} (saved the feed's own content instead)"
        return merge_entry(article, page), None

    def _plan(self, article: Article, options: Any, feed_name: str) -> str:
        from newscli.posts import post_filename

        name = post_filename(article, options, now=_aware(self.now(), self.tz))
        return f"would save {self.out / name} ({feed_name}: {article.title or article.url or ''})"

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
    from newscli.http import FEED_MAX

    return FEED_MAX


def _aware(ts: float, tz: tzinfo) -> datetime:
    return datetime.fromtimestamp(ts, tz)


def _select(config: Any, names: Sequence[str] | None) -> list[Any]:
    """The feeds to run, each with its settings merged over the defaults."""
    from newscli.config import unknown_feed

    feeds = list(config.feeds)
    if not feeds:
        raise UsageError("no feeds subscribed; add one with: newscli feeds add URL --name NAME")
    if names:
        by_name = {f.name: f for f in feeds}
        for name in names:
            if name not in by_name:
                raise unknown_feed(name, by_name)
        feeds = [by_name[n] for n in dict.fromkeys(names)]
    return [config.for_feed(f) for f in feeds]


def run_digest(
    *,
    out: Path,
    feeds: Sequence[str] | None = None,
    since: datetime | None = None,
    dry_run: bool = False,
    keep_days: int | None = None,
    archive: Path | None = None,
    config: Any = None,
    state_dir: Path | None = None,
    client: Any = None,
    fetcher: Any = None,
    workers: int | None = None,
    page_workers: int = 32,
    busy_timeout: float = 5.0,
    now: Callable[[], float] = time.time,
    progress: Callable[[int, int, FeedOutcome], None] | None = None,
) -> DigestReport:
    """Fetch the subscribed feeds (or those named), save new entries as posts, rebuild the day's digest page."""
    from newscli.config import effective
    from newscli.dates import local_zone, zone

    if config is None:
        from newscli.config import load_config

        config = load_config()
    defaults = config.defaults
    if (keep_days is None) != (archive is None):
        raise UsageError("--keep-days N and --archive DIR go together")
    if keep_days is not None and keep_days < 1:
        raise UsageError("--keep-days: must be at least 1")
    selected = _select(config, feeds)
    options = {f.name: post_options_for(f) for f in selected}
    tz_name = effective(None, "NEWSCLI_TZ", _opt(defaults, "tz"), None)
    tz = zone(tz_name) if tz_name else local_zone()
    page_options = _page_options(defaults)
    if state_dir is None:
        from newscli.config import state_dir as default_state_dir

        state_dir = default_state_dir()
    out = Path(out)

    lock = RunLock(state_dir)
    if not dry_run:
        lock.acquire()
    owned: list[Any] = []
    try:
        if not dry_run:
            from newscli.atomicwrite import check_directory

            check_directory(out)
            if archive is not None:
                check_directory(Path(archive))
        state = State.open(state_dir, busy_timeout=busy_timeout, readonly=dry_run)
        owned.append(state)
        if client is None:
            from newscli.http import HttpClient

            per_host = int(effective(None, "NEWSCLI_PER_HOST", _opt(defaults, "per_host"), 6))
            client = HttpClient(
                timeout=page_options.timeout, user_agent=page_options.user_agent, max_per_host=per_host
            )
            owned.append(client)
        if fetcher is None:
            from newscli.pipeline import Fetcher

            fetcher = Fetcher(page_options, client=client)
            owned.append(fetcher)
        if not dry_run:
            _remove_stale_temps(out, now())
        pages = ThreadPoolExecutor(max_workers=max(1, page_workers), thread_name_prefix="digest-page")
        try:
            run = _Run(
                out=out,
                state=state,
                client=client,
                fetcher=fetcher,
                defaults=defaults,
                since=since,
                dry_run=dry_run,
                now=now,
                tz=tz,
                pages=pages,
                index_path=state.path,
            )
            if workers is None:
                workers = int(effective(None, "NEWSCLI_CONCURRENCY", _opt(defaults, "concurrency"), 16))
            outcomes = _run_feeds(run, selected, options, workers, progress)
        finally:
            pages.shutdown(wait=True, cancel_futures=True)
        planned = [p for o in outcomes for p in o.planned]
        warnings: list[str] = []
        page = _digest_page(run, config, planned, warnings)
        archived: list[tuple[Path, Path]] = []
        if keep_days is not None and archive is not None:
            archived = _archive(run, keep_days, Path(archive), planned, warnings)
        return DigestReport(tuple(outcomes), page, tuple(archived), tuple(planned), tuple(warnings), dry_run)
    finally:
        for thing in reversed(owned):
            thing.close()
        lock.release()


def _page_options(defaults: Any) -> Any:
    from newscli.config import effective
    from newscli.pipeline import FetchOptions

    return FetchOptions(
        timeout=float(effective(None, "NEWSCLI_TIMEOUT", _opt(defaults, "timeout"), 30.0)),
        user_agent=effective(None, "NEWSCLI_USER_AGENT", _opt(defaults, "user_agent"), None),
    )


def _run_feeds(
    run: _Run,
    selected: list[Any],
    options: dict[str, Any],
    workers: int,
    progress: Callable[[int, int, FeedOutcome], None] | None,
) -> list[FeedOutcome]:
    """Feeds on worker threads (each with its own saved index); each feed's result committed here, in turn."""
    jobs: queue.Queue[_Job | None] = queue.Queue()
    results: queue.Queue[_Result | BaseException] = queue.Queue()
    for feed in selected:
        jobs.put(_Job(feed, options[feed.name], run.state.feed(feed.name)))
    count = max(1, min(workers, len(selected)))
    for _ in range(count):
        jobs.put(None)

    def worker() -> None:
        index = None
        try:
            if not run.dry_run:
                from newscli.saved import SavedIndex

                index = SavedIndex(run.index_path)
            while (job := jobs.get()) is not None:
                if run.abort.is_set():
                    continue
                try:
                    results.put(run.process(job, index))
                except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                    results.put(exc)
        except BaseException as exc:  # noqa: BLE001 - e.g. the index could not be opened
            results.put(exc)
            while jobs.get() is not None:
                pass
        finally:
            if index is not None:
                index.close()

    threads = [threading.Thread(target=worker, name=f"digest-feed-{i}", daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    outcomes: dict[str, FeedOutcome] = {}
    try:
        while len(outcomes) < len(selected):
            item = results.get()
            if isinstance(item, BaseException):
                raise item
            outcome = item.outcome
            if item.touched and not run.dry_run:
                run.state.commit_feed(
                    outcome.name,
                    outcome.url,
                    now=run.now(),
                    marks=item.marks,
                    posts=item.posts,
                    validators=item.validators,
                    error=item.error,
                    retry_after=item.retry_after,
                )
            outcomes[outcome.name] = outcome
            if progress is not None:
                progress(len(outcomes), len(selected), outcome)
    except BaseException:
        run.abort.set()
        for t in threads:
            t.join(timeout=30)
        raise
    for t in threads:
        t.join()
    return [outcomes[f.name] for f in selected]


# ---- the day's digest page ---------------------------------------------------------------------------


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


def _digest_page(run: _Run, config: Any, planned: list[str], warnings: list[str]) -> Path | None:
    from newscli.atomicwrite import atomic_write
    from newscli.posts import PostOptions, render_post

    day = _aware(run.now(), run.tz).date().isoformat()
    path = run.out / f"{day}-digest.md"
    posts = run.state.day_posts(day)
    if run.dry_run:
        if any(line.startswith("would save") for line in planned):
            planned.append(f"would write {path} (the day's digest page)")
        return None
    if not posts:
        return None
    titles = {f.name: (_opt(f, "title") or f.name) for f in config.feeds}
    last = max(p.saved_at for p in posts)
    article = Article(
        title=f"Digest {day}",
        id=f"digest:{day}",
        published=_aware(last, run.tz),
        categories=("digest",),
        html=digest_page_html(posts, titles, run.tz),
    )
    defaults = config.defaults
    options = PostOptions(
        profile=_opt(defaults, "profile") or "jekyll", body=_opt(defaults, "body") or "markdown"
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


# ---- archiving ---------------------------------------------------------------------------------------


def post_date(path: Path) -> date | None:
    """The date a post is filed under: its file name's YYYY-MM-DD- prefix, else its front matter's date."""
    match = _DATED.match(path.name)
    if match is None:
        try:
            with path.open("rb") as f:
                head = f.read(4096).decode("utf-8", "replace")
        except OSError:
            return None
        if not head.startswith("---"):
            return None
        match = _FM_DATE.search(head.split("\n---", 1)[0])
        if match is None:
            return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _archive(
    run: _Run, keep_days: int, archive: Path, planned: list[str], warnings: list[str]
) -> list[tuple[Path, Path]]:
    today = _aware(run.now(), run.tz).date()
    cutoff = today - timedelta(days=keep_days - 1)
    moved: list[tuple[Path, Path]] = []
    try:
        names = sorted(os.listdir(run.out))
    except OSError as exc:
        warnings.append(f"archive: cannot list {run.out}: {exc.strerror or exc}")
        return moved
    for name in names:
        src = run.out / name
        if (
            name.startswith(".")
            or not name.lower().endswith((".md", ".markdown", ".html"))
            or not src.is_file()
        ):
            continue
        when = post_date(src)
        if when is None or when >= cutoff:
            continue
        dst = archive / name
        if run.dry_run:
            planned.append(f"would move {src} to {dst}")
            continue
        try:
            _move_no_clobber(src, dst)
        except FileExistsError:
            warnings.append(f"archive: {dst} already exists; left {src} where it is")
            continue
        except OSError as exc:
            warnings.append(f"archive: cannot move {src} to {dst}: {exc.strerror or exc}")
            continue
        run.state.moved(str(src), str(dst))
        moved.append((src, dst))
    return moved


def _move_no_clobber(src: Path, dst: Path) -> None:
    """Move a file atomically, never replacing one already in the archive."""
    try:
        os.link(src, dst)  # atomic and refuses to clobber
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno == errno.EXDEV:  # another file system: copy into place first, then the same link dance
            tmp = dst.with_name(f".newscli-{dst.name}.tmp")
            shutil.copy2(src, tmp)
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            try:
                os.link(tmp, dst)
            finally:
                os.unlink(tmp)
        elif exc.errno in (errno.EPERM, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS):
            if os.path.lexists(dst):
                raise FileExistsError(errno.EEXIST, "exists", str(dst)) from None
            os.replace(src, dst)
            return
        else:
            raise
    os.unlink(src)


def _remove_stale_temps(out: Path, now: float) -> None:
    """Temp files a killed run left behind (never a live writer's: those are fresh)."""
    try:
        entries = list(os.scandir(out))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(".newscli-") and entry.name.endswith(".tmp"):
            try:
                if now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMP:
                    os.unlink(entry.path)
            except OSError:
                pass
