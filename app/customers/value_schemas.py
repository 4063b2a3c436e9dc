from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from app.schemas import Input, Output


class ValueOut(Output):
    """A customer's grade and value. Every ``*_reason`` is in the reader's language
    (``?lang=`` / ``Accept-Language``); ``reasons`` holds the same as codes and facts."""

    grade: str
    grade_reason: str
    computed_grade: str
    rank: int | None
    base_size: int
    value_12m: float
    r: int
    f: int
    m: int
    rfm_reason: str
    clv: float
    clv_reason: str
    lifecycle: str
    lifecycle_reason: str
    churn_risk: float
    churn_reason: str
    computed_at: datetime
    override: OverrideOut | None = None
    reasons: dict[str, Any] = Field(default_factory=dict)
    """``{"grade": {"code": ..., "facts": {...}}, "rfm": ..., ...}`` as stored."""


class OverrideIn(Input):
    grade: str = Field(min_length=1, max_length=32)
    reason: str = Field(min_length=1, max_length=500)
    expires_at: datetime | None = None
    version: int | None = Field(
        None,
        ge=0,
        le=2**31 - 1,
        description="The customer's version as you read it (GET /api/customers/{id}): when "
        "given, the pin is refused with 409 if someone changed the customer since.",
    )

    @field_validator("expires_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("expires_at needs a timezone, e.g. 2027-01-01T00:00:00Z")
        return value


class OverrideOut(Output):
    grade: str
    reason: str
    set_by: str
    expires_at: datetime | None
    set_at: datetime


class PyramidTier(BaseModel):
    grade: str
    customers: int
    share_of_customers: float
    value_12m: float
    share_of_value: float


class Movement(BaseModel):
    from_grade: str | None
    to_grade: str
    customers: int


class PyramidReport(BaseModel):
    computed_at: datetime | None
    tiers: list[PyramidTier]
    since: datetime | None
    movements: list[Movement]
    upgrades: int
    downgrades: int


ValueOut.model_rebuild()
