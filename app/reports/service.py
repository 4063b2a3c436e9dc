"""Reports over a time range (docs/reports.md): queues, agents and grades per bucket,
complaints and satisfaction over the range.

One statement reads what a report counts (app/db/repositories/reports.py); every figure
comes from :mod:`app.metrics.figures` under the supervisor config's service-level rule and
targets (config/supervisor.yaml), so a report and the wallboard cannot disagree.

AHT is talk (answer to end) plus wrap-up (end to the wrap-up's save, ``wrapped_up_at``);
occupancy is time busy or in wrap-up over time logged in less breaks, from agents' state
history (``agent_states``). Both are recorded from migration 0011 on: contacts wrapped up
before it count their talk only, and a range before it has no state time (null occupancy).
``not_recorded`` names any figure the record cannot give (none today).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.db.models.complaints import OPEN_STATUSES
from app.db.repositories.agent_states import AgentStateRepository
from app.db.repositories.reports import ReportRepository
from app.db.uow import UnitOfWork
from app.metrics.figures import Outcome, QueueFigures, SLRule, figures, occupancy
from app.reports.buckets import Interval, ReportRange, bucket_start, split
from app.supervisor.config import SupervisorConfig

NOT_RECORDED: list[str] = []
LOGGED_OUT = "offline"
ON_BREAK = "break"
HANDLING = frozenset({"busy", "wrapup"})  # with a contact: occupancy's numerator
DEFAULT_TARGET = 20.0  # a queue deleted since: the wallboard's default target too


@dataclass(slots=True)
class _Contact:
    """One finished contact as the reports count it."""

    queue: str
    grade: str | None
    agent_id: int | None
    at: datetime  # answered, or ended unanswered
    outcome: Outcome
    handled: bool  # answered and ended: its talk time is known
    rating: int | None


@dataclass(slots=True)
class _Targets:
    queues: dict[str, float] = field(default_factory=dict)
    grades: dict[str, dict[str, float]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def target(self, queue: str, grade: str | None) -> float:
        base = self.queues.get(queue, DEFAULT_TARGET)
        if grade is None:
            return base
        return self.grades.get(queue, {}).get(grade, base)


def _secs(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def _share(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def _contact(row: Any) -> _Contact:
    answered = row.answered_at is not None
    wait = row.wait_seconds
    if wait is None:  # an older row: its wait from its times
        stop = row.answered_at if answered else row.ended_at
        wait = max(0.0, (stop - row.created_at).total_seconds())
    handled = answered and row.handle_seconds is not None
    return _Contact(
        queue=str(row.queue),
        grade=row.grade,
        agent_id=row.agent_id if answered else None,
        at=row.answered_at if answered else row.ended_at,
        outcome=Outcome(
            wait_seconds=float(wait),
            answered=answered,
            talk_seconds=float(row.handle_seconds or 0.0),
            wrapup_seconds=_wrapup_seconds(row),
            grade=row.grade,
        ),
        handled=handled,
        rating=row.rating,
    )


def _wrapup_seconds(row: Any) -> float:
    if row.wrapped_up_at is None or row.ended_at is None:
        return 0.0  # not wrapped up yet, or before the record kept the time
    return max(0.0, (row.wrapped_up_at - row.ended_at).total_seconds())


@dataclass(slots=True)
class _StateTime:
    """An agent's time in one bucket, from their state history."""

    logged_in: float = 0.0
    on_break: float = 0.0
    handling: float = 0.0


def _figures(items: list[_Contact], rule: SLRule) -> dict[str, Any]:
    """The queue figures of ``items``; AHT over those whose handling is over."""
    all_: QueueFigures = figures((c.outcome for c in items), rule)
    handled = figures((c.outcome for c in items if c.handled), rule)
    return {
        "target_seconds": rule.target_seconds,
        "offered": all_.offered,
        "answered": all_.answered,
        "abandoned": all_.abandoned,
        "short_abandoned": all_.short_abandoned,
        "answered_within": all_.answered_within,
        "service_level": _share(all_.service_level),
        "asa_seconds": _secs(all_.asa_seconds),
        "aht_seconds": _secs(handled.aht_seconds),
        "abandon_rate": _share(all_.abandon_rate),
        "occupancy": None,  # an agent figure (agents serve several queues): the agents report
    }


