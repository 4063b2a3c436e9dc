"""The customer pyramid: tiers by rank share or by absolute value thresholds.

Rank mode. Purchasers are ordered by ``value_12m`` descending, ties by ``customer_id`` ascending;
rank 1 is the top. With cumulative shares ``S_k`` (exact decimals as configured, the last forced
to 1), tier k holds ranks ``ceil(n·S_(k−1)) < rank <= ceil(n·S_k)``: a customer is in the top
``S_k`` when fewer than ``n·S_k`` customers rank above them. So each tier holds
``ceil(n·S_k) − ceil(n·S_(k−1))`` customers, less than one away from ``n·share_k``.

Threshold mode. Tier k is the first whose ``min_value`` is at or below ``value_12m``; the last
tier (no ``min_value``) takes the rest. The rank is still computed and reported.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence

from app.grading import text
from app.grading.config import GradingConfig
from app.grading.snapshot import TierBoundary


def tier_cutoffs(n: int, config: GradingConfig) -> tuple[int, ...]:
    """The last rank of each tier (cumulative, the last equal to ``n``) for a base of ``n``."""
    return tuple(math.ceil(n * s) for s in config.cumulative_shares())


def tier_for_rank(rank: int, cutoffs: Sequence[int]) -> int:
    """Index of the tier holding ``rank`` (ranks past the base fall in the last tier)."""
    return min(bisect_left(cutoffs, rank), len(cutoffs) - 1)


def tier_for_value(value: float, config: GradingConfig) -> int:
    """Threshold mode: index of the first tier whose ``min_value`` is <= ``value``."""
    tiers = config.pyramid.tiers
    for i, tier in enumerate(tiers[:-1]):
        if value >= tier.min_value:  # type: ignore[operator]
            return i
    return len(tiers) - 1


def tier_for_order(value: float, customer_id: int, boundaries: Sequence[TierBoundary]) -> int:
    """Rank mode without a rank: the first tier whose last member does not order before us.

    For a customer of the snapshot's base this is exactly the tier the bulk run gave them.
    """
    for i, b in enumerate(boundaries):
        if b.min_value is None or b.min_customer_id is None:
            continue
        if (-value, customer_id) <= (-b.min_value, b.min_customer_id):
            return i
    return len(boundaries) - 1


def grade_reason(
    tier: int,
    value: float,
    rank: int | None,
    base_size: int,
    config: GradingConfig,
    placed_by: text.Message | None = None,
) -> text.Message:
    """``vip: 12-month margin ¥84,200, rank 37 of 5,000 (top 1 %)`` and its variants."""
    name = config.pyramid.tiers[tier].name
    cur = config.currency
    head = text.say(
        "grade.head",
        grade=text.grade(name),
        measure=text.measure(config.value_measure),
        value=text.money(value, cur),
    )
    if config.pyramid.mode == "threshold":
        tiers = config.pyramid.tiers
        if tier < len(tiers) - 1:
            limit = text.money(tiers[tier].min_value or 0.0, cur)
            head = text.say("grade.at_threshold", head=head, grade=text.grade(name), limit=limit)
        elif tier > 0:
            above = tiers[tier - 1]
            limit = text.money(above.min_value or 0.0, cur)
            head = text.say(
                "grade.below_threshold", head=head, above=text.grade(above.name), limit=limit
            )
    if rank is not None and base_size > 0:
        top = text.top_percent(rank, base_size)
        return text.say("grade.ranked", head=head, rank=rank, size=base_size, top=top)
    if placed_by:
        return text.say("grade.placed", head=head, placed=placed_by)
    return head
