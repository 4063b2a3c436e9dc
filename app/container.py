"""What the lifespan wires together and the entry points reach through `app.state.hotline`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.customers.valuation import Valuation
from app.db.uow import UnitOfWork
from config.settings import Settings


@dataclass
class Hotline:
    settings: Settings
    engine: AsyncEngine
    uow: Callable[[], UnitOfWork]
    valuation: Valuation
    redis: Any = None
    secret: str = ""
    extras: dict[str, Any] = field(default_factory=dict)
