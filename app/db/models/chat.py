"""Chat conversations and their messages (docs/chat.md).

A conversation is the customer's side of a chat contact: it outlives reconnects (the
customer resumes it with its id and resume token) and its first contact's interaction
anchors every message. Messages carry a per-conversation sequence number (``seq``, from 1,
no gaps) and the sender's client message id: the same (interaction, sender, client id) is
stored once, so a message sent again after a lost acknowledgement is never doubled.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.types import JsonColumn, UTCDateTime, utcnow

from .base import Base


class ChatConversation(Base):
    __tablename__ = "chat_conversations"
    __table_args__ = (
        Index("ix_chat_conversations_address_created", "address", "created_at"),
        Index("ix_chat_conversations_customer_status", "customer_id", "status"),
    )

    # Public (the contact's external id); the resume token is what proves the customer's.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    # The first contact's interaction: every message hangs on it (unique: one conversation).
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), unique=True
    )
    # The contact the conversation is now (another leg after a transfer).
    contact_id: Mapped[int | None] = mapped_column(BigInteger)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    # waiting | active | ended | offline (no agent: a message was or may be left)
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    queue: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="en")
    name: Mapped[str | None] = mapped_column(String(200))
    reach: Mapped[str | None] = mapped_column(String(320))  # e-mail or phone given
    address: Mapped[str | None] = mapped_column(String(64))  # the customer's IP
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    agent_name: Mapped[str | None] = mapped_column(String(200))
    last_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Watermarks: the other side's messages up to here reached / were read by this side.
    customer_delivered_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    customer_read_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    agent_delivered_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    agent_read_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    callback_contact_id: Mapped[int | None] = mapped_column(BigInteger)
    ended_by: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (
        UniqueConstraint("interaction_id", "seq", name="uq_chat_messages_interaction_seq"),
        UniqueConstraint(
            "interaction_id", "sender", "client_id", name="uq_chat_messages_interaction_client"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("chat_conversations.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(String(8))  # customer | agent | system
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    client_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    extra: Mapped[dict[str, object]] = mapped_column(JsonColumn, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
