"""Words for routing decisions: builds :class:`Explanation` objects.

Sentences read like "vip customer: offered to account manager Alice (step 1 of 3:
account manager)" so agents and supervisors can see why without reading the policy.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from agents.state import AgentState
from routing.decisions import CandidateNote, Explanation
from routing.policy import Rule
from routing.records import AgentRecord, Route
from routing.selection import RankKey, is_preferred


def _explanation(
    rule: Rule, route: Route, reason: str, priority: float, candidates=()
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


def _where(route: Route, rule: Rule) -> str:
    where = f"step {route.step + 1} of {route.steps}: {rule.step_label(route.step)}"
    return f"{where}; {route.note}" if route.note else where


def queued(rule: Rule, route: Route, priority: float) -> Explanation:
    reason = f"{rule.title}: queued in {route.queue} ({_where(route, rule)})"
    return _explanation(rule, route, reason, priority)


def escalated(rule: Rule, route: Route, cause: str, priority: float) -> Explanation:
    reason = f"{rule.title}: {cause}, widened to {_where(route, rule)}"
    return _explanation(rule, route, reason, priority)


def overflowed(rule: Rule, route: Route, from_queue: str, priority: float) -> Explanation:
    reason = f"{rule.title}: moved from {from_queue} to {route.queue} ({_where(route, rule)})"
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
    reason = f"{rule.title}: offered to {_who(route, chosen)} ({_where(route, rule)})"
    notes = _ranked_notes(route, ranked, now)
    if absent:
        notes += absent
    return _explanation(rule, route, reason, priority, notes)


def _who(route: Route, record: AgentRecord) -> str:
    profile = record.profile
    role = route.preferred.get(profile.id)
    if role is not None:
        return f"{role} {profile.name}"
    if is_preferred(route, record):
        return f"{profile.name} of preferred team {profile.team}"
    return f"senior agent {profile.name}" if profile.is_senior else profile.name


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
        )
        for rank, (key, _) in enumerate(ranked, start=1)
    ]


def absent_preferred(
    route: Route,
    eligible: Collection[str],
    lookup: Callable[[str], AgentRecord | None],
    now: float,
) -> list[CandidateNote]:
    """Notes for preferred agents that could not take the contact, and why."""
    notes = []
    for agent_id, role in route.preferred.items():
        if agent_id in eligible:
            continue
        why_not = _why_not(route, lookup(agent_id), now)
        notes.append(CandidateNote(agent_id, False, preferred_as=role, why_not=why_not))
    return notes


def _why_not(route: Route, record: AgentRecord | None, now: float) -> str:
    if record is None:
        return "never logged in"
    if route.excludes(record.profile.id, now):
        return "declined this contact recently"
    presence = record.presence
    state = presence.state
    if state is AgentState.BREAK:
        return f"on break ({presence.break_reason})"
    if state is AgentState.AVAILABLE or (state is AgentState.BUSY and presence.can_take("chat")):
        return f"does not take {route.channel} now"
    return {
        AgentState.OFFLINE: "offline",
        AgentState.OFFERED: "has another offer",
        AgentState.BUSY: "busy",
        AgentState.WRAPUP: "in wrap-up",
    }.get(state, state.value)
