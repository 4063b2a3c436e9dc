"""An agent's own day over HTTP (GET /api/me/...): the queues they serve and what waits
there, their figures today, their open complaints, their callbacks. Each agent sees their own
only; complaints name their owners wherever they are listed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from app.contacts.messages import explanation_entry
from app.contacts.today import day_start
from app.db.types import utcnow
from tests.conftest import Api, add_agent
from tests.helpers import (  # noqa: F401  (cheap_argon2: autouse fixture)
    add_interaction,
    assert_error,
    cheap_argon2,
    new_complaint,
    new_customer,
)


async def me(api: Api, as_: str) -> int:
    return int((await api.request("GET", "/api/auth/me", as_=as_)).json()["id"])


async def add_queue(api: Api, name: str, skills: list[str], display: str | None = None) -> None:
    body = {"name": name, "display_name": display or name.title(), "skills": skills}
    r = await api.request("POST", "/api/queues", json=body)
    assert r.status_code == 201, r.text


async def arrive(api: Api, queue: str, phone: str, **extra: Any) -> str:
    body = {"channel": "voice", "from": phone, "queue": queue, **extra}
    r = await api.request("POST", "/api/contacts", as_="super", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_queues_show_what_waits_and_what_could_be_the_agents(api: Api) -> None:
    await add_queue(api, "service", ["service"], "Service")
    await add_queue(api, "billing", ["billing"], "Billing")
    await add_agent(api.uow, "bob", skills={"billing": 3})
    # Nobody is signed in to routing: the contacts wait.
    await arrive(api, "service", "+8613800000001")
    await arrive(api, "service", "+8613800000002")
    await arrive(api, "billing", "+8613800000003")

    r = await api.request("GET", "/api/me/queues", as_="alice")
    assert r.status_code == 200, r.text
    body = r.json()
    # alice serves "service" (her skill), not "billing" (no contact there is for her).
    assert [(q["name"], q["display_name"], q["waiting"], q["for_you"]) for q in body["queues"]] == [
        ("service", "Service", 2, 2)
    ]
    assert body["waiting"] == 2 and body["for_you"] == 2
    assert body["queues"][0]["longest_wait_seconds"] >= 0
    assert body["queues"][0]["sla_seconds"] == 20

    bob = (await api.request("GET", "/api/me/queues", as_="bob")).json()
    assert [(q["name"], q["waiting"], q["for_you"]) for q in bob["queues"]] == [("billing", 1, 1)]


async def test_queues_list_served_queues_when_nothing_waits(api: Api) -> None:
    await add_queue(api, "service", ["service"])
    await add_queue(api, "open", [])  # no skill needed: everyone's
    await add_queue(api, "vip", ["vip"])
    body = (await api.request("GET", "/api/me/queues", as_="alice")).json()
    assert [(q["name"], q["waiting"], q["longest_wait_seconds"]) for q in body["queues"]] == [
        ("service", 0, None),
        ("open", 0, None),
    ]


def _log(kind: str, at: datetime, **fields: Any) -> dict[str, Any]:
    return explanation_entry(kind, at.timestamp(), **fields)


async def test_figures_today_come_from_the_record(api: Api) -> None:
    alice = await me(api, "alice")
    bob = await add_agent(api.uow, "bob", skills={"service": 3})
    customer = (await new_customer(api, name="Li Lei"))["id"]
    now = utcnow()
    start = day_start(now, 0)
    today = start + (now - start) / 2  # between midnight and now, whatever the hour
    yesterday = start - timedelta(hours=2)
    # Handled today: two contacts of alice's (60 s and 120 s), one still live (not counted),
    # one of yesterday's and one of bob's.
    for seconds in (60.0, 120.0):
        await add_interaction(
            api.uow, customer, agent_id=alice, answered_at=today, handle_seconds=seconds
        )
    await add_interaction(api.uow, customer, agent_id=alice, answered_at=today, status="active")
    await add_interaction(
        api.uow, customer, agent_id=alice, answered_at=yesterday, handle_seconds=999.0
    )
    await add_interaction(api.uow, customer, agent_id=bob, answered_at=today, handle_seconds=5.0)
    # Offers, from the routing log: alice let one run out today and declined one, then bob
    # took the contact; one ran out yesterday; one went to bob and ran out; one was withdrawn
    # because the customer left (not alice's doing).
    log = [
        _log("offered", today, agent_id=alice),
        _log("offer_cancelled", today, agent_id=alice, cause="expired", reason="no answer"),
        _log("offered", today, agent_id=alice),
        _log("offer_cancelled", today, agent_id=alice, cause="rejected", reason="busy"),
        _log("offer_cancelled", today, agent_id=bob, cause="expired", reason="no answer"),
        _log("offer_cancelled", today, agent_id=alice, cause="abandoned", reason="left"),
        _log("assigned", today, agent_id=bob),
    ]
    await add_interaction(
        api.uow, customer, agent_id=bob, offered_at=today, ended_at=now, routing_explanation=log
    )
    old = [_log("offer_cancelled", yesterday, agent_id=alice, cause="expired", reason="x")]
    await add_interaction(
        api.uow,
        customer,
        offered_at=yesterday,
        ended_at=today,
        routing_explanation=old,
    )

    r = await api.request("GET", "/api/me/today", as_="alice")
    assert r.status_code == 200, r.text
    figures = r.json()
    assert datetime.fromisoformat(figures["since"]) == start
    assert figures["handled"] == 2 and figures["average_handle_seconds"] == 90.0
    assert (figures["missed_offers"], figures["declined_offers"]) == (1, 1)

    bobs = (await api.request("GET", "/api/me/today", as_="bob")).json()
    assert (bobs["handled"], bobs["average_handle_seconds"], bobs["missed_offers"]) == (1, 5.0, 1)

    fresh = (await api.request("GET", "/api/me/today", as_="super")).json()
    assert (fresh["handled"], fresh["average_handle_seconds"], fresh["missed_offers"]) == (
        0,
        None,
        0,
    )


async def test_the_day_starts_at_the_agents_midnight(api: Api) -> None:
    now = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
    # 01:30 UTC is 09:30 in UTC+8 (the day began at 16:00 UTC the day before) and 20:30 the
    # day before in UTC-5 (that day began at 05:00 UTC on 28 February).
    assert day_start(now, 480) == datetime(2026, 2, 28, 16, 0, tzinfo=UTC)
    assert day_start(now, -300) == datetime(2026, 2, 28, 5, 0, tzinfo=UTC)
    assert day_start(now, 0) == datetime(2026, 3, 1, tzinfo=UTC)
    r = await api.request("GET", "/api/me/today?utc_offset=480", as_="alice")
    assert r.status_code == 200, r.text
    since = datetime.fromisoformat(r.json()["since"])
    assert (since + timedelta(hours=8)).time().hour == 0 and since <= utcnow()
    for bad in ("841", "-841", "x", "1e3"):
        r = await api.request("GET", f"/api/me/today?utc_offset={bad}", as_="alice")
        assert_error(r, 422, "utc_offset")


async def test_my_complaints_are_mine_open_nearest_deadline_first_and_named(api: Api) -> None:
    alice = await me(api, "alice")
    bob = await add_agent(api.uow, "bob", display_name="Bob Wang")
    li = (await new_customer(api, name="Li Lei"))["id"]
    han = (await new_customer(api, name="Han Meimei"))["id"]
    first = await new_complaint(api, li, severity="high")
    second = await new_complaint(api, han)
    await new_complaint(api, li, owner_id=bob)  # bob's
    done = await new_complaint(api, han)
    for action, extra in (("acknowledge", {}), ("start", {}), ("resolve", {"resolution": "ok"})):
        body = {"action": action, "note": "n", **extra}
        r = await api.request(
            "POST", f"/api/complaints/{done['id']}/transitions", as_="alice", json=body
        )
        assert r.status_code == 200, r.text
    r = await api.request(
        "POST",
        f"/api/complaints/{second['id']}/transitions",
        as_="alice",
        json={"action": "acknowledge", "note": "seen"},
    )
    assert r.status_code == 200 and r.json()["owner_name"] == "Alice"

    r = await api.request("GET", "/api/me/complaints", as_="alice")
    assert r.status_code == 200, r.text
    page = r.json()
    assert [c["id"] for c in page["items"]] == [first["id"], second["id"]] and page["total"] == 2
    assert [(c["owner_id"], c["owner_name"]) for c in page["items"]] == [(alice, "Alice")] * 2
    assert [c["customer_name"] for c in page["items"]] == ["Li Lei", "Han Meimei"]
    assert [c["status"] for c in page["items"]] == ["open", "acknowledged"]

    bobs = (await api.request("GET", "/api/me/complaints", as_="bob")).json()
    assert [(c["owner_id"], c["owner_name"]) for c in bobs["items"]] == [(bob, "Bob Wang")]

    # Everywhere complaints are listed, the owner is named: the search, one complaint, the
    # customer's profile.
    listed = (await api.request("GET", f"/api/complaints?customer_id={li}", as_="alice")).json()
    assert {(c["owner_id"], c["owner_name"]) for c in listed["items"]} == {
        (alice, "Alice"),
        (bob, "Bob Wang"),
    }
    one = (await api.request("GET", f"/api/complaints/{first['id']}", as_="bob")).json()
    assert one["owner_name"] == "Alice"
    profile = (await api.request("GET", f"/api/customers/{li}/profile", as_="bob")).json()
    assert {(c["owner_id"], c["owner_name"]) for c in profile["open_complaints"]} == {
        (alice, "Alice"),
        (bob, "Bob Wang"),
    }


async def _callback(api: Api, customer: int, agent: int, due: datetime, **fields: Any) -> int:
    attributes = {"_callback_at": due.isoformat(), **fields.pop("attributes", {})}
    return await add_interaction(
        api.uow,
        customer,
        agent_id=agent,
        disposition="callback",
        notes=fields.pop("notes", "call about the refund"),
        from_address=fields.pop("from_address", "+8613800000009"),
        attributes=attributes,
        **fields,
    )


async def test_callbacks_soonest_first_with_the_customer_and_marked_done_once(api: Api) -> None:
    alice = await me(api, "alice")
    bob = await add_agent(api.uow, "bob")
    li = (await new_customer(api, name="Li Lei"))["id"]
    han = (await new_customer(api, name="Han Meimei"))["id"]
    now = utcnow()
    later = await _callback(api, li, alice, now + timedelta(hours=3))
    # Written with another offset: sorted as a time, not as text.
    soon = await _callback(
        api, han, alice, (now + timedelta(hours=1)).astimezone(timezone(timedelta(hours=8)))
    )
    late = await _callback(api, li, alice, now - timedelta(minutes=5))
    await _callback(api, li, bob, now + timedelta(hours=1))  # bob's
    await add_interaction(api.uow, li, agent_id=alice)  # no callback
    done = await _callback(api, han, alice, now, attributes={"_callback_done_at": now.isoformat()})

    r = await api.request("GET", "/api/me/callbacks", as_="alice")
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["interaction_id"] for c in body["items"]] == [late, soon, later]
    assert (body["total"], body["overdue"]) == (3, 1)
    first = body["items"][0]
    assert first["customer_name"] == "Li Lei" and first["customer_id"] == li
    assert first["from_address"] == "+8613800000009" and first["overdue"] is True
    assert first["notes"] == "call about the refund" and first["disposition"] == "callback"
    assert [c["customer_name"] for c in body["items"]] == ["Li Lei", "Han Meimei", "Li Lei"]

    # Bob cannot see or close alice's callbacks; a contact without one is no callback.
    bobs = (await api.request("GET", "/api/me/callbacks", as_="bob")).json()
    assert len(bobs["items"]) == 1
    r = await api.request("POST", f"/api/me/callbacks/{soon}/done", as_="bob")
    assert_error(r, 404, "not one of yours")
    r = await api.request("POST", f"/api/me/callbacks/{done + 1000}/done", as_="alice")
    assert_error(r, 404)
    r = await api.request("POST", f"/api/me/callbacks/{done}/done", as_="alice")
    assert_error(r, 409, "already done")

    r = await api.request("POST", f"/api/me/callbacks/{soon}/done", as_="alice")
    assert r.status_code == 200, r.text
    assert r.json()["interaction_id"] == soon and r.json()["done_at"]
    r = await api.request("POST", f"/api/me/callbacks/{soon}/done", as_="alice")
    assert_error(r, 409, "already done")
    left = (await api.request("GET", "/api/me/callbacks", as_="alice")).json()
    assert [c["interaction_id"] for c in left["items"]] == [late, later]
    # The rest of the contact's attributes stay as they were.
    record = (await api.request("GET", f"/api/interactions/{soon}", as_="alice")).json()
    assert record["attributes"]["_callback_at"] and record["attributes"]["_callback_done_at"]


async def test_my_day_needs_a_signed_in_agent(api: Api) -> None:
    for method, url in (
        ("GET", "/api/me/queues"),
        ("GET", "/api/me/today"),
        ("GET", "/api/me/complaints"),
        ("GET", "/api/me/callbacks"),
        ("POST", "/api/me/callbacks/1/done"),
    ):
        r = await api.request(method, url, as_="")
        assert_error(r, 401)


async def test_a_callback_marked_done_at_once_from_two_places_is_done_once(api: Api) -> None:
    alice = await me(api, "alice")
    li = (await new_customer(api, name="Li Lei"))["id"]
    callback = await _callback(api, li, alice, utcnow() + timedelta(hours=1))
    url = f"/api/me/callbacks/{callback}/done"
    await api.login("alice")
    answers = await asyncio.gather(*(api.request("POST", url, as_="alice") for _ in range(10)))
    assert sorted(r.status_code for r in answers) == [200] + [409] * 9
    record = (await api.request("GET", f"/api/interactions/{callback}", as_="alice")).json()
    winner = next(r for r in answers if r.status_code == 200).json()
    assert record["attributes"]["_callback_done_at"] == winner["done_at"].replace("Z", "+00:00")
