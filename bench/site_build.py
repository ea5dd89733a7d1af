"""How many posts of the shared bench pages real Jekyll and Hugo sites build, and show as extracted.

usage: python bench/site_build.py [--shared ../shared] [--sets zh,aeb] [--show N] [--keep DIR] [--json]

For each set, `newscli fetch PAGES -f ndjson` gives what was extracted (title, html); then for each
profile (jekyll, hugo) and body (markdown, html) `newscli fetch PAGES --save DIR` (the real command,
with `--set newscli_id={id}` so each page can be traced) saves every page into a fresh minimal site,
which `jekyll build` / `hugo` builds. Counted per set, profile and body:

- saved:  posts written
- built:  posts that became a page of the site
- title:  pages whose shown title equals the extracted title
- body:   pages whose shown body text equals the extracted body's text (white space ignored:
          Markdown and HTML lay the same words out differently)

The pages stay in ../shared (read in place); sites are built in a temporary folder (--keep: in DIR).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import lxml.html

ROOT = Path(__file__).resolve().parents[1]
NEWSCLI = [sys.executable, "-m", "newscli"]
PROFILES = ("jekyll", "hugo")
BODIES = ("markdown", "html")
TIMEOUT = 600  # seconds for one fetch or one site build
WORD_JOINER = "\u2060"

JEKYLL_LAYOUT = """<!doctype html><html><head><meta charset="utf-8">
<meta name="newscli-id" content="{{ page.newscli_id }}"></head>
<body><h1 id="title">{{ page.title | escape }}</h1><div id="content">{{ content }}</div></body></html>
"""
HUGO_LAYOUT = """<!doctype html><html><head><meta charset="utf-8">
<meta name="newscli-id" content="{{ .Params.newscli_id }}"></head>
<body><h1 id="title">{{ .Title }}</h1><div id="content">{{ .Content }}</div></body></html>
"""


def env() -> dict[str, str]:
    return {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}


def run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=TIMEOUT, env=env(), check=False)


def words(text: str) -> str:
    return "".join(text.replace(WORD_JOINER, "").split())


def html_text(fragment: str | None) -> str:
    if not fragment or not fragment.strip():
        return ""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    for bad in root.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    return root.text_content()


def extracted(pages: list[Path], work: Path) -> dict[str, dict[str, object]]:
    """id → the ndjson record of each page that extracted."""
    done = run([*NEWSCLI, "fetch", *map(str, pages), "-f", "ndjson"], work)
    records: dict[str, dict[str, object]] = {}
    for line in done.stdout.decode("utf-8").splitlines():
        record = json.loads(line)
        if not record.get("error"):
            records[str(record["id"])] = record
    return records


def make_site(site: Path, profile: str) -> Path:
    """A minimal site in `site`; the folder posts go to."""
    if profile == "jekyll":
        (site / "_layouts").mkdir(parents=True)
        (site / "_config.yml").write_text("title: Bench\nmarkdown: kramdown\n", encoding="utf-8")
        (site / "_layouts" / "post.html").write_text(JEKYLL_LAYOUT, encoding="utf-8")
        return site / "_posts"
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "config.toml").write_text(
        'baseURL = "http://example.org/"\ntitle = "Bench"\n'
        'disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]\n',
        encoding="utf-8",
    )
    (site / "layouts" / "_default" / "single.html").write_text(HUGO_LAYOUT, encoding="utf-8")
    (site / "layouts" / "_default" / "list.html").write_text("<p>list</p>\n", encoding="utf-8")
    return site / "content" / "posts"


def build(site: Path, profile: str) -> tuple[bool, str, Path, float]:
    time.sleep(1.1)  # Jekyll skips a post dated in the second its build starts (an undated page is dated now)
    start = time.perf_counter()
    if profile == "jekyll":
        out = site / "_site"
        done = run(["jekyll", "build", "--source", str(site), "--destination", str(out)], site)
    else:
        out = site / "public"
        done = run(["hugo", "--source", str(site), "--destination", str(out)], site)
    log = done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")
    return done.returncode == 0, log, out, time.perf_counter() - start


def shown_pages(out: Path) -> dict[str, lxml.html.HtmlElement]:
    pages = {}
    for path in out.rglob("*.html"):
        page = lxml.html.fromstring(path.read_bytes())
        ids = page.xpath("//meta[@name='newscli-id']/@content")
        if ids and ids[0]:
            pages[ids[0]] = page
    return pages


def measure(
    name: str, pages: list[Path], records: dict[str, dict[str, object]], profile: str, body: str, work: Path
) -> dict[str, object]:
    site = work / f"{name}-{profile}-{body}"
    posts = make_site(site, profile)
    saving = run(
        [
            *NEWSCLI,
            "fetch",
            *map(str, pages),
            "--save",
            str(posts),
            "--profile",
            profile,
            "--body",
            body,
            "--set",
            "newscli_id={id}",
        ],
        work,
    )
    saved = [line for line in saving.stdout.decode("utf-8").splitlines() if line.strip()]
    ok, log, out, seconds = build(site, profile)
    shown = shown_pages(out) if ok else {}
    title_ok, body_ok, misses = 0, 0, []
    for key, page in shown.items():
        record = records.get(key)
        if record is None:
            continue
        title = page.findtext(".//h1") or ""
        content = page.xpath("//div[@id='content']")
        text = content[0].text_content() if content else ""
        t_ok = title == (record.get("title") or "")
        b_ok = words(text) == words(html_text(record.get("html")))  # type: ignore[arg-type]
        title_ok += t_ok
        body_ok += b_ok
        if not (t_ok and b_ok):
            misses.append({"id": key, "title": t_ok, "body": b_ok})
    warnings = [line for line in log.splitlines() if "warn" in line.lower() or "error" in line.lower()]
    return {
        "set": name,
        "profile": profile,
        "body": body,
        "pages": len(pages),
        "extracted": len(records),
        "saved": len(saved),
        "build_ok": ok,
        "built": len(shown),
        "title": title_ok,
        "body_text": body_ok,
        "build_s": round(seconds, 2),
        "warnings": warnings[:5],
        "misses": misses,
        "log": "" if ok else log[-2000:],
    }


def explain(
    row: dict[str, object], records: dict[str, dict[str, object]], site_out: Path, limit: int
) -> None:
    """Print a few of the pages whose shown text differs, with the first difference."""
    misses = row["misses"]
    assert isinstance(misses, list)
    pages = shown_pages(site_out)
    for miss in misses[:limit]:
        record, page = records[miss["id"]], pages[miss["id"]]
        print(
            f"  {miss['id']}: title {'ok' if miss['title'] else 'DIFFERS'}, body {'ok' if miss['body'] else 'DIFFERS'}"
        )
        if not miss["title"]:
            print(f"    extracted {record.get('title')!r}\n    shown     {page.findtext('.//h1')!r}")
        if not miss["body"]:
            want = words(html_text(record.get("html")))  # type: ignore[arg-type]
            got = words(page.xpath("//div[@id='content']")[0].text_content())
            at = next(
                (i for i, (a, b) in enumerate(zip(want, got, strict=False)) if a != b),
                min(len(want), len(got)),
            )
            print(
                f"    extracted …{want[max(0, at - 30) : at + 40]!r}\n    shown     …{got[max(0, at - 30) : at + 40]!r}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--sets", default="zh,aeb")
    parser.add_argument("--show", type=int, default=0, help="print up to N differing pages per site")
    parser.add_argument("--keep", type=Path, help="build the sites in DIR and keep them")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    for program in ("jekyll", "hugo"):
        if shutil.which(program) is None:
            print(f"site_build: `{program}` is not installed (apt-get install {program})", file=sys.stderr)
            return 2
    work = args.keep or Path(tempfile.mkdtemp(prefix="newscli-sites-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as home:
            os.environ["NEWSCLI_HOME"] = home  # the saved index of these runs, never the user's
            os.environ["NEWSCLI_CONFIG"] = str(Path(home) / "config.toml")
            for name in args.sets.split(","):
                folder = args.shared / "bench" / name / "pages"
                pages = sorted([*folder.glob("*.html"), *folder.glob("*.html.gz")])
                records = extracted(pages, work)
                for profile in PROFILES:
                    for body in BODIES:
                        row = measure(name, pages, records, profile, body, work)
                        rows.append(row)
                        if not args.json:
                            print(
                                f"{name:4} {profile:7} {body:9} pages {row['pages']:3} extracted {row['extracted']:3}"
                                f" saved {row['saved']:3} built {row['built']:3} title {row['title']:3}"
                                f" body {row['body_text']:3}  ({'ok' if row['build_ok'] else 'BUILD FAILED'},"
                                f" {row['build_s']} s)"
                            )
                            for warning in row["warnings"]:  # type: ignore[attr-defined]
                                print(f"    {warning}")
                            if not row["build_ok"]:
                                print(row["log"])
                            if args.show:
                                out = (
                                    work
                                    / f"{name}-{profile}-{body}"
                                    / ("_site" if profile == "jekyll" else "public")
                                )
                                explain(row, records, out, args.show)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        total = {k: sum(int(r[k]) for r in rows) for k in ("saved", "built", "title", "body_text")}  # type: ignore[call-overload]
        print(
            f"all  saved {total['saved']} built {total['built']} title {total['title']} body {total['body_text']}"
        )
    return 0 if all(r["build_ok"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
