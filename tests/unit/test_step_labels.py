"""Step labels say what each step widens to, so two steps of a rule never read the same."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.i18n import load_names, render_message
from routing import parse_policy

ROOT = Path(__file__).resolve().parents[2]
NAMES = load_names(ROOT / "config" / "names.yaml", ROOT / "config" / "console.yaml")


def labels(doc: dict, rule: str, language: str) -> list[str]:
    policy = parse_policy(doc)
    return [render_message(label, language, NAMES) for label in policy.rule(rule).labels]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            ["agents skilled in retention", "any agent with the queue's skills", "overflow queue"],
        ),
        ("zh", ["具备 客户挽留 技能的坐席", "任一具备队列所需技能的坐席", "溢出队列"]),
    ],
)
def test_retention_steps_say_what_they_widen_to(language: str, expected: list[str]) -> None:
    doc = yaml.safe_load((ROOT / "config" / "routing.yaml").read_text())
    assert labels(doc, "retention", language) == expected


def test_every_rule_of_the_default_policy_has_distinct_step_labels() -> None:
    doc = yaml.safe_load((ROOT / "config" / "routing.yaml").read_text())
    for rule in parse_policy(doc).rules:
        for language in ("en", "zh"):
            words = labels(doc, rule.name, language)
            assert len(set(words)) == len(words), (rule.name, language, words)


def test_a_rule_without_skills_keeps_the_plain_label() -> None:
    doc = {"rules": [{"name": "plain", "steps": [{"target": "skilled", "skills": "queue"}]}]}
    assert labels(doc, "plain", "en") == ["any skilled agent"]
