"""RFM: recency, frequency and monetary scores 1–5 by quintile of the purchasing base.

Each measure is sorted once; its four cut points are the values at sorted positions
``floor(k·n/5)`` for k = 1..4 (ascending). A key's score is ``1 + ceil((lo + hi) / 2)`` where
``lo``/``hi`` count the cut points strictly below / at-or-below it: with n >= 5 distinct values
the customers at sorted positions ``[floor(k·n/5), floor((k+1)·n/5))`` score k + 1, and a run of
tied values (or a cut point shared by several quintiles in a base under 5) gets the middle
quintile of the run (all equal -> 3). Only the cut points are needed to
score a customer later, which is what the snapshot stores.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from app.grading import text
from app.grading.config import GradingConfig
from app.grading.model import CustomerStats


def quintile_cuts(sorted_keys: Sequence[float]) -> tuple[float, ...]:
    """The four cut points of an ascending sequence (none for an empty base)."""
    n = len(sorted_keys)
    if n == 0:
        return ()
    return tuple(sorted_keys[(k * n) // 5] for k in range(1, 5))


def score(key: float, cuts: Sequence[float]) -> int:
    """Quintile score 1–5 of ``key`` (higher key, higher score); 3 when there are no cuts."""
    if not cuts:
        return 3
    return 1 + (bisect_left(cuts, key) + bisect_right(cuts, key) + 1) // 2


def rfm_keys(stats: CustomerStats, config: GradingConfig) -> tuple[float, float, float]:
    """The (recency, frequency, monetary) keys of a purchaser, each "higher is better".

    Recency is the last purchase's POSIX time (so cut points stay meaningful as time passes);
    frequency and monetary are all-time or 12-month per ``rfm.window``.
    """
    assert stats.last_purchase_at is not None
    if config.rfm.window == "12m":
        return stats.last_purchase_at.timestamp(), stats.purchases_12m, stats.value_12m
    return stats.last_purchase_at.timestamp(), stats.purchases, stats.value_total


def rfm_reason(
    scores: tuple[int, int, int],
    keys: tuple[float, float, float],
    ago: text.Message,
    config: GradingConfig,
) -> text.Message:
    """``R5 F3 M4: last purchase 12 days ago, 8 purchases and margin ¥4,100 (all time)``."""
    r, f, m = scores
    count = int(keys[1])
    return text.say(
        "rfm",
        r=r,
        f=f,
        m=m,
        ago=ago,
        count=count,
        measure=text.measure(config.value_measure),
        value=text.money(keys[2], config.currency),
        span=text.say("rfm.12m" if config.rfm.window == "12m" else "rfm.all"),
    )
