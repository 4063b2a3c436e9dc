"""The reference aggregation: raw records to :class:`CustomerStats`, exactly as the SQL must do it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from app.grading.config import GradingConfig
from app.grading.model import (
    LOW_RATING_MAX,
    YEAR_DAYS,
    ComplaintFact,
    CustomerStats,
    Transaction,
    as_utc,
)


def tx_value(tx: Transaction, value_measure: str) -> float:
    """A transaction's value: ``COALESCE(margin, amount)`` for ``margin``, ``amount`` for revenue."""
    if value_measure == "margin" and tx.margin is not None:
        return tx.margin
    return tx.amount


def window_bounds(now: datetime, config: GradingConfig) -> dict[str, datetime]:
    """The SQL parameters: each window is ``lower <= at < upper`` with these datetimes.

    ``t12`` = now − 365 days; ``recent`` = now − R days; ``baseline`` = now − (R + B) days.
    """
    now = as_utc(now)
    recent = config.windows.recent_days
    return {
        "now": now,
        "t12": now - timedelta(days=YEAR_DAYS),
        "recent": now - timedelta(days=recent),
        "baseline": now - timedelta(days=recent + config.windows.baseline_days),
    }


def stats_from_history(
    customer_id: int,
    transactions: Iterable[Transaction],
    complaints: Iterable[ComplaintFact],
    ratings: Iterable[int],
    created_at: datetime,
    now: datetime,
    config: GradingConfig,
) -> CustomerStats:
    """Aggregate one customer's raw records into the :class:`CustomerStats` the SQL yields.

    This is the executable specification of every field (see the field docstrings): records
    at or after ``now`` are ignored, windows are half-open, ratings count over all time.
    """
    b = window_bounds(now, config)
    now = b["now"]
    measure = config.value_measure
    past = [(as_utc(tx.at), tx_value(tx, measure)) for tx in transactions if as_utc(tx.at) < now]
    moments = [at for at, _ in past]
    in_12m = [v for at, v in past if at >= b["t12"]]
    recent = [v for at, v in past if at >= b["recent"]]
    baseline = [v for at, v in past if b["baseline"] <= at < b["recent"]]
    facts = [c for c in complaints if as_utc(c.opened_at) < now]
    scores = list(ratings)
    return CustomerStats(
        customer_id=customer_id,
        created_at=as_utc(created_at),
        purchases=len(past),
        first_purchase_at=min(moments) if moments else None,
        last_purchase_at=max(moments) if moments else None,
        value_total=float(sum(v for _, v in past)),
        value_12m=float(sum(in_12m)),
        purchases_12m=len(in_12m),
        value_recent=float(sum(recent)),
        purchases_recent=len(recent),
        value_baseline=float(sum(baseline)),
        purchases_baseline=len(baseline),
        open_complaints=sum(1 for c in facts if c.is_open),
        complaints_12m=sum(1 for c in facts if as_utc(c.opened_at) >= b["t12"]),
        ratings_count=len(scores),
        avg_rating=sum(scores) / len(scores) if scores else None,
        low_ratings=sum(1 for s in scores if s <= LOW_RATING_MAX),
    )
