"""`--render`: pages loaded in a headless Chromium, every request of theirs made by newscli's own HTTP client.

The browser never touches the network itself: each request it makes is intercepted and either
refused (not http(s), not a GET, an image/font/media/stylesheet, or an address the page may not
reach) or fetched by the HttpClient — with its caps, deadline, redirect rules and proxies — and
handed back to the page. Anything that slips past the interception meets a dead proxy. The rule for
addresses is the browsers' Private Network Access: a page may not make requests into a network more
private than its own (public → private → loopback), unless `allow_private` is set.

Playwright (the optional `render` extra) drives the system's Chromium (`NEWSCLI_BROWSER`, else the
first of chromium, chromium-headless-shell, google-chrome on PATH); nothing is downloaded at run time.
One browser per Renderer, on a thread of its own (Playwright's sync API stays on its thread); a fresh
context per page; the browser process is ended on close, on a timeout, and when this process exits.
"""

from __future__ import annotations

import os
import queue
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any
from urllib.parse import urlsplit

from newscli.errors import FetchError, NewsError, Timeout, UsageError
from newscli.models import Fetched
from newscli.net.transport import RANKS, address_class

BROWSERS = (
    "chromium",
    "chromium-browser",
    "chromium-headless-shell",
    "google-chrome",
    "google-chrome-stable",
)
BLOCKED_TYPES = frozenset(
    ("image", "media", "font", "stylesheet", "texttrack", "manifest", "websocket", "eventsource")
)
MAX_DOM_CHARS = 5 * 1024 * 1024  # the rendered HTML read back, at most
MAX_REQUESTS = 300  # requests one page may make
SETTLE_SECONDS = 0.5  # the network counts as settled after this long without a request in flight
_LAUNCH_ARGS = (
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--proxy-server=http://127.0.0.1:9",  # what is not intercepted goes nowhere
    "--proxy-bypass-list=<-loopback>",  # not even to loopback, which Chromium would otherwise bypass
)

Classify = Callable[[str], str]
_Job = tuple[str, "Fetched | None", "Future[tuple[Fetched, tuple[str, ...]]]", float]


def find_browser() -> str | None:
    """The Chromium to drive: $NEWSCLI_BROWSER, else the first known name on PATH; None when there is none."""
    named = os.environ.get("NEWSCLI_BROWSER", "").strip()
    if named:
        return shutil.which(named) or (named if os.path.isfile(named) and os.access(named, os.X_OK) else None)
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


