"""What a simulation gives: each contact's outcome and the figures built from them.

The figures are those of docs/metrics.md, computed by :mod:`app.metrics.figures` (one
definition for the wallboard, the reports and the simulator).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, tzinfo

from app.metrics.figures import Outcome, SLRule, SLVariant, figures
from app.simulation.model import Options
from routing import QueueConfig

VIP = "vip"


@dataclass(frozen=True, slots=True)
class ContactOutcome:
    """What happened to one contact in the simulation.

    ``queue`` is where it was answered or abandoned (after an overflow, the overflow
    queue); ``target`` its service-level target there (its grade's, never longer than the
    queue's). ``preferred_as`` names the relationship when the agent who answered was one of
    the rule's preferred agents (``account manager``, ``complaint owner``, ``last agent``,
    ``team``), as the router's explanation of the offer says.
    """

    id: str
    arrived_at: float
    queue: str
    grade: str | None
    answered: bool
    wait_seconds: float
    target: float
    talk_seconds: float = 0.0
    wrapup_seconds: float = 0.0
    offers: int = 0
    agent_id: str | None = None
    preferred_as: str | None = None
    finished: bool = True  # False: still waiting when the simulation ran out of events


@dataclass(frozen=True, slots=True)
class GroupFigures:
    """The figures of one group of contacts (a queue, a grade, a grade within a queue)."""

    contacts: int
    answered: int
    abandoned: int
    service_level: float | None  # 0..1, each contact against its own target
    asa_seconds: float | None
    abandon_rate: float | None
    longest_wait: float
    offers_per_contact: float | None
    preferred_served: int  # answered by one of their preferred agents
    occupancy: float | None = None  # queues only: agents who have the queue's skills

    @property
    def preferred_share(self) -> float | None:
        return self.preferred_served / self.answered if self.answered else None


@dataclass(frozen=True, slots=True)
class Interval:
    """Contacts that arrived in ``[start, start + interval)``, and how many were waiting at
    ``start``."""

    start: float
    arrivals: int
    waiting_at_start: int
    asa_seconds: float | None
    service_level: float | None


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """One policy's run over the traffic."""

    overall: GroupFigures
    queues: Mapping[str, GroupFigures]
    grades: Mapping[str, GroupFigures]  # "" = no grade
    queue_grades: Mapping[tuple[str, str], GroupFigures]
    occupancy: float | None
    longest_vip_wait: float
    preferred_by_kind: Mapping[str, int]
    intervals: tuple[Interval, ...]
    outcomes: tuple[ContactOutcome, ...] = field(repr=False)
    unfinished: int = 0
    router_calls: int = 0


@dataclass(frozen=True, slots=True)
class Comparison:
    """The current policy and the candidate over the same traffic."""

    title: str
    current: SimulationResult
    candidate: SimulationResult
    notes: tuple[str, ...] = ()
    tz: tzinfo = UTC  # clock times in the report


def target_of(queue: QueueConfig | None, grade: str | None, options: Options) -> float:
    """A contact's service-level target: its grade's, never longer than the queue's."""
    base = queue.sla_seconds if queue is not None else 60.0
    own = options.grade_targets.get(grade or "")
    return base if own is None else min(base, own)


def _group(
    items: Sequence[ContactOutcome], options: Options, occupancy: float | None = None
) -> GroupFigures:
    """Figures of contacts whose targets may differ: :func:`figures` per target, added up."""
    by_target: dict[float, list[Outcome]] = defaultdict(list)
    finished = [o for o in items if o.finished]
    for o in finished:
        by_target[o.target].append(
            Outcome(o.wait_seconds, o.answered, o.talk_seconds, o.wrapup_seconds, o.grade)
        )
    within = counted = answered = abandoned = long_abandoned = 0
    for target, outs in by_target.items():
        f = figures(outs, SLRule(target, options.short_abandon_seconds, options.variant))
        answered += f.answered
        abandoned += f.abandoned
        long_abandoned += f.abandoned - f.short_abandoned
        if options.variant is SLVariant.STANDARD:
            within += f.answered_within
            counted += f.answered + f.abandoned - f.short_abandoned
        elif options.variant is SLVariant.ANSWERED:
            within += f.answered_within
            counted += f.answered
        elif f.service_level is not None:
            within += round(f.service_level * f.offered)
            counted += f.offered
    waits = [o.wait_seconds for o in finished if o.answered]
    offers = sum(o.offers for o in items)
    return GroupFigures(
        contacts=len(items),
        answered=answered,
        abandoned=abandoned,
        service_level=within / counted if counted else None,
        asa_seconds=sum(waits) / len(waits) if waits else None,
        abandon_rate=long_abandoned / (answered + long_abandoned)
        if answered + long_abandoned
        else None,
        longest_wait=max((o.wait_seconds for o in items), default=0.0),
        offers_per_contact=offers / len(items) if items else None,
        preferred_served=sum(1 for o in items if o.answered and o.preferred_as),
        occupancy=occupancy,
    )


def summarize(
    outcomes: Sequence[ContactOutcome],
    options: Options,
    queue_occupancy: Mapping[str, float | None],
    occupancy: float | None,
    waiting_at: Callable[[float], int],
    start: float,
    router_calls: int = 0,
) -> SimulationResult:
    """All the figures of one run. ``waiting_at(t)``: contacts waiting at time ``t``."""
    by_queue: dict[str, list[ContactOutcome]] = defaultdict(list)
    by_grade: dict[str, list[ContactOutcome]] = defaultdict(list)
    by_both: dict[tuple[str, str], list[ContactOutcome]] = defaultdict(list)
    for o in outcomes:
        g = o.grade or ""
        by_queue[o.queue].append(o)
        by_grade[g].append(o)
        by_both[(o.queue, g)].append(o)
    vip_waits = [o.wait_seconds for o in outcomes if o.grade == VIP]
    kinds = Counter(o.preferred_as for o in outcomes if o.answered and o.preferred_as)
    return SimulationResult(
        overall=_group(outcomes, options, occupancy),
        queues={
            q: _group(items, options, queue_occupancy.get(q))
            for q, items in sorted(by_queue.items())
        },
        grades={g: _group(items, options) for g, items in sorted(by_grade.items())},
        queue_grades={k: _group(items, options) for k, items in sorted(by_both.items())},
        occupancy=occupancy,
        longest_vip_wait=max(vip_waits, default=0.0),
        preferred_by_kind=dict(sorted(kinds.items())),
        intervals=_intervals(outcomes, options, waiting_at, start),
        outcomes=tuple(outcomes),
        unfinished=sum(1 for o in outcomes if not o.finished),
        router_calls=router_calls,
    )


def _intervals(
    outcomes: Iterable[ContactOutcome],
    options: Options,
    waiting_at: Callable[[float], int],
    start: float,
) -> tuple[Interval, ...]:
    width = options.interval_seconds
    bins: dict[int, list[ContactOutcome]] = defaultdict(list)
    for o in outcomes:
        bins[math.floor((o.arrived_at - start) / width)].append(o)
    if not bins:
        return ()
    out = []
    for i in range(min(bins), max(bins) + 1):
        items = bins.get(i, [])
        f = _group(items, options)
        at = start + i * width
        out.append(Interval(at, len(items), waiting_at(at), f.asa_seconds, f.service_level))
    return tuple(out)
