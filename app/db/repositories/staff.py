"""All SQL about agents and queues."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Agent, Queue


class StaffRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_agent(self, agent_id: int) -> Agent | None:
        return await self.session.get(Agent, agent_id)

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

    async def add(self, obj: Agent | Queue) -> None:
        self.session.add(obj)
        await self.session.flush()

    async def queue_by_name(self, name: str) -> Queue | None:
        stmt = select(Queue).where(Queue.name == name)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get_queue(self, queue_id: int) -> Queue | None:
        return await self.session.get(Queue, queue_id)

    async def queues(self) -> list[Queue]:
        return list((await self.session.execute(select(Queue).order_by(Queue.id))).scalars())
