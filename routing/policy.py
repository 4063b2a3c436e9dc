"""Routing policy: ordered rules, first match wins.

A rule matches on contact and customer facts (:class:`Conditions`) and says how to route:
a priority boost, the required skills, the preferred agents, and a chain of escalation
:class:`Step` s whose timeouts widen the set of eligible agents. The schema is documented in
docs/routing-policy.md; :meth:`Policy.from_mapping` parses and validates it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from routing.contact import Contact
from routing.wording import Text, say

Skills = tuple[tuple[str, int], ...]  # (skill, minimum proficiency), sorted by skill
HOUR = 3600.0


class Target(StrEnum):
    """Who a step adds to the eligible set."""

    PREFERRED = "preferred"  # the rule's preferred agents, regardless of skills
    TEAM = "team"  # a team (the step's, or the preferred agents' team), with the skills
    SENIOR = "senior"  # senior agents with the skills
    SKILLED = "skilled"  # any agent with the skills
    OVERFLOW = "overflow"  # move the contact to the queue's overflow queue


class PreferredKind(StrEnum):
    ACCOUNT_MANAGER = "account_manager"
    LAST_AGENT = "last_agent"
    COMPLAINT_OWNER = "complaint_owner"
    AGENT = "agent"  # an explicit agent id
    TEAM = "team"  # every member of an explicit team


@dataclass(frozen=True, slots=True)
class Preferred:
    """One entry of a rule's ``preferred`` list."""

    kind: PreferredKind
    value: str | None = None  # the agent id or team name for AGENT / TEAM

    @property
    def label(self) -> str:
        return self.label_text.en

    @property
    def label_text(self) -> Text:
        """The role in both languages: "account manager" / "客户经理"."""
        if self.kind in (PreferredKind.AGENT, PreferredKind.TEAM):
            return say(f"role.{self.kind.value}", value=self.value)
        return say(f"role.{self.kind.value}")

    def agent_id(self, contact: Contact) -> str | None:
        """The agent this entry names for ``contact`` (None for teams or unknown)."""
        customer = contact.customer
        match self.kind:
            case PreferredKind.ACCOUNT_MANAGER:
                return customer.account_manager_agent_id
            case PreferredKind.LAST_AGENT:
                return customer.last_agent_id
            case PreferredKind.COMPLAINT_OWNER:
                return customer.open_complaint_owner_id
            case PreferredKind.AGENT:
                return self.value
        return None


@dataclass(frozen=True, slots=True)
class Conditions:
    """What a rule matches. ``None`` / empty means "any"; all given conditions must hold,
    and at least one of ``any_of`` when that is given."""

    grades: frozenset[str] | None = None
    lifecycles: frozenset[str] | None = None
    churn_risk_at_least: float | None = None
    open_complaint: bool | None = None
    repeat_within_hours: float | None = None
    languages: frozenset[str] | None = None
    intents: frozenset[str] | None = None
    queues: frozenset[str] | None = None
    channels: frozenset[str] | None = None
    attributes: tuple[tuple[str, frozenset[str]], ...] = ()
    any_of: tuple[Conditions, ...] = ()

    def matches(self, contact: Contact, queue: str, now: float) -> bool:
        """Whether ``contact``, waiting in ``queue`` at ``now``, meets every condition."""
        c = contact.customer
        if self.grades is not None and c.grade not in self.grades:
            return False
        if self.lifecycles is not None and c.lifecycle not in self.lifecycles:
            return False
        if self.churn_risk_at_least is not None and (
            c.churn_risk is None or c.churn_risk < self.churn_risk_at_least
        ):
            return False
        if self.open_complaint is not None and c.open_complaint != self.open_complaint:
            return False
        if self.repeat_within_hours is not None and (
            c.last_contact_at is None or now - c.last_contact_at > self.repeat_within_hours * HOUR
        ):
            return False
        if self.languages is not None and contact.language not in self.languages:
            return False
        if self.intents is not None and contact.intent not in self.intents:
            return False
        if self.queues is not None and queue not in self.queues:
            return False
        if self.channels is not None and contact.channel not in self.channels:
            return False
        for key, values in self.attributes:
            if contact.attributes.get(key) not in values:
                return False
        return not self.any_of or any(a.matches(contact, queue, now) for a in self.any_of)


