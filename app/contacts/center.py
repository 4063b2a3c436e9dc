"""The live contact center: the pure router behind one lock, the outbox, and the clock.

Under the routing lock only two things happen: the command is applied to the pure router,
and the resulting events are appended, in order, to the bus (the outbox). Writing the record,
building screen pops and sending to sockets are the subscribers' work, outside the lock, so
one slow database write or socket never holds up routing. A timer task fires offer expiries,
escalation steps and wrap-up ends.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from agents.profile import InvalidAgent
from app.contacts.events import to_events
from app.db.models import Queue
from app.errors import Conflict, DomainError, Invalid, NotFound
from app.events import Event, EventBus
from routing import (
    ContactNotWaiting,
    Decision,
    DuplicateContact,
    IllegalTransition,
    InvalidContact,
    OfferNotOpen,
    PolicyError,
    QueueConfig,
    Router,
    RoutingError,
    UnknownAgent,
    UnknownContact,
)

log = logging.getLogger(__name__)
TICK_SECONDS = 0.05

RoutingCall = Callable[[float], list[Decision]]


def domain_error(exc: Exception) -> DomainError:
    """The core's errors carry no HTTP status; the edge decides what each kind means."""
    message = str(exc)
    if isinstance(exc, UnknownContact | UnknownAgent):
        return NotFound(message)
    if isinstance(exc, IllegalTransition | DuplicateContact | OfferNotOpen | ContactNotWaiting):
        return Conflict(message)
    if isinstance(exc, InvalidContact | PolicyError | InvalidAgent | ValueError):
        return Invalid(message)
    return DomainError(message)


class LockStats:
    """How long the routing lock is held per command (the live path's critical section)."""

    def __init__(self, size: int = 20_000) -> None:
        self.samples: deque[float] = deque(maxlen=size)
        self.count = 0

    def add(self, seconds: float) -> None:
        self.samples.append(seconds)
        self.count += 1

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.samples)
        if not ordered:
            return {"count": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}

        def at(q: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)

        return {"count": self.count, "p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": at(1.0)}


class ContactCenter:
    """The router, its lock, its outbox and its clock: what every command goes through."""

    def __init__(
        self, router: Router, bus: EventBus, clock: Callable[[], float] = time.time
    ) -> None:
        self.router = router
        self.bus = bus
        self.clock = clock
        self.lock = asyncio.Lock()
        self.lock_stats = LockStats()
        self._ticker: asyncio.Task[None] | None = None

    # --- lifecycle -----------------------------------------------------------------------
    def leads(self) -> bool:
        """Whether this process does the center's background passes (scheduled callbacks,
        care rules, promise escalation): alone, always; in shared mode, the lease holder."""
        return True

    def start(self) -> None:
        self._ticker = asyncio.create_task(self._tick_forever(), name="routing-ticker")

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            try:
                await self._ticker
            except asyncio.CancelledError:
                pass
            self._ticker = None

    async def close(self) -> None:
        """After ``stop`` and the record's last write: let go of what the process shares
        (nothing here; shared mode's lease and log)."""

    def ensure_queue(self, queue: Queue) -> None:
        """Queues live in the database; the router learns them (again) when they change."""
        overflow = queue.overflow_queue
        self.router.queues[queue.name] = QueueConfig(
            name=queue.name,
            skills=tuple((s, 1) for s in queue.skills),
            sla_seconds=float(queue.sla_seconds),
            max_wait_seconds=float(queue.max_wait_seconds),
            overflow=overflow if overflow in self.router.queues or overflow is None else None,
        )

    # --- commands ------------------------------------------------------------------------
    async def apply(
        self,
        call: RoutingCall,
        *,
        ended_by: dict[str, str] | None = None,
        extra: list[tuple[str, dict[str, Any]]] | None = None,
    ) -> list[Event]:
        """Apply one routing call and append its events to the outbox, under the lock.

        Raises a DomainError, with nothing changed, when the core refuses the call.
        ``extra`` events (already built) are appended right after the call's own.
        """
        async with self.lock:
            started = time.perf_counter()
            # No garbage collection inside the critical section: a full collection over a
            # server's heap takes milliseconds, and it can as well run once the lock is free.
            collecting = gc.isenabled()
            gc.disable()
            try:
                now = self.clock()
                try:
                    decisions = call(now)
                except (RoutingError, IllegalTransition, ValueError) as exc:
                    raise domain_error(exc) from exc
                items = to_events(decisions, self.router, ended_by)
                if extra:
                    items += extra
                events = self.bus.append(items, now)
            finally:
                if collecting:
                    gc.enable()
            self.lock_stats.add(time.perf_counter() - started)
        return events

    def publish(self, items: list[tuple[str, dict[str, Any]]]) -> list[Event]:
        """Events that are not routing's (a wrap-up saved, an account changed): straight
        onto the bus. Synchronous, so its order against routing events is the call order."""
        return self.bus.append(items, self.clock())

    def cluster_status(self) -> dict[str, Any] | None:
        """Shared mode's view of this process in the cluster (None: a single process)."""
        return None

    # --- time ----------------------------------------------------------------------------
    async def tick(self) -> list[Event]:
        """Fire whatever is due now (the ticker calls this; tests with a fake clock too)."""
        due = self.router.next_deadline()
        if due is None or due > self.clock():
            return []
        return await self.apply(self.router.tick)

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # the ticker must outlive any one bad event
                log.exception("routing tick failed")
