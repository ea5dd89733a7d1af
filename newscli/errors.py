"""One exception hierarchy; the CLI turns it into messages and exit codes in one place."""

from __future__ import annotations

import re

# scheme://user:password@ — the password part of a URL's userinfo, wherever a URL sits in a text
_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^/@:\s]*):(?P<password>[^/@\s]+)@")


def redact(text: str) -> str:
    """`text` with the password of every URL in it replaced: http://alice:***@host/ (never shown, logged
    or stored; the URL's user name stays, so the user can tell which credentials were meant)."""
    if "@" not in text:
        return text
    return _USERINFO.sub(lambda m: f"{m['head']}:***@", text)


class NewsError(Exception):
    """Base of every error newscli reports; `kind` goes into JSON records, `exit_code` to the shell."""

    kind = "error"
    exit_code = 1

    def __init__(self, message: str, *, source: str | None = None) -> None:
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.source = redact(source) if source else source

    def __str__(self) -> str:
        return f"{self.source}: {self.message}" if self.source else self.message

    def as_record(self) -> dict[str, str]:
        return {"kind": self.kind, "message": str(self)}


class UsageError(NewsError):
    """Bad option, bad template: nothing was attempted."""

    kind = "usage"
    exit_code = 2


class ConfigError(UsageError):
    """Unreadable or invalid configuration."""

    kind = "config"


class FetchError(NewsError):
    """The source could not be fetched (network, HTTP status, size, time, file)."""

    kind = "fetch"


class TooLarge(FetchError):
    kind = "too_large"


class Timeout(FetchError):
    kind = "timeout"


class RedirectError(FetchError):
    kind = "redirect"


class AddressRefused(FetchError):
    """A URL that came from content (a link, a redirect) leads into a more private network than the content
    came from: a public feed's link to loopback, a redirect from a public host to 10.0.0.1 (Private Network
    Access). `address_class` names where it leads (loopback, private, link-local, multicast, unspecified)."""

    kind = "address_refused"

    def __init__(
        self, message: str, *, source: str | None = None, address: str = "", address_class: str = ""
    ) -> None:
        super().__init__(message, source=source)
        self.address = address
        self.address_class = address_class


class DecodeError(FetchError):
    """Content-encoding we refuse or cannot decode, or a body cut short."""

    kind = "decode"


class HTTPStatusError(FetchError):
    """A non-success HTTP status; `retry_after` is an absolute UNIX time when the server gave one."""

    kind = "http"

    def __init__(
        self, message: str, *, source: str | None = None, status: int = 0, retry_after: float | None = None
    ) -> None:
        super().__init__(message, source=source)
        self.status = status
        self.retry_after = retry_after


class NotHTML(FetchError):
    """The body is not a page we can read (binary, image, PDF)."""

    kind = "not_html"


class FeedError(NewsError):
    """The feed could not be parsed or is not a feed."""

    kind = "feed"


class NotAFeed(FeedError):
    kind = "not_a_feed"


class ExtractError(NewsError):
    """No article could be extracted from the page."""

    kind = "extract"


class SaveError(NewsError):
    """A post could not be written (disk full, not writable)."""

    kind = "save"


class StateError(NewsError):
    """The state database is unusable (corrupt, locked, not writable)."""

    kind = "state"


class AlreadyRunning(NewsError):
    """Another digest holds the lock."""

    kind = "locked"
    exit_code = 4