@dataclass(frozen=True, slots=True)
class Step:
    """One escalation step. Eligibility is cumulative: at step k every agent eligible at
    steps 1..k may take the contact. ``timeout`` is how long this step lasts (None: last
    step, waits until the queue's max wait)."""

    target: Target
    timeout: float | None = None
    team: str | None = None
    skills: Skills | None = None  # overrides the rule's skills for this step
    queue_skills: bool = False  # ``skills: queue``: use the queue's skills for this step
    label: str | None = None
    label_zh: str | None = None  # Chinese for ``label`` (defaults to ``label``)


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    steps: tuple[Step, ...]
    when: Conditions = Conditions()
    description: str | None = None
    description_zh: str | None = None  # Chinese for ``description`` (defaults to it)
    priority_boost: float = 0.0
    skills: Skills | None = None  # None: the queue's skills
    preferred: tuple[Preferred, ...] = ()
    labels: tuple[str, ...] = field(init=False, repr=False, compare=False)
    labels_zh: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _texts: tuple[Text, ...] = field(init=False, repr=False, compare=False)
    _title: Text = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Labels go into every explanation: compute them once, in both languages.
        texts = tuple(self._label(i) for i in range(len(self.steps)))
        object.__setattr__(self, "_texts", texts)
        object.__setattr__(self, "labels", tuple(t.en for t in texts))
        object.__setattr__(self, "labels_zh", tuple(t.zh for t in texts))
        object.__setattr__(self, "_title", Text(self.title, self.description_zh or self.title))

    @property
    def title(self) -> str:
        """How explanations name the rule ("vip customer")."""
        return self.description or self.name

    @property
    def title_text(self) -> Text:
        """The title in both languages ("vip customer" / "贵宾客户")."""
        return self._title

    def step_label(self, index: int) -> str:
        """Words for step ``index`` (0-based), e.g. "account manager"."""
        return self.labels[index]

    def step_label_text(self, index: int) -> Text:
        """Words for step ``index`` in both languages ("account manager" / "客户经理")."""
        return self._texts[index]

    def _label(self, index: int) -> Text:
        step = self.steps[index]
        if step.label:
            return Text(step.label, step.label_zh or step.label)
        match step.target:
            case Target.PREFERRED:
                roles = [p.label_text for p in self.preferred]
                sep = say("label.or")
                return Text(sep.en.join(r.en for r in roles), sep.zh.join(r.zh for r in roles))
            case Target.TEAM:
                if step.team:
                    return say("label.team", team=step.team)
                return say("label.preferred_team")
            case Target.SENIOR:
                return say("label.senior")
            case Target.OVERFLOW:
                return say("label.overflow")
        if step.skills:
            names = [s for s, _ in step.skills]
            return Text(
                say("label.skilled_in", skills=", ".join(names)).en,
                say("label.skilled_in", skills="、".join(names)).zh,
            )
        return say("label.skilled")


DEFAULT_RULE = Rule(
    name="fallback",
    description=say("rule.fallback").en,
    description_zh=say("rule.fallback").zh,
    steps=(Step(Target.SKILLED),),
)


@dataclass(frozen=True, slots=True)
class Policy:
    """The parsed routing policy.

    ``aging_rate`` is priority points added per second of waiting, so long waits outrank
    any boost eventually and no grade starves.
    """

    rules: tuple[Rule, ...]
    aging_rate: float = 0.0
    _by_name: dict[str, Rule] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {DEFAULT_RULE.name: DEFAULT_RULE}
        by_name.update((rule.name, rule) for rule in self.rules)  # a rule may shadow it
        object.__setattr__(self, "_by_name", by_name)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Policy:
        """Parse and validate a policy document (the YAML, already loaded).

        Raises :class:`routing.errors.PolicyError` naming the rule, step and key at fault.
        """
        from routing.policy_parse import parse_policy  # parser depends on this module

        return parse_policy(data)

    def match(self, contact: Contact, queue: str, now: float) -> Rule:
        """The first rule matching ``contact`` in ``queue`` at ``now`` (or DEFAULT_RULE)."""
        for rule in self.rules:
            if rule.when.matches(contact, queue, now):
                return rule
        return DEFAULT_RULE

    def rule(self, name: str) -> Rule:
        """The rule called ``name`` (KeyError if none)."""
        return self._by_name[name]
