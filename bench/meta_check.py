"""Score newscli.page.metadata.read_metadata on the shared metadata benchmark (meta/ and zh/ sets).

usage: python bench/meta_check.py [BENCH_DIR] [--show] [--slow]

Pages are parsed with extract.parse_page and read_metadata gets the article text extract_article finds,
so the figures match the full pipeline, except that pages with no article (extract_article fails: the
pipeline reports an error and no title) still get their metadata read here.
--show prints every prediction beside its truth; --slow names the slowest pages.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import lxml.html

from newscli.errors import NewsError
from newscli.page.extract import extract_article, parse_page
from newscli.page.metadata import read_metadata

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"


def decode(data: bytes) -> str:
    """Page bytes to text: newscli.page.charset when present, else the declared charset, UTF-8, GB18030."""
    try:
        from newscli.page.charset import decode as project_decode  # type: ignore[attr-defined]

        result = project_decode(data)
        return result if isinstance(result, str) else str(result.text)
    except ImportError:
        pass
    match = re.search(rb"""charset\s*=\s*["']?([\w-]+)""", data[:4096], re.I)
    if match:
        name = match.group(1).decode("ascii").lower()
        name = "gb18030" if name in ("gb2312", "gbk") else name
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def body_text(text: str, url: str) -> str:
    """The article text exactly as the pipeline hands it to read_metadata (extract.extract_article's text)."""
    try:
        return extract_article(text, url).text
    except NewsError:
        return ""


def run(set_name: str, show: bool, slow: bool = False) -> None:
    folder = BENCH / set_name
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    records = []
    elapsed = []
    names = []
    for page in sorted((folder / "pages").glob("*.html")):
        text = decode(page.read_bytes())
        url = f"https://example.org/{page.name}"
        try:
            doc = parse_page(text, url)
        except NewsError:
            doc = lxml.html.fromstring("<html></html>")
        body = body_text(text, url)
        runs = []
        for _ in range(3):  # best of three: the machine is shared, the minimum is the function's own cost
            start = time.perf_counter()
            meta = read_metadata(doc, url, body_text=body)
            runs.append(time.perf_counter() - start)
        elapsed.append(min(runs))
        names.append(page.stem)
        record = {
            "input": str(page),
            "title": meta.title,
            "author": meta.author,
            "published": meta.published.isoformat() if meta.published else None,
            "site_name": meta.site_name,
            "lang": meta.lang,
            "source": meta.source,
        }
        records.append(record)
        if show:
            t = truth.get(page.stem, {})
            want = {
                k: t.get(k)
                for k in ("title", "byline", "author", "siteName", "publishedTime", "date", "lang")
                if k in t
            }
            print(page.stem, json.dumps(record | {"input": None}, ensure_ascii=False))
            print("   truth", json.dumps(want, ensure_ascii=False))
    with tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False, encoding="utf-8") as out:
        out.write("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    subprocess.run([sys.executable, str(BENCH / "score.py"), str(folder), out.name], check=True)
    if slow:
        for took, name in sorted(zip(elapsed, names, strict=True))[-3:]:
            print(f"  slow: {name} {1000 * took:.1f} ms")
    elapsed.sort()
    print(
        f"  read_metadata median {1000 * elapsed[len(elapsed) // 2]:.1f} ms, max {1000 * elapsed[-1]:.1f} ms"
    )
    Path(out.name).unlink()


def main(argv: list[str]) -> None:
    global BENCH
    args = [a for a in argv if not a.startswith("--")]
    if args:
        BENCH = Path(args[0])
    for set_name in ("meta", "zh"):
        run(set_name, "--show" in argv, "--slow" in argv)


if __name__ == "__main__":
    main(sys.argv[1:])
