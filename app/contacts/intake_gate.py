"""The door arrivals pass through: agents' own commands first when the process is saturated.

Every arrival (HTTP, SIP, PBX, chat, IVR, callbacks, care tasks) costs a database write, a
routing call and, downstream, an offer, a screen pop, an accept, an end and a wrap-up. When
more arrive than the process can carry, everything slows alike unless something chooses; the
agents working the contacts already in the center should not wait behind new ones. So
arrivals take a slot here, and:

- at most ``concurrency`` of them are being written at once;
- while the event loop runs late (a probe that asks to wake every ``interval`` seconds wakes
  on average more than ``lag_limit`` late, or is far overdue now), one at a time, and only
  when the probe wakes: the later the loop, the fewer pass. Never none: intake always moves,
  at the pace the loop can spare, and the door opens again once the loop is back on time.
  The average (exponential, over about ``smoothing`` seconds) is what counts, not one wake:
  a busy loop that copes runs a batch of callbacks per turn and wakes the probe a few
  milliseconds late now and then (at 220 contacts/s on the benchmark's machine, one wake in
  five more than 10 ms late, the average 4-7 ms); a saturated one falls further behind with
  every turn. Shutting the door on single late wakes throttled a server that coped, and the
  bursts it let in when it opened again made the loop later still;
- arrivals from outside that can be retried (``refusable``: an HTTP POST, a SIP INVITE, a PBX
  route request) are refused with :class:`Overloaded` once ``backlog`` are already waiting.
  Those already talking to the caller (an IVR, a chat) or made by Hotline itself (a callback,
  a care task) wait whatever the backlog. A transfer's new leg, an agent's own command, does
  not pass the door at all.

Asterisk's ``maxload`` and FreeSWITCH's ``min-idle-cpu`` refuse calls past a load; this door
queues first and refuses only past the backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator

from app.errors import Unavailable


class Overloaded(Unavailable):
    """The door is full: try again in ``retry_after`` seconds (HTTP 503 with Retry-After,
    SIP 503 with Retry-After)."""

    code = "overloaded"

    def __init__(self, waiting: int, retry_after: int) -> None:
        super().__init__(
            f"the contact center is saturated: {waiting} arrivals are waiting; "
            f"try again in {retry_after} s",
            retry_after=retry_after,
        )
        self.retry_after = retry_after


class IntakeGate:
    """Slots for arrivals; see the module's docstring. ``start`` the probe inside the running
    loop (without it the gate never counts the loop as late)."""

    def __init__(
        self,
        concurrency: int = 8,
        *,
        lag_limit: float = 0.01,
        backlog: int = 500,
        interval: float = 0.01,
        smoothing: float = 0.1,
        retry_after: int = 1,
    ) -> None:
        self.concurrency = concurrency
        self.lag_limit = lag_limit
        self.backlog = backlog
        self.interval = interval
        self._weight = min(1.0, interval / smoothing)  # of each wake in the average
        self.retry_after = retry_after
        self.active = 0
        self.refused = 0
        self.late_seconds = 0.0  # time the probe found the loop late: the door half shut
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._lag = 0.0  # the probe's average lateness
        self._last_wake: float | None = None
        self._probe: asyncio.Task[None] | None = None

    # --- the probe -----------------------------------------------------------------------
    def start(self) -> asyncio.Task[None] | None:
        """Start the probe (none when ``lag_limit`` is 0: slots only); its task."""
        if self.lag_limit > 0 and self._probe is None:
            self._probe = asyncio.create_task(self._watch(), name="intake-gate-probe")
        return self._probe

    async def stop(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
            self._probe = None

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                asked = loop.time()
                await asyncio.sleep(self.interval)
                woke = loop.time()
                self.observe(woke - asked - self.interval, woke)
        finally:
            # Stopped (shutdown): no probe will wake again, so the loop no longer counts as
            # late, and whoever waits for a probe's wake goes through the slots.
            self._lag, self._last_wake = 0.0, None
            self._admit()

    def observe(self, lag: float, at: float) -> None:
        """The probe woke at ``at`` (the loop's time), ``lag`` seconds later than it asked.
        On time on average: the door opens to as many as there are slots. Late: one passes,
        if none is being written."""
        first = self._last_wake is None
        self._lag = lag if first else self._lag + self._weight * (lag - self._lag)
        self._last_wake = at
        late = self._lag > self.lag_limit
        if late:
            self.late_seconds += lag + self.interval
        self._admit(1 - self.active if late else None)

    def lagging(self) -> bool:
        """Whether the loop runs late now: the probe's average lateness is over the limit, or
        the probe is far overdue (the loop has not come round to it for several limits)."""
        if self._last_wake is None:
            return False
        if self._lag > self.lag_limit:
            return True
        overdue = asyncio.get_running_loop().time() - self._last_wake
        return overdue > self.interval + 4 * self.lag_limit

    # --- slots ---------------------------------------------------------------------------
    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def _open_slots(self) -> int:
        return 0 if self.lagging() else self.concurrency - self.active

    def stats(self) -> dict[str, float | int]:
        return {
            "active": self.active,
            "waiting": self.waiting,
            "refused": self.refused,
            "late_seconds": round(self.late_seconds, 3),
            "lag_ms": round(self._lag * 1000, 1),
        }

    @contextlib.asynccontextmanager
    async def slot(self, *, refusable: bool = False) -> AsyncIterator[None]:
        """Hold one slot for the ``with`` block; waits its turn (first come, first served)."""
        if self._waiters or self._open_slots() <= 0:
            if refusable and len(self._waiters) >= self.backlog:
                self.refused += 1
                raise Overloaded(len(self._waiters), self.retry_after)
            turn = asyncio.get_running_loop().create_future()
            self._waiters.append(turn)
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():
                    self._release()  # granted, then cancelled before it ran
                else:
                    with contextlib.suppress(ValueError):  # or _admit() dropped it already
                        self._waiters.remove(turn)
                raise
        else:
            self.active += 1
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        self.active -= 1
        self._admit()

    def _admit(self, open_slots: int | None = None) -> None:
        if open_slots is None:
            open_slots = self._open_slots()
        while self._waiters and open_slots > 0:
            turn = self._waiters.popleft()
            if turn.done():  # cancelled while it waited
                continue
            turn.set_result(None)
            self.active += 1
            open_slots -= 1
