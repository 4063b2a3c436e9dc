"""``config/care.yaml``, parsed and checked at start-up (docs/care.md, "Configuration")."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.care.rules import CareRule
from app.contacts.console_config import Choice


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleIn(_Strict):
    name: str = Field(pattern=r"^[a-z0-9_]{1,48}$")
    kind: Literal["win_back", "follow_up", "thank_you", "check_in"]
    purpose: Literal["sales", "care", "service"] = "care"
    via: Literal["call", "message"] = "call"
    grades: list[str] = []
    queue: str | None = Field(None, min_length=1, max_length=64)
    owner: Literal["account_manager"] | None = None
    skill: str | None = Field(None, min_length=1, max_length=64)
    due_hours: float = Field(24.0, gt=0, le=24 * 90)
    churn_threshold: float | None = Field(None, ge=0, le=1)
    after_days: float = Field(7.0, ge=0, le=365)
    min_amount: float = Field(0.0, ge=0)
    silence_factor: float = Field(2.0, gt=0, le=20)
    lookback_days: float = Field(14.0, gt=0, le=366)
    text: dict[Literal["en", "zh"], str]

    @model_validator(mode="after")
    def _both_languages(self) -> RuleIn:
        if set(self.text) != {"en", "zh"} or not all(t.strip() for t in self.text.values()):
            raise ValueError(f"rule {self.name!r}: text needs both 'en' and 'zh'")
        return self


class CapIn(_Strict):
    contacts: int | None = Field(3, ge=1, le=1000)  # null: no cap
    period_days: float = Field(7.0, gt=0, le=366)


class CareConfig(_Strict):
    queue: str = Field("care", min_length=1, max_length=64)
    scan_seconds: float = Field(3600.0, ge=1)
    release_seconds: float = Field(60.0, ge=1)
    cap: CapIn = CapIn()
    drift_reasons: list[Choice] = Field(min_length=1)
    rules: list[RuleIn] = []

    @model_validator(mode="after")
    def _unique(self) -> CareConfig:
        names = [r.name for r in self.rules]
        if len(names) != len(set(names)):
            raise ValueError("rule names must be unique")
        return self

    def care_rules(self) -> list[CareRule]:
        """The rules as the pure evaluator takes them (queue defaulted)."""
        return [
            CareRule(
                name=r.name,
                kind=r.kind,
                queue=r.queue or self.queue,
                text=dict(r.text),
                purpose=r.purpose,
                via=r.via,
                grades=frozenset(r.grades),
                owner=r.owner,
                skill=r.skill,
                due_hours=r.due_hours,
                churn_threshold=r.churn_threshold,
                after_days=r.after_days,
                min_amount=r.min_amount,
                silence_factor=r.silence_factor,
                lookback_days=r.lookback_days,
            )
            for r in self.rules
        ]

    def queues(self) -> set[str]:
        return {r.queue or self.queue for r in self.rules}


def load_care_config(path: Path) -> CareConfig:
    """A bad file stops the server with the file and key; a missing one means no rules."""
    if not path.exists():
        return CareConfig(drift_reasons=[Choice(code="other", label_en="Other", label_zh="其他")])
    try:
        return CareConfig.model_validate(yaml.safe_load(path.read_text()) or {})
    except ValidationError as exc:
        raise ValueError(f"{path}: {exc}") from exc
