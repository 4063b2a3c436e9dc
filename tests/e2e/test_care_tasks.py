"""Care and win-back tasks end to end over real websockets, on a fake clock: the rules make
tasks (once per occasion), contact discipline holds them back and lets them go, routing
offers them like contacts, and their wrap-up records the outcome (docs/care.md)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from app.care.service import CareService
from app.contacts.scheduled_callbacks import ScheduledCallbacks
from app.customers.valuation import regrade_customer
from app.db.models import (
    Agent,
    CareTask,
    Complaint,
    Customer,
    CustomerValueRow,
    Interaction,
    Promise,
    Transaction,
)
from app.events.runner import start_subscriber
from config.settings import Settings
from tests.agent_client import AgentClient
from tests.conftest import LiveServer, add_agent, make_settings
from tests.e2e.test_scheduled_callbacks import promise_callback

NOW = time.time()
DAY = 86400.0
# Each test runs on one database (the suite's time is short), the two sharing the SQL: the
# rules' facts, discipline and the release on SQLite (open complaint, cap), the grading
# feedback and callbacks on PostgreSQL.
ONE_BACKEND = {"postgres": pytest.mark.parametrize("db_url", ["postgres"], indirect=True),
               "sqlite": pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)}  # fmt: skip


@pytest.fixture
async def live_settings(db_url: str, tmp_path: Path) -> Settings:
    # The app's own care passes stay off: each test drives its own on a fake clock.
    return make_settings(db_url, tmp_path, care_enabled=False)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


async def setup(live: LiveServer, **cap: Any) -> tuple[CareService, Clock, int]:
    """The care queue, alice (agent) and a care service on a fake clock."""
    r = await live.request(
        "POST", "/api/queues", json={"name": "care", "display_name": "Care", "skills": ["service"]}
    )
    assert r.status_code == 201, r.text
    hotline = live.app.state.hotline
    config = hotline.care.config
    if cap:
        config = config.model_copy(update={"cap": config.cap.model_copy(update=cap)})
    clock = Clock()
    async with live.uow() as uow:
        alice = await uow.session.scalar(select(Agent.id).where(Agent.username == "alice"))
    return CareService(hotline.contacts, hotline.uow, config, clock), clock, int(alice)


async def customer(
    live: LiveServer,
    *,
    grade: str = "ordinary",
    lifecycle: str = "stable",
    manager: int | None = None,
    **fields: Any,
) -> int:
    reason = {"code": "test", "facts": {}}
    async with live.uow() as uow:
        c = Customer(name="Wang Fang", language="zh", account_manager_id=manager, **fields)
        uow.session.add(c)
        await uow.session.flush()
        uow.session.add(
            CustomerValueRow(
                customer_id=c.id, grade=grade, grade_reason=reason, computed_grade=grade,
                base_size=10, value_12m=0.0, r=1, f=1, m=1, rfm_reason=reason, clv=0.0,
                clv_reason=reason, lifecycle=lifecycle, lifecycle_reason=reason,
                churn_risk=0.2, churn_reason=reason, computed_at=datetime.now(UTC),
            )
        )  # fmt: skip
        return c.id


async def complaint(live: LiveServer, customer_id: int, status: str, at: float) -> int:
    when = datetime.fromtimestamp(at, UTC)
    async with live.uow() as uow:
        row = Complaint(
            customer_id=customer_id, category="billing", severity="medium",
            description="charged twice", status=status, due_at=when + timedelta(days=1),
            resolved_at=when if status in ("resolved", "closed") else None, created_at=when,
        )  # fmt: skip
        uow.session.add(row)
        await uow.session.flush()
        return row.id


async def tasks(live: LiveServer, status: str, lang: str = "en") -> list[dict[str, Any]]:
    r = await live.request("GET", f"/api/care/tasks?status={status}&lang={lang}", as_="super")
    assert r.status_code == 200, r.text
    return r.json()


async def into_wrapup(alice: AgentClient, contact_id: str) -> None:
    """alice accepts the task and ends it: she is in its wrap-up."""
    await alice.send("offer.accept", contact_id=contact_id)
    await alice.expect("contact.assigned")
    await alice.send("contact.end", contact_id=contact_id)
    await alice.expect("state", state="wrapup")


async def work(alice: AgentClient, contact_id: str, **outcome: Any) -> None:
    """alice accepts the task, ends it and wraps it up with ``outcome``."""
    await into_wrapup(alice, contact_id)
    await alice.send("wrapup", contact_id=contact_id, disposition="resolved", task_outcome=outcome)
    await alice.expect("wrapup.saved", contact_id=contact_id)


@ONE_BACKEND["postgres"]
async def test_a_declining_customer_gets_a_win_back_task_offered_to_their_account_manager(
    live: LiveServer,
) -> None:
    care, _, alice_id = await setup(live)
    await add_agent(live.uow, "bob", "agent", skills={"service": 5})
    bob = await AgentClient(live, "bob").connect()
    await bob.available()  # better skilled, but not the manager
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    cid = await customer(live, grade="key", lifecycle="decline", manager=alice_id)
    async with live.uow() as uow:  # bought 400 and 320 days ago: silent for 4x the interval
        for days in (400, 320):
            when = datetime.fromtimestamp(NOW - days * DAY, UTC)
            uow.session.add(Transaction(customer_id=cid, amount=Decimal("900"), occurred_at=when))

    # Silent for four times their usual interval: the check-in fires as well as the win-back.
    assert await care.scan() == 2
    assert await care.scan() == 0  # once per customer per occasion
    assert {t["kind"] for t in await tasks(live, "held")} == {"win_back", "check_in"}
    hotline = live.app.state.hotline
    async with live.uow() as uow:  # this test follows the win-back: the check-in is done
        await uow.session.execute(
            update(CareTask).where(CareTask.kind == "check_in").values(status="done")
        )
    (contact_id,) = await care.release()
    offer = await alice.expect("offer")
    contact = offer["contact"]
    assert contact["id"] == contact_id and contact["channel"] == "task"
    attributes = contact["attributes"]
    assert attributes["care_kind"] == "win_back" and attributes["care_purpose"] == "sales"
    assert attributes["care_text_zh"].startswith("挽回客户")
    assert offer["customer"]["customer"]["id"] == cid
    assert offer["explanation"]["candidates"][0]["preferred_as"] == "account manager"
    await bob.nothing("offer", wait=0.2)

    await into_wrapup(alice, contact_id)
    # A reason code care.yaml does not list: refused, nothing saved.
    await alice.send(
        "wrapup", contact_id=contact_id, disposition="resolved",
        task_outcome={"drift_reason": "weather"},
    )  # fmt: skip
    error = await alice.expect("error")
    assert "weather" in error["detail"]
    await alice.send(
        "wrapup", contact_id=contact_id, disposition="sale",
        task_outcome={"drift_reason": "price", "offer": "10% off a year", "won_back": True},
    )  # fmt: skip
    await alice.expect("wrapup.saved", contact_id=contact_id)
    (done,) = [t for t in await tasks(live, "done") if t["kind"] == "win_back"]
    assert done["contact_id"] == contact_id and done["customer_id"] == cid
    assert done["outcome"]["drift_reason"] == "price" and done["outcome"]["won_back"] is True
    # The next regrade sees the customer won back: formation, no longer decline.
    async with live.uow() as uow:
        await regrade_customer(uow, hotline.valuation, cid)
    async with live.uow() as uow:
        graded = await uow.session.get(CustomerValueRow, cid)
        assert graded is not None and graded.lifecycle == "formation"
        assert graded.lifecycle_reason["code"] == "stage.won_back"
    await alice.close()
    await bob.close()


@ONE_BACKEND["sqlite"]
async def test_an_outcome_and_a_promise_only_in_the_draft_are_recorded_when_the_server_saves_it(
    live: LiveServer,
) -> None:
    """The agent typed the win-back's outcome and a promise, then went available without
    saving: the server saves the draft, outcome and promise included (they were typed, not
    lost with the form)."""
    care, _, alice_id = await setup(live)
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    cid = await customer(live, grade="key", lifecycle="decline", manager=alice_id)
    async with live.uow() as uow:  # bought 400 and 320 days ago: declining and silent
        for days in (400, 320):
            when = datetime.fromtimestamp(NOW - days * DAY, UTC)
            uow.session.add(Transaction(customer_id=cid, amount=Decimal("900"), occurred_at=when))
    assert await care.scan() == 2
    async with live.uow() as uow:  # this test follows the win-back
        await uow.session.execute(
            update(CareTask).where(CareTask.kind == "check_in").values(status="done")
        )
    (contact_id,) = await care.release()
    await alice.expect("offer")
    await into_wrapup(alice, contact_id)
    due = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat()
    task = {"reached": True, "drift_reason": "price", "offer": "10% off", "won_back": True,
            "satisfied": ""}  # fmt: skip
    promise = {"on": True, "text": "Send the new price list", "due_at": due}
    await alice.send(
        "wrapup.draft", contact_id=contact_id, disposition="sale", notes="agreed",
        task=task, promise=promise,
    )  # fmt: skip
    await alice.expect("wrapup.draft_saved", contact_id=contact_id)
    # A console opened again (it takes over) gets the draft back whole, to fill the form.
    alice = await AgentClient(live, "alice").connect()
    ended = await alice.expect("contact.ended", contact_id=contact_id)
    assert ended["draft"]["task"] == task and ended["draft"]["promise"] == promise

    await alice.send("state.set", state="available")  # without saving the wrap-up
    saved = await alice.expect("wrapup.saved", contact_id=contact_id)
    assert saved["auto"] is True and saved["left_out"] == []
    (done,) = [t for t in await tasks(live, "done") if t["kind"] == "win_back"]
    assert done["outcome"]["recorded"] is True and done["outcome"]["won_back"] is True
    assert done["outcome"]["drift_reason"] == "price" and done["outcome"]["offer"] == "10% off"
    async with live.uow() as uow:
        (made,) = (await uow.session.scalars(select(Promise))).all()
    assert made.text == "Send the new price list" and made.customer_id == cid
    assert made.interaction_id == int(contact_id) and made.owner_id == alice_id
    await alice.close()


@ONE_BACKEND["sqlite"]
async def test_an_unfinished_outcome_in_the_draft_is_left_out_not_guessed(
    live: LiveServer,
) -> None:
    care, clock, _ = await setup(live)
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    cid = await customer(live)
    await complaint(live, cid, "closed", NOW)
    clock.now = NOW + 3 * DAY + 60
    assert await care.scan() == 1
    (contact_id,) = await care.release()
    await alice.expect("offer")
    await into_wrapup(alice, contact_id)
    # Reached, but "satisfied?" not answered; a promise without its text.
    await alice.send(
        "wrapup.draft", contact_id=contact_id, disposition="resolved",
        task={"reached": True}, promise={"on": True, "text": " "},
    )  # fmt: skip
    await alice.expect("wrapup.draft_saved", contact_id=contact_id)
    await alice.send("state.set", state="available")
    saved = await alice.expect("wrapup.saved", contact_id=contact_id)
    assert sorted(saved["left_out"]) == ["promise", "task_outcome"]
    (done,) = await tasks(live, "done")
    assert done["outcome"] == {"recorded": False}  # unrecorded, not a guessed answer
    async with live.uow() as uow:
        assert (await uow.session.scalars(select(Promise))).all() == []
    await alice.close()


@ONE_BACKEND["postgres"]
async def test_a_closed_complaint_gets_a_follow_up_after_n_days(live: LiveServer) -> None:
    care, clock, _ = await setup(live)
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    cid = await customer(live)
    await complaint(live, cid, "closed", NOW)

    clock.now = NOW + 2 * DAY  # care.yaml: three days after it closed
    assert await care.scan() == 0
    clock.now = NOW + 3 * DAY + 60
    assert await care.scan() == 1
    (contact_id,) = await care.release()
    offer = await alice.expect("offer")
    assert offer["contact"]["attributes"]["care_kind"] == "follow_up"
    await work(alice, contact_id, satisfied=False)
    # The answer is a rating on the record, counted like a survey's.
    await live.app.state.hotline.contacts.caught_up()
    async with live.uow() as uow:
        row = await uow.session.get(Interaction, int(contact_id))
        assert row is not None and row.rating == 2 and row.channel == "task"
    await alice.close()


@ONE_BACKEND["sqlite"]
async def test_an_open_complaint_holds_a_sales_task_until_it_closes(live: LiveServer) -> None:
    care, _, alice_id = await setup(live)
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    cid = await customer(live, grade="key", lifecycle="decline", manager=alice_id)
    complaint_id = await complaint(live, cid, "open", NOW)

    assert await care.scan() == 1
    assert await care.release() == []
    await alice.nothing("offer", wait=0.2)
    (held,) = await tasks(live, "held")
    assert held["hold_message"]["code"] == "care.held.open_complaint"
    assert held["hold"] == "waits: no selling while the customer's complaint is open"
    (held_zh,) = await tasks(live, "held", "zh")
    assert "投诉未解决" in held_zh["hold"] and held_zh["text"].startswith("挽回客户")

    # The complaint is resolved: its event re-checks the held task at once (no pass needed).
    bus = live.app.state.hotline.center.bus
    listening = start_subscriber(bus.subscribe("care-test"), care.handle)
    care.start()
    try:
        for action in ("acknowledge", "start", "resolve"):  # held until the last
            body = {"action": action, "note": "on it", "resolution": "refunded"}
            if action != "resolve":
                del body["resolution"]
            r = await live.request(
                "POST", f"/api/complaints/{complaint_id}/transitions", json=body, as_="super"
            )
            assert r.status_code == 200, r.text
            if action != "resolve":
                await alice.nothing("offer", wait=0.1)
        offer = await alice.expect("offer")
    finally:
        await care.stop()
        listening.cancel()
    assert offer["contact"]["attributes"]["care_kind"] == "win_back"
    (released,) = await tasks(live, "released")
    assert released["contact_id"] == offer["contact"]["id"]
    await alice.close()


@ONE_BACKEND["postgres"]
async def test_an_opt_out_holds_a_task_and_a_callback_back(live: LiveServer) -> None:
    care, _, alice_id = await setup(live)
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    opt_out = "do_not_call" if hasattr(Customer, "do_not_call") else "do_not_contact"
    cid = await customer(live, grade="key", manager=alice_id, **{opt_out: True})
    async with live.uow() as uow:  # a large purchase: a thank-you call
        uow.session.add(
            Transaction(customer_id=cid, amount=Decimal("25000"),
                        occurred_at=datetime.fromtimestamp(NOW - 3600, UTC))
        )  # fmt: skip
    assert await care.scan() == 1
    assert await care.release() == []
    (held,) = await tasks(live, "held")
    assert held["kind"] == "thank_you"
    assert held["hold_message"]["code"] == "care.held.do_not_call"
    await alice.nothing("offer", wait=0.2)
    async with live.uow() as uow:  # the customer lifts it
        await uow.session.execute(
            update(Customer).where(Customer.id == cid).values({opt_out: False})
        )
    assert len(await care.release()) == 1
    (offer,) = [await alice.expect("offer")]
    await work(alice, offer["contact"]["id"], reached=True)

    # A callback promised in wrap-up is held too while its customer opts out of calls.
    await live.request(
        "POST", "/api/queues", json={"name": "service", "display_name": "S", "skills": ["service"]}
    )
    due = datetime.now(UTC) + timedelta(hours=1)
    first = await promise_callback(live, alice, due)
    async with live.uow() as uow:
        caller = (await uow.session.get(Interaction, int(first))).customer_id  # type: ignore[union-attr]
        await uow.session.execute(
            update(Customer).where(Customer.id == caller).values({opt_out: True})
        )
    await alice.send("state.set", state="available")
    await alice.expect("state", state="available")
    hotline = live.app.state.hotline
    passes = ScheduledCallbacks(hotline.contacts, hotline.uow, lambda: due.timestamp() + 1)
    assert await passes.tick() == []
    await alice.nothing("offer", wait=0.2)
    async with live.uow() as uow:
        await uow.session.execute(
            update(Customer).where(Customer.id == caller).values({opt_out: False})
        )
    (made,) = await passes.tick()  # still due: made once the opt-out is lifted
    assert (await alice.expect("offer"))["contact"]["id"] == made
    await alice.close()


@ONE_BACKEND["sqlite"]
async def test_the_cap_on_outbound_contacts_holds_tasks_beyond_it(live: LiveServer) -> None:
    care, clock, alice_id = await setup(live, contacts=1, period_days=7)
    cid = await customer(live, grade="key", manager=alice_id)
    async with live.uow() as uow:  # two large purchases: two thank-you calls
        for hours in (1, 2):
            uow.session.add(
                Transaction(customer_id=cid, amount=Decimal("20000"),
                            occurred_at=datetime.fromtimestamp(NOW - hours * 3600, UTC))
            )  # fmt: skip
    assert await care.scan() == 2
    assert len(await care.release()) == 1
    (held,) = await tasks(live, "held")
    assert held["hold_message"] == {
        "code": "care.held.cap", "facts": {"count": 1, "cap": 1, "days": 7.0}
    }  # fmt: skip
    assert held["hold"] == "waits: 1 outbound contacts in 7 days already (the cap is 1)"
    assert await care.release() == []  # still within the period
    clock.now = NOW + 8 * DAY  # the first contact is out of the period now
    assert len(await care.release()) == 1
    assert await tasks(live, "held") == []
