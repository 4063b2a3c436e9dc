"""Shared pydantic bases: unknown fields are an error, not silently dropped."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

Text200 = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str, Field(max_length=10_000)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


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


__all__ = ["Input", "LongText", "Output", "Page", "Text200", "field_validator", "small_mapping"]
