"""dates.parse_date reads the same ISO forms on every supported Python (3.10's fromisoformat is stricter)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from newscli.dates import CHINA, parse_date

EIGHT = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("2022-05-17T20:10:06+0800", datetime(2022, 5, 17, 20, 10, 6, tzinfo=EIGHT)),
        ("2022-05-17 20:10:06+08:00", datetime(2022, 5, 17, 20, 10, 6, tzinfo=EIGHT)),
        ("2022-05-17T20:10:06.1234+08:00", datetime(2022, 5, 17, 20, 10, 6, 123400, tzinfo=EIGHT)),
        ("2022-05-17T12:10:06.5Z", datetime(2022, 5, 17, 12, 10, 6, 500000, tzinfo=timezone.utc)),
        (
            "2022-05-17T20:10:06.123456789-0530",
            datetime(2022, 5, 17, 20, 10, 6, 123456, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
        ),
        ("2022年5月17日 20:10 +0800", datetime(2022, 5, 17, 20, 10, tzinfo=EIGHT)),
        ("2022-05-17 20:10", datetime(2022, 5, 17, 20, 10, tzinfo=CHINA)),
    ],
)
def test_iso_and_offsets(text: str, want: datetime) -> None:
    got = parse_date(text, CHINA)
    assert got == want and got is not None and got.utcoffset() == want.utcoffset()


def test_an_impossible_offset_is_no_offset_and_no_crash() -> None:
    # this used to recurse until RecursionError
    got = parse_date("2022-05-17 20:10 +9999", CHINA)
    assert got == datetime(2022, 5, 17, 20, 10, tzinfo=CHINA)


@pytest.mark.parametrize(
    "text",
    [
        "Tue, 01 Dec 2026 08:00:00 +0800",
        "Sun, 7 Jun 2026 23:59:59 -0530",
        "Mon, 02 Feb 2026 00:00:00 GMT",
        "Mon, 02 Feb 2026 00:00:00 +0000",
        "Wed, 31 Dec 2025 12:30:00 +1400",
        "Tue, 01 Dec 2026 08:00:00 +0099",
    ],
)
def test_rfc822_dates_read_as_email_utils_reads_them(text: str) -> None:
    from email.utils import parsedate_to_datetime

    tz = timezone(timedelta(hours=9))
    value = parse_date(text, tz)
    assert value == parsedate_to_datetime(text) and value is not None
    assert value.utcoffset() == parsedate_to_datetime(text).utcoffset()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tue, 01 Dec 2026 08:00:00 -0000", "2026-12-01T08:00:00+09:00"),  # unknown zone: read in tz
        ("Tue, 01 Dec 0099 08:00:00 +0000", "1999-12-01T08:00:00+00:00"),  # email.utils' two-digit rule
        ("Sat, 31 Feb 2026 08:00:00 +0000", None),
        ("Tue, 01 Dec 2026 24:00:00 +0000", None),
        ("Tue, 01 Dec 2026 08:00:00 +2400", None),
    ],
)
def test_rfc822_edge_dates(text: str, expected: str | None) -> None:
    value = parse_date(text, timezone(timedelta(hours=9)))
    assert (value.isoformat() if value else None) == expected
