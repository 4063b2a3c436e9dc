"""The reference aggregation (window bounds) and lifecycle, CLV and churn from real histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.grading import (
    ComplaintFact,
    CustomerStats,
    GradingConfig,
    Transaction,
    grade_base,
    stats_from_history,
    window_bounds,
)
from app.i18n import render_message as words

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
CFG = GradingConfig.default()
FAST = settings(max_examples=60, deadline=None)
DAY = 86_400


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def stats(txs, complaints=(), ratings=(), config=CFG, created=None) -> CustomerStats:
    return stats_from_history(1, txs, complaints, ratings, created or ago(3000), NOW, config)


def grade_one(s: CustomerStats, config=CFG):
    return grade_base([s], config, NOW)[0][0]


def test_window_bounds_are_half_open_and_exact_days():
    r = CFG.windows.recent_days
    b = CFG.windows.baseline_days
    edges = [0, 1e-6, r, r + 1e-6, 365, 365 + 1e-6, r + b, r + b + 1e-6, -1e-6]
    s = stats([Transaction(ago(d), 10.0, 1.0) for d in edges])
    # at == now (0 days ago) and future records are ignored everywhere
    assert s.purchases == 7 and s.last_purchase_at == ago(1e-6)
    assert s.first_purchase_at == ago(r + b + 1e-6)
    assert (s.purchases_recent, s.value_recent) == (2, 2.0)  # 1e-6 and exactly r days ago
    assert (s.purchases_12m, s.value_12m) == (4, 4.0)  # 1e-6, r, r + 1e-6, exactly 365
    assert (s.purchases_baseline, s.value_baseline) == (4, 4.0)  # (r, r + b]: r+1e-6 .. r+b
    assert s.value_total == 7.0
    assert window_bounds(NOW, CFG) == {
        "now": NOW,
        "t12": ago(365),
        "recent": ago(r),
        "baseline": ago(r + b),
    }


def test_value_measure_margin_falls_back_to_amount_revenue_uses_amount():
    txs = [Transaction(ago(1), 100.0, 30.0), Transaction(ago(2), 50.0, None)]
    assert stats(txs).value_total == 80.0
    revenue = GradingConfig.from_mapping({"value_measure": "revenue"})
    assert stats(txs, config=revenue).value_total == 150.0


def test_complaints_and_ratings_aggregates():
    complaints = [
        ComplaintFact(ago(1), True),
        ComplaintFact(ago(364), False),
        ComplaintFact(ago(365), False),  # exactly on the bound: inside
        ComplaintFact(ago(366), True),  # open but old: open, not in 12 months
        ComplaintFact(ago(-1), True),  # in the future: ignored
    ]
    s = stats([], complaints, [1, 2, 3, 5])
    assert (s.open_complaints, s.complaints_12m) == (2, 3)
    assert (s.ratings_count, s.avg_rating, s.low_ratings) == (4, 2.75, 2)
    assert stats([]).avg_rating is None


@FAST
@given(
    st.lists(
        st.tuples(st.integers(-10 * DAY, 800 * DAY), st.integers(1, 1000), st.booleans()),
        max_size=40,
    ),
    st.integers(1, 400),
    st.integers(1, 400),
)
def test_aggregates_match_an_independent_count_in_seconds(raw, recent, baseline):
    config = GradingConfig.from_mapping(
        {
            "windows": {"recent_days": recent, "baseline_days": baseline},
            "lifecycle": {"min_baseline_days": min(90, baseline)},
        }
    )
    txs = [
        Transaction(NOW - timedelta(seconds=sec), amt, amt / 2 if m else None)
        for sec, amt, m in raw
    ]
    s = stats(txs, config=config)
    past = [(sec, amt / 2 if m else amt) for sec, amt, m in raw if sec > 0]

    def window(lo_days, hi_days):  # seconds-ago in (hi, lo] <=> lo_days ago <= at < hi_days ago
        return [v for sec, v in past if hi_days * DAY < sec <= lo_days * DAY]

    assert s.purchases == len(past)
    assert s.value_total == sum(v for _, v in past)
    assert s.purchases_12m == len(window(365, 0))
    assert s.value_12m == sum(window(365, 0))
    assert s.purchases_recent == len(window(recent, 0))
    assert s.value_recent == sum(window(recent, 0))
    assert s.purchases_baseline == len(window(recent + baseline, recent))
    assert s.value_baseline == sum(window(recent + baseline, recent))
    if past:
        assert s.last_purchase_at == NOW - timedelta(seconds=min(sec for sec, _ in past))


def regular(every: float, start: float, stop: float = 0.0, value: float = 100.0):
    """Purchases every ``every`` days from ``start`` days ago until ``stop`` days ago."""
    out, day = [], start
    while day > stop:
        out.append(Transaction(ago(day), value * 4, value))
        day -= every
    return out


@FAST
@given(st.integers(3, 30), st.floats(4, 10), st.integers(0, 5), st.integers(400, 1200))
def test_a_customer_whose_purchase_frequency_drops_moves_to_decline(every, slower, shift, years):
    r = CFG.windows.recent_days
    history = regular(every, years + r, r + shift) + regular(every * slower, r + shift - every)
    v = grade_one(stats(history))
    assert v.lifecycle == "decline", v.lifecycle_reason
    assert "declining against own history" in words(v.churn_reason)


@FAST
@given(st.integers(3, 45), st.integers(600, 1500), st.floats(0, 1))
def test_a_steady_customer_is_stable(every, start, phase):
    v = grade_one(stats(regular(every, start, phase * every)))
    assert v.lifecycle == "stable", v.lifecycle_reason


@FAST
@given(st.integers(5, 40), st.floats(0.3, 3.0))
def test_a_customer_who_stopped_buying_declines_and_churn_risk_grows(every, silence):
    base = regular(every, 900, 0)
    quiet = stats(regular(every, 900, every * (3 + silence)))
    v_quiet, v_active = grade_one(quiet), grade_one(stats(base))
    assert v_quiet.lifecycle == "decline"
    assert v_quiet.churn_risk > v_active.churn_risk
    assert v_quiet.clv < v_active.clv


def test_new_and_growing_customers():
    first = grade_one(stats([Transaction(ago(3), 200.0, 50.0)]))
    assert first.lifecycle == "exploration" and first.grade == "vip" and first.rank == 1
    assert first.clv > 0 and first.r == first.f == first.m == 3
    young = grade_one(stats(regular(10, 200)))
    assert young.lifecycle == "formation", young.lifecycle_reason
    growing = grade_one(stats(regular(60, 900, 180) + regular(10, 180)))
    assert growing.lifecycle == "formation", growing.lifecycle_reason
    assert "growing" in words(growing.lifecycle_reason)


def test_no_or_one_transaction_customers_grade_without_error():
    nothing = stats([], [ComplaintFact(ago(1), True)], [1])
    v = grade_one(nothing)
    assert v.grade == "prospect" and v.rank is None and v.clv == 0.0
    assert 0 < v.churn_risk <= 1 and "open complaint" in words(v.churn_reason)
    once_long_ago = grade_one(stats([Transaction(ago(700), 10.0, None)]))
    assert once_long_ago.lifecycle == "decline" and once_long_ago.grade == "vip"
    assert once_long_ago.value_12m == 0.0


def test_clv_follows_the_documented_formula():
    # 4 purchases, 90 days apart, the last 30 days ago: tenure 300 days, interval 90, active.
    s = stats(regular(90, 300, 29, value=250.0))
    v = grade_one(s)
    tenure_years = 300 / 365
    yearly = 0.5 * s.value_12m + 0.5 * s.value_total / max(tenure_years, 1.0)
    q = 0.5 + (0.85 - 0.5) * tenure_years / 3
    expected = yearly * sum(q ** (t - 1) / 1.1**t for t in (1, 2, 3))
    assert abs(v.clv - expected) < 1e-6 * expected
    assert words(v.clv_reason).startswith("CLV ¥")


@FAST
@given(st.integers(0, 5), st.integers(0, 6), st.integers(0, 6), st.floats(0, 2000), st.data())
def test_churn_risk_stays_in_unit_interval_and_grows_with_complaints(
    open_, closed, ratings, silence, data
):
    weights = {
        k: data.draw(st.floats(0, 1))
        for k in ("weight_recency", "weight_decline", "weight_complaints", "weight_ratings")
    }
    config = GradingConfig.from_mapping({"churn": weights})
    txs = regular(30, 900, silence)
    low = data.draw(st.integers(0, ratings))
    scores = [1] * low + [5] * (ratings - low)
    complaints = [ComplaintFact(ago(10), True)] * open_ + [ComplaintFact(ago(20), False)] * closed
    risk = grade_one(stats(txs, complaints, scores, config), config).churn_risk
    calmer = grade_one(stats(txs, [], scores, config), config).churn_risk
    assert 0.0 <= calmer <= risk <= 1.0
