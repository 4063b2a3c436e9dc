"""Agent state machine (pure).

An agent's live situation is a :class:`Presence`: whether they are logged in, on a break,
in wrap-up, which offer is pending, and how many voice calls and chats they hold. The visible
:class:`AgentState` is *derived* from it, so "busy on one chat and offered a second" needs no
special state: ``state`` is ``offered`` while the offer runs, ``busy`` after it, and the
capacity counters say how much more the agent can take.

:func:`transition` is the only way to change a presence. It takes an event and ``now``
(seconds) and returns a new presence or raises :class:`IllegalTransition` (HTTP 409).

Capacity rules (decided here, documented in docs/routing-policy.md):
- voice capacity is 1, and a voice call needs the agent to hold nothing else;
- chats: up to ``chat_capacity`` at once, none while on a voice call;
- one pending offer at a time per agent, so an offer never competes with another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from agents.events import (
    AcceptOffer,
    AgentEvent,
    EndContact,
    ExtendWrapup,
    FinishWrapup,
    LogIn,
    LogOut,
    MakeAvailable,
    MissOffer,
    ReceiveOffer,
    RejectOffer,
    ResumeContact,
    TakeBreak,
    UpdateCapacity,
    WithdrawOffer,
)
from agents.profile import CHAT, TASK, VOICE

# The events are re-exported: ``from agents.state import LogIn`` keeps working.
__all__ = [
    "MISSED_OFFERS",
    "AcceptOffer",
    "AgentEvent",
    "AgentRules",
    "AgentState",
    "EndContact",
    "ExtendWrapup",
    "FinishWrapup",
    "IllegalTransition",
    "LogIn",
    "LogOut",
    "MakeAvailable",
    "MissOffer",
    "Presence",
    "ReceiveOffer",
    "RejectOffer",
    "ResumeContact",
    "TakeBreak",
    "UpdateCapacity",
    "WithdrawOffer",
    "transition",
]

MISSED_OFFERS = "missed offers"
# Channels that take the agent whole: a call or a care task, counted in ``Presence.voice``.
_WHOLE = frozenset({VOICE, TASK})


class AgentState(StrEnum):
    """What supervisors see and what decides whether an agent gets offers."""

    OFFLINE = "offline"
    AVAILABLE = "available"
    BREAK = "break"
    OFFERED = "offered"
    BUSY = "busy"
    WRAPUP = "wrapup"


class IllegalTransition(Exception):
    """The event is not allowed in the agent's current state (maps to HTTP 409)."""

    status_code = 409

    def __init__(self, state: AgentState, event: object, why: str) -> None:
        self.state = state
        self.event = event
        name = event if isinstance(event, str) else type(event).__name__
        super().__init__(f"{name} not allowed while {state.value}: {why}")


@dataclass(frozen=True, slots=True)
class AgentRules:
    """Settings the state machine needs (from RouterSettings)."""

    max_missed_offers: int = 3
    wrapup_seconds: float = 30.0
    # The longest a wrap-up may last, extensions included (counted from its start).
    wrapup_max_seconds: float = 300.0


class Presence(NamedTuple):
    """An agent's live situation. Immutable; use :func:`transition` to change it.

    (A NamedTuple rather than a frozen dataclass: ``_replace`` is several times faster
    than ``dataclasses.replace`` and transitions are on the routing hot path.)
    """

    logged_in: bool = False
    break_reason: str | None = None  # on break (only ever set with nothing active)
    pending_break: str | None = None  # break asked for while busy; applied when work ends
    offer: str | None = None  # contact id of the pending offer
    offer_channel: str | None = None
    voice: int = 0  # active voice calls or care tasks (0 or 1)
    chats: int = 0  # active chats
    voice_capacity: int = 1
    chat_capacity: int = 0
    wrapup_until: float | None = None
    missed_in_row: int = 0
    idle_since: float = 0.0  # last time the agent became free or took a contact
    wrapup_started: float | None = None  # start of the wrap-up (extensions are capped from it)

    @property
    def state(self) -> AgentState:
        if not self.logged_in:
            return AgentState.OFFLINE
        if self.offer is not None:
            return AgentState.OFFERED
        if self.voice or self.chats:
            return AgentState.BUSY
        if self.break_reason is not None:
            return AgentState.BREAK
        if self.wrapup_until is not None:
            return AgentState.WRAPUP
        return AgentState.AVAILABLE

    @property
    def reason(self) -> str | None:
        """Break reason when on break, the pending break reason while busy, else None."""
        return self.break_reason or self.pending_break

    @property
    def load(self) -> int:
        return self.voice + self.chats

    def can_take(self, channel: str) -> bool:
        """Whether an offer on ``channel`` may be made to this agent now."""
        if (
            not self.logged_in
            or self.offer is not None
            or self.break_reason is not None
            or self.pending_break is not None
            or self.wrapup_until is not None
        ):
            return False
        if channel == VOICE:
            return self.voice_capacity > 0 and self.voice == 0 and self.chats == 0
        if channel == TASK:
            # A task takes the agent whole, like a call (it counts in ``voice``); whether
            # the agent does tasks at all is the profile's (routing's pools) business.
            return self.voice == 0 and self.chats == 0
        return self.voice == 0 and self.chats < self.chat_capacity


