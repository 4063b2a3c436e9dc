"""Agent selection among the eligible agents with free capacity (pure).

Order: preferred agents first, then proficiency in the required skills (sum of levels),
then longest idle (fewest active contacts, then the earliest ``idle_since``), then fewest
contacts today, then agent id so the result is deterministic.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from routing.records import AgentRecord, Route

RankKey = tuple[bool, int, int, float, int, str]


def is_preferred(route: Route, record: AgentRecord) -> bool:
    profile = record.profile
    return profile.id in route.preferred or (
        bool(route.preferred_teams) and profile.team in route.preferred_teams
    )


def proficiency(route: Route, record: AgentRecord) -> int:
    skills = record.profile.skills
    return sum(skills.get(skill, 0) for skill, _ in route.skills)


def rank_key(route: Route, record: AgentRecord) -> RankKey:
    """Lower is better."""
    presence = record.presence
    return (
        not is_preferred(route, record),
        -proficiency(route, record),
        presence.load,  # a chat agent already on two chats is "less idle" than a free one
        presence.idle_since,
        record.contacts_today,
        record.profile.id,
    )


def rank(
    route: Route, records: Iterable[AgentRecord], limit: int
) -> list[tuple[RankKey, AgentRecord]]:
    """The best ``max(limit, 1)`` records, best first (the first is the one to offer to).

    Same order as :func:`rank_key`, inlined: this runs for every eligible free agent.
    """
    preferred, teams, skills = route.preferred, route.preferred_teams, route.skills
    single = skills[0][0] if len(skills) == 1 else None
    keyed = []
    for record in records:
        profile, presence = record.profile, record.presence
        agent_id, levels = profile.id, profile.skills
        if single is not None:
            level = levels.get(single, 0)
        else:
            level = sum(levels.get(skill, 0) for skill, _ in skills)
        key = (
            not (agent_id in preferred or (teams and profile.team in teams)),
            -level,
            presence.voice + presence.chats,
            presence.idle_since,
            record.contacts_today,
            agent_id,
        )
        keyed.append((key, record))
    if len(keyed) <= 1:
        return keyed
    return heapq.nsmallest(max(limit, 1), keyed, key=_first)


def _first(item: tuple[RankKey, AgentRecord]) -> RankKey:
    return item[0]
