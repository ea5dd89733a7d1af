"""When the article was published: JSON-LD and meta dates, checked against the date the page shows near it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from lxml import etree

from newscli import dates
from newscli.page.embedded import ld_str
from newscli.page.metatags import first
from newscli.page.text import Windows

# the page's XPath expressions, compiled once (doc.xpath(text) compiles its expression on every call)
_TIME_DATETIME = etree.XPath("(//body//time[@datetime])[1]/@datetime")

_DATE_LABEL = re.compile(
    r"(?:发布|發佈|发表|發表|更新|出版|时间|時間|日期|发表于|发布于|published|posted|updated|date)\s*(?:[:：]|on|于)?\s*$",
    re.I,
)


def read_date(text: str | None, tz: tzinfo) -> datetime | None:
    """`text` as a timezone-aware date (`tz` when it names none); None when it is no date."""
    try:
        return dates.parse_date(text, tz)
    except (ValueError, OverflowError):
        return None


def read_published(
    doc: Any,
    metas: dict[str, list[str]],
    article: dict[str, Any],
    windows: Windows,
    tz: tzinfo,
    lang: str | None,
) -> datetime | None:
    """When the article was published: the markup's date (as the page shows it), else the date the page shows."""
    day_first = not (lang or "").lower().startswith("en-us")
    for text in (
        ld_str(article.get("datePublished")),
        first(metas, *_DATE_KEYS),
        *_TIME_DATETIME(doc),
        ld_str(article.get("dateCreated")),
    ):
        value = read_date(text, tz)
        if value:
            shown, timed = _shown_date(windows, tz, day_first)
            if text and not re.search(r"\d:\d\d", text):
                # The markup gives the day only; the page often shows the same day with the time.
                if shown and timed and shown.date() == value.date():
                    return shown
            elif shown and timed:  # a shown day without a time says nothing of the markup's clock
                return _as_shown(value, shown)
            return value
    shown, _ = _shown_date(windows, tz, day_first)
    return shown or read_date(first(metas, "article:modified_time", "og:updated_time"), tz)


def _shown_date(windows: Windows, tz: tzinfo, day_first: bool) -> tuple[datetime | None, bool]:
    """The date the page shows near the article, and whether it shows a time of day with it."""
    for text in (
        windows.after_title,
        windows.header[:800],
        windows.before,
        windows.body_tail + "\n" + windows.after_body,
    ):
        value, timed = _visible_date(text, tz, day_first)
        if value:
            return value, timed
    return None, False


def _as_shown(value: datetime, shown: datetime) -> datetime:
    """`value` in the offset of the wall-clock time the page shows for the same moment (12:48Z shown as 13:48)."""
    delta = shown.replace(tzinfo=None) - value.astimezone(timezone.utc).replace(tzinfo=None)
    minutes = round(delta.total_seconds() / 60)
    if (
        abs(delta.total_seconds() - minutes * 60) >= 60
        or minutes % 15
        or abs(minutes) > 14 * 60
        or value.utcoffset() == timedelta(minutes=minutes)
    ):
        return value
    return value.astimezone(timezone(timedelta(minutes=minutes)))


_DATE_KEYS = (
    "article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "date",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "dcterms.date",
    "sailthru.date",
    "parsely-pub-date",
    "og:published_time",
    "publish-date",
    "article.published",
)


def _visible_date(text: str, tz: tzinfo, day_first: bool) -> tuple[datetime | None, bool]:
    """The date a page shows for its article: the first labelled one (发布时间：), else the first; with its time."""
    latest = datetime.now(tz) + timedelta(days=2)
    found = [
        (pos, value, timed)
        for pos, value, timed in dates.find_dates(text, tz, day_first=day_first)
        if 1990 <= value.year and value <= latest
    ]
    if not found:
        return None, False
    labelled = [f for f in found if _DATE_LABEL.search(text[max(0, f[0] - 12) : f[0]])]
    chosen = (labelled or found)[0]
    if not chosen[2]:
        # A bare day near the headline, and the same day with a time a little further on: the time is wanted.
        for _pos, value, timed in found:
            if timed and value.date() == chosen[1].date():
                return value, True
    return chosen[1], chosen[2]
