"""Report ranges and time buckets: 15 minutes, an hour or a day, aligned in a time zone.

Buckets follow the wall clock of the zone (a day is midnight to midnight there, 23 or 25
hours long on a daylight-saving change; a half-hour zone's hours start at :30 UTC). A bucket
is named by its start, an aware datetime in that zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "MAX_RANGE_DAYS",
    "Interval",
    "ReportRange",
    "bucket_start",
    "parse_range",
    "split",
    "zone",
]

MAX_RANGE_DAYS = 93
"""The longest range one report covers (a quarter): bounds the rows one request reads."""


class Interval(StrEnum):
    MIN15 = "15min"
    HOUR = "hour"
    DAY = "day"


class RangeError(ValueError):
    """A range or zone the reports refuse; ``field`` names the parameter at fault."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class ReportRange:
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC; exclusive
    zone: ZoneInfo


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``, or RangeError naming ``tz``."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RangeError(f"unknown time zone {name!r} (an IANA name, e.g. UTC)", "tz") from exc


def parse_range(start: datetime, end: datetime, tz: ZoneInfo) -> ReportRange:
    """[start, end) checked: both with an offset, end after start, at most MAX_RANGE_DAYS."""
    for value, field in ((start, "from"), (end, "to")):
        if value.tzinfo is None or value.utcoffset() is None:
            raise RangeError(f"{field} needs an offset, e.g. 2026-01-01T00:00:00+08:00", field)
    try:
        start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
        # Every bucket start must be expressible in the zone too (year 1 at -12:00 is not).
        start_utc.astimezone(tz), end_utc.astimezone(tz)
    except (OverflowError, ValueError) as exc:
        raise RangeError("from and to must be dates between years 1 and 9999", "from") from exc
    if end_utc <= start_utc:
        raise RangeError("to must be after from", "to")
    if end_utc - start_utc > timedelta(days=MAX_RANGE_DAYS):
        raise RangeError(
            f"a report covers at most {MAX_RANGE_DAYS} days; ask for a shorter range", "to"
        )
    return ReportRange(start_utc, end_utc, tz)


def bucket_start(at: datetime, interval: Interval, tz: ZoneInfo) -> datetime:
    """The start of the bucket holding ``at`` (aware), as a time in ``tz``."""
    local = at.astimezone(tz)
    if interval is Interval.DAY:
        # Midnight of the local day; through UTC, so a day that starts at 01:00 (a
        # daylight-saving jump at midnight) gets its real first instant.
        midnight = datetime(local.year, local.month, local.day, tzinfo=tz)
        return midnight.astimezone(UTC).astimezone(tz)
    minute = 0 if interval is Interval.HOUR else local.minute - local.minute % 15
    # replace() keeps ``fold``, so the repeated hour of an autumn change stays two buckets.
    return local.replace(minute=minute, second=0, microsecond=0)


def _next_start(start: datetime, interval: Interval, tz: ZoneInfo) -> datetime:
    """The start of the bucket after the one starting at ``start``."""
    if interval is Interval.DAY:
        # Past the longest day (25 hours), short of the next one's end: its midnight.
        return bucket_start(start + timedelta(hours=26), interval, tz)
    step = timedelta(minutes=15 if interval is Interval.MIN15 else 60)
    # In UTC: across an autumn change the wall clock repeats an hour; time does not.
    return (start.astimezone(UTC) + step).astimezone(tz)


def split(
    start: datetime, end: datetime, interval: Interval, tz: ZoneInfo
) -> list[tuple[datetime, float]]:
    """[start, end) cut at bucket boundaries: (bucket start, seconds in it) for each bucket
    the span touches — how time in a state is counted per bucket."""
    out: list[tuple[datetime, float]] = []
    at = start
    while at < end:
        bucket = bucket_start(at, interval, tz)
        stop = min(end, _next_start(bucket, interval, tz))
        out.append((bucket, (stop - at).total_seconds()))
        at = stop
    return out
