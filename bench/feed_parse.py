"""CPU ms per feed of `parse_feed` in-process, not a test: the digest farm's feed and three with HTML content.

    python bench/feed_parse.py                            # this checkout
    python bench/feed_parse.py --code /tmp/old --code .   # two checkouts (e.g. `git archive` of a commit
                                                          # unpacked in /tmp/old), rounds interleaved

Kinds: `farm` is bench/digest_scale.py's RSS feed (10 teaser entries); `rss-html`, `atom-html` and `json`
carry 10 entries each with an HTML body of six paragraphs (links relative and absolute), an HTML teaser,
author, category and date, as news sites write them. Each checkout parses FEEDS feeds of a kind in a fresh
interpreter (its own newscli first on sys.path, the editable install's finder set aside), best of 5
passes of process CPU time; --rounds rounds, the checkouts taking turns; the table shows the medians.
Bounded: rounds x checkouts processes, each killed after --timeout seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("farm", "rss-html", "atom-html", "json")

# What one child process runs: argv = code dir, feeds per kind.
CHILD = r"""
import sys, time
sys.meta_path[:] = [f for f in sys.meta_path if "Editable" not in repr(f)]
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[3])
import newscli
assert newscli.__file__.startswith(sys.argv[1]), newscli.__file__
from newscli.feeds.parse import parse_feed
from newscli.models import Fetched
import feed_parse, json
n = int(sys.argv[2])
out = {}
for kind in feed_parse.KINDS:
    feeds = [Fetched(url=f"https://news{f}.example.com/feed", content=feed_parse.body(kind, f)) for f in range(n)]
    parse_feed(feeds[0])
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for fetched in feeds:
            parse_feed(fetched)
        best = min(best, time.process_time() - start)
    out[kind] = best / n * 1000
print(json.dumps(out))
"""

_PARAGRAPH = (
    "<p>The council met on Tuesday to discuss the <a href='/budget/{i}'>budget</a> for schools, roads &amp; "
    "parks, <a href='https://example.org/report/{i}'>the report</a> says. 市议会周二开会讨论学校、道路和公园的预算。</p>"
)


def body(kind: str, f: int) -> bytes:
    """Feed number `f` of `kind`."""
    if kind == "farm":
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from digest_scale import feed_body

        return feed_body(f"http://127.0.0.1:{8000 + f % 8}", f, 10)
    site = f"https://news{f}.example.com"
    html = [_PARAGRAPH.format(i=i) * 6 for i in range(10)]
    if kind == "json":
        items = [
            {
                "id": f"{f}-{i}",
                "url": f"{site}/{i}.html",
                "title": f"Story {i}",
                "content_html": html[i],
                "summary": f"Teaser {i}",
                "date_published": f"2026-12-01T{i:02d}:00:00+08:00",
                "authors": [{"name": f"Reporter {i}"}],
                "tags": ["World"],
            }
            for i in range(10)
        ]
        doc = {"version": "https://jsonfeed.org/version/1.1", "title": f"News {f}", "home_page_url": site}
        return json.dumps({**doc, "items": items}).encode()
    if kind == "atom-html":
        escaped = [h.replace("&", "&amp;").replace("<", "&lt;") for h in html]
        entries = "".join(
            f"<entry><id>tag:news{f}.example.com,2026:{i}</id><title type='html'>Story {i} &amp;amp; more</title>"
            f"<link rel='alternate' href='{site}/{i}.html'/><published>2026-12-01T{i:02d}:00:00+08:00</published>"
            f"<updated>2026-12-01T{i:02d}:30:00Z</updated><author><name>Reporter {i}</name></author>"
            f"<category term='World'/><summary>Teaser for story {i}</summary><content type='html'>{escaped[i]}</content>"
            "</entry>"
            for i in range(10)
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">'
            f'<title>News {f}</title><link href="{site}/"/><id>urn:x:{f}</id><updated>2026-12-01T00:00:00Z</updated>'
            f"{entries}</feed>"
        ).encode()
    items = "".join(
        f"<item><title>Story {i} of feed {f}</title><link>{site}/{i}.html</link><guid>{site}/{i}.html</guid>"
        f"<pubDate>Tue, 01 Dec 2026 {i:02d}:00:00 +0800</pubDate><dc:creator>Reporter {i}</dc:creator>"
        f"<category>World</category><description><![CDATA[<p>Teaser for story {i} <img src='/img/{i}.jpg'></p>]]>"
        f"</description><content:encoded><![CDATA[{html[i]}]]></content:encoded></item>"
        for i in range(10)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/'
        f'content/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>News {f}</title><link>{site}/</link>'
        f"<language>en</language>{items}</channel></rss>"
    ).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=100, help="feeds of each kind")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--code", type=Path, action="append", help="a folder holding a newscli/ package")
    args = parser.parse_args()
    codes = [c.resolve() for c in args.code or [ROOT]]
    here = str(Path(__file__).resolve().parent)
    results: dict[Path, dict[str, list[float]]] = {c: {k: [] for k in KINDS} for c in codes}
    for _ in range(args.rounds):
        for code in codes:
            cmd = [sys.executable, "-c", CHILD, str(code), str(args.feeds), here]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, check=True)
            for kind, ms in json.loads(done.stdout).items():
                results[code][kind].append(ms)
    print(
        f"parse_feed CPU ms per feed, median of {args.rounds} rounds (each the best of 5 passes over {args.feeds} feeds)"
    )
    print(f"{'checkout':40s}" + "".join(f"{k:>11s}" for k in KINDS))
    for code in codes:
        row = "".join(f"{statistics.median(results[code][k]):11.2f}" for k in KINDS)
        print(f"{str(code):40s}{row}")


if __name__ == "__main__":
    main()
