"""Lifecycle stage against the customer's own history: exploration, formation, stable, decline.

Rules, first match wins (keys under ``lifecycle``; R, B = ``windows.recent_days/baseline_days``):

1. no purchases -> ``exploration``;
   won back (a win-back task's outcome, docs/care.md) within ``won_back_days`` and no purchase
   since -> ``formation``: the relationship is being formed again, so the customer is not in
   decline (and churn risk loses its decline factor) while the agent's work bears fruit;
2. lapsed: recency > ``lapse_factor`` × usual interval -> ``decline``;
3. when the baseline is usable (``purchases_baseline >= min_baseline_purchases`` and the part of
   the baseline window after the first purchase, ``min(B, tenure − R)``, is at least
   ``min_baseline_days``): purchase rate or value rate of the recent window below
   ``decline_ratio`` × the baseline's -> ``decline``;
4. ``purchases <= exploration_max_purchases`` or first purchase less than
   ``exploration_max_days`` ago -> ``exploration``;
5. baseline usable and a rate at or above ``growth_ratio`` × the baseline's, or baseline not
   usable because the relationship is younger than R + B days -> ``formation``;
6. otherwise ``stable``.
"""

from __future__ import annotations

from app.grading import text
from app.grading.clv import Rhythm
from app.grading.config import GradingConfig
from app.grading.model import CustomerStats

STAGES = ("exploration", "formation", "stable", "decline")


def lifecycle(
    stats: CustomerStats, rh: Rhythm | None, config: GradingConfig
) -> tuple[str, text.Message]:
    """The stage and its reason; ``rh`` is None for a prospect."""
    if rh is None:
        return "exploration", text.say("stage.prospect", stage=text.stage("exploration"))
    lc = config.lifecycle
    recent_days = config.windows.recent_days
    won = _won_back(stats, rh, lc.won_back_days)
    if won is not None:
        return "formation", won
    if rh.recency_days > lc.lapse_factor * rh.interval_days:
        return "decline", text.say(
            "stage.lapsed",
            stage=text.stage("decline"),
            ago=rh.recency_text,
            x=rh.recency_days / rh.interval_days,
            interval=rh.interval_text,
        )
    observed = min(config.windows.baseline_days, rh.tenure_days - recent_days)
    usable = stats.purchases_baseline >= lc.min_baseline_purchases and (
        observed >= lc.min_baseline_days
    )
    f_ratio = v_ratio = None
    trend = text.EMPTY
    if usable:
        # Rates per day compared as cross products: no tiny divisors underflowing to zero.
        f_ratio = (stats.purchases_recent * observed) / (stats.purchases_baseline * recent_days)
        if stats.value_baseline > 0:
            v_ratio = (stats.value_recent * observed) / (stats.value_baseline * recent_days)
        trend = text.say(
            "stage.trend",
            recent=stats.purchases_recent,
            window=recent_days,
            base=stats.purchases_baseline,
            observed=observed,
            f=f_ratio,
            value=text.say("stage.trend_value", v=v_ratio) if v_ratio is not None else text.EMPTY,
        )
        if f_ratio < lc.decline_ratio or (v_ratio is not None and v_ratio < lc.decline_ratio):
            return "decline", text.say("stage.declining", stage=text.stage("decline"), trend=trend)
    if stats.purchases <= lc.exploration_max_purchases or rh.tenure_days < lc.exploration_max_days:
        return "exploration", text.say(
            "stage.exploring",
            stage=text.stage("exploration"),
            n=stats.purchases,
            tenure=text.days(rh.tenure_days),
        )
    if usable:
        if f_ratio >= lc.growth_ratio or (v_ratio is not None and v_ratio >= lc.growth_ratio):  # type: ignore[operator]
            return "formation", text.say(
                "stage.growing", stage=text.stage("formation"), trend=trend
            )
        return "stable", text.say("stage.steady", stage=text.stage("stable"), trend=trend)
    if rh.tenure_days < recent_days + config.windows.baseline_days:
        return "formation", text.say(
            "stage.young",
            stage=text.stage("formation"),
            n=stats.purchases,
            tenure=text.days(rh.tenure_days),
        )
    return "stable", text.say(
        "stage.long",
        stage=text.stage("stable"),
        n=stats.purchases,
        tenure=text.days(rh.tenure_days),
        interval=rh.interval_text,
    )


def _won_back(stats: CustomerStats, rh: Rhythm, days: float) -> text.Message | None:
    """The reason for ``formation`` when an agent won the customer back lately and the
    customer has not bought since (a purchase since then is judged by the rules below)."""
    at = stats.won_back_at
    if at is None or days <= 0 or stats.last_purchase_at is None:
        return None
    if at <= stats.last_purchase_at:
        return None
    # Days since the win-back: the recency less the days from the last purchase to it (the
    # core reads no clock; ``now`` is in the rhythm).
    ago = rh.recency_days - (at - stats.last_purchase_at).total_seconds() / 86400
    if not 0 <= ago <= days:
        return None
    return text.say("stage.won_back", stage=text.stage("formation"), ago=text.days(ago))
