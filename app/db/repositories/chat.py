"""All SQL of the chat channel: conversations, their sequenced messages, receipts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import ChatConversation, ChatMessage, Interaction

OPEN_STATUSES = ("waiting", "active")
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
