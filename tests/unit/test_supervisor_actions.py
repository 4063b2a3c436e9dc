"""Supervisor actions in the pure router: an open offer withdrawn, a priority raised, a
waiting contact moved to another queue, a contact offered to a named agent."""

from __future__ import annotations

import pytest

from app.i18n import Names, render_message
from routing import (
    Agent,
    AgentState,
    AgentStateChanged,
    CancelCause,
    Contact,
    ContactEscalated,
    ContactNotWaiting,
    ContactQueued,
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
POLICY = {"rules": [{"name": "default", "steps": [{"target": "skilled"}]}]}
QUEUES = {
    "general": QueueConfig("general", skills=(("general", 1),), sla_seconds=20),
    "billing": QueueConfig("billing", skills=(("billing", 1),), sla_seconds=30),
}


def _router() -> Router:
    settings = RouterSettings(offer_timeout=15, reoffer_cooldown=60)
    router = Router(parse_policy(POLICY), QUEUES, settings=settings)
    for aid in ("ann", "ben"):
        router.agent_login(Agent(aid, aid.title(), skills={"general": 3}), T0)
    return router


def _offer(decisions: list[object]) -> Offer:
    (offer,) = [d for d in decisions if isinstance(d, Offer)]
    return offer


def test_a_withdrawn_offer_goes_to_someone_else_and_costs_the_agent_nothing() -> None:
    router = _router()
    first = _offer(router.contact_arrived(Contact("c", "voice", "general", T0), T0))
    out = router.offer_withdrawn("c", T0 + 5, by="Sue")
    cancel = out[0]
    assert isinstance(cancel, OfferCancelled)
    assert (cancel.contact_id, cancel.agent_id, cancel.cause) == (
        "c",
        first.agent_id,
        CancelCause.WITHDRAWN,
    )
    assert render_message(cancel.reason, "en", Names()) == "withdrawn by supervisor Sue"
    assert render_message(cancel.reason, "zh", Names()) == "主管 Sue 已收回该分配"
    other = _offer(out)
    assert other.agent_id != first.agent_id  # the first agent is skipped for the cool-down
    states = {d.agent_id: d for d in out if isinstance(d, AgentStateChanged)}
    assert states[first.agent_id].state is AgentState.AVAILABLE
    record = router.store.agent(first.agent_id)
    assert record is not None and record.presence.missed_in_row == 0


def test_nothing_to_withdraw_is_refused_and_changes_nothing() -> None:
    router = _router()
    router.agent_logout("ben", T0)
    router.agent_logout("ann", T0)
    router.contact_arrived(Contact("c", "voice", "general", T0), T0)
    with pytest.raises(OfferNotOpen):
        router.offer_withdrawn("c", T0 + 1, by="Sue")
    with pytest.raises(OfferNotOpen):
        router.offer_withdrawn("nobody", T0 + 1, by="Sue")
    route = router.store.route("c")
    assert route is not None and route.agent_id is None and not route.excluded


def test_a_raised_contact_is_served_before_those_that_waited_longer() -> None:
    router = _router()
    router.agent_logout("ann", T0)
    router.agent_logout("ben", T0)
    router.contact_arrived(Contact("old", "voice", "general", T0), T0)
    router.contact_arrived(Contact("new", "voice", "general", T0 + 10), T0 + 10)
    out = router.priority_raised("new", 50, T0 + 20, by="Sue")
    (escalated,) = [d for d in out if isinstance(d, ContactEscalated)]
    assert escalated.step == 1 and escalated.explanation.step == 1  # the step is unchanged
    assert render_message(escalated.explanation.reason, "en", Names()) == (
        "default: priority raised by 50 to 50 by supervisor Sue (step 1 of 1: any skilled agent)"
    )
    assert "主管 Sue 将优先级提高 50" in render_message(escalated.explanation.reason, "zh", Names())
    offer = _offer(router.agent_login(Agent("ann", "Ann", skills={"general": 3}), T0 + 30))
    assert offer.contact_id == "new"


def test_raising_is_refused_for_a_contact_in_hand_or_out_of_range() -> None:
    router = _router()
    offer = _offer(router.contact_arrived(Contact("c", "voice", "general", T0), T0))
    router.priority_raised("c", 5, T0 + 1, by="Sue")  # ringing: allowed, it stays offered
    router.offer_accepted("c", offer.agent_id, T0 + 2)
    with pytest.raises(ContactNotWaiting):
        router.priority_raised("c", 5, T0 + 3, by="Sue")
    for points in (0, -1, 1001):
        with pytest.raises(InvalidContact):
            router.priority_raised("c", points, T0 + 3, by="Sue")
    with pytest.raises(UnknownContact):
        router.priority_raised("gone", 5, T0 + 3, by="Sue")


def test_a_ringing_contact_moved_to_another_queue_loses_its_offer_and_waits_there() -> None:
    router = _router()
    first = _offer(router.contact_arrived(Contact("c", "voice", "general", T0), T0))
    out = router.contact_moved("c", "billing", T0 + 40, by="Sue")
    cancel, *rest = out
    assert isinstance(cancel, OfferCancelled) and cancel.cause is CancelCause.WITHDRAWN
    assert cancel.agent_id == first.agent_id
    (queued,) = [d for d in rest if isinstance(d, ContactQueued)]
    assert queued.queue == "billing"
    assert render_message(queued.explanation.reason, "en", Names()) == (
        "default: moved from general to billing by supervisor Sue (step 1 of 1: any skilled agent)"
    )
    assert not [d for d in rest if isinstance(d, Offer)]  # nobody here has billing
    route = router.store.route("c")
    assert route is not None and route.queue == "billing" and route.arrived_at == T0
    assert route.queue_entered_at == T0 + 40
    bill = Agent("bill", "Bill", skills={"billing": 2})
    assert _offer(router.agent_login(bill, T0 + 50)).contact_id == "c"


def test_moves_that_cannot_be_are_refused_and_change_nothing() -> None:
    router = _router()
    offer = _offer(router.contact_arrived(Contact("c", "voice", "general", T0), T0))
    for queue in ("nowhere", "general"):
        with pytest.raises(InvalidContact):
            router.contact_moved("c", queue, T0 + 1, by="Sue")
    assert router.store.offer("c") is not None  # still ringing
    router.offer_accepted("c", offer.agent_id, T0 + 2)
    with pytest.raises(ContactNotWaiting):
        router.contact_moved("c", "billing", T0 + 3, by="Sue")
    with pytest.raises(UnknownContact):
        router.contact_moved("gone", "billing", T0 + 3, by="Sue")


def test_a_supervisor_offers_a_waiting_contact_to_an_agent_the_step_does_not_include() -> None:
    router = _router()
    router.agent_logout("ann", T0)
    router.agent_logout("ben", T0)
    router.contact_arrived(Contact("c", "voice", "general", T0), T0)
    bill = Agent("bill", "Bill", skills={"billing": 2})  # not a general agent
    assert not [d for d in router.agent_login(bill, T0 + 1) if isinstance(d, Offer)]
    out = router.offer_directed("c", "bill", T0 + 5, by="Sue")
    offer = _offer(out)
    assert offer.agent_id == "bill" and offer.expires_at == T0 + 20
    assert render_message(offer.explanation.reason, "en", Names()) == (
        "default: offered to Bill by supervisor Sue (step 1 of 1: any skilled agent)"
    )
    assert router.store.offer("c") is not None


def test_a_ringing_contact_offered_to_another_agent_moves_its_offer() -> None:
    router = _router()
    first = _offer(router.contact_arrived(Contact("c", "voice", "general", T0), T0))
    other = "ben" if first.agent_id == "ann" else "ann"
    out = router.offer_directed("c", other, T0 + 3, by="Sue")
    cancel = out[0]
    assert isinstance(cancel, OfferCancelled) and cancel.cause is CancelCause.WITHDRAWN
    assert cancel.agent_id == first.agent_id
    assert _offer(out).agent_id == other
    record = router.store.agent(first.agent_id)
    assert record is not None and record.presence.missed_in_row == 0


def test_directed_offers_that_cannot_be_are_refused_and_change_nothing() -> None:
    router = _router()
    first = _offer(router.contact_arrived(Contact("c", "voice", "general", T0), T0))
    router.contact_arrived(Contact("d", "voice", "general", T0), T0)  # the other agent's
    busy = "ben" if first.agent_id == "ann" else "ann"
    with pytest.raises(IllegalTransition):  # ringing with "d": cannot take another call
        router.offer_directed("c", busy, T0 + 1, by="Sue")
    with pytest.raises(ContactNotWaiting):
        router.offer_directed("c", first.agent_id, T0 + 1, by="Sue")
    with pytest.raises(UnknownAgent):
        router.offer_directed("c", "nobody", T0 + 1, by="Sue")
    open_offer = router.store.offer("c")
    assert open_offer is not None and open_offer.agent_id == first.agent_id  # untouched
    router.offer_accepted("c", first.agent_id, T0 + 2)
    with pytest.raises(ContactNotWaiting):
        router.offer_directed("c", busy, T0 + 3, by="Sue")
