"""The wallboard's charts through the day, its agents needed now (Erlang C) and its callback
marks, on the floor projection with times given by hand (no clock)."""

from __future__ import annotations

from typing import Any

from app.events import Event
from app.supervisor.config import SupervisorConfig
from app.supervisor.floor import AgentInfo, CustomerFacts, DayContact, Floor, QueueInfo
from app.supervisor.series import WaitPeaks

CONFIG = SupervisorConfig()
DAY = 1_000_000.0  # the day's start, as epoch seconds
Q = 900.0  # a bucket


class Script:
    def __init__(self, floor: Floor) -> None:
        self.floor = floor
        self.seq = 0

    def __call__(self, name: str, at: float, **data: Any) -> Any:
        self.seq += 1
        return self.floor.apply(Event(self.seq, name, at, data))


def _floor(sla: float = 30.0) -> tuple[Floor, Script]:
    floor = Floor(CONFIG)
    floor.new_day(DAY)
    floor.set_queue(QueueInfo("billing", "Billing", sla, ("billing",), CONFIG.targets(sla, {})))
    floor.set_agent(AgentInfo("7", "Alice", skills={"billing": 2}), now=DAY)
    floor.learn({1: CustomerFacts("Vip One", "vip", 1000.0), 2: CustomerFacts("Al", "ordinary")})
    return floor, Script(floor)


def _arrive(run: Script, cid: str, customer: int, at: float, **extra: Any) -> Any:
    data = {"source": "api", "external_id": None} | extra
    touched = run(
        "contact.arrived",
        at,
        contact_id=cid,
        customer_id=customer,
        channel="voice",
        queue="billing",
        created_at=at,
        **data,
    )
    run("contact.queued", at, contact_id=cid, queue="billing", priority=0.0)
    return touched


def _abandon(run: Script, cid: str, at: float) -> None:
    run("contact.ended", at, contact_id=cid, agent_id=None, abandoned=True, reason="abandoned")


def test_wait_peaks_keep_the_most_waiting_at_once_and_carry_the_level_through_quiet_buckets() -> (
    None
):
    peaks = WaitPeaks(DAY, Q)
    peaks.observe("q", DAY + 10, 1)
    peaks.observe("q", DAY + 20, 3)  # a burst inside the first quarter hour
    peaks.observe("q", DAY + 30, 2)
    peaks.observe("q", DAY + 3 * Q + 5, 0)  # nothing changed in buckets 1 and 2: 2 waited
    assert peaks.view("q", DAY + 5 * Q) == [3, 2, 2, 2, 0, 0]
    assert peaks.view("q", DAY) == [3]
    assert peaks.view("other", DAY + Q) == [0, 0]
    # A time before the day's start is the first bucket; the buckets stop after 25 hours.
    assert peaks.index(DAY - 50) == 0 and peaks.index(DAY + 40 * 3600) == 99


def test_wait_peaks_rebuilt_from_the_record_match_the_live_ones() -> None:
    live = WaitPeaks(DAY, Q)
    for at, count in ((100, 1), (200, 2), (950, 1), (1000, 0), (2000, 1)):
        live.observe("q", DAY + at, count)
    seeded = WaitPeaks(DAY, Q)
    # The same waits as (queue, from, until): one from 100 to 950, one from 200 to 1000, one
    # since 2000 still waiting; one that ended before the day began is not counted.
    seeded.seed(
        [
            ("q", DAY + 100, DAY + 950),
            ("q", DAY + 200, DAY + 1000),
            ("q", DAY + 2000, None),
            ("q", DAY - 500, DAY - 100),
        ],
        DAY + 2100,
    )
    # Two still waited when the second quarter hour began: its peak is 2.
    assert seeded.view("q", DAY + 2100) == live.view("q", DAY + 2100) == [2, 2, 1]
    assert seeded.level == live.level == {"q": 1}
    seeded.new_day(DAY + 86_400)  # the one still waiting waits on in the new day
    assert seeded.view("q", DAY + 86_400) == [1]


