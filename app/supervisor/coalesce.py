"""At most one update per key (a queue, an agent) per interval, the latest state always sent.

The first change of a quiet key goes out at once (a wallboard reacts to the first caller
without a second's lag); changes within the interval after a send are held and folded into
one update sent when the interval is over (leading and trailing edge, as a throttle). The
update is built when it is sent, from the state as it is then, so nothing is ever lost, only
merged.

The clock and the timer are injected: the server uses the event loop's ``call_later``,
tests a :class:`ManualScheduler` they advance by hand (no sleeping).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable, Hashable
from typing import Protocol


class Cancellable(Protocol):
    def cancel(self) -> None: ...


class Scheduler(Protocol):
    """Time and timers: what the coalescer needs of the world."""

    def now(self) -> float: ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> Cancellable: ...


class LoopScheduler:
    """The event loop's monotonic clock and ``call_later`` (the server's scheduler)."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def call_later(self, delay: float, callback: Callable[[], None]) -> Cancellable:
        return asyncio.get_running_loop().call_later(delay, callback)


class _Timer:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualScheduler:
    """A fake clock with timers that fire only when :meth:`advance` passes them (tests)."""

    def __init__(self, start: float = 0.0) -> None:
        self.time = start
        self._heap: list[tuple[float, int, _Timer, Callable[[], None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self.time

    def call_later(self, delay: float, callback: Callable[[], None]) -> Cancellable:
        timer = _Timer()
        heapq.heappush(
            self._heap, (self.time + max(0.0, delay), next(self._order), timer, callback)
        )
        return timer

    def advance(self, seconds: float) -> None:
        """Move the clock on, firing every timer that falls due on the way, in order."""
        until = self.time + seconds
        while self._heap and self._heap[0][0] <= until:
            due, _, timer, callback = heapq.heappop(self._heap)
            self.time = max(self.time, due)
            if not timer.cancelled:
                callback()
        self.time = until

    @property
    def pending(self) -> int:
        return sum(1 for _, _, t, _ in self._heap if not t.cancelled)


class Coalescer:
    """Calls ``send(key, seq)`` at most once per ``interval`` per key; ``seq`` is the
    highest sequence number that touched the key before the send."""

    def __init__(
        self,
        interval: float,
        send: Callable[[Hashable, int], None],
        scheduler: Scheduler,
    ) -> None:
        self.interval = interval
        self.send = send
        self.scheduler = scheduler
        self._last_sent: dict[Hashable, float] = {}
        self._held: dict[Hashable, int] = {}  # key -> latest seq not yet sent
        self._timers: dict[Hashable, Cancellable] = {}

    def touch(self, key: Hashable, seq: int) -> None:
        """``key`` changed at event ``seq``: send now, or hold it for the end of the interval."""
        if key in self._held:
            self._held[key] = max(self._held[key], seq)
            return
        now = self.scheduler.now()
        last = self._last_sent.get(key)
        if last is None or now - last >= self.interval:
            self._emit(key, seq, now)
            return
        self._held[key] = seq
        self._timers[key] = self.scheduler.call_later(
            last + self.interval - now, lambda: self._due(key)
        )

    def _due(self, key: Hashable) -> None:
        self._timers.pop(key, None)
        seq = self._held.pop(key, None)
        if seq is not None:
            self._emit(key, seq, self.scheduler.now())

    def _emit(self, key: Hashable, seq: int, now: float) -> None:
        self._last_sent[key] = now
        self.send(key, seq)

    def flush(self) -> None:
        """Send everything held now (shutting down, or a new day)."""
        for key in list(self._held):
            timer = self._timers.pop(key, None)
            if timer is not None:
                timer.cancel()
            self._due(key)

    def cancel(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._held.clear()

    @property
    def held(self) -> int:
        return len(self._held)
