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
