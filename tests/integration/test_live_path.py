"""The live path on a fake clock: commands in, events out, the record written by the
projector — on PostgreSQL and SQLite, without sleeps and without sockets."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.auth.tokens import Principal
from app.contacts.commands import Accept, Arrive, End, SaveNotes
from app.contacts.console_config import load_console_config
from app.contacts.schemas import WrapupIn
from app.contacts.wiring import LivePath, build_live_path
from app.customers.valuation import Valuation, load_grading_config
from app.db.engine import make_engine, make_sessionmaker
from app.db.models import Customer, CustomerIdentity, Interaction, Queue
from app.db.repositories.interactions import InteractionRepository
from app.errors import Conflict
from app.events import Event
from app.events.runner import start_subscriber
from app.staff.service import get_agent
from config.settings import Settings
from tests.conftest import add_agent, make_settings


class Clock:
    """Time moves only when the test says so."""

    def __init__(self) -> None:
        self.t = time.time()

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class Center:
    """A live path built as the server builds it, on a fake clock, subscribers running."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.engine = make_engine(settings)
        self.live: LivePath
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> Center:
        console = load_console_config(self.settings.console_file)
        valuation = Valuation(load_grading_config(self.settings.grades_file))
        maker = make_sessionmaker(self.engine)
        self.live = await build_live_path(self.settings, maker, console, valuation, self.clock)
        self.tasks = self.live.start(ticker=False)
        return self

    async def stop(self) -> None:
        await self.settled()
        await self.live.presence.stop()
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.engine.dispose()

    @property
    def service(self) -> Any:
        return self.live.service

    @property
    def router(self) -> Any:
        return self.live.center.router

    async def settled(self) -> None:
        assert await self.live.projector.reached(self.live.center.bus.last_seq, timeout=10)

    async def tick(self, seconds: float) -> list[Event]:
        self.clock.advance(seconds)
        return await self.live.center.tick()

    def events(self, after: int = 0, name: str | None = None) -> list[Event]:
        found = self.live.center.bus.since(after) or []
        return [e for e in found if name is None or e.name == name]

    async def agent_available(self, agent_id: int) -> None:
        async with self.live.uow() as uow:
            agent = await get_agent(uow, agent_id)
        await self.live.presence.connected(agent)
        await self.live.presence.set_state(agent, "available", None)

    async def record(self, contact_id: str) -> Any:
        await self.settled()
        async with self.live.uow() as uow:
            return await InteractionRepository(uow.session).get(int(contact_id))


@pytest.fixture
async def world(db_url: str, tmp_path: Path) -> AsyncIterator[tuple[Settings, Clock]]:
    yield make_settings(db_url, tmp_path, agent_grace_seconds=3600), Clock()


@pytest.fixture
async def cc(world: tuple[Settings, Clock]) -> AsyncIterator[Center]:
    settings, clock = world
    center = await Center(settings, clock).start()
    async with center.live.uow() as uow:
        uow.session.add(Queue(name="service", display_name="Service", skills=["service"]))
    yield center
    await center.stop()


async def _agent(cc: Center, name: str = "alice", **fields: Any) -> int:
    return await add_agent(cc.live.uow, name, skills={"service": 3}, **fields)


def _arrive(**fields: Any) -> Arrive:
    base: dict[str, Any] = {"channel": "voice", "queue": "service", "from_": "+8613800000009"}
    return Arrive(**(base | fields))


async def test_offer_expiry_counts_a_miss_and_routes_again(cc: Center) -> None:
    alice = await _agent(cc)
    await cc.agent_available(alice)
    contact, created = await cc.service.arrive(_arrive())
    assert created and contact.live_status == "offered"
    start = cc.live.center.bus.last_seq
    timeout = cc.router.settings.offer_timeout
    assert await cc.tick(timeout - 0.5) == []  # not yet
    fired = await cc.tick(0.5)
    cancelled = [e for e in fired if e.name == "contact.offer_cancelled"]
    assert [e.data["cause"] for e in cancelled] == ["expired"]
    assert cc.router.store.agent(str(alice)).presence.missed_in_row == 1
    record = await cc.record(contact.id)
    assert record.status == "queued" and record.agent_id is None
    assert any(e.name == "agent.state_changed" for e in cc.events(start))


async def test_escalation_step_fires_on_time(cc: Center) -> None:
    # Nobody is logged in: the default rule's single step waits, then max wait ends it.
    contact, _ = await cc.service.arrive(_arrive())
    assert contact.live_status == "queued"
    max_wait = cc.router.queues["service"].max_wait_seconds
    assert await cc.tick(max_wait - 1) == []
    fired = await cc.tick(1)
    assert [e.name for e in fired] == ["contact.timed_out"]
    record = await cc.record(contact.id)
    assert record.status == "ended" and record.end_reason == "timed_out"


