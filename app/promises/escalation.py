"""Promises past due escalate, once, to their owner's supervisors.

"Supervisor" (the data model has no reporting line): the active supervisors of the owner's
team (``agents.team``); when the team has none, or the promise has no owner or the owner no
team, every active supervisor. The pass runs every ``interval`` seconds on routing's clock
(tests pass a fake clock and call :meth:`PromiseEscalator.tick`) and is safe in several
processes at once: ``escalated_at`` is set by a conditional update, so each promise is
escalated by exactly one pass.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from app.db.models import Agent
from app.db.repositories.promises import PromiseRepository
from app.db.repositories.staff import StaffRepository
from app.db.uow import UnitOfWork
from app.events import names as ev
from app.events.runner import Periodic
from app.promises.service import event_data

log = logging.getLogger(__name__)

BATCH = 200  # promises escalated per pass; a backlog drains over the next passes
INTERVAL_SECONDS = 60.0


def supervisors_of(owner: Agent | None, supervisors: list[Agent]) -> list[int]:
    """Ids of the supervisors a promise of ``owner`` escalates to (see the module doc)."""
    team = owner.team if owner is not None else None
    if team:
        same = [s.id for s in supervisors if s.team == team]
        if same:
            return sorted(same)
    return sorted(s.id for s in supervisors)


class PromiseEscalator:
    """Escalates promises past due; ``after_pass`` (the supervisor feed's refresh, given the
    pass's time) runs after every pass, so the wallboard's figures that only time changes
    stay current."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Callable[[], float],
        interval: float = INTERVAL_SECONDS,
        after_pass: Callable[[float], Awaitable[None]] | None = None,
        leads: Callable[[], bool] = lambda: True,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.interval = interval
        self.leads = leads  # escalates only while it does (several processes: one of them)
        self._loop = Periodic("promise escalation", self.tick, interval)
        self.after_pass = after_pass

    async def tick(self) -> list[int]:
        """One pass: escalate every open promise past due not escalated yet; their ids."""
        at = self.clock()
        now = datetime.fromtimestamp(at, UTC)
        done: list[int] = []
        if not self.leads():
            # Another process escalates; this one's wallboards still get their refresh.
            if self.after_pass is not None:
                await self.after_pass(at)
            return done
        async with self.uow() as uow:
            repo = PromiseRepository(uow.session)
            due = await repo.due_for_escalation(now, limit=BATCH)
            if due:
                staff = StaffRepository(uow.session)
                supervisors = await staff.agents(role="supervisor", active_only=True)
                owners = {a.id: a for a in await staff.agents()}
                for promise in due:
                    if not await repo.mark_escalated(promise.id, now):
                        continue  # another process's pass, or settled meanwhile
                    owner = owners.get(promise.owner_id) if promise.owner_id else None
                    uow.emit(
                        ev.PROMISE_ESCALATED,
                        event_data(promise)
                        | {"supervisor_ids": [str(i) for i in supervisors_of(owner, supervisors)]},
                    )
                    done.append(promise.id)
        if self.after_pass is not None:
            await self.after_pass(at)
        if done:
            log.info("promises escalated: %s", done)
        return done

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
