"""Keeps live routing and sessions in step with the staff records.

A subscriber of the bus: an account deactivated or given another role has its open sockets
closed at once and is taken out of routing; a queue created or changed is taught to the
router.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.contacts import events as ev
from app.contacts.center import ContactCenter
from app.contacts.hub import AgentHub
from app.contacts.presence import Presence, routing_profile
from app.db.repositories.staff import StaffRepository
from app.db.uow import UnitOfWork
from app.events import Event

log = logging.getLogger(__name__)

SESSION_REVOKED = 4403  # close code: the account changed; log in again


class StaffSync:
    # The events handled below; the bus wakes this subscriber for no others.
    WANTS = frozenset({ev.AGENT_ACCOUNT, ev.QUEUE_CHANGED})

    def __init__(
        self,
        center: ContactCenter,
        hub: AgentHub,
        presence: Presence,
        uow_factory: Callable[[], UnitOfWork],
    ) -> None:
        self.center = center
        self.hub = hub
        self.presence = presence
        self.uow_factory = uow_factory

    async def handle(self, events: list[Event]) -> None:
        for event in events:
            if event.name == ev.AGENT_ACCOUNT and event.data.get("revoke"):
                await self._revoke(int(event.data["agent_id"]), event.data.get("why", ""))
            elif event.name == ev.AGENT_ACCOUNT:
                await self._profile(int(event.data["agent_id"]))
            elif event.name == ev.QUEUE_CHANGED:
                await self._queue(event.data["name"])

    async def _revoke(self, agent_id: int, why: str) -> None:
        closed = self.hub.disconnect(agent_id, SESSION_REVOKED, f"account changed: {why}"[:120])
        await self.presence.revoke(agent_id)
        log.info("agent %s: %s; %d socket(s) closed", agent_id, why, closed)

    async def _profile(self, agent_id: int) -> None:
        """New skills, team or capacity apply to a logged-in agent's next offer."""
        record = self.center.router.store.agent(str(agent_id))
        if record is None:
            return
        async with self.uow_factory() as uow:
            agent = await StaffRepository(uow.session).get_agent(agent_id)
        if agent is None:
            return
        profile = routing_profile(agent, record.contacts_today)
        await self.center.apply(lambda now: self.center.router.update_agent(profile, now))

    async def _queue(self, name: str) -> None:
        async with self.uow_factory() as uow:
            queue = await StaffRepository(uow.session).queue_by_name(name)
        if queue is not None:
            self.center.ensure_queue(queue)