async def test_wrapup_ends_by_itself_after_its_time(cc: Center) -> None:
    alice = await _agent(cc)
    await cc.agent_available(alice)
    contact, _ = await cc.service.arrive(_arrive())
    await cc.service.accept(Accept(contact.id, alice))
    await cc.service.end(End(contact.id, "agent", "completed", alice))
    presence = cc.router.store.agent(str(alice)).presence
    assert presence.state == "wrapup"
    wrapup = cc.router.settings.wrapup_seconds
    assert await cc.tick(wrapup - 1) == []
    fired = await cc.tick(1)
    assert [e.data["state"] for e in fired if e.name == "agent.state_changed"] == ["available"]


async def test_accept_racing_expiry_exactly_one_wins(cc: Center) -> None:
    alice = await _agent(cc)
    await cc.agent_available(alice)
    contact, _ = await cc.service.arrive(_arrive())
    cc.clock.advance(cc.router.settings.offer_timeout)  # the offer is due to expire now
    accept = cc.service.accept(Accept(contact.id, alice))
    results = await asyncio.gather(accept, cc.live.center.tick(), return_exceptions=True)
    accepted = not isinstance(results[0], Exception)
    if not accepted:
        assert isinstance(results[0], Conflict)
    events = cc.events()
    assigned = [e for e in events if e.name == "contact.assigned"]
    expired = [e for e in events if e.name == "contact.offer_cancelled"]
    assert len(assigned) + len(expired) == 1
    assert bool(assigned) == accepted


async def test_a_repeated_arrival_is_the_same_contact(cc: Center) -> None:
    first, created = await cc.service.arrive(_arrive(source="pbx1", external_id="call-7"))
    again, created_again = await cc.service.arrive(_arrive(source="pbx1", external_id="call-7"))
    assert created and not created_again and again.id == first.id
    # Concurrent deliveries of a new arrival: one contact.
    results = await asyncio.gather(
        *(cc.service.arrive(_arrive(source="pbx1", external_id="call-8")) for _ in range(4))
    )
    assert len({r[0].id for r in results}) == 1
    assert sum(r[1] for r in results) == 1
    other, _ = await cc.service.arrive(_arrive(source="pbx2", external_id="call-7"))
    assert other.id != first.id
    assert cc.router.store.waiting_count() == 3  # three contacts, no agent: all waiting


async def test_a_refused_arrival_of_a_new_caller_leaves_no_customer_behind(cc: Center) -> None:
    # A known caller's arrival is one INSERT committed by itself; a new caller's customer,
    # identity and interaction go in one transaction: a refused interaction (the same
    # delivery again, from a number the record does not know) takes the others with it.
    first, _ = await cc.service.arrive(_arrive(source="pbx1", external_id="call-9"))
    again, created = await cc.service.arrive(
        _arrive(source="pbx1", external_id="call-9", from_="+8613900000077")
    )
    assert again.id == first.id and not created
    async with cc.live.uow() as uow:
        numbers = (await uow.session.execute(text("SELECT value FROM customer_identities"))).all()
    assert [n for (n,) in numbers] == ["+8613800000009"]
    known, created = await cc.service.arrive(_arrive(source="pbx1", external_id="call-10"))
    assert created and known.interaction.customer_id == first.interaction.customer_id


async def test_a_screen_pop_fault_is_not_a_missed_offer(cc: Center) -> None:
    alice = await _agent(cc)
    manager = await _agent(cc, "bob")
    async with cc.live.uow() as uow:
        customer = Customer(name="Zhou Min", account_manager_id=manager)
        uow.session.add(customer)
        await uow.session.flush()
        uow.session.add(
            CustomerIdentity(customer_id=customer.id, kind="phone", value="+8613800000009")
        )
    await cc.agent_available(alice)
    await cc.settled()
    # A real database fault that only the screen pop meets (it lists the customer's open
    # promises; routing reads the account manager, so the staff table would not do): the
    # promises table is gone for a moment.
    async with cc.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE promises RENAME TO promises_away"))
    try:
        await cc.service.arrive(_arrive())
        for _ in range(300):
            await asyncio.sleep(0.01)  # the notifier works in the background; no clock involved
            if cc.events(name="contact.offer_cancelled"):
                break
    finally:
        async with cc.engine.begin() as conn:
            await conn.execute(text("ALTER TABLE promises_away RENAME TO promises"))
    cancelled = cc.events(name="contact.offer_cancelled")
    assert [e.data["cause"] for e in cancelled] == ["undelivered"]
    presence = cc.router.store.agent(str(alice)).presence
    assert presence.missed_in_row == 0 and presence.state == "available"
    # The contact is still routed: to the same agent once the retry pause is over.
    fired = await cc.tick(2.0)
    assert [e.data["agent_id"] for e in fired if e.name == "contact.offered"] == [str(alice)]


