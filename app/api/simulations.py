"""Routing-policy simulations over HTTP (admin): POST a candidate policy, follow the run,
read the report (docs/simulator.md). A thin adapter over app.simulation.service; the jobs
run in this process (app.simulation.jobs)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from app.deps import AdminUser, HotlineDep
from app.errors import Conflict, Invalid, NotFound
from app.simulation.engine import Progress
from app.simulation.jobs import Busy, Job, JobRegistry
from app.simulation.results import Comparison
from app.simulation.service import (
    SimulationInputError,
    SyntheticSpec,
    check_roster,
    known_agents,
    load_candidate,
    options_from,
    recorded_count,
    recorded_plan,
    run_in_thread,
    synthetic_plan,
)
from routing import RoutingConfig

router = APIRouter(prefix="/api/simulations", tags=["simulations"])
MAX_POLICY_CHARS = 200_000
MAX_ROSTER_CHARS = 1_000_000
MAX_DAYS = 31
# The report is a page of its own: inline styles and SVG, no script at all.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)


class SyntheticIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rate_per_hour: float = Field(gt=0, le=100_000, description="Poisson arrivals per hour")
    aht_seconds: float = Field(gt=0, le=86_400, description="mean talk time (exponential)")
    hours: float = Field(8.0, gt=0, le=72)
    agents: int | None = Field(None, ge=1, le=5000, description="default: Erlang C for 80 %")
    patience_seconds: float | None = Field(
        None, gt=0, le=86_400, description="mean patience; none: nobody hangs up"
    )
    queue: str | None = Field(None, max_length=64)


class SimulationIn(BaseModel):
    """A candidate routing.yaml and what to run it over: a recorded period (``from``, ``to``:
    dates in the supervisor time zone, ``to`` included) or synthetic traffic."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    policy: str = Field(min_length=1, max_length=MAX_POLICY_CHARS, description="routing.yaml text")
    from_: date | None = Field(None, alias="from")
    to: date | None = None
    roster: str | None = Field(None, max_length=MAX_ROSTER_CHARS, description="roster CSV text")
    synthetic: SyntheticIn | None = None
    seed: int = Field(1, ge=0, le=2**31)


class FigureOut(BaseModel):
    section: str
    group: str
    figure: str
    current: float | None
    candidate: float | None


class SimulationOut(BaseModel):
    id: str
    status: Literal["running", "done", "failed"]
    progress: float = Field(description="0..1, over both runs")
    contacts: int
    created_at: datetime
    finished_at: datetime | None = None
    error: str | None = None
    notes: list[str] = []
    figures: list[FigureOut] = Field([], description="when done: every figure side by side")
    report_url: str | None = None


class TrafficOut(BaseModel):
    """What a simulation runs over, as it was asked for: a recorded period (`from`, `to`:
    days in the supervisor time zone, `to` included) or synthetic traffic."""

    model_config = ConfigDict(populate_by_name=True)
    kind: Literal["recorded", "synthetic"]
    from_: date | None = Field(None, alias="from")
    to: date | None = None
    synthetic: SyntheticIn | None = None
    roster: bool = Field(False, description="a roster file was given")
    seed: int


class SimulationSummaryOut(BaseModel):
    """One kept simulation in the list: its state, what it runs over and, when done, the
    overall figures (all contacts), current beside candidate."""

    id: str
    status: Literal["running", "done", "failed"]
    progress: float = Field(description="0..1, over both runs")
    contacts: int
    requested_by: str
    created_at: datetime
    finished_at: datetime | None = None
    error: str | None = None
    traffic: TrafficOut
    headline: list[FigureOut] = Field([], description="when done: the overall figures")
    report_url: str | None = None


def _registry(request: Request) -> JobRegistry:
    registry: JobRegistry | None = getattr(request.app.state, "simulations", None)
    if registry is None:
        registry = request.app.state.simulations = JobRegistry()
    return registry


def _out(job: Job) -> SimulationOut:
    figures = [
        FigureOut(section=s, group=g, figure=f, current=_n(a), candidate=_n(b))
        for s, g, f, a, b in job.figures
    ]
    return SimulationOut(
        id=job.id,
        status=job.status.value,
        progress=round(job.progress, 4),
        contacts=job.contacts,
        created_at=datetime.fromtimestamp(job.created_at, UTC),
        finished_at=datetime.fromtimestamp(job.finished_at, UTC) if job.finished_at else None,
        error=job.error,
        notes=list(job.notes),
        figures=figures,
        report_url=f"/api/simulations/{job.id}/report" if job.html is not None else None,
    )


def _traffic(request: Request) -> dict[str, TrafficOut]:
    """What each kept job runs over, by job id, oldest first: the registry keeps the jobs,
    this the request's period or synthetic traffic beside them (forgotten with the job)."""
    traffic: dict[str, TrafficOut] | None = getattr(request.app.state, "simulation_traffic", None)
    if traffic is None:
        traffic = request.app.state.simulation_traffic = {}
    registry = _registry(request)
    for job_id in [j for j in traffic if registry.get(j) is None]:
        del traffic[job_id]
    return traffic


def _n(v: float | None) -> float | None:
    return None if v is None or math.isnan(v) else round(v, 6)


