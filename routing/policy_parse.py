"""Parse and validate a routing policy mapping into :class:`routing.policy.Policy`.

Every error is a :class:`PolicyError` whose message says where it is, e.g.
``rule 'vip' step 2: unknown target 'teem' (expected one of: preferred, team, ...)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.profile import CHANNELS, MAX_PROFICIENCY, MIN_PROFICIENCY
from routing.errors import PolicyError
from routing.policy import Conditions, Policy, Preferred, PreferredKind, Rule, Skills, Step, Target

TOP_KEYS = ("version", "aging", "offers", "wrapup", "explanations", "queues", "rules")
RULE_KEYS = (
    "name", "description", "when", "priority_boost", "skills", "preferred", "steps",
)  # fmt: skip
STEP_KEYS = ("target", "timeout", "team", "skills", "label")
MOVED_KEYS = {"description_zh": "rules", "label_zh": "labels"}
"""Keys of the bilingual era: words per language now live in config/names.yaml."""
WHEN_KEYS = (
    "grade", "lifecycle", "churn_risk_at_least", "open_complaint", "repeat_within_hours",
    "language", "intent", "queue", "channel", "attributes", "any",
)  # fmt: skip
NAMED_PREFERRED = ("account_manager", "last_agent", "complaint_owner")


def parse_policy(data: Any) -> Policy:
    """Parse and validate a policy document (the YAML, already loaded).

    Raises :class:`routing.errors.PolicyError` naming the rule, step and key at fault.
    """
    where = "policy"
    mapping = expect_mapping(data, where)
    check_keys(mapping, TOP_KEYS, where)
    aging = expect_mapping(mapping.get("aging", {}), "aging")
    check_keys(aging, ("points_per_second",), "aging")
    rate = number(aging.get("points_per_second", 0.0), "aging.points_per_second", minimum=0)
    raw_rules = mapping.get("rules", [])
    if not isinstance(raw_rules, list):
        raise PolicyError("rules: expected a list of rules")
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules, start=1):
        rule = _rule(raw, index)
        if rule.name in seen:
            raise PolicyError(f"rule {rule.name!r}: duplicate rule name")
        seen.add(rule.name)
        rules.append(rule)
    return Policy(rules=tuple(rules), aging_rate=rate)


def _rule(raw: Any, index: int) -> Rule:
    name = raw.get("name") if isinstance(raw, Mapping) else None
    where = f"rule {name!r}" if isinstance(name, str) and name else f"rule #{index}"
    data = expect_mapping(raw, where)
    check_keys(data, RULE_KEYS, where)
    if not isinstance(name, str) or not name:
        raise PolicyError(f"{where}: 'name' is required and must be a non-empty string")
    description = data.get("description")
    if description is not None and not isinstance(description, str):
        raise PolicyError(f"{where} description: expected a string")
    preferred = _preferred(data.get("preferred", []), where)
    steps_raw = data.get("steps", [{"target": "skilled"}])
    if not isinstance(steps_raw, list) or not steps_raw:
        raise PolicyError(f"{where} steps: expected a non-empty list of steps")
    steps = tuple(
        _step(s, f"{where} step {i}", last=i == len(steps_raw), preferred=preferred)
        for i, s in enumerate(steps_raw, start=1)
    )
    return Rule(
        name=name,
        description=description,
        when=_conditions(data.get("when", {}), f"{where} when"),
        priority_boost=number(data.get("priority_boost", 0), f"{where} priority_boost"),
        skills=skills(data["skills"], f"{where} skills") if "skills" in data else None,
        preferred=preferred,
        steps=steps,
    )


def _conditions(raw: Any, where: str) -> Conditions:
    data = expect_mapping(raw, where)
    check_keys(data, WHEN_KEYS, where)
    risk = data.get("churn_risk_at_least")
    complaint = data.get("open_complaint")
    if complaint is not None and not isinstance(complaint, bool):
        raise PolicyError(f"{where} open_complaint: expected true or false")
    hours = data.get("repeat_within_hours")
    channels = _names(data, "channel", where)
    if channels is not None and not channels <= CHANNELS:
        raise PolicyError(
            f"{where} channel: expected 'voice', 'chat' or 'task', got {sorted(channels)}"
        )
    any_raw = data.get("any", [])
    if not isinstance(any_raw, list):
        raise PolicyError(f"{where} any: expected a list of conditions")
    return Conditions(
        grades=_names(data, "grade", where),
        lifecycles=_names(data, "lifecycle", where),
        churn_risk_at_least=None
        if risk is None
        else number(risk, f"{where} churn_risk_at_least", minimum=0, maximum=1),
        open_complaint=complaint,
        repeat_within_hours=None
        if hours is None
        else number(hours, f"{where} repeat_within_hours", minimum=0),
        languages=_names(data, "language", where),
        intents=_names(data, "intent", where),
        queues=_names(data, "queue", where),
        channels=channels,
        attributes=_attributes(data.get("attributes", {}), f"{where} attributes"),
        any_of=tuple(_conditions(c, f"{where} any {i}") for i, c in enumerate(any_raw, 1)),
    )


def _attributes(raw: Any, where: str) -> tuple[tuple[str, frozenset[str]], ...]:
    data = expect_mapping(raw, where)
    return tuple(sorted((str(k), _name_set(v, f"{where}.{k}")) for k, v in data.items()))


def _preferred(raw: Any, where: str) -> tuple[Preferred, ...]:
    if not isinstance(raw, list):
        raise PolicyError(f"{where} preferred: expected a list")
    out = []
    for i, entry in enumerate(raw, start=1):
        at = f"{where} preferred {i}"
        if isinstance(entry, str):
            if entry not in NAMED_PREFERRED:
                expected = ", ".join((*NAMED_PREFERRED, "{agent: id}", "{team: name}"))
                raise PolicyError(f"{at}: unknown kind {entry!r} (expected one of: {expected})")
            out.append(Preferred(PreferredKind(entry)))
        elif isinstance(entry, Mapping) and len(entry) == 1:
            ((key, value),) = entry.items()
            if key not in ("agent", "team") or not isinstance(value, str) or not value:
                raise PolicyError(f"{at}: expected {{agent: <id>}} or {{team: <name>}}")
            out.append(Preferred(PreferredKind(key), value))
        else:
            raise PolicyError(f"{at}: expected a kind name or {{agent: id}} / {{team: name}}")
    return tuple(out)


def _step(raw: Any, where: str, *, last: bool, preferred: tuple[Preferred, ...]) -> Step:
    data = expect_mapping(raw, where)
    check_keys(data, STEP_KEYS, where)
    target_raw: Any = data.get("target")
    try:
        target = Target(target_raw)
    except ValueError:
        expected = ", ".join(t.value for t in Target)
        raise PolicyError(
            f"{where}: unknown target {target_raw!r} (expected one of: {expected})"
        ) from None
    timeout = data.get("timeout")
    if timeout is not None:
        timeout = number(timeout, f"{where} timeout", minimum=0)
        if timeout <= 0:
            raise PolicyError(f"{where} timeout: must be > 0 seconds")
    elif not last:
        raise PolicyError(f"{where}: 'timeout' is required on every step but the last")
    if target is Target.OVERFLOW and not last:
        raise PolicyError(f"{where}: 'overflow' must be the last step")
    if target is Target.PREFERRED and not preferred:
        raise PolicyError(f"{where}: target 'preferred' needs the rule's 'preferred' list")
    team = data.get("team")
    if team is not None and (target is not Target.TEAM or not isinstance(team, str)):
        raise PolicyError(f"{where} team: only a 'team' step takes a team name (a string)")
    if target is Target.TEAM and team is None and not preferred:
        raise PolicyError(f"{where}: a 'team' step needs 'team' or the rule's 'preferred' list")
    raw_skills = data.get("skills")
    label = data.get("label")
    if label is not None and not isinstance(label, str):
        raise PolicyError(f"{where} label: expected a string")
    return Step(
        target=target,
        timeout=timeout,
        team=team,
        skills=None if raw_skills in (None, "queue") else skills(raw_skills, f"{where} skills"),
        queue_skills=raw_skills == "queue",
        label=label,
    )


# --- small validators shared with routing.config ---------------------------------------


def expect_mapping(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def check_keys(data: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in data:
        if key in MOVED_KEYS:
            raise PolicyError(
                f"{where}: {key!r} is no longer read; give the words per language in "
                f"config/names.yaml under {MOVED_KEYS[key]!r} (see docs/routing-policy.md)"
            )
        if key not in allowed:
            raise PolicyError(
                f"{where}: unknown key {key!r} (expected one of: {', '.join(allowed)})"
            )


def number(
    value: Any, where: str, *, minimum: float | None = None, maximum: float | None = None
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PolicyError(f"{where}: expected a number, got {value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        low = "-inf" if minimum is None else minimum
        high = "inf" if maximum is None else maximum
        bounds = f"{low}..{high}"
        raise PolicyError(f"{where}: {value!r} is out of range {bounds}")
    return float(value)


def skills(value: Any, where: str) -> Skills:
    """``{billing: 2, en: 1}`` or ``[billing, en]`` (minimum proficiency 1)."""
    if isinstance(value, list):
        value = dict.fromkeys(value, MIN_PROFICIENCY)
    data = expect_mapping(value, where)
    out = []
    for skill, level in data.items():
        if not isinstance(skill, str) or not skill:
            raise PolicyError(f"{where}: skill names must be non-empty strings")
        if isinstance(level, bool) or not isinstance(level, int):
            raise PolicyError(f"{where} {skill}: proficiency must be an integer 1..5")
        if not MIN_PROFICIENCY <= level <= MAX_PROFICIENCY:
            raise PolicyError(f"{where} {skill}: proficiency must be 1..5, got {level}")
        out.append((skill, level))
    return tuple(sorted(out))


def _names(data: Mapping[str, Any], key: str, where: str) -> frozenset[str] | None:
    return None if key not in data else _name_set(data[key], f"{where} {key}")


def _name_set(value: Any, where: str) -> frozenset[str]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) and v for v in values):
        raise PolicyError(f"{where}: expected a name or a non-empty list of names")
    return frozenset(values)
