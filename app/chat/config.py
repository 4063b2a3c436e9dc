"""config/chat.yaml: topics, opening hours, limits, heartbeats, canned replies."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Topic(_Strict):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    queue: str = Field(min_length=1, max_length=64)
    label: dict[str, str]


class Hours(_Strict):
    timezone: str = "UTC"
    days: dict[str, tuple[str, str]] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("days")
    @classmethod
    def _days(cls, value: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
        for day, (opens, closes) in value.items():
            if day not in DAYS:
                raise ValueError(f"unknown day {day!r}: one of {', '.join(DAYS)}")
            if _minutes(opens) >= _minutes(closes):
                raise ValueError(f"{day}: opens at {opens} but closes at {closes}")
        return value

    def open_at(self, moment: datetime) -> bool:
        """Whether agents are there at ``moment`` (an aware datetime)."""
        local = moment.astimezone(ZoneInfo(self.timezone))
        span = self.days.get(DAYS[local.weekday()])
        if span is None:
            return False
        now = local.hour * 60 + local.minute
        return _minutes(span[0]) <= now < _minutes(span[1])


def _minutes(text: str) -> int:
    """ "HH:MM" (24:00 allowed, as the end of a day) in minutes."""
    if text == "24:00":
        return 24 * 60
    try:
        parsed = time.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"a time is HH:MM, not {text!r}") from exc
    return parsed.hour * 60 + parsed.minute


class Limits(_Strict):
    message_chars: int = Field(default=2000, ge=1, le=10_000)
    messages_per_second: float = Field(default=2.0, gt=0)
    message_burst: int = Field(default=6, ge=1)
    typing_interval_seconds: float = Field(default=2.0, ge=0)
    open_per_customer: int = Field(default=2, ge=1)
    open_per_address: int = Field(default=3, ge=1)
    new_per_address_per_hour: int = Field(default=10, ge=1)


class Heartbeat(_Strict):
    interval_seconds: float = Field(default=20.0, gt=0)
    timeout_seconds: float = Field(default=50.0, gt=0)


class Estimate(_Strict):
    handle_seconds: float = Field(default=180.0, gt=0)


class CannedReply(_Strict):
    code: str = Field(min_length=1, max_length=64)
    en: str = Field(min_length=1, max_length=2000)
    zh: str = Field(min_length=1, max_length=2000)


class ChatConfig(_Strict):
    topics: tuple[Topic, ...] = Field(min_length=1)
    hours: Hours = Field(
        default_factory=lambda: Hours(days=dict.fromkeys(DAYS, ("00:00", "24:00")))
    )
    limits: Limits = Field(default_factory=Limits)
    heartbeat: Heartbeat = Field(default_factory=Heartbeat)
    estimate: Estimate = Field(default_factory=Estimate)
    canned_replies: tuple[CannedReply, ...] = ()

    def topic(self, code: str | None) -> Topic | None:
        if code is None:
            return self.topics[0]
        return next((t for t in self.topics if t.code == code), None)

    def public(self) -> dict[str, Any]:
        """What the customer page needs before it starts a chat."""
        return {
            "topics": [{"code": t.code, "label": t.label} for t in self.topics],
            "message_chars": self.limits.message_chars,
            "heartbeat_seconds": self.heartbeat.interval_seconds,
        }


def load_chat_config(path: Path) -> ChatConfig:
    """chat.yaml, validated: a mistake stops start-up with the file and the key named."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return ChatConfig.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: {exc}") from exc
    except ValidationError as exc:
        raise ValueError(f"{path}: {exc}") from exc
