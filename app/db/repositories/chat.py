"""All SQL of the chat channel: conversations, their sequenced messages, receipts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Integer, Table, bindparam, case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import ChatConversation, ChatMessage, Interaction

OPEN_STATUSES = ("waiting", "active")
# Receipt watermarks on a conversation: how far each side got with the other side's messages.
MARKS = ("customer_delivered_seq", "customer_read_seq", "agent_delivered_seq", "agent_read_seq")
HISTORY_LIMIT = 1000


class ChatRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- conversations -------------------------------------------------------------------
    async def add(self, conversation: ChatConversation) -> ChatConversation:
        self.session.add(conversation)
        await self.session.flush()
        return conversation

    async def get(self, conversation_id: str) -> ChatConversation | None:
        return await self.session.get(ChatConversation, conversation_id)

    async def by_contact(self, contact_id: int) -> ChatConversation | None:
        """The conversation a contact (any leg) is."""
        stmt = select(ChatConversation).where(ChatConversation.contact_id == contact_id)
        return (await self.session.execute(stmt)).scalars().first()

    async def open_conversations(self) -> list[ChatConversation]:
        stmt = select(ChatConversation).where(ChatConversation.status.in_(OPEN_STATUSES))
        return list((await self.session.execute(stmt)).scalars())

    async def open_count(
        self, *, customer_id: int | None = None, address: str | None = None
    ) -> int:
        """Open conversations of one customer or one address."""
        stmt = select(func.count()).select_from(ChatConversation)
        stmt = stmt.where(ChatConversation.status.in_(OPEN_STATUSES))
        if customer_id is not None:
            stmt = stmt.where(ChatConversation.customer_id == customer_id)
        if address is not None:
            stmt = stmt.where(ChatConversation.address == address)
        return int((await self.session.execute(stmt)).scalar_one())

    async def started_since(self, address: str, since: datetime) -> int:
        stmt = select(func.count()).select_from(ChatConversation)
        stmt = stmt.where(ChatConversation.address == address, ChatConversation.created_at >= since)
        return int((await self.session.execute(stmt)).scalar_one())

    async def update(self, conversation_id: str, **values: Any) -> None:
        stmt = (
            update(ChatConversation)
            .where(ChatConversation.id == conversation_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)

    async def raise_marks(self, conversation_id: str, **marks: int) -> None:
        """Move receipt watermarks forward only (a late, lower receipt changes nothing)."""
        values = {}
        for name, seq in marks.items():
            column = getattr(ChatConversation, name)
            values[name] = case((column < seq, seq), else_=column)
        stmt = (
            update(ChatConversation)
            .where(ChatConversation.id == conversation_id)
            .values(values)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)

    async def raise_marks_many(self, rows: list[dict[str, Any]]) -> None:
        """Receipt watermarks of many conversations in one statement (executemany): each row
        ``{"conv": id, "customer_delivered_seq": …, …}`` with all four marks; forward only."""
        if not rows:
            return
        table = cast(Table, ChatConversation.__table__)
        values = {}
        for name in MARKS:
            column = table.c[name]
            values[name] = case(
                (column < bindparam(f"m_{name}"), bindparam(f"m_{name}")), else_=column
            )
        stmt = update(table).where(table.c.id == bindparam("conv")).values(values)
        params = [{"conv": r["conv"], **{f"m_{n}": r[n] for n in MARKS}} for r in rows]
        await (await self.session.connection()).execute(stmt, params)

    # --- messages, many at once (app/chat/writer.py) -------------------------------------
    async def last_seqs(self, interactions: dict[str, int]) -> dict[str, int]:
        """Each conversation's highest message ``seq`` (0 without messages), by conversation
        id → its interaction id (the indexed key): where its in-memory counter starts."""
        stmt = (
            select(ChatMessage.interaction_id, func.max(ChatMessage.seq))
            .where(ChatMessage.interaction_id.in_(list(interactions.values())))
            .group_by(ChatMessage.interaction_id)
        )
        found = {iid: int(seq) for iid, seq in (await self.session.execute(stmt)).all()}
        return {cid: found.get(iid, 0) for cid, iid in interactions.items()}

    async def insert_messages(self, rows: list[dict[str, Any]]) -> None:
        """Many messages in one statement, their ``seq`` already given (the unique keys
        refuse a taken seq or a stored client id: the whole transaction then rolls back)."""
        if rows:
            # Core on the session's connection: the ORM's bookkeeping is not needed here.
            await (await self.session.connection()).execute(
                insert(cast(Table, ChatMessage.__table__)), rows
            )

    async def set_last_seqs(self, seqs: dict[str, int]) -> None:
        """Conversations' ``last_seq`` moved forward to the given values (executemany)."""
        if not seqs:
            return
        table = cast(Table, ChatConversation.__table__)
        new = bindparam("seq", type_=Integer)
        stmt = (
            update(table)
            .where(table.c.id == bindparam("conv"))
            .values(last_seq=case((table.c.last_seq < new, new), else_=table.c.last_seq))
        )
        params = [{"conv": c, "seq": q} for c, q in seqs.items()]
        await (await self.session.connection()).execute(stmt, params)

    # --- messages ------------------------------------------------------------------------
    async def find_message(
        self, interaction_id: int, sender: str, client_id: str
    ) -> ChatMessage | None:
        stmt = select(ChatMessage).where(
            ChatMessage.interaction_id == interaction_id,
            ChatMessage.sender == sender,
            ChatMessage.client_id == client_id,
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def next_seq(self, conversation_id: str) -> int:
        """The conversation's next sequence number, taken in this transaction: one atomic
        UPDATE … RETURNING, so two writers never get the same number, and a rollback gives
        it back (no gaps)."""
        stmt = (
            update(ChatConversation)
            .where(ChatConversation.id == conversation_id)
            .values(last_seq=ChatConversation.last_seq + 1)
            .returning(ChatConversation.last_seq)
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def add_message(self, message: ChatMessage) -> ChatMessage:
        self.session.add(message)
        await self.session.flush()
        return message

    async def messages_after(
        self, interaction_id: int, after: int, limit: int = HISTORY_LIMIT
    ) -> list[ChatMessage]:
        stmt = (
            select(ChatMessage)
            .where(ChatMessage.interaction_id == interaction_id, ChatMessage.seq > after)
            .order_by(ChatMessage.seq)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    # --- the interaction -----------------------------------------------------------------
    async def interaction(self, interaction_id: int) -> Interaction | None:
        return await self.session.get(Interaction, interaction_id)
