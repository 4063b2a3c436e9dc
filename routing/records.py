"""Records of the live routing state, as held by a :class:`routing.store.RoutingStore`.

They are plain data so a shared store (Redis) can serialise them; the in-memory store keeps
the objects themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from agents.profile import Agent
from agents.state import Presence
from routing.contact import Contact
from routing.policy import Skills
from routing.pools import Pool
from routing.wording import Message


class ContactStatus(StrEnum):
    """A routed contact's status, in the words the record uses too (an interaction is then
    ``wrapup`` and ``ended``, which routing no longer tracks)."""

    QUEUED = "queued"  # in the queue, in its pools
    OFFERED = "offered"  # reserved for one agent, out of the pools
    ACTIVE = "active"  # accepted; the agent is working on it


@dataclass(slots=True)
class Route:
    """A contact's routing progress.

    ``base`` is base priority + rule boost; ``sort_key`` is the *static* ordering key
    ``aging_rate * enqueued_at - base`` (lower = served first). It orders contacts exactly
    like the effective priority ``base + aging_rate * (now - enqueued_at)`` at any ``now``,
    so queues never need re-sorting as contacts age.
    """

    contact: Contact
    queue: str
    rule: str
    step: int  # 0-based index of the current step
    steps: int
    step_started_at: float
    arrived_at: float  # first arrival at the router
    queue_entered_at: float  # arrival in the current queue (max wait counts from here)
    enqueued_at: float  # aging starts here; kept on requeue so a contact keeps its place
    base: float
    sort_key: float
    seq: int  # arrival order, the final tie-breaker
    status: ContactStatus = ContactStatus.QUEUED
    agent_id: str | None = None
    preferred: dict[str, str] = field(default_factory=dict)  # agent id -> "account manager"
    preferred_teams: tuple[str, ...] = ()
    skills: Skills = ()  # skills of the current step (for proficiency ranking)
    pools: tuple[Pool, ...] = ()  # cumulative pools of steps 0..step
    excluded: dict[str, float] = field(default_factory=dict)  # agent id -> skipped until
    visited: tuple[str, ...] = ()  # queues already used (overflow never loops)
    epoch: int = 0  # bumped on overflow; invalidates the old queue's timers
    offers: int = 0  # offers made so far
    note: Message = field(default_factory=dict)  # why steps were skipped (a message)

    @property
    def id(self) -> str:
        return self.contact.id

    @property
    def channel(self) -> str:
        return self.contact.channel

    def excludes(self, agent_id: str, now: float) -> bool:
        until = self.excluded.get(agent_id)
        return until is not None and until > now


@dataclass(slots=True)
class AgentRecord:
    profile: Agent
    presence: Presence
    contacts_today: int = 0

    @property
    def id(self) -> str:
        return self.profile.id


@dataclass(frozen=True, slots=True)
class OfferRecord:
    contact_id: str
    agent_id: str
    made_at: float
    expires_at: float
    seq: int  # identifies this offer among re-offers of the same contact


class TimerKind(StrEnum):
    OFFER_EXPIRY = "offer_expiry"  # subject: contact id, token: offer seq
    STEP = "step"  # subject: contact id, token: (epoch, step)
    MAX_WAIT = "max_wait"  # subject: contact id, token: epoch
    COOLDOWN = "cooldown"  # subject: contact id, token: agent id
    WRAPUP = "wrapup"  # subject: agent id, token: wrapup_until


@dataclass(frozen=True, slots=True)
class Timer:
    """A deadline. Timers are never cancelled: the handler checks ``token`` against the
    current record and ignores stale ones (cheaper than deleting from a heap or a ZSET)."""

    due: float
    kind: TimerKind
    subject: str
    token: object = None
