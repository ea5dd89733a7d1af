#!/usr/bin/env python3
"""Digest at scale (issue 15), not a test: a loopback feed farm, a first run, a rerun, feeds only.

The farm (a separate process, one asyncio server per loopback address 127.0.0.1…127.0.0.H) serves
FEEDS RSS feeds spread over H hosts, each with ITEMS teaser entries whose article pages (a few Chinese
and English paragraphs) digest fetches for their full text. Every response comes after DELAY seconds;
feeds carry an ETag and answer a matching If-None-Match with 304.

Measured, each in fresh state and site folders, `--runs` times, medians printed:
- first run: `newscli digest --out SITE` (FEEDS + FEEDS × ITEMS requests);
- rerun: the same digest again, every feed answering 304;
- feeds only: `newscli fetch FEED… --no-full -f ndjson` over every feed;
- newsboat (`newsboat -x reload`, reload-threads 16) over the same feeds, when it is installed.

Before and after them, the machine's own speed: the CPU that readability-lxml alone takes for a farm page
(machine_speed), which no change to newscli moves.

For each: wall seconds, CPU seconds (the process tree, from wait4), peak RSS of the process tree
(sampled from /proc every 20 ms), and the ratio of wall to the latency bound
requests × DELAY ÷ (hosts × per-host), per-host being 6 (newscli's default).

usage: python bench/digest_scale.py [--hosts 8] [--feeds 200] [--items 10] [--delay 0.1] [--runs 3]
                                    [--code DIR]... [--only first,rerun,feeds,newsboat] [--keep DIR]

`--code DIR` (repeatable) runs the checkout at DIR (its `newscli` package on PYTHONPATH) instead of
this one, interleaved run by run, so that two versions are compared on the same farm and machine.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PER_HOST = 6

ZH = "这是第{f}个频道第{i}篇文章的第{j}段正文，记者在现场看到，当地的科技创新正在改变传统产业的面貌。"
EN = (
    "Story {i} of feed {f}, paragraph {j}: the council met on Tuesday to discuss the new budget for schools, "
    "roads and parks, and asked the staff to bring back three options before the vote next month."
)


# ---- the farm (runs in its own process: `digest_scale.py --serve ...`) ------------------------------


def feed_body(base: str, f: int, items: int) -> bytes:
    entries = "".join(
        f"<item><title>Feed {f} story {i} 第{i}篇</title><link>{base}/a/{f}/{i}.html</link>"
        f"<guid isPermaLink='false'>farm-{f}-{i}</guid>"
        f"<pubDate>Tue, 01 Dec 2026 {i % 24:02d}:{f % 60:02d}:00 +0000</pubDate>"
        f"<description>Teaser {f}/{i}…</description></item>"
        for i in range(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Farm feed {f}</title><link>{base}/</link><description>farm</description>{entries}"
        "</channel></rss>"
    ).encode()


def page_body(f: int, i: int) -> bytes:
    zh = "".join(f"<p>{ZH.format(f=f, i=i, j=j)}</p>" for j in range(4))
    en = "".join(f"<p>{EN.format(f=f, i=i, j=j)}</p>" for j in range(4))
    return (
        f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>Feed {f} story {i}</title>"
        f"<meta name='author' content='记者 {f}'></head><body><nav><a href='/'>首页</a> <a href='/x'>国际</a></nav>"
        f"<article><h1>Feed {f} story {i} 第{i}篇</h1><p class='byline'>记者 王{f}</p>{zh}{en}</article>"
        "<footer>版权所有 © farm</footer></body></html>"
    ).encode()


async def _serve(hosts: int, port: int, feeds: int, items: int, delay: float) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = writer.get_extra_info("sockname")[0]
        base = f"http://{host}:{port}"
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {
                    k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:] if h)
                }
                await asyncio.sleep(delay)
                status, kind, body, extra = 404, "text/plain", b"not found", ""
                parts = path.strip("/").split("/")
                if parts[0] == "feed" and len(parts) == 2:
                    f = int(parts[1].split(".")[0])
                    body = feed_body(base, f, items)
                    tag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                    extra = f"ETag: {tag}\r\n"
                    if headers.get("if-none-match") == tag:
                        status, kind, body = 304, "", b""
                    else:
                        status, kind = 200, "application/rss+xml; charset=utf-8"
                elif parts[0] == "a" and len(parts) == 3:
                    status, kind = 200, "text/html; charset=utf-8"
                    body = page_body(int(parts[1]), int(parts[2].split(".")[0]))
                reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
                out = f"HTTP/1.1 {status} {reason}\r\n{extra}Content-Length: {len(body)}\r\n"
                if kind:
                    out += f"Content-Type: {kind}\r\n"
                writer.write(out.encode() + b"\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, IndexError, ValueError):
            pass
        finally:
            writer.close()

    servers = [
        await asyncio.start_server(handle, f"127.0.0.{h + 1}", port, backlog=1024) for h in range(hosts)
    ]
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


def free_port(hosts: int) -> int:
    import socket

    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            for h in range(hosts):
                with socket.socket() as t:
                    t.bind((f"127.0.0.{h + 1}", port))
            return port
        except OSError:
            continue


# ---- measuring ----------------------------------------------------------------------------------------


def tree_rss(root: int) -> int:
    """RSS in bytes of `root` and its descendants now."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, ()))
    return total


