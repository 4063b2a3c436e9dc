"""Promises, opt-outs, complaints' first answer and a leaving agent's reassignment, end to
end over real HTTP and websockets (issue 14, docs/promises.md). Escalation passes are driven
by hand on a fake clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.contacts.intake import routing_customer
from app.db.models import AuditEntry, Complaint, Customer, Interaction, Promise
from app.promises.escalation import PromiseEscalator
from tests.agent_client import AgentClient
from tests.conftest import LiveServer, add_agent
from tests.e2e.test_agent_flow import _contact, _setup
from tests.e2e.test_supervisor_feed import Wallboard
from tests.helpers import cheap_argon2  # noqa: F401  (autouse: logins cost little)

PHONE = "+8613800000099"


async def _customer(live: LiveServer, name: str = "Wang", **fields: Any) -> int:
    r = await live.request(
        "POST", "/api/customers", json={"name": name, "phones": [PHONE], **fields}
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def test_a_promise_made_in_wrap_up_shows_first_in_the_next_screen_pop(
    live: LiveServer,
) -> None:
    await _setup(live)
    customer_id = await _customer(live)
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    cid = (await _contact(live, PHONE))["id"]
    await alice.expect("offer")
    await alice.send("offer.accept", contact_id=cid)
    await alice.expect("contact.assigned")
    await alice.send("contact.end", contact_id=cid)
    await alice.expect("state", state="wrapup")
    now = datetime.now(UTC)
    later, sooner = now + timedelta(days=2), now + timedelta(hours=3)
    await alice.send(
        "wrapup",
        contact_id=cid,
        disposition="resolved",
        promises=[
            {"text": "send the refund form", "due_at": later.isoformat()},
            {"text": "confirm the repair date", "due_at": sooner.isoformat()},
        ],
    )
    await alice.expect("wrapup.saved", contact_id=cid)

    # Opt-outs: edited over the API, read back, shown in the screen pop.
    r = await live.request(
        "PATCH", f"/api/customers/{customer_id}", json={"do_not_call": True}, as_="alice"
    )
    assert r.status_code == 200, r.text
    r = await live.request("GET", f"/api/customers/{customer_id}", as_="alice")
    assert r.json()["do_not_call"] is True and r.json()["do_not_message"] is False
    r = await live.request(
        "PATCH", f"/api/customers/{customer_id}", json={"do_not_call": None}, as_="alice"
    )
    assert r.status_code == 422, r.text  # a flag is not cleared with null

    await alice.send("state.set", state="available")
    await alice.expect("state", state="available")
    second = (await _contact(live, PHONE))["id"]
    offer = await alice.expect("offer")
    assert offer["contact"]["id"] == second
    pop = offer["customer"]
    assert list(pop)[:2] == ["customer", "open_promises"]  # promises come first
    promises = pop["open_promises"]
    assert [p["text"] for p in promises] == ["confirm the repair date", "send the refund form"]
    first = promises[0]
    assert datetime.fromisoformat(first["due_at"]) == sooner.replace(microsecond=first_us(first))
    assert first["overdue"] is False and first["owner_name"] == "Alice"
    assert first["interaction_id"] == int(cid)
    assert pop["customer"]["do_not_call"] is True and pop["customer"]["do_not_message"] is False

    r = await live.request("GET", f"/api/customers/{customer_id}/promises", as_="alice")
    assert [p["status"] for p in r.json()] == ["open", "open"]
    await alice.close()


def first_us(promise: dict[str, Any]) -> int:
    # The record keeps microseconds on both databases; the pop shows them as stored.
    return datetime.fromisoformat(promise["due_at"]).microsecond


async def test_an_overdue_promise_escalates_once_to_the_wallboard_and_breaking_it_counts(
    live: LiveServer,
) -> None:
    await _setup(live)
    customer_id = await _customer(live)
    hotline = live.app.state.hotline
    now = time.time()
    due = datetime.fromtimestamp(now, UTC) + timedelta(hours=1)
    r = await live.request(
        "POST",
        f"/api/customers/{customer_id}/promises",
        json={"text": "call back with the quote", "due_at": due.isoformat()},
        as_="alice",
    )
    assert r.status_code == 201, r.text
    promise_id = r.json()["id"]
    r = await live.request(
        "POST",
        "/api/complaints",
        json={"customer_id": customer_id, "category": "billing", "description": "x"},
        as_="alice",
    )
    assert r.status_code == 201, r.text
    complaint = r.json()
    assert complaint["kind"] == "complaint" and complaint["first_answered_at"] is None

    board = await Wallboard(live).connect()
    snapshot = await board.expect("snapshot")
    assert snapshot["doctrine"]["overdue_promises"] == []

    clock = {"now": now}
    passes = PromiseEscalator(
        hotline.uow, lambda: clock["now"], after_pass=hotline.supervisor.refresh_doctrine
    )
    assert await passes.tick() == []  # not due yet
    clock["now"] = due.timestamp() + 25 * 3600  # a day past: the complaint is late too
    # A process that does not hold the cluster's lease escalates nothing, but refreshes its
    # own wallboards all the same.
    follower = PromiseEscalator(
        hotline.uow,
        lambda: clock["now"],
        after_pass=hotline.supervisor.refresh_doctrine,
        leads=lambda: False,
    )
    assert await follower.tick() == []
    seen = await board.expect("doctrine", lambda m: bool(m["overdue_promises"]))
    assert seen["overdue_promises"][0]["escalated"] is False
    assert await passes.tick() == [promise_id]
    assert await passes.tick() == []  # once
    panel = await board.expect(
        "doctrine", lambda m: any(p["escalated"] for p in m["overdue_promises"])
    )
    (item,) = panel["overdue_promises"]
    assert item["promise_id"] == promise_id and item["escalated"] is True
    assert item["owner_name"] == "Alice" and item["customer_name"] == "Wang"
    assert panel["complaints"] == {"first_answer_late": 1, "resolution_late": 1}
    escalated = [e for e in hotline.center.bus.since(0) or [] if e.name == "promise.escalated"]
    assert len(escalated) == 1
    async with live.uow() as uow:
        sup = await uow.session.scalar(select(Promise.owner_id).where(Promise.id == promise_id))
        assert sup is not None
    assert escalated[0].data["promise_id"] == promise_id
    assert escalated[0].data["supervisor_ids"]  # no teams here: every supervisor

    # Broken: on the record, off the panel, and the customer's churn risk says why.
    r = await live.request("POST", f"/api/promises/{promise_id}/broken", as_="alice")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "broken"
    r = await live.request("POST", f"/api/promises/{promise_id}/kept", as_="alice")
    assert r.status_code == 409, r.text
    r = await live.request("POST", f"/api/promises/{promise_id}/forgotten", as_="alice")
    assert r.status_code == 422, r.text
    panel = await board.expect("doctrine", lambda m: not m["overdue_promises"])
    r = await live.request("GET", f"/api/customers/{customer_id}/value?lang=en", as_="alice")
    assert r.status_code == 200, r.text
    assert "1 broken promise(s) in 12 months" in str(r.json())
    async with live.uow() as uow:
        audit = await uow.session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity == "promise")
        )
        assert sorted(audit) == ["promise.broken", "promise.make"]

    # The first answer stops its clock; the complaints API shows both deadlines.
    r = await live.request(
        "POST",
        f"/api/complaints/{complaint['id']}/transitions",
        json={"action": "acknowledge", "note": "looking into it"},
        as_="alice",
    )
    assert r.status_code == 200, r.text
    answered = r.json()
    assert answered["first_answered_at"] is not None
    created = datetime.fromisoformat(answered["created_at"])
    assert datetime.fromisoformat(answered["first_answer_due_at"]) == created + timedelta(hours=24)
    assert answered["first_answer_overdue"] is False
    await board.close()


async def test_a_leaving_agents_work_moves_in_one_audited_action(live: LiveServer) -> None:
    ids = await _setup(live)
    bob = await add_agent(live.uow, "carol", "agent", team="north", skills={"service": 2})
    dave = await add_agent(live.uow, "dave", "agent", team="north", skills={"service": 2})
    customer_id = await _customer(live, account_manager_id=bob)
    r = await live.request(
        "POST",
        "/api/complaints",
        json={
            "customer_id": customer_id,
            "category": "billing",
            "kind": "suggestion",
            "description": "x",
            "owner_id": bob,
        },
        as_="super",
    )
    assert r.status_code == 201 and r.json()["kind"] == "suggestion", r.text
    due = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    r = await live.request(
        "POST",
        f"/api/customers/{customer_id}/promises",
        json={"text": "visit", "due_at": due, "owner_id": bob},
        as_="super",
    )
    assert r.status_code == 201, r.text
    async with live.uow() as uow:  # a callback carol promised in a wrap-up
        row = Interaction(
            customer_id=customer_id,
            channel="voice",
            direction="inbound",
            queue="service",
            agent_id=bob,
            attributes={"_callback_at": due},
        )
        uow.session.add(row)
        await uow.session.flush()
        callback_id = row.id

    # carol leaves: until her work moves, routing prefers her team for her customers.
    r = await live.request("PATCH", f"/api/agents/{bob}", json={"active": False})
    assert r.status_code == 200, r.text
    async with live.uow() as uow:
        facts = await routing_customer(uow, customer_id)
    assert facts is not None
    assert facts.account_manager_agent_id is None and facts.account_manager_team == "north"

    url = f"/api/agents/{bob}/reassign"
    r = await live.request("POST", url, json={"to_agent_id": dave}, as_="alice")
    assert r.status_code == 403, r.text
    r = await live.request("POST", url, json={"to_agent_id": dave, "to_team": "north"}, as_="super")
    assert r.status_code == 422, r.text
    r = await live.request("POST", url, json={"to_agent_id": bob}, as_="super")
    assert r.status_code == 422, r.text  # inactive, and herself
    r = await live.request("POST", url, json={"to_team": "north"}, as_="super")
    assert r.status_code == 200, r.text
    moved = r.json()
    assert moved["to_agent_ids"] == [dave]  # the team's other active agent
    assert [moved[k] for k in ("customers", "complaints", "promises", "callbacks")] == [1, 1, 1, 1]

    async with live.uow() as uow:
        s = uow.session
        assert (
            await s.scalar(select(Customer.account_manager_id).where(Customer.id == customer_id))
            == dave
        )
        assert set(await s.scalars(select(Complaint.owner_id))) == {dave}
        assert set(await s.scalars(select(Promise.owner_id))) == {dave}
        entry = await s.scalar(select(AuditEntry).where(AuditEntry.action == "agent.reassign"))
        assert entry is not None and entry.entity_id == str(bob)
        assert entry.detail["customers"] == 1 and entry.detail["callbacks"] == 1
        facts = await routing_customer(uow, customer_id)
    assert facts is not None and facts.account_manager_agent_id == str(dave)
    r = await live.request("GET", "/api/me/callbacks", as_="dave")
    assert [c["interaction_id"] for c in r.json()["items"]] == [callback_id]
    # Nothing left to move: a second call moves nothing, still audited.
    r = await live.request("POST", url, json={"to_agent_id": ids["alice"]}, as_="super")
    assert r.status_code == 200 and r.json()["customers"] == 0, r.text
