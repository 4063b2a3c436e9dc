"""The supervisor's projection of the event stream, against figures computed by hand."""

from __future__ import annotations

from typing import Any

import pytest

from app.events import Event
from app.supervisor.config import SupervisorConfig
from app.supervisor.floor import AgentInfo, CustomerFacts, DayContact, DayIndex, Floor, QueueInfo

CONFIG = SupervisorConfig()


class Script:
    """Events with consecutive sequence numbers, applied as the feed applies them."""

    def __init__(self, floor: Floor) -> None:
        self.floor = floor
        self.seq = 0

    def __call__(self, name: str, at: float, **data: Any) -> Any:
        self.seq += 1
        return self.floor.apply(Event(self.seq, name, at, data))


def _floor() -> tuple[Floor, Script]:
    floor = Floor(CONFIG)
    floor.new_day(0.0)
    floor.set_queue(QueueInfo("billing", "Billing", 30.0, ("billing",), CONFIG.targets(30.0, {})))
    floor.set_agent(AgentInfo("7", "Alice", skills={"billing": 2}), now=0.0)
    floor.set_agent(AgentInfo("8", "Bob", skills={"support": 2}), now=0.0)
    floor.learn(
        {
            1: CustomerFacts("Vip One", "vip", 1000.0),
            2: CustomerFacts("Plain Two", "ordinary", 50.0),
            3: CustomerFacts("Vip Three", "vip", 500.0),
            4: CustomerFacts("Key Four", "key", 200.0),
        }
    )
    return floor, Script(floor)


def _arrive(run: Script, cid: str, customer: int, at: float) -> None:
    run(
        "contact.arrived",
        at,
        contact_id=cid,
        customer_id=customer,
        channel="voice",
        queue="billing",
        source="api",
        external_id=None,
        created_at=at,
    )
    run(
        "contact.queued",
        at,
        contact_id=cid,
        queue="billing",
        priority=10.0,
        explanation={
            "rule": "vip",
            "step": 1,
            "steps": 3,
            "step_label": {"code": "label.preferred", "facts": {}},
            "priority": 10.0,
        },
    )


def _day(floor: Floor, run: Script) -> None:
    """c1 vip answered in 10 s (talk 60, wrap-up 20); c2 ordinary answered in 40 s (talk 60,
    wrap-up 10); c3 vip gone after 3 s (a short abandon); c4 key gone after 40 s."""
    run("agent.state_changed", 0.0, agent_id="7", state="available", reason=None)
    _arrive(run, "c1", 1, 0.0)
    _arrive(run, "c2", 2, 0.0)
    _arrive(run, "c3", 3, 5.0)
    run(
        "contact.ended",
        8.0,
        contact_id="c3",
        agent_id=None,
        abandoned=True,
        reason="abandoned",
        ended_by="customer",
        wrapup_until=None,
    )
    _arrive(run, "c4", 4, 10.0)
    run(
        "contact.offered",
        9.0,
        contact_id="c1",
        agent_id="7",
        channel="voice",
        expires_at=24.0,
        explanation={"rule": "vip", "step": 1, "steps": 3},
    )
    run("contact.assigned", 10.0, contact_id="c1", agent_id="7", waited=10.0)
    run("agent.state_changed", 10.0, agent_id="7", state="busy", reason=None)
    run(
        "contact.ended",
        50.0,
        contact_id="c4",
        agent_id=None,
        abandoned=True,
        reason="abandoned",
        ended_by="customer",
        wrapup_until=None,
    )
    run(
        "contact.ended",
        70.0,
        contact_id="c1",
        agent_id="7",
        abandoned=False,
        reason="completed",
        ended_by="agent",
        wrapup_until=100.0,
    )
    run("agent.state_changed", 70.0, agent_id="7", state="wrapup", reason=None)
    run("contact.wrapped_up", 90.0, contact_id="c1", agent_id="7", disposition="resolved")
    run("agent.state_changed", 90.0, agent_id="7", state="available", reason=None)
    run("contact.assigned", 40.0, contact_id="c2", agent_id="8", waited=40.0)
    run(
        "contact.ended",
        100.0,
        contact_id="c2",
        agent_id="8",
        abandoned=False,
        reason="completed",
        ended_by="agent",
        wrapup_until=130.0,
    )
    run("contact.wrapped_up", 110.0, contact_id="c2", agent_id="8", disposition="resolved")


