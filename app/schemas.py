"""Shared pydantic bases: unknown fields are an error, not silently dropped."""

from __future__ import annotations

import re
from datetime import datetime
from types import UnionType
from typing import Annotated, Any, ClassVar, Generic, TypeVar, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

Text200 = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str, Field(max_length=10_000)]


def _no_number(value: Any) -> Any:
    # Pydantic reads a number (or a string of digits) as seconds since 1970; the spec says an
    # ISO 8601 date-time, and `0.5` is no date a client means.
    if isinstance(value, int | float) or (
        isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+(\.\d*)?\s*", value)
    ):
        raise ValueError("Input should be an ISO 8601 date-time, e.g. 2026-01-01T09:00:00Z")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_no_number)]
# JSON types whose values pydantic would otherwise take from another type: `0` or "yes" as
# false/true, "5" as 5, a number as a date-time. Input fields of these types take their own.
_OWN_JSON_TYPE: dict[type, tuple[type, ...]] = {
    bool: (bool,),
    int: (int,),
    float: (int, float),
    # A JSON client sends a string; Python callers (the CSV importer) pass a datetime.
    datetime: (str, datetime),
}


def _json_types(annotation: Any) -> tuple[type, ...] | None:
    """The JSON values (as Python types) a field of `annotation` takes, when it is one of
    bool, int, datetime, optionally with None; None for anything else (left to pydantic)."""
    members = (
        get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
    )
    allowed: tuple[type, ...] = ()
    for member in members:
        if member is type(None):
            allowed += (type(None),)
        elif member in _OWN_JSON_TYPE:
            allowed += _OWN_JSON_TYPE[member]
        else:
            return None
    return allowed


class Input(BaseModel):
    """A request body: unknown fields are an error, text is trimmed, and booleans, integers
    and date-times come as their own JSON types (as the spec says), not converted from others."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _own_json_type(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        allowed = _json_types(field.annotation) if field is not None else None
        if allowed is None:
            return value
        if int in allowed and isinstance(value, float) and value.is_integer():
            return value  # 1.0 is an integer in JSON Schema too
        if not isinstance(value, allowed) or (bool not in allowed and isinstance(value, bool)):
            kind = (
                "a boolean"
                if bool in allowed
                else "a number"
                if float in allowed
                else "an integer"
                if int in allowed
                else "an ISO 8601 date-time string"
            )
            raise ValueError(f"Input should be {kind} (JSON {type(value).__name__} given)")
        return _no_number(value) if isinstance(value, str) else value


class Patch(Input):
    """A partial update: a field left out stays as it is. Only the fields in `clearable` may
    be set to null (to clear them); the spec shows every other field as non-nullable."""

    clearable: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> Any:
        schema = handler.resolve_ref_schema(handler(core_schema))
        for name, prop in schema.get("properties", {}).items():
            if name in cls.clearable or "anyOf" not in prop:
                continue
            kept = [s for s in prop["anyOf"] if s.get("type") != "null"]
            if len(kept) < len(prop["anyOf"]):
                prop.pop("anyOf")
                prop.pop("default", None)
                prop.update(kept[0] if len(kept) == 1 else {"anyOf": kept})
        return schema


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def small_mapping(value: dict[str, Any] | None, limit: int = 50) -> dict[str, Any] | None:
    if value is not None and len(value) > limit:
        raise ValueError(f"at most {limit} attributes")
    return value


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class Problem(BaseModel):
    """One thing wrong with a request, and where: `loc` is a path such as
    `["body", "phones", 0]` or `["query", "limit"]` (empty when it is the request as a whole)."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(BaseModel):
    """Every error answer (4xx, 5xx), HTTP and websocket alike.

    `message` is one readable line; `code` is what a program acts on (`invalid`, `not_found`,
    `conflict`, `unauthorized`, `forbidden`, `too_large`, `too_many_attempts`...). `detail`
    is the list of problems for a 422, and the message again for any other status. Some
    errors add fields of their own (a 409 names the `customer_id` it conflicts with; a 429
    says `retry_after`)."""

    model_config = ConfigDict(extra="allow")

    message: str
    code: str
    detail: str | list[Problem]


__all__ = [
    "ErrorOut",
    "Input",
    "IsoDateTime",
    "LongText",
    "Output",
    "Page",
    "Patch",
    "Problem",
    "Text200",
    "field_validator",
    "small_mapping",
]
