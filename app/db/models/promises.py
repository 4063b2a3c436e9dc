"""Promises an agent made to a customer (docs/promises.md): what, due by when, who owns it."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.types import UTCDateTime, utcnow

from .base import Base

OPEN: Final = "open"
KEPT: Final = "kept"
BROKEN: Final = "broken"
STATUSES: Final = (OPEN, KEPT, BROKEN)


class Promise(Base):
    """One promise. ``escalated_at`` is set once, when the promise went past due while open
    and its owner's supervisors were told (``promise.escalated``); it is never escalated
    twice."""

    __tablename__ = "promises"
    __table_args__ = (
        Index("ix_promises_customer_status", "customer_id", "status"),
        Index("ix_promises_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
