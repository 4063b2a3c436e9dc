"""Agent state machine: transitions, illegal transitions, capacity, missed offers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.profile import Agent, InvalidAgent
from agents.state import (
    MISSED_OFFERS,
    AcceptOffer,
    AgentRules,
    AgentState,
    EndContact,
    FinishWrapup,
    IllegalTransition,
    LogIn,
    LogOut,
    MakeAvailable,
    MissOffer,
    Presence,
    ReceiveOffer,
    RejectOffer,
    TakeBreak,
    UpdateCapacity,
    WithdrawOffer,
    transition,
)

RULES = AgentRules(max_missed_offers=3, wrapup_seconds=30)


def step(p: Presence, event, now: float = 100.0, rules: AgentRules = RULES) -> Presence:
    return transition(p, event, now, rules)


def logged_in(chats: int = 2, voice: int = 1) -> Presence:
    return step(Presence(), LogIn(voice, chats), now=50.0)


def test_login_makes_available_and_sets_idle_since():
    p = logged_in()
    assert p.state is AgentState.AVAILABLE
    assert p.idle_since == 50.0
    assert step(Presence(), LogIn(idle_since=10.0)).idle_since == 10.0


def test_offline_agent_can_do_nothing_but_log_in():
    for event in (LogOut(), MakeAvailable(), TakeBreak("lunch"), ReceiveOffer("c", "voice")):
        with pytest.raises(IllegalTransition, match="not logged in"):
            step(Presence(), event)


def test_double_login_is_illegal_and_names_the_state():
    with pytest.raises(IllegalTransition) as err:
        step(logged_in(), LogIn())
    assert err.value.state is AgentState.AVAILABLE
    assert err.value.status_code == 409
    assert "LogIn not allowed while available" in str(err.value)


def test_voice_offer_accept_end_wrapup_available():
    p = step(logged_in(), ReceiveOffer("c1", "voice"))
    assert p.state is AgentState.OFFERED
    p = step(p, AcceptOffer("c1"), now=101)
    assert (p.state, p.voice, p.idle_since) == (AgentState.BUSY, 1, 101)
    p = step(p, EndContact("voice"), now=200)
    assert p.state is AgentState.WRAPUP
    assert p.wrapup_until == 230
    p = step(p, FinishWrapup(), now=210)
    assert (p.state, p.idle_since) == (AgentState.AVAILABLE, 210)


def test_no_wrapup_when_wrapup_seconds_is_zero():
    rules = AgentRules(wrapup_seconds=0)
    p = step(step(logged_in(), ReceiveOffer("c1", "voice")), AcceptOffer("c1"))
    assert step(p, EndContact("voice"), rules=rules).state is AgentState.AVAILABLE


def test_accepting_someone_elses_offer_is_illegal():
    p = step(logged_in(), ReceiveOffer("c1", "voice"))
    with pytest.raises(IllegalTransition, match="no pending offer for contact 'c2'"):
        step(p, AcceptOffer("c2"))


def test_one_offer_at_a_time():
    p = step(logged_in(), ReceiveOffer("c1", "chat"))
    with pytest.raises(IllegalTransition, match="no free chat capacity"):
        step(p, ReceiveOffer("c2", "chat"))


def test_chat_agent_busy_on_one_chat_still_receives_offers_up_to_capacity():
    p = step(step(logged_in(chats=2), ReceiveOffer("c1", "chat")), AcceptOffer("c1"))
    assert p.state is AgentState.BUSY and p.can_take("chat") and not p.can_take("voice")
    p = step(p, ReceiveOffer("c2", "chat"))
    assert p.state is AgentState.OFFERED and p.chats == 1
    p = step(p, AcceptOffer("c2"))
    assert p.chats == 2 and not p.can_take("chat")
    with pytest.raises(IllegalTransition):
        step(p, ReceiveOffer("c3", "chat"))
    # One chat ends: still busy, no wrap-up yet, capacity again.
    p = step(p, EndContact("chat"))
    assert p.state is AgentState.BUSY and p.wrapup_until is None and p.can_take("chat")
    # Wrap-up of that chat while the other goes on changes nothing.
    assert step(p, FinishWrapup()) == p


def test_voice_agent_takes_no_chat_and_chat_agent_takes_no_voice():
    on_voice = step(step(logged_in(), ReceiveOffer("c1", "voice")), AcceptOffer("c1"))
    assert not on_voice.can_take("chat") and not on_voice.can_take("voice")
    on_chat = step(step(logged_in(), ReceiveOffer("c1", "chat")), AcceptOffer("c1"))
    assert not on_chat.can_take("voice")
    no_voice = logged_in(voice=0)
    assert not no_voice.can_take("voice") and no_voice.can_take("chat")


def test_break_with_reason_and_back():
    p = step(logged_in(), TakeBreak("lunch"))
    assert (p.state, p.reason) == (AgentState.BREAK, "lunch")
    assert not p.can_take("voice")
    p = step(p, TakeBreak("training"))
    assert p.reason == "training"
    p = step(p, MakeAvailable(), now=300)
    assert (p.state, p.idle_since) == (AgentState.AVAILABLE, 300)


def test_break_requested_while_busy_starts_after_work():
    p = step(step(logged_in(), ReceiveOffer("c1", "voice")), AcceptOffer("c1"))
    p = step(p, TakeBreak("lunch"))
    assert p.state is AgentState.BUSY and p.reason == "lunch"
    p = step(p, EndContact("voice"))
    assert p.state is AgentState.WRAPUP
    p = step(p, FinishWrapup())
    assert (p.state, p.reason) == (AgentState.BREAK, "lunch")


def test_make_available_cancels_a_requested_break():
    p = step(step(logged_in(), ReceiveOffer("c1", "voice")), AcceptOffer("c1"))
    p = step(step(p, TakeBreak("lunch")), MakeAvailable())
    assert p.pending_break is None and p.state is AgentState.BUSY


def test_break_while_offered_is_illegal():
    p = step(logged_in(), ReceiveOffer("c1", "voice"))
    with pytest.raises(IllegalTransition, match="answer or withdraw"):
        step(p, TakeBreak("lunch"))


def test_logout_rules():
    assert step(logged_in(), LogOut()).state is AgentState.OFFLINE
    assert step(step(logged_in(), TakeBreak("x")), LogOut()).state is AgentState.OFFLINE
    busy = step(step(logged_in(), ReceiveOffer("c1", "voice")), AcceptOffer("c1"))
    with pytest.raises(IllegalTransition, match="1 contact"):
        step(busy, LogOut())
    with pytest.raises(IllegalTransition, match="offer is pending"):
        step(step(logged_in(), ReceiveOffer("c1", "voice")), LogOut())


def test_missed_offers_in_a_row_send_the_agent_on_break():
    p = logged_in()
    for i in range(2):
        p = step(step(p, ReceiveOffer(f"c{i}", "voice")), MissOffer(f"c{i}"))
        assert p.state is AgentState.AVAILABLE and p.missed_in_row == i + 1
    p = step(step(p, ReceiveOffer("c9", "voice")), MissOffer("c9"))
    assert (p.state, p.reason) == (AgentState.BREAK, MISSED_OFFERS)
    p = step(p, MakeAvailable())
    assert p.missed_in_row == 0


def test_reject_and_accept_reset_the_missed_streak_withdraw_does_not_count():
    p = step(step(logged_in(), ReceiveOffer("c1", "voice")), MissOffer("c1"))
    p = step(step(p, ReceiveOffer("c2", "voice")), WithdrawOffer("c2"))
    assert p.missed_in_row == 1
    p = step(step(p, ReceiveOffer("c3", "voice")), RejectOffer("c3"))
    assert p.missed_in_row == 0 and p.state is AgentState.AVAILABLE


def test_missed_offers_while_serving_chats_become_a_pending_break():
    rules = AgentRules(max_missed_offers=1, wrapup_seconds=0)
    p = step(step(logged_in(), ReceiveOffer("c1", "chat")), AcceptOffer("c1"))
    p = step(step(p, ReceiveOffer("c2", "chat")), MissOffer("c2"), rules=rules)
    assert p.state is AgentState.BUSY and p.reason == MISSED_OFFERS and not p.can_take("chat")
    p = step(p, EndContact("chat"), rules=rules)
    assert (p.state, p.reason) == (AgentState.BREAK, MISSED_OFFERS)


def test_wrapup_done_outside_wrapup_is_illegal():
    with pytest.raises(IllegalTransition, match="not in wrap-up"):
        step(logged_in(), FinishWrapup())


def test_ending_a_contact_that_is_not_there_is_illegal():
    with pytest.raises(IllegalTransition, match="no active voice contact"):
        step(logged_in(), EndContact("voice"))


def test_update_capacity():
    p = step(logged_in(chats=1), UpdateCapacity(0, 3))
    assert not p.can_take("voice") and p.chat_capacity == 3


def test_agent_profile_validation():
    with pytest.raises(InvalidAgent, match=r"proficiency must be 1\.\.5"):
        Agent("a", "A", skills={"x": 7})
    with pytest.raises(InvalidAgent, match="unknown channel"):
        Agent("a", "A", channels={"fax"})
    agent = Agent("a", "A", languages="en", tags=["senior"])
    assert agent.languages == frozenset({"en"}) and agent.is_senior


EVENTS = st.one_of(
    st.builds(LogIn, st.integers(0, 1), st.integers(0, 3)),
    st.just(LogOut()),
    st.just(MakeAvailable()),
    st.builds(TakeBreak, st.sampled_from(["lunch", "training"])),
    st.builds(ReceiveOffer, st.sampled_from(["c1", "c2"]), st.sampled_from(["voice", "chat"])),
    st.builds(AcceptOffer, st.sampled_from(["c1", "c2"])),
    st.builds(RejectOffer, st.sampled_from(["c1", "c2"])),
    st.builds(MissOffer, st.sampled_from(["c1", "c2"])),
    st.builds(WithdrawOffer, st.sampled_from(["c1", "c2"])),
    st.builds(EndContact, st.sampled_from(["voice", "chat"])),
    st.just(FinishWrapup()),
)


@given(st.lists(EVENTS, max_size=40))
def test_any_event_sequence_keeps_capacity_and_consistency(events):
    p = Presence()
    now = 0.0
    for event in events:
        now += 1
        try:
            p = transition(p, event, now, RULES)
        except IllegalTransition:
            continue
        assert p.voice <= 1 and not (p.voice and p.chats)
        assert p.chats <= max(p.chat_capacity, 0)
        assert p.break_reason is None or p.load == 0
        assert p.wrapup_until is None or p.load == 0
        assert p.state is not AgentState.OFFLINE or p.load == 0
        if p.offer is not None:
            assert p.pending_break is None and p.break_reason is None
