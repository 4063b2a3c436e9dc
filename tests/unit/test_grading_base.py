"""Bulk grading of a base: pyramid shares, rank monotonicity, overrides, RFM, churn, snapshots."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.grading import (
    BaseSnapshot,
    CustomerStats,
    GradeOverride,
    GradingConfig,
    SnapshotMismatch,
    evaluate_customer,
    grade_base,
)
from app.grading.rfm import quintile_cuts, score
from app.i18n import render_message as words

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
DEFAULT = GradingConfig.default()
THRESHOLD = GradingConfig.from_mapping(
    {
        "pyramid": {
            "mode": "threshold",
            "tiers": [
                {"name": "vip", "min_value": 10_000},
                {"name": "key", "min_value": 1_000},
                {"name": "ordinary", "min_value": 100},
                {"name": "small"},
            ],
        }
    }
)
FAST = settings(max_examples=60, deadline=None)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


# Values drawn from a small set too, so ties (broken by customer_id) are common.
values = st.one_of(
    st.sampled_from([0.0, 10.0, 100.0, 5_000.0]),
    st.floats(-50, 100_000, allow_nan=False, allow_infinity=False),
)


@st.composite
def customer(draw: st.DrawFn, cid: int) -> CustomerStats:
    created = ago(draw(st.integers(0, 3000)))
    complaints = {
        "open_complaints": draw(st.integers(0, 3)),
        "complaints_12m": draw(st.integers(0, 5)),
    }
    ratings = draw(st.integers(0, 6))
    low = draw(st.integers(0, ratings))
    extra = {
        "ratings_count": ratings,
        "low_ratings": low,
        "avg_rating": (low + 4.0 * (ratings - low)) / ratings if ratings else None,
    }
    purchases = draw(st.integers(0, 40))
    if purchases == 0:
        return CustomerStats(cid, created, **complaints, **extra)
    first = draw(st.floats(0, 2500))
    last = draw(st.floats(0, first)) if purchases > 1 else first
    n12 = draw(st.integers(0, purchases))
    recent = draw(st.integers(0, n12))
    return CustomerStats(
        customer_id=cid,
        created_at=created,
        purchases=purchases,
        first_purchase_at=ago(first),
        last_purchase_at=ago(last),
        value_total=draw(values),
        value_12m=draw(values),
        purchases_12m=n12,
        value_recent=draw(values),
        purchases_recent=recent,
        value_baseline=draw(values),
        purchases_baseline=draw(st.integers(0, purchases - n12 + recent)),
        **complaints,
        **extra,
    )


@st.composite
def bases(draw: st.DrawFn, max_size: int = 60) -> list[CustomerStats]:
    ids = draw(st.lists(st.integers(1, 10_000), unique=True, max_size=max_size))
    return [draw(customer(cid)) for cid in ids]


@st.composite
def rank_configs(draw: st.DrawFn) -> GradingConfig:
    """Rank-mode configs with 1–5 tiers whose shares are whole percentages adding up to 100."""
    k = draw(st.integers(1, 5))
    cuts = sorted(draw(st.lists(st.integers(1, 99), unique=True, min_size=k - 1, max_size=k - 1)))
    bounds = [0, *cuts, 100]
    tiers = [
        {"name": f"t{i}", "share": (bounds[i + 1] - bounds[i]) / 100}
        for i in range(len(bounds) - 1)
    ]
    return GradingConfig.from_mapping({"pyramid": {"tiers": tiers}})


@FAST
@given(bases(), st.one_of(st.just(DEFAULT), rank_configs()))
def test_grades_partition_the_ranked_base_in_the_configured_proportions(base, config):
    """Tier k holds exactly ceil(n·S_k) − ceil(n·S_(k−1)) of the n purchasers (S = cumulative
    share), hence |count_k − n·share_k| < 1; ranks are 1..n by (value desc, id asc); prospects
    are exactly the customers without purchases and are unranked."""
    values, snapshot = grade_base(base, config, NOW)
    buyers = sorted((s for s in base if s.purchases), key=lambda s: (-s.value_12m, s.customer_id))
    n = len(buyers)
    assert snapshot.base_size == n
    by_id = {v.customer_id: v for v in values}
    assert [by_id[s.customer_id].rank for s in buyers] == list(range(1, n + 1))
    for s in base:
        if not s.purchases:
            assert by_id[s.customer_id].grade == "prospect"
            assert by_id[s.customer_id].rank is None
    cumulative = config.cumulative_shares()
    previous = 0
    for tier, cum in zip(config.pyramid.tiers, cumulative, strict=True):
        count = sum(1 for v in values if v.grade == tier.name)
        assert count == math.ceil(n * cum) - previous
        assert abs(count - n * tier.share) < 1 + 1e-9
        previous = math.ceil(n * cum)
    names = config.tier_names
    grades = [names.index(by_id[s.customer_id].grade) for s in buyers]
    assert grades == sorted(grades)  # the pyramid never inverts


@FAST
@given(bases(), st.data(), st.sampled_from([DEFAULT, THRESHOLD]))
def test_adding_value_never_lowers_rank_or_grade(base, data, config):
    buyers = [s for s in base if s.purchases]
    if not buyers:
        return
    target = data.draw(st.sampled_from(buyers))
    extra = data.draw(st.floats(0.01, 50_000))
    before = {v.customer_id: v for v in grade_base(base, config, NOW)[0]}[target.customer_id]
    richer = dataclasses.replace(target, value_12m=target.value_12m + extra)
    changed = [richer if s is target else s for s in base]
    after = {v.customer_id: v for v in grade_base(changed, config, NOW)[0]}[target.customer_id]
    names = config.tier_names
    assert after.rank <= before.rank
    assert names.index(after.grade) <= names.index(before.grade)


@FAST
@given(bases(), st.data())
def test_overrides_win_until_expiry(base, data):
    if not base:
        return
    target = data.draw(st.sampled_from(base))
    grade = data.draw(st.sampled_from([*DEFAULT.tier_names, "prospect"]))
    offset = data.draw(st.one_of(st.none(), st.integers(-1000, 1000)))
    expires = None if offset is None else NOW + timedelta(hours=offset)
    pin = GradeOverride(grade, "strategic account", "alice", expires)
    plain = {v.customer_id: v for v in grade_base(base, DEFAULT, NOW)[0]}
    pinned = {
        v.customer_id: v for v in grade_base(base, DEFAULT, NOW, {target.customer_id: pin})[0]
    }
    v, computed = pinned[target.customer_id], plain[target.customer_id]
    assert v.computed_grade == computed.grade
    if expires is None or expires > NOW:
        assert v.grade == grade and v.override_active and v.override_by == "alice"
        assert words(v.grade_reason).startswith(f"{grade} (manual override by alice")
        assert words(v.grade_reason).endswith(f"computed: {words(computed.grade_reason)}")
    else:
        assert v == computed  # an expired override leaves no trace
    others = [cid for cid in plain if cid != target.customer_id]
    assert all(pinned[cid] == plain[cid] for cid in others)


def test_override_reason_names_who_until_when_and_why():
    s = CustomerStats(1, ago(400), 3, ago(300), ago(10), 900.0, 900.0, 3)
    pin = GradeOverride("vip", "strategic account", "alice", datetime(2027, 1, 1, tzinfo=UTC))
    v = grade_base([s], DEFAULT, NOW, {1: pin})[0][0]
    assert words(v.grade_reason) == (
        "vip (manual override by alice until 2027-01-01: strategic account); "
        "computed: vip: 12-month margin ¥900, rank 1 of 1 (top 100 %)"
    )
    assert v.to_dict()["override_until"] == "2027-01-01T00:00:00+00:00"


def test_override_to_an_unknown_grade_is_ignored_and_said_so():
    s = CustomerStats(1, ago(400), 1, ago(10), ago(10), 5.0, 5.0, 1)
    v = grade_base([s], DEFAULT, NOW, {1: GradeOverride("gold", "x", "bob")})[0][0]
    assert v.grade == v.computed_grade == "vip" and not v.override_active
    assert "override to 'gold' by bob ignored" in words(v.grade_reason)


def test_grade_reason_reads_like_the_doctrine():
    base = [
        CustomerStats(cid, ago(500), 2, ago(200), ago(5), 1.0, 100_000.0 - cid * 10, 2)
        for cid in range(1, 5_001)
    ]
    values, _ = grade_base(base, DEFAULT, NOW)
    v = values[36]
    assert v.rank == 37 and v.grade == "vip"
    assert words(v.grade_reason) == "vip: 12-month margin ¥99,630, rank 37 of 5,000 (top 1 %)"
    counts = {g: sum(1 for v in values if v.grade == g) for g in DEFAULT.tier_names}
    assert counts == {"vip": 50, "key": 950, "ordinary": 1_500, "small": 2_500}


@FAST
@given(bases())
def test_absolute_threshold_mode_grades_by_12_month_value(base):
    values, snapshot = grade_base(base, THRESHOLD, NOW)
    ranked = [v for v in values if v.rank is not None]
    above = 0
    for boundary, name in zip(snapshot.tiers, THRESHOLD.tier_names, strict=True):
        above += sum(1 for v in ranked if v.grade == name)
        assert boundary.last_rank == above  # tiers are contiguous runs of ranks
    for s, v in zip(base, values, strict=True):
        if not s.purchases:
            assert v.grade == "prospect"
            continue
        expected = (
            "vip"
            if s.value_12m >= 10_000
            else "key"
            if s.value_12m >= 1_000
            else "ordinary"
            if s.value_12m >= 100
            else "small"
        )
        assert v.grade == expected and v.rank is not None


@FAST
@given(bases())
def test_rfm_scores_are_1_to_5_for_purchasers_and_churn_risk_within_0_1(base):
    for config in (DEFAULT, GradingConfig.from_mapping({"rfm": {"window": "12m"}})):
        for s, v in zip(base, grade_base(base, config, NOW)[0], strict=True):
            if s.purchases:
                assert {v.r, v.f, v.m} <= {1, 2, 3, 4, 5}
                assert v.lifecycle in ("exploration", "formation", "stable", "decline")
            else:
                assert (v.r, v.f, v.m, v.clv, v.lifecycle) == (0, 0, 0, 0.0, "exploration")
            assert 0.0 <= v.churn_risk <= 1.0
            assert math.isfinite(v.clv)
            json.dumps(v.to_dict())


@FAST
@given(st.lists(st.integers(-1000, 1000), max_size=200))
def test_quintile_scores_follow_sorted_position(keys):
    """With n >= 5 distinct keys, those at sorted positions [floor(k·n/5), floor((k+1)·n/5))
    score k + 1; any key scores 1–5; a base of one repeated key scores 3."""
    ordered = sorted(keys)
    cuts = quintile_cuts(ordered)
    distinct = len(set(keys)) == len(keys) >= 5
    n = len(ordered)
    for pos, key in enumerate(ordered):
        s = score(key, cuts)
        assert 1 <= s <= 5
        if distinct:
            assert s == 1 + max(k for k in range(5) if (k * n) // 5 <= pos)
    if keys and len(set(keys)) == 1:
        assert score(keys[0], cuts) == 3


@FAST
@given(bases(), st.sampled_from([DEFAULT, THRESHOLD]), st.data())
def test_incremental_grading_agrees_with_bulk(base, config, data):
    """Exact agreement when the bulk rank is passed; without it, the same grade and every other
    figure, only rank (None) and the grade reason (its facts) differ. No tolerance: same floats."""
    pins = {}
    if base:
        target = data.draw(st.sampled_from(base)).customer_id
        pins[target] = GradeOverride("key", "pinned", "carol", NOW + timedelta(days=1))
    values, snapshot = grade_base(base, config, NOW, pins)
    stored = BaseSnapshot.from_dict(json.loads(json.dumps(snapshot.to_dict())))
    assert stored == snapshot
    for s, v in zip(base, values, strict=True):
        pin = pins.get(s.customer_id)
        assert evaluate_customer(s, stored, config, NOW, pin, rank=v.rank) == v
        alone = evaluate_customer(s, stored, config, NOW, pin)
        same = dataclasses.replace(alone, rank=v.rank, grade_reason=v.grade_reason)
        assert same == v


def test_empty_base_and_tiny_bases_grade_without_error():
    values, snapshot = grade_base([], DEFAULT, NOW)
    assert values == [] and snapshot.base_size == 0
    newcomer = CustomerStats(7, ago(3), 1, ago(2), ago(2), 50.0, 50.0, 1, 50.0, 1)
    v = evaluate_customer(newcomer, snapshot, DEFAULT, NOW)
    assert v.grade == "small" and (v.r, v.f, v.m) == (3, 3, 3)
    prospect = CustomerStats(8, ago(3))
    assert evaluate_customer(prospect, snapshot, DEFAULT, NOW).grade == "prospect"
    only, _ = grade_base([newcomer], DEFAULT, NOW)
    assert only[0].grade == "vip" and only[0].rank == 1  # rank 1 of 1 is the top 1 %
    lone_prospect, snap = grade_base([prospect], DEFAULT, NOW)
    assert lone_prospect[0].grade == "prospect" and snap.base_size == 0
    assert words(lone_prospect[0].grade_reason).startswith("prospect: no purchases yet")


def test_duplicate_customers_and_stale_snapshots_are_refused():
    s = CustomerStats(1, ago(3))
    with pytest.raises(ValueError, match="duplicate"):
        grade_base([s, s], DEFAULT, NOW)
    _, snapshot = grade_base([s], DEFAULT, NOW)
    renamed = GradingConfig.from_mapping(
        {"pyramid": {"tiers": [{"name": "gold", "share": 0.2}, {"name": "rest", "share": 0.8}]}}
    )
    with pytest.raises(SnapshotMismatch):
        evaluate_customer(s, snapshot, renamed, NOW)


def test_inconsistent_stats_are_refused():
    with pytest.raises(ValueError, match="purchase"):
        CustomerStats(1, ago(3), purchases=2)
    with pytest.raises(ValueError, match="finite"):
        CustomerStats(1, ago(3), 1, ago(1), ago(1), float("nan"))
    naive = CustomerStats(1, datetime(2025, 1, 1), 1, datetime(2025, 1, 2), datetime(2025, 1, 2))
    assert naive.created_at.tzinfo is UTC
