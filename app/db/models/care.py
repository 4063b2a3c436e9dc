"""Care and win-back tasks (docs/care.md): one row per customer, rule and occasion."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.types import JsonColumn, UTCDateTime, utcnow

from .base import Base

HELD = "held"  # made, not yet released into routing (discipline, or not looked at yet)
RELEASED = "released"  # a contact (channel task) now: waiting, offered or worked
DONE = "done"  # wrapped up with an outcome
WON_BACK = "won_back"  # result: the customer is coming back (grading reads it)


class CareTask(Base):
    """A task a care rule made. ``(customer_id, rule, occasion)`` is the rule's idempotency
    key; ``hold`` is the message saying why it waits (``{"code", "facts"}``), or null."""

    __tablename__ = "care_tasks"
    __table_args__ = (
        UniqueConstraint("customer_id", "rule", "occasion", name="uq_care_tasks_occasion"),
        Index("ix_care_tasks_status", "status"),
        Index("ix_care_tasks_interaction", "interaction_id"),
        Index("ix_care_tasks_customer_result", "customer_id", "result"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(48))
    occasion: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16))
    via: Mapped[str] = mapped_column(String(16))
    queue: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    skill: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    facts: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    status: Mapped[str] = mapped_column(String(16), default=HELD)
    hold: Mapped[dict[str, Any] | None] = mapped_column(JsonColumn)
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL")
    )
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JsonColumn)
    # The outcome in one word, for grading to read: won_back, not_won_back, satisfied,
    # unsatisfied, unreached, done (reached, nothing more to say), unrecorded.
    result: Mapped[str | None] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