def check_render() -> str:
    """The browser path when `--render` can work here; UsageError saying exactly what to install otherwise."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise UsageError(
            "--render needs Playwright, the render extra: pip install 'newscli[render]' "
            "(it drives the system's Chromium; nothing else is downloaded)"
        ) from None
    browser = find_browser()
    if browser is None:
        named = os.environ.get("NEWSCLI_BROWSER", "").strip()
        where = f"NEWSCLI_BROWSER={named!r} is not an executable" if named else "no Chromium on PATH"
        raise UsageError(
            f"--render needs a Chromium browser ({where}): apt-get install chromium, or set NEWSCLI_BROWSER"
        )
    return browser


def host_class(host: str) -> str:
    """The address class (transport.address_class) of what `host` resolves to: the most private of its addresses.

    An unresolvable host counts as public: its fetch fails and says so.
    """
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return "public"
    worst = "public"
    for info in infos:
        try:
            kind = address_class(str(info[4][0]))
        except ValueError:
            continue
        if RANKS[kind] > RANKS[worst]:
            worst = kind
    return worst


class Renderer:
    """A headless Chromium that renders pages under newscli's network policy (use as a context manager)."""

    def __init__(
        self,
        client: Any,
        *,
        timeout: float = 30.0,
        browser: str | None = None,
        allow_private: bool = False,
        classify: Classify = host_class,
        decode: Callable[[Fetched], str] | None = None,
        max_bytes: int = 5 * 1024 * 1024,
    ) -> None:
        self.client = client
        self.timeout = timeout
        self.browser_path = browser or check_render()
        self.allow_private = allow_private
        self.classify = classify
        self.decode = decode or _plain_decode  # the pipeline hands in the page reader's charset rules
        self.max_bytes = max_bytes
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._profile = tempfile.mkdtemp(prefix="newscli-browser-")

    def render(self, url: str, first: Fetched | None = None) -> tuple[Fetched, tuple[str, ...]]:
        """The page at `url` as the browser leaves it: (its HTML as Fetched, notes such as refused requests).

        `first`, the page's response already fetched, is given to the browser instead of fetching it again.
        Raises FetchError (Timeout when the browser does not answer within the deadline).
        """
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="newscli-browser", daemon=True)
                self._thread.start()
        done: Future[tuple[Fetched, tuple[str, ...]]] = Future()
        self._jobs.put((url, first, done, time.monotonic() + self.timeout))  # the deadline counts from here
        try:
            return done.result(timeout=self.timeout + 15)
        except TimeoutError:
            raise Timeout(f"the browser did not finish within {self.timeout:g} s", source=url) from None

    def close(self) -> None:
        """End the browser (idempotent)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._jobs.put(None)
            thread.join(timeout=20)
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- the browser's own thread ---------------------------------------------------------------------

    def _serve(self) -> None:
        from newscli.net.cores import every_cpu

        with every_cpu():  # the driver and Chromium this thread starts get every CPU (newscli.net.cores)
            self._drive()

    def _drive(self) -> None:
        from playwright.sync_api import sync_playwright

        job = self._jobs.get()
        if job is None:
            return
        try:
            with sync_playwright() as driver:
                context = driver.chromium.launch_persistent_context(
                    self._profile,
                    executable_path=self.browser_path,
                    headless=True,
                    args=[*_LAUNCH_ARGS, *(("--no-sandbox",) if os.geteuid() == 0 else ())],
                    service_workers="block",
                    java_script_enabled=True,
                    accept_downloads=False,
                    timeout=self.timeout * 1000,
                )
                try:
                    while job is not None:
                        url, first, done, deadline = job
                        try:
                            done.set_result(self._render(context, url, first, deadline))
                        except NewsError as exc:
                            done.set_exception(exc)
                        except Exception as exc:  # a browser surprise is this page's failure
                            done.set_exception(
                                FetchError(f"the browser failed: {_one_line(exc)}", source=url)
                            )
                        job = self._jobs.get()
                finally:
                    context.close()
        except Exception as exc:  # the browser would not start: every waiting page says why
            error = FetchError(f"cannot start the browser {self.browser_path}: {_one_line(exc)}")
            while job is not None:
                job[2].set_exception(error)
                job = self._jobs.get(timeout=1) if not self._jobs.empty() else None

    def _render(
        self, context: Any, url: str, first: Fetched | None, deadline: float
    ) -> tuple[Fetched, tuple[str, ...]]:
        if first is not None and first.url.startswith(("http://", "https://")):
            url = first.url  # where the page really is, after redirects: its links resolve against it
        origin = self.classify(urlsplit(url).hostname or "")
        notes: list[str] = []
        final: dict[str, Fetched] = {}
        state = _Traffic()
        page = context.new_page()

        def handle(route: Any, request: Any) -> None:
            state.requests += 1
            target = request.url
            main = request.is_navigation_request() and request.frame == page.main_frame and not final
            problem = self._refusal(request, target, origin, main, state.requests)
            if problem:
                if problem.startswith("refused"):
                    notes.append(problem)
                route.abort("blockedbyclient")
                return
            state.in_flight += 1
            try:
                if main and first is not None and first.url and first.status == 200:
                    fetched = first
                else:  # the client checks every resolved address again at connect time (DNS rebinding)
                    fetched = self.client.get(
                        target,
                        max_bytes=self.max_bytes,
                        accept=request.headers.get("accept"),
                        origin=None if main else origin,
                        allow_private=self.allow_private or None,
                        deadline=deadline,
                    )
                if main:
                    final["page"] = fetched
                    # decoded as newscli decodes pages (the browser would guess windows-1252 without a charset)
                    text = self.decode(fetched)
                    headers = {"content-type": "text/html; charset=utf-8"}
                    route.fulfill(status=200, headers=headers, body=text.encode("utf-8"))
                    return
                headers = {"content-type": fetched.headers.get("content-type", "application/octet-stream")}
                route.fulfill(status=fetched.status or 200, headers=headers, body=fetched.content)
            except NewsError as exc:
                if main:
                    final["error"] = exc  # type: ignore[assignment]
                route.abort("failed")
            finally:
                state.in_flight -= 1
                state.last = time.monotonic()

        try:
            page.route("**/*", handle)
            try:
                page.goto(url, wait_until="load", timeout=max(1.0, deadline - time.monotonic()) * 1000)
            except Exception as exc:
                if "error" in final:
                    raise final["error"] from None  # type: ignore[misc]
                if "page" not in final:
                    raise FetchError(
                        f"the browser could not load the page: {_one_line(exc)}", source=url
                    ) from None
            # the network settles: nothing in flight for a moment, within the deadline
            while time.monotonic() < deadline:
                page.wait_for_timeout(100)
                if state.in_flight == 0 and time.monotonic() - state.last >= SETTLE_SECONDS:
                    break
            html = page.content()
        finally:
            page.close()
        if len(html) > MAX_DOM_CHARS:
            notes.append(f"the rendered page was cut to its first {MAX_DOM_CHARS // (1024 * 1024)} MiB")
            html = html[:MAX_DOM_CHARS]
        base = final.get("page")
        return (
            Fetched(
                url=base.url if base is not None else url,
                content=html.encode("utf-8"),
                headers={"content-type": "text/html; charset=utf-8"},
                status=200,
                requested_url=url,
            ),
            tuple(dict.fromkeys(notes)),
        )

    def _refusal(self, request: Any, target: str, origin: str, main: bool, count: int) -> str | None:
        """Why the page may not make this request (a text starting 'refused' is worth telling), or None."""
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https"):
            return "not http(s)"
        if request.resource_type in BLOCKED_TYPES:
            return "not loaded"
        if request.method not in ("GET", "HEAD"):
            return f"refused: {request.method} {target} (the page is only read, never sent anything)"
        if count > MAX_REQUESTS:
            return f"refused: more than {MAX_REQUESTS} requests from one page"
        if main or self.allow_private:
            return None  # the address the user named is theirs to use
        kind = self.classify(parts.hostname or "")
        if RANKS.get(kind, 0) > RANKS.get(origin, 0):
            return f"refused: {target} is a {kind} address; a {origin} page may not reach into it"
        return None


def _plain_decode(fetched: Fetched) -> str:
    try:
        return fetched.content.decode(fetched.charset or "utf-8", "replace")
    except LookupError:
        return fetched.content.decode("utf-8", "replace")


class _Traffic:
    """One page's requests: how many so far, how many in flight, when the last one ended."""

    def __init__(self) -> None:
        self.requests = 0
        self.in_flight = 0
        self.last = time.monotonic()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:200] + "…") if len(text) > 200 else text or type(exc).__name__
