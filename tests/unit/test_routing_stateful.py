"""Property-based tests of the router (hypothesis), plain functions, no event loop.

The stateful machine drives a Router with random agents, contacts and answers and checks
after every step: no double assignment, no lost contact, capacity never exceeded, no free
eligible agent idling next to a waiting contact, a freed agent never passes over a
higher-priority contact (so a vip never waits behind a later ordinary one), escalation
steps fire at — not before, not after — their timeouts, max waits are honoured.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from agents.profile import Agent
from agents.state import IllegalTransition
from routing import (
    Contact,
    ContactAssigned,
    ContactEnded,
    ContactEscalated,
    ContactQueued,
    ContactTimedOut,
    Customer,
    Offer,
    OfferCancelled,
    OfferNotOpen,
    QueueConfig,
    Router,
    RouterSettings,
    UnknownAgent,
    parse_policy,
)
from routing.decisions import CancelCause
from routing.records import ContactStatus, Route

POLICY = {
    "aging": {"points_per_second": 0.5},
    "rules": [
        {
            "name": "vip",
            "when": {"grade": "vip"},
            "priority_boost": 40,
            "preferred": ["account_manager"],
            "steps": [
                {"target": "preferred", "timeout": 10},
                {"target": "senior", "timeout": 10},
                {"target": "skilled", "timeout": 20},
                {"target": "overflow"},
            ],
        },
        {
            "name": "complaint",
            "when": {"open_complaint": True},
            "priority_boost": 20,
            "preferred": ["complaint_owner"],
            "steps": [
                {"target": "preferred", "timeout": 8},
                {"target": "skilled", "skills": {"complaints": 1}, "timeout": 15},
                {"target": "skilled", "skills": "queue"},
            ],
        },
        {
            "name": "repeat",
            "when": {"repeat_within_hours": 1},
            "preferred": ["last_agent"],
            "steps": [
                {"target": "preferred", "timeout": 5},
                {"target": "team", "team": "red", "timeout": 5},
                {"target": "skilled"},
            ],
        },
        {
            "name": "default",
            "steps": [{"target": "skilled", "timeout": 30}, {"target": "overflow"}],
        },
    ],
}
QUEUES = [
    QueueConfig("general", (("general", 1),), max_wait_seconds=120, overflow="spill"),
    QueueConfig("billing", (("billing", 2),), max_wait_seconds=90, overflow="general"),
    QueueConfig("spill", (), max_wait_seconds=200),
]
SETTINGS = RouterSettings(
    offer_timeout=5,
    max_missed_offers=2,
    reoffer_cooldown=3,
    wrapup_seconds=4,
    wrapup_max_seconds=10,
)
AGENT_IDS = [f"a{i}" for i in range(5)]
T0 = 10_000.0

agent_ids = st.sampled_from(AGENT_IDS)
profiles = st.builds(
    lambda skills, senior, team, channels, chats, de: (skills, senior, team, channels, chats, de),
    st.dictionaries(st.sampled_from(["general", "billing", "complaints"]), st.integers(1, 5)).map(
        lambda skills: {"general": 1, **skills}
    )
    | st.dictionaries(st.sampled_from(["billing", "complaints"]), st.integers(1, 5)),
    st.booleans(),
    st.sampled_from([None, "red", "blue"]),
    st.sampled_from([("voice",), ("chat",), ("voice", "chat")]),
    st.integers(0, 2),
    st.booleans(),
)


class RouterMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.router = Router(parse_policy(POLICY), QUEUES, settings=SETTINGS)
        self.store = self.router.store
        self.now = T0
        self.n = 0
        self.status: dict[str, str] = {}  # model of every contact ever arrived
        self.offers: dict[str, str] = {}  # contact -> agent, from decisions
        self.deadline: dict[str, float] = {}  # contact -> end of its current step
        self.declined: dict[tuple[str, str], float] = {}  # (contact, agent) -> skipped until

    # --- helpers --------------------------------------------------------------------
    def feed(self, decisions: list) -> None:
        for d in decisions:
            if isinstance(d, ContactQueued):
                self.status.setdefault(d.contact_id, "queued")
            elif isinstance(d, Offer):
                assert d.contact_id not in self.offers, "contact offered twice"
                assert d.agent_id not in self.offers.values(), "agent holds two offers"
                assert d.explanation.reason and d.explanation.candidates
                skipped_until = self.declined.get((d.contact_id, d.agent_id), 0.0)
                assert self.now >= skipped_until, "re-offered to an agent that just declined"
                self.offers[d.contact_id] = d.agent_id
                self.status[d.contact_id] = "offered"
            elif isinstance(d, OfferCancelled):
                assert self.offers.pop(d.contact_id) == d.agent_id
                if d.cause in (CancelCause.REJECTED, CancelCause.EXPIRED):
                    until = self.now + SETTINGS.reoffer_cooldown
                    self.declined[(d.contact_id, d.agent_id)] = until
                self.status[d.contact_id] = "queued"
            elif isinstance(d, ContactAssigned):
                assert self.offers.pop(d.contact_id) == d.agent_id
                self.status[d.contact_id] = "active"
            elif isinstance(d, ContactEnded | ContactTimedOut):
                assert d.contact_id not in self.offers
                self.status[d.contact_id] = "ended"
        self.check_offers_went_to_the_best_contact(decisions)
        self.record_deadlines()

    def check_offers_went_to_the_best_contact(self, decisions: list) -> None:
        """The agent of every new offer was not eligible for any better waiting contact."""
        waiting = [r for r in self.store.routes() if r.status is ContactStatus.QUEUED]
        for offer in (d for d in decisions if isinstance(d, Offer)):
            chosen = self.store.route(offer.contact_id)
            if chosen is None or chosen.status is not ContactStatus.OFFERED:
                continue
            record = self.store.agent(offer.agent_id)
            before = record.presence._replace(offer=None, offer_channel=None)
            for other in waiting:
                if (other.sort_key, other.seq) >= (chosen.sort_key, chosen.seq):
                    continue
                if before.can_take(other.channel) and self.eligible(other, offer.agent_id):
                    vip = other.contact.customer.grade == "vip"
                    raise AssertionError(
                        f"{offer.agent_id} got {chosen.id} while better {other.id} waited"
                        + (" (a vip behind a later ordinary contact)" if vip else "")
                    )

    def eligible(self, route: Route, agent_id: str) -> bool:
        members = self.router.directory.members
        return not route.excludes(agent_id, self.now) and any(
            agent_id in members(pool) for pool in route.pools
        )

    def record_deadlines(self) -> None:
        self.deadline = {}
        for route in self.store.routes():
            if route.status is ContactStatus.ACTIVE:
                continue  # served: its escalation timers are void
            step = self.router.policy.rule(route.rule).steps[route.step]
            if step.timeout is not None and step.target != "overflow":
                self.deadline[route.id] = route.step_started_at + step.timeout

    def contacts(self, status: str) -> list[str]:
        return sorted(c for c, s in self.status.items() if s == status)

    def attempt(self, call, *args) -> None:
        """Run an agent request; a refusal must leave the live state untouched."""
        before = self.snapshot()
        try:
            self.feed(call(*args))
        except (IllegalTransition, UnknownAgent):
            assert self.snapshot() == before

    def snapshot(self):
        agents = {r.id: r.presence for r in self.store.agents()}
        routes = {r.id: (r.status, r.agent_id, r.step) for r in self.store.routes()}
        return agents, routes, dict(self.offers)

    # --- rules ----------------------------------------------------------------------
    @rule(agent_id=agent_ids, profile=profiles)
    def login(self, agent_id, profile):
        skills, senior, team, channels, chats, de = profile
        agent = Agent(
            agent_id,
            agent_id.upper(),
            skills=skills,
            senior=senior,
            team=team,
            channels=frozenset(channels),
            chat_capacity=chats,
            languages={"en", "de"} if de else {"en"},
        )
        self.attempt(self.router.agent_login, agent, self.now)

    @rule(agent_id=agent_ids, state=st.sampled_from(["available", "break", "offline"]))
    def set_state(self, agent_id, state):
        self.attempt(self.router.set_agent_state, agent_id, state, self.now, "lunch")

    @rule(agent_id=agent_ids)
    def wrapup_done(self, agent_id):
        self.attempt(self.router.wrapup_done, agent_id, self.now)

    @rule(agent_id=agent_ids, seconds=st.floats(0.5, 20))
    def extend_wrapup(self, agent_id, seconds):
        self.attempt(self.router.wrapup_extended, agent_id, self.now, seconds)

    @rule(
        channel=st.sampled_from(["voice", "voice", "chat"]),
        queue=st.sampled_from(["general", "general", "billing"]),
        grade=st.sampled_from([None, "ordinary", "vip"]),
        manager=st.none() | agent_ids,
        complaint_owner=st.none() | agent_ids,
        last_agent=st.none() | agent_ids,
        german=st.booleans(),
    )
    def arrive(self, channel, queue, grade, manager, complaint_owner, last_agent, german):
        self.n += 1
        customer = Customer(
            customer_id=f"cu{self.n}",
            grade=grade,
            account_manager_agent_id=manager,
            open_complaint_owner_id=complaint_owner,
            last_agent_id=last_agent,
            last_contact_at=self.now - 60 if last_agent else None,
        )
        contact = Contact(
            f"c{self.n}", channel, queue, self.now, customer, language="de" if german else None
        )
        self.feed(self.router.contact_arrived(contact, self.now))

    @precondition(lambda self: self.offers)
    @rule(i=st.integers(0, 50), accept=st.booleans())
    def answer(self, i, accept):
        contact_id = sorted(self.offers)[i % len(self.offers)]
        agent_id = self.offers[contact_id]
        if accept:
            self.feed(self.router.offer_accepted(contact_id, agent_id, self.now))
        else:
            self.feed(self.router.offer_rejected(contact_id, agent_id, self.now, "no"))

    @precondition(lambda self: self.contacts("ended"))
    @rule(i=st.integers(0, 50))
    def late_answer_is_refused(self, i):
        ended = self.contacts("ended")
        try:
            self.router.offer_accepted(ended[i % len(ended)], "a0", self.now)
        except OfferNotOpen:
            return
        raise AssertionError("accepted an offer for a contact that left routing")

    @precondition(lambda self: self.contacts("active"))
    @rule(i=st.integers(0, 50))
    def end(self, i):
        assigned = self.contacts("active")
        self.feed(self.router.contact_ended(assigned[i % len(assigned)], self.now))

    @precondition(lambda self: self.contacts("queued") or self.contacts("offered"))
    @rule(i=st.integers(0, 50))
    def abandon(self, i):
        pending = self.contacts("queued") + self.contacts("offered")
        contact_id = pending[i % len(pending)]
        out = self.router.contact_abandoned(contact_id, self.now)
        cancelled = [d for d in out if isinstance(d, OfferCancelled)]
        assert all(c.cause is CancelCause.ABANDONED for c in cancelled)
        self.feed(out)

    @rule(dt=st.floats(0.1, 25))
    def wait(self, dt):
        due = dict(self.deadline)
        self.now += dt
        out = self.router.tick(self.now)
        for d in out:
            if isinstance(d, ContactEscalated) and "no agent within" in d.explanation.reason:
                assert due[d.contact_id] <= self.now, "step escalated before its timeout"
        self.feed(out)

    # --- invariants -----------------------------------------------------------------
    @invariant()
    def model_matches_store(self):
        for contact_id, status in self.status.items():
            route = self.store.route(contact_id)
            if status == "ended":
                assert route is None
            else:
                assert route is not None, f"{contact_id} lost"
                assert route.status == status
        store_offers = {o.contact_id: o.agent_id for o in self.store.offers()}
        assert store_offers == self.offers

    @invariant()
    def offers_are_exclusive_and_consistent(self):
        for offer in self.store.offers():
            route = self.store.route(offer.contact_id)
            assert route.status is ContactStatus.OFFERED and route.agent_id == offer.agent_id
            assert self.store.agent(offer.agent_id).presence.offer == offer.contact_id
        for record in self.store.agents():
            if record.presence.offer is not None:
                assert self.store.offer(record.presence.offer).agent_id == record.id

    @invariant()
    def wrapup_never_passes_its_maximum(self):
        for record in self.store.agents():
            p = record.presence
            if p.wrapup_until is not None:
                assert p.state == "wrapup"
                assert p.wrapup_until <= p.wrapup_started + SETTINGS.wrapup_max_seconds

    @invariant()
    def capacity_never_exceeded(self):
        held: dict[str, list[str]] = {}
        for route in self.store.routes():
            if route.status is ContactStatus.ACTIVE:
                held.setdefault(route.agent_id, []).append(route.channel)
        for record in self.store.agents():
            p = record.presence
            mine = held.get(record.id, [])
            assert (p.voice, p.chats) == (mine.count("voice"), mine.count("chat"))
            assert p.voice <= p.voice_capacity <= 1
            assert not (p.voice and p.chats)
            assert p.chats <= p.chat_capacity
            if p.offer_channel == "voice":  # an offer must fit next to what is held
                assert p.voice == 0 and p.chats == 0 and p.voice_capacity == 1
            elif p.offer_channel == "chat":
                assert p.voice == 0 and p.chats < p.chat_capacity

    @invariant()
    def no_free_eligible_agent_idles_next_to_a_waiting_contact(self):
        for route in self.store.routes():
            if route.status is not ContactStatus.QUEUED:
                continue
            assert route.id in self.store._queued  # really in its pools
            for record in self.store.agents():
                if record.presence.can_take(route.channel):
                    assert not self.eligible(route, record.id), (
                        f"{record.id} idles while {route.id} waits"
                    )

    @invariant()
    def no_step_or_max_wait_overdue(self):
        for contact_id, deadline in self.deadline.items():
            assert deadline > self.now, f"{contact_id} stuck past its step timeout"
        for route in self.store.routes():
            max_wait = self.router.queues[route.queue].max_wait_seconds
            if route.status is ContactStatus.QUEUED and max_wait is not None:
                assert route.queue_entered_at + max_wait > self.now


RouterMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestRouterStateful = RouterMachine.TestCase


# --- aging prevents starvation ----------------------------------------------------------


def simulate_ordinary_vs_vip_stream(boost, rate, gap, service, horizon):
    """One agent; an ordinary contact waits while vips keep arriving every ``gap`` s and
    each takes ``service`` s. Returns when the ordinary contact was offered (or None)."""
    policy = parse_policy(
        {
            "aging": {"points_per_second": rate},
            "rules": [{"name": "vip", "when": {"grade": "vip"}, "priority_boost": boost}],
        }
    )
    router = Router(
        policy,
        [QueueConfig("q", (("q", 1),))],
        settings=RouterSettings(wrapup_seconds=0, offer_timeout=1e9),
    )
    router.agent_login(Agent("a", "A", skills={"q": 1}), T0)
    now, n = T0, 0

    def arrive(cid, grade):
        return router.contact_arrived(Contact(cid, "voice", "q", now, Customer(grade=grade)), now)

    pending = [d for d in arrive("v0", "vip") if isinstance(d, Offer)]
    pending += [d for d in arrive("old", "ordinary") if isinstance(d, Offer)]
    next_vip, free_at, serving = T0 + gap, None, None
    while now < T0 + horizon:
        for offer in pending:
            if offer.contact_id == "old":
                return now - T0
            router.offer_accepted(offer.contact_id, "a", now)
            serving, free_at = offer.contact_id, now + service
        pending = []
        now = min(next_vip, free_at if free_at is not None else next_vip)
        if now == free_at:
            pending = [d for d in router.contact_ended(serving, now) if isinstance(d, Offer)]
            free_at = None
        else:
            n += 1
            pending = [d for d in arrive(f"v{n}", "vip") if isinstance(d, Offer)]
            next_vip += gap
    return None


@settings(max_examples=40, deadline=None)
@given(
    boost=st.floats(5, 100),
    rate=st.floats(0.2, 2),
    gap=st.floats(2, 20),
    service=st.floats(1, 30),
)
def test_aging_prevents_starvation(boost, rate, gap, service):
    # Vips that arrive more than boost/rate after the ordinary contact can never outrank
    # it, so it waits at most for those earlier vips plus the call in progress.
    threshold = boost / rate
    earlier_vips = threshold / gap + 2
    bound = threshold + (earlier_vips + 1) * service
    waited = simulate_ordinary_vs_vip_stream(boost, rate, gap, service, horizon=bound + 1)
    assert waited is not None and waited <= bound


def test_without_aging_a_vip_stream_starves_ordinary_contacts():
    assert simulate_ordinary_vs_vip_stream(50, 0.0, gap=5, service=10, horizon=5000) is None
