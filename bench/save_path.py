#!/usr/bin/env python3
"""The digest's main-process work per saved post (issue 15), not a test: no network, no workers.

FEEDS farm feeds (bench/digest_scale.py's feed_body and page_body) are parsed and their pages extracted and
converted once, up front; then each run hands every feed's entries to DigestRun's per-entry path (claim,
merge with its page, name check, PostFolder.save with its temp file, fsync, link and folder fsync, the saved
index) and commits each feed's state, as `digest` does, into a fresh folder and state directory. Pages
"arrive" at once (a synchronous stand-in for the page threads), so this is the main process's CPU per post,
with the fsyncs, and nothing else.

usage: python bench/save_path.py [--feeds 200] [--runs 5] [--code DIR]...

`--code DIR` (repeatable) runs the checkout at DIR instead of this one, each run in its own process,
interleaved; printed: CPU ms per post (best and median of the runs) and wall ms per post (median).
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import Future
from datetime import timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent


def build_inputs(feeds: int, path: Path) -> None:
    """Parse the farm's feeds and extract and convert its pages with this process's newscli; pickle them."""
    sys.path.insert(0, str(HERE))
    import digest_scale as farm

    import newscli
    from newscli.feeds.parse import parse_feed
    from newscli.models import Fetched
    from newscli.posts.post import PostOptions, post_body

    parsed: list[tuple[str, Any]] = []
    pages: dict[str, Any] = {}
    for f in range(feeds):
        base = f"http://127.0.0.{f % 8 + 1}:8080"
        url = f"{base}/feed/{f}.xml"
        body = farm.feed_body(base, f, 10)
        feed = parse_feed(Fetched(url, body, {"content-type": "application/rss+xml; charset=utf-8"}))
        parsed.append((url, feed.entries))
        for entry in feed.entries:
            page_url = entry.article.url
            f_, i = (int(x.split(".")[0]) for x in page_url.rsplit("/", 2)[1:])
            page = newscli.extract(farm.page_body(f_, i), page_url)
            pages[page_url] = (page, post_body(page, PostOptions()))
    path.write_bytes(pickle.dumps((parsed, pages)))


class _Feed:
    """A subscribed feed with no settings of its own (FeedConfig's attributes, all unset)."""

    def __init__(self, name: str, url: str) -> None:
        self.name, self.url, self.sets = name, url, ()

    def __getattr__(self, name: str) -> Any:
        return None


def child(inputs: Path) -> None:
    """One run of the per-entry path over every feed, with the newscli on sys.path; prints its figures."""
    from newscli.digest.feed import DigestRun, FeedJob, post_options_for
    from newscli.digest.state import State
    from newscli.posts.folder import PostFolder

    feeds, pages = pickle.loads(inputs.read_bytes())

    class Fetcher:
        def extraction(self, url: str, then: Any, **_: Any) -> Future[Any]:
            done: Future[Any] = Future()
            done.set_result(pages[url])
            return done

        def extract_url_then(
            self, url: str, then: Any, **_: Any
        ) -> tuple[Any, Any]:  # checkouts before HostPool
            return pages[url]

    class Pages:
        def submit(self, *args: Any) -> Future[Any]:
            if isinstance(args[0], str):  # HostPool.submit(host, fn, *args)
                args = args[1:]
            done: Future[Any] = Future()
            done.set_result(args[0](*args[1:]))
            return done

    work = Path(tempfile.mkdtemp(prefix="save-path-"))
    try:
        state = State.open(work / "state")
        try:
            folder = PostFolder.open(work / "site", index_path=state.path, synced_later=True)
        except TypeError:  # a checkout from before synced_later
            folder = PostFolder.open(work / "site", index_path=state.path)
        now = time.time()
        run = DigestRun(
            folder=folder,
            state=state,
            client=None,
            fetcher=Fetcher(),
            defaults=None,
            since=None,
            dry_run=False,
            now=lambda: now,
            tz=timezone.utc,
            pages=Pages(),  # type: ignore[arg-type]
        )
        jobs = []
        for i, (url, entries) in enumerate(feeds):
            feed = _Feed(f"farm-{i}", url)
            jobs.append((FeedJob(feed, post_options_for(feed), None), entries))
        cpu, wall = time.process_time(), time.perf_counter()
        for job, entries in jobs:
            r = run._entries(job, entries, (), ("etag", None, "sha"), None)
            o = r.outcome
            state.commit_feeds([(o.name, o.url, now, r.marks, r.posts, r.validators, r.error, r.retry_after)])
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        posts = sum(1 for p in (work / "site").iterdir() if p.suffix == ".md")
        folder.close()
        state.close()
        print(f"{posts} {cpu} {wall}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--code", action="append", type=Path, help="checkout(s) to compare (default: this one)")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)  # internal: one run over these inputs
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return 0
    codes = [c.resolve() for c in (args.code or [ROOT])]
    work = Path(tempfile.mkdtemp(prefix="save-path-inputs-"))
    try:
        inputs = work / "inputs.pickle"
        sys.path.insert(0, str(HERE))
        from digest_scale import spread_subfolders

        spread_subfolders(work)  # each run's folder in a block group of its own, away from the last run's
        env = dict(os.environ, PYTHONPATH=str(codes[0]), TMPDIR=str(work))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        code = f"import sys; sys.path.insert(0, {str(HERE)!r}); import save_path; save_path.build_inputs({args.feeds}, __import__('pathlib').Path({str(inputs)!r}))"
        subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=work)
        rows: dict[Path, list[tuple[int, float, float]]] = {c: [] for c in codes}
        for _ in range(args.runs):
            for c in codes:
                env["PYTHONPATH"] = str(c)
                out = subprocess.run(
                    [sys.executable, __file__, "--child", str(inputs)],
                    env=env,
                    check=True,
                    cwd=work,  # never a checkout: `python` would import the working directory's newscli
                    capture_output=True,
                    text=True,
                ).stdout.split()
                rows[c].append((int(out[0]), float(out[1]), float(out[2])))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.feeds} feeds × 10 entries, {args.runs} runs each, interleaved")
    print(f"{'who':<40} {'posts':>6} {'CPU ms/post best':>17} {'median':>7} {'wall ms/post':>13}")
    for c, got in rows.items():
        n = got[0][0]
        cpu = [r[1] / n * 1000 for r in got]
        wall = statistics.median(r[2] / n * 1000 for r in got)
        print(f"{str(c)[-40:]:<40} {n:>6} {min(cpu):>17.3f} {statistics.median(cpu):>7.3f} {wall:>13.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
