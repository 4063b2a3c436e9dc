"""Care work feeds back into grading (docs/care.md, "Outcomes"): a customer an agent won
back is in formation, not decline, until they buy again or the grace runs out — and churn
risk loses its decline factor with it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from app.grading import CustomerStats, GradingConfig, grade_base
from app.i18n import render_message as words

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DEFAULT = GradingConfig.default()


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def lapsed(cid: int = 1, **kw) -> CustomerStats:
    # Bought 400 and 320 days ago: an interval of 80 days, silent for 4x it -> decline.
    return CustomerStats(cid, ago(500), 2, ago(400), ago(320), 200.0, 0.0, 0, **kw)


def value(stats: CustomerStats):
    (v,), _ = grade_base([stats], DEFAULT, NOW)
    return v


def test_a_won_back_customer_is_in_formation_and_less_at_risk() -> None:
    drifting = value(lapsed())
    assert drifting.lifecycle == "decline"
    won = value(lapsed(won_back_at=ago(10)))
    assert won.lifecycle == "formation"
    assert words(won.lifecycle_reason).startswith("formation: won back by an agent 10")
    assert "won back" not in words(drifting.lifecycle_reason)
    assert won.churn_risk < drifting.churn_risk


def test_the_win_back_counts_for_a_while_and_until_the_next_purchase() -> None:
    grace = DEFAULT.lifecycle.won_back_days
    assert value(lapsed(won_back_at=ago(grace + 1))).lifecycle == "decline"
    # Won back before the last purchase: the purchases speak for themselves.
    assert value(lapsed(won_back_at=ago(350))).lifecycle == "decline"
    off = dataclasses.replace(
        DEFAULT, lifecycle=dataclasses.replace(DEFAULT.lifecycle, won_back_days=0.0)
    )
    (v,), _ = grade_base([lapsed(won_back_at=ago(10))], off, NOW)
    assert v.lifecycle == "decline"