class Reports:
    """The reports of one request: a range, an interval, the floor's config."""

    def __init__(
        self, config: SupervisorConfig, span: ReportRange, interval: Interval | None = None
    ) -> None:
        self.config = config
        self.span = span
        self.interval = interval

    def header(self) -> dict[str, Any]:
        sl = self.config.service_level
        return {
            "from": self.span.start.astimezone(self.span.zone),
            "to": self.span.end.astimezone(self.span.zone),
            "interval": self.interval.value if self.interval is not None else None,
            "timezone": self.span.zone.key,
            "service_level": {
                "variant": sl.variant.value,
                "short_abandon_seconds": sl.short_abandon_seconds,
            },
            "not_recorded": list(NOT_RECORDED),
        }

    def _bucket(self, at: datetime) -> datetime:
        # Keyed by the UTC instant: two wall-clock-equal hours of an autumn change differ.
        interval = self.interval or Interval.DAY
        return bucket_start(at, interval, self.span.zone).astimezone(UTC)

    def _local(self, key: datetime) -> datetime:
        return key.astimezone(self.span.zone)

    async def _load(self, uow: UnitOfWork) -> tuple[list[_Contact], _Targets]:
        repo = ReportRepository(uow.session)
        targets = _Targets()
        for q in await repo.queues():
            seconds = float(q.sla_seconds)
            targets.queues[q.name] = seconds
            targets.grades[q.name] = self.config.targets(seconds, q.attributes or {})
            targets.names[q.name] = q.display_name
        rows = await repo.outcomes(self.span.start, self.span.end)
        return [_contact(r) for r in rows], targets

    def _grouped(
        self, contacts: Iterable[_Contact], key: Callable[[_Contact], Any]
    ) -> dict[tuple[datetime, Any], list[_Contact]]:
        groups: dict[tuple[datetime, Any], list[_Contact]] = defaultdict(list)
        for c in contacts:
            groups[(self._bucket(c.at), key(c))].append(c)
        return groups

    async def queues(self, uow: UnitOfWork) -> dict[str, Any]:
        """Per bucket and queue: offered, answered, abandoned, service level, ASA, AHT..."""
        contacts, targets = await self._load(uow)
        rows = []
        for (bucket, queue), items in sorted(self._grouped(contacts, lambda c: c.queue).items()):
            rule = self.config.rule(targets.queues.get(queue, DEFAULT_TARGET))
            rows.append({"bucket": self._local(bucket), "queue": queue, **_figures(items, rule)})
        by_queue: dict[str, list[_Contact]] = defaultdict(list)
        for c in contacts:
            by_queue[c.queue].append(c)
        totals = [
            {
                "queue": queue,
                **_figures(items, self.config.rule(targets.queues.get(queue, DEFAULT_TARGET))),
            }
            for queue, items in sorted(by_queue.items())
        ]
        return {**self.header(), "rows": rows, "totals": totals}

    async def grades(self, uow: UnitOfWork) -> dict[str, Any]:
        """Per bucket, queue and customer grade, each against the grade's own target in that
        queue (docs/metrics.md); contacts of customers without a grade under ``""``."""
        contacts, targets = await self._load(uow)
        rows = []
        groups = self._grouped(contacts, lambda c: (c.queue, c.grade or ""))
        for (bucket, (queue, grade)), items in sorted(groups.items()):
            rule = self.config.rule(targets.target(queue, grade or None))
            rows.append(
                {
                    "bucket": self._local(bucket),
                    "queue": queue,
                    "grade": grade,
                    **_figures(items, rule),
                }
            )
        return {**self.header(), "rows": rows}

    async def agents(self, uow: UnitOfWork, now: datetime) -> dict[str, Any]:
        """Per bucket and agent: contacts answered and handled, handling time (talk +
        wrap-up), ASA and AHT of what they answered, ratings; logged-in, break and
        occupancy from their state history (a state still going counts until ``now``)."""
        contacts, _ = await self._load(uow)
        repo = ReportRepository(uow.session)
        names = await repo.agent_names()
        times = self._state_times(
            await AgentStateRepository(uow.session).in_range(self.span.start, self.span.end),
            min(self.span.end, now),
        )
        answered = [c for c in contacts if c.agent_id is not None]
        grouped = self._grouped(answered, lambda c: c.agent_id)
        rows = []
        for bucket, agent in sorted(grouped.keys() | times.keys()):
            items = grouped.get((bucket, agent), [])
            handled = [c for c in items if c.handled]
            handling = sum(
                (c.outcome.talk_seconds + c.outcome.wrapup_seconds for c in handled), 0.0
            )
            ratings = [c.rating for c in items if c.rating is not None]
            # ASA and AHT as app.metrics defines them (the target plays no part in either).
            asa = figures((c.outcome for c in items), self.config.rule(DEFAULT_TARGET))
            aht = figures((c.outcome for c in handled), self.config.rule(DEFAULT_TARGET))
            time = times.get((bucket, agent))
            rows.append(
                {
                    "bucket": self._local(bucket),
                    "agent_id": agent,
                    "agent_name": names.get(agent),
                    "answered": len(items),
                    "handled": len(handled),
                    "handling_seconds": _secs(handling),
                    "asa_seconds": _secs(asa.asa_seconds),
                    "aht_seconds": _secs(aht.aht_seconds),
                    "ratings": len(ratings),
                    "average_rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
                    "logged_in_seconds": _secs(time.logged_in) if time else None,
                    "break_seconds": _secs(time.on_break) if time else None,
                    "occupancy": (
                        _share(occupancy(time.handling, time.logged_in, time.on_break))
                        if time
                        else None
                    ),
                }
            )
        return {**self.header(), "rows": rows}

    def _state_times(
        self, changes: list[Any], until: datetime
    ) -> dict[tuple[datetime, int], _StateTime]:
        """Each agent's time logged in, on break and handling, per bucket, from their
        state changes (ordered by agent and time; the first may precede the range)."""
        interval = self.interval or Interval.DAY
        out: dict[tuple[datetime, int], _StateTime] = defaultdict(_StateTime)
        for i, change in enumerate(changes):
            following = changes[i + 1] if i + 1 < len(changes) else None
            stop = (
                following.at
                if following is not None and following.agent_id == change.agent_id
                else until
            )
            start = max(change.at, self.span.start)
            if change.state == LOGGED_OUT or stop <= start:
                continue
            for bucket, seconds in split(start, min(stop, until), interval, self.span.zone):
                time = out[(bucket.astimezone(UTC), int(change.agent_id))]
                time.logged_in += seconds
                if change.state == ON_BREAK:
                    time.on_break += seconds
                elif change.state in HANDLING:
                    time.handling += seconds
        return out

    async def complaints(self, uow: UnitOfWork, now: datetime) -> dict[str, Any]:
        """Complaints opened in the range (and any still open, whenever opened), per
        category: opened, open now, late (open past their deadline now, or answered or
        resolved after it), mean hours to the first answer and to resolution."""
        rows = await ReportRepository(uow.session).complaints(self.span.start, self.span.end)
        by_category: dict[str, list[Any]] = defaultdict(list)
        for r in rows:
            by_category[str(r.category)].append(r)
        categories = [
            {"category": name, **self._complaint_figures(items, now)}
            for name, items in sorted(by_category.items())
        ]
        return {
            **self.header(),
            "now": now.astimezone(self.span.zone),
            "totals": self._complaint_figures(rows, now),
            "categories": categories,
        }

    def _complaint_figures(self, rows: list[Any], now: datetime) -> dict[str, Any]:
        start, end = self.span.start, self.span.end
        opened = [r for r in rows if start <= r.created_at < end]
        open_now = [r for r in rows if r.status in OPEN_STATUSES]
        late_open = [r for r in open_now if r.due_at < now]
        # The first answer's deadline, apart (docs/promises.md): open and unanswered past it
        # now, or answered after it.
        late_first_open = [
            r
            for r in open_now
            if r.first_answered_at is None
            and r.first_answer_due_at is not None
            and r.first_answer_due_at < now
        ]
        first_late = [
            r
            for r in opened
            if r.first_answered_at is not None
            and r.first_answer_due_at is not None
            and r.first_answered_at > r.first_answer_due_at
        ]
        # Of those opened in the range: answered or resolved after the deadline.
        late_closed = [
            r
            for r in opened
            if r.status not in OPEN_STATUSES
            and r.resolved_at is not None
            and r.resolved_at > r.due_at
        ]
        first = [
            (r.acknowledged_at - r.created_at).total_seconds() / 3600
            for r in opened
            if r.acknowledged_at is not None
        ]
        resolve = [
            (r.resolved_at - r.created_at).total_seconds() / 3600
            for r in opened
            if r.resolved_at is not None
        ]
        return {
            "opened": len(opened),
            "open": len(open_now),
            "late_open": len(late_open),
            "first_answer_late_open": len(late_first_open),
            "first_answered_late": len(first_late),
            "resolved_late": len(late_closed),
            "answered": len(first),
            "mean_hours_to_first_answer": round(sum(first) / len(first), 2) if first else None,
            "resolved": len(resolve),
            "mean_hours_to_resolve": round(sum(resolve) / len(resolve), 2) if resolve else None,
        }

    async def satisfaction(self, uow: UnitOfWork) -> dict[str, Any]:
        """Ratings of contacts that ended in the range, per agent, queue and customer grade:
        how many, their mean, and how many of each score."""
        repo = ReportRepository(uow.session)
        groups = await repo.ratings(self.span.start, self.span.end)
        names = await repo.agent_names()
        dims: dict[str, dict[Any, Counter[int]]] = {
            "agent": defaultdict(Counter),
            "queue": defaultdict(Counter),
            "grade": defaultdict(Counter),
        }
        overall: Counter[int] = Counter()
        for g in groups:
            score, n = int(g.rating), int(g.n)
            overall[score] += n
            dims["agent"][g.agent_id][score] += n
            dims["queue"][g.queue][score] += n
            dims["grade"][g.grade or ""][score] += n

        def rollup(key: str | None, value: Any, scores: Counter[int]) -> dict[str, Any]:
            count = sum(scores.values())
            out: dict[str, Any] = {key: value} if key is not None else {}
            if key == "agent_id":
                out["agent_name"] = names.get(value) if value is not None else None
            return {
                **out,
                "ratings": count,
                "average": round(sum(s * n for s, n in scores.items()) / count, 2)
                if count
                else None,
                "scores": {str(s): n for s, n in sorted(scores.items())},
            }

        def order(items: dict[Any, Counter[int]]) -> list[tuple[Any, Counter[int]]]:
            # None (a contact without an agent or a queue) last, the rest in order.
            return sorted(items.items(), key=lambda kv: (kv[0] is None, str(kv[0])))

        return {
            **self.header(),
            "overall": rollup(None, None, overall),
            "by_agent": [rollup("agent_id", k, v) for k, v in order(dims["agent"])],
            "by_queue": [rollup("queue", k, v) for k, v in order(dims["queue"])],
            "by_grade": [rollup("grade", k, v) for k, v in order(dims["grade"])],
        }
