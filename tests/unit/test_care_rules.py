"""The care rules' pure evaluator and contact discipline (app/care/rules.py), and the
shipped config/care.yaml."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.care.config import load_care_config
from app.care.rules import CareRule, CustomerFacts, Discipline, evaluate, hold_reason

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
TEXT = {"en": "do it", "zh": "去做"}


def rule(kind: str, **kw) -> CareRule:
    return CareRule(name=kw.pop("name", kind), kind=kind, queue="care", text=TEXT, **kw)  # type: ignore[arg-type]


def keys(plans) -> list[tuple[int, str, str]]:
    return [(p.customer_id, p.rule, p.occasion) for p in plans]


def test_win_back_fires_on_decline_or_churn_threshold_once_per_drift() -> None:
    r = rule("win_back", churn_threshold=0.7, owner="account_manager", due_hours=48)
    last = NOW - timedelta(days=90)
    declining = CustomerFacts(1, "key", "decline", 0.1, account_manager_id=7, last_purchase_at=last)
    risky = CustomerFacts(2, "key", "stable", 0.75, last_purchase_at=last)
    fine = CustomerFacts(3, "key", "stable", 0.69, last_purchase_at=last)
    plans = evaluate([r], [declining, risky, fine], NOW)
    assert keys(plans) == [(1, "win_back", "drift:2026-09-01"), (2, "win_back", "drift:2026-09-01")]
    assert plans[0].owner_id == 7 and plans[1].owner_id is None
    assert plans[0].due_at == NOW + timedelta(hours=48)
    assert plans[0].facts["trigger"] == "decline" and plans[1].facts["trigger"] == "churn_risk"
    # Later, the same drift is the same occasion; a new purchase and a new drift is another.
    assert keys(evaluate([r], [declining], NOW + timedelta(days=5))) == keys(plans[:1])
    again = CustomerFacts(1, "key", "decline", last_purchase_at=NOW - timedelta(days=1))
    assert keys(evaluate([r], [again], NOW))[0][2] == "drift:2026-11-29"


def test_rules_apply_to_their_grades_only() -> None:
    r = rule("win_back", grades=frozenset({"vip", "key"}))
    small = CustomerFacts(1, "small", "decline")
    unknown = CustomerFacts(2, None, "decline")
    assert evaluate([r], [small, unknown], NOW) == []
    assert len(evaluate([rule("win_back")], [small, unknown], NOW)) == 2  # no grades: all


def test_follow_up_comes_n_days_after_the_complaint_closed() -> None:
    r = rule("follow_up", after_days=3, lookback_days=14)
    c = CustomerFacts(
        5, closed_complaints=((11, NOW - timedelta(days=2)), (12, NOW - timedelta(days=3)))
    )
    assert keys(evaluate([r], [c], NOW)) == [(5, "follow_up", "complaint:12")]
    # Long past (an old installation's history): not acted on.
    old = CustomerFacts(6, closed_complaints=((13, NOW - timedelta(days=30)),))
    assert evaluate([r], [old], NOW) == []


def test_thank_you_for_large_recent_purchases() -> None:
    r = rule("thank_you", min_amount=10_000, lookback_days=3)
    c = CustomerFacts(
        7,
        purchases_recent=(
            (1, 9_999.0, NOW - timedelta(hours=1)),
            (2, 10_000.0, NOW - timedelta(hours=2)),
            (3, 50_000.0, NOW - timedelta(days=4)),
        ),
    )
    plans = evaluate([r], [c], NOW)
    assert keys(plans) == [(7, "thank_you", "purchase:2")]
    assert plans[0].facts == {"transaction_id": 2, "amount": 10_000.0}


def test_check_in_after_twice_the_usual_interval_of_silence() -> None:
    r = rule("check_in", silence_factor=2)
    first, last = NOW - timedelta(days=100), NOW - timedelta(days=40)
    # Four purchases over 60 days: every 20 days; silent 40 days = twice that.
    due = CustomerFacts(8, first_purchase_at=first, last_purchase_at=last, purchases=4)
    assert due.usual_interval == timedelta(days=20)
    assert keys(evaluate([r], [due], NOW)) == [(8, "check_in", "silent:2026-10-21")]
    assert evaluate([r], [due], NOW - timedelta(days=1)) == []  # 39 days: not yet
    once = CustomerFacts(9, first_purchase_at=last, last_purchase_at=last, purchases=1)
    assert evaluate([r], [once], NOW) == []  # no usual interval with one purchase


def test_discipline_holds_sales_for_open_problems_and_every_task_for_opt_outs_and_the_cap() -> None:
    assert hold_reason("sales", "call", Discipline(open_complaint=True), 3, 7) == (
        "care.held.open_complaint",
        {},
    )
    assert hold_reason("sales", "call", Discipline(overdue_promise=True), 3, 7) == (
        "care.held.overdue_promise",
        {},
    )
    # Care work is not selling: a follow-up goes although a complaint is open.
    assert hold_reason("care", "call", Discipline(open_complaint=True), 3, 7) is None
    assert hold_reason("care", "call", Discipline(do_not_call=True), 3, 7) == (
        "care.held.do_not_call",
        {},
    )
    assert hold_reason("care", "message", Discipline(do_not_call=True), 3, 7) is None
    assert hold_reason("care", "message", Discipline(do_not_message=True), 3, 7) == (
        "care.held.do_not_message",
        {},
    )
    capped = Discipline(outbound_in_period=3)
    assert hold_reason("service", "call", capped, 3, 7) == (
        "care.held.cap",
        {"count": 3, "cap": 3, "days": 7},
    )
    assert hold_reason("service", "call", capped, None, 7) is None  # no cap configured
    assert hold_reason("service", "call", Discipline(outbound_in_period=2), 3, 7) is None


def test_the_shipped_config_loads_and_bad_files_say_where(tmp_path: Path) -> None:
    config = load_care_config(Path("config/care.yaml"))
    kinds = {r.kind for r in config.care_rules()}
    assert kinds == {"win_back", "follow_up", "thank_you", "check_in"}
    assert "price" in {c.code for c in config.drift_reasons}
    bad = tmp_path / "care.yaml"
    bad.write_text("drift_reasons: [{code: x, label_en: X, label_zh: X}]\nrules:\n"
                   "  - {name: a, kind: win_back, text: {en: only english}}\n")  # fmt: skip
    with pytest.raises(ValueError, match="both 'en' and 'zh'"):
        load_care_config(bad)
    bad.write_text("drift_reasons: [{code: x, label_en: X, label_zh: X}]\nrules:\n"
                   "  - {name: a, kind: wave, text: {en: a, zh: b}}\n")  # fmt: skip
    with pytest.raises(ValueError, match=str(bad)):
        load_care_config(bad)
