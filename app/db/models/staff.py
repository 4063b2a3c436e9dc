"""Agents (people who log in: agents, supervisors, admins) and queues."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.types import JsonColumn, UTCDateTime, utcnow

from .base import Base


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default="agent")
    skills: Mapped[dict[str, int]] = mapped_column(JsonColumn, default=dict)
    languages: Mapped[list[str]] = mapped_column(JsonColumn, default=list)
    team: Mapped[str | None] = mapped_column(String(64))
    senior: Mapped[bool] = mapped_column(Boolean, default=False)
    chat_capacity: Mapped[int] = mapped_column(Integer, default=3)
    sip_uri: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Tokens carry the version they were issued at; bumping it revokes every older token.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Queue(Base):
    __tablename__ = "queues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    skills: Mapped[list[str]] = mapped_column(JsonColumn, default=list)
    sla_seconds: Mapped[int] = mapped_column(Integer, default=20)
    max_wait_seconds: Mapped[int] = mapped_column(Integer, default=600)
    overflow_queue: Mapped[str | None] = mapped_column(String(64))
    attributes: Mapped[dict[str, Any]] = mapped_column(JsonColumn, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
