"""Selection order, pool eligibility, and the in-memory store's ordering."""

from __future__ import annotations

from agents.profile import Agent
from agents.state import Presence
from routing import Contact, Customer, InMemoryStore, QueueConfig, Router, parse_policy
from routing.pools import Pool, PoolDirectory
from routing.priority import effective_priority, static_key
from routing.records import AgentRecord, Route
from routing.selection import rank

T0 = 5_000.0


def record(agent_id: str, level: int = 3, idle: float = 0.0, today: int = 0, **kw) -> AgentRecord:
    load = {k: kw.pop(k) for k in ("voice", "chats") if k in kw}
    profile = Agent(agent_id, agent_id, skills=kw.pop("skills", {"general": level}), **kw)
    presence = Presence(logged_in=True, chat_capacity=2, idle_since=idle, **load)
    return AgentRecord(profile, presence, today)


def route(**kw) -> Route:
    c = Contact("c", "voice", "general", T0)
    defaults = dict(
        contact=c, queue="general", rule="r", step=0, steps=1, step_started_at=T0,
        arrived_at=T0, queue_entered_at=T0, enqueued_at=T0, base=0.0, sort_key=0.0, seq=1,
        skills=(("general", 1),),
    )  # fmt: skip
    return Route(**{**defaults, **kw})


def order(r: Route, *records: AgentRecord) -> list[str]:
    return [rec.profile.id for _, rec in rank(r, records, limit=10)]


def test_preferred_first_then_proficiency_then_idle_then_contacts_today_then_id():
    r = route(preferred={"pref": "account manager"})
    recs = [
        record("low-skill", 1, idle=0),
        record("pref", 1, idle=100),
        record("skilled-busy-today", 5, idle=10, today=9),
        record("skilled-idle-long", 5, idle=5, today=20),
        record("skilled-fresh", 5, idle=10, today=1),
        record("b-tie", 4, idle=10, today=1),
        record("a-tie", 4, idle=10, today=1),
    ]
    assert order(r, *recs) == [
        "pref",
        "skilled-idle-long",
        "skilled-fresh",
        "skilled-busy-today",
        "a-tie",
        "b-tie",
        "low-skill",
    ]


def test_proficiency_sums_the_required_skills():
    r = route(skills=(("billing", 1), ("general", 1)))
    a = record("a", skills={"billing": 5, "general": 1})
    b = record("b", skills={"billing": 3, "general": 4})
    assert order(r, a, b) == ["b", "a"]


def test_chat_agent_with_fewer_active_chats_counts_as_more_idle():
    r = route()
    assert order(r, record("two", idle=0, chats=2), record("one", idle=50, chats=1)) == [
        "one",
        "two",
    ]


def test_preferred_team_members_rank_first():
    r = route(preferred_teams=("gold",))
    assert order(r, record("x", 5), record("g", 1, team="gold")) == ["g", "x"]


def test_rank_limit_keeps_the_best():
    r = route()
    recs = [record(f"a{i}", 1 + i % 5, idle=i) for i in range(20)]
    top = rank(r, recs, limit=3)
    assert len(top) == 3 and top[0][1].profile.id == "a4"


def test_pool_admission():
    senior_de = Agent("s", "S", skills={"billing": 3}, languages={"de"}, senior=True, team="t")
    junior_en = Agent("j", "J", skills={"billing": 1}, languages={"en"}, channels={"voice"})
    skilled = Pool("voice", skills=(("billing", 2),))
    assert skilled.admits(senior_de) and not skilled.admits(junior_en)
    assert not Pool("voice", skills=(("billing", 1),), language="en", senior=True).admits(junior_en)
    assert Pool("voice", team="t").admits(senior_de)
    assert not Pool("chat").admits(junior_en)  # no chat channel
    assert Pool("voice", agent_id="j").admits(junior_en)  # preferred: skills not checked
    assert not Pool("voice", agent_id="j").admits(senior_de)


def test_directory_tracks_profile_changes():
    d = PoolDirectory([Agent("a", "A", skills={"x": 1})])
    pool = d.intern(Pool("voice", skills=(("x", 2),)))
    assert d.members(pool) == set()
    d.add_agent(Agent("a", "A", skills={"x": 3}))
    assert d.members(pool) == {"a"} and d.pools_of("a", "voice") == [pool]
    d.add_agent(Agent("a", "A", skills={"x": 1}))
    assert d.members(pool) == set() and d.pools_of("a", "voice") == []


def test_static_key_orders_like_effective_priority_at_any_time():
    rate = 0.25
    contacts = [(10.0, 100.0), (0.0, 50.0), (40.0, 220.0), (5.0, 60.0)]  # (base, enqueued)
    by_key = sorted(contacts, key=lambda c: static_key(c[0], c[1], rate))
    for now in (220.0, 500.0, 10_000.0):
        by_priority = sorted(contacts, key=lambda c: -effective_priority(c[0], c[1], rate, now))
        assert by_key == by_priority


def test_store_pool_order_and_lazy_removal():
    store = InMemoryStore()
    pool = Pool("voice")
    routes = [route(contact=Contact(f"c{i}", "voice", "q", T0), sort_key=k, seq=i, pools=(pool,))
              for i, k in enumerate([3.0, 1.0, 2.0, 1.0])]  # fmt: skip
    for r in routes:
        store.enqueue(r)
    assert list(store.waiting_in(pool)) == ["c1", "c3", "c2", "c0"]
    store.dequeue("c1")
    assert store.head(pool) == "c3"
    store.enqueue(routes[1])  # back again: same place (same key and seq)
    assert list(store.waiting_in(pool)) == ["c1", "c3", "c2", "c0"]
    store.delete_route("c2")
    assert list(store.waiting_in(pool)) == ["c1", "c3", "c0"]
    assert store.waiting_count() == 3


def test_store_compacts_stale_entries():
    store = InMemoryStore()
    pools = tuple(Pool("voice", team=f"t{i}") for i in range(3))
    for i in range(12_000):
        r = route(contact=Contact(f"c{i}", "voice", "q", T0), sort_key=float(i), seq=i, pools=pools)
        store.enqueue(r)
        if i % 4:
            store.dequeue(f"c{i}")
    assert store._size <= 2 * store._live + 10_000  # stale entries did not pile up
    assert store.head(pools[0]) == "c0"


def test_router_rebuilds_its_directory_from_an_existing_store():
    store = InMemoryStore()
    policy = parse_policy({"rules": []})
    queues = [QueueConfig("general", (("general", 1),))]
    first = Router(policy, queues, store)
    first.agent_login(Agent("a", "A", skills={"general": 1}), T0)
    second = Router(policy, queues, store)  # e.g. after a restart with a shared store
    out = second.contact_arrived(Contact("c", "voice", "general", T0, Customer()), T0)
    assert out[-2].agent_id == "a"
