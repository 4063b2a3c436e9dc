"""All SQL about agents and queues.

Read-modify-write paths read their rows `for_update`: on PostgreSQL the row is locked until
the transaction ends, so two administrators changing one agent or queue at once take turns
and each sees the other's result. SQLite ignores FOR UPDATE and needs none: the engine has a
single pooled connection (app/db/engine.py), so transactions already run one after another.
"""

from __future__ import annotations

from sqlalchemy import select, update

from app.db.models import Agent, Queue
from app.db.prepared import Prepared, in_ids
from app.db.repositories.base import Repository

# Run on the driver (app/db/prepared.py): redirect mode answers every call from this.
_SIP_URIS = Prepared(select(Agent.id, Agent.sip_uri).where(in_ids(Agent.id)))


class StaffRepository(Repository):
    async def get_agent(self, agent_id: int, *, for_update: bool = False) -> Agent | None:
        if for_update:
            # populate_existing: an object already in the session is refreshed from the
            # locked row, not served as read before the lock.
            return await self.session.get(
                Agent, agent_id, with_for_update=True, populate_existing=True
            )
        return await self.session.get(Agent, agent_id)

    async def sip_uris(self, agent_ids: set[int]) -> dict[int, str | None]:
        """The SIP URIs of these agents, in one query (an absent agent is left out)."""
        if not agent_ids:
            return {}
        rows = await _SIP_URIS.all(self.db, {"ids": sorted(agent_ids)})
        return {agent_id: uri for agent_id, uri in rows}

    async def agent_by_username(self, username: str) -> Agent | None:
        stmt = select(Agent).where(Agent.username == username)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def agents(self, *, role: str | None = None, active_only: bool = False) -> list[Agent]:
        stmt = select(Agent).order_by(Agent.id)
        if role:
            stmt = stmt.where(Agent.role == role)
        if active_only:
            stmt = stmt.where(Agent.active.is_(True))
        return list((await self.session.execute(stmt)).scalars())

    async def lock_active_admins(self) -> list[int]:
        """Ids of the active admins, their rows locked (in id order, so two callers cannot
        deadlock) until the transaction ends: whoever demotes or deactivates an admin holds
        them, and the next one counts the admins left after that change."""
        stmt = (
            select(Agent.id)
            .where(Agent.role == "admin", Agent.active.is_(True))
            .order_by(Agent.id)
            .with_for_update()
        )
        return list((await self.session.execute(stmt)).scalars())

    async def bump_token_version(self, agent_id: int) -> int | None:
        """Revoke every token of the agent issued so far; the new version, or None when there
        is no such agent. One statement: concurrent bumps never lose one."""
        stmt = (
            update(Agent)
            .where(Agent.id == agent_id)
            .values(token_version=Agent.token_version + 1)
            .returning(Agent.token_version)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def add(self, obj: Agent | Queue) -> None:
        self.session.add(obj)
        await self.session.flush()

    async def queue_by_name(self, name: str) -> Queue | None:
        stmt = select(Queue).where(Queue.name == name)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get_queue(self, queue_id: int, *, for_update: bool = False) -> Queue | None:
        if for_update:
            return await self.session.get(
                Queue, queue_id, with_for_update=True, populate_existing=True
            )
        return await self.session.get(Queue, queue_id)

    async def queues(self) -> list[Queue]:
        return list((await self.session.execute(select(Queue).order_by(Queue.id))).scalars())
