"""The transport under HttpClient: every socket read and write clipped to the request's deadline."""

from __future__ import annotations

import ipaddress
import math
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import httpcore
import httpx

if TYPE_CHECKING:
    from httpcore._backends.base import SOCKET_OPTION
    from httpcore._sync.interfaces import ConnectionInterface

_local = threading.local()

# Address classes from the most public to the most private (the browsers' Private Network Access model):
# content served from one class may only make requests to the same class or a more public one.
RANKS = {"public": 0, "private": 1, "loopback": 2, "link-local": 2, "multicast": 2, "unspecified": 2}


def address_class(ip: str) -> str:
    """The class of an IP address: public, private, loopback, link-local, multicast or unspecified.

    IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) are classed as their IPv4 address; addresses that are
    not globally routable (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, reserved ranges) are private.
    """
    addr: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if addr.is_unspecified:
        return "unspecified"
    if addr.is_loopback:
        return "loopback"
    if addr.is_link_local:
        return "link-local"
    if addr.is_multicast:
        return "multicast"
    if not addr.is_global:
        return "private"
    return "public"


Classifier = Callable[[str], str]


class AddressRefused(Exception):
    """A connection the address policy forbids; http.py turns it into errors.AddressRefused with the URL."""

    def __init__(self, host: str, address: str, kind: str) -> None:
        super().__init__(f"{host} resolves to {address}, a {kind} address")
        self.host, self.address, self.kind = host, address, kind


def set_deadline(deadline: float | None) -> None:
    """Bound this thread's socket reads and writes by `deadline` (a time.monotonic() value); None lifts it."""
    _local.deadline = deadline


def _clip(timeout: float | None, exc: type[Exception]) -> float | None:
    """Shorten a socket timeout so no single read outlives the calling thread's request deadline."""
    deadline: float | None = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise exc("request deadline reached")
    return left if timeout is None else min(timeout, left)


