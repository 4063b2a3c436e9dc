"""Reports for supervisors: the customer pyramid, and queues, grades, agents, complaints and
satisfaction over a time range, as JSON or CSV (docs/reports.md)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response

from app.customers.grades import pyramid_report
from app.customers.value_schemas import PyramidReport
from app.db.uow import UnitOfWork
from app.deps import HotlineDep, SupervisorUser, UoW, ValuationDep
from app.errors import Invalid
from app.reports.buckets import Interval, RangeError, parse_range, zone
from app.reports.csv_out import complaint_rows, satisfaction_rows, to_csv, wants_csv
from app.reports.schemas import (
    AgentReport,
    AgentRow,
    ComplaintReport,
    Figures,
    GradeReport,
    QueueReport,
    SatisfactionReport,
)
from app.reports.service import Reports
from app.schemas import IsoDateTime
from app.supervisor.config import SupervisorConfig, load_supervisor_config

router = APIRouter(prefix="/api/reports", tags=["reports"])


@router.get("/pyramid")
async def pyramid(
    uow: UoW, _: SupervisorUser, valuation: ValuationDep, since: IsoDateTime | None = None
) -> PyramidReport:
    """Per grade: customers and share of value; with `since`, the moves between grades."""
    if since is not None and since.tzinfo is None:
        raise Invalid("since needs a timezone, e.g. 2026-01-01T00:00:00Z", field="since")
    async with uow:
        return await pyramid_report(uow, valuation, since)


# --- reports over a time range (docs/reports.md) -------------------------------------------

From = Annotated[
    IsoDateTime,
    Query(
        alias="from",
        description="start of the range, ISO 8601 with an offset",
        examples=["2026-03-02T00:00:00+08:00"],
    ),
]
To = Annotated[
    IsoDateTime,
    Query(
        description="end of the range (exclusive), ISO 8601 with an offset; at most 93 days on",
        examples=["2026-03-03T00:00:00+08:00"],
    ),
]
IntervalQ = Annotated[Interval, Query(description="bucket size: 15min, hour or day")]
Tz = Annotated[
    str | None,
    Query(
        max_length=64,
        description="IANA zone buckets are aligned in; default: config/supervisor.yaml's timezone",
    ),
]
Accept = Annotated[str | None, Header(include_in_schema=False)]

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report: JSON, or CSV with a header row when `Accept: text/csv`",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


def _config(hotline: Any) -> SupervisorConfig:
    """The floor's config, as the wallboard uses it (one definition of service level)."""
    feed = hotline.supervisor
    if feed is not None:
        return feed.config  # type: ignore[no-any-return]
    return load_supervisor_config(hotline.settings.supervisor_file)


def _reports(
    hotline: Any, start: datetime, end: datetime, interval: Interval | None, tz: str | None
) -> Reports:
    config = _config(hotline)
    try:
        span = parse_range(start, end, zone(tz or config.timezone))
    except RangeError as exc:
        raise Invalid(str(exc), field=exc.field) from exc
    return Reports(config, span, interval)


async def _run(
    uow: UnitOfWork, build: Callable[[UnitOfWork], Coroutine[Any, Any, dict[str, Any]]]
) -> dict[str, Any]:
    async with uow:
        return await build(uow)


def _csv(name: str, reports: Reports, columns: list[str], rows: list[dict[str, Any]]) -> Response:
    zone_ = reports.span.zone
    stamp = "%Y%m%dT%H%M"
    start = reports.span.start.astimezone(zone_).strftime(stamp)
    end = reports.span.end.astimezone(zone_).strftime(stamp)
    filename = f"hotline-{name}-{start}-{end}.csv"
    return Response(
        to_csv(columns, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/queues", response_model=QueueReport, responses=CSV_RESPONSE)
async def queues(
    hotline: HotlineDep,
    uow: UoW,
    _: SupervisorUser,
    from_: From,
    to: To,
    interval: IntervalQ = Interval.HOUR,
    tz: Tz = None,
    accept: Accept = None,
) -> Any:
    """Per bucket and queue: offered, answered, abandoned (short abandons apart), service
    level against the queue's target, ASA, AHT, abandon rate; and the range's totals."""
    reports = _reports(hotline, from_, to, interval, tz)
    data = await _run(uow, reports.queues)
    if wants_csv(accept):
        return _csv("queues", reports, ["bucket", "queue", *Figures.model_fields], data["rows"])
    return data


@router.get("/grades", response_model=GradeReport, responses=CSV_RESPONSE)
async def grades(
    hotline: HotlineDep,
    uow: UoW,
    _: SupervisorUser,
    from_: From,
    to: To,
    interval: IntervalQ = Interval.HOUR,
    tz: Tz = None,
    accept: Accept = None,
) -> Any:
    """Per bucket, queue and customer grade: the queue figures, service level against the
    grade's own target in that queue."""
    reports = _reports(hotline, from_, to, interval, tz)
    data = await _run(uow, reports.grades)
    if wants_csv(accept):
        return _csv(
            "grades", reports, ["bucket", "queue", "grade", *Figures.model_fields], data["rows"]
        )
    return data


@router.get("/agents", response_model=AgentReport, responses=CSV_RESPONSE)
async def agents(
    hotline: HotlineDep,
    uow: UoW,
    _: SupervisorUser,
    from_: From,
    to: To,
    interval: IntervalQ = Interval.HOUR,
    tz: Tz = None,
    accept: Accept = None,
) -> Any:
    """Per bucket and agent: contacts answered and handled, handling time (talk + wrap-up),
    ASA, AHT, ratings; logged-in and break time and occupancy from the agents' state history
    (docs/reports.md)."""
    reports = _reports(hotline, from_, to, interval, tz)
    now = datetime.fromtimestamp(hotline.center.clock(), UTC)  # the live path's clock
    data = await _run(uow, lambda u: reports.agents(u, now))
    if wants_csv(accept):
        return _csv("agents", reports, list(AgentRow.model_fields), data["rows"])
    return data


@router.get("/complaints", response_model=ComplaintReport, responses=CSV_RESPONSE)
async def complaints(
    hotline: HotlineDep,
    uow: UoW,
    _: SupervisorUser,
    from_: From,
    to: To,
    tz: Tz = None,
    accept: Accept = None,
) -> Any:
    """Complaints per category: opened in the range, open now, late against their deadline,
    mean hours to the first answer and to resolution."""
    reports = _reports(hotline, from_, to, None, tz)
    now = datetime.fromtimestamp(hotline.center.clock(), UTC)  # the live path's clock
    data = await _run(uow, lambda u: reports.complaints(u, now))
    if wants_csv(accept):
        return _csv("complaints", reports, *complaint_rows(data))
    return data


@router.get("/satisfaction", response_model=SatisfactionReport, responses=CSV_RESPONSE)
async def satisfaction(
    hotline: HotlineDep,
    uow: UoW,
    _: SupervisorUser,
    from_: From,
    to: To,
    tz: Tz = None,
    accept: Accept = None,
) -> Any:
    """Ratings of the contacts that ended in the range, per agent, queue and customer grade."""
    reports = _reports(hotline, from_, to, None, tz)
    data = await _run(uow, reports.satisfaction)
    if wants_csv(accept):
        return _csv("satisfaction", reports, *satisfaction_rows(data))
    return data
