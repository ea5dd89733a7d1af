#!/usr/bin/env python3
"""Extraction benchmark: newscli against readability-lxml (and trafilatura when installed).

usage: python bench/run.py [--sets aeb,zh,meta] [--shared ../shared] [--keep DIR]

For every page of each set in SHARED/bench: decode the bytes once with newscli.page.charset,
then time (per page, time.perf_counter) newscli's extract_article and readability-lxml
alone (`Document(text).summary()` -> text_content) on the same decoded text. Writes
NDJSON predictions and scores them with SHARED/bench/score.py. The ground truth is for
measuring only: never tune to single pages or hosts (a held-out half exists elsewhere).
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lxml.html  # noqa: E402
import readability.readability  # noqa: E402
from readability import Document  # noqa: E402

from newscli.errors import NewsError  # noqa: E402
from newscli.page.charset import decode  # noqa: E402
from newscli.page.extract import READABILITY_CLEAN, extract_article  # noqa: E402

META_FIELDS = ("title", "author", "published", "site_name", "lang")


def load_score(shared: Path) -> ModuleType:
    """score.py from the shared folder, imported by path."""
    spec = importlib.util.spec_from_file_location("bench_score", shared / "bench" / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pages(set_dir: Path) -> list[Path]:
    return sorted(p for p in (set_dir / "pages").iterdir() if p.name.endswith((".html", ".html.gz")))


def read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


def page_url(path: Path, truth: dict[str, Any]) -> str:
    case = path.name.removesuffix(".gz").removesuffix(".html")
    url = truth.get(case, {}).get("url")
    return str(url) if url else f"https://bench.invalid/{case}.html"


def run_newscli(text: str, url: str) -> dict[str, Any]:
    try:
        return extract_article(text, url).as_record()
    except NewsError as exc:
        return {"text": None, "error": exc.as_record()}


def run_readability(text: str, url: str) -> dict[str, Any]:
    # readability-lxml as it ships: newscli.page.extract gives readability its faster clean() on import
    # (the same output), which would flatter the baseline
    ours, readability.readability.clean = readability.readability.clean, READABILITY_CLEAN
    try:
        doc = Document(text)
        summary = doc.summary()
        title = doc.short_title()
    except Exception as exc:  # readability's own failures count as an empty prediction
        return {"text": None, "error": {"kind": type(exc).__name__, "message": str(exc)}}
    finally:
        readability.readability.clean = ours
    body = lxml.html.document_fromstring(summary) if summary.strip() else None
    return {"text": body.text_content() if body is not None else "", "title": title}


def run_trafilatura(text: str, url: str) -> dict[str, Any]:
    import trafilatura

    doc = trafilatura.bare_extraction(text, url=url, with_metadata=True)
    if doc is None:
        return {"text": None}
    got = doc if isinstance(doc, dict) else doc.as_dict()
    return {
        "text": got.get("text"),
        "title": got.get("title"),
        "author": got.get("author"),
        "published": got.get("date"),
        "site_name": got.get("sitename"),
        "lang": got.get("language"),
    }


def extractors() -> dict[str, Callable[[str, str], dict[str, Any]]]:
    found: dict[str, Callable[[str, str], dict[str, Any]]] = {
        "newscli": run_newscli,
        "readability": run_readability,
    }
    if importlib.util.find_spec("trafilatura") is not None:
        found["trafilatura"] = run_trafilatura
    return found


def bench_set(set_dir: Path, score: ModuleType, out: Path) -> list[dict[str, Any]]:
    truth = json.loads((set_dir / "truth.json").read_text(encoding="utf-8"))
    runs = extractors()
    times: dict[str, list[float]] = {name: [] for name in runs}
    records: dict[str, list[dict[str, Any]]] = {name: [] for name in runs}
    for path in pages(set_dir):
        text = decode(read_bytes(path)).text
        url = page_url(path, truth)
        for name, run in runs.items():
            start = time.perf_counter()
            record = run(text, url)
            times[name].append(time.perf_counter() - start)
            records[name].append({**record, "input": str(path)})
    rows = []
    for name in runs:
        pred = out / f"{set_dir.name}-{name}.ndjson"
        pred.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records[name]), encoding="utf-8"
        )
        preds = score.load_predictions(pred, truth)
        row: dict[str, Any] = {
            "set": set_dir.name,
            "extractor": name,
            "median_ms": statistics.median(times[name]) * 1000,
            "mean_ms": statistics.mean(times[name]) * 1000,
            "failed": sum(1 for r in records[name] if not r.get("text")),
            "pages": len(records[name]),
        }
        if any("body" in t for t in truth.values()):
            row["body"] = score.body_scores(truth, preds)
        row["meta"] = score.meta_scores(truth, preds)
        rows.append(row)
    base = next(r for r in rows if r["extractor"] == "readability")
    for row in rows:
        row["ratio"] = row["median_ms"] / base["median_ms"] if base["median_ms"] else float("nan")
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    head = f"{'set':<5} {'extractor':<12} {'F1':>6} {'prec':>6} {'rec':>6}  {'meta fields':<52} {'med ms':>7} {'mean ms':>8} {'x rdb':>6} {'empty':>6}"
    lines = [head, "-" * len(head)]
    for r in rows:
        b = r.get("body")
        body = (
            f"{b['f1']:6.3f} {b['precision']:6.3f} {b['recall']:6.3f}" if b else f"{'-':>6} {'-':>6} {'-':>6}"
        )
        meta = " ".join(f"{f[:5]} {m['agree']}/{m['of']}" for f, m in r["meta"].items() if f in META_FIELDS)
        lines.append(
            f"{r['set']:<5} {r['extractor']:<12} {body}  {meta:<52} {r['median_ms']:7.1f} {r['mean_ms']:8.1f}"
            f" {r['ratio']:6.2f} {r['failed']:>3}/{r['pages']}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="aeb,zh,meta")
    parser.add_argument("--shared", default=str(ROOT.parent / "shared"))
    parser.add_argument("--keep", help="write the predictions here instead of a temporary folder")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    shared = Path(args.shared)
    score = load_score(shared)
    warnings.simplefilter("ignore")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="newscli-bench-") as tmp:
        out = Path(args.keep) if args.keep else Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        for name in args.sets.split(","):
            rows.extend(bench_set(shared / "bench" / name.strip(), score, out))
    print(json.dumps(rows) if args.json else table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
