"""What an article is remembered by: its guid and its URL, tracking noise removed."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from newscli.models import short_text_cache

# Query parameters that only say who shared a link or which campaign it came from.
_TRACKING = frozenset(
    {
        "spm",
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "from",
        "isappinstalled",
        "scene",
        "srcid",
        "chksm",
        "sharer_sharetime",
        "sharer_shareid",
        "share_token",
        "wt.mc_id",
    }
)


def normalise_url(url: str) -> str:
    """A URL as a seen key: scheme, fragment, tracking parameters, default port and trailing slash dropped."""
    return _normalised(url)


# a feed's URL scopes each of its entries' bare guids: the same one, many times
@short_text_cache(256)
def _normalised(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    host = (parts.hostname or "").lower().rstrip(".")
    if port and not (parts.scheme in ("http", "https") and port in (80, 443)):
        host = f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in _TRACKING
    ]
    path = parts.path.rstrip("/")
    return urlunsplit(("", host, path, urlencode(sorted(query)), ""))[2:]  # drop the leading "//"


def seen_keys(article_id: str | None, url: str | None, feed_url: str) -> list[str]:
    """The keys an entry is remembered by: its guid and its normalised URL.

    A guid that is a URI (tag:, urn:, http:) is global; a bare one ("123") only means
    something inside its own feed, so it is scoped by the feed's URL.
    """
    keys: list[str] = []
    for value in (article_id, url):
        if not value:
            continue
        value = value.strip()
        if value.lower().startswith(("http://", "https://")):
            key = "url:" + normalise_url(value)
        elif ":" in value:
            key = "id:" + value
        else:
            key = "id:" + normalise_url(feed_url) + " " + value
        if key not in keys:
            keys.append(key)
    return keys
