"""Value objects of customer grading: raw facts, per-customer aggregates in, the value out.

Every datetime is timezone-aware UTC; naive datetimes (SQLite returns them) are taken as UTC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from routing.messages import Message

YEAR_DAYS = 365
"""The "12 months" of ``value_12m`` and ``complaints_12m``: exactly 365 days, not a calendar year."""
LOW_RATING_MAX = 2
"""Ratings at or below this score count as low (``low_ratings``)."""


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` as an aware UTC datetime (naive means UTC already)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Transaction:
    """One purchase. ``margin`` is None when unknown (then the amount stands in for it)."""

    at: datetime
    amount: float
    margin: float | None = None


@dataclass(frozen=True, slots=True)
class ComplaintFact:
    """One complaint: when it was opened and whether it is still open."""

    opened_at: datetime
    is_open: bool


@dataclass(frozen=True, slots=True)
class CustomerStats:
    """One customer's aggregates, as ONE SQL ``GROUP BY customer_id`` query computes them.

    Notation: ``:now`` is the grading time; ``R`` = ``windows.recent_days`` and ``B`` =
    ``windows.baseline_days`` from the config; ``v(tx)`` is a transaction's value —
    ``COALESCE(margin, amount)`` when ``value_measure`` is ``margin``, ``amount`` when it is
    ``revenue``. ``T`` is the customer's transactions with ``at < :now`` (later ones are ignored
    everywhere). Every window is half-open: ``lower <= at < upper``; "N days" means exactly
    N × 24 h (SQL ``interval 'N days'``, never ``'1 year'``). Sums over no rows are 0, not NULL.
    The reference is :func:`app.grading.history.stats_from_history`.
    """

    customer_id: int
    created_at: datetime
    """``customers.created_at`` (the record's creation, not a purchase)."""
    purchases: int = 0
    """``COUNT(*)`` over T."""
    first_purchase_at: datetime | None = None
    """``MIN(at)`` over T; NULL exactly when ``purchases`` = 0."""
    last_purchase_at: datetime | None = None
    """``MAX(at)`` over T; NULL exactly when ``purchases`` = 0."""
    value_total: float = 0.0
    """``SUM(v)`` over T."""
    value_12m: float = 0.0
    """``SUM(v)`` over T where ``:now - 365 days <= at``. The pyramid ranks by this."""
    purchases_12m: int = 0
    """``COUNT(*)`` over T where ``:now - 365 days <= at``."""
    value_recent: float = 0.0
    """``SUM(v)`` over T where ``:now - R days <= at``."""
    purchases_recent: int = 0
    """``COUNT(*)`` over T where ``:now - R days <= at``."""
    value_baseline: float = 0.0
    """``SUM(v)`` over T where ``:now - (R + B) days <= at < :now - R days``."""
    purchases_baseline: int = 0
    """``COUNT(*)`` over T where ``:now - (R + B) days <= at < :now - R days``."""
    open_complaints: int = 0
    """``COUNT(*)`` of complaints still open with ``opened_at < :now``."""
    complaints_12m: int = 0
    """``COUNT(*)`` of complaints, open or closed, with ``:now - 365 days <= opened_at < :now``."""
    broken_promises_12m: int = 0
    """``COUNT(*)`` of promises to the customer settled broken with
    ``:now - 365 days <= settled_at < :now``."""
    ratings_count: int = 0
    """``COUNT(*)`` of the customer's ratings (all time)."""
    avg_rating: float | None = None
    """``AVG(score)`` of those ratings; NULL when there are none."""
    low_ratings: int = 0
    """``COUNT(*)`` of those ratings with ``score <= 2``."""
    won_back_at: datetime | None = None
    """``MAX(done_at)`` of the customer's win-back tasks whose outcome was ``won_back``
    (docs/care.md) with ``done_at < :now``; NULL when none."""

    def __post_init__(self) -> None:
        for name in ("created_at", "first_purchase_at", "last_purchase_at", "won_back_at"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is not UTC:
                object.__setattr__(self, name, as_utc(moment))
        if self.purchases < 0:
            raise ValueError(f"customer {self.customer_id}: purchases must be >= 0")
        if (self.purchases == 0) != (self.last_purchase_at is None) or (self.purchases == 0) != (
            self.first_purchase_at is None
        ):
            raise ValueError(
                f"customer {self.customer_id}: first/last_purchase_at must be set exactly "
                "when purchases > 0"
            )
        if not math.isfinite(self.value_12m + self.value_total):
            raise ValueError(f"customer {self.customer_id}: values must be finite")


@dataclass(frozen=True, slots=True)
class GradeOverride:
    """A grade pinned by hand (an account manager's decision), valid while ``now < expires_at``.

    ``expires_at`` None pins the grade until the override is removed.
    """

    grade: str
    reason: str
    set_by: str
    expires_at: datetime | None = None

    def active_at(self, now: datetime) -> bool:
        """True while the override still applies at ``now``."""
        return self.expires_at is None or as_utc(self.expires_at) > now


@dataclass(frozen=True, slots=True)
class CustomerValue:
    """A customer's grade and value, each figure with its reason.

    Every ``*_reason`` is a message, a code and its facts (:mod:`app.grading.text`); its words
    are chosen in the reader's language where it leaves the server (``app.i18n``).

    ``grade`` is the effective grade (the override's when one is active); ``computed_grade`` is
    what the figures alone give. Prospects (no purchases) have ``rank`` None and R/F/M 0.
    """

    customer_id: int
    grade: str
    grade_reason: Message
    computed_grade: str
    rank: int | None
    base_size: int
    value_12m: float
    r: int
    f: int
    m: int
    rfm_reason: Message
    clv: float
    clv_reason: Message
    lifecycle: str
    lifecycle_reason: Message
    churn_risk: float
    churn_reason: Message
    computed_at: datetime
    override_active: bool = False
    override_by: str | None = None
    override_until: datetime | None = None
    override_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: datetimes as ISO 8601 strings, every other field as is."""
        until = self.override_until
        return {
            "customer_id": self.customer_id,
            "grade": self.grade,
            "grade_reason": self.grade_reason,
            "computed_grade": self.computed_grade,
            "rank": self.rank,
            "base_size": self.base_size,
            "value_12m": self.value_12m,
            "r": self.r,
            "f": self.f,
            "m": self.m,
            "rfm_reason": self.rfm_reason,
            "clv": self.clv,
            "clv_reason": self.clv_reason,
            "lifecycle": self.lifecycle,
            "lifecycle_reason": self.lifecycle_reason,
            "churn_risk": self.churn_risk,
            "churn_reason": self.churn_reason,
            "computed_at": self.computed_at.isoformat(),
            "override_active": self.override_active,
            "override_by": self.override_by,
            "override_until": until.isoformat() if until is not None else None,
            "override_reason": self.override_reason,
        }
