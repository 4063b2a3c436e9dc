"""Today through the day, per queue: the wallboard's charts (docs/supervisor.md, "Charts").

The day is cut into buckets (15 minutes); per queue the feed keeps, for each bucket, the most
contacts that waited at once — a peak, not a sample, so a burst between two updates still
shows. The service level of each bucket is not kept here: the floor computes it from today's
outcomes (those answered or abandoned in the bucket), so it cannot disagree with the day's.

Pure: the floor hands it the events' times and the waiting counts.
"""

from __future__ import annotations

from collections.abc import Iterable

BUCKET_SECONDS = 900.0
DAY_HOURS = 25  # the longest day (a clock change): the buckets stop there


class WaitPeaks:
    """Per queue and bucket of the day, the most contacts waiting at once."""

    def __init__(self, day_start: float = 0.0, bucket: float = BUCKET_SECONDS) -> None:
        self.day_start = day_start
        self.bucket = bucket
        self.peaks: dict[str, list[int]] = {}
        self.level: dict[str, int] = {}  # waiting now, carried into the buckets that follow
        self.last = int(DAY_HOURS * 3600 // bucket) - 1

    def index(self, at: float) -> int:
        """The bucket ``at`` falls in (before the day's start: the first; the last one
        takes anything past it, should midnight be late)."""
        return min(self.last, max(0, int((at - self.day_start) // self.bucket)))

    def observe(self, queue: str, at: float, count: int) -> None:
        """``count`` contacts wait in ``queue`` from ``at`` on."""
        peaks = self.peaks.setdefault(queue, [])
        b = self.index(at)
        self._fill(queue, peaks, b)
        peaks[b] = max(peaks[b], count)
        self.level[queue] = count

    def _fill(self, queue: str, peaks: list[int], upto: int) -> None:
        # Buckets nothing happened in had the level the last change left.
        level = self.level.get(queue, 0)
        while len(peaks) <= upto:
            peaks.append(level)

    def seed(self, waits: Iterable[tuple[str, float, float | None]], now: float) -> None:
        """Rebuild the peaks from the waits of today's contacts — (queue, from, until; None:
        still waiting) — by a sweep over their starts and ends."""
        self.peaks, self.level = {}, {}
        marks: dict[str, list[tuple[float, int]]] = {}
        for queue, start, end in waits:
            start = min(max(start, self.day_start), now)
            if end is not None and (end < self.day_start or end < start):
                continue
            q = marks.setdefault(queue, [])
            q.append((start, 1))
            if end is not None:  # one still waiting stays in the level
                q.append((end, -1))
        for queue, items in marks.items():
            items.sort(key=lambda m: (m[0], m[1]))  # an end before a start at the same time
            count = 0
            for at, step in items:
                count += step
                self.observe(queue, at, count)

    def new_day(self, day_start: float) -> None:
        """Midnight: the buckets start again; whoever waits still waits."""
        self.day_start = day_start
        self.peaks = {}
        for queue, level in self.level.items():
            self.peaks[queue] = [level]

    def view(self, queue: str, now: float) -> list[int]:
        """The peaks of every bucket from the day's start up to ``now``'s."""
        peaks = list(self.peaks.get(queue, []))
        upto = self.index(now)
        level = self.level.get(queue, 0)
        while len(peaks) <= upto:
            peaks.append(level)
        return peaks[: upto + 1]
