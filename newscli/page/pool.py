"""Article extraction on worker processes that can be killed: a hard time limit per page, spread over cores."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import multiprocessing
import multiprocessing.connection
import os
import select
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler
from typing import Any

from newscli.errors import ExtractError, NewsError
from newscli.models import Article
from newscli.net.cores import every_cpu

Extractor = Callable[..., Article]


class _Named:
    """newscli.page.extract's function `name`, imported where it is called (a worker), not where the pool is
    made: a digest's workers are fresh interpreters, and its main process never extracts a page, so it does
    not import what extraction needs (~0.3 s of start-up, on the way to the first post). Pickles by name."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Article:
        from newscli.page import extract

        return getattr(extract, self.name)(*args, **kwargs)  # type: ignore[no-any-return]

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Named, (self.name,))


_EXTRACT = _Named("extract_article")
_QUICK = _Named("quick_article")

_READY = ("ready",)  # a worker's first message: it has booted

# Jobs sent to one worker at a time: the one it runs and the next, waiting in its pipe, so that it starts that
# one the moment it is done instead of idling until this process's dispatcher thread gets the interpreter lock
# back (~1.5 ms a job in a busy digest, more than half a small page's extraction).
PIPELINE = 2
# A next job goes only to a worker whose job began less than this long ago: a page that takes long is likely
# to take longer, and a job queued behind it would wait while another worker is free.
PIPELINE_FRESH = 0.2
# and only a job this small (pickled): it must fit in the pipe beside nothing else (a socket pair holds
# ~180 KiB on Linux by default), or sending it would block this thread until the worker is done.
PIPELINE_MAX_BYTES = 64 * 1024

# Workers start as the work needs them: the first with the first job (or start()), another only when the jobs
# waiting would keep every worker up busy this long (seconds: about what a fresh interpreter takes to boot, so a
# new worker would take a share of them), by the time jobs have taken lately or the one running now, if longer.
# Small pages one worker keeps up with (a digest of teasers: ~2 ms a page, bursts of a few dozen) then run on
# one, warm, and leave the other core to the main process; real articles (20-40 ms each) have every worker
# within a few pages. No worker is started while one is still booting.
GROW_BACKLOG = 0.25
GROW_LOOK = 0.05  # while jobs wait and the pool may grow, it looks again this often
# "lately": the median of this many jobs (a first job's imports, a feed's parse, are not typical)
GROW_SAMPLE = 15

# Workers that end before they are up (a broken install, no memory for another interpreter): after this many in a
# row the pool starts none for BROKEN_PAUSE seconds, and every job meanwhile fails at once with the reason, instead
# of each job booting an interpreter that dies (2,000 pages of a digest: minutes, and a traceback each).
BOOT_FAILURES = 3
BROKEN_PAUSE = 30.0
# The same for workers that die in their job this many jobs in a row, no job answered in between: one page that
# kills its worker is that page's failure (the next gets a new worker), but pages of every host doing so in turn
# (they come host by host) is the install (an extension that crashes on any page), and each would boot a worker.
DEATH_STREAK = 8

# The cheap fallback's own limit by default: half the time limit, between 2 and 10 seconds.
FALLBACK_SHARE = 0.5
FALLBACK_MIN = 2.0
FALLBACK_MAX = 10.0


@dataclass(frozen=True)
class FallbackArticle(Article):
    """An article from the cheap fallback extraction; `warning` says why, for the caller to show."""

    warning: str = ""


def _context() -> Any:
    """fork on Linux before Python 3.12 (workers start in milliseconds), forkserver from 3.12, which
    deprecates forking a process that runs threads (the dispatcher and fetch threads); spawn elsewhere.

    A forked worker starts by closing every descriptor it inherited (the digest's flocked lock file, the
    state database, other workers' pipes): one that kept them held the lock of a SIGKILLed digest forever.
    """
    if sys.platform.startswith("linux"):
        if sys.version_info < (3, 12):
            return multiprocessing.get_context("fork")
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["newscli.page.extract"])
        return ctx
    return multiprocessing.get_context("spawn")


