"""Stored results of grading: each customer's value, manual overrides, grade moves, snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.types import JsonColumn, UTCDateTime, utcnow

from .base import Base


class CustomerValueRow(Base):
    """One row per graded customer; rewritten on every recompute.

    Each ``*_reason`` is a message, ``{"code", "facts"}`` (docs/customer-value.md), rendered
    in the reader's language by ``app.i18n``; rows from before migration 0005 hold
    ``{"code": "legacy", "facts": {"en": ..., "zh": ...}}`` until the next regrade.
    """

    __tablename__ = "customer_values"
    __table_args__ = (Index("ix_customer_values_churn", "churn_risk"),)

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    grade: Mapped[str] = mapped_column(String(32), index=True)
    grade_reason: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    computed_grade: Mapped[str] = mapped_column(String(32))
    rank: Mapped[int | None] = mapped_column(Integer)
    base_size: Mapped[int] = mapped_column(Integer)
    value_12m: Mapped[float] = mapped_column(Float, index=True)
    r: Mapped[int] = mapped_column(SmallInteger)
    f: Mapped[int] = mapped_column(SmallInteger)
    m: Mapped[int] = mapped_column(SmallInteger)
    rfm_reason: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    clv: Mapped[float] = mapped_column(Float)
    clv_reason: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    lifecycle: Mapped[str] = mapped_column(String(16), index=True)
    lifecycle_reason: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    churn_risk: Mapped[float] = mapped_column(Float)
    churn_reason: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GradeOverrideRow(Base):
    """A grade pinned by an account manager or supervisor, until it expires."""

    __tablename__ = "grade_overrides"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    grade: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GradeChange(Base):
    """Every change of a customer's effective grade, for movement reports."""

    __tablename__ = "grade_changes"
    __table_args__ = (Index("ix_grade_changes_customer_at", "customer_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    from_grade: Mapped[str | None] = mapped_column(String(32))
    to_grade: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class GradingSnapshot(Base):
    """The base's breakpoints from the last bulk regrade, to grade one customer in between."""

    __tablename__ = "grading_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
