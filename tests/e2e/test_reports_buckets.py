"""Report buckets on the wall clock of a zone (app/reports/buckets.py): daylight-saving days
of 23 and 25 hours, the repeated autumn hour, half-hour zones, and the range checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.reports.buckets import Interval, RangeError, bucket_start, parse_range

BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_spring_day_has_23_hours_and_an_autumn_day_25() -> None:
    # 2026-03-29: Berlin jumps from 02:00 CET to 03:00 CEST.
    start = bucket_start(utc(2026, 3, 29, 20), Interval.DAY, BERLIN)
    nxt = bucket_start(utc(2026, 3, 30, 1), Interval.DAY, BERLIN)
    assert start.isoformat() == "2026-03-29T00:00:00+01:00"
    assert nxt.isoformat() == "2026-03-30T00:00:00+02:00"
    assert nxt.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)
    # 2026-10-25: back from 03:00 CEST to 02:00 CET.
    day = bucket_start(utc(2026, 10, 25, 12), Interval.DAY, BERLIN)
    after = bucket_start(utc(2026, 10, 26, 12), Interval.DAY, BERLIN)
    assert after.astimezone(UTC) - day.astimezone(UTC) == timedelta(hours=25)


def test_the_repeated_autumn_hour_is_two_buckets() -> None:
    first = bucket_start(utc(2026, 10, 25, 0, 30), Interval.HOUR, BERLIN)  # 02:30 CEST
    second = bucket_start(utc(2026, 10, 25, 1, 30), Interval.HOUR, BERLIN)  # 02:30 CET
    assert first.isoformat() == "2026-10-25T02:00:00+02:00"
    assert second.isoformat() == "2026-10-25T02:00:00+01:00"
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)


def test_quarter_hours_and_half_hour_zones() -> None:
    kolkata = ZoneInfo("Asia/Kolkata")  # UTC+05:30
    at = utc(2026, 1, 1, 4, 44, 59)  # 10:14:59 there
    assert bucket_start(at, Interval.MIN15, kolkata).isoformat() == "2026-01-01T10:00:00+05:30"
    assert bucket_start(at, Interval.HOUR, kolkata).astimezone(UTC) == utc(2026, 1, 1, 4, 30)
    assert bucket_start(utc(2026, 1, 1, 4, 45), Interval.MIN15, kolkata).minute == 15


@pytest.mark.parametrize(
    ("start", "end", "field", "words"),
    [
        (utc(2026, 1, 2), utc(2026, 1, 1), "to", "after from"),
        (utc(2026, 1, 1), utc(2026, 4, 4, 0, 0, 1), "to", "at most 93 days"),
        (datetime(2026, 1, 1), utc(2026, 1, 2), "from", "offset"),
        (utc(2026, 1, 1), datetime(2026, 1, 2), "to", "offset"),
    ],
)
def test_ranges_refused(start: datetime, end: datetime, field: str, words: str) -> None:
    with pytest.raises(RangeError) as err:
        parse_range(start, end, BERLIN)
    assert err.value.field == field and words in str(err.value)


def test_a_range_of_93_days_exactly_is_taken_in_utc() -> None:
    span = parse_range(datetime.fromisoformat("2026-01-01T08:00:00+08:00"), utc(2026, 4, 4), BERLIN)
    assert span.start == utc(2026, 1, 1) and span.start.tzinfo is UTC
