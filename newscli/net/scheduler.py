"""Jobs run host by host: no thread waits for a busy host while another host's jobs are waiting.

A plain thread pool hands its next job to the next free thread whatever the job's host: when most waiting
jobs are one host's, its threads queue for that host's few connections (HttpClient's per-host slots) and
the other hosts' connections sit idle. HostPool keeps one queue per host and starts a host's job only while
fewer than `per_host` of that host's jobs run, taking the hosts in turn, so its threads spread over every
host that has work.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

_Item = tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]


class HostPool:
    """An executor of jobs tagged with a host: at most `threads` run at once, at most `per_host` of one host.

    Within a host jobs start in the order given; hosts take turns. Threads start as work needs them and
    end at shutdown; they are daemon threads (a run interrupted by Ctrl-C or SIGTERM does not wait for a
    request in flight). A job's future can be cancelled until the job starts.
    """

    def __init__(self, threads: int, per_host: int, *, name: str = "host-pool") -> None:
        self.threads = max(1, threads)
        self.per_host = max(1, per_host)
        self._name = name
        self._lock = threading.Condition(threading.Lock())
        self._queues: dict[str, deque[_Item]] = {}
        self._running: dict[str, int] = {}
        self._ready: deque[str] = deque()  # hosts with a waiting job and a free place, each at most once
        self._workers: list[threading.Thread] = []
        self._idle = 0
        self._closed = False

    def submit(self, host: str, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run `fn(*args)` on a thread when `host` has a free place; its future holds the result or error."""
        future: Future[Any] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("HostPool is shut down")
            waiting = self._queues.get(host)
            if waiting is None:
                waiting = self._queues[host] = deque()
            waiting.append((future, fn, args))
            if len(waiting) == 1 and self._running.get(host, 0) < self.per_host:
                self._ready.append(host)
            if self._idle:
                self._lock.notify()
            elif len(self._workers) < self.threads:
                worker = threading.Thread(
                    target=self._work, name=f"{self._name}-{len(self._workers)}", daemon=True
                )
                self._workers.append(worker)
                worker.start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Take no more jobs; with `cancel_futures` cancel those not started; with `wait` wait for the rest."""
        with self._lock:
            self._closed = True
            if cancel_futures:
                for waiting in self._queues.values():
                    for future, _fn, _args in waiting:
                        future.cancel()
                    waiting.clear()
                self._ready.clear()
            self._lock.notify_all()
            workers = list(self._workers)
        if wait:
            for worker in workers:
                worker.join()

    def _next(self) -> tuple[str, _Item] | None:
        """The next job to start (its host's place taken), or None once shut down with nothing left."""
        with self._lock:
            while not self._ready:
                if self._closed and not any(self._queues.values()):
                    return None
                self._idle += 1
                self._lock.wait()
                self._idle -= 1
            host = self._ready.popleft()
            waiting = self._queues[host]
            item = waiting.popleft()
            running = self._running[host] = self._running.get(host, 0) + 1
            if waiting and running < self.per_host:
                self._ready.append(host)  # its next job after the other hosts' turns
            return host, item

    def _done(self, host: str) -> None:
        with self._lock:
            running = self._running[host] - 1
            waiting = self._queues[host]
            if running:
                self._running[host] = running
            else:
                del self._running[host]
                if not waiting:
                    del self._queues[host]  # a run over thousands of hosts keeps no empty queues
            if waiting and running == self.per_host - 1:  # it was full: it has a place again
                self._ready.append(host)
                self._lock.notify()
            elif self._closed and not waiting and not self._ready:
                self._lock.notify_all()  # shut down: the threads waiting for work may be done

    def _work(self) -> None:
        while (taken := self._next()) is not None:
            host, (future, fn, args) = taken
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        result = fn(*args)
                    except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the future
                        future.set_exception(exc)
                    else:
                        future.set_result(result)
            finally:
                self._done(host)
            del future, fn, args, taken  # no reference to a finished job while waiting for the next


__all__ = ["HostPool"]
