"""Dates in the forms news pages and feeds write them, made timezone-aware by the zone rule of cli.md."""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newscli.errors import UsageError

CHINA = ZoneInfo("Asia/Shanghai")

# 2022-05-17 20:10:06, 2022/5/7 21:23, 2022年05月17日 20:10, 2022.05.17 with optional seconds
_NUMERIC = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d\d)\s*(?:[-/.年])\s*(?P<m>\d{1,2})\s*(?:[-/.月])\s*(?P<d>\d{1,2})(?!\d)\s*日?"
    # 2005年08月30日, 星期二 13:22: a weekday may sit between the day and the time
    r"(?:\s*[,，]?\s*(?:星期|周|礼拜)[一二三四五六日天])?"
    r"(?:\s*(?:T|\s)?\s*(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{2})(?:\s*[:：分]\s*(?P<S>\d{2}))?)?"
)
# 5月17日 20:10 (no year)
_MONTH_DAY = re.compile(
    r"(?<!\d)(?P<m>\d{1,2})月(?P<d>\d{1,2})日(?:\s*(?P<H>\d{1,2})[:：](?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)
# 7/5/2005 9:23:57 PM, 06/02/2022 - 13:48: day and month order depends on the locale
_SLASHED = re.compile(
    r"(?<![\d/])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>(?:19|20)\d\d)(?![\d/])"
    r"(?:\s*-?\s*(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?(?:\s*(?P<p>[AaPp])\.?[Mm]\.?)?)?"
)
_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")
# RFC 822 as feeds nearly always write it ("Tue, 01 Dec 2026 08:00:00 +0800"): read as email.utils reads it
_RFC822_PLAIN = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"([1-9][0-9]{3}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-][0-9]{4}|GMT)"
)
_MONTHS = {m: n for n, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
# What Python 3.10's datetime.fromisoformat does not take (3.11+ does): a fraction of other than 3 or 6
# digits, an offset without its colon
_ISO_FRACTION = re.compile(r"(?<=:\d\d)[.,](\d+)")
_ISO_OFFSET = re.compile(r"(?<=\d)([+-]\d\d)(\d\d)$")


def _fromisoformat(text: str) -> datetime:
    """datetime.fromisoformat as Python 3.11 reads the usual forms, on every supported Python."""
    text = text[:-1] + "+00:00" if text.endswith("Z") else text
    text = _ISO_FRACTION.sub(lambda m: "." + m[1][:6].ljust(6, "0"), text, count=1)
    return datetime.fromisoformat(_ISO_OFFSET.sub(r"\1:\2", text, count=1))


def _fixed_zone(offset: str) -> tzinfo | None:
    """The zone of an offset like Z, +0800 or -05:30; None when it is no real offset."""
    if offset == "Z":
        return timezone.utc
    sign = -1 if offset[0] == "-" else 1
    hours, minutes = int(offset[1:3]), int(offset[-2:])
    if hours > 23 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def local_zone() -> tzinfo:
    """The machine's local zone."""
    tz = datetime.now().astimezone().tzinfo
    return tz if tz is not None else timezone.utc


def zone(name: str) -> tzinfo:
    """A zone by IANA name or a fixed offset like +08:00; UsageError when unknown."""
    if re.fullmatch(r"[+-]\d\d:?\d\d", name):
        fixed = _fixed_zone(name)
        if fixed is None:
            raise UsageError(f"unknown time zone {name!r} (offsets run from -23:59 to +23:59)")
        return fixed
    if name.upper() in ("UTC", "Z"):
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(f"unknown time zone {name!r}") from exc


def default_zone(
    *,
    override: str | None = None,
    configured: str | None = None,
    lang: str | None = None,
    host: str | None = None,
) -> tzinfo:
    """The zone for naive dates: --tz, else the feed's or site's configured zone, else Shanghai for Chinese, else local."""
    for name in (override, configured):
        if name:
            return zone(name)
    if (lang or "").lower().startswith("zh") or (host or "").lower().rstrip(".").endswith(".cn"):
        return CHINA
    return local_zone()


def parse_date(text: str | None, tz: tzinfo, *, now: datetime | None = None) -> datetime | None:
    """Read a date in ISO 8601, RFC 822 or a Chinese form; naive dates are read in `tz`. None if no date."""
    if not text:
        return None
    text = text.strip()
    if not text:
        return None
    plain = _RFC822_PLAIN.fullmatch(text)
    if plain is not None:
        try:
            return _rfc822_plain(plain, tz)
        except ValueError:
            pass  # (31 Feb, hour 25…: read below as before)
    iso = text.replace(" ", "T", 1) if re.match(r"\d{4}-\d\d-\d\d \d", text) else text
    if re.match(r"\d{4}-\d\d-\d\d", iso):
        try:
            value = _fromisoformat(iso)
            return value if value.tzinfo else value.replace(tzinfo=tz)
        except ValueError:
            pass
    if re.match(r"(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}", text):
        try:
            from email.utils import parsedate_to_datetime  # 20 ms of email.*: only for RFC 822 dates

            value = parsedate_to_datetime(text)
            # RFC 822 "-0000" means unknown zone: parsedate gives a naive datetime then
            return value if value.tzinfo else value.replace(tzinfo=tz)
        except (TypeError, ValueError, IndexError):
            pass
    match = _NUMERIC.search(text)
    year: int | None = None
    if match:
        year = int(match["y"])
    else:
        match = _MONTH_DAY.search(text)
        if match:
            year = (now or datetime.now(tz)).year
    if not match or year is None:
        return None
    try:
        value = datetime(
            year,
            int(match["m"]),
            int(match["d"]),
            int(match["H"] or 0),
            int(match["M"] or 0),
            int(match["S"] or 0),
        )
    except ValueError:
        return None
    tail = text[match.end() :].strip()
    offset = _OFFSET.search(tail[:6]) if tail else None
    fixed = _fixed_zone(offset.group(0)) if offset else None
    return value.replace(tzinfo=fixed or tz)


def _rfc822_plain(match: re.Match[str], tz: tzinfo) -> datetime:
    """What email.utils.parsedate_to_datetime gives for a _RFC822_PLAIN date (naive: read in `tz`), without
    its general tokenising (a fifth of a feed entry's reading)."""
    day, month, year, hour, minute, second, zone_text = match.groups()
    fixed = _rfc822_zone(zone_text)
    return datetime(
        int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=fixed or tz
    )


@functools.lru_cache(maxsize=64)
def _rfc822_zone(zone_text: str) -> tzinfo | None:
    """The zone of an RFC 822 offset as email.utils reads it; None for -0000 (unknown). ValueError: beyond 24 h."""
    offset = 0 if zone_text == "GMT" else int(zone_text)
    if offset == 0 and zone_text.startswith("-"):
        return None
    sign = -1 if offset < 0 else 1
    return timezone(timedelta(seconds=sign * ((abs(offset) // 100) * 3600 + (abs(offset) % 100) * 60)))


def find_dates(text: str, tz: tzinfo, *, day_first: bool = True) -> list[tuple[int, datetime, bool]]:
    """Dates written in running text, in order: (position, aware datetime read in `tz`, whether a time was given).

    Year-first forms (2022-05-17 20:10, 2022年5月17日) and slashed day/month/year forms; `day_first` decides
    7/5/2005 (True: 7 May). Impossible dates are skipped.
    """
    found: list[tuple[int, datetime, bool]] = []
    # Neither form starts with a literal, so the engine tries both at every position of the text: not in a
    # text without the first digits of a year, nor the second without a slash (most page texts).
    if "19" not in text and "20" not in text:
        return found
    for match in _NUMERIC.finditer(text):
        value = _build(int(match["y"]), match["m"], match["d"], match["H"], match["M"], match["S"], tz)
        if value:
            found.append((match.start(), value, match["H"] is not None))
    for match in _SLASHED.finditer(text) if "/" in text else ():
        day, month = (match["a"], match["b"]) if day_first else (match["b"], match["a"])
        hour = match["H"]
        if hour is not None and match["p"]:
            hour = str(int(hour) % 12 + (12 if match["p"].lower() == "p" else 0))
        # 9/17/2004 has one reading whatever the locale: a number above 12 is the day.
        value = _build(int(match["y"]), month, day, hour, match["M"], match["S"], tz) or _build(
            int(match["y"]), day, month, hour, match["M"], match["S"], tz
        )
        if value:
            found.append((match.start(), value, hour is not None))
    return sorted(found, key=lambda item: item[0])


def _build(
    year: int, month: str, day: str, hour: str | None, minute: str | None, second: str | None, tz: tzinfo
) -> datetime | None:
    try:
        return datetime(
            year, int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), tzinfo=tz
        )
    except ValueError:
        return None


def parse_since(when: str, *, now: datetime | None = None, tz: tzinfo | None = None) -> datetime:
    """--since: a duration (`2d`, `12h`, `30m`, `1w`) back from now, or a date. UsageError otherwise."""
    now = now or datetime.now(timezone.utc)
    match = re.fullmatch(r"\s*(\d+)\s*([smhdw])\s*", when.lower())
    if match:
        seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[match[2]]
        return now - timedelta(seconds=int(match[1]) * seconds)
    value = parse_date(when, tz or local_zone())
    if value is None:
        raise UsageError(f"--since: cannot read {when!r} as a date or a duration like 2d or 12h")
    return value
