"""A run's threads on one CPU, what it starts on all of them (Linux; elsewhere nothing changes).

A digest's process runs about a hundred threads (feed and page fetches, the extraction pool's dispatcher,
the saves) that take turns on the interpreter lock: one runs Python at a time, and on several CPUs every
hand-off is a wake-up on another core, away from the caches of the one it left. Kept on one CPU, the
hand-offs stay there and the other CPUs are left to the extraction workers, which start with every CPU
(`every_cpu`), as do the browser and the pager. Measured in bench/README.md (issue 15, ninth session).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

_wide: frozenset[int] | None = None  # the CPUs the process had, while one_cpu holds it to one


@contextlib.contextmanager
def one_cpu() -> Iterator[bool]:
    """Hold the calling thread, and the threads it starts meanwhile, to the CPU it runs on; its CPUs
    come back at the end. Yields whether it narrowed (not with a single CPU, nor where the system
    cannot say or set a thread's CPUs)."""
    global _wide
    cpus = _cpus()
    if _wide is not None or cpus is None or len(cpus) < 2:  # nested, or nothing to narrow
        yield False
        return
    cpu = _current_cpu()
    if not _set({cpu if cpu in cpus else min(cpus)}):
        yield False
        return
    _wide = cpus
    try:
        yield True
    finally:
        _wide = None
        _set(cpus)


@contextlib.contextmanager
def every_cpu() -> Iterator[None]:
    """Give the calling thread every CPU the process had before one_cpu, for the duration: what it starts
    meanwhile (a worker process, a pager, the browser) keeps them. Nothing outside one_cpu."""
    cpus = _wide
    held = _cpus() if cpus is not None else None
    if cpus is None or held is None or not _set(cpus):
        yield
        return
    try:
        yield
    finally:
        _set(held)


def _cpus() -> frozenset[int] | None:
    get = getattr(os, "sched_getaffinity", None)
    if get is None or not hasattr(os, "sched_setaffinity"):
        return None
    try:
        return frozenset(get(0))
    except OSError:
        return None


def _set(cpus: set[int] | frozenset[int]) -> bool:
    """Hold the calling thread to `cpus`; False where the system refuses."""
    try:
        os.sched_setaffinity(0, cpus)
    except OSError:
        return False
    return True


def _current_cpu() -> int | None:
    """The CPU the calling thread runs on (field 39 of /proc's stat): the one the system chose for it."""
    try:
        with open("/proc/thread-self/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[36])
    except (OSError, ValueError, IndexError):
        return None
