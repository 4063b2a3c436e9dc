"""The event bus: an ordered log that subscribers read at their own pace.

:class:`InProcessBus` is the embedded default. ``append`` is synchronous and cheap — it is
what the command service calls while it holds the routing lock (the outbox append) — and
every subscriber then reads the new events from its own cursor, in order, in batches. A
slow subscriber never slows ``append`` or another subscriber.

Durable subscribers (the interaction projector) hold the log: events are trimmed only after
every durable subscriber has acknowledged them, so none is ever lost to them. Others
(socket notifiers) that fall further behind than ``keep`` events are told they lost their
place (:class:`Lagged`) and start again from the present, as a reconnecting client would.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from app.events.model import Event

TRIM_STEP = 256
"""Events beyond ``keep`` that the log holds before it is trimmed."""


class Lagged(Exception):
    """A non-durable subscriber fell out of the retained log; ``missed`` events are gone."""

    def __init__(self, missed: int) -> None:
        super().__init__(f"{missed} events were dropped before this subscriber read them")
        self.missed = missed


Wants = Callable[[str], bool]
"""Which events a subscriber reads, by name (None: all)."""


class Subscription:
    """One subscriber's cursor into the bus."""

    def __init__(
        self, bus: InProcessBus, name: str, durable: bool, after: int, wants: Wants | None = None
    ) -> None:
        self.bus = bus
        self.name = name
        self.durable = durable
        self.acked = after  # everything up to here is done with
        self.read = after  # everything up to here has been handed out
        self.wants = wants
        self._wanted: dict[str, bool] = {}  # ``wants`` by event name, asked once each
        self._wake = asyncio.Event()

    def wanted(self, name: str) -> bool:
        if self.wants is None:
            return True
        found = self._wanted.get(name)
        if found is None:
            found = self._wanted[name] = bool(self.wants(name))
        return found

    async def next_batch(self, limit: int = 500) -> list[Event]:
        """Wait for events after those already read that this subscriber wants; return up
        to ``limit`` of them."""
        while True:
            while self.read >= self.bus.last_seq:
                self._wake.clear()
                if self.read >= self.bus.last_seq:
                    await self._wake.wait()
            batch = self.take(limit)
            if batch:
                return batch

    def take(self, limit: int = 500) -> list[Event]:
        """What has come that this subscriber wants, up to ``limit`` events read (never
        waits; may be empty)."""
        batch = self.bus.slice(self.read, limit, self.durable)
        if not batch:
            return batch
        self.read = batch[-1].seq
        if self.wants is None:
            return batch
        mine = [e for e in batch if self.wanted(e.name)]
        if not mine:
            self.ack(self.read)  # nothing in these for it: done with them
        return mine

    def ack(self, seq: int) -> None:
        """Events up to ``seq`` are handled (durable: they may now be trimmed)."""
        if seq > self.acked:
            self.acked = seq
            self.bus.trim()

    def skip_to_end(self) -> None:
        self.read = self.acked = self.bus.last_seq

    def close(self) -> None:
        self.bus.unsubscribe(self)

    def wake(self) -> None:
        self._wake.set()


class EventBus(Protocol):
    """What the command service and the subscribers need of a bus."""

    stream: str
    last_seq: int

    def append(self, items: Iterable[tuple[str, dict[str, Any]]], at: float) -> list[Event]: ...
    def subscribe(
        self,
        name: str,
        *,
        durable: bool = False,
        after: int | None = None,
        wants: Wants | None = None,
    ) -> Subscription: ...
    def since(self, seq: int) -> list[Event] | None: ...


class InProcessBus:
    """Events in memory, for one process (the embedded default).

    Args:
        first_seq: the sequence number of the first event (continue a stream after restart).
        keep: how many already-acknowledged events stay for replays (``since``) and laggards.
    """

    def __init__(self, first_seq: int = 1, keep: int = 10_000) -> None:
        self.stream = uuid.uuid4().hex[:12]  # a reconnecting client sees it changed
        self.last_seq = first_seq - 1
        self.keep = keep
        self._log: deque[Event] = deque()
        self._subs: list[Subscription] = []

    def append(self, items: Iterable[tuple[str, dict[str, Any]]], at: float) -> list[Event]:
        """Give each item the next sequence number and append it; wake the subscribers.

        Synchronous and O(len(items)): safe to call under the routing lock.
        """
        before = self.last_seq
        out = []
        for name, data in items:
            self.last_seq += 1
            event = Event(self.last_seq, name, at, data)
            self._log.append(event)
            out.append(event)
        if out:
            for sub in self._subs:
                if sub.wants is None or any(sub.wanted(e.name) for e in out):
                    sub.wake()
                elif sub.read == before:
                    # Caught up, and none of these is for it: its cursor moves past them
                    # without waking it (a task switch per subscriber per command).
                    sub.read = sub.acked = self.last_seq
            self.trim()
        return out

    def subscribe(
        self,
        name: str,
        *,
        durable: bool = False,
        after: int | None = None,
        wants: Wants | None = None,
    ) -> Subscription:
        """A new cursor starting after ``after`` (default: now — only new events); one that
        ``wants`` only some events by name is handed and woken for those alone."""
        start = self.last_seq if after is None else after
        sub = Subscription(self, name, durable, start, wants)
        self._subs.append(sub)
        return sub

    @property
    def depth(self) -> int:
        """Events held in memory (for replays and subscribers still reading them)."""
        return len(self._log)

    def subscriptions(self) -> list[Subscription]:
        """The subscribers' cursors, for monitoring (their names and what they acked)."""
        return list(self._subs)

    def unsubscribe(self, sub: Subscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)
            self.trim()

    def since(self, seq: int) -> list[Event] | None:
        """Events after ``seq`` if the log still holds them all, else None (take a snapshot)."""
        first = self._log[0].seq if self._log else self.last_seq + 1
        if seq + 1 < first or seq > self.last_seq:
            return None
        return list(self._tail(seq, len(self._log)))

    def slice(self, after: int, limit: int, durable: bool) -> list[Event]:
        first = self._log[0].seq if self._log else self.last_seq + 1
        if after + 1 < first:
            if durable:  # cannot happen: durable cursors hold the log
                raise RuntimeError(f"durable subscriber behind the log ({after} < {first})")
            raise Lagged(first - after - 1)
        return list(self._tail(after, limit))

    def _tail(self, after: int, limit: int) -> Iterable[Event]:
        start = after + 1 - (self._log[0].seq if self._log else 0)
        log = self._log
        stop = min(len(log), start + limit)
        return (log[i] for i in range(max(start, 0), stop))

    def trim(self) -> None:
        """Drop events every durable subscriber has acknowledged, beyond the last ``keep``."""
        log = self._log
        excess = len(log) - self.keep
        if excess < min(TRIM_STEP, self.keep):
            return  # trimmed in steps: this runs with every append and acknowledgement
        floor = min((s.acked for s in self._subs if s.durable), default=self.last_seq)
        while excess > 0 and log[0].seq <= floor:
            log.popleft()
            excess -= 1
        # Non-durable laggards are not waited for: they get Lagged on their next read.
