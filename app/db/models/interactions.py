"""A contact (call or chat) and, once it ends, the interaction on the customer record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.types import JsonColumn, UTCDateTime, utcnow

from .base import Base


class Interaction(Base):
    __tablename__ = "interactions"
    __table_args__ = (
        Index("ix_interactions_customer_created", "customer_id", "created_at"),
        Index("ix_interactions_status", "status"),
        # An agent's day (contacts today, figures, callbacks) and offers since midnight.
        Index("ix_interactions_agent_answered", "agent_id", "answered_at"),
        Index("ix_interactions_offered", "offered_at"),
        # Reports read a range of answer or end times.
        Index("ix_interactions_answered", "answered_at"),
        Index("ix_interactions_ended", "ended_at"),
        # Callbacks scheduled in wrap-up and not yet made, by when they are due.
        Index("ix_interactions_callback_due", "callback_due_at"),
        UniqueConstraint("source", "external_id", name="uq_interactions_source_external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(8))
    direction: Mapped[str] = mapped_column(String(8), default="inbound")
    queue: Mapped[str | None] = mapped_column(String(64))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    intent: Mapped[str | None] = mapped_column(String(64))
    from_address: Mapped[str | None] = mapped_column(String(320))
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the wrap-up was saved (by the agent, or by the server from the draft): AHT's end.
    wrapped_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A callback scheduled in wrap-up, until it is made (app/contacts/scheduled_callbacks.py).
    callback_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    wait_seconds: Mapped[float | None] = mapped_column(Float)
    handle_seconds: Mapped[float | None] = mapped_column(Float)
    end_reason: Mapped[str | None] = mapped_column(String(16))
    ended_by: Mapped[str | None] = mapped_column(String(32))
    disposition: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)
    ivr_path: Mapped[list[Any]] = mapped_column(JsonColumn, default=list)
    attributes: Mapped[dict[str, Any]] = mapped_column(JsonColumn, default=dict)
    transcript: Mapped[list[Any]] = mapped_column(JsonColumn, default=list)
    rating: Mapped[int | None] = mapped_column(Integer)
    routing_explanation: Mapped[list[Any]] = mapped_column(JsonColumn, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Idempotent arrival: the same (source, external_id) is the same contact.
    source: Mapped[str | None] = mapped_column(String(32))
    external_id: Mapped[str | None] = mapped_column(String(100))
    # Routing facts kept so a waiting contact resumes in its place after a restart.
    language: Mapped[str | None] = mapped_column(String(16))
    priority: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    # The last live-path event the projector applied to this row (idempotent replays).
    last_event_seq: Mapped[int | None] = mapped_column(BigInteger)
