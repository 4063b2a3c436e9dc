"""The live contact center: the pure router behind one lock, its clock, and its effects.

Every routing event runs under the lock: the router decides, the decisions are written to the
interactions in one unit of work, and only after that commit are the messages pushed to the
agents. A timer task fires offer expiries, escalation steps and wrap-up ends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from agents.hub import AgentHub
from app.contacts.recorder import Push, Recorder
from app.db.models import Queue
from app.db.uow import UnitOfWork
from app.errors import Conflict, DomainError, Invalid, NotFound
from routing import (
    Decision,
    IllegalTransition,
    QueueConfig,
    Router,
    RoutingError,
)

log = logging.getLogger(__name__)
TICK_SECONDS = 0.1


def domain_error(exc: Exception) -> DomainError:
    """Routing's own errors carry their HTTP status; render them like every other error."""
    if isinstance(exc, IllegalTransition):
        return Conflict(str(exc))
    status = getattr(exc, "status_code", 400)
    kind = {404: NotFound, 409: Conflict, 422: Invalid}.get(status, DomainError)
    return kind(str(exc))


class ContactCenter:
    def __init__(
        self,
        router: Router,
        uow_factory: Callable[[], UnitOfWork],
        hub: AgentHub,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.router = router
        self.uow_factory = uow_factory
        self.hub = hub
        self.clock = clock
        self.lock = asyncio.Lock()
        self.ended_by: dict[str, str] = {}
        self._ticker: asyncio.Task[None] | None = None

    # --- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        self._ticker = asyncio.create_task(self._tick_forever(), name="routing-ticker")

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            try:
                await self._ticker
            except asyncio.CancelledError:
                pass

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

    # --- running events ------------------------------------------------------------------
    async def run(self, event: Callable[[float], list[Decision]]) -> list[Decision]:
        """Apply one routing event; raises a DomainError (nothing changed) when it is refused."""
        async with self.lock:
            now = self.clock()
            try:
                decisions = event(now)
            except (RoutingError, IllegalTransition, ValueError) as exc:
                raise domain_error(exc) from exc
            await self._commit_and_push(decisions, now)
            return decisions

    async def _commit_and_push(self, decisions: list[Decision], now: float) -> None:
        if not decisions:
            return
        pushes: list[Push] = []
        try:
            async with self.uow_factory() as uow:
                wrapup = self.router.settings.wrapup_seconds
                pushes = await Recorder(uow, now, wrapup, self.ended_by).record(decisions)
        except Exception:
            # Routing has moved on; the record is behind. Pushing would announce what the
            # database does not hold, so nothing is sent: offers time out and re-route.
            log.exception("could not record %d routing decisions", len(decisions))
            return
        # One batch may move an agent several times; the console needs only where it ended.
        last_state = {agent_id: i for i, (agent_id, m) in enumerate(pushes) if m["type"] == "state"}
        for i, (agent_id, message) in enumerate(pushes):
            if message["type"] == "state":
                if last_state[agent_id] != i:
                    continue
                message = self.state_message(str(agent_id)) or message
            await self.hub.send(agent_id, message)

    def state_message(self, agent_id: str) -> dict[str, Any] | None:
        record = self.router.store.agent(agent_id)
        if record is None:
            return None
        p = record.presence
        from app.contacts.messages import iso

        return {
            "type": "state",
            "state": str(p.state),
            "reason": p.reason,
            "pending_break": p.pending_break,
            "active_contacts": p.voice + p.chats,
            "wrapup_until": iso(p.wrapup_until),
            "missed_in_row": p.missed_in_row,
        }

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            try:
                due = self.router.next_deadline()
                if due is not None and due <= self.clock():
                    await self.run(self.router.tick)
            except asyncio.CancelledError:
                raise
            except Exception:  # the ticker must outlive any one bad event
                log.exception("routing tick failed")
