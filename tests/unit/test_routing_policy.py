"""Policy parsing, validation messages, and rule matching (incl. the shipped default)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from app.i18n import Names, render_message
from routing import Contact, Customer, Policy, PolicyError, RoutingConfig, Target, parse_policy
from routing.policy import DEFAULT_RULE, PreferredKind

ROOT = Path(__file__).resolve().parents[2]
NOW = 1_000_000.0
HOUR = 3600.0


def default_doc() -> dict:
    return yaml.safe_load((ROOT / "config" / "routing.yaml").read_text())


def contact(queue: str = "general", channel: str = "voice", **customer) -> Contact:
    return Contact("c1", channel, queue, NOW, Customer(**customer))


def rule_for(policy: Policy, c: Contact) -> str:
    return policy.match(c, c.queue, NOW).name


# --- the shipped default policy ---------------------------------------------------------


def test_default_config_parses():
    config = RoutingConfig.from_mapping(default_doc())
    assert [r.name for r in config.policy.rules] == [
        "open-complaint",
        "vip",
        "key",
        "retention",
        "callback",
        "repeat-contact",
        "default",
    ]
    assert config.policy.aging_rate == 0.05
    assert config.settings.offer_timeout == 15
    assert config.settings.max_missed_offers == 3
    assert {q.name for q in config.queues} >= {"general", "overflow"}


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"has_open_complaint": True, "grade": "vip"}, "open-complaint"),
        ({"open_complaint_owner_id": "a1"}, "open-complaint"),
        ({"grade": "vip"}, "vip"),
        ({"grade": "key", "lifecycle": "decline"}, "key"),
        ({"grade": "ordinary", "lifecycle": "decline"}, "retention"),
        ({"grade": "small", "churn_risk": 0.7}, "retention"),
        ({"grade": "small", "churn_risk": 0.69}, "default"),
        ({"last_contact_at": NOW - 47 * HOUR, "last_agent_id": "a2"}, "repeat-contact"),
        ({"last_contact_at": NOW - 49 * HOUR, "last_agent_id": "a2"}, "default"),
        ({}, "default"),
    ],
)
def test_default_policy_first_match_wins(facts, expected):
    policy = parse_policy(default_doc())
    assert rule_for(policy, contact(**facts)) == expected


def test_default_vip_chain():
    vip = parse_policy(default_doc()).rule("vip")
    assert [s.target for s in vip.steps] == [
        Target.PREFERRED,
        Target.SENIOR,
        Target.SKILLED,
        Target.OVERFLOW,
    ]
    assert vip.preferred[0].kind is PreferredKind.ACCOUNT_MANAGER
    labels = tuple(render_message(label, "en", Names()) for label in vip.labels)
    assert labels == ("account manager", "senior agents", "any skilled agent", "overflow queue")


def test_no_match_falls_back():
    policy = parse_policy({"rules": [{"name": "vip", "when": {"grade": "vip"}}]})
    assert policy.match(contact(), "general", NOW) is DEFAULT_RULE


# --- matching details ---------------------------------------------------------------


def test_conditions_on_contact_attributes():
    policy = parse_policy(
        {
            "rules": [
                {
                    "name": "de-chat-refund",
                    "when": {
                        "language": ["de"],
                        "channel": "chat",
                        "intent": ["refund", "cancel"],
                        "queue": "billing",
                        "attributes": {"ivr_menu": ["2", "3"]},
                    },
                }
            ]
        }
    )
    base = Contact(
        "c", "chat", "billing", NOW, language="de", intent="refund", attributes={"ivr_menu": "3"}
    )
    assert rule_for(policy, base) == "de-chat-refund"
    for change in (
        {"language": "en"},
        {"channel": "voice"},
        {"intent": "other"},
        {"queue": "general"},
        {"attributes": {"ivr_menu": "1"}},
        {"attributes": {}},
    ):
        assert rule_for(policy, dataclasses.replace(base, **change)) == "fallback", change


def test_open_complaint_false_matches_customers_without_one():
    policy = parse_policy({"rules": [{"name": "calm", "when": {"open_complaint": False}}]})
    assert rule_for(policy, contact()) == "calm"
    assert rule_for(policy, contact(has_open_complaint=True)) == "fallback"


def test_churn_risk_missing_does_not_match():
    policy = parse_policy({"rules": [{"name": "r", "when": {"churn_risk_at_least": 0.5}}]})
    assert rule_for(policy, contact()) == "fallback"
    assert rule_for(policy, contact(churn_risk=0.5)) == "r"


def test_step_skills_override_and_queue_keyword():
    policy = parse_policy(
        {
            "rules": [
                {
                    "name": "r",
                    "skills": {"retention": 2},
                    "steps": [
                        {"target": "skilled", "skills": ["complaints"], "timeout": 5},
                        {"target": "skilled", "skills": "queue"},
                    ],
                }
            ]
        }
    )
    first, second = policy.rules[0].steps
    assert first.skills == (("complaints", 1),) and not first.queue_skills
    assert second.skills is None and second.queue_skills
    assert policy.rules[0].skills == (("retention", 2),)


# --- validation messages ------------------------------------------------------------


def vip_rule(**changes) -> dict:
    rule = {
        "name": "vip",
        "when": {"grade": "vip"},
        "preferred": ["account_manager"],
        "steps": [{"target": "preferred", "timeout": 30}, {"target": "skilled"}],
    }
    rule.update(changes)
    return {"rules": [rule]}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            vip_rule(steps=[{"target": "preferred", "timeout": 30}, {"target": "teem"}]),
            "rule 'vip' step 2: unknown target 'teem'",
        ),
        (vip_rule(when={"grad": "vip"}), "rule 'vip' when: unknown key 'grad'"),
        (vip_rule(prefered=["x"]), "rule 'vip': unknown key 'prefered'"),
        (vip_rule(preferred=["acount_manager"]), "rule 'vip' preferred 1: unknown kind"),
        (vip_rule(preferred=[{"agent": 5}]), "rule 'vip' preferred 1: expected {agent"),
        (
            vip_rule(steps=[{"target": "preferred"}, {"target": "skilled"}]),
            "rule 'vip' step 1: 'timeout' is required",
        ),
        (
            vip_rule(steps=[{"target": "preferred", "timeout": -1}]),
            "rule 'vip' step 1 timeout: -1 is out of range",
        ),
        (
            vip_rule(steps=[{"target": "overflow", "timeout": 5}, {"target": "skilled"}]),
            "rule 'vip' step 1: 'overflow' must be the last step",
        ),
        (
            vip_rule(preferred=[], steps=[{"target": "preferred"}]),
            "rule 'vip' step 1: target 'preferred' needs the rule's 'preferred' list",
        ),
        (
            vip_rule(preferred=[], steps=[{"target": "team"}]),
            "rule 'vip' step 1: a 'team' step needs 'team'",
        ),
        (
            vip_rule(steps=[{"target": "skilled", "team": "gold"}]),
            "rule 'vip' step 1 team: only a 'team' step",
        ),
        (vip_rule(skills={"billing": 9}), "rule 'vip' skills billing: proficiency must be 1..5"),
        (vip_rule(priority_boost="high"), "rule 'vip' priority_boost: expected a number"),
        (vip_rule(when={"churn_risk_at_least": 2}), "churn_risk_at_least: 2 is out of range"),
        (vip_rule(when={"open_complaint": "yes"}), "open_complaint: expected true or false"),
        (vip_rule(when={"channel": "fax"}), "channel: expected 'voice', 'chat' or 'task'"),
        (vip_rule(when={"grade": []}), "rule 'vip' when grade: expected a name"),
        (vip_rule(steps=[]), "rule 'vip' steps: expected a non-empty list"),
        ({"rules": [{"when": {}}]}, "rule #1: 'name' is required"),
        ({"rules": [{"name": "a"}, {"name": "a"}]}, "rule 'a': duplicate rule name"),
        ({"rules": "vip"}, "rules: expected a list"),
        ({"rule": []}, "policy: unknown key 'rule'"),
        ({"aging": {"points_per_second": -1}}, "aging.points_per_second: -1 is out of range"),
        ([], "policy: expected a mapping"),
    ],
)
def test_policy_errors_name_the_place(doc, message):
    with pytest.raises(PolicyError) as err:
        parse_policy(doc)
    assert message in str(err.value)
    assert err.value.status_code == 422


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"queues": [{"name": "a", "overflow": "nope"}]}, "queue 'a' overflow: unknown queue"),
        ({"queues": [{"name": "a"}, {"name": "a"}]}, "queue 'a': duplicate queue name"),
        ({"queues": [{"name": "a", "max_wait": 5}]}, "queue 'a': unknown key 'max_wait'"),
        ({"offers": {"timeout_seconds": 0}}, "offers.timeout_seconds: must be > 0"),
        ({"offers": {"max_missed": 0}}, "offers.max_missed: expected an integer >= 1"),
        ({"wrapup": {"seconds": 5}}, "wrapup: unknown key 'seconds'"),
    ],
)
def test_config_errors_name_the_place(change, message):
    doc = {"rules": [], **change}
    with pytest.raises(PolicyError, match=message):
        RoutingConfig.from_mapping(doc)


def test_rule_naming_an_unknown_queue_is_rejected():
    doc = default_doc()
    doc["rules"][0]["when"]["queue"] = "nowhere"
    with pytest.raises(PolicyError, match="rule 'open-complaint' when queue: unknown queue"):
        RoutingConfig.from_mapping(doc)
