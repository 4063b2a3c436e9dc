"""Assembling one customer's :class:`CustomerValue` from its parts, override included."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from app.grading import text
from app.grading.churn import churn
from app.grading.clv import clv, rhythm
from app.grading.config import GradingConfig
from app.grading.lifecycle import lifecycle
from app.grading.model import CustomerStats, CustomerValue, GradeOverride, as_utc
from app.grading.pyramid import grade_reason
from app.grading.rfm import rfm_keys, rfm_reason, score


def assess(
    s: CustomerStats,
    config: GradingConfig,
    now: datetime,
    now_ts: float,
    tier: int,
    rank: int | None,
    base_size: int,
    cuts: Sequence[Sequence[float]],
    override: GradeOverride | None,
    placed_by: text.Message | None = None,
    keys: tuple[float, float, float] | None = None,
) -> CustomerValue:
    """Everything about one customer once their tier, rank and RFM cut points are known.

    ``tier`` indexes ``config.pyramid.tiers`` (ignored for prospects); ``keys`` are the RFM keys
    when the caller already has them. An active override with a configured grade wins.
    """
    if s.purchases == 0:
        computed = config.pyramid.prospect_grade
        reason = text.say(
            "grade.prospect", grade=text.grade(computed), date=f"{s.created_at:%Y-%m-%d}"
        )
        r = f = m = 0
        rfm_text = text.say("rfm.none")
        value, clv_text = 0.0, text.say("clv.none")
        stage, stage_text = lifecycle(s, None, config)
        risk, risk_text = churn(s, None, stage, config)
    else:
        computed = config.pyramid.tiers[tier].name
        reason = grade_reason(tier, s.value_12m, rank, base_size, config, placed_by)
        if keys is None:
            keys = rfm_keys(s, config)
        r, f, m = score(keys[0], cuts[0]), score(keys[1], cuts[1]), score(keys[2], cuts[2])
        rh = rhythm(s, now_ts, config)
        rfm_text = rfm_reason((r, f, m), keys, rh.recency_text, config)
        value, clv_text = clv(s, rh, config)
        stage, stage_text = lifecycle(s, rh, config)
        risk, risk_text = churn(s, rh, stage, config)
    grade, active, by, until, why = computed, False, None, None, None
    if override is not None and override.active_at(now):
        if override.grade in config.tier_names or override.grade == config.pyramid.prospect_grade:
            grade, active, by, why = override.grade, True, override.set_by, override.reason
            until = as_utc(override.expires_at) if override.expires_at is not None else None
            term = (
                text.say("grade.override_until", when=_when(until))
                if until is not None
                else text.EMPTY
            )
            # The override's own reason is kept as typed; only the framing is translated.
            reason = text.say(
                "grade.override",
                grade=text.grade(grade),
                by=by,
                term=term,
                why=why,
                computed=reason,
            )
        else:
            reason = text.say(
                "grade.override_ignored",
                reason=reason,
                grade=override.grade,
                by=override.set_by,
            )
    return CustomerValue(
        customer_id=s.customer_id,
        grade=grade,
        grade_reason=reason,
        computed_grade=computed,
        rank=rank,
        base_size=base_size,
        value_12m=s.value_12m,
        r=r,
        f=f,
        m=m,
        rfm_reason=rfm_text,
        clv=value,
        clv_reason=clv_text,
        lifecycle=stage,
        lifecycle_reason=stage_text,
        churn_risk=risk,
        churn_reason=risk_text,
        computed_at=now,
        override_active=active,
        override_by=by,
        override_until=until,
        override_reason=why,
    )


def _when(moment: datetime) -> str:
    """A date, with the time only when it is not midnight UTC."""
    if (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0):
        return f"{moment:%Y-%m-%d}"
    return f"{moment:%Y-%m-%d %H:%M} UTC"
