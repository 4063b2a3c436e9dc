from __future__ import annotations

from datetime import datetime
from typing import Any

from app.schemas import Output


class InteractionOut(Output):
    id: int
    customer_id: int
    channel: str
    direction: str
    queue: str | None
    agent_id: int | None
    agent_name: str | None = None  # the agent's display name, for colleagues reading it
    status: str
    intent: str | None
    from_address: str | None
    offered_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    wait_seconds: float | None
    handle_seconds: float | None
    end_reason: str | None
    ended_by: str | None
    disposition: str | None
    notes: str | None
    ivr_path: list[Any]
    attributes: dict[str, Any]
    transcript: list[Any]
    rating: int | None
    routing_explanation: list[Any]
    created_at: datetime