def transition(p: Presence, event: AgentEvent, now: float, rules: AgentRules) -> Presence:
    """Apply ``event`` at time ``now``; return the new presence or raise IllegalTransition."""
    handler = _HANDLERS.get(type(event))
    if handler is None:
        raise TypeError(f"unknown agent event {event!r}")
    if not p.logged_in and type(event) is not LogIn:
        raise IllegalTransition(p.state, event, "the agent is not logged in")
    return handler(p, event, now, rules)


def _log_in(p: Presence, event: LogIn, now: float, rules: AgentRules) -> Presence:
    if p.logged_in:
        raise IllegalTransition(p.state, event, "already logged in")
    idle = now if event.idle_since is None else event.idle_since
    return Presence(
        logged_in=True,
        voice_capacity=event.voice_capacity,
        chat_capacity=event.chat_capacity,
        idle_since=idle,
    )


def _log_out(p: Presence, event: LogOut, now: float, rules: AgentRules) -> Presence:
    _require_idle(p, event)
    return Presence(idle_since=p.idle_since)


def _make_available(p: Presence, event: MakeAvailable, now: float, rules: AgentRules) -> Presence:
    if p.state is AgentState.WRAPUP and p.pending_break is not None:
        # Cancel the break asked for during the wrap-up (e.g. "connection lost" when the
        # console reconnects): the wrap-up itself goes on, under its timer.
        return p._replace(pending_break=None)
    if p.state in (AgentState.BREAK, AgentState.WRAPUP):
        return _free(p, now)
    # Already available, or working: cancel a requested break, nothing else to do.
    return p._replace(pending_break=None) if p.pending_break else p


def _take_break(p: Presence, event: TakeBreak, now: float, rules: AgentRules) -> Presence:
    state = p.state
    if state is AgentState.OFFERED:
        raise IllegalTransition(state, event, "answer or withdraw the offer first")
    if state in (AgentState.BUSY, AgentState.WRAPUP):
        # A wrap-up is finished (saved, or saved from its draft when its time ends) before
        # the break starts: a dropped connection or a break must not leave it unsaved.
        return p._replace(pending_break=event.reason)
    return p._replace(
        break_reason=event.reason, wrapup_until=None, wrapup_started=None, pending_break=None
    )


def _receive_offer(p: Presence, event: ReceiveOffer, now: float, rules: AgentRules) -> Presence:
    if not p.can_take(event.channel):
        raise IllegalTransition(p.state, event, f"no free {event.channel} capacity")
    return p._replace(offer=event.contact_id, offer_channel=event.channel)


def _accept_offer(p: Presence, event: AcceptOffer, now: float, rules: AgentRules) -> Presence:
    _require_offer(p, event.contact_id, event)
    return p._replace(
        offer=None,
        offer_channel=None,
        voice=p.voice + (p.offer_channel in _WHOLE),
        chats=p.chats + (p.offer_channel == CHAT),
        missed_in_row=0,
        idle_since=now,
    )


def _reject_offer(p: Presence, event: RejectOffer, now: float, rules: AgentRules) -> Presence:
    _require_offer(p, event.contact_id, event)
    # A deliberate answer shows the agent is there: the missed streak restarts.
    return p._replace(offer=None, offer_channel=None, missed_in_row=0)


def _miss_offer(p: Presence, event: MissOffer, now: float, rules: AgentRules) -> Presence:
    _require_offer(p, event.contact_id, event)
    p = p._replace(offer=None, offer_channel=None)
    missed = p.missed_in_row + 1
    if missed < rules.max_missed_offers:
        return p._replace(missed_in_row=missed)
    if p.load:  # still serving chats: stop new offers, break when they end
        return p._replace(missed_in_row=missed, pending_break=MISSED_OFFERS)
    return p._replace(
        missed_in_row=missed, break_reason=MISSED_OFFERS, wrapup_until=None, wrapup_started=None
    )


