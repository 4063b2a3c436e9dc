from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from app.interactions.schemas import InteractionOut
from app.schemas import Input, Output, small_mapping

Channel = Literal["voice", "chat"]


class ContactCreate(Input):
    """A call or chat arriving: who it is from, which queue, what the customer wants."""

    channel: Channel
    from_: str | None = Field(None, alias="from", max_length=320, description="phone or e-mail")
    customer_id: int | None = None
    name: str | None = Field(None, max_length=200, description="for a new (prospect) customer")
    queue: str = Field(min_length=1, max_length=64)
    intent: str | None = Field(None, max_length=64)
    language: str | None = Field(None, min_length=2, max_length=16)
    priority: float = Field(0, ge=-1000, le=1000)
    attributes: dict[str, Any] = Field(default_factory=dict)
    ivr_path: list[str] = Field(default_factory=list, max_length=50)
    source: str = Field(
        "api",
        min_length=1,
        max_length=32,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="who delivers the contact (a PBX, a trunk); with external_id, the key "
        "that makes an arrival idempotent",
    )
    external_id: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="the contact's id at its source (Call-ID, PBX uniqueid): the same "
        "(source, external_id) returns the same contact, never a second one",
    )

    _attrs = field_validator("attributes")(small_mapping)


class ContactEnd(Input):
    reason: Literal["completed", "abandoned"] | None = None
    by: Literal["customer", "agent", "system"] = "customer"


class ContactOut(Output):
    id: str
    interaction: InteractionOut
    live_status: str


class ComplaintInWrapup(Input):
    category: str = Field(min_length=1, max_length=64)
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    description: str = Field(min_length=1, max_length=10_000)


class WrapupIn(Input):
    contact_id: str = Field(min_length=1, max_length=32)
    disposition: str = Field(min_length=1, max_length=64)
    notes: str = Field("", max_length=10_000)
    complaint: ComplaintInWrapup | None = None
    callback_at: datetime | None = None

    @field_validator("callback_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("callback_at needs a timezone")
        return value
