"""All SQL about the event stream's consumers."""

from __future__ import annotations

from sqlalchemy import bindparam, insert, select, update

from app.db.models import EventCursor
from app.db.prepared import Prepared
from app.db.repositories.base import Repository
from app.db.types import utcnow

_ADVANCE = Prepared(
    update(EventCursor)
    .where(EventCursor.consumer == bindparam("consumer"))
    .values(seq=bindparam("seq"), updated_at=bindparam("at"))
    .returning(EventCursor.consumer)
)
_START = Prepared(
    insert(EventCursor).values(
        consumer=bindparam("consumer"), seq=bindparam("seq"), updated_at=bindparam("at")
    )
)


class EventCursorRepository(Repository):
    async def get(self, consumer: str) -> int:
        """The last sequence number ``consumer`` committed (0: none yet)."""
        seq = await self.session.scalar(
            select(EventCursor.seq).where(EventCursor.consumer == consumer)
        )
        return int(seq or 0)

    async def set(self, consumer: str, seq: int) -> None:
        """One UPDATE, on the driver, in the usual case (the projector calls this with every
        batch); the consumer's first time, an INSERT."""
        params = {"consumer": consumer, "seq": seq, "at": utcnow()}
        if await _ADVANCE.first(self.db, params) is None:
            await _START.many(self.db, [params])
