"""`newscli digest`: every new article of every subscribed feed saved once, plus the day's digest page.

Order of durability, so that a crash anywhere leaves work to redo and nothing lost or doubled:
post files are written atomically first; then, in one transaction per feed, their seen
keys are recorded and (only when every entry of the feed was handled) the feed's
validators and body hash advance. Saving the same article again finds its own file
(the saved index) and leaves identical bytes untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

from newscli.digest.feed import DigestRun, FeedJob, FeedOutcome, FeedResult, post_options_for, setting
from newscli.digest.lock import RunLock
from newscli.digest.page import PAGE_FORMAT, page_key, write_digest_page
from newscli.digest.state import State
from newscli.errors import NewsError, UsageError
from newscli.net.scheduler import HostPool
from newscli.posts.folder import PostFolder

DEFAULT_BUDGET = 240.0  # seconds: well under the */10 cron interval digest is made for
LIGHT_BATCH = 64  # feeds without posts (unchanged, failed) recorded in one transaction at most
LIGHT_WAIT = 0.25  # seconds such a feed's record waits for others to share its transaction (one fsync)
HISTORY_AFTER = 3  # consecutive failed runs before the report shows a feed's history


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
        """0 all done; 1 some feeds failed, waited or fell back; 3 every feed failed and nothing was saved
        (cli.md): a disk that filled after 50 of 120 posts is a partial run, not "nothing could be fetched"."""
        failed = sum(1 for f in self.feeds if f.status == "failed")
        if self.feeds and failed == len(self.feeds) and not self.saved:
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
            elif f.status == "waiting":
                lines.append(f"{f.name}: {f.error}")
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
    page_workers: int | None = None,
    busy_timeout: float = 5.0,
    now: Callable[[], float] = time.time,
    progress: Callable[[int, int, FeedOutcome], None] | None = None,
    allow_private: bool = False,
    budget: float | None = None,
) -> DigestReport:
    """Fetch the subscribed feeds (or those named), save new entries as posts, rebuild the day's digest page.

    `budget`: seconds the run may spend fetching (else `budget` in [defaults], else DEFAULT_BUDGET); when
    they are used up, feeds and pages not yet fetched wait for the next run, and the report says so.
    `workers`, `page_workers`: feeds and pages fetched at once (else `concurrency`, else sized from the
    feeds' hosts as `fetch` sizes its requests: pipeline.concurrency_for; pages: at most MAX_CONCURRENCY).
    """
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
    if budget is None:
        budget = float(effective(None, "NEWSCLI_BUDGET", setting(defaults, "budget"), DEFAULT_BUDGET))
    if budget <= 0:
        raise UsageError("--budget: must be more than 0 seconds")
    selected = _select(config, feeds)
    options = {f.name: post_options_for(f) for f in selected}
    tz_name = effective(None, "NEWSCLI_TZ", setting(defaults, "tz"), None)
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
            PostFolder(out).check()
            if archive is not None:
                PostFolder(Path(archive)).check()
        state = State.open(state_dir, busy_timeout=busy_timeout, readonly=dry_run, has_posts=_has_posts(out))
        owned.append(state)
        # one folder object, its index shared by the feed threads (saving is one step per folder anyway); its
        # rows are made durable by the feed's commit of the state that follows them (SavedIndex: synced_later)
        folder = (
            PostFolder(out) if dry_run else PostFolder.open(out, index_path=state.path, synced_later=True)
        )
        owned.append(folder)
        from newscli.pipeline import MAX_CONCURRENCY, concurrency_for

        per_host = int(effective(None, "NEWSCLI_PER_HOST", setting(defaults, "per_host"), 6))
        given = effective(None, "NEWSCLI_CONCURRENCY", setting(defaults, "concurrency"), None)
        given = None if given is None else int(given)
        if client is None:
            from newscli.net.http import HttpClient

            client = HttpClient(
                timeout=page_options.timeout,
                user_agent=page_options.user_agent,
                max_per_host=per_host,
                allow_private=allow_private,
            )
            owned.append(client)
        if fetcher is None:
            from newscli.pipeline import Fetcher

            fetcher = Fetcher(page_options, client=client)
            owned.append(fetcher)
        if not dry_run:
            folder.remove_stale_temps(now())
        # pages host by host, at the client's per-host limit: a host's waiting pages never hold the threads
        # that other hosts' connections need
        pages = HostPool(max(1, page_workers or (given or MAX_CONCURRENCY)), per_host, name="digest-page")
        try:
            run = DigestRun(
                folder=folder,
                state=state,
                client=client,
                fetcher=fetcher,
                defaults=defaults,
                since=since,
                dry_run=dry_run,
                now=now,
                tz=tz,
                pages=pages,
                allow_private=allow_private,
                budget=budget,
            )
            if workers is None:
                workers = concurrency_for([f.url for f in selected], given, per_host)
            outcomes = _run_feeds(run, selected, options, workers, progress)
        except KeyboardInterrupt:
            pages.shutdown(wait=False, cancel_futures=True)  # Ctrl-C, SIGTERM: leave now, wait for nothing
            raise
        else:
            pages.shutdown(wait=True, cancel_futures=True)
        if fetcher in owned:  # its extraction workers (~35 MiB each) are done: let them go before the page
            owned.remove(fetcher)
            fetcher.close()
        planned = [p for o in outcomes for p in o.planned]
        warnings: list[str] = []
        checked_at = now()  # before the page step looks at which posts are due
        day = datetime.fromtimestamp(checked_at, tz).date().isoformat()
        page = None if dry_run else _unchanged_page(folder, state, config, day, tz, checked_at)
        if page is None:
            page = write_digest_page(
                folder, state, config, now=now, tz=tz, dry_run=dry_run, planned=planned, warnings=warnings
            )
            if not dry_run:
                _stamp_page(folder, state, config, day, tz, checked_at, page if not warnings else None)
        archived: list[tuple[Path, Path]] = []
        if keep_days is not None and archive is not None:
            today = datetime.fromtimestamp(now(), tz).date()
            archived = folder.archive(
                Path(archive),
                before=today - timedelta(days=keep_days - 1),
                dry_run=dry_run,
                planned=planned,
                warnings=warnings,
                moved=lambda src, dst: state.moved(str(src), str(dst)),  # the day's page follows the file
            )
        return DigestReport(tuple(outcomes), page, tuple(archived), tuple(planned), tuple(warnings), dry_run)
    except KeyboardInterrupt:
        # Interrupted: every file is written atomically and every commit is whole, so nothing needs closing
        # (closing waits for requests in flight); the process ends now and its workers go with it.
        owned.clear()
        raise
    finally:
        for thing in reversed(owned):
            thing.close()
        lock.release()


PAGE_STAMP_HOURS = 1.0  # the longest a page stamp stands in for the full check of the day's page


def _page_stamp(folder: PostFolder, state: State, config: Any, day: str, tz: tzinfo) -> str | None:
    """A digest of what the day's page is made of that costs one listing and one indexed count to read:
    the page's settings and feed titles, the day's posts (count, last save, path lengths: every save,
    re-save and move changes them) and the output folder (where it is, and the names of its files: whether
    a post's file is there decides its link). None when the folder cannot be listed."""
    try:
        real = os.path.realpath(folder.path)
        with os.scandir(folder.path) as entries:
            names = sorted(e.name for e in entries if not e.name.startswith(".newscli-") and e.is_file())
    except OSError:
        return None
    defaults = config.defaults
    data = json.dumps(
        [
            PAGE_FORMAT,
            day,
            repr(tz),
            getattr(defaults, "profile", None),
            getattr(defaults, "body", None),
            [[f.name, getattr(f, "title", None)] for f in config.feeds],
            real,
            state.day_signature(day),
            names,
        ],
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


def _unchanged_page(
    folder: PostFolder, state: State, config: Any, day: str, tz: tzinfo, at: float
) -> Path | None:
    """The day's page when its stamp says nothing it is made of changed since it was last checked, and the
    file still holds the bytes it was written with; else None (the page step then looks at every post).
    A rerun with nothing new reads no post: thousands of them take longer to check than the run's requests."""
    recorded = state.page_stamp(day)
    if recorded is None or at >= recorded[1] or recorded[0] != _page_stamp(folder, state, config, day, tz):
        return None
    return folder.recorded(page_key(day))


def _stamp_page(
    folder: PostFolder, state: State, config: Any, day: str, tz: tzinfo, at: float, page: Path | None
) -> None:
    """After the page step: record the stamp that lets the next run skip it, when the page stands as it
    should. It stands only until a post of the day falls due (its link appears then) and at most
    PAGE_STAMP_HOURS (a safety net: the full check runs at least that often). Only a shortcut for the next
    run: when it cannot be recorded, that run checks the page in full."""
    stamp = None
    until = at + PAGE_STAMP_HOURS * 3600
    try:
        if page is not None:
            stamp = _page_stamp(folder, state, config, day, tz)
            for published in state.day_published(day):
                try:
                    when = datetime.fromisoformat(published)
                    due = when.timestamp() if when.tzinfo is not None else None  # naive: never held back
                except (ValueError, TypeError, OverflowError, OSError):
                    continue
                if due is not None and due > at:
                    until = min(until, due)
        if stamp is not None or state.page_stamp(day) is not None:
            state.set_page_stamp(day, stamp, until)
    except NewsError:
        pass


def _by_host_in_turn(selected: Sequence[Any]) -> list[Any]:
    """The feeds in an order that takes each host in turn, so that threads waiting for one busy host's
    slots never leave the other hosts idle (the report keeps the configured order)."""
    from newscli.pipeline import host_of

    queues: dict[str, list[Any]] = {}
    for feed in selected:
        queues.setdefault(host_of(feed.url), []).append(feed)
    order: list[Any] = []
    rounds = max((len(q) for q in queues.values()), default=0)
    for i in range(rounds):
        order.extend(q[i] for q in queues.values() if i < len(q))
    return order


def _has_posts(out: Path) -> bool:
    """Whether the output folder already holds posts (Markdown files not hidden)."""
    try:
        with os.scandir(out) as it:
            return any(
                not e.name.startswith(".") and e.name.endswith((".md", ".markdown")) and e.is_file()
                for e in it
            )
    except OSError:
        return False


def _page_options(defaults: Any) -> Any:
    from newscli.config import effective
    from newscli.pipeline import FetchOptions

    return FetchOptions(
        timeout=float(effective(None, "NEWSCLI_TIMEOUT", setting(defaults, "timeout"), 30.0)),
        user_agent=effective(None, "NEWSCLI_USER_AGENT", setting(defaults, "user_agent"), None),
        fresh_workers=True,  # a long run: workers that hold only what extraction needs
    )


def _run_feeds(
    run: DigestRun,
    selected: list[Any],
    options: dict[str, Any],
    workers: int,
    progress: Callable[[int, int, FeedOutcome], None] | None,
) -> list[FeedOutcome]:
    """Feeds on worker threads; each feed's result committed here, in turn."""
    jobs: queue.Queue[FeedJob | None] = queue.Queue()
    results: queue.Queue[FeedResult | BaseException] = queue.Queue()
    remembered = run.state.feeds()
    for feed in _by_host_in_turn(selected):
        jobs.put(FeedJob(feed, options[feed.name], remembered.get(feed.name)))
    count = max(1, min(workers, len(selected)))
    for _ in range(count):
        jobs.put(None)

    def worker() -> None:
        while (job := jobs.get()) is not None:
            if run.abort.is_set():
                continue
            try:
                results.put(run.process(job))
            except NewsError as exc:  # disk full, state unusable: the run stops
                results.put(exc)
            except Exception as exc:  # a bug or a library surprise: this feed fails, the others go on
                results.put(run.failed_unexpectedly(job, exc))
            except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                results.put(exc)

    threads = [threading.Thread(target=worker, name=f"digest-feed-{i}", daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    if any(r is None or not (r.etag or r.last_modified) for r in (remembered.get(f.name) for f in selected)):
        # a feed with nothing to revalidate comes back whole and is parsed: the parser is imported while
        # the first requests are in flight (a rerun of 304s never imports it)
        from newscli.feeds.parse import preload

        threading.Thread(target=preload, name="digest-preload", daemon=True).start()
    outcomes: dict[str, FeedOutcome] = {}
    light: list[FeedResult] = []  # results that record no post (unchanged, failed): committed together
    light_since = 0.0  # when the oldest of them arrived

    def commit(items: list[FeedResult]) -> None:
        now = run.now()
        run.state.commit_feeds(
            [
                (r.outcome.name, r.outcome.url, now, r.marks, r.posts, r.validators, r.error, r.retry_after)
                for r in items
            ]
        )

    def done(result: FeedResult) -> None:
        outcomes[result.outcome.name] = result.outcome
        if progress is not None:
            progress(len(outcomes), len(selected), result.outcome)

    def flush() -> None:
        commit(light)
        for result in light:
            done(result)
        light.clear()

    try:
        while len(outcomes) + len(light) < len(selected):
            try:
                if light:  # record what waits once LIGHT_WAIT has passed, in one transaction
                    item = results.get(timeout=max(0.0, light_since + LIGHT_WAIT - time.monotonic()))
                else:
                    item = results.get()
            except queue.Empty:
                flush()
                continue
            if isinstance(item, BaseException):
                raise item
            if not item.touched or run.dry_run:
                done(item)
            elif item.marks or item.posts:
                commit([item])  # a feed with posts: its own transaction, as soon as its posts are on disk
                done(item)
            else:
                if not light:
                    light_since = time.monotonic()
                light.append(item)
                if len(light) >= LIGHT_BATCH or time.monotonic() - light_since >= LIGHT_WAIT:
                    flush()
        if light:
            flush()
    except BaseException as exc:
        run.abort.set()
        if not isinstance(exc, KeyboardInterrupt):  # interrupted: leave without waiting for requests
            for t in threads:
                t.join(timeout=30)
        raise
    for t in threads:
        t.join()
    return [outcomes[f.name] for f in selected]
