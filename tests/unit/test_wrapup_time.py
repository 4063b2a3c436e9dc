"""Wrap-up time in the pure core: extended on request up to a maximum, and its end reported
(``WrapupEnded``) so the adapter saves what the agent left unsaved. Fake clock: ``now``."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.state import (
    AcceptOffer,
    AgentRules,
    AgentState,
    EndContact,
    ExtendWrapup,
    FinishWrapup,
    IllegalTransition,
    LogIn,
    MakeAvailable,
    Presence,
    ReceiveOffer,
    TakeBreak,
    transition,
)
from routing import (
    AgentStateChanged,
    Offer,
    Router,
    WrapupEndCause,
    WrapupEnded,
    WrapupExtended,
)
from tests.unit.test_routing_router import T0, agent, contact, login, make_router, of

RULES = AgentRules(max_missed_offers=3, wrapup_seconds=30, wrapup_max_seconds=120)


def in_wrapup(ended_at: float = 100.0) -> Presence:
    p = transition(Presence(), LogIn(), 0, RULES)
    p = transition(p, ReceiveOffer("c1", "voice"), 10, RULES)
    p = transition(p, AcceptOffer("c1"), 11, RULES)
    return transition(p, EndContact("voice"), ended_at, RULES)


def test_extension_adds_to_the_time_left() -> None:
    p = in_wrapup(100)
    assert p.wrapup_until == 130 and p.wrapup_started == 100
    p = transition(p, ExtendWrapup(60), 110, RULES)
    assert p.state is AgentState.WRAPUP and p.wrapup_until == 190


def test_extension_is_capped_by_the_maximum_total() -> None:
    p = transition(in_wrapup(100), ExtendWrapup(60), 110, RULES)  # until 190
    p = transition(p, ExtendWrapup(60), 120, RULES)  # 250 asked, 220 allowed (100 + 120)
    assert p.wrapup_until == 220
    with pytest.raises(IllegalTransition, match="at most 120 s"):
        transition(p, ExtendWrapup(60), 130, RULES)


def test_extension_outside_wrapup_is_refused() -> None:
    logged_in = transition(Presence(), LogIn(), 0, RULES)
    with pytest.raises(IllegalTransition, match="not in wrap-up"):
        transition(logged_in, ExtendWrapup(30), 5, RULES)
    on_break = transition(logged_in, TakeBreak("lunch"), 6, RULES)
    with pytest.raises(IllegalTransition):
        transition(on_break, ExtendWrapup(30), 7, RULES)


def test_a_break_asked_for_in_wrapup_waits_for_its_end() -> None:
    # A break (or a dropped connection: "connection lost") never cuts a wrap-up short.
    p = transition(in_wrapup(100), TakeBreak("connection lost"), 105, RULES)
    assert p.state is AgentState.WRAPUP and p.pending_break == "connection lost"
    assert not p.can_take("voice")
    assert transition(p, ExtendWrapup(10), 106, RULES).wrapup_until == 140
    # Back (the console reconnected): the break is off, the wrap-up goes on.
    back = transition(p, MakeAvailable(), 110, RULES)
    assert back.state is AgentState.WRAPUP and back.pending_break is None
    assert back.wrapup_until == 130
    # Not back: when the wrap-up ends, the break starts.
    ended = transition(p, FinishWrapup(), 130, RULES)
    assert ended.state is AgentState.BREAK and ended.reason == "connection lost"


@pytest.mark.parametrize("seconds", [0, -5, math.nan, math.inf])
def test_extension_by_a_non_positive_or_odd_number_is_bad_input(seconds: float) -> None:
    with pytest.raises(ValueError):
        transition(in_wrapup(), ExtendWrapup(seconds), 101, RULES)


def test_a_new_wrapup_starts_a_new_maximum() -> None:
    p = transition(in_wrapup(100), ExtendWrapup(500), 101, RULES)
    assert p.wrapup_until == 220
    p = transition(p, MakeAvailable(), 150, RULES)
    assert p.wrapup_started is None and p.wrapup_until is None
    p = transition(p, ReceiveOffer("c2", "voice"), 160, RULES)
    p = transition(p, AcceptOffer("c2"), 161, RULES)
    p = transition(p, EndContact("voice"), 400, RULES)
    assert (p.wrapup_started, p.wrapup_until) == (400, 430)
    assert transition(p, ExtendWrapup(60), 401, RULES).wrapup_until == 490


@given(st.lists(st.floats(min_value=0.5, max_value=500), max_size=12))
def test_no_sequence_of_extensions_passes_the_maximum(asks: list[float]) -> None:
    p = in_wrapup(100)
    now = 100.0
    for seconds in asks:
        now += 1
        try:
            p = transition(p, ExtendWrapup(seconds), now, RULES)
        except IllegalTransition:
            pass
        assert p.wrapup_until is not None and p.wrapup_until <= 100 + RULES.wrapup_max_seconds


# --- the router ---------------------------------------------------------------------------


def ended_call(**settings: float) -> Router:
    router = make_router(wrapup_seconds=30, **settings)
    login(router, agent("ann"))
    router.contact_arrived(contact("c1"), T0)
    router.offer_accepted("c1", "ann", T0 + 1)
    router.contact_ended("c1", T0 + 10)  # wrap-up until T0 + 40
    return router


def test_router_extends_the_wrapup_and_moves_its_timer() -> None:
    router = ended_call(wrapup_extend_seconds=60, wrapup_max_seconds=100)
    router.contact_arrived(contact("c2"), T0 + 20)  # waiting for ann
    out = router.wrapup_extended("ann", T0 + 35, 60)
    assert out == [WrapupExtended("ann", T0 + 100, 60, T0 + 110)]
    assert router.store.agent("ann").presence.wrapup_until == T0 + 100
    assert not of(Offer, router.tick(T0 + 40))  # the first end is stale now
    assert not of(WrapupEnded, router.tick(T0 + 99))
    out = router.tick(T0 + 100)
    assert of(WrapupEnded, out) == [WrapupEnded("ann", WrapupEndCause.TIMEOUT)]
    assert of(Offer, out)[0].contact_id == "c2"


def test_router_caps_the_extension_then_refuses() -> None:
    router = ended_call(wrapup_max_seconds=100)
    (extended,) = router.wrapup_extended("ann", T0 + 20, 500)
    assert isinstance(extended, WrapupExtended)
    assert extended.wrapup_until == T0 + 110 and extended.extended_by == 70
    with pytest.raises(IllegalTransition):
        router.wrapup_extended("ann", T0 + 21, 10)
    assert router.store.agent("ann").presence.wrapup_until == T0 + 110  # nothing changed


def test_wrapup_timeout_is_reported_before_the_next_offer() -> None:
    router = ended_call()
    router.contact_arrived(contact("c2"), T0 + 20)
    out = router.tick(T0 + 40)
    kinds = [type(d) for d in out]
    assert kinds.index(WrapupEnded) < kinds.index(Offer)
    assert out[0] == AgentStateChanged("ann", AgentState.AVAILABLE, None, 0)


def test_made_available_in_wrapup_reports_its_end_but_saving_does_not() -> None:
    router = ended_call()
    out = router.set_agent_state("ann", "available", T0 + 15)
    assert of(WrapupEnded, out) == [WrapupEnded("ann", WrapupEndCause.AVAILABLE)]
    assert router.tick(T0 + 40) == []  # the timer is stale: no second end
    saved = ended_again(router)
    assert not of(WrapupEnded, router.wrapup_done("ann", saved))


def test_a_break_in_wrapup_keeps_the_timer_and_logging_out_reports_the_end() -> None:
    router = ended_call()
    out = router.set_agent_state("ann", "break", T0 + 12, "lunch")
    assert out == [AgentStateChanged("ann", AgentState.WRAPUP, "lunch", 0)]
    assert not of(WrapupEnded, out)
    out = router.tick(T0 + 40)  # the wrap-up ends: saved from its draft, then the break
    assert of(WrapupEnded, out) == [WrapupEnded("ann", WrapupEndCause.TIMEOUT)]
    assert router.store.agent("ann").presence.state is AgentState.BREAK
    again = ended_call()
    out = again.agent_logout("ann", T0 + 12)
    assert of(WrapupEnded, out) == [WrapupEnded("ann", WrapupEndCause.OFFLINE)]


def ended_again(router: Router) -> float:
    router.contact_arrived(contact("c3"), T0 + 50)
    router.offer_accepted("c3", "ann", T0 + 51)
    router.contact_ended("c3", T0 + 60)
    return T0 + 61