def test_todays_figures_match_the_hand_computed_day() -> None:
    floor, run = _floor()
    _day(floor, run)
    today = floor.queue_view("billing", 100.0)["today"]
    assert (today["offered"], today["answered"], today["abandoned"]) == (4, 2, 2)
    assert today["short_abandoned"] == 1
    # Answered within target: c1 (10 s <= the VIP's 20 s); c2 waited 40 s > 30 s.
    # Counted: 2 answered + 1 abandoned after the 5 s threshold = 3.
    assert today["service_level"] == pytest.approx(1 / 3, abs=1e-4)
    assert today["asa_seconds"] == 25.0  # (10 + 40) / 2
    assert today["aht_seconds"] == 75.0  # ((60 + 20) + (60 + 10)) / 2
    assert today["abandon_rate"] == pytest.approx(1 / 3, abs=1e-4)
    grades = today["by_grade"]
    assert grades["vip"] == {
        "target_seconds": 20.0,
        "offered": 2,
        "answered": 1,
        "abandoned": 1,
        "service_level": 1.0,
    }
    assert (
        grades["ordinary"]["service_level"] == 0.0 and grades["ordinary"]["target_seconds"] == 30.0
    )
    assert grades["key"]["service_level"] == 0.0 and grades["key"]["target_seconds"] == 30.0


def test_value_at_risk_counts_vip_and_key_customers_with_their_lifetime_value() -> None:
    floor, run = _floor()
    _arrive(run, "w1", 1, 0.0)
    _arrive(run, "w2", 1, 1.0)  # the same customer twice: their value counts once
    _arrive(run, "w3", 2, 2.0)
    _arrive(run, "g4", 4, 3.0)
    run(
        "contact.ended",
        20.0,
        contact_id="g4",
        agent_id=None,
        abandoned=True,
        reason="abandoned",
        ended_by="customer",
        wrapup_until=None,
    )
    view = floor.queue_view("billing", 26.0)
    waiting = view["value_at_risk"]["waiting"]
    assert waiting == {
        "count": 2,
        "customers": 1,
        "value": 1000.0,
        "by_grade": {"vip": 2, "key": 0},
    }
    gone = view["value_at_risk"]["abandoned"]
    assert gone == {"count": 1, "customers": 1, "value": 200.0, "by_grade": {"vip": 0, "key": 1}}
    now = view["now"]
    assert now["waiting"] == 3 and now["waiting_by_grade"] == {"vip": 2, "ordinary": 1}
    assert now["oldest_since"] == 0.0 and now["oldest_vip_since"] == 0.0
    # At 26 s: both VIPs are past their 20 s target; the ordinary one (24 s) has reached
    # 80 % of its 30 s target.
    assert now["over_target"] == 2 and now["near_target"] == 1
    assert floor.abandoned(10)[0]["customer_name"] == "Key Four"


def test_agent_view_state_time_current_contact_aht_and_occupancy() -> None:
    floor, run = _floor()
    _day(floor, run)
    alice = floor.agent_view("7", 100.0)
    assert alice["state"] == "available" and alice["since"] == 90.0
    assert alice["contacts_today"] == 1 and alice["aht_seconds"] == 80.0
    # Handling 10..90 (busy 60 s, wrap-up 20 s) of 100 s logged in, no break.
    assert alice["occupancy"] == 0.8
    assert alice["contact"] is None and alice["queues"] == ["billing"]
    _arrive(run, "c9", 3, 100.0)
    run(
        "contact.offered",
        101.0,
        contact_id="c9",
        agent_id="7",
        channel="voice",
        expires_at=116.0,
        explanation={},
    )
    offered = floor.agent_view("7", 101.0)
    assert offered["contact"]["id"] == "c9" and offered["contact"]["grade"] == "vip"
    run(
        "contact.offer_cancelled",
        105.0,
        contact_id="c9",
        agent_id="7",
        cause="rejected",
        reason={"code": "rejected", "facts": {}},
    )
    assert floor.agent_view("7", 105.0)["contact"] is None
    assert floor.contacts["c9"].status == "queued"


def test_breaks_do_not_count_as_available_time() -> None:
    floor, run = _floor()
    run("agent.state_changed", 0.0, agent_id="7", state="available", reason=None)
    run("agent.state_changed", 10.0, agent_id="7", state="busy", reason=None)
    run("agent.state_changed", 30.0, agent_id="7", state="break", reason="lunch")
    view = floor.agent_view("7", 130.0)
    # Logged in 130 s, 100 of them on break: 20 s handling of 30 s available.
    assert view["occupancy"] == pytest.approx(0.6667, abs=1e-4)
    assert view["state"] == "break" and view["reason"] == "lunch"
    assert floor.queue_view("billing", 130.0)["now"]["agents"]["break"] == 1


def test_an_outcome_seeded_from_the_record_is_not_counted_twice_by_its_event() -> None:
    floor, run = _floor()
    floor.seed_outcome(DayContact("c1", "billing", 1, True, 10.0, 10.0, agent_id="7"))
    run("contact.assigned", 10.0, contact_id="c1", agent_id="7", waited=10.0)
    assert floor.queue_view("billing", 20.0)["today"]["answered"] == 1


