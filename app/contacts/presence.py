"""Agents coming and going on /ws/agent: log in to routing, grace on a dropped connection."""

from __future__ import annotations

import asyncio
import logging

from agents.profile import Agent as RoutingAgent
from app.contacts.center import ContactCenter
from app.contacts.hub import AgentHub
from app.db.models import Agent
from app.errors import Conflict
from routing import AgentState

log = logging.getLogger(__name__)
CONNECTION_LOST = "connection lost"
NOT_READY = "not_ready"
ACCOUNT_CHANGED = "account changed"


def routing_profile(agent: Agent, contacts_today: int = 0) -> RoutingAgent:
    return RoutingAgent(
        id=str(agent.id),
        name=agent.display_name,
        skills=dict(agent.skills),
        languages=frozenset(agent.languages),
        team=agent.team,
        senior=agent.senior,
        chat_capacity=max(agent.chat_capacity, 0),
        contacts_today=contacts_today,
    )


class Presence:
    """Keeps routing's view of an agent in step with their console connection."""

    def __init__(self, center: ContactCenter, hub: AgentHub, grace_seconds: float) -> None:
        self.center = center
        self.hub = hub
        self.grace_seconds = grace_seconds
        self._away: dict[str, str] = {}  # agent id -> what they were before the drop
        self._grace: dict[str, asyncio.Task[None]] = {}

    def _presence(self, agent_id: str):  # type: ignore[no-untyped-def]
        record = self.center.router.store.agent(agent_id)
        return None if record is None else record.presence

    async def connected(self, agent: Agent, contacts_today: int = 0) -> None:
        """First connection of the day: logged in but not ready; after a drop: as before.

        ``contacts_today`` comes from the record, so the count survives a reconnect and a
        restart (selection uses it as its last tie-breaker)."""
        aid = str(agent.id)
        router = self.center.router
        task = self._grace.pop(aid, None)
        if task is not None:
            task.cancel()
        p = self._presence(aid)
        record = router.store.agent(aid)
        if record is not None:
            contacts_today = max(contacts_today, record.contacts_today)
        profile = routing_profile(agent, contacts_today)
        if p is None or not p.logged_in:
            # Straight onto the "not ready" break: no offer flashes up and is withdrawn.
            await self.center.apply(lambda now: router.agent_login(profile, now, NOT_READY))
            return
        await self.center.apply(lambda now: router.update_agent(profile, now))
        before = self._away.pop(aid, None)
        lost = p.break_reason == CONNECTION_LOST or p.pending_break == CONNECTION_LOST
        if before is not None and lost:
            await self.center.apply(
                lambda now: router.set_agent_state(aid, AgentState.AVAILABLE, now)
            )

    async def set_state(self, agent: Agent, state: str, reason: str | None) -> None:
        aid = str(agent.id)
        router = self.center.router
        p = self._presence(aid)
        if state == "available" and (p is None or not p.logged_in):
            profile = routing_profile(agent)
            await self.center.apply(lambda now: router.agent_login(profile, now))
            return
        if p is None:
            raise Conflict("connect to /ws/agent before changing state")
        await self.center.apply(lambda now: router.set_agent_state(aid, state, now, reason))

    async def disconnected(self, agent_id: int) -> None:
        """The last socket closed: no new offers; the open one goes to someone else."""
        aid = str(agent_id)
        p = self._presence(aid)
        if p is None or not p.logged_in:
            return
        if p.break_reason is None and p.pending_break is None:
            self._away[aid] = str(p.state)
            await self.center.apply(
                lambda now: self.center.router.set_agent_state(
                    aid, AgentState.BREAK, now, CONNECTION_LOST
                )
            )
        self._grace[aid] = asyncio.create_task(self._log_out_later(agent_id))

    async def _log_out_later(self, agent_id: int) -> None:
        await asyncio.sleep(self.grace_seconds)
        aid = str(agent_id)
        self._grace.pop(aid, None)
        if self.hub.connected(agent_id):
            return
        try:
            await self.center.apply(
                lambda now: self.center.router.set_agent_state(aid, AgentState.OFFLINE, now)
            )
            self._away.pop(aid, None)
        except Conflict:
            # Still on a live contact: stays on "connection lost" until it ends or they return.
            log.info("agent %s: grace over while busy; kept until the contact ends", aid)

    async def revoke(self, agent_id: int) -> None:
        """The account was deactivated or its role changed: out of routing now. An offer is
        withdrawn; a contact in hand stays until it ends, with no new offers after it."""
        aid = str(agent_id)
        task = self._grace.pop(aid, None)
        if task is not None:
            task.cancel()
        self._away.pop(aid, None)
        p = self._presence(aid)
        if p is None or not p.logged_in:
            return
        router = self.center.router
        try:
            await self.center.apply(
                lambda now: router.set_agent_state(aid, AgentState.OFFLINE, now)
            )
        except Conflict:
            await self.center.apply(
                lambda now: router.set_agent_state(aid, AgentState.BREAK, now, ACCOUNT_CHANGED)
            )

    async def stop(self) -> None:
        for task in self._grace.values():
            task.cancel()
