"""All SQL about the event stream's consumers."""

from __future__ import annotations

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import EventCursor
from app.db.prepared import Prepared
from app.db.types import utcnow

_ADVANCE = Prepared(
    update(EventCursor)
    .where(EventCursor.consumer == bindparam("consumer"))
    .values(seq=bindparam("seq"), updated_at=bindparam("at"))
    .returning(EventCursor.consumer)
)


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
        """One UPDATE, on the driver, in the usual case (the projector calls this with every
        batch)."""
        params = {"consumer": consumer, "seq": seq, "at": utcnow()}
        if await _ADVANCE.first(self.session, params) is None:
            self.session.add(EventCursor(consumer=consumer, seq=seq, updated_at=params["at"]))
            await self.session.flush()