def _open_fds() -> dict[int, tuple[int, int]]:
    """The descriptors open in this process now, each with the (device, inode) it refers to (Linux)."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return {}
    found: dict[int, tuple[int, int]] = {}
    for name in names:
        with contextlib.suppress(OSError, ValueError):
            st = os.fstat(int(name))
            found[int(name)] = (st.st_dev, st.st_ino)
    return found


def _close_inherited(fds: tuple[tuple[int, int, int], ...]) -> None:
    """In a forked worker: close the parent's descriptors as listed just before the fork, each only if it
    still refers to the same file (another thread may have closed one and os.pipe() reused its number for
    the pipe that tells the parent when this worker ends: that one must stay open)."""
    for fd, dev, ino in fds:
        with contextlib.suppress(OSError):
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) == (dev, ino):
                os.close(fd)


# With `fresh_workers` (the digest: a long run, where memory counts), a worker is a fresh interpreter that
# imports only what extraction needs (~34 MiB), not a fork of the main process: a fork holds everything
# the main process held at that moment (its HTTP client, feed parser, threads' stacks and heap: 46 MiB per
# worker in an 800-feed digest), and a child started by exec holds no descriptor but its own pipe. It
# costs ~0.2 s of CPU to start (its imports), where a fork starts in milliseconds: one page's `fetch`
# forks. multiprocessing's spawn would start a resource-tracker process beside the workers, and re-run
# a console script's imports.
_BOOT = (
    "import sys\n"
    "from multiprocessing.connection import Connection\n"
    "conn = Connection(int(sys.argv[1]))\n"
    "sys.path[:] = conn.recv()\n"
    "from newscli.page.pool import _serve\n"
    "_serve(conn)\n"
    "import os\n"
    "os._exit(0)\n"  # nothing to flush or finalise: the interpreter's teardown (~30-60 ms) held up the run's end
)


class _Interpreter:
    """A worker process started as `python -c _BOOT FD` (Linux), with the part of multiprocessing.Process's
    interface the pool uses: start, sentinel, is_alive, kill, join, exitcode, close."""

    def __init__(self, child: multiprocessing.connection.Connection) -> None:
        self._child = child
        self._popen: subprocess.Popen[bytes] | None = None
        self._pidfd = -1

    def start(self) -> None:
        fd = self._child.fileno()
        self._popen = subprocess.Popen(
            # the interpreter's own flags (-X, -W, -O…) as multiprocessing passes them to its children
            [sys.executable, *subprocess._args_from_interpreter_flags(), "-c", _BOOT, str(fd)],  # type: ignore[attr-defined]
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            pass_fds=(fd,),
        )
        # Linux 5.3+: a descriptor that reads as ready when the worker ends (else the pipe's end of file says so)
        with contextlib.suppress(AttributeError, OSError):
            self._pidfd = os.pidfd_open(self._popen.pid)

    @property
    def sentinel(self) -> int | None:
        return self._pidfd if self._pidfd >= 0 else None

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen else None

    @property
    def exitcode(self) -> int | None:
        return self._popen.poll() if self._popen else None

    def is_alive(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def kill(self) -> None:
        if self.is_alive():
            assert self._popen is not None
            with contextlib.suppress(OSError):
                self._popen.kill()

    def join(self, timeout: float | None = None) -> None:
        if self._popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._popen.wait(timeout)

    def close(self) -> None:
        if self._pidfd >= 0:
            os.close(self._pidfd)
            self._pidfd = -1


def _can_start_interpreters() -> bool:
    """Fresh interpreters as plain child processes: Linux, a known Python executable."""
    return sys.platform.startswith("linux") and bool(sys.executable) and os.path.isfile(sys.executable)


def _die_with_parent() -> None:
    """Linux: SIGKILL this worker when its parent (the main process, or the fork server, which leaves when
    the main process's end of its pipe closes) dies, whatever the worker is doing."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
        if os.getppid() == 1:  # the parent died before the call: nobody is waiting for us
            os._exit(0)
    # workers never print: let go of the terminal or pipe the command's output goes to
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        os.close(devnull)


def _serve(
    conn: multiprocessing.connection.Connection, inherited: tuple[tuple[int, int, int], ...] = ()
) -> None:
    """Worker loop: run jobs until told to stop; every outcome goes back as a picklable tuple."""
    _close_inherited(inherited)
    _die_with_parent()
    import newscli.page.extract  # noqa: F401 - before the first job, whose time limit runs (a fork has it)

    try:
        conn.send(_READY)  # up: the pool may start another worker when jobs wait (GROW_BACKLOG)
    except OSError:
        return

    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):  # the parent is gone: a reset pipe says so too
            return
        if job is None:
            return
        func, args, kwargs = job
        began = time.perf_counter()
        try:
            reply: tuple[Any, ...] = ("ok", func(*args, **kwargs))
        except NewsError as exc:
            reply = ("news", type(exc), exc.message, exc.source, dict(vars(exc)))
        except BaseException as exc:  # a bug in extraction must not take the worker's caller down
            reply = ("bug", f"{type(exc).__name__}: {exc}")
        try:
            # with the seconds the job took here (GROW_BACKLOG)
            conn.send((*reply, time.perf_counter() - began))
        except OSError:  # nobody is waiting for the answer any more
            return


