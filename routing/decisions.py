"""Decisions the router returns. The adapter persists them, then pushes them after commit.

Every routing choice carries an :class:`Explanation`: the rule matched, the step, the
candidates considered and the reason in words, shown to the agent and to supervisors.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from agents.state import AgentState


class CandidateNote(NamedTuple):
    """One agent considered for a contact: eligible and ranked, or why not.

    Structured (for storage and filtering); :attr:`note` renders it in words. (A
    NamedTuple: several are built per offer, and tuples are the cheapest records.)
    """

    agent_id: str
    eligible: bool
    rank: int | None = None  # 1 = chosen
    preferred_as: str | None = None  # "account manager", "team", ...
    proficiency: int = 0  # sum of levels in the required skills
    active: int = 0  # contacts in progress (chat agents)
    idle_seconds: float = 0.0
    contacts_today: int = 0
    why_not: str | None = None  # for ineligible agents: "busy", "on break (lunch)", ...

    @property
    def note(self) -> str:
        """E.g. "preferred (account manager); proficiency 4; idle 35 s; 3 today"."""
        if not self.eligible:
            role = f"{self.preferred_as}: " if self.preferred_as else ""
            return f"{role}{self.why_not}"
        parts = [f"preferred ({self.preferred_as})"] if self.preferred_as else []
        parts.append(f"proficiency {self.proficiency}")
        if self.active:
            parts.append(f"{self.active} active")
        parts.append(f"idle {self.idle_seconds:.0f} s")
        parts.append(f"{self.contacts_today} today")
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {**self._asdict(), "note": self.note}


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a routing decision was taken."""

    rule: str  # rule name, "fallback" if none matched
    step: int  # 1-based escalation step
    steps: int
    step_label: str  # "account manager", "senior agents", ...
    reason: str  # the sentence for humans
    priority: float  # effective priority when decided
    candidates: tuple[CandidateNote, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (for the DB and websocket payloads)."""
        data = {k: getattr(self, k) for k in ("rule", "step", "steps", "step_label", "reason")}
        data["priority"] = self.priority
        data["candidates"] = [c.as_dict() for c in self.candidates]
        return data


class CancelCause(StrEnum):
    REJECTED = "rejected"  # the agent said no
    EXPIRED = "expired"  # the countdown ran out (counts as a missed offer)
    ABANDONED = "abandoned"  # the customer hung up / left the chat
    AGENT_UNAVAILABLE = "agent_unavailable"  # the agent went on break or logged out


@dataclass(frozen=True, slots=True)
class ContactQueued:
    """A contact entered the queue (on arrival, and again after an overflow)."""

    contact_id: str
    queue: str
    priority: float
    explanation: Explanation


@dataclass(frozen=True, slots=True)
class Offer:
    """Offer ``contact_id`` to ``agent_id`` until ``expires_at`` (screen pop + countdown)."""

    contact_id: str
    agent_id: str
    channel: str
    expires_at: float
    explanation: Explanation


@dataclass(frozen=True, slots=True)
class OfferCancelled:
    """The offer is void; tell the agent (``offer.cancelled``) unless it rejected itself.
    The contact is back in the queue unless the customer left (``ABANDONED``)."""

    contact_id: str
    agent_id: str
    cause: CancelCause
    reason: str


@dataclass(frozen=True, slots=True)
class ContactAssigned:
    """The agent accepted: connect the call / open the chat."""

    contact_id: str
    agent_id: str
    waited: float  # seconds since arrival


@dataclass(frozen=True, slots=True)
class ContactEscalated:
    """A step timed out and the eligible set widened."""

    contact_id: str
    step: int  # the new 1-based step
    explanation: Explanation


@dataclass(frozen=True, slots=True)
class ContactOverflowed:
    """The contact moved to its queue's overflow queue."""

    contact_id: str
    from_queue: str
    to_queue: str
    explanation: Explanation


@dataclass(frozen=True, slots=True)
class ContactTimedOut:
    """The queue's max wait passed; routing gave up (offer voicemail / callback)."""

    contact_id: str
    queue: str
    waited: float


@dataclass(frozen=True, slots=True)
class ContactEnded:
    """The contact left routing: ended after being served, or abandoned while waiting."""

    contact_id: str
    agent_id: str | None
    abandoned: bool
    reason: str


@dataclass(frozen=True, slots=True)
class AgentStateChanged:
    """The agent's visible state or reason changed."""

    agent_id: str
    state: AgentState
    reason: str | None = None  # break reason (or pending break while busy)
    active_contacts: int = 0


Decision = (
    ContactQueued
    | Offer
    | OfferCancelled
    | ContactAssigned
    | ContactEscalated
    | ContactOverflowed
    | ContactTimedOut
    | ContactEnded
    | AgentStateChanged
)
