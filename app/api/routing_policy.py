"""The routing policy as the admin page shows it (docs/admin.md): read-only, from
config/routing.yaml, with its rules, steps, aging and offers, and the file's validation error.

The file is read here, in the app layer, by the same loader start-up uses
(`app.contacts.wiring.load_routing_config`); `routing/` stays pure. The server keeps running
the policy it loaded at start: when the file on disk is invalid the answer carries the error
and shows the policy in effect; when the file is valid but differs, `restart_needed` says so.
"""

from __future__ import annotations

import asyncio
from typing import Literal

import yaml
from fastapi import APIRouter
from pydantic import BaseModel

from app.contacts.wiring import load_routing_config
from app.deps import HotlineDep, SupervisorUser
from app.i18n import render_message
from app.i18n.http import Lang
from routing.config import RouterSettings
from routing.errors import PolicyError
from routing.policy import DEFAULT_RULE, Conditions, Policy, Rule, Skills, Target

router = APIRouter(prefix="/api/routing", tags=["routing"])


class ConditionsOut(BaseModel):
    """What a rule matches; a field that is null (or empty) matches anything. All given
    conditions must hold, and at least one of `any` when it is not empty."""

    grade: list[str] | None = None
    lifecycle: list[str] | None = None
    churn_risk_at_least: float | None = None
    open_complaint: bool | None = None
    repeat_within_hours: float | None = None
    language: list[str] | None = None
    intent: list[str] | None = None
    queue: list[str] | None = None
    channel: list[str] | None = None
    attributes: dict[str, list[str]] = {}
    any: list[ConditionsOut] = []


class StepOut(BaseModel):
    number: int  # 1-based
    target: str  # preferred | team | senior | skilled | overflow
    timeout_seconds: float | None  # None: the last step, until the queue's max wait
    team: str | None
    skills: dict[str, int] | None  # None: the rule's skills (or the queue's)
    queue_skills: bool  # `skills: queue`: the queue's skills for this step
    label: str  # who the step adds, in the reader's language
    eligible: list[str]  # who may take the contact during this step (steps 1..n, cumulative)


class RuleOut(BaseModel):
    position: int  # 1-based; 0 for the built-in fallback
    name: str
    title: str  # the rule's display name in the reader's language (config/names.yaml)
    description: str | None
    when: ConditionsOut
    priority_boost: float
    skills: dict[str, int] | None  # None: the queue's skills
    preferred: list[str]  # preferred agents, in the reader's language
    steps: list[StepOut]


class AgingOut(BaseModel):
    points_per_second: float


class OffersOut(BaseModel):
    timeout_seconds: float
    max_missed: int
    reoffer_cooldown_seconds: float


class WrapupOut(BaseModel):
    timeout_seconds: float
    extend_seconds: float
    max_seconds: float


class RoutingPolicyStatus(BaseModel):
    file: str  # the file's name (HOTLINE_ROUTING_FILE)
    valid: bool  # the file on disk parses and validates
    error: str | None  # why it does not, naming the rule, step and key
    showing: Literal["file", "in_effect"]  # the policy below: the file's, or the running one
    restart_needed: bool  # the valid file differs from what the server runs


class RoutingPolicyOut(RoutingPolicyStatus):
    aging: AgingOut
    offers: OffersOut
    wrapup: WrapupOut
    max_explained_candidates: int
    rules: list[RuleOut]
    fallback: RuleOut  # what routes a contact no rule matches


def _skills(value: Skills | None) -> dict[str, int] | None:
    return None if value is None else dict(value)


def _names(value: frozenset[str] | None) -> list[str] | None:
    return None if value is None else sorted(value)


def _conditions(c: Conditions) -> ConditionsOut:
    return ConditionsOut(
        grade=_names(c.grades),
        lifecycle=_names(c.lifecycles),
        churn_risk_at_least=c.churn_risk_at_least,
        open_complaint=c.open_complaint,
        repeat_within_hours=c.repeat_within_hours,
        language=_names(c.languages),
        intent=_names(c.intents),
        queue=_names(c.queues),
        channel=_names(c.channels),
        attributes={key: sorted(values) for key, values in c.attributes},
        any=[_conditions(a) for a in c.any_of],
    )


def _rule(rule: Rule, position: int, lang: str) -> RuleOut:
    labels = [render_message(rule.step_label(i), lang) for i in range(len(rule.steps))]
    steps = []
    for i, step in enumerate(rule.steps):
        # Eligibility is cumulative; an overflow step moves the contact, it adds nobody.
        eligible = [labels[j] for j in range(i + 1) if rule.steps[j].target is not Target.OVERFLOW]
        steps.append(
            StepOut(
                number=i + 1,
                target=step.target.value,
                timeout_seconds=step.timeout,
                team=step.team,
                skills=_skills(step.skills),
                queue_skills=step.queue_skills,
                label=labels[i],
                eligible=eligible,
            )
        )
    return RuleOut(
        position=position,
        name=rule.name,
        title=render_message(rule.title_message, lang),
        description=rule.description,
        when=_conditions(rule.when),
        priority_boost=rule.priority_boost,
        skills=_skills(rule.skills),
        preferred=[render_message(p.label_message, lang) for p in rule.preferred],
        steps=steps,
    )


def _policy_out(
    policy: Policy, settings: RouterSettings, lang: str, status: RoutingPolicyStatus
) -> RoutingPolicyOut:
    return RoutingPolicyOut(
        **status.model_dump(),
        aging=AgingOut(points_per_second=policy.aging_rate),
        offers=OffersOut(
            timeout_seconds=settings.offer_timeout,
            max_missed=settings.max_missed_offers,
            reoffer_cooldown_seconds=settings.reoffer_cooldown,
        ),
        wrapup=WrapupOut(
            timeout_seconds=settings.wrapup_seconds,
            extend_seconds=settings.wrapup_extend_seconds,
            max_seconds=settings.wrapup_max_seconds,
        ),
        max_explained_candidates=settings.max_explained_candidates,
        rules=[_rule(rule, i, lang) for i, rule in enumerate(policy.rules, 1)],
        fallback=_rule(DEFAULT_RULE, 0, lang),
    )


@router.get("/policy")
async def read_policy(hotline: HotlineDep, _: SupervisorUser, lang: Lang) -> RoutingPolicyOut:
    """The routing policy: rules in order (first match wins) with what each matches and its
    steps, aging, offers and wrap-up. The file is read now: an invalid file is reported in
    `error` (the server keeps the policy it runs, shown instead); a valid file that differs
    from the running one sets `restart_needed`. Words in the reader's language (`?lang=`)."""
    path = hotline.settings.routing_file
    running = hotline.center.router
    try:
        config = await asyncio.to_thread(load_routing_config, path, hotline.settings)
    except (PolicyError, yaml.YAMLError, OSError, ValueError, TypeError) as exc:
        error = (
            str(exc) if not isinstance(exc, OSError) else f"cannot read the file: {exc.strerror}"
        )
        status = RoutingPolicyStatus(
            file=path.name, valid=False, error=error, showing="in_effect", restart_needed=False
        )
        return _policy_out(running.policy, running.settings, lang, status)
    differs = config.policy != running.policy or config.settings != running.settings
    status = RoutingPolicyStatus(
        file=path.name, valid=True, error=None, showing="file", restart_needed=differs
    )
    return _policy_out(config.policy, config.settings, lang, status)
