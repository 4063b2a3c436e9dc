from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import Field, field_validator

from app.schemas import Input, Output, Patch, Text200, small_mapping

Phones = list[str]


class CustomerCreate(Input):
    name: Text200
    phones: list[str] = Field(default_factory=list, max_length=10)
    emails: list[str] = Field(default_factory=list, max_length=10)
    language: str = Field("zh", min_length=2, max_length=16)
    company: str | None = Field(None, max_length=200)
    account_manager_id: int | None = None
    do_not_contact: bool = False
    # Per-channel opt-outs (docs/promises.md): no outbound calls / no outbound messages.
    do_not_call: bool = False
    do_not_message: bool = False
    consent_marketing: bool = False
    consent_recording: bool = True
    attributes: dict[str, Any] = Field(default_factory=dict)

    _attrs = field_validator("attributes")(small_mapping)


class CustomerUpdate(Patch):
    clearable = frozenset({"company", "account_manager_id", "version"})  # null: clear / no check
    name: Text200 | None = None
    phones: list[str] | None = Field(None, max_length=10)
    emails: list[str] | None = Field(None, max_length=10)
    language: str | None = Field(None, min_length=2, max_length=16)
    company: str | None = Field(None, max_length=200)
    account_manager_id: int | None = None
    do_not_contact: bool | None = None
    do_not_call: bool | None = None
    do_not_message: bool | None = None
    consent_marketing: bool | None = None
    consent_recording: bool | None = None
    attributes: dict[str, Any] | None = None
    version: int | None = Field(
        None,
        ge=0,
        le=2**31 - 1,
        description="The record's version as you read it: when given, the update is refused "
        "with 409 if someone changed the customer since.",
    )

    _attrs = field_validator("attributes")(small_mapping)


class CustomerOut(Output):
    id: int
    name: str
    phones: list[str]
    emails: list[str]
    language: str
    company: str | None
    account_manager_id: int | None
    is_prospect: bool
    do_not_contact: bool
    do_not_call: bool = False
    do_not_message: bool = False
    consent_marketing: bool
    consent_recording: bool
    attributes: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime


class TransactionCreate(Input):
    amount: Decimal = Field(max_digits=14, decimal_places=2)
    margin: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    occurred_at: datetime
    reference: str | None = Field(None, max_length=100)

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("occurred_at needs a timezone, e.g. 2026-01-31T10:00:00Z")
        try:  # stored as UTC: 0001-01-01T00:00+05:00 would land in year 0
            return value.astimezone(UTC)
        except OverflowError as exc:
            raise ValueError("occurred_at is out of range once converted to UTC") from exc


class TransactionOut(Output):
    id: int
    customer_id: int
    amount: Decimal
    margin: Decimal | None
    occurred_at: datetime
    reference: str | None
