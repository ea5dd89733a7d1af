"""The one place newscli talks to the network: size caps, deadlines, redirects and retries."""

from __future__ import annotations

import email.utils
import errno
import random
import socket
import ssl
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timezone
from types import TracebackType

import httpx

from newscli import __version__
from newscli.errors import (
    AddressRefused,
    DecodeError,
    FetchError,
    HTTPStatusError,
    RedirectError,
    Timeout,
    TooLarge,
    redact,
)
from newscli.models import Fetched
from newscli.net import transport as _transport
from newscli.net.decompress import Decoder, content_coding, size_text, too_large
from newscli.net.transport import RANKS, Classifier, DeadlineTransport, address_class, set_deadline

PAGE_MAX = 5 * 1024 * 1024
FEED_MAX = 10 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_USER_AGENT = f"Mozilla/5.0 (compatible; newscli/{__version__}; +https://github.com/newscli/newscli)"
DEFAULT_ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml;q=0.9,application/atom+xml;q=0.9,"
    "application/feed+json;q=0.9,application/xml;q=0.8,text/xml;q=0.8,*/*;q=0.5"
)
# Only what we can decode ourselves under a cap: never br or zstd.
ACCEPT_ENCODING = "gzip, deflate"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# A redirect's body up to this long is read (and dropped) to keep its connection; a longer one is not.
_DRAIN_MAX = 16 * 1024
_ACCEPT_ENCODING = (b"Accept-Encoding", ACCEPT_ENCODING.encode("ascii"))

_SCHEMES = ("http", "https")
# A 503 asking for a longer pause than this is reported, not retried at once.
_MAX_RETRY_PAUSE = 5.0
# 9999-12-31T23:59:59Z: keeps absurd Retry-After values representable as a float timestamp.
_FAR_FUTURE = 253402300799.0


def _seconds(value: float) -> str:
    return f"{value:g}"


def _content_length(headers: httpx.Headers) -> int | None:
    values = {v.strip() for v in headers.get_list("content-length")}
    if len(values) != 1:
        return None
    value = values.pop()
    return int(value) if value.isascii() and value.isdigit() else None


def retry_after_time(value: str | None, now: float | None = None) -> float | None:
    """A Retry-After header (seconds or HTTP date) as an absolute UNIX time; None when absent or garbage."""
    if not value:
        return None
    value = value.strip()
    now = time.time() if now is None else now
    if value.isascii() and value.isdigit():
        return min(now + min(int(value), int(_FAR_FUTURE)), _FAR_FUTURE)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


def _validator(value: str | None) -> bytes | None:
    """An ETag or Last-Modified value to send back byte for byte; a corrupt one is not sent at all."""
    if not value or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return None
    # httpx decoded it as UTF-8 (or ASCII); encoding it the same way gives back the server's bytes.
    return value.encode("utf-8")


def _basic_auth(url: httpx.URL) -> bytes | None:
    """The Authorization value for the user:password@ of `url`, or None when it has none."""
    if not url.userinfo:
        return None
    import base64

    pair = f"{url.username}:{url.password}".encode()
    return b"Basic " + base64.b64encode(pair)


def _peer(response: httpx.Response) -> str | None:
    """The IP address the response came from, when the transport tells it (not through a proxy)."""
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    try:
        addr = stream.get_extra_info("server_addr")
    except Exception:  # noqa: BLE001 - a transport that cannot say: unknown
        return None
    return str(addr[0]) if isinstance(addr, tuple) and addr else None


def _finish(response: httpx.Response) -> None:
    """Read what is left of a 304's or a short redirect's response, so that its connection is kept alive
    for the next request (closing a response unread drops its connection); a longer body is never read."""
    if response.status_code != 304:
        length = _content_length(response.headers)
        if length is None or length > _DRAIN_MAX:
            return
    try:
        for _ in response.iter_raw():
            pass
    except httpx.HTTPError:
        pass  # the connection is dropped when the response closes: nothing was lost