def _wait(poller: Any, timeout: float | None, exc: type[Exception]) -> None:
    """Wait until `poller`'s socket is ready, at most `timeout` seconds and never past the deadline."""
    left = _clip(timeout, exc)
    if not poller.poll(None if left is None else math.ceil(left * 1000)):
        raise exc("timed out")


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write honours the per-request deadline.

    Over a plain TCP socket it reads and writes the socket itself, kept non-blocking: httpcore's stream
    sets the socket's timeout before every read and write, and Python then makes three calls into the
    system for each (an ioctl for the timeout, a poll, the read or write), each letting go of the
    interpreter lock and taking it back, which dozens of threads contend for. Here a write is one send, a
    read after a write waits (poll) and reads, any other read reads first and waits only when nothing has
    come yet. A TLS socket goes through httpcore's stream.
    """

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner
        sock = inner.get_extra_info("socket")
        self._sock: socket.socket | None = None
        if type(sock) is socket.socket:
            sock.setblocking(False)  # (start_tls sets the socket's timeout itself)
            self._sock = sock
            self._readable, self._writable = select.poll(), select.poll()
            self._readable.register(sock, select.POLLIN)
            self._writable.register(sock, select.POLLOUT)
        self._awaiting = True  # a request was written (or none yet): the next read waits first
        self._peer: object = None

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        sock = self._sock
        if sock is None:
            return self._inner.read(max_bytes, _clip(timeout, httpcore.ReadTimeout))
        _clip(timeout, httpcore.ReadTimeout)  # the deadline passed: nothing more is read
        try:
            if self._awaiting:
                _wait(self._readable, timeout, httpcore.ReadTimeout)
                self._awaiting = False
            while True:
                try:
                    return sock.recv(max_bytes)
                except BlockingIOError:
                    _wait(self._readable, timeout, httpcore.ReadTimeout)
        except OSError as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        sock = self._sock
        if sock is None:
            self._inner.write(buffer, _clip(timeout, httpcore.WriteTimeout))
            return
        _clip(timeout, httpcore.WriteTimeout)  # the deadline passed: nothing more is written
        if not buffer:
            return
        try:
            while buffer:
                try:
                    buffer = buffer[sock.send(buffer) :]
                except BlockingIOError:
                    _wait(self._writable, timeout, httpcore.WriteTimeout)
        except OSError as exc:
            raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc
        self._awaiting = True

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _clip(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> object:
        if info == "server_addr":  # asked of every response (the address check): a connection's never changes
            if self._peer is None:
                self._peer = self._inner.get_extra_info(info)
            return self._peer
        if info == "is_readable" and self._sock is not None:  # asked before each reuse: this poller
            return self._sock.fileno() < 0 or bool(self._readable.poll(0))  # closed: as httpcore says
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's socket backend with the deadline applied (a read timeout alone is per read).

    With `max_rank`, the host is resolved here and only addresses whose class ranks at most that high
    are connected to: the check happens at connect time, on the address actually used (no DNS rebinding
    between a check and the connection).
    """

    def __init__(self, max_rank: int | None = None, classify: Classifier = address_class) -> None:
        self._inner = httpcore.SyncBackend()
        self._max_rank = max_rank
        self._classify = classify

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        clipped = _clip(timeout, httpcore.ConnectTimeout)
        if self._max_rank is None:
            return _DeadlineStream(
                self._inner.connect_tcp(host, port, clipped, local_address, socket_options)
            )
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        refused: AddressRefused | None = None
        failed: Exception | None = None
        for _family, _type, _proto, _name, sockaddr in infos:
            ip = str(sockaddr[0])
            kind = self._classify(ip)
            if RANKS.get(kind, 2) > self._max_rank:
                refused = refused or AddressRefused(host, ip, kind)
                continue
            try:
                stream = self._inner.connect_tcp(
                    ip, port, _clip(timeout, httpcore.ConnectTimeout), local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                failed = exc
                continue
            return _DeadlineStream(stream)
        if failed is not None:
            raise failed
        if refused is not None:
            raise refused
        raise httpcore.ConnectError(f"no address for {host}")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _core_proxy(proxy: httpx.Proxy) -> httpcore.Proxy:
    """httpcore's form of a proxy: credentials go in Proxy-Authorization, never in the URL."""
    url = proxy.url
    return httpcore.Proxy(
        url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
        auth=proxy.raw_auth,
        headers=proxy.headers.raw,
        # A TLS context for talking to an https:// proxy itself; a plain http:// proxy needs none.
        ssl_context=httpx.create_ssl_context() if url.scheme == "https" else None,
    )


SWEEP_EVERY = 0.5  # seconds between the pool's passes over every idle connection


class _Pool(httpcore.ConnectionPool):
    """httpcore's HTTP/1.1 pool (1.0.x) with its keep-alive faults fixed.

    1. A pass of `_assign_requests_to_connections` hands an idle connection to a queued request, but the
       connection stays IDLE until that request's thread wakes and starts on it; meanwhile any other
       thread's pass could close it as a surplus, expired or make-room idle connection (encode/httpcore#1110).
       Closed before the request started, it is merely re-queued; closed just after, the socket goes from
       under a request reading its response: "Bad file descriptor", or a read blocked until its timeout
       (Linux does not wake a poll() on a descriptor another thread closes). Here a connection that a
       request holds is never closed or handed out by another pass: only the request's thread closes it.
    2. The surplus check counted every connection instead of the idle ones (encode/httpcore#1000), so with
       more than max_keepalive_connections requests in flight every idle connection was closed at once:
       keep-alive stopped working exactly under load, and the churn widened the window of 1.
    3. A kept-alive connection the server closes while we reuse it (its idle timeout and our reuse
       crossing) fails before any byte of a response. Such a request is sent again, once, on a new
       connection, as browsers and urllib3 do for idempotent requests; the pool is used for GETs only.
    4. Its pass over every connection, twice per request under the pool's lock, cost ~0.2 ms of CPU a
       request with dozens kept: a queued request here looks only at its own origin's connections.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # ids of the requests (under the pool's lock) whose current connection was an idle one reused ...
        self._reused: set[int] = set()
        # ... and of those that must not reuse one (sent again after a reused connection failed)
        self._fresh: set[int] = set()
        self._next_sweep = 0.0  # when the next pass looks at every idle connection (has_expired)
        # the connections by origin (scheme, host, port), and each one's origin: a queued request looks
        # only at its own origin's connections
        self._groups: dict[tuple[bytes, bytes, int | None], list[ConnectionInterface]] = {}
        self._origin_of: dict[ConnectionInterface, tuple[bytes, bytes, int | None]] = {}
        self._held: set[ConnectionInterface] = set()  # the connections requests held after the last pass

    def handle_request(self, request: httpcore.Request) -> httpcore.Response:
        key = id(request)
        try:
            try:
                return super().handle_request(request)
            except (httpcore.RemoteProtocolError, httpcore.ReadError, httpcore.WriteError):
                with self._optional_thread_lock:
                    stale = key in self._reused
                    if stale:
                        self._fresh.add(key)
                if not stale:
                    raise
            return super().handle_request(request)
        finally:
            with self._optional_thread_lock:
                self._reused.discard(key)
                self._fresh.discard(key)

    def _assign_requests_to_connections(self) -> list[ConnectionInterface]:
        # Called under the pool's lock twice per request (when it is queued and when its response is
        # closed), with dozens of connections kept. A pass costs what its queued requests need: each looks
        # only at the connections to its own origin; the pass over every connection (closed ones dropped,
        # expired and surplus idle ones closed) runs on a sweep, when the idle ones could exceed the
        # keep-alive limit, or when no new connection may be made.
        # has_expired() polls an idle connection's socket (a server that hung up leaves it readable), so the
        # sweep runs at most every SWEEP_EVERY seconds; in between only the one about to be reused is
        # looked at.
        closing: list[ConnectionInterface] = []
        held: set[ConnectionInterface] = set()
        queued = []
        for pool_request in self._requests:
            if pool_request.connection is None:
                queued.append(pool_request)
            else:
                held.add(pool_request.connection)
        # a connection given back since the last pass may have closed (the response said so, its connect
        # failed): it leaves the lists now
        for connection in self._held - held:
            if connection in self._origin_of and connection.is_closed():
                self._drop(connection)
        now = time.monotonic()
        sweep = now >= self._next_sweep
        if sweep:
            self._next_sweep = now + SWEEP_EVERY
        if sweep or len(self._connections) > self._max_keepalive_connections:
            self._tidy(held, sweep, closing)
        for pool_request in queued:
            origin = pool_request.request.url.origin
            key = id(pool_request.request)
            where = (origin.scheme, origin.host, origin.port)
            group = self._groups.setdefault(where, [])
            reuse = None
            if key not in self._fresh:
                for c in tuple(group):
                    if c in held or not c.is_available():
                        if c.is_closed():
                            self._drop(c)
                        continue
                    if not sweep and c.has_expired():  # checked in this pass's sweep otherwise
                        self._drop(c)
                        closing.append(c)
                        continue
                    reuse = c
                    break
            if reuse is None and len(self._connections) >= self._max_connections:
                self._tidy(held, False, closing)  # the closed ones make room first
                if len(self._connections) >= self._max_connections:
                    spare = next((c for c in self._connections if c not in held and c.is_idle()), None)
                    if spare is None:
                        continue  # stays queued until a connection is given back
                    self._drop(spare)
                    closing.append(spare)
            if reuse is not None:
                self._reused.add(key)
                connection = reuse
            else:
                self._reused.discard(key)
                connection = self.create_connection(origin)
                self._connections.append(connection)
                group.append(connection)
                self._origin_of[connection] = where
            held.add(connection)
            pool_request.assign_to_connection(connection)
        self._held = held
        return closing

    def _tidy(self, held: set[ConnectionInterface], sweep: bool, closing: list[ConnectionInterface]) -> None:
        """The pass over every connection: closed ones dropped; on a sweep expired ones closed; idle ones
        beyond the keep-alive limit closed. A connection a request holds is never touched."""
        idle = 0
        for connection in tuple(self._connections):
            if connection in held:
                continue
            if connection.is_closed():
                self._drop(connection)
            elif sweep and connection.has_expired():
                self._drop(connection)
                closing.append(connection)
            elif connection.is_idle():
                if idle >= self._max_keepalive_connections:
                    self._drop(connection)
                    closing.append(connection)
                else:
                    idle += 1

    def _drop(self, connection: ConnectionInterface) -> None:
        """Take `connection` off the pool's lists (the caller closes it, when it is not closed yet)."""
        self._connections.remove(connection)
        self._groups[self._origin_of.pop(connection)].remove(connection)  # an origin's list stays, if empty

    def close(self) -> None:
        # httpcore's close, with this pool's lists emptied in the same step
        with self._optional_thread_lock:
            closing, self._connections = self._connections, []
            self._groups.clear()
            self._origin_of.clear()
            self._held = set()
        self._close_connections(closing)

    def create_connection(self, origin: httpcore.Origin) -> ConnectionInterface:
        # The TLS context is made on the first connection that may need it (called under the pool's
        # lock, so once): loading the CA bundle costs 20-50 ms of CPU that a run over http:// never needs.
        if self._ssl_context is None and (origin.scheme != b"http" or self._proxy is not None):
            self._ssl_context = httpx.create_ssl_context()
        return super().create_connection(origin)


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport, over the deadline-aware socket backend, optionally through an HTTP proxy."""

    def __init__(
        self,
        limits: httpx.Limits,
        proxy: httpx.Proxy | None = None,
        *,
        max_rank: int | None = None,
        classify: Classifier = address_class,
    ) -> None:
        # HTTPTransport.__init__ offers no way to pass a network backend; everything else in the
        # class only uses self._pool (httpx 0.28), so build the pool here instead. With a proxy,
        # plain http:// requests are forwarded and https:// ones tunnelled (CONNECT), all over
        # the same backend, so the deadline bounds the proxy's sockets too.
        self._pool = _Pool(
            proxy=None if proxy is None else _core_proxy(proxy),
            ssl_context=None,  # made when first needed: create_connection
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            retries=0,
            network_backend=_DeadlineBackend(max_rank, classify),
        )
