"""Churn risk 0–1: a noisy-OR of risk factors, each 0–1 and weighted (keys under ``churn``).

    risk = 1 − Π (1 − weight_i · factor_i)

Factors: recency ``1 − p_active`` (overdue against the usual interval, see ``clv``); decline
(1 when the lifecycle stage is ``decline``); complaints (1 with an open complaint, else
``complaints_12m / repeat_complaints`` capped at 1); broken promises
(``broken_promises_12m / repeat_promises`` capped at 1); ratings (share of ratings <= 2). With weights
in [0, 1] the result always lies in [0, 1], and more of any factor never lowers it.
"""

from __future__ import annotations

from app.grading import text
from app.grading.clv import Rhythm
from app.grading.config import GradingConfig
from app.grading.model import LOW_RATING_MAX, CustomerStats

SHOWN = 0.05
"""Factors contributing less than this are left out of the reason."""


def churn(
    stats: CustomerStats, rh: Rhythm | None, stage: str, config: GradingConfig
) -> tuple[float, text.Message]:
    """The churn risk and its reason, naming the main factors, largest first."""
    w = config.churn
    factors: list[tuple[float, text.Message]] = []
    if rh is not None and rh.p_active < 1.0:
        factors.append(
            (
                w.weight_recency * (1.0 - rh.p_active),
                text.say(
                    "churn.recency",
                    ago=rh.recency_text,
                    x=rh.recency_days / rh.interval_days,
                    interval=rh.interval_text,
                ),
            )
        )
    if stage == "decline":
        factors.append((w.weight_decline, text.say("churn.decline")))
    if stats.open_complaints > 0:
        factors.append((w.weight_complaints, text.say("churn.open", n=stats.open_complaints)))
    elif stats.complaints_12m > 0:
        share = min(1.0, stats.complaints_12m / w.repeat_complaints)
        factors.append(
            (w.weight_complaints * share, text.say("churn.complaints", n=stats.complaints_12m))
        )
    if stats.broken_promises_12m > 0:
        # A promise the centre broke is a reason to leave of its own (docs/promises.md).
        share = min(1.0, stats.broken_promises_12m / w.repeat_promises)
        factors.append(
            (w.weight_promises * share, text.say("churn.promises", n=stats.broken_promises_12m))
        )
    if stats.low_ratings > 0 and stats.ratings_count > 0:
        share = min(1.0, stats.low_ratings / stats.ratings_count)
        factors.append(
            (
                w.weight_ratings * share,
                text.say(
                    "churn.ratings",
                    low=stats.low_ratings,
                    count=stats.ratings_count,
                    max=LOW_RATING_MAX,
                ),
            )
        )
    if not factors:
        return 0.0, text.say("churn.none", risk=0.0)
    keep = 1.0
    for weight, _ in factors:
        keep *= 1.0 - weight
    risk = min(1.0, max(0.0, 1.0 - keep))
    shown = [f for f in factors if f[0] >= SHOWN]
    if not shown:
        return risk, text.say("churn.none", risk=risk)
    if len(shown) > 1:
        shown.sort(key=_weight, reverse=True)
    return risk, text.say("churn", risk=risk, factors=text.join([label for _, label in shown]))


def _weight(factor: tuple[float, text.Message]) -> float:
    return factor[0]
