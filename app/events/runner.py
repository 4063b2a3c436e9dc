"""Runs one subscriber: reads its batches in order and hands them to its handler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from app.events.bus import Lagged, Subscription
from app.events.model import Event

log = logging.getLogger(__name__)

Handler = Callable[[list[Event]], Awaitable[None]]


async def run_subscriber(
    sub: Subscription, handle: Handler, batch: int = 500, linger: float = 0.0
) -> None:
    """Forever: next batch, handle, acknowledge. A handler that raises is logged and the
    batch acknowledged anyway (durable handlers retry inside ``handle`` instead).

    ``linger``: after the first event, wait this long for more before handling, so that a
    subscriber that pays per batch (one transaction) pays once for many events."""
    while True:
        try:
            events = await sub.next_batch(batch)
            if linger and len(events) < batch:
                await asyncio.sleep(linger)
                events += sub.take(batch - len(events))
        except Lagged as exc:
            log.warning("subscriber %s: %s; continuing from now", sub.name, exc)
            sub.skip_to_end()
            continue
        try:
            await handle(events)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception(
                "subscriber %s failed on events %d..%d", sub.name, events[0].seq, events[-1].seq
            )
        sub.ack(events[-1].seq)


def start_subscriber(
    sub: Subscription, handle: Handler, batch: int = 500, linger: float = 0.0
) -> asyncio.Task[None]:
    return asyncio.create_task(
        run_subscriber(sub, handle, batch, linger), name=f"subscriber-{sub.name}"
    )


class Periodic:
    """A pass run every ``interval`` seconds until stopped (background work on the app's
    clock: scheduled callbacks, promise escalation). A pass that fails is logged and the
    next one runs: the database away for a while must not end the work for good."""

    def __init__(
        self,
        name: str,
        run: Callable[[], Awaitable[object]],
        interval: float,
        when: Callable[[], bool] | None = None,
    ) -> None:
        self.name = name
        self.run = run
        self.interval = interval
        # A pass runs only while ``when()`` says so (several processes: the lease holder).
        self.when = when
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._forever())

    async def _forever(self) -> None:
        while True:
            try:
                if self.when is None or self.when():
                    await self.run()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: pass failed", self.name)
            await asyncio.sleep(self.interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