def test_the_queue_series_charts_waits_and_the_service_level_of_each_grade_by_bucket() -> None:
    floor, run = _floor()
    # Bucket 0: the VIP is answered in 10 s (within her 20 s), an ordinary caller after 50 s
    # (past the queue's 30 s). Bucket 2: the ordinary caller gives up after 60 s.
    _arrive(run, "c1", 1, DAY + 100)
    _arrive(run, "c2", 2, DAY + 100)
    run("contact.assigned", DAY + 110, contact_id="c1", agent_id="7", waited=10.0)
    run("contact.assigned", DAY + 150, contact_id="c2", agent_id="7", waited=50.0)
    _arrive(run, "c3", 2, DAY + 2 * Q + 10)
    _abandon(run, "c3", DAY + 2 * Q + 70)
    view = floor.queue_view("billing", DAY + 3 * Q + 1)
    series = view["series"]
    assert series["start"] == DAY and series["bucket_seconds"] == Q and series["first"] == 0
    assert series["waiting"] == [2, 0, 1, 0]
    # Standard service level: answered within target / (answered + abandoned after 5 s).
    assert series["service_level"] == [0.5, None, 0.0, None]
    assert series["by_grade"] == {
        "ordinary": [0.0, None, 0.0, None],
        "vip": [1.0, None, None, None],
    }
    # The chart and the day's figure count the same contacts.
    assert view["today"]["service_level"] == round(1 / 3, 4)


def test_agents_needed_now_by_erlang_c_from_the_last_half_hours_traffic() -> None:
    floor, _ = _floor(sla=20.0)
    now = DAY + 20_000
    # 100 contacts in the last 30 minutes, each handled in 150 s of talk and 30 of wrap-up:
    # 10 erlangs; 80 % within 20 s takes 14 agents (the textbook example).
    for i in range(100):
        at = now - 1790 + i * 17
        floor.seed_outcome(
            DayContact(f"r{i}", "billing", 2, True, 5.0, at, "7", 150.0, 30.0, at + 150.0)
        )
    # Earlier traffic does not count, but it would have changed the handle time.
    for i in range(50):
        at = now - 7200 + i
        floor.seed_outcome(
            DayContact(f"o{i}", "billing", 2, True, 5.0, at, "7", 600.0, 0.0, at + 600.0)
        )
    staffing = floor.queue_view("billing", now)["staffing"]
    assert staffing["offered"] == 100 and staffing["aht_seconds"] == 180.0
    assert staffing["traffic"] == 10.0 and staffing["agents_needed"] == 14
    assert staffing["logged_in"] == 0  # Alice has not signed in
    assert staffing["window_seconds"] == 1800.0


def test_agents_needed_with_no_traffic_or_no_handle_time_yet() -> None:
    floor, run = _floor()
    quiet = floor.queue_view("billing", DAY + 5000)["staffing"]
    assert quiet["offered"] == 0 and quiet["agents_needed"] == 0
    # One caller waits and nobody has been handled today: the handle time is unknown, and
    # so are the agents needed (not a guess).
    _arrive(run, "c1", 2, DAY + 5000)
    waiting = floor.queue_view("billing", DAY + 5010)["staffing"]
    assert waiting["offered"] == 1 and waiting["aht_seconds"] is None
    assert waiting["agents_needed"] is None


def test_a_callback_marks_the_abandoned_contact_it_calls_back() -> None:
    floor, run = _floor()
    _arrive(run, "c1", 1, DAY + 100)
    _abandon(run, "c1", DAY + 160)
    assert floor.abandoned(10)[0]["callback_id"] is None
    touched = _arrive(run, "c9", 1, DAY + 200, source="callback", external_id="c1")
    # The abandoned entry is sent again (now with its callback), beside the new contact.
    assert touched.contacts == frozenset({"c9", "c1"})
    assert floor.abandoned(10)[0] | {"at": 0} == floor.outcome_view(floor.day["c1"]) | {"at": 0}
    assert floor.outcome_view(floor.day["c1"])["callback_id"] == "c9"
    assert floor.contact_view(floor.contacts["c9"])["callback_of"] == "c1"
    # Another source's external id is not a callback.
    other = _arrive(run, "c10", 1, DAY + 300, source="pbx", external_id="c1")
    assert other.contacts == frozenset({"c10"})
    assert floor.callbacks == {"c1": "c9"}


def test_the_series_leaves_out_the_quiet_hours_before_the_first_traffic() -> None:
    floor, run = _floor()
    _arrive(run, "c1", 2, DAY + 8 * 3600 + 10)  # the first caller at 08:00
    series = floor.queue_view("billing", DAY + 8 * 3600 + Q + 5)["series"]
    assert series["first"] == 32 and series["waiting"] == [1, 1]
    assert series["service_level"] == [None, None] and series["by_grade"] == {}
    # Nobody yet today: only the current quarter hour is sent.
    quiet, _ = _floor()
    empty = quiet.queue_view("billing", DAY + 3 * Q)["series"]
    assert (empty["first"], empty["waiting"], empty["service_level"]) == (3, [0], [None])