def _invalid(exc: SimulationInputError) -> Invalid:
    loc: list[str | int] = ["body", "from" if exc.field == "from" else exc.field]
    extra: dict[str, Any] = {} if exc.line is None else {"line": exc.line}
    return Invalid(exc.message, loc=loc, **extra)


@router.post("", status_code=202)
async def start(
    body: SimulationIn, request: Request, hotline: HotlineDep, user: AdminUser
) -> SimulationOut:
    """Check the candidate (422 naming the rule and line), load the traffic, and run the
    current policy and the candidate over it in the background; 409 while another runs."""
    live = hotline.center.router
    current = RoutingConfig(live.policy, tuple(live.queues.values()), live.settings)
    settings = hotline.settings
    options, zone = options_from(settings.supervisor_file)
    try:
        candidate = load_candidate(body.policy, current)
        if body.synthetic is not None:
            s = body.synthetic
            spec = SyntheticSpec(
                s.rate_per_hour,
                s.aht_seconds,
                s.hours,
                s.agents,
                s.patience_seconds if s.patience_seconds is not None else math.inf,
                s.queue,
            )
            known = await known_agents(hotline.uow) if body.roster else None
            plan = synthetic_plan(spec, current, options, body.roster, known, body.seed, tz=zone)
            contacts = len(plan.arrivals)

            async def work(progress: Progress) -> Comparison:
                return await run_in_thread(plan, current, candidate, progress)

        elif body.from_ is not None:
            last = body.to or body.from_
            if last < body.from_ or (last - body.from_).days >= MAX_DAYS:
                raise SimulationInputError(
                    f"`to` must be on or after `from`, at most {MAX_DAYS} days in all", "to"
                )
            begin = datetime.combine(body.from_, time(), zone)
            end = datetime.combine(last + timedelta(days=1), time(), zone)
            # Checked now (a bad roster, an empty period: 422); loaded by the job.
            contacts = await recorded_count(hotline.uow, begin, end)
            if body.roster is not None:
                check_roster(body.roster, await known_agents(hotline.uow), begin, end, zone)
            roster, seed = body.roster, body.seed

            async def work(progress: Progress) -> Comparison:
                plan = await recorded_plan(
                    hotline.uow, begin, end, current, options, zone, roster, seed
                )
                return await run_in_thread(plan, current, candidate, progress)

        else:
            raise SimulationInputError("give `from` (and `to`) or `synthetic` traffic", "from")
    except SimulationInputError as exc:
        raise _invalid(exc) from None
    try:
        job = _registry(request).start(work, contacts, user.username)
    except Busy as exc:
        raise Conflict(str(exc)) from None
    _traffic(request)[job.id] = TrafficOut(
        kind="synthetic" if body.synthetic is not None else "recorded",
        from_=None if body.synthetic is not None else body.from_,
        to=None if body.synthetic is not None else body.to or body.from_,
        synthetic=body.synthetic,
        roster=body.roster is not None,
        seed=body.seed,
    )
    return _out(job)


@router.get("")
async def list_simulations(request: Request, _: AdminUser) -> list[SimulationSummaryOut]:
    """The simulations this process keeps (the running one and the last 20 finished), newest
    first: state, progress, what each runs over and, when done, the overall figures."""
    registry = _registry(request)
    out = []
    for job_id, asked in _traffic(request).items():
        job = registry.get(job_id)
        if job is None:
            continue
        full = _out(job)
        headline = [f for f in full.figures if f.section == "overall" and f.group == "all contacts"]
        out.append(
            SimulationSummaryOut(
                id=full.id,
                status=full.status,
                progress=full.progress,
                contacts=full.contacts,
                requested_by=job.requested_by,
                created_at=full.created_at,
                finished_at=full.finished_at,
                error=full.error,
                traffic=asked,
                headline=headline,
                report_url=full.report_url,
            )
        )
    return out[::-1]  # started in this order: the newest first


def _job(request: Request, simulation_id: str) -> Job:
    job = _registry(request).get(simulation_id)
    if job is None:
        raise NotFound(f"no simulation {simulation_id!r} (jobs live in the server's memory)")
    return job


@router.get("/{simulation_id}")
async def status(request: Request, simulation_id: str, _: AdminUser) -> SimulationOut:
    """Progress while running; every figure, current beside candidate, when done."""
    return _out(_job(request, simulation_id))


@router.get(
    "/{simulation_id}/report",
    response_class=HTMLResponse,
    responses={
        200: {"content": {"text/html": {}, "text/csv": {}}},
        409: {"description": "The simulation is still running, or failed: no report"},
    },
)
async def report(
    request: Request,
    simulation_id: str,
    _: AdminUser,
    format: Annotated[Literal["html", "csv"], Query()] = "html",
) -> Any:
    """The report: HTML with charts through the day (no script), or the figures as CSV;
    409 while the simulation is still running or when it failed."""
    job = _job(request, simulation_id)
    if job.html is None or job.csv is None:
        raise Conflict(f"simulation {simulation_id} is {job.status.value}: no report yet")
    if format == "csv":
        return PlainTextResponse(
            job.csv,
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="simulation-{job.id}.csv"'},
        )
    return HTMLResponse(job.html, headers={"content-security-policy": REPORT_CSP})
