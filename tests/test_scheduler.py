"""HostPool (newscli.net.scheduler): jobs host by host, so that one busy host never holds every thread."""

from __future__ import annotations

import threading
import time

import pytest

from newscli.net.scheduler import HostPool

WAIT = 10.0  # seconds any step here may take at most on a loaded machine (each takes milliseconds)


class Gate:
    """Counts the jobs running per host (and the most at once) and holds them until opened."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.started: list[str] = []
        self.open = threading.Event()

    def job(self, host: str, tag: str) -> str:
        with self.lock:
            self.now[host] = self.now.get(host, 0) + 1
            self.most[host] = max(self.most.get(host, 0), self.now[host])
            self.started.append(tag)
        try:
            if host == "slow.example":
                assert self.open.wait(WAIT), "the gate was never opened"
            return tag
        finally:
            with self.lock:
                self.now[host] -= 1


def test_a_busy_host_leaves_threads_to_the_others_and_never_runs_more_than_its_share() -> None:
    gate = Gate()
    pool = HostPool(threads=4, per_host=2)
    try:
        slow = [pool.submit("slow.example", gate.job, "slow.example", f"s{i}") for i in range(10)]
        fast = [pool.submit("fast.example", gate.job, "fast.example", f"f{i}") for i in range(10)]
        # with a plain pool of 4 threads the first four slow jobs would hold every thread until the gate opens
        assert [f.result(timeout=WAIT) for f in fast] == [f"f{i}" for i in range(10)]
        assert not any(f.done() for f in slow)
        assert gate.now.get("slow.example") == 2
        gate.open.set()
        assert [f.result(timeout=WAIT) for f in slow] == [f"s{i}" for i in range(10)]
    finally:
        gate.open.set()
        pool.shutdown()
    assert gate.most["slow.example"] == 2 and gate.most["fast.example"] <= 2
    # within a host, jobs start in the order given
    assert [t for t in gate.started if t[0] == "s"] == [f"s{i}" for i in range(10)]


def test_hosts_take_turns_when_threads_are_scarce() -> None:
    """One thread, three hosts' jobs queued host after host: they run a host at a time, in turn."""
    order: list[str] = []
    started, hold = threading.Event(), threading.Event()

    def first() -> None:
        started.set()
        assert hold.wait(WAIT)

    pool = HostPool(threads=1, per_host=3)
    try:
        blocker = pool.submit("z", first)
        assert started.wait(WAIT)
        futures = [pool.submit(h, order.append, f"{h}{i}") for h in "abc" for i in range(3)]
        hold.set()
        blocker.result(timeout=WAIT)
        for f in futures:
            f.result(timeout=WAIT)
    finally:
        hold.set()
        pool.shutdown()
    assert order == ["a0", "b0", "c0", "a1", "b1", "c1", "a2", "b2", "c2"]


def test_a_job_error_is_its_future_s_and_the_pool_goes_on() -> None:
    def boom() -> None:
        raise ValueError("bad page")

    pool = HostPool(threads=2, per_host=1)
    try:
        bad = pool.submit("h", boom)
        good = pool.submit("h", lambda: "fine")
        with pytest.raises(ValueError, match="bad page"):
            bad.result(timeout=WAIT)
        assert good.result(timeout=WAIT) == "fine"
    finally:
        pool.shutdown()


def test_waiting_jobs_can_be_cancelled_and_never_run() -> None:
    ran: list[str] = []
    hold = threading.Event()
    pool = HostPool(threads=4, per_host=1)
    try:
        running = pool.submit("h", lambda: hold.wait(WAIT))
        waiting = pool.submit("h", ran.append, "cancelled")
        later = pool.submit("h", ran.append, "later")
        assert waiting.cancel()
        hold.set()
        later.result(timeout=WAIT)
        assert running.result(timeout=WAIT) is True
    finally:
        hold.set()
        pool.shutdown()
    assert ran == ["later"] and waiting.cancelled()


def test_shutdown_cancels_what_has_not_started_and_waits_for_what_runs() -> None:
    hold = threading.Event()
    ended: list[str] = []

    def job(tag: str) -> None:
        assert hold.wait(WAIT)
        time.sleep(0.05)
        ended.append(tag)

    pool = HostPool(threads=2, per_host=1)
    started = [pool.submit("a", job, "a0"), pool.submit("b", job, "b0")]
    queued = [pool.submit("a", job, "a1"), pool.submit("b", job, "b1")]
    threading.Timer(0.2, hold.set).start()
    pool.shutdown(wait=True, cancel_futures=True)
    assert sorted(ended) == ["a0", "b0"]  # shutdown returned only after the running jobs ended
    assert all(f.done() and not f.cancelled() for f in started)
    assert all(f.cancelled() for f in queued)
    with pytest.raises(RuntimeError, match="shut down"):
        pool.submit("a", job, "late")


def test_shutdown_without_cancelling_runs_everything_queued_even_behind_a_full_host() -> None:
    """The threads that find nothing to start (every waiting job is a full host's) must still end."""
    done: list[int] = []
    pool = HostPool(threads=4, per_host=1)

    def job(i: int) -> None:
        time.sleep(0.01)
        done.append(i)

    for i in range(6):
        pool.submit("one.example", job, i)
    ender = threading.Thread(target=pool.shutdown)
    ender.start()
    ender.join(WAIT)
    assert not ender.is_alive(), "shutdown never returned"
    assert done == list(range(6))


def test_no_more_threads_than_asked_however_many_hosts_wait() -> None:
    hold = threading.Event()
    running = [0, 0]
    lock = threading.Lock()

    def job() -> None:
        with lock:
            running[0] += 1
            running[1] = max(running[1], running[0])
        assert hold.wait(WAIT)
        with lock:
            running[0] -= 1

    pool = HostPool(threads=3, per_host=2)
    try:
        futures = [pool.submit(f"h{i % 5}", job) for i in range(20)]
        deadline = time.monotonic() + WAIT
        while running[0] < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)  # a fourth thread, were there one, would be running by now
        assert running[0] == 3 and len(pool._workers) == 3
        hold.set()
        for f in futures:
            f.result(timeout=WAIT)
    finally:
        hold.set()
        pool.shutdown()
    assert running[1] == 3
