"""All SQL about the event stream's consumers."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import EventCursor
from app.db.types import utcnow


class EventCursorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, consumer: str) -> int:
        """The last sequence number ``consumer`` committed (0: none yet)."""
        seq = await self.session.scalar(
            select(EventCursor.seq).where(EventCursor.consumer == consumer)
        )
        return int(seq or 0)

    async def set(self, consumer: str, seq: int) -> None:
        """One UPDATE in the usual case (the projector calls this with every batch)."""
        stmt = (
            update(EventCursor)
            .where(EventCursor.consumer == consumer)
            .values(seq=seq, updated_at=utcnow())
        )
        result = await self.session.execute(stmt)
        if not getattr(result, "rowcount", 0):
            self.session.add(EventCursor(consumer=consumer, seq=seq, updated_at=utcnow()))
            await self.session.flush()
