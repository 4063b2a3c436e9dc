"""Customer lifetime value: expected future margin over a horizon, discounted.

With ``H`` = ``clv.horizon_years``, ``d`` = ``clv.discount_rate``::

    yearly  = w · value_12m + (1 − w) · value_total / max(tenure_years, 1)   (w = clv.recent_weight)
    interval = (last − first) / (purchases − 1) days   (default_purchase_interval_days for one
               purchase; at least 1 day)
    p_active = 0.5 ** max(0, recency_days / interval − 1)    (halves per usual interval overdue)
    q        = base + (max − base) · min(1, tenure_years / clv.tenure_years_to_max)
    CLV      = yearly · p_active · Σ_{t=1..H} q^(t−1) / (1 + d)^t

``tenure_years`` counts from the first purchase (365-day years). Year one is earned if the customer
is still active now (``p_active``); each later year needs them retained again (``q``, growing with
tenure from ``clv.base_retention`` to ``clv.max_retention``).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.grading import text
from app.grading.config import GradingConfig
from app.grading.model import YEAR_DAYS, CustomerStats

DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Rhythm:
    """A purchaser's buying rhythm at ``now``, shared by CLV, lifecycle and churn."""

    recency_days: float
    tenure_days: float
    interval_days: float
    p_active: float
    recency_text: text.Message
    """``recency_days`` in words (formatted once, used by several reasons)."""
    interval_text: text.Message


def rhythm(stats: CustomerStats, now_ts: float, config: GradingConfig) -> Rhythm:
    """Recency, tenure, usual purchase interval and the chance the customer is still active."""
    assert stats.first_purchase_at is not None and stats.last_purchase_at is not None
    first = stats.first_purchase_at.timestamp()
    last = stats.last_purchase_at.timestamp()
    recency = max(0.0, (now_ts - last) / DAY)
    tenure = max(0.0, (now_ts - first) / DAY)
    if stats.purchases >= 2:
        interval = max(1.0, (last - first) / DAY / (stats.purchases - 1))
    else:
        interval = config.default_purchase_interval_days
    p_active = 0.5 ** max(0.0, recency / interval - 1.0)
    return Rhythm(recency, tenure, interval, p_active, text.days(recency), text.days(interval))


def clv(stats: CustomerStats, rh: Rhythm, config: GradingConfig) -> tuple[float, text.Message]:
    """CLV of a purchaser and its reason (formula in the module docstring)."""
    c = config.clv
    tenure_years = rh.tenure_days / YEAR_DAYS
    yearly = c.recent_weight * stats.value_12m + (1.0 - c.recent_weight) * (
        stats.value_total / max(tenure_years, 1.0)
    )
    q = c.base_retention + (c.max_retention - c.base_retention) * min(
        1.0, tenure_years / c.tenure_years_to_max
    )
    # Σ_{t=1..H} q^(t−1) / (1+d)^t = (1 − x^H) / (1 − x) / (1 + d) with x = q / (1 + d)
    x = q / (1.0 + c.discount_rate)
    if x == 1.0:
        factor = c.horizon_years / (1.0 + c.discount_rate)
    else:
        factor = (1.0 - x**c.horizon_years) / (1.0 - x) / (1.0 + c.discount_rate)
    value = yearly * rh.p_active * factor
    cur = config.currency
    reason = text.say(
        "clv",
        value=text.money(value, cur),
        years=c.horizon_years,
        measure=text.measure(config.value_measure),
        yearly=text.money(yearly, cur),
        p=rh.p_active,
        ago=rh.recency_text,
        interval=rh.interval_text,
        q=q,
        d=c.discount_rate * 100,
    )
    return value, reason
