"""What a simulation is given: arrivals, the roster, and how simulated people behave.

Times are float seconds on the simulation's clock (epoch seconds for recorded days, so the
report can print clock times); the core never reads a real clock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from agents.profile import Agent
from app.metrics.figures import SLVariant
from routing import Customer


@dataclass(frozen=True, slots=True)
class Arrival:
    """One contact as the simulation replays it.

    Attributes:
        id: unique contact id.
        at: when it joins its queue.
        queue: the queue it first waits in (an overflow may move it).
        channel: ``voice`` or ``chat``.
        customer: the routing facts (grade, account manager, last agent, open complaint).
        handle_seconds: talk time once an agent answers.
        wrapup_seconds: the agent's after-contact work; None lets the policy's wrap-up
            timeout end it (the record does not keep wrap-up time).
        patience_seconds: the caller hangs up after waiting this long unanswered
            (``inf``: waits for ever). Drawn before the run, so the current policy and the
            candidate meet the same callers (common random numbers: the difference between
            the two runs is the policy's, not the dice's).
    """

    id: str
    at: float
    queue: str
    channel: str = "voice"
    customer: Customer = field(default_factory=Customer)
    handle_seconds: float = 180.0
    wrapup_seconds: float | None = None
    patience_seconds: float = math.inf
    language: str | None = None
    base_priority: float = 0.0
    intent: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BreakSpan:
    """A break from ``start`` to ``end`` (a break asked for while busy starts when the work
    ends, as in the server)."""

    start: float
    end: float
    reason: str = "break"


@dataclass(frozen=True, slots=True)
class Shift:
    """An agent logged in from ``start`` to ``end``, with breaks in between. At ``end`` an
    agent in the middle of a contact finishes it (and its wrap-up) before logging out."""

    agent: Agent
    start: float
    end: float
    breaks: tuple[BreakSpan, ...] = ()


@dataclass(frozen=True, slots=True)
class Options:
    """How simulated agents behave and how the figures are counted.

    Attributes:
        answer_delay: seconds from an offer to the agent's accept (must be shorter than the
            offer timeout, or every offer expires).
        grade_targets: service-level target per customer grade (never longer than the
            queue's own target); other grades use the queue's ``sla_seconds``.
        short_abandon_seconds: abandons this quick count neither way (docs/metrics.md).
        variant: how the service level is counted.
        interval_seconds: width of the through-the-day series (by arrival time).
        progress_every: call ``progress`` after this many arrivals.
    """

    answer_delay: float = 3.0
    grade_targets: Mapping[str, float] = field(default_factory=lambda: {"vip": 20.0, "key": 30.0})
    short_abandon_seconds: float = 5.0
    variant: SLVariant = SLVariant.STANDARD
    interval_seconds: float = 1800.0
    progress_every: int = 500
