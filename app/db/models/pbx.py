"""A PBX that keeps the media (Asterisk, FreeSWITCH) talking to Hotline: its API keys, the
calls it reported, and the ids of the events it delivered (so a replayed batch changes
nothing). docs/telephony.md, "PBX events"."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.types import UTCDateTime, utcnow

from .base import Base


class PbxKey(Base):
    """An API key an admin issued to a PBX. Only its SHA-256 is kept: the key is shown once,
    at creation. A revoked key stays listed (who issued and revoked it, when)."""

    __tablename__ = "pbx_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    # Enough of the key to recognise it in a list ("hpk_Ab12Cd34"), never enough to use it.
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))


class PbxCall(Base):
    """A call a PBX holds, as far as Hotline knows it: what the PBX reported (offered, DTMF,
    answered, hang-up) and the contact its route request made (the current leg after a
    transfer)."""

    __tablename__ = "pbx_calls"

    call_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL"), index=True
    )
    from_number: Mapped[str | None] = mapped_column(String(64))
    dialled: Mapped[str | None] = mapped_column(String(64))
    queue: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    digits: Mapped[str] = mapped_column(String(64), default="", server_default="")
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(255))
    transferred_to: Mapped[str | None] = mapped_column(String(255))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hangup_cause: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PbxEvent(Base):
    """An event a PBX delivered and Hotline applied, by the PBX's event id: a replay of it is
    answered ``duplicate`` with the outcome recorded here, and changes nothing."""

    __tablename__ = "pbx_events"
    __table_args__ = (Index("ix_pbx_events_call", "call_id"),)

    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    call_id: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(32))
    contact_id: Mapped[int | None] = mapped_column(BigInteger)
    key_id: Mapped[int | None] = mapped_column(ForeignKey("pbx_keys.id", ondelete="SET NULL"))
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
