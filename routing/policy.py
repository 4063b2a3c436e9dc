"""Routing policy: ordered rules, first match wins.

A rule matches on contact and customer facts (:class:`Conditions`) and says how to route:
a priority boost, the required skills, the preferred agents, and a chain of escalation
:class:`Step` s whose timeouts widen the set of eligible agents. The schema is documented in
docs/routing-policy.md; :func:`routing.policy_parse.parse_policy` builds a :class:`Policy`
from the YAML document and validates it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from routing.contact import Contact
from routing.wording import Message, join, name, role, say

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
        """The role as an identifier: "account manager", "agent a7", "team north"."""
        if self.kind in (PreferredKind.AGENT, PreferredKind.TEAM):
            return f"{self.kind.value} {self.value}"
        return self.kind.value.replace("_", " ")

    @property
    def label_message(self) -> Message:
        """The role as a message (``role.account_manager``, ...), for explanations."""
        return role(self.label)

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
    label: str | None = None  # a free code: its words come from config/names.yaml ``labels``


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    steps: tuple[Step, ...]
    when: Conditions = Conditions()
    description: str | None = None  # default words for the rule (names.yaml ``rules`` wins)
    priority_boost: float = 0.0
    skills: Skills | None = None  # None: the queue's skills
    preferred: tuple[Preferred, ...] = ()
    labels: tuple[Message, ...] = field(init=False, repr=False, compare=False)
    _title: Message = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Labels go into every explanation: build the messages once.
        object.__setattr__(self, "labels", tuple(self._label(i) for i in range(len(self.steps))))
        if self.name == "fallback" and self.description is None:
            title = say("rule.fallback")
        else:
            title = name("rule", self.name, self.description)
        object.__setattr__(self, "_title", title)

    @property
    def title(self) -> str:
        """The rule's default words ("vip customer"), or its name."""
        return self.description or self.name

    @property
    def title_message(self) -> Message:
        """How explanations name the rule: its display name (config/names.yaml ``rules``),
        else ``description``, else its name."""
        return self._title

    def step_label(self, index: int) -> Message:
        """The label of step ``index`` (0-based) as a message, e.g. ``label.senior``."""
        return self.labels[index]

    step_label_text = step_label  # the old name

    def _label(self, index: int) -> Message:
        step = self.steps[index]
        if step.label:
            return name("label", step.label)
        match step.target:
            case Target.PREFERRED:
                return join([p.label_message for p in self.preferred], "or")
            case Target.TEAM:
                if step.team:
                    return say("label.team", team=name("team", step.team))
                return say("label.preferred_team")
            case Target.SENIOR:
                return say("label.senior")
            case Target.OVERFLOW:
                return say("label.overflow")
        # Say what the step widens to: its own skills, the rule's, or the queue's (two steps
        # of one rule must not read the same when they widen from the rule's to the queue's).
        skills = step.skills or (None if step.queue_skills else self.skills)
        if skills:
            listed = join([name("skill", s) for s, _ in skills], "list")
            return say("label.skilled_in", skills=listed)
        if step.queue_skills and self.skills:
            return say("label.queue_skilled")
        return say("label.skilled")


DEFAULT_RULE = Rule(name="fallback", steps=(Step(Target.SKILLED),))


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

    def match(self, contact: Contact, queue: str, now: float) -> Rule:
        """The first rule matching ``contact`` in ``queue`` at ``now`` (or DEFAULT_RULE)."""
        for rule in self.rules:
            if rule.when.matches(contact, queue, now):
                return rule
        return DEFAULT_RULE

    def rule(self, name: str) -> Rule:
        """The rule called ``name`` (KeyError if none)."""
        return self._by_name[name]
