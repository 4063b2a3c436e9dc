"""Customers over HTTP: create, read, update, search, profile, transactions, interactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

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

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def test_health(api: Api) -> None:
    r = await api.client.get("/api/health")  # no token needed
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["database"]["backend"] in ("sqlite", "postgresql")
    assert body["redis"]["status"] == "not configured"


async def test_create_read_update(api: Api) -> None:
    alice = (await api.request("GET", "/api/auth/me", as_="alice")).json()["id"]
    sup = (await api.request("GET", "/api/auth/me", as_="super")).json()["id"]
    created = await new_customer(
        api,
        as_="super",  # naming an account manager is a supervisor's act
        name="  Li Lei  ",
        phones=["138 0013 8000", "+86-138-0013-8000", "+86 139 0013 9000"],
        emails=["Li.Lei@Example.com"],
        language="en",
        company="Acme",
        account_manager_id=alice,
        consent_marketing=True,
        attributes={"source": "web"},
    )
    cid = created["id"]
    assert created["name"] == "Li Lei"
    assert created["phones"] == ["+8613800138000", "+8613900139000"]  # normalised, deduplicated
    assert created["emails"] == ["li.lei@example.com"]
    assert created["account_manager_id"] == alice
    assert (created["language"], created["company"], created["attributes"]) == (
        "en",
        "Acme",
        {"source": "web"},
    )
    assert created["consent_marketing"] and created["consent_recording"]
    assert not created["do_not_contact"] and not created["is_prospect"]

    r = await api.request("GET", f"/api/customers/{cid}", as_="alice")
    assert r.status_code == 200
    assert r.json() == created

    r = await api.request(
        "PATCH",
        f"/api/customers/{cid}",
        as_="alice",
        json={"name": "Li Lei 李雷", "phones": ["+86 137 0013 7000"], "company": None},
    )
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["name"] == "Li Lei 李雷"
    assert updated["phones"] == ["+8613700137000"]  # replaced
    assert updated["emails"] == ["li.lei@example.com"]  # untouched
    assert updated["company"] is None
    assert updated["language"] == "en"
    assert updated["created_at"] == created["created_at"]
    assert datetime.fromisoformat(updated["updated_at"]) > datetime.fromisoformat(
        created["updated_at"]
    )
    r = await api.request("GET", "/api/customers", as_="alice", params={"phone": "13800138000"})
    assert ids(r) == []  # the old number is free again
    r = await api.request("PATCH", f"/api/customers/{cid}", as_="alice", json={"emails": []})
    assert r.json()["emails"] == []

    assert await audit_log(api.uow) == [
        ("customer.create", "customer", str(cid), sup),
        ("customer.update", "customer", str(cid), alice),
        ("customer.update", "customer", str(cid), alice),
    ]
    assert_error(await api.request("GET", "/api/customers/999", as_="alice"), 404, "999")
    r = await api.request("PATCH", "/api/customers/999", as_="alice", json={"name": "x"})
    assert_error(r, 404, "customer 999 not found")


PHONE_FORMATS = [
    "13800138000",
    "+86 138 0013 8000",
    "+86-138-0013-8000",
    "(0)138 0013 8000",
    "+86 (0)138 0013 8000",
    "0086 138 0013 8000",
    "+8613800138000",
    "138.0013.8000",
]


async def test_search_by_phone_email_and_name(api: Api) -> None:
    li = (await new_customer(api, name="Li Lei", phones=["138 0013 8000"], emails=["li@x.cn"]))[
        "id"
    ]
    han = (await new_customer(api, name="Han Meimei", emails=["Han@Example.com"]))["id"]
    lily = (await new_customer(api, name="Lily 50% Off"))["id"]

    async def search(**params: str | int) -> list[int]:
        return ids(await api.request("GET", "/api/customers", as_="alice", params=params))

    for fmt in PHONE_FORMATS:
        assert await search(phone=fmt) == [li], fmt
    assert await search(phone="+86 139 0000 0000") == []
    for fmt in ("han@example.com", "HAN@EXAMPLE.COM", " Han@Example.com "):
        assert await search(email=fmt) == [han], fmt
    assert await search(name="li") == [li, lily]  # substring, any case
    assert await search(name="MEI") == [han]
    assert await search(name="%") == [lily]  # no wildcards
    assert await search(name="li", phone="13800138000") == [li]  # filters combine
    assert await search(name="han", phone="13800138000") == []
    assert await search(phone="13800138000", email="han@example.com") == []
    assert await search() == [li, han, lily]

    r = await api.request("GET", "/api/customers", as_="alice", params={"limit": 2, "offset": 1})
    page = r.json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    assert [c["id"] for c in page["items"]] == [han, lily]
    r = await api.request("GET", "/api/customers", as_="alice", params={"phone": "12"})
    assert_error(r, 422, "invalid phone number '12'")
    r = await api.request("GET", "/api/customers", as_="alice", params={"email": "nope"})
    assert_error(r, 422, "invalid e-mail 'nope'")


async def test_profile(api: Api) -> None:
    cid = (await new_customer(api, name="Li Lei", phones=["13800138000"]))["id"]
    other = (await new_customer(api, name="Han Meimei"))["id"]
    for i in range(25):
        rating = [None, 5, 4, 2][i % 4]
        await add_interaction(api.uow, cid, created_at=T0 + timedelta(minutes=i), rating=rating)
    await add_interaction(api.uow, other, rating=1)
    open_one = await new_complaint(api, cid)
    closed = await new_complaint(api, cid, category="delivery")
    for action, extra in (("acknowledge", {}), ("start", {}), ("resolve", {"resolution": "ok"})):
        r = await api.request(
            "POST",
            f"/api/complaints/{closed['id']}/transitions",
            as_="alice",
            json={"action": action, "note": "n", **extra},
        )
        assert r.status_code == 200, r.text
    await new_complaint(api, other)

    r = await api.request("GET", f"/api/customers/{cid}/profile", as_="alice")
    assert r.status_code == 200, r.text
    profile = r.json()
    assert profile["customer"]["id"] == cid
    assert profile["customer"]["phones"] == ["+8613800138000"]
    assert "value" in profile  # the grade lives here (null until graded)
    assert profile["interaction_count"] == 25
    recent = profile["last_interactions"]
    assert len(recent) == 20
    assert recent[0]["created_at"].startswith("2026-03-01T12:24")  # newest first
    assert all(i["customer_id"] == cid for i in recent)
    assert [c["id"] for c in profile["open_complaints"]] == [open_one["id"]]
    # ratings 5, 4, 2 repeating over 25 contacts (every 4th unrated): 6×5 + 6×4 + 6×2 / 18
    assert profile["ratings"] == 18
    assert profile["average_rating"] == pytest.approx(11 / 3, abs=0.01)

    r = await api.request("GET", f"/api/customers/{other}/profile", as_="alice")
    assert r.json()["average_rating"] == 1.0
    empty = (await new_customer(api, name="Nobody"))["id"]
    r = await api.request("GET", f"/api/customers/{empty}/profile", as_="alice")
    body = r.json()
    assert (body["interaction_count"], body["ratings"], body["average_rating"]) == (0, 0, None)
    assert_error(await api.request("GET", "/api/customers/999/profile"), 404, "999")


async def test_transactions(api: Api) -> None:
    cid = (await new_customer(api, name="Li Lei"))["id"]
    admin = (await api.request("GET", "/api/auth/me", as_="admin")).json()["id"]
    url = f"/api/customers/{cid}/transactions"
    made = []
    for days, amount, margin, ref in ((30, "100.50", "20.10", "INV-1"), (1, "80", None, None)):
        body = {
            "amount": amount,
            "margin": margin,
            "occurred_at": (T0 - timedelta(days=days)).isoformat(),
            "reference": ref,
        }
        r = await api.request("POST", url, as_="admin", json=body)
        assert r.status_code == 201, r.text
        made.append(r.json())
    assert made[0]["customer_id"] == cid
    assert Decimal(made[0]["amount"]) == Decimal("100.50")
    assert Decimal(made[0]["margin"]) == Decimal("20.10")
    assert made[1]["margin"] is None
    body = {"amount": "5", "occurred_at": "2026-02-01T08:00:00+08:00"}
    r = await api.request("POST", url, as_="admin", json=body)
    assert r.status_code == 201
    assert datetime.fromisoformat(r.json()["occurred_at"]) == datetime(2026, 2, 1, tzinfo=UTC)

    feb = r.json()["id"]

    r = await api.request("GET", url, as_="alice")
    assert r.status_code == 200
    listed = r.json()
    assert [t["id"] for t in listed] == [made[1]["id"], feb, made[0]["id"]]  # newest first
    assert Decimal(listed[2]["amount"]) == Decimal("100.50")
    assert listed[2]["reference"] == "INV-1"
    r = await api.request("GET", url, as_="alice", params={"limit": 1, "offset": 1})
    assert [t["id"] for t in r.json()] == [feb]

    actions = [a for a in await audit_log(api.uow) if a[0] == "transaction.record"]
    assert actions == [("transaction.record", "customer", str(cid), admin)] * 3
    assert_error(await api.request("GET", "/api/customers/999/transactions"), 404, "999")
    r = await api.request("POST", "/api/customers/999/transactions", json=body)
    assert_error(r, 404, "customer 999 not found")


async def test_interactions(api: Api) -> None:
    cid = (await new_customer(api, name="Li Lei"))["id"]
    other = (await new_customer(api, name="Han Meimei"))["id"]
    made = [
        await add_interaction(
            api.uow,
            cid,
            created_at=T0 + timedelta(minutes=i),
            channel="chat" if i % 2 else "voice",
            queue="service",
            notes=f"call {i}",
            ivr_path=["1", "2"],
            rating=4,
        )
        for i in range(3)
    ]
    await add_interaction(api.uow, other)

    r = await api.request("GET", f"/api/customers/{cid}/interactions", as_="alice")
    assert r.status_code == 200
    page = r.json()
    assert page["total"] == 3 and page["limit"] == 20
    assert [i["id"] for i in page["items"]] == made[::-1]
    r = await api.request(
        "GET", f"/api/customers/{cid}/interactions", as_="alice", params={"limit": 1, "offset": 2}
    )
    assert [i["id"] for i in r.json()["items"]] == [made[0]]

    r = await api.request("GET", f"/api/interactions/{made[1]}", as_="alice")
    assert r.status_code == 200
    one = r.json()
    assert (one["customer_id"], one["channel"], one["queue"], one["notes"]) == (
        cid,
        "chat",
        "service",
        "call 1",
    )
    assert one["ivr_path"] == ["1", "2"] and one["rating"] == 4
    assert one["transcript"] == [] and one["attributes"] == {}
    assert_error(await api.request("GET", "/api/interactions/999"), 404, "interaction 999")
    assert_error(await api.request("GET", "/api/customers/999/interactions"), 404, "999")
