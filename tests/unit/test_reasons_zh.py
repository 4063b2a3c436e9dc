"""Every server-written reason also exists in Chinese, built from the same facts.

For each grading reason and each kind of routing explanation: the Chinese variant is not
empty, contains Chinese characters and carries exactly the numbers of the English one.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from app.grading import (
    CustomerStats,
    CustomerValue,
    GradeOverride,
    GradingConfig,
    evaluate_customer,
    grade_base,
)
from routing import (
    ContactEscalated,
    ContactOverflowed,
    ContactQueued,
    Explanation,
    Offer,
    OfferCancelled,
    Policy,
    QueueConfig,
    Router,
    RouterSettings,
)
from routing.catalog import Catalog, Text
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


def numbers(sentence: str) -> list[str]:
    """The figures of a sentence, in order of size (the languages order words differently)."""
    return sorted(NUMBER.findall(sentence.replace(",", "")))


def assert_same_facts(en: str, zh: str) -> None:
    assert en and zh, (en, zh)
    assert CJK.search(zh), zh
    assert numbers(en) == numbers(zh), (en, zh)


def assert_value_in_both(v: CustomerValue) -> None:
    for name in REASONS:
        assert_same_facts(getattr(v, name), getattr(v, f"{name}_zh"))
        assert v.to_dict()[f"{name}_zh"] == getattr(v, f"{name}_zh")


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


# --- grading -----------------------------------------------------------------------------


def test_graded_purchaser_reasons_in_chinese() -> None:
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
    assert v.grade_reason_zh == "贵宾：近 12 个月毛利 ¥84,200，在 2 位客户中排名第 1（前 50%）"
    assert v.lifecycle_reason_zh.startswith("退化期：")
    assert "投诉" in v.churn_reason_zh and "评价" in v.churn_reason_zh
    for value in values:
        assert_value_in_both(value)


def test_prospect_reasons_in_chinese() -> None:
    prospect = CustomerStats(3, datetime(2025, 1, 15, tzinfo=UTC))
    (v,), _ = grade_base([prospect], DEFAULT, NOW)
    assert v.grade == "prospect"
    assert v.grade_reason_zh == "潜在客户：尚无购买记录（2025-01-15 建档）"
    assert v.lifecycle_reason_zh == "考察期：尚无购买记录"
    assert_value_in_both(v)


def test_overridden_customer_keeps_the_typed_reason_and_translates_the_framing() -> None:
    s = CustomerStats(1, ago(400), 3, ago(300), ago(10), 900.0, 900.0, 3)
    pin = GradeOverride(
        "key", "strategic account 战略客户", "alice", datetime(2027, 1, 1, tzinfo=UTC)
    )
    (v,), _ = grade_base([s], DEFAULT, NOW, {1: pin})
    assert v.grade_reason_zh == (
        "重要客户（alice 手动指定，有效期至 2027-01-01，原因：strategic account 战略客户）；"
        "系统计算：贵宾：近 12 个月毛利 ¥900，在 1 位客户中排名第 1（前 100%）"
    )
    assert_value_in_both(v)
    (ignored,), _ = grade_base([s], DEFAULT, NOW, {1: GradeOverride("gold", "x", "bob")})
    assert "'gold'" in ignored.grade_reason_zh and "已忽略" in ignored.grade_reason_zh
    assert_value_in_both(ignored)


def test_every_reason_of_a_synthetic_base_in_both_modes_and_incremental() -> None:
    base = synthetic_base(400)
    for config in (DEFAULT, THRESHOLD):
        values, snapshot = grade_base(base, config, NOW)
        for v in values:
            assert_value_in_both(v)
        for s in base[:40]:  # placed by the snapshot, no rank: "按 … 的快照定级"
            assert_value_in_both(evaluate_customer(s, snapshot, config, NOW))


# --- routing -----------------------------------------------------------------------------

POLICY = {
    "rules": [
        {
            "name": "vip",
            "description": "vip customer",
            "description_zh": "贵宾客户",
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
            "description": "gold intent",  # no description_zh: the title stays English
            "when": {"intent": "gold"},
            "preferred": [{"team": "gold"}],
            "steps": [{"target": "preferred", "timeout": 20}, {"target": "skilled"}],
        },
        {
            "name": "default",
            "steps": [
                {"target": "skilled", "timeout": 600, "label": "anyone", "label_zh": "任一坐席"},
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
    return Router(Policy.from_mapping(POLICY), QUEUES, settings=RouterSettings(offer_timeout=15))


def assert_explained(why: Explanation) -> None:
    assert_same_facts(why.reason, why.reason_zh)
    assert why.step_label_zh and numbers(why.step_label) == numbers(why.step_label_zh)
    data = why.as_dict()
    assert data["reason_zh"] == why.reason_zh and data["step_label_zh"] == why.step_label_zh
    for note in data["candidates"]:
        assert_same_facts(note["note"], note["note_zh"])


def test_matched_rule_with_preferred_agent_in_chinese() -> None:
    r = router()
    login(r, agent("alice"), agent("bob", 5, senior=True))
    out = r.contact_arrived(contact("c1", grade="vip", account_manager_agent_id="alice"), T0)
    why = offer_in(out).explanation
    assert why.reason_zh == "贵宾客户：分配给 客户经理 Alice（第 1/4 步：客户经理）"
    assert why.step_label_zh == "客户经理"
    assert why.candidates[0].note_zh.startswith("首选（客户经理）；熟练度 3")
    assert_explained(why)
    assert_explained(of(ContactQueued, out)[0].explanation)


def test_skipped_steps_escalation_and_absent_preferred_in_chinese() -> None:
    r = router()
    login(r, agent("alice"))
    busy_with(r, "alice", "c0")
    login(r, agent("dave", 1, senior=True))
    out = r.contact_arrived(contact("v", grade="vip", account_manager_agent_id="zed"), T0)
    why = offer_in(out).explanation
    assert "跳过第 1 步（客户经理：未登录或在小休）" in why.reason_zh
    assert why.reason_zh.startswith("贵宾客户：分配给 资深坐席 Dave（第 2/4 步：资深坐席；")
    assert {c.agent_id: c.note_zh for c in why.candidates}["zed"] == "客户经理：从未登录"
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
    assert escalated.explanation.reason_zh == (
        "贵宾客户：30 秒内无坐席接起，扩大到第 2/4 步：资深坐席"
    )
    assert_explained(escalated.explanation)
    offer = offer_in(out)
    assert_explained(offer.explanation)
    notes = {c.agent_id: c.note_zh for c in offer.explanation.candidates}
    assert notes["alice"] == "客户经理：忙碌"


def test_preferred_team_member_and_english_only_title() -> None:
    r = router()
    login(r, agent("ann", 5), agent("gil", 1, team="gold"))
    why = offer_in(r.contact_arrived(contact("c", intent="gold"), T0)).explanation
    assert why.reason_zh.startswith(
        "gold intent：分配给 首选团队 gold 的 Gil（第 1/2 步：gold 团队）"
    )
    assert_explained(why)


def test_overflow_and_no_candidates_in_chinese() -> None:
    r = router()
    out = r.contact_arrived(contact("c1"), T0)  # nobody logged in: straight to overflow
    queued, moved = of(ContactQueued, out)[0], of(ContactOverflowed, out)[0]
    assert queued.explanation.reason_zh == (
        "default：在 general 队列排队（第 2/2 步：溢出队列；跳过第 1 步（任一坐席：未登录或在小休））"
    )
    assert moved.explanation.reason_zh.startswith("default：从 general 队列转入 overflow 队列（")
    for d in (queued, moved):
        assert_explained(d.explanation)

    # A contact that waits with no candidate at all, then overflows after its step timeout.
    r = router()
    login(r, agent("bob"))
    busy_with(r, "bob", "b")
    out = r.contact_arrived(contact("c2"), T0)
    assert not of(Offer, out)
    assert out[0].explanation.reason_zh == "default：在 general 队列排队（第 1/2 步：任一坐席）"
    assert out[0].explanation.candidates == ()
    assert_explained(out[0].explanation)
    (moved,) = of(ContactOverflowed, r.tick(T0 + 600))
    assert moved.explanation.reason_zh == (
        "default：从 general 队列转入 overflow 队列（第 1/2 步：任一坐席）"
    )
    assert_explained(moved.explanation)


def test_fallback_rule_in_chinese() -> None:
    only_vip = Policy.from_mapping({"rules": POLICY["rules"][:1]})
    r = Router(only_vip, QUEUES[1:2])
    (queued,) = r.contact_arrived(replace(contact("c"), queue="overflow"), T0)
    assert (
        queued.explanation.reason_zh
        == "未匹配任何规则：在 overflow 队列排队（第 1/1 步：任一具备技能的坐席）"
    )
    assert_explained(queued.explanation)


def test_cancelled_offers_carry_a_chinese_reason() -> None:
    r = router()
    login(r, agent("ann"))
    r.contact_arrived(contact("c1"), T0)
    (cancelled,) = of(OfferCancelled, r.tick(T0 + 15))
    assert (cancelled.reason, cancelled.reason_zh) == ("no answer within 15 s", "15 秒内未应答")


# --- the catalog itself ------------------------------------------------------------------


def test_catalog_renders_like_str_format_in_both_languages() -> None:
    en = {"k": "{{x}} {name!r}: {n:,} of {total:.1f} ({word})", "plain": "it's {{fine}}"}
    zh = {"k": "{{x}}{word}：{total:.1f} 中的 {n:,}（{name!r}）", "plain": "没问题"}
    catalog = Catalog(en, zh)
    facts = {"name": "a'b", "n": 12345, "total": 3.25, "word": Text("word", "词")}
    said = catalog.say("k", **facts)
    assert said == Text(
        en["k"].format_map({**facts, "word": "word"}), zh["k"].format_map({**facts, "word": "词"})
    )
    assert catalog.say("plain") == Text("it's {fine}", "没问题")
    with pytest.raises(TypeError):
        catalog.say("k", **facts, typo=1)  # a misspelt fact is an error, not silently dropped
    with pytest.raises(ValueError, match="keys differ"):
        Catalog({"a": "x"}, {"b": "y"})
