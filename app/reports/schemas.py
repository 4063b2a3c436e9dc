"""What the reports answer (docs/reports.md), as JSON; the CSV form has the rows' fields as
its columns, in this order."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

NotRecorded = Literal["wrapup_time", "agent_state_time"]  # kept since migration 0011


class SLRuleOut(BaseModel):
    variant: str
    short_abandon_seconds: float


class ReportHeader(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: datetime = Field(alias="from", description="start of the range, in `timezone`")
    to: datetime = Field(description="end of the range (exclusive), in `timezone`")
    interval: str | None = Field(description="bucket size; null for complaints and satisfaction")
    timezone: str = Field(description="the IANA zone buckets are aligned in")
    service_level: SLRuleOut
    not_recorded: list[NotRecorded] = Field(
        description="facts the record does not keep: their figures are null (docs/reports.md)"
    )


class Figures(BaseModel):
    target_seconds: float
    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    answered_within: int
    service_level: float | None
    asa_seconds: float | None
    aht_seconds: float | None = Field(
        description="talk + wrap-up of the answered contacts that ended (talk only for those "
        "wrapped up before migration 0011)"
    )
    abandon_rate: float | None
    occupancy: float | None = Field(
        description="null here: an agent figure (agents serve several queues), in the agents report"
    )


class QueueRow(Figures):
    bucket: datetime = Field(description="start of the bucket, in `timezone`")
    queue: str


class QueueTotal(Figures):
    queue: str


class QueueReport(ReportHeader):
    rows: list[QueueRow]
    totals: list[QueueTotal]


class GradeRow(Figures):
    bucket: datetime
    queue: str
    grade: str = Field(description='the customer\'s grade now; "" for none')


class GradeReport(ReportHeader):
    rows: list[GradeRow]


class AgentRow(BaseModel):
    bucket: datetime
    agent_id: int
    agent_name: str | None
    answered: int
    handled: int
    handling_seconds: float | None
    asa_seconds: float | None
    aht_seconds: float | None
    ratings: int
    average_rating: float | None
    logged_in_seconds: float | None
    break_seconds: float | None
    occupancy: float | None


class AgentReport(ReportHeader):
    rows: list[AgentRow]


class ComplaintFigures(BaseModel):
    opened: int
    open: int
    late_open: int = Field(description="open now and past their deadline")
    first_answer_late_open: int = Field(
        description="open now, unanswered and past their first-answer deadline"
    )
    first_answered_late: int = Field(
        description="opened in the range, first answered after their first-answer deadline"
    )
    resolved_late: int = Field(description="opened in the range, resolved after their deadline")
    answered: int
    mean_hours_to_first_answer: float | None
    resolved: int
    mean_hours_to_resolve: float | None


class ComplaintCategory(ComplaintFigures):
    category: str


class ComplaintReport(ReportHeader):
    now: datetime
    totals: ComplaintFigures
    categories: list[ComplaintCategory]


class Ratings(BaseModel):
    ratings: int
    average: float | None
    scores: dict[str, int] = Field(description="how many of each score")


class AgentRatings(Ratings):
    agent_id: int | None
    agent_name: str | None


class QueueRatings(Ratings):
    queue: str | None


class GradeRatings(Ratings):
    grade: str


class SatisfactionReport(ReportHeader):
    overall: Ratings
    by_agent: list[AgentRatings]
    by_queue: list[QueueRatings]
    by_grade: list[GradeRatings]
