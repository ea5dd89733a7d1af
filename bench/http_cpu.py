#!/usr/bin/env python3
"""CPU per request of newscli's HTTP client (issue 15), not a test.

A loopback server in its own process (so its CPU is not counted; one ThreadingHTTPServer per
address 127.0.0.1…127.0.0.H, Linux loopback) answers a ~17 KB HTML page after DELAY seconds, in one
write. The client (HttpClient, as `fetch` and `digest` make it) runs N requests on T threads, round
robin over the hosts; printed: CPU ms per request (user + system, from getrusage), wall ms per request
and peak RSS, the median of --runs runs, and the requests that failed (their errors on stderr). `--code DIR` runs the checkout at DIR instead (interleaved
run by run with the others given), to compare two versions on one machine.

    python bench/http_cpu.py                                   # 1 thread, 1 host, no delay
    python bench/http_cpu.py --threads 48 --hosts 8 --delay 0.02 --code /tmp/old --code .
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SERVER = """
import sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
delay, hosts = float(sys.argv[1]), int(sys.argv[2])
body = ("<html><head><title>t</title></head><body>" + "<p>新闻正文 paragraph text here.</p>" * 400
        + "</body></html>").encode()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # headers and body in one write: no Nagle pause between them
    def log_message(self, *args): pass
    def do_GET(self):
        if delay:
            time.sleep(delay)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("ETag", '"v1"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
class S(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
servers = [S((f"127.0.0.{i + 1}", 0), H) for i in range(hosts)]
for s in servers[1:]:
    threading.Thread(target=s.serve_forever, daemon=True).start()
print(" ".join(str(s.server_address[1]) for s in servers), flush=True)
servers[0].serve_forever()
"""

CLIENT = """
import resource, sys, time
from concurrent.futures import ThreadPoolExecutor
from newscli.errors import NewsError
from newscli.net.http import HttpClient
n, threads, per_host, urls = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
def get(i):
    try:
        return client.get(urls[i % len(urls)]).status == 200
    except NewsError as exc:
        sys.stderr.write(f"{exc}\\n")
        return False
with HttpClient(max_per_host=per_host) as client:
    for url in urls * 5:
        client.get(url)  # warm up: imports, first connections
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        failed = sum(not ok for ok in pool.map(get, range(n)))
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
print(cpu / n * 1000, wall / n * 1000, after.ru_maxrss / 1024, failed)
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", "--requests", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--hosts", type=int, default=1)
    ap.add_argument("--per-host", type=int, default=6)
    ap.add_argument("--delay", type=float, default=0.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--code", action="append", type=Path, help="checkout(s) to compare (default: this one)")
    args = ap.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(args.delay), str(args.hosts)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        ports = server.stdout.readline().split()
        urls = [f"http://127.0.0.{i + 1}:{port}/page" for i, port in enumerate(ports)]
        codes = [c.resolve() for c in (args.code or [ROOT])]
        rows: dict[Path, list[list[float]]] = {c: [] for c in codes}
        for _ in range(args.runs):
            for code in codes:
                env = dict(os.environ, PYTHONPATH=str(code))
                env.pop("PYTHONDONTWRITEBYTECODE", None)
                argv = [
                    sys.executable,
                    "-c",
                    CLIENT,
                    str(args.requests),
                    str(args.threads),
                    str(args.per_host),
                ]
                out = subprocess.run([*argv, *urls], env=env, capture_output=True, text=True, cwd="/")
                sys.stderr.write(out.stderr[-2000:])
                if out.returncode != 0:
                    raise SystemExit(f"{code}: the client exited {out.returncode}")
                rows[code].append([float(x) for x in out.stdout.split()])
    finally:
        server.kill()
        server.wait()
    print(
        f"{args.requests} requests, {args.threads} thread(s), {args.hosts} host(s) at {args.per_host} per host, "
        f"{args.delay:g} s per response; medians of {args.runs}"
    )
    print(f"{'code':<32} {'CPU ms/req':>10} {'wall ms/req':>11} {'RSS MiB':>8} {'failed (all runs)':>17}")
    for code, found in rows.items():
        cpu, wall, rss = (statistics.median(r[i] for r in found) for i in range(3))
        failed = int(sum(r[3] for r in found))
        print(f"{str(code)[-32:]:<32} {cpu:10.3f} {wall:11.3f} {rss:8.1f} {failed:17d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
