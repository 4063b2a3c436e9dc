"""Promises over the API and in wrap-up."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_validator

from app.schemas import Input, Output


class WrapupPromise(Input):
    """A promise recorded in wrap-up (the contact and customer are the wrap-up's): what, due
    by when, who owns it (default: whoever records it)."""

    text: str = Field(min_length=1, max_length=2000)
    due_at: datetime
    owner_id: int | None = None

    @field_validator("due_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("due_at needs a timezone, e.g. 2026-01-31T10:00:00Z")
        return value


class PromiseIn(WrapupPromise):
    """A promise recorded over the API, on the interaction it was made in when given."""

    interaction_id: int | None = None


class SettleIn(Input):
    note: str = Field("", max_length=2000)


class PromiseOut(Output):
    id: int
    customer_id: int
    interaction_id: int | None
    text: str
    due_at: datetime
    owner_id: int | None
    owner_name: str | None = None
    created_by_id: int | None
    status: str  # open, kept or broken
    overdue: bool = False
    settled_at: datetime | None
    escalated_at: datetime | None
    created_at: datetime
