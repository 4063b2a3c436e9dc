"""The care rules, pure: given what is known of customers and the time, which tasks to make.

No I/O and no clock: :class:`app.care.service.CareService` gathers the facts (one query per
kind of occasion) and passes ``now``; this module decides. Each task it plans carries its
idempotency key, ``(customer, rule, occasion)``: a rule fires once per customer per occasion
however often the rules are evaluated (the key is unique in ``care_tasks``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

Kind = Literal["win_back", "follow_up", "thank_you", "check_in"]
Purpose = Literal["sales", "care", "service"]
Via = Literal["call", "message"]
KINDS: tuple[str, ...] = ("win_back", "follow_up", "thank_you", "check_in")


@dataclass(frozen=True, slots=True)
class CareRule:
    """One rule of ``config/care.yaml`` (docs/care.md, "Rules").

    Attributes:
        name: unique; part of each task's idempotency key.
        kind: what occasion fires it (``win_back``: decline or churn risk; ``follow_up``: a
            complaint closed; ``thank_you``: a large purchase; ``check_in``: silence).
        purpose: ``sales`` tasks wait while the customer has an open complaint or an overdue
            promise; ``care`` and ``service`` tasks do not.
        via: how the agent reaches the customer; ``call`` honours do-not-call, ``message``
            do-not-message.
        grades: customer grades it applies to (empty: every grade).
        queue: the queue the task waits in.
        owner: ``account_manager`` prefers the customer's account manager (routing's
            ``account_manager`` preference), or None.
        skill: a skill the task needs (the queue's skills when None).
        due_hours: the task is due this long after it is made (its service level: answered
            means accepted before it is due).
        text: what the agent is asked to do, per language (``zh``, ``en``).
        churn_threshold: ``win_back``: churn risk at or above this fires too.
        after_days: ``follow_up``: days after the complaint closed.
        min_amount: ``thank_you``: the purchase's amount at least this.
        silence_factor: ``check_in``: silent for this many usual purchase intervals.
        lookback_days: occasions older than this are not acted on (a new installation does
            not call about last year's purchases).
    """

    name: str
    kind: Kind
    queue: str
    text: Mapping[str, str]
    purpose: Purpose = "care"
    via: Via = "call"
    grades: frozenset[str] = frozenset()
    owner: Literal["account_manager"] | None = None
    skill: str | None = None
    due_hours: float = 24.0
    churn_threshold: float | None = None
    after_days: float = 7.0
    min_amount: float = 0.0
    silence_factor: float = 2.0
    lookback_days: float = 14.0

    def applies_to(self, grade: str | None) -> bool:
        return not self.grades or (grade is not None and grade in self.grades)


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """What the rules read of one customer (``None``: not known)."""

    customer_id: int
    grade: str | None = None
    lifecycle: str | None = None
    churn_risk: float | None = None
    account_manager_id: int | None = None
    first_purchase_at: datetime | None = None
    last_purchase_at: datetime | None = None
    purchases: int = 0
    # (complaint id, when it was closed)
    closed_complaints: tuple[tuple[int, datetime], ...] = ()
    # (transaction id, amount, when)
    purchases_recent: tuple[tuple[int, float, datetime], ...] = ()

    @property
    def usual_interval(self) -> timedelta | None:
        """The mean time between purchases; None with fewer than two."""
        if self.purchases < 2 or self.first_purchase_at is None or self.last_purchase_at is None:
            return None
        return (self.last_purchase_at - self.first_purchase_at) / (self.purchases - 1)


@dataclass(frozen=True, slots=True)
class TaskPlan:
    """A task a rule asks for; ``(customer_id, rule, occasion)`` is its idempotency key."""

    customer_id: int
    rule: str
    kind: str
    occasion: str
    purpose: str
    via: str
    queue: str
    due_at: datetime
    owner_id: int | None
    skill: str | None
    text: Mapping[str, str]
    facts: Mapping[str, object] = field(default_factory=dict)


def evaluate(
    rules: Iterable[CareRule], customers: Iterable[CustomerFacts], now: datetime
) -> list[TaskPlan]:
    """Every task the rules ask for now. Repeating a call plans the same keys again; the
    caller stores each key once."""
    rules = list(rules)
    plans: list[TaskPlan] = []
    for facts in customers:
        for rule in rules:
            if rule.applies_to(facts.grade):
                plans.extend(_fire(rule, facts, now))
    return plans


def _fire(rule: CareRule, c: CustomerFacts, now: datetime) -> list[TaskPlan]:
    horizon = now - timedelta(days=rule.lookback_days)
    if rule.kind == "win_back":
        declining = c.lifecycle == "decline"
        at_risk = (
            rule.churn_threshold is not None
            and c.churn_risk is not None
            and c.churn_risk >= rule.churn_threshold
        )
        if not (declining or at_risk):
            return []
        # One win-back per drift: the occasion is the last purchase the customer drifted
        # from. A won-back customer who buys and drifts again is a new occasion.
        since = c.last_purchase_at.date().isoformat() if c.last_purchase_at else "never"
        trigger = "decline" if declining else "churn_risk"
        facts = {"trigger": trigger, "lifecycle": c.lifecycle, "churn_risk": c.churn_risk}
        return [_plan(rule, c, f"drift:{since}", now, facts)]
    if rule.kind == "follow_up":
        due = timedelta(days=rule.after_days)
        return [
            _plan(rule, c, f"complaint:{cid}", now, {"complaint_id": cid})
            for cid, closed_at in c.closed_complaints
            if closed_at + due <= now and closed_at + due >= horizon
        ]
    if rule.kind == "thank_you":
        return [
            _plan(rule, c, f"purchase:{tid}", now, {"transaction_id": tid, "amount": amount})
            for tid, amount, at in c.purchases_recent
            if amount >= rule.min_amount and horizon <= at <= now
        ]
    if rule.kind == "check_in":
        interval = c.usual_interval
        if interval is None or c.last_purchase_at is None or interval.total_seconds() <= 0:
            return []
        silent = now - c.last_purchase_at
        if silent < interval * rule.silence_factor:
            return []
        days = round(interval.total_seconds() / 86400, 1)
        facts = {"silent_days": silent.days, "usual_days": days}
        return [_plan(rule, c, f"silent:{c.last_purchase_at.date().isoformat()}", now, facts)]
    raise ValueError(f"care rule {rule.name!r}: unknown kind {rule.kind!r}")


def _plan(
    rule: CareRule, c: CustomerFacts, occasion: str, now: datetime, facts: Mapping[str, object]
) -> TaskPlan:
    return TaskPlan(
        customer_id=c.customer_id,
        rule=rule.name,
        kind=rule.kind,
        occasion=occasion,
        purpose=rule.purpose,
        via=rule.via,
        queue=rule.queue,
        due_at=now + timedelta(hours=rule.due_hours),
        owner_id=c.account_manager_id if rule.owner == "account_manager" else None,
        skill=rule.skill,
        text=rule.text,
        facts=facts,
    )


@dataclass(frozen=True, slots=True)
class Discipline:
    """What contact discipline knows of a customer when a task would be released."""

    open_complaint: bool = False
    overdue_promise: bool = False
    do_not_call: bool = False
    do_not_message: bool = False
    outbound_in_period: int = 0


def hold_reason(
    purpose: str, via: str, facts: Discipline, cap: int | None, period_days: float
) -> tuple[str, dict[str, object]] | None:
    """Why a task (or callback) must wait now, as a message code and its facts, or None.

    The order is the order a supervisor fixes them in: an opt-out first (it never clears by
    itself), then the customer's unsolved problem, then the cap.
    """
    if via == "call" and facts.do_not_call:
        return "care.held.do_not_call", {}
    if via == "message" and facts.do_not_message:
        return "care.held.do_not_message", {}
    if purpose == "sales" and facts.open_complaint:
        return "care.held.open_complaint", {}
    if purpose == "sales" and facts.overdue_promise:
        return "care.held.overdue_promise", {}
    if cap is not None and facts.outbound_in_period >= cap:
        return "care.held.cap", {"count": facts.outbound_in_period, "cap": cap, "days": period_days}
    return None
