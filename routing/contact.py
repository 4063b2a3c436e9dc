"""Routing input: a contact (call or chat) and the customer facts routing needs.

Times are float seconds on the adapter's clock (epoch seconds: ``datetime.timestamp()``);
the core never reads a clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from agents.profile import CHANNELS, MAX_PROFICIENCY, MIN_PROFICIENCY
from routing.errors import InvalidContact


@dataclass(frozen=True, slots=True)
class Customer:
    """What the CRM knows about the customer behind a contact.

    Unknown callers (prospects) get the defaults: no grade, no history.
    """

    customer_id: str | None = None
    grade: str | None = None  # "vip", "key", "ordinary", "small" by default grading
    lifecycle: str | None = None  # "exploration", "formation", "stable", "decline"
    churn_risk: float | None = None  # 0..1
    account_manager_agent_id: str | None = None
    # The team of an account manager who has left (deactivated) and whose customers were not
    # reassigned yet: the ``account_manager`` preference falls back to this team.
    account_manager_team: str | None = None
    last_agent_id: str | None = None  # agent of the previous contact
    last_contact_at: float | None = None  # when the previous contact happened (seconds)
    open_complaint_owner_id: str | None = None
    has_open_complaint: bool = False

    @property
    def open_complaint(self) -> bool:
        """An owner implies an open complaint even if the flag was not set."""
        return self.has_open_complaint or self.open_complaint_owner_id is not None


@dataclass(frozen=True, slots=True)
class Contact:
    """A call or chat to route.

    Attributes:
        id: contact id (unique while routed).
        channel: ``"voice"``, ``"chat"`` or ``"task"`` (outbound care work).
        queue: queue name; must be configured.
        created_at: when the contact started (seconds), before IVR and queueing.
        customer: customer facts used by the policy.
        language: language code the customer needs, or None for any.
        base_priority: starting priority (from the queue, IVR or API); rules add a boost.
        intent: what the customer wants (IVR choice, chat topic), matched by rules.
        attributes: other IVR / pre-chat answers, matched by ``when.attributes``.
        required_skills: skill -> minimum proficiency; empty means "the queue's skills".
    """

    id: str
    channel: str
    queue: str
    created_at: float
    customer: Customer = field(default_factory=Customer)
    language: str | None = None
    base_priority: float = 0.0
    intent: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    required_skills: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.id:
            raise InvalidContact("contact id must not be empty")
        if self.channel not in CHANNELS:
            raise InvalidContact(
                f"contact {self.id!r}: channel must be 'voice', 'chat' or 'task', got {self.channel!r}"
            )
        for skill, level in self.required_skills.items():
            if not isinstance(level, int) or not MIN_PROFICIENCY <= level <= MAX_PROFICIENCY:
                raise InvalidContact(
                    f"contact {self.id!r} skill {skill!r}: level must be 1..5, got {level!r}"
                )