_EMPTY_DIR = tempfile.mkdtemp(prefix="digest-scale-cwd-")

_FS_IOC_GETFLAGS, _FS_IOC_SETFLAGS, _FS_TOPDIR_FL = 0x80086601, 0x40086602, 0x00020000


def spread_subfolders(folder: Path) -> None:
    """Mark `folder` as a top of a directory tree (ext4's `chattr +T`), so that the folders made in it are
    placed in block groups of their own, away from the inodes the runs before freed (ext4 starts its search
    at a hash of the new folder's name: give each run's folders a name of its own).

    An ext4 with no journal (this machine's) scans past every inode freed in the last 5-10 minutes when it
    allocates one in that group; a digest into a folder beside a previous run's just-deleted 2,000 posts
    spent ~1 ms of system CPU a post in open(O_TMPFILE), against 0.01 ms in a fresh group. A digest on a
    real site deletes nothing, so the runs here should not pay for their predecessors' clean-up. Elsewhere
    (other file systems, other systems) nothing is changed."""
    try:
        import array
        import fcntl

        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except (ImportError, OSError):
        return
    try:
        flags = array.array("l", [0])
        fcntl.ioctl(fd, _FS_IOC_GETFLAGS, flags, True)
        flags[0] |= _FS_TOPDIR_FL
        fcntl.ioctl(fd, _FS_IOC_SETFLAGS, flags, True)
    except OSError:
        pass
    finally:
        os.close(fd)


def measure(
    argv: list[str], env: dict[str, str], stdout: int | None = subprocess.DEVNULL, cwd: Path | None = None
) -> dict[str, float]:
    """Run `argv` in `cwd`; its wall and CPU seconds, peak tree RSS (MiB) and exit code.

    Not in a checkout: `python -m newscli` puts its working directory first on sys.path, so a run from
    this checkout would import this checkout's package whatever PYTHONPATH (`--code`) says."""
    start = time.perf_counter()
    # Run from an empty folder unless told: `python -m` puts the working directory first on sys.path, so
    # started from a checkout every --code would import that checkout's newscli instead of its own.
    proc = subprocess.Popen(argv, env=env, stdout=stdout, stderr=subprocess.PIPE, cwd=cwd or _EMPTY_DIR)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss(proc.pid))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stop.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    code = proc.returncode
    if code != 0:
        lines = err.decode(errors="replace").splitlines()
        shown = "\n".join(lines[-20:] if code != 1 else lines[:5])
        sys.stderr.write(f"{' '.join(argv[2:4])} exited {code} ({len(lines)} lines on stderr):\n{shown}\n")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss": peak / 2**20,
        "code": code,
        "stderr_lines": err.count(b"\n"),
    }


