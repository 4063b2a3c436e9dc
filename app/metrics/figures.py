"""A queue's figures from what happened to its contacts (pure): service level, ASA, AHT,
abandon rate, occupancy — defined once, here, and in docs/metrics.md.

Contact centres disagree about service level, so the definition is a choice
(:class:`SLVariant`); the default is the one most of the field uses:

    answered within the target / (answered + abandoned after the short-abandon threshold)

A caller who hangs up within the short-abandon threshold (a misdial, a change of mind)
counts in neither the numerator nor the denominator.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "Outcome",
    "QueueFigures",
    "SLRule",
    "SLVariant",
    "figures",
    "figures_by_grade",
    "occupancy",
]


class SLVariant(StrEnum):
    STANDARD = "standard"
    """answered within T / (answered + abandoned after the short-abandon threshold)"""
    ANSWERED = "answered"
    """answered within T / answered — Asterisk's ``ServicelevelPerf``; ignores abandons"""
    ASTERISK_SL2 = "asterisk_sl2"
    """(answered within T + abandoned within T) / (answered + abandoned) — Asterisk's
    ``ServicelevelPerf2``: a caller who gave up before T counts as served in time"""


@dataclass(frozen=True, slots=True)
class SLRule:
    """A service-level target: ``target_seconds`` to answer; abandons within
    ``short_abandon_seconds`` are not counted (STANDARD); how to count (``variant``)."""

    target_seconds: float
    short_abandon_seconds: float = 5.0
    variant: SLVariant = SLVariant.STANDARD


@dataclass(frozen=True, slots=True)
class Outcome:
    """One finished contact of a queue: how long it waited, and whether an agent answered
    (if not, the caller abandoned); for an answered one, talk and wrap-up seconds."""

    wait_seconds: float
    answered: bool
    talk_seconds: float = 0.0
    wrapup_seconds: float = 0.0
    grade: str | None = None


@dataclass(frozen=True, slots=True)
class QueueFigures:
    offered: int  # answered + abandoned (short abandons included)
    answered: int
    abandoned: int  # all abandons
    short_abandoned: int  # within the short-abandon threshold
    answered_within: int  # answered within the target
    service_level: float | None  # 0..1; None when nothing counts yet
    asa_seconds: float | None  # mean wait of the answered
    aht_seconds: float | None  # mean talk + wrap-up of the answered
    abandon_rate: float | None  # abandoned after the threshold / (answered + those)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def figures(outcomes: Iterable[Outcome], rule: SLRule) -> QueueFigures:
    """The figures of these contacts under ``rule``."""
    items = list(outcomes)
    answered = [o for o in items if o.answered]
    abandoned = [o for o in items if not o.answered]
    target, short = rule.target_seconds, rule.short_abandon_seconds
    within = sum(1 for o in answered if o.wait_seconds <= target)
    short_abandoned = sum(1 for o in abandoned if o.wait_seconds <= short)
    long_abandoned = len(abandoned) - short_abandoned
    if rule.variant is SLVariant.STANDARD:
        level = _ratio(within, len(answered) + long_abandoned)
    elif rule.variant is SLVariant.ANSWERED:
        level = _ratio(within, len(answered))
    else:
        gave_up_in_time = sum(1 for o in abandoned if o.wait_seconds <= target)
        level = _ratio(within + gave_up_in_time, len(items))
    return QueueFigures(
        offered=len(items),
        answered=len(answered),
        abandoned=len(abandoned),
        short_abandoned=short_abandoned,
        answered_within=within,
        service_level=level,
        asa_seconds=_mean([o.wait_seconds for o in answered]),
        aht_seconds=_mean([o.talk_seconds + o.wrapup_seconds for o in answered]),
        abandon_rate=_ratio(long_abandoned, len(answered) + long_abandoned),
    )


def figures_by_grade(
    outcomes: Iterable[Outcome], rules: Mapping[str, SLRule], default: SLRule
) -> dict[str, QueueFigures]:
    """Per customer grade, each against its own target (a VIP's is shorter); contacts
    without a grade are under ``""`` with the ``default`` rule."""
    by_grade: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_grade[o.grade or ""].append(o)
    return {g: figures(items, rules.get(g, default)) for g, items in sorted(by_grade.items())}


def occupancy(
    handling_seconds: float, logged_in_seconds: float, break_seconds: float
) -> float | None:
    """Share of available time spent handling contacts (talk + wrap-up):
    handling / (logged in − breaks); None when there was no available time."""
    available = logged_in_seconds - break_seconds
    if available <= 0:
        return None
    return min(1.0, max(0.0, handling_seconds / available))
