"""Agents' state history: one row per change of an agent's state, as the live path's events
reported it (written by the record projector, app/contacts/projector.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.types import UTCDateTime

from .base import Base


class AgentStateRow(Base):
    """From ``at`` the agent was in ``state`` (with ``reason`` for a break), until the next
    row of the same agent."""

    __tablename__ = "agent_states"
    __table_args__ = (
        Index("ix_agent_states_agent_at", "agent_id", "at"),
        Index("ix_agent_states_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    event_seq: Mapped[int] = mapped_column(BigInteger)
