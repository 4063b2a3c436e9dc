"""Decisions the router returns. The adapter persists them, then pushes them after commit.

Every routing choice carries an :class:`Explanation`: the rule matched, the step, the
candidates considered and the reason, as codes and facts (:mod:`routing.messages`); the
words are chosen where the explanation leaves the server, in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from agents.state import AgentState
from routing.wording import Message, join, role, say


class CandidateNote(NamedTuple):
    """One agent considered for a contact: eligible and ranked, or why not.

    Structured (for storage and filtering); :attr:`note` is the same as a message, built only
    when asked for. (A NamedTuple: several are built per offer, and tuples are the cheapest
    records.)
    """

    agent_id: str
    eligible: bool
    rank: int | None = None  # 1 = chosen
    preferred_as: str | None = None  # "account manager", "team", ...
    proficiency: int = 0  # sum of levels in the required skills
    active: int = 0  # contacts in progress (chat agents)
    idle_seconds: float = 0.0
    contacts_today: int = 0
    why_not: Message | None = None  # for ineligible agents: ``why.busy``, ``why.break``, ...
    display_name: str | None = None  # the agent's name as colleagues see it

    @property
    def note(self) -> Message:
        """E.g. "preferred (account manager); proficiency 4; idle 35 s; 3 today", as a message."""
        label = self.preferred_as
        if not self.eligible:
            why = self.why_not or {}
            if not label:
                return why
            return say("note.not_eligible", role=role(label), why=why)
        parts = [say("note.preferred", role=role(label))] if label else []
        parts.append(say("note.proficiency", n=self.proficiency))
        if self.active:
            parts.append(say("note.active", n=self.active))
        parts.append(say("note.idle", seconds=self.idle_seconds))
        parts.append(say("note.today", n=self.contacts_today))
        return join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {**self._asdict(), "note": self.note}


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a routing decision was taken: structured fields, and the reason as a message."""

    rule: str  # rule name, "fallback" if none matched
    step: int  # 1-based escalation step
    steps: int
    step_label: Message  # ``label.senior``, a role, ...
    reason: Message  # ``offered``, ``queued``, ... with its facts
    priority: float  # effective priority when decided
    candidates: tuple[CandidateNote, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, codes and facts (for the DB; rendered by ``app.i18n`` for readers)."""
        return {
            "rule": self.rule,
            "step": self.step,
            "steps": self.steps,
            "step_label": self.step_label,
            "reason": self.reason,
            "priority": self.priority,
            "candidates": [c.as_dict() for c in self.candidates],
        }


class CancelCause(StrEnum):
    REJECTED = "rejected"  # the agent said no
    EXPIRED = "expired"  # the countdown ran out (counts as a missed offer)
    ABANDONED = "abandoned"  # the customer hung up / left the chat
    AGENT_UNAVAILABLE = "agent_unavailable"  # the agent went on break or logged out
    UNDELIVERED = "undelivered"  # the screen pop could not be delivered (not the agent's fault)
    WITHDRAWN = "withdrawn"  # a supervisor took the offer back (not the agent's fault)


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
    reason: Message  # ``cancel.no_answer``, ``cancel.customer_left``, ``cancel.rejected``, ...


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


class WrapupEndCause(StrEnum):
    TIMEOUT = "timeout"  # the wrap-up time (extensions included) ran out
    AVAILABLE = "available"  # the agent (or a supervisor) made them available before it ended
    OFFLINE = "offline"  # logged out during it (themselves, a supervisor, a lost connection)


@dataclass(frozen=True, slots=True)
class WrapupEnded:
    """The agent's wrap-up ended without a wrap-up being saved (the agent saving one ends it
    through :meth:`Router.wrapup_done` and needs no notice): whatever the agent left unsaved
    is to be saved from its draft before another contact covers it."""

    agent_id: str
    cause: WrapupEndCause


@dataclass(frozen=True, slots=True)
class WrapupExtended:
    """The agent took more time for the wrap-up: it now ends at ``wrapup_until``."""

    agent_id: str
    wrapup_until: float
    extended_by: float  # seconds actually added (less than asked when the maximum caps it)
    latest: float  # the wrap-up cannot be extended past this moment


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
    | WrapupEnded
    | WrapupExtended
)
