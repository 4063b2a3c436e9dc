"""Event-loop lag: how late the loop runs a task that asked to wake up now.

Everything in a Hotline process shares one event loop; a blocking call or a burst of work
delays every socket, timer and command. A small task sleeps ``interval`` seconds again and
again and measures how much later than asked it woke: that delay is the lag, kept as the last
value, the worst, and a histogram that Prometheus reads (app/api/prometheus.py).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
from collections.abc import Awaitable, Callable

# Histogram bucket upper bounds, seconds (Prometheus's defaults, finer at the low end).
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class LoopLagMonitor:
    """Measures scheduling delay every ``interval`` seconds. ``clock`` and ``sleep`` are the
    loop's unless given (tests pass fakes)."""

    def __init__(
        self,
        interval: float = 0.25,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[object]] | None = None,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep or asyncio.sleep
        self.last = 0.0
        self.worst = 0.0
        self.count = 0
        self.total = 0.0
        self.buckets = [0] * len(BUCKETS)  # non-cumulative counts per bucket; +Inf is count
        self._task: asyncio.Task[None] | None = None

    def observe(self, lag: float) -> None:
        self.last = lag
        self.worst = max(self.worst, lag)
        self.count += 1
        self.total += lag
        i = bisect.bisect_left(BUCKETS, lag)
        if i < len(BUCKETS):
            self.buckets[i] += 1

    def cumulative(self) -> list[tuple[str, int]]:
        """(upper bound, samples at or under it), Prometheus style, ending with +Inf."""
        out, running = [], 0
        for bound, n in zip(BUCKETS, self.buckets, strict=True):
            running += n
            out.append((repr(bound), running))
        out.append(("+Inf", self.count))
        return out

    async def run(self) -> None:
        clock = self._clock or asyncio.get_running_loop().time
        while True:
            asked = clock()
            await self._sleep(self.interval)
            self.observe(max(0.0, clock() - asked - self.interval))

    def start(self) -> asyncio.Task[None]:
        self._task = asyncio.create_task(self.run(), name="loop-lag-monitor")
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
