"""Complaints over HTTP: the lifecycle with a note at each step, deadlines, filters."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update

from app.db.models import Complaint
from app.db.types import utcnow
from tests.conftest import Api
from tests.helpers import (  # noqa: F401  (cheap_argon2: autouse fixture)
    add_interaction,
    assert_error,
    audit_log,
    cheap_argon2,
    ids,
    new_complaint,
    new_customer,
)


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def move(api: Api, complaint_id: int, action: str, as_: str = "alice", **body: Any) -> Any:
    return await api.request(
        "POST",
        f"/api/complaints/{complaint_id}/transitions",
        as_=as_,
        json={"action": action, "note": f"{action} note", **body},
    )


async def test_lifecycle_with_history_deadline_and_reopen(api: Api) -> None:
    me = (await api.request("GET", "/api/auth/me", as_="alice")).json()["id"]
    sup = (await api.request("GET", "/api/auth/me", as_="super")).json()["id"]
    cid = (await new_customer(api, name="Li Lei"))["id"]
    contact = await add_interaction(api.uow, cid)
    before = utcnow()
    c = await new_complaint(
        api, cid, interaction_id=contact, severity="high", description="Charged twice"
    )
    assert (c["status"], c["severity"], c["category"]) == ("open", "high", "billing")
    assert c["owner_id"] == me  # the agent who logged it, unless told otherwise
    assert c["interaction_id"] == contact
    assert at(c["due_at"]) - at(c["created_at"]) == timedelta(hours=24)
    assert before <= at(c["created_at"]) <= utcnow()
    assert c["overdue"] is False and c["reopen_count"] == 0
    assert [(h["from_status"], h["to_status"], h["note"]) for h in c["history"]] == [
        (None, "open", "Charged twice")
    ]

    r = await move(api, c["id"], "acknowledge")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "acknowledged" and r.json()["acknowledged_at"]
    r = await move(api, c["id"], "start", as_="super", owner_id=sup)
    assert (r.json()["status"], r.json()["owner_id"]) == ("in_progress", sup)

    r = await move(api, c["id"], "resolve")
    assert_error(r, 422, "resolution")
    r = await move(api, c["id"], "resolve", resolution="   ")
    assert_error(r, 422, "resolution")
    r = await move(api, c["id"], "resolve", resolution="Refunded the second charge")
    resolved = r.json()
    assert resolved["status"] == "resolved" and resolved["resolved_at"]
    assert resolved["resolution"] == "Refunded the second charge"
    assert (await move(api, c["id"], "close")).json()["status"] == "closed"

    r = await move(api, c["id"], "reopen")
    reopened = r.json()
    assert (reopened["status"], reopened["reopen_count"], reopened["resolved_at"]) == (
        "open",
        1,
        None,
    )
    # A fresh deadline from the reopening, not from the original creation.
    assert at(reopened["due_at"]) - utcnow() > timedelta(hours=23, minutes=59)
    assert at(reopened["due_at"]) > at(c["due_at"])

    r = await api.request("GET", f"/api/complaints/{c['id']}", as_="alice")
    assert r.status_code == 200
    history = r.json()["history"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "open"),
        ("open", "acknowledged"),
        ("acknowledged", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
        ("closed", "open"),
    ]
    assert [h["note"] for h in history[1:]] == [
        f"{a} note" for a in ("acknowledge", "start", "resolve", "close", "reopen")
    ]
    assert [h["actor_id"] for h in history] == [me, me, sup, me, me, me]
    times = [at(h["at"]) for h in history]
    assert times == sorted(times)

    complaint_audit = [
        (a, who) for a, kind, _, who in await audit_log(api.uow) if kind == "complaint"
    ]
    assert complaint_audit == [
        ("complaint.open", me),
        ("complaint.acknowledge", me),
        ("complaint.start", sup),
        ("complaint.resolve", me),
        ("complaint.close", me),
        ("complaint.reopen", me),
    ]


async def test_illegal_transitions_are_refused_and_leave_no_trace(api: Api) -> None:
    cid = (await new_customer(api, name="Li Lei"))["id"]
    c = await new_complaint(api, cid)
    log_before = await audit_log(api.uow)

    assert_error(await move(api, c["id"], "start"), 409, "cannot start a complaint that is open")
    r = await move(api, c["id"], "close")
    assert_error(r, 409, "allowed from open: acknowledge")
    assert r.json()["status"] == "open"
    assert_error(await move(api, c["id"], "reopen"), 409, "cannot reopen")
    assert_error(await move(api, c["id"], "explode"), 422, "action")
    r = await api.request(
        "POST", f"/api/complaints/{c['id']}/transitions", json={"action": "acknowledge"}
    )
    assert_error(r, 422, "note")  # every step needs a note
    assert_error(await move(api, c["id"], "acknowledge", note=""), 422, "note")
    assert_error(await move(api, c["id"], "acknowledge", owner_id=999), 422, "owner 999")
    assert_error(await move(api, 999, "acknowledge"), 404, "complaint 999 not found")

    r = await api.request("GET", f"/api/complaints/{c['id']}")
    assert r.json()["status"] == "open" and len(r.json()["history"]) == 1
    assert await audit_log(api.uow) == log_before

    # Twice the same step: the second one is illegal.
    assert (await move(api, c["id"], "acknowledge")).status_code == 200
    assert_error(await move(api, c["id"], "acknowledge"), 409, "that is acknowledged")


async def test_create_checks_its_references(api: Api) -> None:
    li = (await new_customer(api, name="Li Lei"))["id"]
    han = (await new_customer(api, name="Han Meimei"))["id"]
    hans_call = await add_interaction(api.uow, han)
    base = {"customer_id": li, "category": "billing", "description": "x"}

    async def create(**body: Any) -> Any:
        return await api.request("POST", "/api/complaints", as_="alice", json={**base, **body})

    assert_error(await create(customer_id=999), 422, "customer 999 does not exist")
    assert_error(await create(interaction_id=hans_call), 422, f"interaction {hans_call}")
    assert_error(await create(owner_id=999), 422, "owner 999 is not an agent")
    assert_error(await create(severity="urgent"), 422, "severity")
    assert_error(await create(category=""), 422, "category")
    assert_error(await create(description="x" * 10_001), 422, "description")
    r = await api.request("GET", "/api/complaints", params={"customer_id": li})
    assert r.json()["total"] == 0
    sup = (await api.request("GET", "/api/auth/me", as_="super")).json()["id"]
    r = await create(owner_id=sup, severity="critical")
    assert r.status_code == 201 and r.json()["owner_id"] == sup
    assert_error(await api.request("GET", "/api/complaints/999"), 404, "complaint 999")


async def test_list_filters(api: Api) -> None:
    alice = (await api.request("GET", "/api/auth/me", as_="alice")).json()["id"]
    sup = (await api.request("GET", "/api/auth/me", as_="super")).json()["id"]
    li = (await new_customer(api, name="Li Lei"))["id"]
    han = (await new_customer(api, name="Han Meimei"))["id"]
    a = (await new_complaint(api, li, severity="high"))["id"]
    b = (await new_complaint(api, li, category="delivery", owner_id=sup))["id"]
    c = (await new_complaint(api, han, severity="high", as_="super"))["id"]
    d = (await new_complaint(api, han, category="delivery", severity="low"))["id"]
    await move(api, b, "acknowledge")
    for action in ("acknowledge", "start"):
        await move(api, c, action, as_="super")
    for action, extra in (("acknowledge", {}), ("start", {}), ("resolve", {"resolution": "r"})):
        await move(api, d, action, **extra)
    # a and d are past their deadline; d is resolved, so only a is overdue.
    async with api.uow() as uow:
        await uow.session.execute(
            update(Complaint)
            .where(Complaint.id.in_([a, d]))
            .values(due_at=utcnow() - timedelta(hours=1))
        )

    async def search(**params: Any) -> list[int]:
        return sorted(ids(await api.request("GET", "/api/complaints", as_="alice", params=params)))

    assert await search() == [a, b, c, d]
    assert await search(customer_id=li) == [a, b]
    assert await search(status="open") == [a]
    assert await search(status=["acknowledged", "in_progress"]) == [b, c]
    assert await search(owner_id=sup) == [b, c]
    assert await search(owner_id=alice) == [a, d]
    assert await search(severity="high") == [a, c]
    assert await search(category="delivery") == [b, d]
    assert await search(overdue="true") == [a]
    assert await search(overdue="false", customer_id=han, severity="low") == [d]
    assert await search(customer_id=999) == []

    r = await api.request("GET", "/api/complaints", params={"overdue": "true"})
    item = r.json()["items"][0]
    assert item["overdue"] is True and item["history"] == []
    r = await api.request("GET", "/api/complaints", params={"limit": 1, "offset": 1})
    page = r.json()
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (4, 1, 1, 1)
    assert_error(
        await api.request("GET", "/api/complaints", params={"status": "lost"}), 422, "status"
    )
    r = await api.request("GET", "/api/complaints", params={"severity": "urgent"})
    assert_error(r, 422, "severity")
    assert_error(await api.request("GET", "/api/complaints", params={"limit": 0}), 422, "limit")


async def test_a_complaint_never_answered_first_is_still_resolved_in_full(api: Api) -> None:
    """A complaint in progress with no first answer on record (written before the field
    existed): resolving it answers it and resolves it, both."""
    cid = (await new_customer(api, name="Han Mei"))["id"]
    c = await new_complaint(api, cid, severity="low", description="Late delivery")
    assert (await move(api, c["id"], "acknowledge")).status_code == 200
    assert (await move(api, c["id"], "start")).status_code == 200
    async with api.uow() as uow:
        await uow.session.execute(
            update(Complaint).where(Complaint.id == c["id"]).values(first_answered_at=None)
        )
    r = await move(api, c["id"], "resolve", resolution="Sent by courier")
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["resolved_at"] and done["resolution"] == "Sent by courier"
    assert done["first_answered_at"] == done["resolved_at"]
