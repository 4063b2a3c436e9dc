"""Subscribers that must act once in the cluster, not once per process.

Every process sees every event (the log is applied everywhere). The record is written by the
lease holder only — the others follow its progress, so that a command waiting for the record
(:meth:`InteractionProjector.reached`) works on any process; wrap-ups left unsaved are closed
by the process holding the agent's socket (it tells the agent), or by the lease holder when
no process does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import timedelta

from redis.exceptions import RedisError

from app.contacts.hub import AgentHub
from app.contacts.intake import routing_contact, routing_customer
from app.contacts.projector import CONSUMER, InteractionProjector
from app.db.repositories.events import EventCursorRepository
from app.db.repositories.interactions import InteractionRepository
from app.db.types import utcnow
from app.db.uow import UnitOfWork
from app.errors import DomainError
from app.events import Event
from app.events.runner import Handler
from app.shared.center import SharedContactCenter
from routing import Contact

log = logging.getLogger(__name__)
FOLLOW_SECONDS = 0.02


class ProjectorGate:
    """The projector's handler in shared mode."""

    def __init__(
        self,
        center: SharedContactCenter,
        projector: InteractionProjector,
        uow: Callable[[], UnitOfWork],
    ) -> None:
        self.center = center
        self.projector = projector
        self.uow = uow
        self._leading = False

    async def handle(self, events: list[Event]) -> None:
        last = events[-1].seq
        redis, key = self.center.redis, self.center.keys.projected
        while True:
            if self.center.leader:
                if not self._leading:
                    # Taking over: the record says how far the previous holder got.
                    async with self.uow() as uow:
                        cursor = await EventCursorRepository(uow.session).get(CONSUMER)
                    self.projector.advanced(cursor)
                    self._leading = True
                todo = [e for e in events if e.seq > self.projector.committed]
                if todo:
                    await self.projector.handle(todo)
                with contextlib.suppress(RedisError):
                    await redis.set(key, last)
                return
            self._leading = False
            try:
                done = int(await redis.get(key) or 0)
            except RedisError:
                done = 0
            if done:
                self.projector.advanced(min(done, last))
            if done >= last:
                return
            await asyncio.sleep(FOLLOW_SECONDS)


def once_per_agent(center: SharedContactCenter, hub: AgentHub, handle: Handler) -> Handler:
    """``handle`` for the events of agents whose socket is here (or of agents connected
    nowhere, on the lease holder)."""

    async def gated(events: list[Event]) -> None:
        mine = [
            e
            for e in events
            if "agent_id" not in e.data
            or (e.data["agent_id"] is not None and hub.connected(int(e.data["agent_id"])))
            or center.leader
        ]
        if mine:
            await handle(mine)

    return gated


ORPHAN_SECONDS = 5.0


async def adopt_orphans_forever(
    center: SharedContactCenter,
    projector: InteractionProjector,
    uow: Callable[[], UnitOfWork],
    every: float = ORPHAN_SECONDS,
) -> None:
    """On the lease holder: a contact whose row was committed but whose arrival never reached
    the command log (its process died between the two) is routed now, keeping its start of
    wait. Only rows no routing event ever reached, older than ``every`` seconds, once the
    record has caught up with the events — so no contact routing knows is taken twice."""
    while True:
        await asyncio.sleep(every)
        if not center.leader:
            continue
        try:
            if not await projector.reached(center.bus.last_seq, timeout=every):
                continue
            before = utcnow() - timedelta(seconds=every)
            found: list[tuple[Contact, float]] = []
            async with uow() as unit:
                for i in await InteractionRepository(unit.session).never_routed(before):
                    if center.router.store.route(str(i.id)) is not None:
                        continue
                    facts = await routing_customer(unit, i.customer_id)
                    if facts is None or i.queue not in center.router.queues:
                        continue
                    found.append((routing_contact(i, facts), i.created_at.timestamp()))
            for contact, since in found:
                log.warning("shared mode: contact %s was never routed; routing it", contact.id)
                with contextlib.suppress(DomainError):
                    await center.apply(
                        lambda now, c=contact, s=since: center.router.contact_arrived(
                            c, now, waiting_since=s
                        )
                    )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("shared mode: looking for contacts never routed failed")
