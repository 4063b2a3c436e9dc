"""The contact-center commands: what every entry point (HTTP, /ws/agent, SIP, PBX, chat)
asks of :class:`app.contacts.service.ContactCenterService`. Plain data, no transport."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

EndedBy = Literal["customer", "agent", "system"]


@dataclass(frozen=True, slots=True)
class Arrive:
    """A call or chat arrives. Idempotent by (``source``, ``external_id``) when both are
    given: a retried delivery (a PBX or SIP retransmission) finds the contact it made."""

    channel: str
    queue: str
    from_: str | None = None
    customer_id: int | None = None
    name: str | None = None
    intent: str | None = None
    language: str | None = None
    priority: float = 0.0
    attributes: dict[str, Any] = field(default_factory=dict)
    ivr_path: tuple[str, ...] = ()
    source: str | None = None
    external_id: str | None = None
    # A callback or care task the centre makes is outbound; everything else comes in.
    direction: Literal["inbound", "outbound"] = "inbound"


@dataclass(frozen=True, slots=True)
class MarkCallback:
    """A waiting caller hangs up to be called back (IVR: a key while queued): the contact
    keeps its place and age; its record says it is a callback (attributes ``callback``,
    ``callback_number`` and ``attributes``; ``path_entry`` ends its IVR path)."""

    contact_id: str
    number: str
    attributes: dict[str, Any] = field(default_factory=dict)
    path_entry: str | None = None


@dataclass(frozen=True, slots=True)
class Accept:
    contact_id: str
    agent_id: int


@dataclass(frozen=True, slots=True)
class Reject:
    contact_id: str
    agent_id: int
    reason: str = "rejected"


@dataclass(frozen=True, slots=True)
class End:
    """Hang-up or chat close. ``agent_id``: only if the contact is in this agent's hands."""

    contact_id: str
    by: EndedBy = "customer"
    reason: str | None = None
    agent_id: int | None = None


@dataclass(frozen=True, slots=True)
class SaveNotes:
    contact_id: str
    agent_id: int
    notes: str


@dataclass(frozen=True, slots=True)
class Transfer:
    """The agent hands a contact in their hands to another queue."""

    contact_id: str
    agent_id: int
    queue: str


@dataclass(frozen=True, slots=True)
class SaveWrapupDraft:
    """The wrap-up form as the agent is filling it in (any field may still be empty): kept
    on the record, so that when the wrap-up time ends it can be saved as the wrap-up."""

    contact_id: str
    agent_id: int
    disposition: str = ""
    notes: str = ""
    complaint: dict[str, Any] | None = None  # on, category, severity, description
    callback_at: str | None = None  # ISO 8601 with its offset, when asked for
    task: dict[str, Any] | None = None  # reached, drift_reason, offer, won_back, satisfied
    promise: dict[str, Any] | None = None  # on, text, due_at


@dataclass(frozen=True, slots=True)
class ExtendWrapupTime:
    """More time for the agent's wrap-up; ``seconds`` None: the configured step."""

    agent_id: int
    seconds: float | None = None