def machine_speed() -> float:
    """CPU ms that readability-lxml alone takes for one farm page here (median of 5 batches of 100 pages): a
    yardstick of the machine that no change to newscli moves, printed before and after the runs, so that
    figures taken on machines (or minutes) of other speeds can be set side by side."""
    from readability import Document

    pages = [page_body(f, i).decode("utf-8") for f in range(10) for i in range(10)]
    for page in pages[:10]:
        Document(page).summary()
    batches = []
    for _ in range(5):
        began = time.process_time()
        for page in pages:
            Document(page).summary()
        batches.append((time.process_time() - began) / len(pages) * 1000)
    return statistics.median(batches)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hosts", type=int, default=8)
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--items", type=int, default=10)
    ap.add_argument("--delay", type=float, default=0.1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--code", action="append", type=Path, help="checkout(s) to compare (default: this one)")
    ap.add_argument("--only", default="first,rerun,feeds,newsboat")
    ap.add_argument("--keep", type=Path, help="keep the last run's site and state here")
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # internal: be the farm on this port
    args = ap.parse_args()
    if args.serve:
        asyncio.run(_serve(args.hosts, args.serve, args.feeds, args.items, args.delay))
        return 0

    port = free_port(args.hosts)
    farm = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            str(port),
            "--hosts",
            str(args.hosts),
            "--feeds",
            str(args.feeds),
            "--items",
            str(args.items),
            "--delay",
            str(args.delay),
        ],
        stdout=subprocess.PIPE,
    )
    assert farm.stdout is not None
    if farm.stdout.readline().strip() != b"ready":
        print("the farm did not start", file=sys.stderr)
        return 2
    urls = [f"http://127.0.0.{f % args.hosts + 1}:{port}/feed/{f}.xml" for f in range(args.feeds)]
    only = set(args.only.split(","))
    codes = [c.resolve() for c in (args.code or [ROOT])]
    bound_first = (args.feeds * (args.items + 1)) * args.delay / (args.hosts * PER_HOST)
    bound_feeds = args.feeds * args.delay / (args.hosts * PER_HOST)
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    speed_before = machine_speed()
    work = Path(tempfile.mkdtemp(prefix="digest-scale-"))
    spread_subfolders(work)  # each run's site and state in a block group of its own (see there)
    try:
        config = work / "config.toml"
        config.write_text(
            "".join(f'[[feeds]]\nname = "farm-{f}"\nurl = "{u}"\n\n' for f, u in enumerate(urls)), "utf-8"
        )
        for run in range(args.runs):
            for code in codes:
                label = str(code) if len(codes) > 1 else "newscli"
                env = dict(os.environ, PYTHONPATH=str(code), NEWSCLI_CONFIG=str(config), NO_COLOR="1")
                env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules compiled once, not every run
                # names of their own: ext4 picks a top folder's block group by a hash of its name
                token = secrets.token_hex(4)
                home, site = (
                    work / f"home-{run}-{codes.index(code)}-{token}",
                    work / f"site-{run}-{codes.index(code)}-{token}",
                )
                env["NEWSCLI_HOME"] = str(home)
                digest = [sys.executable, "-m", "newscli", "digest", "--out", str(site)]
                if only & {"first", "rerun"}:
                    first = measure(digest, env, cwd=work)
                    posts = sum(1 for p in site.iterdir() if p.suffix == ".md") if site.exists() else 0
                    first["posts"] = posts
                    results.setdefault(("first", label), []).append(first)
                if "rerun" in only:
                    results.setdefault(("rerun", label), []).append(measure(digest, env, cwd=work))
                if "feeds" in only:
                    results.setdefault(("feeds", label), []).append(
                        measure(
                            [sys.executable, "-m", "newscli", "fetch", *urls, "--no-full", "-f", "ndjson"],
                            env,
                            cwd=work,
                        )
                    )
                if args.keep and run == args.runs - 1:
                    shutil.rmtree(args.keep, ignore_errors=True)
                    args.keep.mkdir(parents=True)
                    for thing in (home, site):
                        if thing.exists():
                            shutil.copytree(thing, args.keep / thing.name)
                # Kept until the end, and each in a block group of its own (spread_subfolders): ext4 with no
                # journal scans past inodes freed in the last minutes when it allocates new ones.
            if "newsboat" in only and shutil.which("newsboat"):
                nb = work / f"newsboat-{run}"
                nb.mkdir()
                (nb / "urls").write_text("\n".join(urls) + "\n")
                (nb / "config").write_text("reload-threads 16\n")
                argv = [
                    "newsboat",
                    "-x",
                    "reload",
                    "-u",
                    str(nb / "urls"),
                    "-c",
                    str(nb / "cache.db"),
                    "-C",
                    str(nb / "config"),
                ]
                results.setdefault(("newsboat", "newsboat"), []).append(measure(argv, dict(os.environ)))
                shutil.rmtree(nb, ignore_errors=True)
    finally:
        farm.send_signal(signal.SIGTERM)
        farm.wait()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(_EMPTY_DIR, ignore_errors=True)

    print(
        f"farm: {args.hosts} hosts, {args.feeds} feeds × {args.items} teaser entries, {args.delay:g} s per response; "
        f"latency bound first run {bound_first:.2f} s, feeds/rerun {bound_feeds:.2f} s ({PER_HOST} per host); "
        f"medians of {args.runs}"
    )
    print(
        f"machine: readability-lxml alone takes {speed_before:.2f} ms of CPU for a farm page before the runs, "
        f"{machine_speed():.2f} ms after"
    )
    print(
        f"{'what':<9} {'who':<28} {'wall s':>7} {'× bound':>8} {'CPU s':>7} {'RSS MiB':>8} {'posts':>6} exit"
    )
    for (what, who), rows in results.items():
        wall = statistics.median(r["wall"] for r in rows)
        bound = bound_first if what == "first" else bound_feeds
        posts = statistics.median(r.get("posts", 0) for r in rows) if what == "first" else ""
        codes_seen = ",".join(sorted({str(int(r["code"])) for r in rows}))
        print(
            f"{what:<9} {who[-28:]:<28} {wall:7.2f} {wall / bound:8.2f} "
            f"{statistics.median(r['cpu'] for r in rows):7.2f} {statistics.median(r['rss'] for r in rows):8.1f} "
            f"{posts!s:>6} {codes_seen}"
        )
    if "first" in {w for w, _ in results}:
        extra = args.feeds * args.items
        for (what, who), rows in results.items():
            if what == "first":
                wall = statistics.median(r["wall"] for r in rows)
                print(
                    f"per post beyond the bound ({who[-28:]}): {max(0.0, wall - bound_first) / extra * 1000:.2f} ms"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
