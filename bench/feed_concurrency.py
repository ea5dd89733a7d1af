#!/usr/bin/env python3
"""Feed full-text concurrency benchmark (issue 4), not a test.

A local server answers every request after DELAY seconds; its feed lists N teaser
entries. A one-at-a-time client needs at least (N + 1) × DELAY. We time the whole
`newscli fetch FEED --full --format ndjson` process and check every entry came with
its full text.

usage: python bench/feed_concurrency.py [--entries 30] [--delay 0.3] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARAGRAPH = "这是第{i}篇文章的第{j}段正文，记者在现场看到，当地的科技创新正在改变传统产业的面貌。"


def make_server(entries: int, delay: float) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            time.sleep(delay)
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if self.path == "/feed.xml":
                items = "".join(
                    f"<item><title>第{i}篇</title><link>{base}/a/{i}.html</link><guid>{base}/a/{i}.html</guid>"
                    f"<description>第{i}篇文章的摘要……</description></item>"
                    for i in range(entries)
                )
                body = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>测试</title><link>{base}/</link>{items}</channel></rss>'
                ctype = "application/rss+xml; charset=utf-8"
            else:
                i = self.path.rsplit("/", 1)[-1].split(".")[0]
                paras = "".join(f"<p>{PARAGRAPH.format(i=i, j=j)}</p>" for j in range(12))
                body = (
                    f"<html lang='zh'><head><title>第{i}篇</title></head><body><nav><a href='/'>首页</a></nav>"
                    f"<article><h1>第{i}篇</h1>{paras}</article><footer>版权所有</footer></body></html>"
                )
                ctype = "text/html; charset=utf-8"
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=30)
    parser.add_argument("--delay", type=float, default=0.3)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    server = make_server(args.entries, args.delay)
    url = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    serial = (args.entries + 1) * args.delay
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "newscli", "fetch", url, "--full", "--format", "ndjson"],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        times.append(time.perf_counter() - start)
        records = [json.loads(line) for line in out.stdout.splitlines()]
        full = sum(1 for r in records if r["error"] is None and "第11段" in (r["text"] or ""))
        if out.returncode != 0 or full != args.entries:
            sys.exit(f"run failed: exit {out.returncode}, {full}/{args.entries} full texts\n{out.stderr}")
    best, median = min(times), statistics.median(times)
    print(
        f"{args.entries} teaser entries, every answer after {args.delay} s; one-at-a-time floor {serial:.1f} s"
    )
    print(
        f"newscli fetch --full: median {median:.2f} s, best {best:.2f} s over {args.runs} runs "
        f"(ratio to the one-at-a-time floor: {median / serial:.2f}; goal <= 0.30)"
    )
    server.shutdown()


if __name__ == "__main__":
    main()
