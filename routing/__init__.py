"""Pure routing core: policy, priority, selection, the event-driven Router and its store.

No asyncio, database, network or clock: the adapter passes events and ``now`` (float
seconds) in and persists/pushes the returned decisions. See docs/routing-policy.md.
"""

from agents.profile import Agent
from agents.state import AgentState, IllegalTransition
from routing.config import QueueConfig, RouterSettings, RoutingConfig
from routing.contact import Contact, Customer
from routing.decisions import (
    AgentStateChanged,
    CancelCause,
    CandidateNote,
    ContactAssigned,
    ContactEnded,
    ContactEscalated,
    ContactOverflowed,
    ContactQueued,
    ContactTimedOut,
    Decision,
    Explanation,
    Offer,
    OfferCancelled,
    WrapupEndCause,
    WrapupEnded,
    WrapupExtended,
)
from routing.engine import Router
from routing.errors import (
    ContactNotWaiting,
    DuplicateContact,
    InvalidContact,
    OfferNotOpen,
    PolicyError,
    RoutingError,
    UnknownAgent,
    UnknownContact,
)
from routing.memory_store import InMemoryStore
from routing.policy import Policy, Rule, Step, Target
from routing.policy_parse import parse_policy
from routing.snapshot import AgentView, ContactView, QueueView, RoutingSnapshot
from routing.store import RoutingStore

__all__ = [
    "Agent",
    "AgentState",
    "AgentStateChanged",
    "AgentView",
    "CancelCause",
    "CandidateNote",
    "Contact",
    "ContactAssigned",
    "ContactEnded",
    "ContactEscalated",
    "ContactNotWaiting",
    "ContactOverflowed",
    "ContactQueued",
    "ContactTimedOut",
    "ContactView",
    "Customer",
    "Decision",
    "DuplicateContact",
    "Explanation",
    "IllegalTransition",
    "InMemoryStore",
    "InvalidContact",
    "Offer",
    "OfferCancelled",
    "OfferNotOpen",
    "Policy",
    "PolicyError",
    "QueueConfig",
    "QueueView",
    "Router",
    "RouterSettings",
    "RoutingConfig",
    "RoutingError",
    "RoutingSnapshot",
    "RoutingStore",
    "Rule",
    "Step",
    "Target",
    "UnknownAgent",
    "UnknownContact",
    "WrapupEndCause",
    "WrapupEnded",
    "WrapupExtended",
    "parse_policy",
]