def test_overflow_moves_a_waiting_contact_and_touches_both_queues() -> None:
    floor, run = _floor()
    floor.set_queue(QueueInfo("general", "General", 60.0))
    _arrive(run, "c1", 2, 0.0)
    touched = run(
        "contact.overflowed",
        30.0,
        contact_id="c1",
        from_queue="billing",
        to_queue="general",
        explanation={"rule": "default", "step": 2, "steps": 2},
    )
    assert touched.queues == {"billing", "general"}
    assert floor.queue_view("billing", 31.0)["now"]["waiting"] == 0
    general = floor.queue_view("general", 31.0)["now"]
    assert general["waiting"] == 1 and general["oldest_since"] == 0.0


def test_a_timed_out_contact_counts_as_abandoned_and_says_so() -> None:
    floor, run = _floor()
    _arrive(run, "c1", 4, 0.0)
    touched = run("contact.timed_out", 600.0, contact_id="c1", queue="billing", waited=600.0)
    assert touched.outcome is not None and touched.outcome.timed_out
    assert floor.queue_view("billing", 600.0)["today"]["abandoned"] == 1
    assert floor.abandoned(5)[0]["timed_out"] is True


def test_a_new_day_starts_the_figures_again_and_keeps_who_waits() -> None:
    floor, run = _floor()
    _day(floor, run)
    _arrive(run, "late", 1, 200.0)
    floor.new_day(86_400.0)
    view = floor.queue_view("billing", 86_410.0)
    assert view["today"]["offered"] == 0 and view["now"]["waiting"] == 1
    assert floor.agent_view("7", 86_410.0)["contacts_today"] == 0


def test_grade_targets_from_config_and_the_queues_own_never_longer_than_the_queue() -> None:
    assert CONFIG.targets(30.0, {}) == {"vip": 20.0, "key": 30.0}
    assert CONFIG.targets(15.0, {}) == {"vip": 15.0, "key": 15.0}
    own = CONFIG.targets(60.0, {"sla_by_grade": {"vip": 10, "small": 90, "bad": "x"}})
    assert own == {"vip": 10.0, "key": 30.0, "small": 60.0}


def test_the_days_index_by_agent_and_queue_follows_every_change() -> None:
    def outcome(cid: str, queue: str, agent: str | None, at: float) -> DayContact:
        return DayContact(cid, queue, None, agent is not None, 1.0, at, agent_id=agent)

    day = DayIndex()
    day["1"] = outcome("1", "sales", "7", 10.0)
    day["2"] = outcome("2", "sales", None, 11.0)  # abandoned: no agent
    day["3"] = outcome("3", "service", "7", 12.0)
    assert sorted(o.id for o in day.of_agent("7")) == ["1", "3"]
    assert sorted(o.id for o in day.of_queue("sales")) == ["1", "2"]
    day["1"] = outcome("1", "service", "8", 13.0)  # recorded again: the index moves with it
    assert [o.id for o in day.of_agent("7")] == ["3"] and [o.id for o in day.of_agent("8")] == ["1"]
    assert sorted(o.id for o in day.of_queue("service")) == ["1", "3"]
    later = DayIndex({k: v for k, v in day.items() if v.at >= 12.0})  # a new day's cut
    assert [o.id for o in later.of_queue("sales")] == [] and len(later.of_agent("7")) == 1


def test_a_rating_given_today_moves_the_agents_average_at_once() -> None:
    floor, run = _floor()
    _day(floor, run)
    assert floor.agent_view("7", 100.0)["average_rating"] is None
    touched = run("contact.rated", 120.0, contact_id="c1", agent_id="7", rating=4, by="ivr")
    assert touched.agents == {"7"} and touched.queues == {"billing"}
    assert floor.agent_view("7", 120.0)["average_rating"] == 4
    # A chat's rating (chat.rated) counts the same way; a contact not of today is ignored.
    run("chat.rated", 130.0, contact_id="c2", agent_id="8", rating=2, conversation_id="x")
    assert floor.agent_view("8", 130.0)["average_rating"] == 2
    assert run("contact.rated", 140.0, contact_id="old", rating=5).agents == frozenset()


def test_the_waiting_list_follows_offers_cancellations_answers_and_endings() -> None:
    floor, run = _floor()
    for n, cid in enumerate(("c1", "c2", "c3")):
        _arrive(run, cid, 2, float(n))
    run("contact.offered", 5.0, contact_id="c2", agent_id="7", explanation={})
    assert [c.id for c in floor.waiting("billing")] == ["c1", "c2", "c3"]  # offered still waits
    run("contact.assigned", 6.0, contact_id="c2", agent_id="7", waited=5.0)
    run("contact.offered", 7.0, contact_id="c1", agent_id="8", explanation={})
    run(
        "contact.offer_cancelled", 8.0, contact_id="c1", agent_id="8", cause="rejected", reason=None
    )
    run("contact.ended", 9.0, contact_id="c3", agent_id=None, abandoned=True, ended_by="customer")
    assert [c.id for c in floor.waiting()] == ["c1"]
    assert floor.waiting("billing")[0].status == "queued"
    assert floor.queue_view("billing", 10.0)["now"]["waiting"] == 1