def _lower_headers(headers: httpx.Headers) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _network_reason(exc: httpx.HTTPError, host: str) -> str:
    """Plain words for a failed connection or read, from the OSError under httpx's wrappers."""
    prefix = "cannot connect" if isinstance(exc, httpx.ConnectError) else "network error"
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return f"cannot resolve host {host}"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS certificate rejected: {cause.verify_message}"
        if isinstance(cause, ssl.SSLError):
            return f"TLS error: {cause.reason or cause}"
        if isinstance(cause, OSError) and cause.errno is not None:
            if cause.errno == errno.ECONNREFUSED:
                return "connection refused"
            if cause.errno == errno.ECONNRESET:
                return "connection reset"
            if cause.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
                return "host unreachable"
            return f"{prefix}: {cause.strerror or cause}"
        cause = cause.__cause__ or cause.__context__
    return f"{prefix}: {exc or type(exc).__name__}"


def _checked_url(url: str, source: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FetchError(f"not a valid URL ({exc})", source=source) from exc
    if parsed.scheme not in _SCHEMES:
        raise FetchError("only http:// and https:// URLs can be fetched", source=source)
    if not parsed.host:
        raise FetchError("the URL has no host", source=source)
    return parsed


def _bypassed(target: httpx.URL, proxies: dict[str, str]) -> bool:
    """Whether NO_PROXY (as urllib reads it: names, .domains, host:port, `*`) sends `target` direct."""
    host = target.host
    if target.port is not None and ":" not in host:
        host = f"{host}:{target.port}"
    # Present since Python 3.0 but missing from typeshed's stubs.
    return bool(urllib.request.proxy_bypass_environment(host, proxies))  # type: ignore[attr-defined]


def _parsed_proxy(value: str, scheme: str, source: str) -> httpx.Proxy:
    # The setting may hold a password: no message quotes it.
    value = value.strip()
    if "://" not in value:
        value = f"http://{value}"  # curl, urllib and httpx all read "host:port" this way
    try:
        proxy = httpx.Proxy(value)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FetchError(f"the proxy set for {scheme}:// URLs is not a valid URL", source=source) from exc
    if not proxy.url.host:
        raise FetchError(f"the proxy set for {scheme}:// URLs is not a valid URL", source=source)
    if proxy.url.scheme not in _SCHEMES:
        raise FetchError(
            f"the proxy set for {scheme}:// URLs is not an http:// or https:// proxy", source=source
        )
    return proxy


@dataclass(frozen=True)
class _Route:
    """How one request leaves: the transport, the words naming the proxy, the host we connect to."""

    transport: httpx.BaseTransport
    via: str = ""
    host: str | None = None


class HttpClient:
    """A thread-safe HTTP client with hard limits: size, total time, redirects, per-host concurrency.

    Proxies come from HTTP_PROXY, HTTPS_PROXY and ALL_PROXY (any case; NO_PROXY lists hosts and
    .domains to reach directly, or `*`), read when the client is made, as urllib reads them. An
    explicit `proxy` is used for every request and the environment is then not read; `trust_env=False`
    ignores the environment. Each redirect hop picks its own route. An injected `transport` is used as is.
    """

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        user_agent: str | None = None,
        max_redirects: int = 5,
        retries: int = 2,
        max_per_host: int = 6,
        transport: httpx.BaseTransport | None = None,
        proxy: str | None = None,
        trust_env: bool = True,
        allow_private: bool = False,
        classify: Classifier = address_class,
    ) -> None:
        self.timeout = float(timeout)
        self.connect_timeout = float(connect_timeout)
        self.user_agent = user_agent or DEFAULT_USER_AGENT
        self.max_redirects = max_redirects
        self.retries = retries
        self.max_per_host = max_per_host
        # The headers every request sends, encoded once.
        self._user_agent = (b"User-Agent", self.user_agent.encode("utf-8"))
        self._accept = (b"Accept", DEFAULT_ACCEPT.encode("utf-8"))
        # Idle connections kept: as many as requests a run keeps in flight (pipeline.MAX_CONCURRENCY).
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=64)
        # The transport is used directly, not through httpx.Client: Client.send works out the next
        # request of every redirect even when not following it, and raises on Locations like
        # "javascript:..." before we can refuse them by name. Cookies are kept as a browser would,
        # so consent redirects that set a cookie and come back still work.
        self._transport = transport if transport is not None else DeadlineTransport(limits)
        self._limits = limits
        self._direct = _Route(self._transport)
        # Address policy: one direct pool per limit, so a kept-alive connection is only reused by requests
        # under the limit it was checked against when it connected. An injected transport has no policy.
        self.allow_private = allow_private
        self._classify = classify
        self._policed = transport is None
        self._limited: dict[int, _Route] = {}
        self._proxy = None if transport is not None else proxy
        env = trust_env and transport is None and proxy is None
        self._env_proxies = urllib.request.getproxies_environment() if env else {}
        # One pool per proxy setting, made on first use; keyed by the setting, credentials and all.
        self._routes: dict[str, _Route] = {}
        self._routes_lock = threading.Lock()
        self._cookies = httpx.Cookies()
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._hosts_lock = threading.Lock()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close every pooled connection."""
        self._transport.close()
        with self._routes_lock:
            routes, self._routes = list(self._routes.values()), {}
        for route in routes:
            route.transport.close()

    def address_class(self, address: str | None) -> str | None:
        """The class (public, private, loopback …) of an address a body came from; None when unknown."""
        if not address:
            return None
        try:
            return self._classify(address)
        except ValueError:
            return None

    def _direct_route(self, limit: int | None) -> _Route:
        if limit is None or not self._policed or limit >= max(RANKS.values()):
            return self._direct
        with self._routes_lock:
            route = self._limited.get(limit)
            if route is None:
                transport = DeadlineTransport(self._limits, max_rank=limit, classify=self._classify)
                route = self._limited[limit] = _Route(transport)
                self._routes[f" limit {limit}"] = route  # closed with the others
            return route

    def _route(self, target: httpx.URL, source: str, limit: int | None = None) -> _Route:
        """Direct, or through the proxy set for the target's scheme unless NO_PROXY names its host.

        Direct routes enforce `limit` (the most private address rank allowed) at connect time; through a
        proxy the proxy resolves the host, and the address policy cannot be applied."""
        setting = self._proxy
        if setting is None:
            setting = self._env_proxies.get(target.scheme) or self._env_proxies.get("all")
            if setting and _bypassed(target, self._env_proxies):
                setting = None
        if not setting:
            return self._direct_route(limit)
        with self._routes_lock:
            route = self._routes.get(setting)
            if route is None:
                proxy = _parsed_proxy(setting, target.scheme, source)
                shown = f"{proxy.url.scheme}://{proxy.url.netloc.decode('ascii')}"
                route = _Route(
                    DeadlineTransport(self._limits, proxy), f" (via proxy {shown})", proxy.url.host
                )
                self._routes[setting] = route
            return route

    def get(
        self,
        url: str,
        *,
        max_bytes: int = PAGE_MAX,
        accept: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        origin: str | None = None,
        allow_private: bool | None = None,
        deadline: float | None = None,
    ) -> Fetched:
        """Fetch `url` (following redirects) and return its decoded body; 304 comes back as status 304.

        `origin`: the class of the address the URL came from (`Fetched.address` of the page or feed that
        linked to it, classed by `address_class`); None when the user named it, which may then reach any
        address. Unless `allow_private`, no hop may connect to a more private address class than the one
        before it (a public feed's link, or a redirect from a public host, never reaches loopback, private,
        link-local, multicast or unspecified addresses): AddressRefused, checked at connect time.
        `allow_private` (None: the client's setting) lifts the policy for this request.
        `deadline` (a time.monotonic() value, e.g. the end of a run's budget) ends the request sooner
        than the client's timeout would.
        """
        current = _checked_url(url, url)
        # user:password@ in a feed URL: HTTP Basic auth for that origin only, never sent in the URL itself
        auth = _basic_auth(current)
        auth_origin = (current.scheme, current.host, current.port)
        if current.userinfo:
            current = current.copy_with(userinfo=b"")
        url = redact(url)
        allow = self.allow_private if allow_private is None else allow_private
        limit = None if origin is None or allow else RANKS.get(origin, 0)
        came_from = f"content served from a {origin} address"
        own = time.monotonic() + self.timeout
        deadline = own if deadline is None else min(own, deadline)
        headers = [
            self._user_agent,
            self._accept if accept is None else (b"Accept", accept.encode("utf-8")),
            _ACCEPT_ENCODING,
        ]
        for name, value in ((b"If-None-Match", etag), (b"If-Modified-Since", last_modified)):
            sent = _validator(value)
            if sent is not None:
                headers.append((name, sent))
        chain = [str(current)]
        route = self._route(current, url, limit)
        set_deadline(deadline)
        try:
            while True:
                hop_headers = headers
                if auth is not None and (current.scheme, current.host, current.port) == auth_origin:
                    hop_headers = [*headers, (b"Authorization", auth)]
                with self._exchange(current, hop_headers, deadline, url, route.transport) as response:
                    status = response.status_code
                    location = response.headers.get("location")
                    peer = None if route.via else _peer(response)
                    if status in REDIRECT_STATUSES and location:
                        _finish(response)
                        kind = self.address_class(peer)
                        if kind is not None and not allow:
                            # the next hop may not lead into a more private network than this one
                            limit = RANKS.get(kind, 0) if limit is None else min(limit, RANKS.get(kind, 0))
                            came_from = f"a redirect from {current.host} ({kind})"
                        current = self._redirect_target(current, location, url)
                        chain.append(str(current))
                        if len(chain) - 1 > self.max_redirects:
                            looped = len(set(chain)) < len(chain)
                            what = "redirect loop" if looped else "too many redirects"
                            raise RedirectError(f"{what} (more than {self.max_redirects})", source=url)
                        route = self._route(current, url, limit)
                        continue
                    where = "" if str(current) == url else f" at {current}"
                    if status == 304:
                        _finish(response)
                        return Fetched(
                            url=str(current),
                            content=b"",
                            headers=_lower_headers(response.headers),
                            status=304,
                            requested_url=url,
                            address=peer,
                        )
                    if status == 407:
                        where += route.via  # the proxy's own refusal, not the site's
                    if not 200 <= status < 300:
                        raise HTTPStatusError(
                            f"HTTP {status} {httpx.codes.get_reason_phrase(status)}".rstrip() + where,
                            source=url,
                            status=status,
                            retry_after=retry_after_time(response.headers.get("retry-after")),
                        )
                    content = self._read_body(response, max_bytes, deadline, url)
                    return Fetched(
                        url=str(current),
                        content=content,
                        headers=_lower_headers(response.headers),
                        status=status,
                        requested_url=url,
                        address=peer,
                    )
        except _transport.AddressRefused as exc:
            bare = exc.host.strip("[]")
            what = (
                f"{exc.address} is a {exc.kind} address"
                if bare == exc.address
                else f"{exc.host} resolves to {exc.address}, a {exc.kind} address"
            )
            hop = "" if str(current) == url else f" (redirected to {current})"
            raise AddressRefused(
                f"refused{hop}: {what}, and the URL came from {came_from}; links and redirects in content "
                "may not lead into a more private network (allow it with allow_private = true or --allow-private)",
                source=url,
                address=exc.address,
                address_class=exc.kind,
            ) from None
        except httpx.TimeoutException as exc:
            raise self._timed_out(exc, deadline, url, route.via) from exc
        except (httpx.ConnectError, httpx.ReadError, httpx.WriteError) as exc:
            reason = _network_reason(exc, route.host or current.host)
            raise FetchError(reason + route.via, source=url) from exc
        except httpx.ProxyError as exc:
            # The CONNECT for an https:// URL was answered with something other than 2xx.
            raise FetchError(f"the proxy refused the request: {exc}{route.via}", source=url) from exc
        except httpx.RemoteProtocolError as exc:
            if "without sending a response" in str(exc):
                reason = "the server closed the connection without a response"
                raise FetchError(reason + route.via, source=url) from exc
            raise FetchError(f"invalid HTTP response ({exc}){route.via}", source=url) from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"network error: {exc or type(exc).__name__}{route.via}", source=url) from exc
        finally:
            set_deadline(None)

    def _timed_out(self, exc: Exception, deadline: float, source: str, via: str = "") -> Timeout:
        if isinstance(exc, httpx.ConnectTimeout) and time.monotonic() < deadline - 0.05:
            return Timeout(
                f"connection timed out after {_seconds(self.connect_timeout)} s{via}", source=source
            )
        return Timeout(f"timed out after {_seconds(self.timeout)} s{via}", source=source)

    def _redirect_target(self, current: httpx.URL, location: str, source: str) -> httpx.URL:
        try:
            target = current.join(location.strip())
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise RedirectError(f"invalid redirect target {location[:200]!r}", source=source) from exc
        if target.scheme not in _SCHEMES or not target.host:
            raise RedirectError(f"refused redirect to {location.strip()[:200]}", source=source)
        # credentials in a Location are the server's words, not the user's: never sent
        return target.copy_with(userinfo=b"") if target.userinfo else target

    def _slot(self, host: str) -> threading.BoundedSemaphore:
        with self._hosts_lock:
            slot = self._hosts.get(host)
            if slot is None:
                slot = self._hosts[host] = threading.BoundedSemaphore(self.max_per_host)
            return slot

    @contextmanager
    def _exchange(
        self,
        target: httpx.URL,
        headers: list[tuple[bytes, bytes]],
        deadline: float,
        source: str,
        transport: httpx.BaseTransport,
    ) -> Iterator[httpx.Response]:
        """One request/response under the host's concurrency slot, with quick retries; the body stays unread."""
        slot = self._slot(target.host)
        if not slot.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise Timeout(
                f"timed out after {_seconds(self.timeout)} s (waiting for {target.host})", source=source
            )
        try:
            response = self._send(target, headers, deadline, source, transport)
            try:
                yield response
            finally:
                # Closing unread drops the connection: a redirect's or error's body is never read.
                response.close()
        finally:
            slot.release()

    def _send(
        self,
        target: httpx.URL,
        headers: list[tuple[bytes, bytes]],
        deadline: float,
        source: str,
        transport: httpx.BaseTransport,
    ) -> httpx.Response:
        attempt = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout(f"timed out after {_seconds(self.timeout)} s", source=source)
            timeout = {"connect": min(self.connect_timeout, left), "read": left, "write": left, "pool": left}
            request = httpx.Request("GET", target, headers=headers, extensions={"timeout": timeout})
            cookies = self._cookies
            if cookies.jar:  # the cookie jar's matching is costly: only when a site has set one
                cookies.set_cookie_header(request)
            try:
                response = transport.handle_request(request)
                response.request = request
                if "set-cookie" in response.headers or "set-cookie2" in response.headers:
                    cookies.extract_cookies(response)
            except httpx.ConnectError:
                if attempt >= self.retries:
                    raise
            else:
                if response.status_code != 503 or attempt >= self.retries or self._wants_long_pause(response):
                    return response
                response.close()
            attempt += 1
            time.sleep(max(0.0, min(random.uniform(0.05, 0.25), deadline - time.monotonic())))

    @staticmethod
    def _wants_long_pause(response: httpx.Response) -> bool:
        when = retry_after_time(response.headers.get("retry-after"))
        return when is not None and when - time.time() > _MAX_RETRY_PAUSE

    def _read_body(self, response: httpx.Response, max_bytes: int, deadline: float, source: str) -> bytes:
        coding = content_coding(response.headers.get("content-encoding", ""), source)
        # Compressed bytes may slightly exceed their decoded size (incompressible data); allow for that.
        raw_cap = max_bytes if coding == "identity" else max_bytes + max_bytes // 100 + 1024
        length = _content_length(response.headers)
        if length is not None and length > raw_cap:
            raise TooLarge(
                f"too large: Content-Length is {length} bytes, more than {size_text(max_bytes)}",
                source=source,
            )
        decoder = Decoder(coding, max_bytes, source, label=f"the body (Content-Encoding: {coding})")
        got = 0
        try:
            for chunk in response.iter_raw():
                got += len(chunk)
                if got > raw_cap:
                    raise too_large(max_bytes, source)
                decoder.feed(chunk)
                if time.monotonic() > deadline:
                    raise Timeout(f"timed out after {_seconds(self.timeout)} s", source=source)
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            if length is not None:
                raise DecodeError(f"truncated: got {got} of {length} bytes", source=source) from exc
            raise DecodeError(
                "truncated: the connection closed before the end of the body", source=source
            ) from exc
        return decoder.finish()
