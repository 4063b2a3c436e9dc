"""Eligibility pools: who may take a contact at its current escalation step.

A :class:`Pool` is a hashable description of an eligible set ("voice agents with billing>=2
speaking de", "agent a17", "senior chat agents of team gold"). Waiting contacts are indexed
by the pools they are eligible for, so a freed agent looks only at the heads of the few
pools it belongs to instead of scanning every waiting contact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from agents.profile import CHANNELS, TASK, VOICE, Agent
from routing.policy import Skills


@dataclass(frozen=True, slots=True)
class Pool:
    """Agents admitted for contacts on ``channel``.

    ``agent_id`` set: exactly that agent (a preferred agent; skills and language are not
    checked because the relationship is the point). Otherwise every agent of ``team`` (if
    set), senior (if ``senior``), speaking ``language`` (if set) and holding all ``skills``.
    """

    channel: str
    agent_id: str | None = None
    team: str | None = None
    skills: Skills = ()
    language: str | None = None
    senior: bool = False
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Pools are dict keys on the hot path; hash the six fields once.
        key = (self.channel, self.agent_id, self.team, self.skills, self.language, self.senior)
        object.__setattr__(self, "_hash", hash(key))

    def __hash__(self) -> int:
        return self._hash

    def admits(self, agent: Agent) -> bool:
        """Static eligibility (profile only; free capacity is checked separately)."""
        if self.channel == VOICE:
            if not agent.takes_voice:
                return False
        elif self.channel == TASK:
            if not agent.takes_tasks:
                return False
        elif agent.max_chats <= 0:
            return False
        if self.agent_id is not None:
            return agent.id == self.agent_id
        if self.team is not None and agent.team != self.team:
            return False
        if self.senior and not agent.is_senior:
            return False
        if self.language is not None and self.language not in agent.languages:
            return False
        skills = agent.skills
        return all(skills.get(skill, 0) >= level for skill, level in self.skills)


class PoolDirectory:
    """Pool membership for known agent profiles (a cache derived from the profiles).

    Built lazily: a pool's members are computed when a contact first needs the pool, and
    an agent's memberships are recomputed when its profile changes. Each process keeps its
    own directory; it is rebuilt from the store's agent profiles on start-up.
    """

    def __init__(self, agents: Iterable[Agent] = ()) -> None:
        self._profiles: dict[str, Agent] = {}
        self._members: dict[Pool, set[str]] = {}
        # (agent id, channel) -> pools: a freed agent only looks at channels it can take.
        self._pools_of: dict[tuple[str, str], list[Pool]] = {}
        self._canonical: dict[Pool, Pool] = {}
        self._shared: list[Pool] = []  # pools open to any matching agent
        self._personal: dict[str, list[Pool]] = {}  # agent id -> its preferred-agent pools
        for agent in agents:
            self.add_agent(agent)

    def add_agent(self, agent: Agent) -> None:
        """Register or update a profile and recompute its memberships."""
        for channel in CHANNELS:
            for pool in self._pools_of.pop((agent.id, channel), ()):
                self._members[pool].discard(agent.id)
        self._profiles[agent.id] = agent
        # Personal (preferred-agent) pools only ever admit their own agent: skip the rest.
        for pool in (*self._shared, *self._personal.get(agent.id, ())):
            if pool.admits(agent):
                self._members[pool].add(agent.id)
                self._pools_of.setdefault((agent.id, pool.channel), []).append(pool)

    def intern(self, pool: Pool) -> Pool:
        """Register ``pool`` (computing its members once) and return its canonical
        instance: identity makes the hot-path dict lookups cheap."""
        canonical = self._canonical.setdefault(pool, pool)
        if canonical is pool:
            self.ensure(pool)
        return canonical

    def ensure(self, pool: Pool) -> set[str]:
        """Members of ``pool``, computing them the first time the pool is seen."""
        members = self._members.get(pool)
        if members is None:
            if pool.agent_id is not None:  # the common preferred-agent pool: no scan needed
                agent = self._profiles.get(pool.agent_id)
                ids = [agent] if agent is not None and pool.admits(agent) else []
            else:
                ids = [a for a in self._profiles.values() if pool.admits(a)]
            members = self._members[pool] = {a.id for a in ids}
            if pool.agent_id is None:
                self._shared.append(pool)
            else:
                self._personal.setdefault(pool.agent_id, []).append(pool)
            for agent_id in members:
                self._pools_of.setdefault((agent_id, pool.channel), []).append(pool)
        return members

    def members(self, pool: Pool) -> set[str]:
        members = self._members.get(pool)
        return self.ensure(pool) if members is None else members

    def pools_of(self, agent_id: str, channel: str) -> list[Pool]:
        """Pools for ``channel`` the agent belongs to (only pools some contact needed)."""
        return self._pools_of.get((agent_id, channel), [])

    def profile(self, agent_id: str) -> Agent | None:
        return self._profiles.get(agent_id)
