from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from app.schemas import Input, Output, Patch, Text200

Role = Literal["agent", "supervisor", "admin"]
Proficiency = Annotated[int, Field(ge=1, le=5)]
SkillName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_.-]+$")]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_.-]+$")]
# Passwords are taken exactly as typed: every other input string is stripped (app.schemas.Input),
# and a password " secret " must not log in as "secret".
Password = Annotated[str, StringConstraints(strip_whitespace=False), Field(max_length=200)]
NewPassword = Annotated[Password, Field(min_length=8)]


def _skills(value: dict[str, int] | None) -> dict[str, int] | None:
    if value is not None and len(value) > 50:
        raise ValueError("at most 50 skills")
    return value


class AgentCreate(Input):
    username: Name
    display_name: Text200
    password: NewPassword
    role: Role = "agent"
    skills: dict[SkillName, Proficiency] = Field(default_factory=dict)
    languages: list[Annotated[str, Field(min_length=2, max_length=16)]] = Field(
        default_factory=lambda: ["zh"], max_length=20
    )
    team: str | None = Field(None, max_length=64)
    senior: bool = False
    chat_capacity: int = Field(3, ge=0, le=20)
    sip_uri: str | None = Field(None, max_length=255, pattern=r"^sips?:.+@.+")

    _s = field_validator("skills")(_skills)


class AgentUpdate(Patch):
    clearable = frozenset({"team", "sip_uri"})  # null clears these only
    display_name: Text200 | None = None
    password: NewPassword | None = None
    role: Role | None = None
    skills: dict[SkillName, Proficiency] | None = None
    languages: list[Annotated[str, Field(min_length=2, max_length=16)]] | None = None
    team: str | None = Field(None, max_length=64)
    senior: bool | None = None
    chat_capacity: int | None = Field(None, ge=0, le=20)
    sip_uri: str | None = Field(None, max_length=255, pattern=r"^sips?:.+@.+")
    active: bool | None = None

    _s = field_validator("skills")(_skills)


class AgentOut(Output):
    id: int
    username: str
    display_name: str
    role: str
    skills: dict[str, int]
    languages: list[str]
    team: str | None
    senior: bool
    chat_capacity: int
    sip_uri: str | None
    active: bool
    created_at: datetime


# A queue's own service-level target per customer grade (seconds), over the defaults of
# config/supervisor.yaml; never longer than the queue's own target where it is measured.
Grade = Literal["vip", "key", "ordinary", "small", "prospect"]
GradeTargets = dict[Grade, Annotated[int, Field(ge=1, le=86_400)]]
GRADE_TARGETS_KEY = "sla_by_grade"  # where the queue's attributes keep them


class QueueCreate(Input):
    name: Name
    display_name: Text200
    skills: list[SkillName] = Field(default_factory=list, max_length=20)
    sla_seconds: int = Field(20, ge=1, le=86_400)
    max_wait_seconds: int = Field(600, ge=1, le=86_400)
    overflow_queue: Name | None = None
    sla_by_grade: GradeTargets = Field(default_factory=dict)


class QueueUpdate(Patch):
    clearable = frozenset({"overflow_queue"})  # null clears this only
    display_name: Text200 | None = None
    skills: list[SkillName] | None = Field(None, max_length=20)
    sla_seconds: int | None = Field(None, ge=1, le=86_400)
    max_wait_seconds: int | None = Field(None, ge=1, le=86_400)
    overflow_queue: Name | None = None
    sla_by_grade: GradeTargets | None = Field(
        None, description="replaces the mapping; {} clears it"
    )


class QueueOut(Output):
    id: int
    name: str
    display_name: str
    skills: list[str]
    sla_seconds: int
    max_wait_seconds: int
    overflow_queue: str | None
    sla_by_grade: dict[str, int] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _grade_targets(cls, value: object) -> object:
        # From the ORM row: the targets live in the queue's attributes.
        attributes = getattr(value, "attributes", None)
        if isinstance(attributes, dict):
            own = attributes.get(GRADE_TARGETS_KEY)
            fields = {k: getattr(value, k) for k in cls.model_fields if hasattr(value, k)}
            return fields | {"sla_by_grade": own if isinstance(own, dict) else {}}
        return value
