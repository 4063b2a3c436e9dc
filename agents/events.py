"""Events of the agent state machine (inputs to :func:`agents.state.transition`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LogIn:
    """Start a shift: available, with this capacity (1/0 voice, N chats)."""

    voice_capacity: int = 1
    chat_capacity: int = 0
    idle_since: float | None = None


@dataclass(frozen=True, slots=True)
class LogOut:
    """End the shift; refused while an offer or a contact is open."""


@dataclass(frozen=True, slots=True)
class MakeAvailable:
    """Back from break or wrap-up (or cancel a break asked for while busy)."""


@dataclass(frozen=True, slots=True)
class TakeBreak:
    """Go on break with a reason code; while busy, the break starts when work ends."""

    reason: str


@dataclass(frozen=True, slots=True)
class ReceiveOffer:
    """Routing offers a contact; needs free capacity on its channel."""

    contact_id: str
    channel: str


@dataclass(frozen=True, slots=True)
class AcceptOffer:
    """The agent takes the offered contact: busy."""

    contact_id: str


@dataclass(frozen=True, slots=True)
class RejectOffer:
    """The agent declines the offer (a deliberate answer: resets the missed streak)."""

    contact_id: str


@dataclass(frozen=True, slots=True)
class MissOffer:
    """The offer timed out unanswered."""

    contact_id: str


@dataclass(frozen=True, slots=True)
class WithdrawOffer:
    """The offer was taken back (customer hung up, agent left); not the agent's fault."""

    contact_id: str


@dataclass(frozen=True, slots=True)
class ResumeContact:
    """A contact the agent already held (before a restart) is theirs again: busy with it."""

    channel: str


@dataclass(frozen=True, slots=True)
class EndContact:
    """A call or chat the agent held ended; the last one starts wrap-up."""

    channel: str


@dataclass(frozen=True, slots=True)
class FinishWrapup:
    """After-contact work done (or its timeout passed)."""


@dataclass(frozen=True, slots=True)
class ExtendWrapup:
    """More time for after-contact work: the wrap-up ends ``seconds`` later, within the
    maximum total wrap-up time (:attr:`agents.state.AgentRules.wrapup_max_seconds`)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class UpdateCapacity:
    """The profile's channels or chat capacity changed."""

    voice_capacity: int
    chat_capacity: int


AgentEvent = (
    LogIn
    | LogOut
    | MakeAvailable
    | TakeBreak
    | ReceiveOffer
    | AcceptOffer
    | RejectOffer
    | MissOffer
    | WithdrawOffer
    | ResumeContact
    | EndContact
    | FinishWrapup
    | ExtendWrapup
    | UpdateCapacity
)
