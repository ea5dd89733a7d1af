"""Shared fixtures: a real HTTP server on 127.0.0.1 and an isolated NEWSCLI_HOME."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Route:
    handler: Handler
    hits: int = 0
    requests: list[dict[str, str]] = field(default_factory=list)


class TestServer:
    """A threaded HTTP/1.1 server whose routes the test sets up.

    `add(path, handler)` takes a function that writes the whole response itself
    (status line, headers, body) so tests can serve anything, hostile included.
    `serve(path, body, ...)` is the ordinary case.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.routes: dict[str, Route] = {}
        routes = self.routes

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802
                route = routes.get(self.path) or routes.get(self.path.split("?")[0])
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "9")
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(b"not found")
                    return
                route.hits += 1
                route.requests.append({k.lower(): v for k, v in self.headers.items()})
                try:
                    route.handler(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_HEAD = do_GET

        class _Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # clients dropping connections on purpose (caps, timeouts) are not errors here

        self.httpd = _Server((host, 0), _H)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def add(self, path: str, handler: Handler) -> str:
        self.routes[path] = Route(handler)
        return self.url(path)

    def serve(
        self,
        path: str,
        body: bytes | str,
        *,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        etag: str | None = None,
    ) -> str:
        """Serve `body` at `path`; with `etag`, send it and answer 304 to a request that sends it back."""
        data = body.encode("utf-8") if isinstance(body, str) else body

        def handler(req: BaseHTTPRequestHandler) -> None:
            if delay:
                time.sleep(delay)
            if etag is not None and req.headers.get("If-None-Match") == etag:
                req.send_response(304)
                req.send_header("Content-Length", "0")
                req.end_headers()
                return
            req.send_response(status)
            if etag is not None:
                req.send_header("ETag", etag)
            if content_type:
                req.send_header("Content-Type", content_type)
            for k, v in (headers or {}).items():
                req.send_header(k, v)
            req.send_header("Content-Length", str(len(data)))
            req.end_headers()
            if req.command != "HEAD":
                req.wfile.write(data)

        return self.add(path, handler)

    def hits(self, path: str) -> int:
        return self.routes[path].hits

    def requests(self, path: str) -> list[dict[str, str]]:
        return self.routes[path].requests

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def http_server() -> Iterator[TestServer]:
    server = TestServer()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def newscli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own state and config: nothing touches the real user's."""
    home = tmp_path / "newscli-home"
    home.mkdir()
    monkeypatch.setenv("NEWSCLI_HOME", str(home))
    monkeypatch.setenv("NEWSCLI_CONFIG", str(home / "config.toml"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):  # the runner's proxy is not ours
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return home


FIXTURES = Path(__file__).parent / "data"
