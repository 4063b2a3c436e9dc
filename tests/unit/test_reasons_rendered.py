"""Reasons are codes and facts; every one renders in English and in Chinese.

For each grading reason and each kind of routing explanation: the message is JSON as stored,
renders in both languages, the Chinese contains Chinese characters and carries exactly the
numbers of the English one.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from app.grading import (
    CustomerStats,
    CustomerValue,
    GradeOverride,
    GradingConfig,
    evaluate_customer,
    grade_base,
)
from app.i18n import Names, render_explanation, render_message
from routing import (
    ContactEscalated,
    ContactOverflowed,
    ContactQueued,
    Explanation,
    Offer,
    OfferCancelled,
    QueueConfig,
    Router,
    RouterSettings,
    parse_policy,
)
from tests.unit.test_grading_bench import synthetic_base
from tests.unit.test_routing_router import T0, agent, busy_with, contact, login, of, offer_in

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
DEFAULT = GradingConfig.default()
THRESHOLD = GradingConfig.from_mapping(
    {
        "pyramid": {
            "mode": "threshold",
            "tiers": [
                {"name": "vip", "min_value": 5000},
                {"name": "key", "min_value": 1000},
                {"name": "ordinary", "min_value": 100},
                {"name": "small"},
            ],
        },
        "rfm": {"window": "12m"},
    }
)
REASONS = ("grade_reason", "rfm_reason", "clv_reason", "lifecycle_reason", "churn_reason")
CJK = re.compile(r"[\u4e00-\u9fff]")
NUMBER = re.compile(r"\d+(?:\.\d+)?")

NAMES = Names(
    {
        "grade": {
            "vip": {"en": "vip", "zh": "贵宾"},
            "key": {"en": "key", "zh": "重要客户"},
            "ordinary": {"en": "ordinary", "zh": "普通客户"},
            "small": {"en": "small", "zh": "小客户"},
            "prospect": {"en": "prospect", "zh": "潜在客户"},
        },
        "rule": {"vip": {"en": "vip customer", "zh": "贵宾客户"}},
        "label": {"anyone": {"en": "anyone", "zh": "任一坐席"}},
    }
)


def en(message: Any) -> str:
    return render_message(message, "en", NAMES)


def zh(message: Any) -> str:
    return render_message(message, "zh", NAMES)


def numbers(sentence: str) -> list[str]:
    """The figures of a sentence, in order of size (the languages order words differently)."""
    return sorted(NUMBER.findall(sentence.replace(",", "")))


def assert_same_facts(message: Any) -> None:
    assert json.loads(json.dumps(message)) == message  # stored as is
    english, chinese = en(message), zh(message)
    assert english and chinese, (english, chinese)
    assert CJK.search(chinese), chinese
    assert numbers(english) == numbers(chinese), (english, chinese)


def assert_value_in_both(v: CustomerValue) -> None:
    for name in REASONS:
        assert_same_facts(getattr(v, name))
        assert v.to_dict()[name] == getattr(v, name)
        assert f"{name}_zh" not in v.to_dict()


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


# --- grading -----------------------------------------------------------------------------


def test_graded_purchaser_reasons_in_both_languages() -> None:
    declining = CustomerStats(
        customer_id=1,
        created_at=ago(900),
        purchases=12,
        first_purchase_at=ago(800),
        last_purchase_at=ago(20),
        value_total=12_000.0,
        value_12m=84_200.0,
        purchases_12m=4,
        value_recent=300.0,
        purchases_recent=1,
        value_baseline=6_000.0,
        purchases_baseline=8,
        open_complaints=1,
        complaints_12m=2,
        ratings_count=4,
        avg_rating=2.5,
        low_ratings=2,
    )
    other = CustomerStats(2, ago(100), 1, ago(50), ago(50), 10.0, 10.0, 1)
    values, _ = grade_base([declining, other], DEFAULT, NOW)
    v = values[0]
    assert v.grade == "vip" and v.lifecycle == "decline"
    assert v.grade_reason["code"] == "grade.ranked"
    assert en(v.grade_reason) == "vip: 12-month margin ¥84,200, rank 1 of 2 (top 50 %)"
    assert zh(v.grade_reason) == "贵宾：近 12 个月毛利 ¥84,200，在 2 位客户中排名第 1（前 50%）"
    assert zh(v.lifecycle_reason).startswith("退化期：")
    assert "投诉" in zh(v.churn_reason) and "评价" in zh(v.churn_reason)
    assert en(v.rfm_reason).startswith("R4 F4 M4: last purchase 20 days ago, 12 purchases")
    assert en(values[1].rfm_reason).split(", ")[1].startswith("1 purchase and")  # singular
    for value in values:
        assert_value_in_both(value)


def test_prospect_reasons_in_both_languages() -> None:
    prospect = CustomerStats(3, datetime(2025, 1, 15, tzinfo=UTC))
    (v,), _ = grade_base([prospect], DEFAULT, NOW)
    assert v.grade == "prospect"
    assert en(v.grade_reason) == "prospect: no purchases yet (customer since 2025-01-15)"
    assert zh(v.grade_reason) == "潜在客户：尚无购买记录（2025-01-15 建档）"
    assert zh(v.lifecycle_reason) == "考察期：尚无购买记录"
    assert_value_in_both(v)


def test_overridden_customer_keeps_the_typed_reason_and_translates_the_framing() -> None:
    s = CustomerStats(1, ago(400), 3, ago(300), ago(10), 900.0, 900.0, 3)
    pin = GradeOverride(
        "key", "strategic account 战略客户", "alice", datetime(2027, 1, 1, tzinfo=UTC)
    )
    (v,), _ = grade_base([s], DEFAULT, NOW, {1: pin})
    assert zh(v.grade_reason) == (
        "重要客户（alice 手动指定，有效期至 2027-01-01，原因：strategic account 战略客户）；"
        "系统计算：贵宾：近 12 个月毛利 ¥900，在 1 位客户中排名第 1（前 100%）"
    )
    assert_value_in_both(v)
    (ignored,), _ = grade_base([s], DEFAULT, NOW, {1: GradeOverride("gold", "x", "bob")})
    assert "'gold'" in zh(ignored.grade_reason) and "已忽略" in zh(ignored.grade_reason)
    assert_value_in_both(ignored)


def test_every_reason_of_a_synthetic_base_in_both_modes_and_incremental() -> None:
    base = synthetic_base(400)
    for config in (DEFAULT, THRESHOLD):
        values, snapshot = grade_base(base, config, NOW)
        for v in values:
            assert_value_in_both(v)
        for s in base[:40]:  # placed by the snapshot, no rank: "按 … 的快照定级"
            assert_value_in_both(evaluate_customer(s, snapshot, config, NOW))


def test_revenue_measure_and_negative_money() -> None:
    config = GradingConfig.from_mapping({"value_measure": "revenue"})
    s = CustomerStats(1, ago(400), 2, ago(300), ago(10), -1250.0, -1250.0, 2)
    (v,), _ = grade_base([s], config, NOW)
    assert en(v.grade_reason).startswith("vip: 12-month revenue -¥1,250")
    assert zh(v.grade_reason).startswith("贵宾：近 12 个月营收 -¥1,250")


# --- routing -----------------------------------------------------------------------------

POLICY = {
    "rules": [
        {
            "name": "vip",
            "description": "vip",  # names.yaml (NAMES) wins: "vip customer" / "贵宾客户"
            "when": {"grade": "vip"},
            "preferred": ["account_manager"],
            "steps": [
                {"target": "preferred", "timeout": 30},
                {"target": "senior", "timeout": 60},
                {"target": "skilled", "timeout": 120},
                {"target": "overflow"},
            ],
        },
        {
            "name": "team",
            "description": "gold intent",  # not in names: the description, in every language
            "when": {"intent": "gold"},
            "preferred": [{"team": "gold"}],
            "steps": [{"target": "preferred", "timeout": 20}, {"target": "skilled"}],
        },
        {
            "name": "default",
            "steps": [
                {"target": "skilled", "timeout": 600, "label": "anyone"},
                {"target": "overflow"},
            ],
        },
    ]
}
QUEUES = [
    QueueConfig("general", (("general", 1),), max_wait_seconds=900, overflow="overflow"),
    QueueConfig("overflow", ()),
]


def router() -> Router:
    return Router(parse_policy(POLICY), QUEUES, settings=RouterSettings(offer_timeout=15))


def assert_explained(why: Explanation) -> None:
    assert_same_facts(why.reason)
    assert en(why.step_label) and numbers(en(why.step_label)) == numbers(zh(why.step_label))
    data = json.loads(json.dumps(why.as_dict()))  # as stored in interactions.routing_explanation
    assert data["reason"] == why.reason and data["step_label"] == why.step_label
    assert "reason_zh" not in data and "step_label_zh" not in data
    for note in data["candidates"]:
        assert_same_facts(note["note"])
    shown = render_explanation(data, "zh", NAMES)
    assert shown["reason"] == zh(why.reason) and shown["reason_message"] == why.reason
    assert shown["step_label"] == zh(why.step_label)
    for note, rendered in zip(data["candidates"], shown["candidates"], strict=True):
        assert rendered["note"] == zh(note["note"]) and rendered["note_message"] == note["note"]
    assert render_explanation(shown, "en", NAMES) == shown  # rendering twice changes nothing


def test_matched_rule_with_preferred_agent() -> None:
    r = router()
    login(r, agent("alice"), agent("bob", 5, senior=True))
    out = r.contact_arrived(contact("c1", grade="vip", account_manager_agent_id="alice"), T0)
    why = offer_in(out).explanation
    assert why.reason["code"] == "offered"
    assert zh(why.reason) == "贵宾客户：分配给 客户经理 Alice（第 1/4 步：客户经理）"
    assert en(why.reason) == (
        "vip customer: offered to account manager Alice (step 1 of 4: account manager)"
    )
    assert zh(why.step_label) == "客户经理"
    assert zh(why.candidates[0].note).startswith("首选（客户经理）；熟练度 3")
    assert_explained(why)
    assert_explained(of(ContactQueued, out)[0].explanation)


def test_skipped_steps_escalation_and_absent_preferred() -> None:
    r = router()
    login(r, agent("alice"))
    busy_with(r, "alice", "c0")
    login(r, agent("dave", 1, senior=True))
    out = r.contact_arrived(contact("v", grade="vip", account_manager_agent_id="zed"), T0)
    why = offer_in(out).explanation
    assert "跳过第 1 步（客户经理：未登录或在小休）" in zh(why.reason)
    assert zh(why.reason).startswith("贵宾客户：分配给 资深坐席 Dave（第 2/4 步：资深坐席；")
    assert {c.agent_id: zh(c.note) for c in why.candidates}["zed"] == "客户经理：从未登录"
    # Colleagues by name, as the console shows them (none for one never seen).
    names = {c.agent_id: c.display_name for c in why.candidates}
    assert names["dave"] == "Dave" and names["zed"] is None
    assert why.as_dict()["candidates"][0]["display_name"] == "Dave"
    assert_explained(why)

    # The manager is busy: step 1 waits, then widens after its timeout.
    r = router()
    login(r, agent("alice"))
    busy_with(r, "alice", "c0")
    login(r, agent("dave", 1, senior=True), agent("carl", 5))
    busy_with(r, "carl", "c1")
    r.contact_arrived(contact("w", grade="vip", account_manager_agent_id="alice"), T0)
    out = r.tick(T0 + 30)
    (escalated,) = of(ContactEscalated, out)
    assert zh(escalated.explanation.reason) == (
        "贵宾客户：30 秒内无坐席接起，扩大到第 2/4 步：资深坐席"
    )
    assert_explained(escalated.explanation)
    offer = offer_in(out)
    assert_explained(offer.explanation)
    notes = {c.agent_id: c for c in offer.explanation.candidates}
    assert zh(notes["alice"].note) == "客户经理：忙碌"
    assert notes["alice"].display_name == "Alice"  # busy, not eligible: still named
    assert notes["alice"].why_not == {"code": "why.busy"}


def test_preferred_team_member_and_a_rule_without_display_names() -> None:
    r = router()
    login(r, agent("ann", 5), agent("gil", 1, team="gold"))
    why = offer_in(r.contact_arrived(contact("c", intent="gold"), T0)).explanation
    assert zh(why.reason).startswith(
        "gold intent：分配给 首选团队 gold 的 Gil（第 1/2 步：gold 团队）"
    )
    assert_explained(why)


def test_overflow_and_no_candidates() -> None:
    r = router()
    out = r.contact_arrived(contact("c1"), T0)  # nobody logged in: straight to overflow
    queued, moved = of(ContactQueued, out)[0], of(ContactOverflowed, out)[0]
    assert zh(queued.explanation.reason) == (
        "default：在 general 队列排队（第 2/2 步：溢出队列；跳过第 1 步（任一坐席：未登录或在小休））"
    )
    assert zh(moved.explanation.reason).startswith("default：从 general 队列转入 overflow 队列（")
    for d in (queued, moved):
        assert_explained(d.explanation)

    # A contact that waits with no candidate at all, then overflows after its step timeout.
    r = router()
    login(r, agent("bob"))
    busy_with(r, "bob", "b")
    out = r.contact_arrived(contact("c2"), T0)
    assert not of(Offer, out)
    assert zh(out[0].explanation.reason) == "default：在 general 队列排队（第 1/2 步：任一坐席）"
    assert out[0].explanation.candidates == ()
    assert_explained(out[0].explanation)
    (moved,) = of(ContactOverflowed, r.tick(T0 + 600))
    assert zh(moved.explanation.reason) == (
        "default：从 general 队列转入 overflow 队列（第 1/2 步：任一坐席）"
    )
    assert_explained(moved.explanation)


def test_queue_and_skill_display_names_come_from_names() -> None:
    names = Names(
        {
            "queue": {"general": {"en": "General", "zh": "综合服务"}},
            "skill": {"complaints": {"en": "complaints", "zh": "投诉处理"}},
        }
    )
    r = router()
    queued = of(ContactQueued, r.contact_arrived(contact("c1"), T0))[0]
    assert render_message(queued.explanation.reason, "zh", names).startswith(
        "default：在 综合服务 队列排队"
    )
    assert render_message(queued.explanation.reason, "en", names).startswith(
        "default: queued in General"
    )
    names.set_defaults("queue", {"general": "General line"})  # the database's display_name
    assert "General line" not in render_message(queued.explanation.reason, "zh", names)
    assert "General line" in render_message(queued.explanation.reason, "fr", names)
    skilled = parse_policy(
        {"rules": [{"name": "c", "steps": [{"target": "skilled", "skills": {"complaints": 2}}]}]}
    ).rule("c")
    assert render_message(skilled.step_label(0), "zh", names) == "具备 投诉处理 技能的坐席"


def test_fallback_rule() -> None:
    only_vip = parse_policy({"rules": POLICY["rules"][:1]})
    r = Router(only_vip, QUEUES[1:2])
    (queued,) = r.contact_arrived(replace(contact("c"), queue="overflow"), T0)
    assert (
        zh(queued.explanation.reason)
        == "未匹配任何规则：在 overflow 队列排队（第 1/1 步：任一具备技能的坐席）"
    )
    assert_explained(queued.explanation)


def test_cancelled_offers_carry_a_reason_code() -> None:
    r = router()
    login(r, agent("ann"))
    r.contact_arrived(contact("c1"), T0)
    (cancelled,) = of(OfferCancelled, r.tick(T0 + 15))
    assert cancelled.reason == {"code": "cancel.no_answer", "facts": {"seconds": 15}}
    assert (en(cancelled.reason), zh(cancelled.reason)) == (
        "no answer within 15 s",
        "15 秒内未应答",
    )
    entry = {"event": "offer_cancelled", "cause": "expired", "reason": cancelled.reason}
    shown = render_explanation(entry, "zh", NAMES)
    assert shown["reason"] == "15 秒内未应答" and shown["reason_message"] == cancelled.reason
    r.contact_arrived(contact("c2"), T0 + 20)
    out = r.offer_rejected("c1" if r.store.offer("c1") else "c2", "ann", T0 + 21, "technical")
    (rejected,) = of(OfferCancelled, out)
    names = Names({"reject_reason": {"technical": {"en": "technical problem", "zh": "技术故障"}}})
    assert render_message(rejected.reason, "zh", names) == "已拒绝（技术故障）"
    assert render_message(rejected.reason, "en", names) == "declined (technical problem)"
