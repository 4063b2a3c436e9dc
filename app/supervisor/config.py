"""The supervisor feed's settings (config/supervisor.yaml): how service level is counted, each
grade's own target, which grades are "value at risk", the day's time zone, the coalescing."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.metrics.figures import SLRule, SLVariant

QUEUE_GRADE_TARGETS = "sla_by_grade"
"""The key of a queue's ``attributes`` that holds its own per-grade targets (seconds)."""


class ServiceLevelConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    variant: SLVariant = SLVariant.STANDARD
    short_abandon_seconds: float = Field(5.0, ge=0, le=3600)
    grade_targets: dict[str, float] = Field(default_factory=lambda: {"vip": 20.0, "key": 30.0})

    @field_validator("grade_targets")
    @classmethod
    def _positive(cls, targets: dict[str, float]) -> dict[str, float]:
        for grade, seconds in targets.items():
            if not 0 < seconds <= 86_400:
                raise ValueError(f"grade {grade!r}: a target is 1 s to 1 day, got {seconds}")
        return targets


class SupervisorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service_level: ServiceLevelConfig = Field(default_factory=ServiceLevelConfig)
    value_grades: list[str] = Field(default_factory=lambda: ["vip", "key"])
    at_risk_share: float = Field(0.8, gt=0, le=1)
    service_level_goal: float = Field(0.8, gt=0, le=1)
    timezone: str = "Asia/Shanghai"
    coalesce_seconds: float = Field(1.0, ge=0, le=60)
    # A client that reads `batch` frames gets what comes within this after a first update in
    # the same frame (docs/supervisor.md): fewer frames for the server to send.
    batch_seconds: float = Field(0.03, ge=0, le=1)
    abandoned_listed: int = Field(200, ge=0, le=10_000)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {name!r} (an IANA name, e.g. Asia/Shanghai)"
            ) from exc
        return name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def targets(self, queue_seconds: float, queue_attributes: dict[str, Any]) -> dict[str, float]:
        """Each grade's target in a queue: the queue's own ``sla_by_grade`` over the config's,
        never longer than the queue's target (a VIP waits no longer than anyone)."""
        merged = dict(self.service_level.grade_targets)
        own = queue_attributes.get(QUEUE_GRADE_TARGETS) if queue_attributes else None
        if isinstance(own, dict):
            for grade, seconds in own.items():
                if (
                    isinstance(seconds, int | float)
                    and not isinstance(seconds, bool)
                    and seconds > 0
                ):
                    merged[str(grade)] = float(seconds)
        return {grade: min(seconds, queue_seconds) for grade, seconds in merged.items()}

    def rule(self, target_seconds: float) -> SLRule:
        sl = self.service_level
        return SLRule(target_seconds, sl.short_abandon_seconds, sl.variant)


def load_supervisor_config(path: Path | None) -> SupervisorConfig:
    """Parsed and checked at start-up; a bad file stops the server with the file and key."""
    if path is None or not path.exists():
        return SupervisorConfig()
    data = yaml.safe_load(path.read_text()) or {}
    try:
        return SupervisorConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{path}: {where}: {first['msg']}") from exc
