"""Issue 15: a run keeps its own threads to one CPU (they take turns on the interpreter lock anyway), and
what it starts (extraction workers, the pager, the browser: test_browser.py) gets every CPU back."""

from __future__ import annotations

import os
import threading

import pytest

from newscli.net.cores import every_cpu, one_cpu
from newscli.page.pool import ExtractorPool

URL = "https://example.com/story.html"
PAGE = (
    "<html><head><title>Busy port</title></head><body><article><h1>Busy port</h1>"
    + "<p>The harbour handled more containers this year than in any year before it. </p>" * 12
    + "</article></body></html>"
)

needs_two_cpus = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs a system that sets a thread's CPUs, and two CPUs to choose from",
)


@needs_two_cpus
@pytest.mark.parametrize("fresh", [True, False], ids=["fresh-interpreter", "fork"])
def test_the_run_keeps_to_one_cpu_and_its_workers_get_every_cpu(fresh: bool) -> None:
    before = os.sched_getaffinity(0)
    seen: dict[str, set[int]] = {}

    def started_inside() -> None:
        seen["thread"] = os.sched_getaffinity(0)

    with one_cpu() as narrowed:
        seen["main"] = os.sched_getaffinity(0)
        thread = threading.Thread(target=started_inside)
        thread.start()
        thread.join()
        with ExtractorPool(workers=1, time_limit=30, fresh_workers=fresh) as pool:
            article = pool.submit(PAGE, URL).result(timeout=60)
            seen["worker"] = os.sched_getaffinity(pool._workers[0].process.pid)
        seen["after the worker"] = os.sched_getaffinity(0)
    assert narrowed
    assert len(seen["main"]) == 1 and seen["main"] <= before
    assert seen["thread"] == seen["main"]  # the run's threads inherit it
    assert seen["after the worker"] == seen["main"]  # starting a worker did not widen the run
    assert seen["worker"] == before  # extraction has every core the command had
    assert article.title == "Busy port"
    assert os.sched_getaffinity(0) == before  # and the caller has them back


@needs_two_cpus
def test_outside_a_run_nothing_is_narrowed_or_widened() -> None:
    before = os.sched_getaffinity(0)
    with every_cpu():
        assert os.sched_getaffinity(0) == before
    with one_cpu() as outer:
        with one_cpu() as inner:  # nested: the outer one holds it
            pass
        narrowed = os.sched_getaffinity(0)
    assert outer and not inner and len(narrowed) == 1
    assert os.sched_getaffinity(0) == before
