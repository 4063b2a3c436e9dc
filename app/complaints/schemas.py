from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from app.schemas import Input, Output

Severity = Literal["low", "medium", "high", "critical"]
Status = Literal["open", "acknowledged", "in_progress", "resolved", "closed"]
Action = Literal["acknowledge", "start", "resolve", "close", "reopen"]
Kind = Literal["complaint", "suggestion", "request"]


class ComplaintCreate(Input):
    customer_id: int
    interaction_id: int | None = None
    category: str = Field(min_length=1, max_length=64)
    kind: Kind = "complaint"
    severity: Severity = "medium"
    description: str = Field(min_length=1, max_length=10_000)
    owner_id: int | None = None


class ComplaintTransitionIn(Input):
    action: Action
    note: str = Field(min_length=1, max_length=10_000)
    resolution: str | None = Field(None, max_length=10_000)
    owner_id: int | None = None


class TransitionOut(Output):
    from_status: str | None
    to_status: str
    note: str
    actor_id: int | None
    at: datetime


class ComplaintOut(Output):
    id: int
    customer_id: int
    # The customer's name where complaints are listed across customers (lists, an agent's own).
    customer_name: str | None = None
    interaction_id: int | None
    category: str
    kind: str = "complaint"
    severity: str
    description: str
    status: str
    owner_id: int | None
    # The owner's display name, so colleagues read a name, not "#8" (None: no owner).
    owner_name: str | None = None
    due_at: datetime
    overdue: bool
    # The first answer's own deadline (null only on rows older than it), when it came, and
    # whether it is late now (unanswered past its deadline).
    first_answer_due_at: datetime | None = None
    first_answered_at: datetime | None = None
    first_answer_overdue: bool = False
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    resolution: str | None
    reopen_count: int
    created_at: datetime
    history: list[TransitionOut] = Field(default_factory=list)
