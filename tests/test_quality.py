"""Quality floor: the real pipeline over the shared benchmark's development pages, scored by its own score.py.

The floors sit just under the figures reached, so a change that makes bodies or metadata worse fails here.
The pages live beside the checkout (../shared/bench) and are never copied into the project; without them
the module is skipped. No worker pool and no timing: charset.decode then extract.extract_article, in-process.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from newscli.errors import NewsError
from newscli.page.charset import decode
from newscli.page.extract import extract_article

BENCH = Path(__file__).resolve().parents[1].parent / "shared" / "bench"

pytestmark = pytest.mark.skipif(
    not (BENCH / "score.py").is_file(),
    reason=f"benchmark pages not found at {BENCH} (shared/bench beside the checkout)",
)

# Reached on the development halves (bench/README.md); floors a hair below.
BODY_F1_FLOORS = {"aeb": 0.981, "zh": 0.985}
META_FLOORS = {
    "meta": {"title": 57, "author": 29, "site_name": 34, "lang": 35, "published": 14},
    "zh": {"author": 24, "published": 26},  # 24/28: two references name the responsible editor
}


def _score_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_score", BENCH / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_RESULTS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}


def _run(set_name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(truth, predictions by case) for one set, computed once per session."""
    if set_name not in _RESULTS:
        folder = BENCH / set_name
        truth: dict[str, Any] = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
        preds: dict[str, Any] = {}
        for path in sorted((folder / "pages").iterdir()):
            if not path.name.endswith((".html", ".html.gz")):
                continue
            case = path.name.removesuffix(".gz").removesuffix(".html")
            data = path.read_bytes()
            data = gzip.decompress(data) if path.name.endswith(".gz") else data
            url = truth.get(case, {}).get("url") or f"https://bench.invalid/{case}.html"
            try:
                preds[case] = extract_article(decode(data).text, url).as_record()
            except NewsError as exc:
                preds[case] = {"text": None, "error": exc.as_record()}
        _RESULTS[set_name] = (truth, preds)
    return _RESULTS[set_name]


@pytest.fixture(scope="module")
def score() -> ModuleType:
    return _score_module()


@pytest.mark.parametrize("set_name", sorted(BODY_F1_FLOORS))
def test_body_f1_floor(set_name: str, score: ModuleType) -> None:
    truth, preds = _run(set_name)
    assert len(preds) == len(truth)
    f1 = score.body_scores(truth, preds)["f1"]
    assert f1 >= BODY_F1_FLOORS[set_name], (
        f"{set_name} body F1 {f1:.4f} fell below {BODY_F1_FLOORS[set_name]}"
    )


@pytest.mark.parametrize("set_name", sorted(META_FLOORS))
def test_metadata_floor(set_name: str, score: ModuleType) -> None:
    truth, preds = _run(set_name)
    got = score.meta_scores(truth, preds)
    below = {
        field: f"{got[field]['agree']}/{got[field]['of']} < {floor}"
        for field, floor in META_FLOORS[set_name].items()
        if got[field]["agree"] < floor
    }
    assert not below, f"{set_name} metadata fell below its floor: {below}"
