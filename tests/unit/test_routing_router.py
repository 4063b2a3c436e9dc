"""Router scenarios: offers, explanations, escalation, overflow, timeouts, errors."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from app.i18n import Names, render_message
from routing import (
    Agent,
    AgentState,
    AgentStateChanged,
    CancelCause,
    Contact,
    ContactAssigned,
    ContactEnded,
    ContactEscalated,
    ContactOverflowed,
    ContactQueued,
    ContactTimedOut,
    Customer,
    DuplicateContact,
    IllegalTransition,
    InvalidContact,
    Offer,
    OfferCancelled,
    OfferNotOpen,
    QueueConfig,
    Router,
    RouterSettings,
    UnknownAgent,
    UnknownContact,
    parse_policy,
)

T0 = 1_000_000.0


def words(message, lang: str = "en") -> str:
    """A message in words, without config/names.yaml (free codes show as themselves)."""
    return render_message(message, lang, Names())


POLICY = {
    "aging": {"points_per_second": 0.1},
    "rules": [
        {
            "name": "complaint",
            "description": "open complaint",
            "when": {"open_complaint": True},
            "priority_boost": 50,
            "preferred": ["complaint_owner"],
            "steps": [
                {"target": "preferred", "timeout": 60},
                {"target": "skilled", "skills": {"complaints": 2}},
            ],
        },
        {
            "name": "vip",
            "description": "vip customer",
            "when": {"grade": "vip"},
            "priority_boost": 100,
            "preferred": ["account_manager"],
            "steps": [
                {"target": "preferred", "timeout": 30},
                {"target": "senior", "timeout": 60},
                {"target": "skilled", "timeout": 120},
                {"target": "overflow"},
            ],
        },
        {
            "name": "repeat",
            "when": {"repeat_within_hours": 48},
            "preferred": ["last_agent"],
            "steps": [{"target": "preferred", "timeout": 45}, {"target": "skilled"}],
        },
        {
            "name": "gold",
            "when": {"intent": "gold"},
            "preferred": [{"team": "gold"}],
            "steps": [{"target": "preferred", "timeout": 20}, {"target": "skilled"}],
        },
        {
            "name": "default",
            "steps": [{"target": "skilled", "timeout": 600}, {"target": "overflow"}],
        },
    ],
}
QUEUES = [
    QueueConfig("general", (("general", 1),), max_wait_seconds=900, overflow="overflow"),
    QueueConfig("overflow", ()),
]
SETTINGS = RouterSettings(offer_timeout=15, max_missed_offers=3, reoffer_cooldown=60)


def make_router(**settings) -> Router:
    return Router(parse_policy(POLICY), QUEUES, settings=replace(SETTINGS, **settings))


def agent(agent_id: str, level: int = 3, **kw) -> Agent:
    kw.setdefault("skills", {"general": level})
    return Agent(agent_id, agent_id.capitalize(), **kw)


def contact(cid: str, *, channel: str = "voice", language=None, intent=None, **facts) -> Contact:
    return Contact(cid, channel, "general", T0, Customer(**facts), language=language, intent=intent)


def of(kind, decisions):
    return [d for d in decisions if isinstance(d, kind)]


def offer_in(decisions) -> Offer:
    (offer,) = of(Offer, decisions)
    return offer


def login(router: Router, *agents: Agent, at: float = T0) -> None:
    for a in agents:
        router.agent_login(a, at)


def test_a_contact_is_never_offered_to_an_agent_it_was_sent_away_from():
    router = make_router()
    login(router, agent("alice"), agent("bob"))
    # alice is the account manager, but she transferred this contact away.
    leg = contact("c2", grade="vip", account_manager_agent_id="alice")
    out = router.contact_arrived(leg, T0, never_to=["alice"])
    assert offer_in(out).agent_id == "bob"
    router.offer_rejected("c2", "bob", T0 + 1, "busy")
    assert not [d for d in router.tick(T0 + 3600) if isinstance(d, Offer) and d.agent_id == "alice"]


def test_vip_goes_to_account_manager_with_explanation():
    router = make_router()
    login(router, agent("alice"), agent("bob", 5, senior=True))
    out = router.contact_arrived(contact("c1", grade="vip", account_manager_agent_id="alice"), T0)
    queued, offer = out[0], out[1]
    assert isinstance(queued, ContactQueued) and queued.queue == "general"
    assert offer.agent_id == "alice" and offer.expires_at == T0 + 15
    why = offer.explanation
    assert (
        words(why.reason)
        == "vip customer: offered to account manager Alice (step 1 of 4: account manager)"
    )
    assert (why.rule, why.step, why.steps) == ("vip", 1, 4)
    assert words(why.step_label) == "account manager"
    assert why.candidates[0].agent_id == "alice" and why.candidates[0].rank == 1
    assert why.candidates[0].preferred_as == "account manager"
    assert out[2] == AgentStateChanged("alice", AgentState.OFFERED, None, 0)
    json.dumps(why.as_dict())  # storable as is


def busy_with(router: Router, agent_id: str, contact_id: str, at: float = T0) -> None:
    """Make ``agent_id`` busy: the contact is offered to it alone, then accepted."""
    router.contact_arrived(contact(contact_id, last_agent_id=agent_id, last_contact_at=at), at)
    router.offer_accepted(contact_id, agent_id, at)


def test_vip_waits_for_busy_manager_then_widens_to_senior_exactly_at_timeout():
    router = make_router()
    login(router, agent("alice"))
    busy_with(router, "alice", "c0")
    login(router, agent("dave", 1, senior=True), agent("carl", 5))
    busy_with(router, "carl", "c1")
    out = router.contact_arrived(contact("v", grade="vip", account_manager_agent_id="alice"), T0)
    assert not of(Offer, out)  # dave is free but step 1 waits for the manager
    assert router.tick(T0 + 29.9) == []
    out = router.tick(T0 + 30)
    (esc,) = of(ContactEscalated, out)
    assert esc.step == 2
    assert "no agent within 30 s, widened to step 2 of 4: senior agents" in words(
        esc.explanation.reason
    )
    offer = offer_in(out)
    assert offer.agent_id == "dave"
    assert words(offer.explanation.reason) == (
        "vip customer: offered to senior agent Dave (step 2 of 4: senior agents)"
    )
    notes = {c.agent_id: c for c in offer.explanation.candidates}
    assert not notes["alice"].eligible and words(notes["alice"].note) == "account manager: busy"
    assert words(notes["dave"].note).startswith("proficiency 1; idle 30 s")


def test_absent_account_manager_step_is_skipped_at_once():
    router = make_router()
    login(router, agent("bob", senior=True))
    out = router.contact_arrived(contact("v", grade="vip", account_manager_agent_id="zed"), T0)
    assert "skipped step 1 (account manager: not logged in or on break)" in words(
        out[0].explanation.reason
    )
    assert offer_in(out).agent_id == "bob"
    out = router.contact_arrived(contact("w", grade="vip"), T0)  # no manager at all
    assert "account manager: none for this customer" in words(out[0].explanation.reason)


def test_preferred_agent_wins_over_better_skilled_and_longer_idle():
    router = make_router()
    login(router, agent("ann", 5, idle_since=T0 - 500), agent("last", 1))
    facts = {"last_agent_id": "last", "last_contact_at": T0 - 3600}
    assert offer_in(router.contact_arrived(contact("c", **facts), T0)).agent_id == "last"


def test_preferred_team_members_are_preferred():
    router = make_router()
    login(router, agent("ann", 5), agent("gil", 1, team="gold"))
    offer = offer_in(router.contact_arrived(contact("c", intent="gold"), T0))
    assert offer.agent_id == "gil"
    assert "Gil of preferred team gold" in words(offer.explanation.reason)


def test_reject_reroutes_and_skips_the_rejecting_agent_until_cooldown():
    router = make_router()
    login(router, agent("ann", 5), agent("ben", 3))
    assert offer_in(router.contact_arrived(contact("c"), T0)).agent_id == "ann"
    out = router.offer_rejected("c", "ann", T0 + 1, "on another call")
    assert out[0] == OfferCancelled("c", "ann", CancelCause.REJECTED, out[0].reason)
    assert words(out[0].reason) == "declined (on another call)"
    assert offer_in(out).agent_id == "ben"
    out = router.offer_rejected("c", "ben", T0 + 2, "no")
    assert not of(Offer, out)  # both declined: wait for the cool-down
    assert not of(Offer, router.tick(T0 + 60))
    assert offer_in(router.tick(T0 + 61)).agent_id == "ann"  # ann's cool-down is over


def test_declining_the_only_preferred_agent_moves_to_the_next_step_at_once():
    router = make_router()
    login(router, agent("alice"), agent("bob", senior=True))
    router.contact_arrived(contact("v", grade="vip", account_manager_agent_id="alice"), T0)
    out = router.offer_rejected("v", "alice", T0 + 2, "busy")
    (esc,) = of(ContactEscalated, out)
    assert "account manager declined, widened to step 2 of 4" in words(esc.explanation.reason)
    assert offer_in(out).agent_id == "bob"


def test_offer_timeout_counts_as_missed_and_three_in_a_row_mean_break():
    router = make_router(reoffer_cooldown=0.0)
    login(router, agent("ann"))
    router.contact_arrived(contact("c"), T0)
    now = T0
    for i in range(3):
        now += 15
        out = router.tick(now)
        (cancel,) = of(OfferCancelled, out)
        assert cancel.cause is CancelCause.EXPIRED
        assert words(cancel.reason) == "no answer within 15 s"
        if i < 2:
            assert offer_in(out).agent_id == "ann"  # no cool-down configured
    assert out[1] == AgentStateChanged("ann", AgentState.BREAK, "missed offers", 0)
    assert router.store.route("c").status == "queued"
    back = router.set_agent_state("ann", "available", now + 5)
    assert offer_in(back).agent_id == "ann"


def test_customer_hanging_up_during_offer_cancels_it():
    router = make_router()
    login(router, agent("ann"))
    router.contact_arrived(contact("c1"), T0)
    router.contact_arrived(contact("c2"), T0 + 1)
    out = router.contact_abandoned("c1", T0 + 2)
    assert out[0] == OfferCancelled("c1", "ann", CancelCause.ABANDONED, out[0].reason)
    assert words(out[0].reason) == "customer left (abandoned)"
    assert words(out[0].reason, "zh") == "客户已离开（放弃等待）"
    assert ContactEnded("c1", None, True, "abandoned") in out
    assert offer_in(out).contact_id == "c2"  # ann is free again and takes the next one
    assert router.store.route("c1") is None


def test_abandon_while_waiting_removes_the_contact():
    router = make_router()
    router.contact_arrived(contact("c1"), T0)
    assert router.contact_ended("c1", T0 + 5, "hangup") == [
        ContactEnded("c1", None, True, "hangup")
    ]
    with pytest.raises(UnknownContact):
        router.contact_ended("c1", T0 + 6)


def test_end_wrapup_timeout_then_next_contact():
    router = make_router()
    login(router, agent("ann"))
    router.contact_arrived(contact("c1"), T0)
    router.offer_accepted("c1", "ann", T0 + 3)
    router.contact_arrived(contact("c2"), T0 + 4)
    out = router.contact_ended("c1", T0 + 100)
    assert out == [
        ContactEnded("c1", "ann", False, "ended"),
        AgentStateChanged("ann", AgentState.WRAPUP, None, 0),
    ]
    assert router.next_deadline() is not None
    assert not of(Offer, router.tick(T0 + 129))
    out = router.tick(T0 + 130)
    assert out[0] == AgentStateChanged("ann", AgentState.AVAILABLE, None, 0)
    assert offer_in(out).contact_id == "c2"


def test_wrapup_done_early_makes_agent_available():
    router = make_router()
    login(router, agent("ann"))
    router.contact_arrived(contact("c1"), T0)
    router.offer_accepted("c1", "ann", T0)
    router.contact_ended("c1", T0 + 10)
    out = router.wrapup_done("ann", T0 + 12)
    assert out == [AgentStateChanged("ann", AgentState.AVAILABLE, None, 0)]
    assert router.tick(T0 + 40) == []  # the stale wrap-up timer does nothing
    with pytest.raises(IllegalTransition):
        router.wrapup_done("ann", T0 + 50)


def test_assigned_reports_wait_and_agent_busy():
    router = make_router()
    login(router, agent("ann"))
    router.contact_arrived(contact("c1"), T0)
    out = router.offer_accepted("c1", "ann", T0 + 4)
    assert out == [
        ContactAssigned("c1", "ann", 4.0),
        AgentStateChanged("ann", AgentState.BUSY, None, 1),
    ]
    with pytest.raises(OfferNotOpen):
        router.offer_accepted("c1", "ann", T0 + 5)


def test_default_rule_overflows_after_its_step_timeout():
    router = make_router()
    login(router, agent("bob"))
    busy_with(router, "bob", "b")
    router.contact_arrived(contact("c1"), T0)
    assert router.tick(T0 + 599) == []
    (moved,) = of(ContactOverflowed, router.tick(T0 + 600))
    assert (moved.from_queue, moved.to_queue) == ("general", "overflow")
    assert words(moved.explanation.reason) == (
        "default: moved from general to overflow (step 1 of 2: any skilled agent)"
    )
    assert router.tick(T0 + 900) == []  # max wait counts per queue; overflow has none


def test_step_with_nobody_logged_in_is_skipped_straight_to_overflow():
    router = make_router()
    out = router.contact_arrived(contact("c1"), T0)
    assert [type(d) for d in out] == [ContactQueued, ContactOverflowed]
    assert router.store.route("c1").queue == "overflow"


def test_max_wait_in_queue_without_overflow():
    router = Router(
        parse_policy({"rules": []}),
        [QueueConfig("general", (("general", 1),), max_wait_seconds=300)],
        settings=SETTINGS,
    )
    router.contact_arrived(contact("c1"), T0)
    assert router.tick(T0 + 299) == []
    assert router.tick(T0 + 300) == [ContactTimedOut("c1", "general", 300.0)]
    assert router.store.route("c1") is None


def test_overflow_makes_agents_without_the_queue_skill_eligible():
    router = make_router()
    login(router, agent("bob"), agent("ann", skills={"billing": 4}))
    busy_with(router, "bob", "b")
    assert not of(Offer, router.contact_arrived(contact("c1"), T0))
    out = router.tick(T0 + 600)
    assert of(ContactOverflowed, out)
    assert offer_in(out).agent_id == "ann"


def test_chat_capacity_and_no_voice_while_chatting():
    router = make_router()
    login(router, agent("ann", chat_capacity=2))
    assert offer_in(router.contact_arrived(contact("c1", channel="chat"), T0)).agent_id == "ann"
    router.offer_accepted("c1", "ann", T0)
    assert not of(Offer, router.contact_arrived(contact("v1"), T0))  # no voice while chatting
    assert offer_in(router.contact_arrived(contact("c2", channel="chat"), T0)).agent_id == "ann"
    router.offer_accepted("c2", "ann", T0)
    assert not of(Offer, router.contact_arrived(contact("c3", channel="chat"), T0))  # full
    out = router.contact_ended("c1", T0 + 10)
    assert offer_in(out).contact_id == "c3"  # a slot is free again
    router.offer_accepted("c3", "ann", T0 + 11)
    router.contact_ended("c2", T0 + 20)
    out = router.contact_ended("c3", T0 + 30)
    assert AgentStateChanged("ann", AgentState.WRAPUP, None, 0) in out
    out = router.wrapup_done("ann", T0 + 31)
    assert offer_in(out).contact_id == "v1"


def test_last_chat_ending_while_offered_skips_wrapup():
    router = make_router()
    login(router, agent("ann", chat_capacity=2))
    router.contact_arrived(contact("c1", channel="chat"), T0)
    router.offer_accepted("c1", "ann", T0)
    router.contact_arrived(contact("c2", channel="chat"), T0)  # offered to ann
    router.contact_ended("c1", T0 + 5)
    presence = router.store.agent("ann").presence
    assert presence.state is AgentState.OFFERED and presence.wrapup_until is None


def test_break_while_offered_withdraws_and_reroutes():
    router = make_router()
    login(router, agent("ann", 5), agent("ben"))
    router.contact_arrived(contact("c1"), T0)
    out = router.set_agent_state("ann", AgentState.BREAK, T0 + 1, "lunch")
    assert out[0] == OfferCancelled(
        "c1", "ann", CancelCause.AGENT_UNAVAILABLE, {"code": "cancel.break"}
    )
    assert words(out[0].reason, "zh") == "坐席已转为小休"
    assert AgentStateChanged("ann", AgentState.BREAK, "lunch", 0) in out
    assert offer_in(out).agent_id == "ben"
    assert router.store.agent("ann").presence.missed_in_row == 0


def test_logout_while_busy_is_refused_without_side_effects():
    router = make_router()
    login(router, agent("ann"))
    router.contact_arrived(contact("c1"), T0)
    router.offer_accepted("c1", "ann", T0)
    router.contact_arrived(contact("c2"), T0)
    before = router.store.agent("ann").presence
    with pytest.raises(IllegalTransition, match="1 contact"):
        router.agent_logout("ann", T0 + 1)
    assert router.store.agent("ann").presence == before


def test_break_requested_while_busy_starts_after_wrapup():
    router = make_router()
    login(router, agent("ann"))
    router.contact_arrived(contact("c1"), T0)
    router.offer_accepted("c1", "ann", T0)
    out = router.set_agent_state("ann", "break", T0 + 1, "lunch")
    assert out == [AgentStateChanged("ann", AgentState.BUSY, "lunch", 1)]
    router.contact_ended("c1", T0 + 2)
    out = router.wrapup_done("ann", T0 + 3)
    assert out == [AgentStateChanged("ann", AgentState.BREAK, "lunch", 0)]


def test_vip_arriving_later_is_served_before_waiting_ordinary_contacts():
    router = make_router()
    login(router, agent("ann"))
    router.contact_arrived(contact("busy"), T0)
    router.offer_accepted("busy", "ann", T0)
    router.contact_arrived(contact("o1"), T0 + 1)
    router.contact_arrived(contact("v1", grade="vip"), T0 + 2)
    router.contact_ended("busy", T0 + 3)
    assert offer_in(router.wrapup_done("ann", T0 + 4)).contact_id == "v1"


def test_aging_lets_a_long_wait_beat_a_fresh_vip():
    router = make_router()  # aging 0.1/s, vip boost 100: 1000 s of waiting beats it
    login(router, agent("ann"))
    router.contact_arrived(contact("busy"), T0)
    router.offer_accepted("busy", "ann", T0)
    router.contact_arrived(contact("old"), T0 + 1)
    router.contact_arrived(contact("v", grade="vip"), T0 + 1002)
    router.contact_ended("busy", T0 + 1003)
    assert offer_in(router.wrapup_done("ann", T0 + 1004)).contact_id == "old"


def test_language_is_required_of_non_preferred_agents():
    router = make_router()
    login(router, agent("en", 5, languages={"en"}), agent("de", 1, languages={"de"}))
    assert offer_in(router.contact_arrived(contact("c", language="de"), T0)).agent_id == "de"


def test_complaint_goes_to_owner_then_complaint_specialists():
    router = make_router()
    login(router, agent("owner"), agent("spec", skills={"general": 1, "complaints": 2}))
    facts = {"has_open_complaint": True, "open_complaint_owner_id": "owner"}
    assert offer_in(router.contact_arrived(contact("c1", **facts), T0)).agent_id == "owner"
    router.offer_accepted("c1", "owner", T0)
    out = router.contact_arrived(contact("c2", **facts), T0 + 1)
    assert not of(Offer, out)  # waits for its owner first
    out = router.tick(T0 + 61)
    offer = offer_in(out)
    assert offer.agent_id == "spec"
    assert words(offer.explanation.step_label) == "agents skilled in complaints"


def test_update_agent_skills_makes_waiting_contact_eligible():
    router = make_router()
    login(router, agent("bob"), agent("ann", skills={"billing": 2}))
    busy_with(router, "bob", "b")
    router.contact_arrived(contact("c"), T0)
    out = router.update_agent(agent("ann", skills={"general": 2}), T0 + 5)
    assert offer_in(out).agent_id == "ann"


def test_errors_carry_http_status():
    router = make_router()
    with pytest.raises(UnknownAgent) as e1:
        router.wrapup_done("nobody", T0)
    with pytest.raises(UnknownContact) as e2:
        router.contact_ended("x", T0)
    router.contact_arrived(contact("c"), T0)
    with pytest.raises(DuplicateContact) as e3:
        router.contact_arrived(contact("c"), T0)
    with pytest.raises(InvalidContact) as e4:
        router.contact_arrived(Contact("d", "voice", "nope", T0), T0)
    with pytest.raises(OfferNotOpen) as e5:
        router.offer_accepted("c", "ann", T0)
    login(router, agent("zed", skills={"billing": 1}))
    with pytest.raises(IllegalTransition) as e6:
        router.set_agent_state("zed", "busy", T0)
    codes = [e.value.status_code for e in (e1, e2, e3, e4, e5, e6)]
    assert codes == [404, 404, 409, 422, 409, 409]
    with pytest.raises(InvalidContact):
        Contact("e", "fax", "general", T0)


def test_snapshot_for_the_wallboard():
    router = make_router()
    login(router, agent("ann"))
    busy_with(router, "ann", "b")
    router.contact_arrived(contact("o"), T0)
    router.contact_arrived(contact("v", grade="vip"), T0 + 10)
    snap = router.snapshot(T0 + 70)
    assert [c.contact_id for c in snap.contacts] == ["v", "o"]  # by effective priority
    assert snap.contacts[1].priority == pytest.approx(7.0)  # aged 70 s at 0.1/s
    (general,) = [q for q in snap.queues if q.name == "general"]
    assert (general.waiting, general.offered, general.oldest_wait) == (2, 0, 70)
    assert snap.agents[0].state is AgentState.BUSY and snap.agents[0].voice == 1


def test_logging_in_on_a_break_makes_no_offer_in_between() -> None:
    router = make_router()
    router.contact_arrived(contact("c"), T0)
    out = router.agent_login(agent("a1"), T0 + 1, on_break="not_ready")
    assert not [d for d in out if isinstance(d, Offer | OfferCancelled)]
    assert router.store.agent("a1").presence.break_reason == "not_ready"
    assert router.store.route("c").status == "queued"


def test_an_undelivered_offer_is_no_miss_and_comes_back_after_the_pause() -> None:
    router = make_router()
    router.agent_login(agent("a1"), T0)
    offer_in(router.contact_arrived(contact("c"), T0))
    out = router.offer_undelivered("c", "a1", T0 + 0.1, retry_after=2.0)
    assert [d.cause for d in of(OfferCancelled, out)] == [CancelCause.UNDELIVERED]
    assert not of(Offer, out)  # not straight back to the same agent
    assert router.store.agent("a1").presence.missed_in_row == 0
    assert offer_in(router.tick(T0 + 2.2)).agent_id == "a1"


def test_a_resumed_contact_keeps_its_place_ahead_of_later_ones() -> None:
    router = make_router()
    router.contact_arrived(contact("late"), T0 + 50)
    router.contact_arrived(contact("early"), T0 + 60, waiting_since=T0)
    assert router.store.route("early").arrived_at == T0
    assert offer_in(router.agent_login(agent("a1"), T0 + 61)).contact_id == "early"


def test_a_restored_contact_is_the_agents_again() -> None:
    router = make_router()
    out = router.contact_restored(contact("c"), agent("a1"), T0)
    assert not of(Offer, out)
    assert router.store.route("c").status == "active"
    assert router.store.agent("a1").presence.state == AgentState.BUSY
    ended = router.contact_ended("c", T0 + 5, "hangup")
    assert of(ContactEnded, ended)[0].agent_id == "a1"


def test_ended_contacts_leave_no_timers_behind_and_live_deadlines_still_fire():
    """Timers are never cancelled; the in-memory store drops those of ended contacts so a
    busy day does not hold every contact's 15-minute deadline (what the GC walks)."""
    router = make_router()
    login(router, agent("ann"))
    router.contact_arrived(contact("waiting"), T0)  # ann takes it and keeps it
    router.offer_accepted("waiting", "ann", T0)
    router.contact_arrived(contact("long"), T0)  # waits: nobody else is logged in
    now = T0
    for i in range(20_000):  # each leaves a max-wait and a step timer, 600-900 s ahead
        now = T0 + 1 + i * 0.01
        router.contact_arrived(contact(f"c{i}"), now)
        router.contact_abandoned(f"c{i}", now)
        router.tick(now)
    timers = router.store._timers  # the heap itself: its size is what is at stake
    assert len(timers) < 10_000
    # The waiting contact's own deadlines survived the compactions: it overflows on time.
    out = router.tick(T0 + 600)
    assert [d.contact_id for d in of(ContactOverflowed, out)] == ["long"]
