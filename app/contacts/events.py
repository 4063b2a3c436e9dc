"""Routing decisions as the live path's events: names, versions and payloads.

This is the one place where the pure core's decisions become the versioned events of
docs/events.md. It runs under the routing lock, so it only reads the router's in-memory
state and builds plain dicts; everything slow happens in the subscribers.
"""

from __future__ import annotations

from typing import Any

from app.events.names import (
    AGENT_ACCOUNT,
    AGENT_STATE,
    AGENT_WRAPUP_ENDED,
    AGENT_WRAPUP_EXTENDED,
    CONTACT_ARRIVED,
    CONTACT_ASSIGNED,
    CONTACT_ENDED,
    CONTACT_ESCALATED,
    CONTACT_OFFERED,
    CONTACT_OVERFLOWED,
    CONTACT_QUEUED,
    CONTACT_TIMED_OUT,
    CONTACT_TRANSFERRED,
    CONTACT_WRAPPED_UP,
    NOTES_SAVED,
    OFFER_CANCELLED,
    QUEUE_CHANGED,
)
from routing import (
    AgentStateChanged,
    ContactAssigned,
    ContactEnded,
    ContactEscalated,
    ContactOverflowed,
    ContactQueued,
    ContactTimedOut,
    Decision,
    Offer,
    OfferCancelled,
    Router,
    WrapupEnded,
    WrapupExtended,
)

EventItem = tuple[str, dict[str, Any]]

# The names are re-exported: subscribers read ``events.CONTACT_OFFERED`` from here.
__all__ = [
    "AGENT_ACCOUNT",
    "AGENT_STATE",
    "AGENT_WRAPUP_ENDED",
    "AGENT_WRAPUP_EXTENDED",
    "CONTACT_ARRIVED",
    "CONTACT_ASSIGNED",
    "CONTACT_ENDED",
    "CONTACT_ESCALATED",
    "CONTACT_OFFERED",
    "CONTACT_OVERFLOWED",
    "CONTACT_QUEUED",
    "CONTACT_TIMED_OUT",
    "CONTACT_TRANSFERRED",
    "CONTACT_WRAPPED_UP",
    "NOTES_SAVED",
    "OFFER_CANCELLED",
    "QUEUE_CHANGED",
    "EventItem",
    "agent_state",
    "to_events",
]


def to_events(
    decisions: list[Decision], router: Router, ended_by: dict[str, str] | None = None
) -> list[EventItem]:
    """The events of one routing call, in order.

    An agent's state may change several times in one call (offered, then busy); only the
    last change is published, at its place, carrying the agent's presence as it ends up.
    """
    last_state = {
        d.agent_id: i for i, d in enumerate(decisions) if isinstance(d, AgentStateChanged)
    }
    out: list[EventItem] = []
    for i, d in enumerate(decisions):
        if isinstance(d, AgentStateChanged):
            if last_state[d.agent_id] == i:
                out.append((AGENT_STATE, agent_state(router, d.agent_id) or _bare_state(d)))
            continue
        if isinstance(d, WrapupExtended):
            data = {"agent_id": d.agent_id, "wrapup_until": d.wrapup_until}
            data |= {"extended_by": d.extended_by, "latest": d.latest}
            out.append((AGENT_WRAPUP_EXTENDED, data))
            if d.agent_id not in last_state and (state := agent_state(router, d.agent_id)):
                # The state is unchanged but its end moved: consoles and wallboards follow.
                out.append((AGENT_STATE, state))
            continue
        if isinstance(d, WrapupEnded):
            out.append((AGENT_WRAPUP_ENDED, {"agent_id": d.agent_id, "cause": str(d.cause)}))
            continue
        out.append(_contact_event(d, router, ended_by or {}))
    return out


def agent_state(router: Router, agent_id: str) -> dict[str, Any] | None:
    """An agent's presence as ``agent.state_changed`` carries it (also the console's state)."""
    record = router.store.agent(agent_id)
    if record is None:
        return None
    p = record.presence
    return {
        "agent_id": agent_id,
        "state": str(p.state),
        "reason": p.reason,
        "pending_break": p.pending_break,
        "active_contacts": p.voice + p.chats,
        "wrapup_until": p.wrapup_until,
        "missed_in_row": p.missed_in_row,
        "contacts_today": record.contacts_today,
    }


def _bare_state(d: AgentStateChanged) -> dict[str, Any]:
    return {
        "agent_id": d.agent_id,
        "state": str(d.state),
        "reason": d.reason,
        "pending_break": None,
        "active_contacts": d.active_contacts,
        "wrapup_until": None,
        "missed_in_row": 0,
        "contacts_today": 0,
    }


def _contact_event(d: Decision, router: Router, ended_by: dict[str, str]) -> EventItem:
    if isinstance(d, ContactQueued):
        data = {"contact_id": d.contact_id, "queue": d.queue, "priority": d.priority}
        return CONTACT_QUEUED, data | {"explanation": d.explanation.as_dict()}
    if isinstance(d, Offer):
        data = {"contact_id": d.contact_id, "agent_id": d.agent_id, "channel": d.channel}
        data |= {"expires_at": d.expires_at, "explanation": d.explanation.as_dict()}
        return CONTACT_OFFERED, data
    if isinstance(d, OfferCancelled):
        data = {"contact_id": d.contact_id, "agent_id": d.agent_id, "cause": str(d.cause)}
        return OFFER_CANCELLED, data | {"reason": d.reason}
    if isinstance(d, ContactAssigned):
        data = {"contact_id": d.contact_id, "agent_id": d.agent_id, "waited": d.waited}
        return CONTACT_ASSIGNED, data
    if isinstance(d, ContactEscalated):
        data = {"contact_id": d.contact_id, "step": d.step}
        return CONTACT_ESCALATED, data | {"explanation": d.explanation.as_dict()}
    if isinstance(d, ContactOverflowed):
        data = {"contact_id": d.contact_id, "from_queue": d.from_queue, "to_queue": d.to_queue}
        return CONTACT_OVERFLOWED, data | {"explanation": d.explanation.as_dict()}
    if isinstance(d, ContactTimedOut):
        return CONTACT_TIMED_OUT, {"contact_id": d.contact_id, "queue": d.queue, "waited": d.waited}
    if isinstance(d, ContactEnded):
        by = ended_by.get(d.contact_id) or ("customer" if d.abandoned else "agent")
        wrapup_until = None
        if d.agent_id is not None and (record := router.store.agent(d.agent_id)) is not None:
            wrapup_until = record.presence.wrapup_until
        data = {"contact_id": d.contact_id, "agent_id": d.agent_id, "abandoned": d.abandoned}
        data |= {"reason": d.reason, "ended_by": by, "wrapup_until": wrapup_until}
        return CONTACT_ENDED, data
    raise TypeError(f"no event for decision {d!r}")