def _extract_then(
    func: Extractor,
    page: str | bytes,
    url: str,
    tz_override: str | None,
    then: tuple[Callable[..., Any], tuple[Any, ...]] | None,
    http_charset: str | None = None,
) -> Any:
    """A page's job, in a worker: decode the page when it came as bytes, extract it, and with `then` run the
    caller's next step on the article: (article, its result), the result None when that step fails (the
    caller, which would have run it anyway, then does and meets the error itself)."""
    if isinstance(page, bytes):  # by newscli's charset rules, as the calling process would have
        from newscli.page.charset import decode

        page = decode(page, http_charset=http_charset).text
        if not page.strip():
            raise ExtractError("no article found (empty page)", source=url)
    article = func(page, url, tz_override=tz_override)
    if then is None:
        return article
    step, args = then
    try:
        extra = step(article, *args)
    except Exception:  # noqa: BLE001 - see above: never the extraction's failure
        extra = None
    return article, extra


def _ready(handles: list[Any], timeout: float | None) -> list[Any]:
    """multiprocessing.connection.wait(handles, timeout), with one poll() call where the system has it (the
    pool's thread waits once or twice per page: wait() builds and tears down a selector each time)."""
    if not hasattr(select, "poll"):
        return multiprocessing.connection.wait(handles, timeout)
    poller = select.poll()
    by_fd: dict[int, Any] = {}
    for handle in handles:
        fd = handle if isinstance(handle, int) else handle.fileno()
        by_fd[fd] = handle
        poller.register(fd, select.POLLIN)
    while True:
        try:
            events = poller.poll(None if timeout is None else max(0, math.ceil(timeout * 1000)))
        except InterruptedError:  # pragma: no cover - PEP 475 retries; a signal handler that raised does not
            continue
        return [by_fd[fd] for fd, _ in events]


def _rebuild(cls: type[NewsError], message: str, source: str | None, state: dict[str, Any]) -> NewsError:
    """The same NewsError subclass with its message, source and extra fields (status, retry_after …)."""
    exc = cls.__new__(cls)
    Exception.__init__(exc, message)
    exc.__dict__.update(state)
    exc.message, exc.source = message, source
    return exc


@dataclass
class _Job:
    future: Future[Any]
    text: str | bytes  # bytes: decoded on the worker, `charset` being what the server said
    url: str  # the source named in its errors
    tz_override: str | None
    fallback: bool = False  # this run is the cheap fallback after a time-out
    call: tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]] | None = None  # a job of call()
    what: str = "extraction"  # what its errors call it
    then: tuple[Callable[..., Any], tuple[Any, ...]] | None = (
        None  # submit(then=): the result is (article, extra)
    )
    error: type[NewsError] = ExtractError
    charset: str | None = None
    deadline: float | None = None  # not started after this (time.monotonic())
    started: bool = False  # marked running (a job handed back from a retired worker's pipe is already)


@dataclass
class _Worker:
    process: Any
    conn: multiprocessing.connection.Connection
    jobs: deque[_Job] = dataclasses.field(default_factory=deque)  # sent: the first runs, the next waits
    began: float = 0.0  # when the first began (as far as this process knows: when the one before it ended)
    deadline: float = 0.0  # the first's
    ready: bool = False  # it said it is up (a worker boots first: ~0.25 s for a fresh interpreter's imports)


