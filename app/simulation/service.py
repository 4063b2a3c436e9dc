"""Running a simulation for the CLI and the API (an adapter, not part of the pure core: it
reads YAML and the database). The candidate is read and checked first; then the recorded
period (or synthetic traffic) becomes arrivals and a roster; then both policies run."""

from __future__ import annotations

import asyncio
import dataclasses
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from agents.profile import Agent as RoutingAgent
from app.db.models import Agent
from app.db.repositories.simulation import SimulationRepository
from app.db.repositories.staff import StaffRepository
from app.db.uow import UnitOfWork
from app.metrics.erlang import staffing
from app.simulation import recorded, synthetic
from app.simulation.compare import candidate_config, compare, locate
from app.simulation.engine import Progress
from app.simulation.model import Arrival, Options, Shift
from app.simulation.patience import PatienceModel
from app.simulation.report import headline
from app.simulation.results import Comparison, summarize
from app.simulation.roster import RosterError, parse_roster
from app.supervisor.config import load_supervisor_config
from routing import Customer, PolicyError, QueueConfig, RoutingConfig

UowFactory = Callable[[], UnitOfWork]
MAX_SYNTHETIC_CONTACTS = 200_000
"""A run of more contacts is a batch job, not a request (about 100 s of CPU)."""


class SimulationInputError(ValueError):
    """The candidate, roster or period cannot be simulated; ``field`` says which input,
    ``line`` the line of the candidate or roster file when known."""

    def __init__(self, message: str, field: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message, self.field, self.line = message, field, line


def load_candidate(text: str, current: RoutingConfig) -> RoutingConfig:
    """The candidate routing.yaml checked as the server would check it at start-up, and
    completed from the current configuration (:func:`candidate_config`)."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        where = f" line {line}" if line is not None else ""
        raise SimulationInputError(
            f"candidate policy{where}: not valid YAML: {problem}", "policy", line
        ) from None
    try:
        return candidate_config(doc, current)
    except PolicyError as exc:
        line = locate(str(exc), text)
        where = f" (line {line})" if line is not None else ""
        raise SimulationInputError(f"candidate policy: {exc}{where}", "policy", line) from None


def queue_config(q: Any) -> QueueConfig:
    """A database queue as routing takes it (as the live path's ``ensure_queue``)."""
    return QueueConfig(
        name=q.name,
        skills=tuple((s, 1) for s in q.skills),
        sla_seconds=float(q.sla_seconds),
        max_wait_seconds=float(q.max_wait_seconds),
        overflow=q.overflow_queue,
    )


def with_queues(config: RoutingConfig, queues: Sequence[Any]) -> RoutingConfig:
    """The file's configuration with the database's queues over it (as the server runs)."""
    by_name = {q.name: q for q in config.queues}
    for q in queues:
        by_name[q.name] = queue_config(q)
    names = set(by_name)
    fixed = tuple(
        dataclasses.replace(q, overflow=q.overflow if q.overflow in names else None)
        for q in by_name.values()
    )
    return dataclasses.replace(config, queues=fixed)


async def database_queues(uow: UowFactory) -> list[Any]:
    async with uow() as u:
        return await StaffRepository(u.session).queues()


@dataclass(frozen=True, slots=True)
class Plan:
    """What both policies will run over."""

    arrivals: Sequence[Arrival]
    roster: Sequence[Shift]
    options: Options
    title: str
    notes: tuple[str, ...]
    tz: tzinfo = UTC


@dataclass(frozen=True, slots=True)
class SyntheticSpec:
    """Poisson arrivals at ``rate_per_hour`` for ``hours``, exponential talk of mean
    ``aht_seconds``, into ``queue`` (default: the first queue); ``agents`` identical agents
    (default: as many as Erlang C says for 80 % within the queue's target);
    ``patience_seconds`` mean patience (inf: nobody hangs up)."""

    rate_per_hour: float
    aht_seconds: float
    hours: float = 8.0
    agents: int | None = None
    patience_seconds: float = math.inf
    queue: str | None = None

    def check(self) -> None:
        if not 0 < self.rate_per_hour or not 0 < self.aht_seconds or not 0 < self.hours:
            raise SimulationInputError(
                "synthetic rate, handle time and hours must be > 0", "synthetic"
            )
        if self.rate_per_hour * self.hours > MAX_SYNTHETIC_CONTACTS:
            raise SimulationInputError(
                f"synthetic traffic of {self.rate_per_hour * self.hours:,.0f} contacts is more "
                f"than {MAX_SYNTHETIC_CONTACTS:,} (lower the rate or the hours)",
                "synthetic",
            )
        if self.agents is not None and not 1 <= self.agents <= 5000:
            raise SimulationInputError("synthetic agents: 1 to 5000", "synthetic")


def _days(start: datetime, end: datetime, tz: tzinfo) -> list[datetime]:
    day = start.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    out = []
    while day < end:
        out.append(day)
        day = (day + timedelta(days=1, hours=2)).replace(hour=0)  # DST-safe next midnight
    return out


def _known(agents: Sequence[Agent]) -> dict[str, RoutingAgent]:
    out: dict[str, RoutingAgent] = {}
    for row in agents:
        profile = RoutingAgent(
            id=str(row.id),
            name=row.display_name,
            skills=dict(row.skills),
            languages=frozenset(row.languages),
            team=row.team,
            senior=row.senior,
            chat_capacity=max(row.chat_capacity, 0),
        )
        out[profile.id] = profile
        out.setdefault(row.username, profile)
    return out


async def known_agents(uow: UowFactory) -> dict[str, RoutingAgent]:
    """The database's agents by id and username, for a roster file's ``agent`` column."""
    async with uow() as u:
        return _known(await SimulationRepository(u.session).agents())


def _roster(text: str, known: dict[str, RoutingAgent], days: list[datetime]) -> list[Shift]:
    try:
        return parse_roster(text, known, days)
    except RosterError as exc:
        line = _line_of(str(exc))
        raise SimulationInputError(str(exc), "roster", line) from None


def _line_of(message: str) -> int | None:
    words = message.split()
    if len(words) > 2 and words[1] == "line":
        digits = words[2].rstrip(":")
        return int(digits) if digits.isdigit() else None
    return None


def _contact(row: Any) -> recorded.RecordedContact:
    attrs = {k: str(v) for k, v in (row.attributes or {}).items() if not k.startswith("_")}
    owner = None if row.complaint_owner is None else str(row.complaint_owner)

    def ts(v: datetime | None) -> float | None:
        return None if v is None else v.timestamp()

    return recorded.RecordedContact(
        id=str(row.id),
        created_at=row.created_at.timestamp(),
        queue=row.queue,
        channel=row.channel,
        first_queue=row.first_queue,
        customer=Customer(
            customer_id=str(row.customer_id),
            grade=row.grade,
            lifecycle=row.lifecycle,
            churn_risk=row.churn_risk,
            account_manager_agent_id=None
            if row.account_manager_id is None
            else str(row.account_manager_id),
            last_agent_id=None if row.last_agent is None else str(row.last_agent),
            last_contact_at=ts(row.last_at),
            open_complaint_owner_id=owner,
            has_open_complaint=owner is not None,
        ),
        offered_at=ts(row.offered_at),
        answered_at=ts(row.answered_at),
        ended_at=ts(row.ended_at),
        wait_seconds=row.wait_seconds,
        handle_seconds=row.handle_seconds,
        end_reason=row.end_reason,
        agent_id=None if row.agent_id is None else str(row.agent_id),
        language=row.language,
        priority=row.priority or 0.0,
        intent=row.intent,
        attributes=attrs,
    )


async def recorded_count(uow: UowFactory, start: datetime, end: datetime) -> int:
    """Contacts recorded in ``[start, end)``; refuses an empty period (before any job)."""
    if end <= start:
        raise SimulationInputError("the period ends before it starts", "to")
    async with uow() as u:
        count = await SimulationRepository(u.session).count(start, end)
    if not count:
        raise SimulationInputError(
            f"no contacts recorded from {start.isoformat()} to {end.isoformat()}", "from"
        )
    return count


def check_roster(
    text: str, known: dict[str, RoutingAgent], start: datetime, end: datetime, tz: tzinfo
) -> None:
    """Raises :class:`SimulationInputError` naming the line when the roster is unusable."""
    _roster(text, known, _days(start, end, tz))


async def recorded_plan(
    uow: UowFactory,
    start: datetime,
    end: datetime,
    current: RoutingConfig,
    options: Options,
    tz: tzinfo = UTC,
    roster_text: str | None = None,
    seed: int = 1,
) -> Plan:
    """The contacts recorded in ``[start, end)`` and who served them (or the roster file)."""
    if end <= start:
        raise SimulationInputError("the period ends before it starts", "to")
    async with uow() as u:
        repo = SimulationRepository(u.session)
        rows = await repo.contacts(start, end)
        staff = await repo.agents()
    contacts = [_contact(r) for r in rows]
    if not contacts:
        raise SimulationInputError(
            f"no contacts recorded from {start.isoformat()} to {end.isoformat()}", "from"
        )
    rng = random.Random(seed)
    patience = PatienceModel.fit(recorded.observations(contacts), options.short_abandon_seconds)
    delay = recorded.answer_delay(contacts, current.settings.offer_timeout)
    if delay is not None:
        options = dataclasses.replace(options, answer_delay=delay)
    queues = {q.name: q for q in current.queues}
    arrivals = recorded.arrivals(contacts, patience, rng, queues)
    known = _known(staff)
    if roster_text is not None:
        shifts = _roster(roster_text, known, _days(start, end, tz))
        roster_note = f"roster: from the file, {len(shifts)} shifts"
    else:
        by_id = {k: v for k, v in known.items() if k == v.id}
        shifts = recorded.roster(
            contacts, by_id, options.answer_delay, current.settings.wrapup_seconds
        )
        roster_note = (
            f"roster: the {len({s.agent.id for s in shifts})} agents who answered, each from "
            "their first answer to their last contact's end (the record keeps no log-ins)"
        )
    record = summarize(
        recorded.outcomes(contacts, queues, options),
        options,
        {},
        None,
        lambda _: 0,
        start.timestamp(),
    )
    means = ", ".join(
        f"{g or 'no grade'} {patience.mean_seconds(g):.0f} s" for g in sorted(patience.rates)
    )
    notes = (
        f"{len(arrivals)} contacts recorded from {start.astimezone(tz):%Y-%m-%d %H:%M} to "
        f"{end.astimezone(tz):%Y-%m-%d %H:%M} ({tz})",
        f"as recorded: {headline(record)}",
        roster_note,
        f"answer delay {options.answer_delay:.1f} s (median recorded offer-to-accept)",
        f"patience: exponential per grade fitted on recorded abandons ({means or 'none'})",
    )
    return Plan(arrivals, shifts, options, "Routing policy simulation: recorded traffic", notes, tz)


def synthetic_plan(
    spec: SyntheticSpec,
    current: RoutingConfig,
    options: Options,
    roster_text: str | None = None,
    known: dict[str, RoutingAgent] | None = None,
    seed: int = 1,
    tz: tzinfo = UTC,
) -> Plan:
    """Poisson traffic into one queue with the customer pyramid, and a roster. The traffic
    starts at midnight (``tz``) of a made-up day, where a roster file's ``HH:MM`` fall."""
    spec.check()
    names = [q.name for q in current.queues]
    queue = spec.queue or ("general" if "general" in names else names[0] if names else None)
    if queue is None or queue not in names:
        raise SimulationInputError(
            f"synthetic queue {queue!r} is not a queue of the policy", "synthetic"
        )
    qconf = next(q for q in current.queues if q.name == queue)
    wrap = current.settings.wrapup_seconds
    day = datetime(2000, 1, 3, tzinfo=tz)  # a Monday; only clock times show
    start = day.timestamp()
    if roster_text is not None:
        shifts = _roster(roster_text, known or {}, [day])
        roster_note = f"roster: from the file, {len(shifts)} shifts"
    else:
        agents = spec.agents
        if agents is None:
            plan = staffing(
                spec.rate_per_hour, 3600, spec.aht_seconds + wrap, 80, qconf.sla_seconds
            )
            agents = plan.agents
        skills = {s: 3 for q in current.queues for s, _ in q.skills}
        shifts = synthetic.roster(agents, start, spec.hours, skills)
        roster_note = f"roster: {agents} identical agents with every queue's skills, 10 % senior"
    rng = random.Random(seed)
    traffic = synthetic.Traffic(
        rate_per_hour=spec.rate_per_hour,
        aht_seconds=spec.aht_seconds,
        hours=spec.hours,
        queues=(queue,),
        grades=synthetic.PYRAMID,
        managers=[s.agent.id for s in shifts],
        wrapup_seconds=None,
        start=start,
    )
    arrivals = synthetic.arrivals(traffic, rng, PatienceModel.mean_patience(spec.patience_seconds))
    notes = (
        f"synthetic: {len(arrivals)} Poisson arrivals ({spec.rate_per_hour:g}/h for "
        f"{spec.hours:g} h) into {queue}, exponential talk of mean {spec.aht_seconds:g} s",
        roster_note,
        "customers: 1 % vip, 19 % key (with an account manager), 30 % ordinary, 50 % small",
        f"answer delay {options.answer_delay:.1f} s; mean patience "
        + (
            "none (nobody hangs up)"
            if math.isinf(spec.patience_seconds)
            else f"{spec.patience_seconds:g} s"
        ),
    )
    return Plan(
        arrivals, shifts, options, "Routing policy simulation: synthetic traffic", notes, tz
    )


def run(
    plan: Plan,
    current: RoutingConfig,
    candidate: RoutingConfig,
    progress: Progress | None = None,
) -> Comparison:
    """Both policies over the plan (CPU-bound: the API runs it in a thread)."""
    return compare(
        current,
        candidate,
        plan.arrivals,
        plan.roster,
        plan.options,
        progress,
        plan.title,
        plan.notes,
        plan.tz,
    )


async def run_in_thread(
    plan: Plan, current: RoutingConfig, candidate: RoutingConfig, progress: Progress | None = None
) -> Comparison:
    """:func:`run` in a worker thread, so that the event loop goes on serving."""
    return await asyncio.to_thread(run, plan, current, candidate, progress)


def options_from(supervisor_file: Path | None) -> tuple[Options, tzinfo]:
    """Targets, short-abandon threshold, variant and time zone of config/supervisor.yaml."""
    cfg = load_supervisor_config(supervisor_file)
    sl = cfg.service_level
    options = Options(
        grade_targets=dict(sl.grade_targets),
        short_abandon_seconds=sl.short_abandon_seconds,
        variant=sl.variant,
    )
    return options, cfg.zone
