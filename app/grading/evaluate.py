"""Grading a whole base at once (bulk) or one customer against a stored snapshot (incremental)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from operator import attrgetter
from types import MappingProxyType

from app.grading import text
from app.grading.config import GradingConfig
from app.grading.model import CustomerStats, CustomerValue, GradeOverride, as_utc
from app.grading.pyramid import (
    tier_cutoffs,
    tier_for_order,
    tier_for_rank,
    tier_for_value,
)
from app.grading.rfm import quintile_cuts, rfm_keys
from app.grading.snapshot import BaseSnapshot, TierBoundary
from app.grading.value import assess

NO_OVERRIDES: Mapping[int, GradeOverride] = MappingProxyType({})


class SnapshotMismatch(ValueError):
    """The snapshot was computed under a different config (measure, tiers or RFM window)."""


def grade_base(
    stats: Sequence[CustomerStats],
    config: GradingConfig,
    now: datetime,
    overrides: Mapping[int, GradeOverride] = NO_OVERRIDES,
) -> tuple[list[CustomerValue], BaseSnapshot]:
    """Grade every customer of the base; values come back in the order of ``stats``.

    Purchasers (``purchases > 0``) are ranked by ``value_12m`` desc then ``customer_id`` asc and
    scored by quintile; customers without purchases get the prospect grade, unranked. Sorting
    dominates: O(n log n). Raises ValueError on a duplicate ``customer_id``.
    """
    now = as_utc(now)
    now_ts = now.timestamp()
    if len({s.customer_id for s in stats}) != len(stats):
        raise ValueError("grade_base: duplicate customer_id in stats")
    buyers = [s for s in stats if s.purchases > 0]
    n = len(buyers)
    # Two stable passes (C-level keys) = one sort by (value_12m desc, customer_id asc).
    order = sorted(buyers, key=attrgetter("customer_id"))
    order.sort(key=attrgetter("value_12m"), reverse=True)
    ranks = {s.customer_id: i for i, s in enumerate(order, 1)}
    threshold = config.pyramid.mode == "threshold"
    if threshold:  # tiers are still contiguous runs of ranks: value desc meets falling thresholds
        counts = [0] * len(config.pyramid.tiers)
        for s in order:
            counts[tier_for_value(s.value_12m, config)] += 1
        cutoffs = tuple(sum(counts[: k + 1]) for k in range(len(counts)))
    else:
        cutoffs = tier_cutoffs(n, config)
    boundaries = []
    previous = 0
    for spec, last in zip(config.pyramid.tiers, cutoffs, strict=True):
        member = order[last - 1] if last > previous else None
        boundaries.append(
            TierBoundary(
                spec.name,
                last,
                member.value_12m if member else None,
                member.customer_id if member else None,
            )
        )
        previous = last
    keys = {s.customer_id: rfm_keys(s, config) for s in buyers}
    cuts = [quintile_cuts(sorted([k[i] for k in keys.values()])) for i in range(3)]
    snapshot = BaseSnapshot(
        computed_at=now,
        base_size=n,
        value_measure=config.value_measure,
        mode=config.pyramid.mode,
        rfm_window=config.rfm.window,
        tiers=tuple(boundaries),
        recency_cuts=tuple(datetime.fromtimestamp(c, UTC) for c in cuts[0]),
        frequency_cuts=tuple(float(c) for c in cuts[1]),
        monetary_cuts=tuple(float(c) for c in cuts[2]),
    )
    values = []
    for s in stats:
        rank = ranks.get(s.customer_id)
        tier = -1 if rank is None else tier_for_rank(rank, cutoffs)
        values.append(
            assess(
                s,
                config,
                now,
                now_ts,
                tier,
                rank,
                n,
                cuts,
                overrides.get(s.customer_id),
                keys=keys.get(s.customer_id),
            )
        )
    return values, snapshot


def evaluate_customer(
    stats: CustomerStats,
    snapshot: BaseSnapshot,
    config: GradingConfig,
    now: datetime,
    override: GradeOverride | None = None,
    rank: int | None = None,
) -> CustomerValue:
    """Grade one customer against the snapshot of the last bulk run (no other customer needed).

    With ``rank`` (e.g. ``1 + count(*) where value_12m > v`` in SQL) the tier comes from the
    snapshot's rank cutoffs and the rank is reported; without it the customer is placed by the
    snapshot's tier boundaries (exactly the bulk tier for an unchanged member of the base) and
    ``rank`` is None. RFM uses the snapshot's cut points. For a customer of the snapshot's base,
    with the same stats, config and ``now``, the result equals ``grade_base``'s exactly when its
    rank is passed, and differs only in ``rank`` and ``grade_reason`` (its facts) when it is
    not.
    Raises :class:`SnapshotMismatch` when the config changed since the snapshot.
    """
    names = tuple(t.name for t in snapshot.tiers)
    if (snapshot.value_measure, snapshot.rfm_window, names) != (
        config.value_measure,
        config.rfm.window,
        config.tier_names,
    ):
        raise SnapshotMismatch("grading config changed since the snapshot; regrade the base")
    if rank is not None and rank < 1:
        raise ValueError(f"evaluate_customer: rank must be >= 1, not {rank}")
    now = as_utc(now)
    cuts = [
        tuple(c.timestamp() for c in snapshot.recency_cuts),
        snapshot.frequency_cuts,
        snapshot.monetary_cuts,
    ]
    base_size = snapshot.base_size
    tier, placed_by = -1, None
    if stats.purchases > 0:
        if config.pyramid.mode == "threshold":
            tier = tier_for_value(stats.value_12m, config)
        elif rank is not None:
            tier = tier_for_rank(rank, [t.last_rank for t in snapshot.tiers])
        else:
            tier = tier_for_order(stats.value_12m, stats.customer_id, snapshot.tiers)
            low = snapshot.tiers[tier].min_value
            start = (
                text.say("grade.placed_from", value=text.money(low, config.currency))
                if low is not None
                else text.EMPTY
            )
            placed_by = text.say(
                "grade.placed_by",
                date=f"{snapshot.computed_at:%Y-%m-%d}",
                grade=text.grade(names[tier]),
                start=start,
            )
        if rank is not None:
            base_size = max(base_size, rank)
    else:
        rank = None
    return assess(
        stats, config, now, now.timestamp(), tier, rank, base_size, cuts, override, placed_by
    )