def _withdraw_offer(p: Presence, event: WithdrawOffer, now: float, rules: AgentRules) -> Presence:
    _require_offer(p, event.contact_id, event)
    return p._replace(offer=None, offer_channel=None)


def _resume_contact(p: Presence, event: ResumeContact, now: float, rules: AgentRules) -> Presence:
    # Capacity is not checked: the contact is already in the agent's hands, whatever the
    # profile says now. Wrap-up and breaks give way to it as they would to an accepted one.
    voice = p.voice + (event.channel in _WHOLE)
    chats = p.chats + (event.channel == CHAT)
    if voice == p.voice and chats == p.chats:
        raise IllegalTransition(p.state, event, f"unknown channel {event.channel!r}")
    return p._replace(
        voice=voice, chats=chats, wrapup_until=None, wrapup_started=None, break_reason=None
    )


def _end_contact(p: Presence, event: EndContact, now: float, rules: AgentRules) -> Presence:
    if event.channel in _WHOLE and p.voice:
        p = p._replace(voice=p.voice - 1)
    elif event.channel == CHAT and p.chats:
        p = p._replace(chats=p.chats - 1)
    else:
        raise IllegalTransition(p.state, event, f"no active {event.channel} contact")
    if p.voice or p.chats:
        return p
    if p.offer is not None:
        # A chat offer made while this contact was still open: the agent moves straight
        # on to it, so there is no wrap-up pause to enforce.
        return p
    if rules.wrapup_seconds > 0:
        return p._replace(wrapup_until=now + rules.wrapup_seconds, wrapup_started=now)
    return _free(p, now)


def _finish_wrapup(p: Presence, event: FinishWrapup, now: float, rules: AgentRules) -> Presence:
    state = p.state
    if state is AgentState.WRAPUP:
        return _free(p, now)
    if p.voice or p.chats:
        return p  # wrap-up of one chat while others go on: nothing changes
    raise IllegalTransition(state, event, "the agent is not in wrap-up")


def _extend_wrapup(p: Presence, event: ExtendWrapup, now: float, rules: AgentRules) -> Presence:
    # NaN compares false with everything: checked as "not > 0" so it is refused too.
    if not event.seconds > 0 or event.seconds == float("inf"):
        raise ValueError(
            f"a wrap-up is extended by a positive number of seconds, not {event.seconds}"
        )
    state = p.state
    if state is not AgentState.WRAPUP or p.wrapup_until is None:
        raise IllegalTransition(state, event, "the agent is not in wrap-up")
    started = p.wrapup_started if p.wrapup_started is not None else now
    latest = started + rules.wrapup_max_seconds
    until = min(max(p.wrapup_until, now) + event.seconds, latest)
    if until <= p.wrapup_until:
        raise IllegalTransition(
            state, event, f"a wrap-up lasts at most {rules.wrapup_max_seconds:g} s in all"
        )
    return p._replace(wrapup_until=until)


def _update_capacity(p: Presence, event: UpdateCapacity, now: float, rules: AgentRules) -> Presence:
    return p._replace(voice_capacity=event.voice_capacity, chat_capacity=event.chat_capacity)


_HANDLERS: dict[type, Callable[[Presence, Any, float, AgentRules], Presence]] = {
    LogIn: _log_in,
    LogOut: _log_out,
    MakeAvailable: _make_available,
    TakeBreak: _take_break,
    ReceiveOffer: _receive_offer,
    AcceptOffer: _accept_offer,
    RejectOffer: _reject_offer,
    MissOffer: _miss_offer,
    WithdrawOffer: _withdraw_offer,
    ResumeContact: _resume_contact,
    EndContact: _end_contact,
    FinishWrapup: _finish_wrapup,
    ExtendWrapup: _extend_wrapup,
    UpdateCapacity: _update_capacity,
}


def _require_idle(p: Presence, event: AgentEvent) -> None:
    if p.offer is not None:
        raise IllegalTransition(p.state, event, "an offer is pending")
    if p.load:
        raise IllegalTransition(p.state, event, f"{p.load} contact(s) still active")


def _require_offer(p: Presence, contact_id: str, event: AgentEvent) -> None:
    if p.offer != contact_id:
        raise IllegalTransition(p.state, event, f"no pending offer for contact {contact_id!r}")


def _free(p: Presence, now: float) -> Presence:
    """End of break or wrap-up: a pending break wins over becoming available."""
    if p.pending_break is not None:
        return p._replace(
            break_reason=p.pending_break, pending_break=None, wrapup_until=None, wrapup_started=None
        )
    return p._replace(
        break_reason=None, wrapup_until=None, wrapup_started=None, missed_in_row=0, idle_since=now
    )
