"""Dispositions, break reasons and complaint categories offered in the agent console."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

Code = str


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code = Field(pattern=r"^[a-z0-9_]{1,64}$")
    label_en: str = Field(min_length=1)
    label_zh: str = Field(min_length=1)


class ConsoleConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dispositions: list[Choice] = Field(min_length=1)
    break_reasons: list[Choice] = Field(min_length=1)
    complaint_categories: list[Choice] = Field(min_length=1)
    # Why a customer drifted, asked in a win-back task's wrap-up: config/care.yaml's
    # ``drift_reasons``, set at start-up (docs/care.md).
    drift_reasons: list[Choice] = []

    def codes(self, kind: str) -> set[str]:
        return {c.code for c in getattr(self, kind)}

    def as_hello(self) -> dict[str, Any]:
        return self.model_dump()


def load_console_config(path: Path) -> ConsoleConfig:
    """Parsed and checked at start-up; a bad file stops the server with the file and key."""
    try:
        return ConsoleConfig.model_validate(yaml.safe_load(path.read_text()) or {})
    except ValidationError as exc:
        raise ValueError(f"{path}: {exc}") from exc
