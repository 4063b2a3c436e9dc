"""Broken promises raise churn risk, with a reason (app/grading/churn.py, docs/promises.md)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from app.grading.churn import churn
from app.grading.config import GradingConfig
from app.grading.model import CustomerStats
from app.i18n.render import render_message

CREATED = datetime(2025, 1, 1, tzinfo=UTC)


def _stats(broken: int, **extra: int) -> CustomerStats:
    return CustomerStats(customer_id=1, created_at=CREATED, broken_promises_12m=broken, **extra)


def test_a_broken_promise_raises_churn_risk_and_says_so() -> None:
    config = GradingConfig.default()
    none, _ = churn(_stats(0), None, "stable", config)
    one, reason = churn(_stats(1), None, "stable", config)
    two, _ = churn(_stats(2), None, "stable", config)
    three, _ = churn(_stats(3), None, "stable", config)
    w = config.churn
    assert none == 0.0
    # Proportional up to repeat_promises, then capped.
    assert math.isclose(one, w.weight_promises * 1 / w.repeat_promises)
    assert math.isclose(two, w.weight_promises) and math.isclose(three, two)
    assert "1 broken promise(s) in 12 months" in render_message(reason, "en")
    assert "失信承诺 1 次" in render_message(reason, "zh")


def test_broken_promises_add_to_other_factors_never_lower_them() -> None:
    config = GradingConfig.default()
    complaints_only, _ = churn(_stats(0, open_complaints=1), None, "stable", config)
    both, reason = churn(_stats(2, open_complaints=1), None, "stable", config)
    assert both > complaints_only
    text = render_message(reason, "en")
    assert "open complaint" in text and "broken promise" in text


def test_the_weight_is_configurable_and_zero_turns_it_off() -> None:
    config = GradingConfig.from_mapping({"churn": {"weight_promises": 0.0}})
    risk, _ = churn(_stats(5), None, "stable", config)
    assert risk == 0.0