class ExtractorPool:
    """Runs extract_article on worker processes; a job past `time_limit` is killed and falls back.

    submit_then also runs the caller's next step on the article there, and call() any other CPU-bound step
    (a feed's parse) under the same limit. `fresh_workers`: on Linux, start each worker as a fresh
    interpreter, not a fork (see _BOOT)."""

    def __init__(
        self,
        workers: int | None = None,
        time_limit: float = 20.0,
        *,
        extract: Extractor = _EXTRACT,
        fallback: Extractor | None = _QUICK,
        fallback_limit: float | None = None,
        fresh_workers: bool = False,
    ) -> None:
        self.max_workers = max(1, workers or os.cpu_count() or 1)
        self.time_limit = time_limit
        self._extract = extract
        self._fallback = fallback
        self.fallback_limit = (
            fallback_limit
            if fallback_limit is not None
            else min(FALLBACK_MAX, max(FALLBACK_MIN, time_limit * FALLBACK_SHARE))
        )
        self._ctx = _context()
        self._interpreters = fresh_workers and _can_start_interpreters()
        if not self._interpreters and self._ctx.get_start_method() == "fork":
            import newscli.page.extract  # noqa: F401 - once here, not in every forked worker
        self._queue: deque[_Job] = deque()
        self._urgent: deque[_Job] = deque()  # call() jobs: before the pages
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = self._ctx.Pipe(duplex=False)
        self._closed = False
        self._starting = False  # start(): a worker now, not at the first job
        self._grow_at: float | None = None  # when to look again whether waiting jobs need another worker
        self._took: deque[float] = deque(maxlen=GROW_SAMPLE)  # seconds the last jobs took on their workers
        self._start_asked = False
        self._answered = False  # a worker has answered a job: they are up
        self._boot_failures = 0  # workers in a row that ended before they were up
        self._deaths = 0  # jobs in a row whose worker died in them (DEATH_STREAK)
        self._broken: tuple[float, str] | None = None  # (until when, why) no worker is started
        self._thread = threading.Thread(target=self._run, name="extractor-pool", daemon=True)
        self._thread.start()

    def submit(
        self,
        text: str | bytes,
        url: str,
        *,
        tz_override: str | None = None,
        http_charset: str | None = None,
        deadline: float | None = None,
    ) -> Future[Article]:
        """Extract one page; the future holds an Article (FallbackArticle after a time-out) or a NewsError.

        A page given as bytes is decoded on the worker (newscli.page.charset.decode, `http_charset` as the
        server said): detecting an undeclared charset can take longer than the extraction. `deadline` (a
        time.monotonic() value, e.g. the end of a run's budget): a job still waiting then is not started, and
        fails saying so."""
        future: Future[Article] = Future()
        self._put(_Job(future, text, url, tz_override, charset=http_charset, deadline=deadline))
        return future

    def submit_then(
        self,
        text: str | bytes,
        url: str,
        then: tuple[Callable[..., Any], tuple[Any, ...]],
        *,
        tz_override: str | None = None,
        http_charset: str | None = None,
        deadline: float | None = None,
    ) -> Future[tuple[Article, Any]]:
        """As submit, and then `then[0](article, *then[1])` on the same worker: the future holds (article, its
        result), the result None when that step failed. For the caller's own next step on the article (a
        post's body converted to Markdown), done beside the extraction instead of in the calling process."""
        future: Future[tuple[Article, Any]] = Future()
        self._put(_Job(future, text, url, tz_override, then=then, charset=http_charset, deadline=deadline))
        return future

    def _put(self, job: _Job, *, urgent: bool = False) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("ExtractorPool is closed")
            # Jobs already waiting: the dispatcher left them because no worker could take one, and a worker's
            # answer, death or time limit wakes it; only a job into empty queues has to wake it itself.
            wake = not self._queue and not self._urgent
            (self._urgent if urgent else self._queue).append(job)
        if wake:
            self._wake()

    def call(
        self,
        func: Callable[..., Any],
        *args: Any,
        source: str,
        what: str,
        error: type[NewsError] = NewsError,
        **kwargs: Any,
    ) -> Future[Any]:
        """Run `func(*args, **kwargs)` (picklable, module-level) on a worker, under the same time limit.

        For other CPU-bound steps of a run (parsing a feed): they leave the calling process's threads free,
        and a step that hangs is killed like a page. Such calls go before waiting pages, whose work they
        usually make. Its NewsError comes back as it was; a time-out, a dead worker or a bug become `error`
        naming `source` and `what` the step was ("feed parsing timed out after 20 s"). No fallback.
        """
        future: Future[Any] = Future()
        self._put(
            _Job(future, "", source, None, call=(func, args, kwargs), what=what, error=error), urgent=True
        )
        return future

    def start(self) -> None:
        """Start a worker now rather than at the first job (a worker takes a while to start: ~0.25 s for a
        fresh interpreter to import what extraction needs); once: later calls do nothing. More start as jobs
        wait for them (GROW_BACKLOG)."""
        with self._lock:
            if self._start_asked:
                return
            self._start_asked = self._starting = True
        self._wake()

    @property
    def warm(self) -> bool:
        """Whether a worker has answered a job yet (before that, a job also waits for a worker to start)."""
        return self._answered

    def close(self) -> None:
        """Stop the workers; jobs not yet finished are cancelled."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._wake()
        self._thread.join()
        self._wake_r.close()
        self._wake_w.close()

    def __enter__(self) -> ExtractorPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the dispatcher thread ---------------------------------------------------------------------------------

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send_bytes(b"")

    def _run(self) -> None:
        try:
            while True:
                with self._lock:
                    closed = self._closed
                if closed:
                    break
                self._dispatch()
                self._wait()
        finally:
            self._shutdown()

    def _dispatch(self) -> None:
        if self._fail_while_broken():
            return
        with self._lock:
            starting, self._starting = self._starting, False
        if starting and not self._workers:
            # on an error, the first job that needs a worker meets it and says it
            with contextlib.suppress(Exception):
                self._spawn()
        self._grow_at = None
        while True:
            with self._lock:
                if not self._queue and not self._urgent:
                    return
                idle = next((w for w in self._workers if not w.jobs), None)
                if idle is None and not self._grow():
                    idle = self._next_in_line()
                    if idle is None:
                        return
                job = (self._urgent or self._queue).popleft()
            if not job.started and not job.future.set_running_or_notify_cancel():
                continue
            job.started = True
            if job.deadline is not None and time.monotonic() >= job.deadline:
                self._fail(
                    job,
                    job.error(f"{job.what} not started: its time ran out while it waited", source=job.url),
                )
                continue
            try:
                worker = idle or self._spawn()
            except Exception as exc:  # e.g. no processes left, or an unguarded __main__ under spawn
                self._fail(
                    job,
                    job.error(f"{job.what} failed: cannot start a worker process ({exc})", source=job.url),
                )
                continue
            if job.call is not None:
                message = job.call
            else:
                func = (self._fallback or self._extract) if job.fallback else self._extract
                message = (
                    _extract_then,
                    (func, job.text, job.url, job.tz_override, job.then, job.charset),
                    {},
                )
            try:
                data = ForkingPickler.dumps(message)
            except Exception as exc:  # noqa: BLE001 - a call whose arguments cannot be pickled: that job's error
                self._fail(job, job.error(f"{job.what} failed: {type(exc).__name__}: {exc}", source=job.url))
                continue
            if worker.jobs and len(data) > PIPELINE_MAX_BYTES:
                # Its pipe could not hold it while the worker is busy: this thread would block in the write,
                # and with it every time limit. It waits for a free worker instead.
                self._requeue([job])
                return
            try:
                worker.conn.send_bytes(data)
            except (OSError, ValueError):
                self._retire(worker, gone=True)
                self._fail(job, job.error(f"{job.what} failed: worker process unavailable", source=job.url))
                continue
            worker.jobs.append(job)
            if len(worker.jobs) == 1:
                self._begin(worker)

    def _fail_while_broken(self) -> bool:
        """While the pool is paused (_pause: BOOT_FAILURES, DEATH_STREAK), every waiting job fails at once, saying
        why; whether it is paused. Once BROKEN_PAUSE is over, the next job may try a worker again."""
        if self._broken is None:
            return False
        until, why = self._broken
        if time.monotonic() >= until:
            self._broken = None
            return False
        for job in self._take_waiting():
            if job.started or job.future.set_running_or_notify_cancel():
                self._fail(job, job.error(f"{job.what} failed: {why}", source=job.url))
        return True

    def _grow(self) -> bool:
        """Whether a new worker is to take the next job, every worker being busy: there is none yet, or the
        jobs waiting would keep the workers up busy GROW_BACKLOG while none is booting (else _grow_at says
        when to look again)."""
        if len(self._workers) >= self.max_workers:
            return False
        if not self._workers:
            return True
        if any(not w.ready for w in self._workers):
            # one is still booting: it takes the jobs in its pipe, and its word that it is up wakes this thread
            return False
        now = time.monotonic()
        running = max((now - w.began for w in self._workers if w.jobs), default=0.0)
        lately = sorted(self._took)[len(self._took) // 2] if self._took else 0.0  # the median
        waiting = len(self._queue) + len(self._urgent)
        if waiting * max(lately, running) / len(self._workers) >= GROW_BACKLOG:
            return True
        self._grow_at = now + GROW_LOOK  # the running jobs age: look again
        return False

    def _next_in_line(self) -> _Worker | None:
        """A busy worker that may take a next job (PIPELINE, PIPELINE_FRESH), the one whose job began last."""
        now = time.monotonic()
        ready = [w for w in self._workers if len(w.jobs) < PIPELINE and now - w.began < PIPELINE_FRESH]
        return max(ready, key=lambda w: w.began, default=None)

    def _begin(self, worker: _Worker) -> None:
        """The worker's first job begins now: its time limit runs from here."""
        job = worker.jobs[0]
        worker.began = time.monotonic()
        worker.deadline = worker.began + (self.fallback_limit if job.fallback else self.time_limit)

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        process: Any
        if self._interpreters:
            process = _Interpreter(child)
            try:
                with every_cpu():  # when this process holds its threads to one (newscli.net.cores)
                    process.start()
                parent.send(sys.path)  # the child's first message: find the same modules as this process
            except BaseException:
                parent.close()
                child.close()
                process.kill()
                process.join()
                process.close()
                raise
        else:
            inherited: tuple[tuple[int, int, int], ...] = ()
            if self._ctx.get_start_method() == "fork":
                inherited = tuple(
                    (fd, dev, ino)
                    for fd, (dev, ino) in sorted(_open_fds().items())
                    if fd > 2 and fd != child.fileno()
                )
            process = self._ctx.Process(
                target=_serve, args=(child, inherited), name="newscli-extract", daemon=True
            )
            with every_cpu():
                process.start()
        child.close()
        worker = _Worker(process, parent)
        self._workers.append(worker)
        return worker

    def _wait(self) -> None:
        busy = [w for w in self._workers if w.jobs]
        now = time.monotonic()
        timeout = min((w.deadline - now for w in busy), default=None)
        if self._grow_at is not None:  # a job waits for a busy worker: look again when the pool may grow
            timeout = self._grow_at - now if timeout is None else min(timeout, self._grow_at - now)
        handles: list[Any] = [self._wake_r]
        for w in busy:
            handles.append(w.conn)
            if w.process.sentinel is not None:  # else the pipe's end of file says the worker is gone
                handles.append(w.process.sentinel)
        ready = _ready(handles, None if timeout is None else max(0.0, timeout))
        if self._wake_r in ready:
            while _ready([self._wake_r], 0.0):
                self._wake_r.recv_bytes()
        for w in busy:
            if w.conn in ready:
                self._collect(w)
            elif w.process.sentinel in ready:  # the process is gone, and it said nothing
                self._collect(w, gone=True)
        now = time.monotonic()
        for w in list(self._workers):
            if w.jobs and now >= w.deadline:
                self._timed_out(w)

    def _collect(self, worker: _Worker, *, gone: bool = False) -> None:
        job = worker.jobs[0]
        try:
            if gone and not _ready([worker.conn], 0.0):  # only the sentinel fired: no last answer waits
                raise EOFError
            reply = worker.conn.recv()
        except (EOFError, OSError):
            self._retire(worker, gone=True)
            return
        if reply == _READY:  # its first word, before any answer
            worker.ready = True
            self._boot_failures, self._broken = 0, None
            if worker.jobs:  # its first job begins now that it is up: the time it takes, and its limit
                self._begin(worker)
            return
        worker.jobs.popleft()
        self._answered = True
        self._deaths, self._broken = 0, None  # a worker that answers: the install is not what fails
        *reply, took = reply
        self._took.append(took)
        if worker.jobs:  # the next one, already in its pipe, began as this one ended
            self._begin(worker)
        if reply[0] == "ok":
            result = reply[1]
            if job.fallback:
                warning = f"extraction timed out after {self.time_limit:g} s; used a simpler extraction"
                if job.then is not None:
                    result = (_as_fallback(result[0], warning), result[1])
                else:
                    result = _as_fallback(result, warning)
            job.future.set_result(result)
        elif reply[0] == "news":
            _, cls, message, source, state = reply
            self._fail(job, _rebuild(cls, message, source, state))
        else:
            self._fail(job, job.error(f"{job.what} failed: {reply[1]}", source=job.url))

    def _timed_out(self, worker: _Worker) -> None:
        job = worker.jobs.popleft()
        self._retire(worker)
        if job.fallback or self._fallback is None or job.call is not None:
            self._fail(job, job.error(f"{job.what} timed out after {self.time_limit:g} s", source=job.url))
            return
        job.fallback = True
        self._requeue([job])

    def _requeue(self, jobs: list[_Job]) -> None:
        """Jobs back at the front of their queue (a call()'s: the urgent one), in their order."""
        with self._lock:
            for job in reversed(jobs):
                (self._urgent if job.call is not None else self._queue).appendleft(job)

    def _retire(self, worker: _Worker, *, gone: bool = False) -> None:
        """Kill a worker (stuck or dead) and forget it; a new one is started when needed.

        The jobs still in its pipe go back to the front of the queue, where another worker takes them, except
        for the one it was running when it died (`gone`): that job's failure ("worker process died"). A worker
        gone before it was up ran none. BOOT_FAILURES of those in a row, or DEATH_STREAK jobs in a row that
        killed their workers, and the pool starts no worker for BROKEN_PAUSE, every job failing at once."""
        if gone:
            worker.process.join(1.0)
            code = worker.process.exitcode
            if worker.ready and worker.jobs:
                job = worker.jobs.popleft()
                self._fail(
                    job,
                    job.error(f"{job.what} failed: worker process died (exit code {code})", source=job.url),
                )
                self._deaths += 1
                if self._deaths >= DEATH_STREAK:
                    self._deaths = 0
                    self._pause(
                        f"extraction workers keep dying ({DEATH_STREAK} jobs in a row, the last with exit code {code})"
                    )
            elif not worker.ready:  # before it was up: no job of its did it (they go back), but the next may
                self._boot_failures += 1
                if self._boot_failures >= BOOT_FAILURES:
                    self._boot_failures = 0
                    self._pause(
                        f"extraction workers cannot start ({BOOT_FAILURES} in a row ended before they were up,"
                        f" the last with exit code {code})"
                    )
        waiting, worker.jobs = list(worker.jobs), deque()
        self._requeue(waiting)
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(5.0)
        worker.conn.close()
        worker.process.close()
        self._workers.remove(worker)

    def _pause(self, why: str) -> None:
        """No worker is started for BROKEN_PAUSE: every job meanwhile fails at once, saying `why`."""
        self._broken = (time.monotonic() + BROKEN_PAUSE, f"{why}; none is tried for {BROKEN_PAUSE:g} s")

    @staticmethod
    def _fail(job: _Job, exc: BaseException) -> None:
        if not job.future.done():
            job.future.set_exception(exc)

    def _take_waiting(self) -> list[_Job]:
        """Every job waiting for a worker, taken out of the queues (the urgent ones first)."""
        with self._lock:
            jobs = [*self._urgent, *self._queue]
            self._urgent.clear()
            self._queue.clear()
        return jobs

    def _shutdown(self) -> None:
        for job in self._take_waiting():
            if job.started:  # running already (handed back from a retired worker): cancel() cannot stop it
                self._fail(job, job.error(f"{job.what} cancelled", source=job.url))
            else:
                job.future.cancel()
        for worker in list(self._workers):
            if worker.jobs:
                jobs, worker.jobs = list(worker.jobs), deque()
                self._retire(worker)
                for job in jobs:
                    self._fail(job, job.error(f"{job.what} cancelled", source=job.url))
                continue
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send(None)
        for worker in list(self._workers):  # all told first, then waited for: they end side by side
            worker.process.join(2.0)
            self._retire(worker)


def _as_fallback(article: Article, warning: str) -> FallbackArticle:
    values = {f.name: getattr(article, f.name) for f in dataclasses.fields(Article)}
    return FallbackArticle(**values, warning=warning)
