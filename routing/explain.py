"""Messages for routing decisions: builds :class:`Explanation` objects.

A reason reads, once rendered, like "vip customer: offered to account manager Alice (step 1 of
3: account manager)" / "贵宾客户：分配给 客户经理 Alice（第 1/3 步：客户经理）", so agents and
supervisors can see why without reading the policy. Here it is built as codes and facts
(:mod:`routing.wording`); the words are chosen at the edge, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from agents.state import AgentState
from routing.decisions import CandidateNote, Explanation
from routing.policy import Rule
from routing.records import AgentRecord, Route
from routing.selection import RankKey, is_preferred
from routing.wording import Message, name, role, say


def _explanation(
    rule: Rule,
    route: Route,
    reason: Message,
    priority: float,
    candidates: Collection[CandidateNote] = (),
) -> Explanation:
    return Explanation(
        rule=rule.name,
        step=route.step + 1,
        steps=route.steps,
        step_label=rule.step_label(route.step),
        reason=reason,
        priority=round(priority, 3),
        candidates=tuple(candidates),
    )


def _where(route: Route, rule: Rule) -> Message:
    label = rule.step_label(route.step)
    if route.note:
        return say(
            "where_noted", step=route.step + 1, steps=route.steps, label=label, note=route.note
        )
    return say("where", step=route.step + 1, steps=route.steps, label=label)


Explainer = Callable[[Rule, Route, float], Explanation]
"""Explains a contact entering a queue: ``(rule, route, priority) -> Explanation``."""


def queued(rule: Rule, route: Route, priority: float) -> Explanation:
    where = _where(route, rule)
    reason = say("queued", title=rule.title_message, queue=name("queue", route.queue), where=where)
    return _explanation(rule, route, reason, priority)


def escalated(rule: Rule, route: Route, cause: Message, priority: float) -> Explanation:
    where = _where(route, rule)
    reason = say("escalated", title=rule.title_message, cause=cause, where=where)
    return _explanation(rule, route, reason, priority)


def prioritized(rule: Rule, route: Route, by: str, points: float, priority: float) -> Explanation:
    """A supervisor (``by``) raised a waiting contact's priority by ``points``; its step
    and the agents it may go to are unchanged."""
    where = _where(route, rule)
    reason = say(
        "prioritized",
        title=rule.title_message,
        by=by,
        points=points,
        priority=round(priority, 1),
        where=where,
    )
    return _explanation(rule, route, reason, priority)


def moved(source: str, by: str) -> Explainer:
    """A supervisor (``by``) moved the contact from ``source`` to its queue now."""

    def explanation(rule: Rule, route: Route, priority: float) -> Explanation:
        where = _where(route, rule)
        reason = say(
            "moved",
            title=rule.title_message,
            by=by,
            source=name("queue", source),
            queue=name("queue", route.queue),
            where=where,
        )
        return _explanation(rule, route, reason, priority)

    return explanation


def directed(
    rule: Rule, route: Route, chosen: AgentRecord, by: str, priority: float
) -> Explanation:
    """A supervisor (``by``) offered the contact to ``chosen``, whatever the step allows."""
    where = _where(route, rule)
    reason = say("directed", title=rule.title_message, who=_who(route, chosen), by=by, where=where)
    return _explanation(rule, route, reason, priority)


def overflowed(rule: Rule, route: Route, from_queue: str, priority: float) -> Explanation:
    where = _where(route, rule)
    reason = say(
        "overflowed",
        title=rule.title_message,
        source=name("queue", from_queue),
        queue=name("queue", route.queue),
        where=where,
    )
    return _explanation(rule, route, reason, priority)


def offered(
    rule: Rule,
    route: Route,
    ranked: list[tuple[RankKey, AgentRecord]],
    absent: list[CandidateNote],
    priority: float,
    now: float,
) -> Explanation:
    chosen = ranked[0][1]
    where = _where(route, rule)
    reason = say("offered", title=rule.title_message, who=_who(route, chosen), where=where)
    notes = _ranked_notes(route, ranked, now)
    if absent:
        notes += absent
    return _explanation(rule, route, reason, priority, notes)


def _who(route: Route, record: AgentRecord) -> Message | str:
    profile = record.profile
    label = route.preferred.get(profile.id)
    if label is not None:
        return say("who.role", role=role(label), name=profile.name)
    if is_preferred(route, record):
        return say("who.team", name=profile.name, team=name("team", profile.team or ""))
    if profile.is_senior:
        return say("who.senior", name=profile.name)
    return profile.name


def _ranked_notes(
    route: Route, ranked: list[tuple[RankKey, AgentRecord]], now: float
) -> list[CandidateNote]:
    # The rank key already holds (not preferred, -proficiency, load, idle_since, today, id).
    preferred = route.preferred
    return [
        CandidateNote(
            key[5],
            True,
            rank,
            None if key[0] else preferred.get(key[5], "team"),
            -key[1],
            key[2],
            now - key[3] if now > key[3] else 0.0,
            key[4],
            display_name=record.profile.name,
        )
        for rank, (key, record) in enumerate(ranked, start=1)
    ]


def absent_preferred(
    route: Route,
    eligible: Collection[str],
    lookup: Callable[[str], AgentRecord | None],
    now: float,
) -> list[CandidateNote]:
    """Notes for preferred agents that could not take the contact, and why."""
    notes = []
    for agent_id, label in route.preferred.items():
        if agent_id in eligible:
            continue
        record = lookup(agent_id)
        why_not = _why_not(route, record, now)
        named = record.profile.name if record is not None else None
        notes.append(
            CandidateNote(agent_id, False, preferred_as=label, why_not=why_not, display_name=named)
        )
    return notes


_STATE_CODES = {
    AgentState.OFFLINE: "why.offline",
    AgentState.OFFERED: "why.offered",
    AgentState.BUSY: "why.busy",
    AgentState.WRAPUP: "why.wrapup",
}


def _why_not(route: Route, record: AgentRecord | None, now: float) -> Message:
    if record is None:
        return say("why.never")
    if route.excludes(record.profile.id, now):
        return say("why.declined")
    presence = record.presence
    state = presence.state
    if state is AgentState.BREAK:
        return say("why.break", reason=name("break_reason", presence.break_reason or ""))
    if state is AgentState.AVAILABLE or (state is AgentState.BUSY and presence.can_take("chat")):
        channel = route.channel
        words = say(f"channel.{channel}") if channel in ("voice", "chat", "task") else channel
        return say("why.channel", channel=words)
    code = _STATE_CODES.get(state)
    return say(code) if code is not None else name("state", state.value)
