"""Soak: SIGKILL a real `newscli digest` at random moments, over and over, then run it clean.

About 20 feeds on a local server grow by an entry or two every time they are fetched; a third of their
entries are teasers whose pages the digest fetches and extracts (so extraction workers are alive when
the kill comes). After KILLS killed runs, the feeds stop growing and one clean run must: start at once
(never exit 4), save every entry exactly once (no `-2` copies, nothing missing), leave no temp files and
no processes behind; a second clean run saves nothing.

    python bench/soak_digest.py [--kills 30] [--feeds 20] [--seed 11] [--max-seconds 900]

Bounded: at most --kills killed runs and --max-seconds in all. Prints the figures, exits 1 on a failure.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = (
    "The council met on Tuesday to discuss the new budget for schools, roads and parks. Members agreed that "
    "the plan needs more work before the vote next month, and asked the staff to bring back three options. "
)


class Feeds:
    """Feed i has `count[i]` entries; each fetch adds one or two until frozen."""

    def __init__(self, feeds: int, rng: random.Random) -> None:
        self.count = [3 + rng.randrange(4) for _ in range(feeds)]
        self.rng = rng
        self.frozen = False
        self.lock = threading.Lock()

    def feed(self, i: int) -> bytes:
        with self.lock:
            if not self.frozen:
                self.count[i] = min(60, self.count[i] + self.rng.randrange(3))
            n = self.count[i]
        items = []
        for k in range(n):
            teaser = k % 3 == 2
            link = f"http://127.0.0.1:{PORT}/page/{i}/{k}.html"  # fetched when the content looks short
            body = (
                ""
                if teaser
                else f"<content:encoded><![CDATA[<p>Feed {i} story {k}. {WORDS}</p>]]></content:encoded>"
            )
            items.append(
                f"<item><title>Feed {i} story {k}</title><link>{link}</link><guid isPermaLink='false'>f{i}-{k}</guid>"
                f"<pubDate>Fri, 17 May 2024 {k % 24:02d}:{i % 60:02d}:00 +0000</pubDate>"
                f"<description>Teaser {i}/{k}</description>{body}</item>"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>Feed {i}</title><link>https://f{i}.example.com/</link><description>d</description>"
            + "".join(items)
            + "</channel></rss>"
        ).encode()

    def total(self) -> int:
        return sum(self.count)


PORT = 0


def serve(feeds: Feeds) -> ThreadingHTTPServer:
    global PORT

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            parts = self.path.strip("/").split("/")
            if parts[0].startswith("feed") and parts[0].endswith(".xml"):
                body, kind = feeds.feed(int(parts[0][4:-4])), "application/rss+xml"
            elif parts[0] == "page" and len(parts) == 3:
                i, k = parts[1], parts[2].split(".")[0]
                time.sleep(feeds.rng.random() * 0.05)
                body = (
                    f"<html><head><title>Feed {i} story {k}</title></head><body><article><h1>Feed {i} story {k}</h1>"
                    f"<p>Page of feed {i} story {k}. {WORDS}</p><p>{WORDS}</p></article></body></html>"
                ).encode()
                kind = "text/html; charset=utf-8"
            else:
                body, kind = b"not found", "text/plain"
            self.send_response(200 if kind != "text/plain" else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except OSError:
                pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: object, client_address: object) -> None:
            pass

    httpd = Server(("127.0.0.1", 0), Handler)
    PORT = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return httpd


def marked(mark: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if f"NEWSCLI_SOAK={mark}".encode() in (entry / "environ").read_bytes():
                if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kills", type=int, default=30)
    ap.add_argument("--feeds", type=int, default=20)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--max-seconds", type=float, default=900)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    started = time.monotonic()
    feeds = Feeds(args.feeds, rng)
    httpd = serve(feeds)
    work = Path(tempfile.mkdtemp(prefix="newscli-soak-"))
    home, out = work / "home", work / "out"
    home.mkdir()
    config = home / "config.toml"
    config.write_text(
        "".join(
            f'[[feeds]]\nname = "f{i}"\nurl = "http://127.0.0.1:{PORT}/feed{i}.xml"\n\n'
            for i in range(args.feeds)
        )
    )
    base_env = {
        **{k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")},
        "PYTHONPATH": str(ROOT),
        "NEWSCLI_HOME": str(home),
        "NEWSCLI_CONFIG": str(config),
        "NEWSCLI_TZ": "UTC",
    }

    def run(mark: str, kill_after: float | None, name: str = "last-run") -> tuple[int | None, float]:
        env = {**base_env, "NEWSCLI_SOAK": mark, "PYTHONFAULTHANDLER": "1"}
        t0 = time.monotonic()
        log = open(work / f"{name}.stderr", "wb")  # noqa: SIM115 - closed below
        proc = subprocess.Popen(
            [sys.executable, "-m", "newscli", "digest", "--out", str(out)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            if kill_after is None:
                try:
                    proc.wait(timeout=300)
                except subprocess.TimeoutExpired:
                    proc.send_signal(signal.SIGABRT)  # PYTHONFAULTHANDLER: every thread's stack to the log
                    proc.wait(timeout=30)
                    print(f"  a clean run hung: stacks in {work / f'{name}.stderr'}")
            else:
                try:
                    proc.wait(timeout=kill_after)
                except subprocess.TimeoutExpired:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
        return proc.returncode, time.monotonic() - t0

    codes: dict[str, int] = {}
    orphans = 0
    exits_4 = 0
    kills = 0
    for _ in range(args.kills):
        if time.monotonic() - started > args.max_seconds * 0.8:
            break
        mark = uuid.uuid4().hex
        code, _ = run(mark, rng.uniform(0.1, 2.5))
        kills += 1
        key = "SIGKILL" if code == -signal.SIGKILL else f"exit {code}"
        codes[key] = codes.get(key, 0) + 1
        exits_4 += code == 4
        deadline = time.monotonic() + 5
        while marked(mark) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = marked(mark)
        if left:
            orphans += len(left)
            for pid in left:  # this soak's own processes only
                os.kill(pid, signal.SIGKILL)

    with feeds.lock:
        feeds.frozen = True
    clean_code, clean_secs = run(uuid.uuid4().hex, None, "clean-run")
    again_before = {p.name for p in out.iterdir()}
    again_code, _ = run(uuid.uuid4().hex, None)
    again_after = {p.name for p in out.iterdir()}

    names = sorted(p.name for p in out.iterdir())
    stories = [n for n in names if "-story-" in n]
    expected = {f"2024-05-17-feed-{i}-story-{k}.md" for i in range(args.feeds) for k in range(feeds.count[i])}
    duplicates = [n for n in stories if re.search(r"-story-\d+-\d+\.md$", n)]  # a numbered second copy
    missing = sorted(expected - set(stories))
    extra = sorted(set(stories) - expected)
    temps = [n for n in names if n.endswith(".tmp")]
    teasers = [n for n in stories if "Teaser " in (out / n).read_text(encoding="utf-8")]
    httpd.shutdown()

    print(f"soak: {kills} killed runs of digest over {args.feeds} growing feeds (seed {args.seed})")
    print(f"  killed-run outcomes: {dict(sorted(codes.items()))}; runs that exited 4: {exits_4}")
    print(f"  processes left behind after a kill: {orphans}")
    print(
        f"  clean run: exit {clean_code} in {clean_secs:.1f} s; second clean run: exit {again_code}, "
        f"{len(again_after - again_before)} new files"
    )
    print(
        f"  entries served: {len(expected)}; posts: {len(stories)}; duplicates: {len(duplicates)}; "
        f"missing: {len(missing)}; unexpected: {len(extra)}; temp files: {len(temps)}; "
        f"teasers saved instead of pages: {len(teasers)}"
    )
    said = (work / "clean-run.stderr").read_text(errors="replace").splitlines()
    print(f"  the clean run said ({len(said)} lines): {said[:6]}")
    print(f"  total {time.monotonic() - started:.0f} s; work folder {work}")
    ok = (
        exits_4 == 0
        and orphans == 0
        and clean_code == 0
        and again_code == 0
        and again_after == again_before
        and not duplicates
        and not missing
        and not extra
        and not temps
    )
    print("  OK" if ok else "  FAILED", missing[:5], extra[:5], duplicates[:5])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
