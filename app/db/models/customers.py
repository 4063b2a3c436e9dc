"""The customer record, its identities (phones, e-mails) and purchase history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.types import JsonColumn, UTCDateTime, utcnow

from .base import Base


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    language: Mapped[str] = mapped_column(String(16), default="zh")
    company: Mapped[str | None] = mapped_column(String(200))
    account_manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL")
    )
    is_prospect: Mapped[bool] = mapped_column(Boolean, default=False)
    do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    # Per-channel opt-outs (docs/promises.md): no outbound call / no outbound message
    # (chat, SMS, e-mail) to this customer; inbound contacts are still answered.
    do_not_call: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    do_not_message: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    consent_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_recording: Mapped[bool] = mapped_column(Boolean, default=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JsonColumn, default=dict)
    # Bumped by every change to the record (fields, identities, grade override): the
    # compare-and-set of CustomerRepository.claim, and what a client names to edit safely.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    identities: Mapped[list[CustomerIdentity]] = relationship(
        back_populates="customer", lazy="raise", cascade="all, delete-orphan"
    )


class CustomerIdentity(Base):
    """A phone (E.164) or e-mail (lower-cased) that identifies exactly one customer."""

    __tablename__ = "customer_identities"
    __table_args__ = (
        UniqueConstraint("kind", "value", name="uq_customer_identities_kind_value"),
        # A customer's identities of one kind, in order: "the first phone" of a customer is
        # the first entry here. With only (customer_id), SQLite (and PostgreSQL before it has
        # statistics) took min(value) from the unique index instead, reading every phone.
        Index("ix_customer_identities_customer_kind", "customer_id", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[str] = mapped_column(String(320))

    customer: Mapped[Customer] = relationship(back_populates="identities", lazy="raise")


class Transaction(Base):
    __tablename__ = "transactions"
    __table_args__ = (Index("ix_transactions_customer_at", "customer_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    margin: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reference: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