class Console:
    """An agent's socket as the hub sees it: what it was sent, in order."""

    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []

    async def send_json(self, data: Any, mode: str = "text") -> None:
        self.got.append(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        pass


async def test_offers_made_together_each_pop_their_own_customer(cc: Center) -> None:
    # Screen pops of offers made at the same moment are built in one batch: each agent
    # must still see the customer of the contact offered to them.
    names = ["Zhou Min", "Li Na", "Wang Fang", "Chen Jie"]
    consoles: dict[int, Console] = {}
    for n, name in enumerate(names):
        agent = await _agent(cc, f"agent{n}")
        consoles[agent] = Console()
        cc.live.hub.attach(agent, consoles[agent])
        await cc.agent_available(agent)
        async with cc.live.uow() as uow:
            customer = Customer(name=name)
            uow.session.add(customer)
            await uow.session.flush()
            phone = f"+861380000010{n}"
            uow.session.add(CustomerIdentity(customer_id=customer.id, kind="phone", value=phone))
    arrived = await asyncio.gather(
        *(cc.service.arrive(_arrive(from_=f"+861380000010{n}")) for n in range(len(names)))
    )
    caller = {c.id: names[n] for n, (c, _) in enumerate(arrived)}
    offers: list[dict[str, Any]] = []
    for _ in range(500):  # the notifier works in the background; no clock involved
        await asyncio.sleep(0.01)
        offers = [m for c in consoles.values() for m in c.got if m["type"] == "offer"]
        if len(offers) == len(names):
            break
    assert sorted(caller[o["contact"]["id"]] for o in offers) == sorted(names)
    for offer in offers:
        assert offer["customer"]["customer"]["name"] == caller[offer["contact"]["id"]]
        assert offer["contact"]["from"] == offer["customer"]["customer"]["phones"][0]


async def _customer(cc: Center, name: str, phone: str = "+8613800000009", **fields: Any) -> int:
    async with cc.live.uow() as uow:
        customer = Customer(name=name, **fields)
        uow.session.add(customer)
        await uow.session.flush()
        uow.session.add(CustomerIdentity(customer_id=customer.id, kind="phone", value=phone))
        return customer.id


async def _offers(console: Console) -> list[dict[str, Any]]:
    offers: list[dict[str, Any]] = []
    for _ in range(500):  # the notifier works in the background; no clock involved
        offers = [m for m in console.got if m["type"] == "offer"]
        if offers:
            break
        await asyncio.sleep(0.01)
    return offers


async def test_a_screen_pop_names_the_account_manager_and_the_agents_of_past_contacts(
    cc: Center,
) -> None:
    alice = await _agent(cc)
    manager = await _agent(cc, "bob", display_name="Bob Li 李博")
    earlier = await _agent(cc, "carol", display_name="Carol Zhang 张卡")
    console = Console()
    cc.live.hub.attach(alice, console)
    customer_id = await _customer(cc, "Zhou Min", account_manager_id=manager)
    async with cc.live.uow() as uow:
        for agent, days in ((earlier, 9), (None, 5)):  # the latest was never answered
            uow.session.add(
                Interaction(
                    customer_id=customer_id,
                    channel="voice",
                    queue="service",
                    agent_id=agent,
                    status="ended",
                    created_at=datetime.now(UTC) - timedelta(days=days),
                )
            )
    await cc.agent_available(alice)
    contact, _ = await cc.service.arrive(_arrive())
    [offer] = await _offers(console)
    card = offer["customer"]
    assert card["account_manager"] == {"id": manager, "display_name": "Bob Li 李博", "team": None}
    past = [i for i in card["last_interactions"] if str(i["id"]) != contact.id]
    assert [(i["agent_id"], i["agent_name"]) for i in past] == [
        (None, None),
        (earlier, "Carol Zhang 张卡"),
    ]


async def test_restart_keeps_places_waits_and_notes(world: tuple[Settings, Clock]) -> None:
    settings, clock = world
    first = await Center(settings, clock).start()
    async with first.live.uow() as uow:
        uow.session.add(Queue(name="service", display_name="Service", skills=["service"]))
    alice = await _agent(first)
    a, _ = await first.service.arrive(_arrive(from_="+8613800000001", language="en", priority=5))
    clock.advance(3)
    b, _ = await first.service.arrive(_arrive(from_="+8613800000002"))
    await first.agent_available(alice)  # takes the higher-priority contact a
    await first.service.accept(Accept(a.id, alice))
    await first.service.save_notes(SaveNotes(a.id, alice, "customer wants a refund"))
    waiting_b = first.router.store.route(b.id)
    await first.stop()

    clock.advance(10)
    second = await Center(settings, clock).start()
    try:
        route_b = second.router.store.route(b.id)
        assert route_b.status == "queued"
        assert route_b.arrived_at == pytest.approx(waiting_b.arrived_at, abs=0.5)
        assert route_b.sort_key == pytest.approx(waiting_b.sort_key, abs=0.5)
        route_a = second.router.store.route(a.id)
        assert route_a.status == "active" and route_a.agent_id == str(alice)
        assert route_a.contact.language == "en" and route_a.contact.base_priority == 5
        record = await second.record(a.id)
        assert record.notes == "customer wants a refund"
        # The agent comes back, ends and wraps up the contact as usual.
        await second.agent_available(alice)
        await second.service.end(End(a.id, "agent", "completed", alice))
        await second.settled()
        principal = Principal(agent_id=alice, username="alice", role="agent")
        data = WrapupIn(contact_id=a.id, disposition="resolved", notes="refunded")
        await second.service.wrap_up(principal, data)
        record = await second.record(a.id)
        assert record.status == "ended" and record.notes == "refunded"
    finally:
        await second.stop()


async def test_a_wrap_up_writes_its_contacts_end_itself_when_the_projector_is_behind(
    cc: Center,
) -> None:
    """The wrap-up does not wait for the projector's next batch: it writes its contact's
    events itself, and the batch that later carries them finds them applied, and skips
    them (no event twice in the routing explanation)."""
    alice = await _agent(cc)
    await cc.agent_available(alice)
    projector_task = cc.tasks[0]  # the record's subscriber (first in LivePath.subscriptions)
    projector_task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await projector_task
    contact, _ = await cc.service.arrive(_arrive())
    await cc.service.accept(Accept(contact.id, alice))
    await cc.service.end(End(contact.id, "agent", "completed", alice))
    projector = cc.live.projector
    assert projector.committed < cc.live.center.bus.last_seq  # the record is behind

    principal = Principal(agent_id=alice, username="alice", role="agent")
    data = WrapupIn(contact_id=contact.id, disposition="resolved", notes="done")
    await asyncio.wait_for(cc.service.wrap_up(principal, data), 2)  # not the 5 s wait
    assert projector.committed < cc.live.center.bus.last_seq  # written by the wrap-up

    sub, handle, linger = cc.live.subscriptions[0]
    cc.tasks[0] = start_subscriber(sub, handle, linger=linger)
    record = await cc.record(contact.id)
    assert record.status == "ended" and record.disposition == "resolved"
    assert record.end_reason == "completed" and record.answered_at is not None
    kinds = [entry.get("event") for entry in record.routing_explanation]
    assert kinds.count("assigned") == 1 and kinds.count("ended") == 1, kinds


async def test_a_projection_read_before_another_writer_is_not_written_over(cc: Center) -> None:
    """The projector's write lands only over the row as it read it (compare and set)."""
    contact, _ = await cc.service.arrive(_arrive())
    await cc.settled()
    key = int(contact.id)
    async with cc.live.uow() as uow:
        stale = (await InteractionRepository(uow).projection_rows([key]))[key]
    async with cc.live.uow() as uow:
        repo = InteractionRepository(uow)
        fresh = (await repo.projection_rows([key]))[key]
        fresh |= {"status": "wrapup", "last_event_seq": fresh["last_event_seq"] + 1000}
        assert await repo.save_projection_row(fresh)
        stale |= {"status": "queued", "last_event_seq": stale["last_event_seq"] + 1}
        stale["explanation_added"] = [{"event": "stale"}]
        assert not await repo.save_projection_row(stale)
        await repo.save_projection([stale])
    record = await cc.record(contact.id)
    assert record.status == "wrapup"
    assert all(entry.get("event") != "stale" for entry in record.routing_explanation)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_record_is_written_in_batches_of_the_configured_linger(
    db_url: str, tmp_path: Path
) -> None:
    assert Settings().record_linger_ms == 100  # the default: ~100 ms of events a transaction
    settings = make_settings(db_url, tmp_path, record_linger_ms=250)
    center = await Center(settings, Clock()).start()
    try:
        lingers = {sub.name: linger for sub, _, linger in center.live.subscriptions}
        assert lingers["interactions"] == 0.25
        assert lingers["agent-notifier"] == 0.0  # sockets are never held back
    finally:
        await center.stop()
