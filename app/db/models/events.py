"""Where each durable consumer of the live path's event stream has got to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.types import UTCDateTime, utcnow

from .base import Base


class EventCursor(Base):
    """The last event sequence number a consumer (the interaction projector) committed."""

    __tablename__ = "event_cursors"

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
