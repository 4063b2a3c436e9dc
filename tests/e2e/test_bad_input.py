"""Bad input: a clear 4xx with a message, never a 500, and nothing half-written."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.db.models import Transaction
from tests.conftest import Api
from tests.helpers import (  # noqa: F401  (cheap_argon2: autouse fixture)
    HUGE_ID,
    assert_error,
    cheap_argon2,
    count,
    counts,
    new_customer,
)

JSON = {"content-type": "application/json"}


async def test_unknown_fields_and_wrong_types(api: Api) -> None:
    cid = (await new_customer(api, name="Li Lei"))["id"]
    cases: list[tuple[str, str, Any, str]] = [
        ("POST", "/api/customers", {"name": "X", "vip": True}, "body.vip: Extra inputs"),
        ("POST", "/api/customers", {"name": 42}, "body.name"),
        ("POST", "/api/customers", {}, "body.name: Field required"),
        ("POST", "/api/customers", {"name": "   "}, "body.name"),
        ("POST", "/api/customers", {"name": "X", "phones": "13800138000"}, "body.phones"),
        ("POST", "/api/customers", {"name": "X", "do_not_contact": "maybe"}, "do_not_contact"),
        ("POST", "/api/customers", {"name": "X", "phones": ["1"] * 11}, "body.phones"),
        ("POST", "/api/customers", {"name": "X" * 201}, "body.name"),
        (
            "POST",
            "/api/customers",
            {"name": "X", "attributes": {str(i): i for i in range(51)}},
            "at most 50 attributes",
        ),
        ("POST", "/api/customers", [{"name": "X"}], "body"),
        ("PATCH", f"/api/customers/{cid}", {"nickname": "L"}, "body.nickname"),
        ("PATCH", f"/api/customers/{cid}", {"emails": [1]}, "body.emails.0"),
        ("PATCH", "/api/customers/abc", {"name": "L"}, "path.customer_id"),
        ("POST", f"/api/customers/{cid}/transactions", {"amount": "ten"}, "body.amount"),
        (
            "POST",
            f"/api/customers/{cid}/transactions",
            {"amount": "1.234", "occurred_at": "2026-01-01T00:00:00Z"},
            "decimal places",
        ),
        (
            "POST",
            f"/api/customers/{cid}/transactions",
            {"amount": "NaN", "occurred_at": "2026-01-01T00:00:00Z"},
            "finite",
        ),
        (
            "POST",
            f"/api/customers/{cid}/transactions",
            {"amount": "1", "occurred_at": "yesterday"},
            "body.occurred_at",
        ),
        ("POST", "/api/complaints", {"customer_id": "one", "category": "x"}, "customer_id"),
        # The server's own attributes: a care task's id would let a contact's wrap-up close
        # that task; a transfer's first leg, a chat, a callback are the server's to set.
        *[
            (
                "POST",
                "/api/contacts",
                {"channel": "voice", "from": "+8613800138000", "queue": "general"}
                | {"attributes": {key: "1"}},
                f"attribute '{key}': names starting with '_' or 'care_' are the server's own",
            )
            for key in ("care_task", "_transferred_from")
        ],
        ("POST", "/api/auth/login", {"username": ["admin"], "password": "x"}, "username"),
        ("GET", "/api/customers?limit=1000", None, "query.limit"),
        ("GET", "/api/customers?offset=-1", None, "query.offset"),
        ("GET", "/api/complaints?overdue=perhaps", None, "query.overdue"),
    ]
    before = await counts(api.uow)
    for method, url, body, fragment in cases:
        as_ = "admin" if url.endswith("/transactions") else "alice"  # purchases: admins only
        r = await api.request(method, url, as_=as_, json=body)
        assert_error(r, 422, fragment)
        assert isinstance(r.json()["detail"], list), r.text  # FastAPI's list stays as it was
    assert await counts(api.uow) == before
    assert await count(api.uow, Transaction) == 0

    headers = await api.login("alice")
    r = await api.client.post("/api/customers", content=b'{"name": "X",', headers=headers | JSON)
    assert_error(r, 422, "JSON decode error")
    r = await api.client.post("/api/customers", content=b"name=X", headers=headers)
    assert_error(r, 422, "body")


async def test_invalid_phones_and_emails(api: Api) -> None:
    li = (await new_customer(api, name="Li Lei", phones=["13800138000"]))["id"]
    before = await counts(api.uow)
    for field, value, fragment in [
        ("phones", ["138 0013 8000", "12ab"], "invalid phone number '12ab'"),
        ("phones", ["123"], "not a possible number"),
        ("phones", ["+999 123 4567"], "invalid phone number"),
        ("emails", ["li@"], "invalid e-mail 'li@'"),
        ("emails", ["ok@example.com", "no-at-sign"], "must have an @-sign"),
    ]:
        r = await api.request("POST", "/api/customers", json={"name": "X", field: value})
        assert_error(r, 422, fragment)
        r = await api.request(
            "PATCH", f"/api/customers/{li}", json={"name": "Changed", field: value}
        )
        assert_error(r, 422, fragment)
    assert await counts(api.uow) == before
    r = await api.request("GET", f"/api/customers/{li}")
    assert (r.json()["name"], r.json()["phones"]) == ("Li Lei", ["+8613800138000"])


async def test_identity_held_by_another_customer_is_a_409_naming_them(api: Api) -> None:
    li = await new_customer(api, name="Li Lei", phones=["13800138000"], emails=["li@x.cn"])
    han = await new_customer(api, name="Han Meimei", phones=["13900139000"])
    before = await counts(api.uow)

    r = await api.request(
        "POST",
        "/api/customers",
        json={"name": "Copy", "phones": ["+86 139 0000 0000", "+86-138-0013-8000"]},
    )
    assert_error(r, 409, "phone +8613800138000", f"customer {li['id']} (Li Lei)")
    assert r.json()["customer_id"] == li["id"]
    r = await api.request("POST", "/api/customers", json={"name": "Copy", "emails": ["LI@X.CN"]})
    assert_error(r, 409, "email li@x.cn", f"customer {li['id']} (Li Lei)")
    assert await counts(api.uow) == before  # no customer, identity or audit row

    url = f"/api/customers/{han['id']}"
    r = await api.request("PATCH", url, json={"name": "Thief", "phones": ["(0)138 0013 8000"]})
    assert_error(r, 409, "phone +8613800138000", f"customer {li['id']} (Li Lei)")
    r = await api.request("PATCH", url, json={"emails": ["new@x.cn", " Li@X.cn"]})
    assert_error(r, 409, "email li@x.cn", "Li Lei")
    assert await counts(api.uow) == before
    r = await api.request("GET", url)
    assert (r.json()["name"], r.json()["phones"], r.json()["emails"]) == (
        "Han Meimei",
        ["+8613900139000"],
        [],
    )
    # Keeping one's own number is no conflict.
    r = await api.request("PATCH", url, json={"phones": ["+86 139 0013 9000", "13700137000"]})
    assert r.status_code == 200, r.text


async def test_racing_creates_of_one_phone(api: Api) -> None:
    """Both pass the service's check; the unique index decides, and the loser gets a 409."""
    body = {"name": "Racer", "phones": ["13800138000"]}
    await api.login("alice")
    results = await asyncio.gather(
        *(api.request("POST", "/api/customers", as_="alice", json=body) for _ in range(4))
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201, 409, 409, 409], [r.text for r in results]
    for r in results:
        if r.status_code == 409:
            message = r.json()["message"]
            assert "already belongs" in message or "conflicts" in message, message
    assert (await counts(api.uow))["customers"] == 1


async def test_null_where_a_value_is_required(api: Api) -> None:
    cid = (await new_customer(api, name="Li Lei", company="Acme", phones=["13800138000"]))["id"]
    url = f"/api/customers/{cid}"
    for field in (
        "name",
        "language",
        "do_not_contact",
        "consent_recording",
        "attributes",
        "phones",
    ):
        r = await api.request("PATCH", url, json={field: None})
        assert_error(r, 422, f"{field} cannot be null")
    r = await api.request("PATCH", url, json={"company": None, "account_manager_id": None})
    assert r.status_code == 200, r.text
    assert r.json()["company"] is None and r.json()["phones"] == ["+8613800138000"]


async def test_oversized_bodies_are_413(api: Api) -> None:
    limit = api.app.state.hotline.settings.max_body_bytes
    assert limit == 1_000_000
    headers = {**await api.login("alice"), **JSON}
    big = json.dumps({"name": "x", "attributes": {"blob": "x" * limit}}).encode()
    before = await counts(api.uow)

    r = await api.client.post("/api/customers", content=big, headers=headers)
    assert_error(r, 413, f"larger than {limit} bytes")

    async def chunked(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
        for start in range(0, len(data), size):
            yield data[start : start + size]

    # No Content-Length: httpx sends a streamed body chunk by chunk.
    r = await api.client.post("/api/customers", content=chunked(big), headers=headers)
    assert "content-length" not in r.request.headers
    assert_error(r, 413, f"larger than {limit} bytes")
    assert await counts(api.uow) == before

    # Under the limit, streamed or not, the body arrives whole.
    small = json.dumps({"name": "Streamed", "attributes": {"n": "y" * 200_000}}).encode()
    r = await api.client.post("/api/customers", content=chunked(small, 1000), headers=headers)
    assert r.status_code == 201, r.text
    assert len(r.json()["attributes"]["n"]) == 200_000


BIG_ID_PATHS = [
    ("GET", "/api/customers/{id}"),
    ("PATCH", "/api/customers/{id}"),
    ("GET", "/api/customers/{id}/profile"),
    ("GET", "/api/customers/{id}/interactions"),
    ("GET", "/api/customers/{id}/transactions"),
    ("POST", "/api/customers/{id}/transactions"),
    ("GET", "/api/complaints/{id}"),
    ("POST", "/api/complaints/{id}/transitions"),
    ("GET", "/api/interactions/{id}"),
    ("GET", "/api/agents/{id}"),
    ("PATCH", "/api/agents/{id}"),
    ("PATCH", "/api/queues/{id}"),
]
BODIES = {
    "/api/customers/{id}": {"name": "x"},
    "/api/customers/{id}/transactions": {"amount": "1", "occurred_at": "2026-01-01T00:00:00Z"},
    "/api/complaints/{id}/transitions": {"action": "acknowledge", "note": "n"},
    "/api/agents/{id}": {"team": "x"},
    "/api/queues/{id}": {"sla_seconds": 5},
}


@pytest.mark.parametrize("number", [HUGE_ID, 2**31, 2**63])
async def test_never_a_500_for_numbers_out_of_range(api: Api, number: int) -> None:
    cid = (await new_customer(api, name="Li Lei"))["id"]
    for method, path in BIG_ID_PATHS:
        body = BODIES.get(path) if method != "GET" else None
        r = await api.request(method, path.format(id=number), json=body)
        assert r.status_code in (404, 422), (method, path, r.text)
        assert str(number) in r.json()["message"] or "out of range" in r.json()["message"]
    for url, params in [
        ("/api/complaints", {"customer_id": number}),
        ("/api/complaints", {"owner_id": number}),
        (f"/api/customers/{cid}/transactions", {"offset": number}),
        (f"/api/customers/{cid}/interactions", {"offset": number}),
        ("/api/customers", {"offset": number}),
    ]:
        r = await api.request("GET", url, params=params)
        assert r.status_code in (200, 422), (url, params, r.text)
    before = await counts(api.uow)
    for url, body in [
        ("/api/customers", {"name": "X", "account_manager_id": number}),
        (f"/api/customers/{cid}", {"account_manager_id": number}),
        ("/api/complaints", {"customer_id": number, "category": "c", "description": "d"}),
        (
            "/api/complaints",
            {"customer_id": cid, "owner_id": number, "category": "c", "description": "d"},
        ),
        (
            "/api/complaints",
            {"customer_id": cid, "interaction_id": number, "category": "c", "description": "d"},
        ),
    ]:
        method = "PATCH" if url.endswith(str(cid)) else "POST"
        r = await api.request(method, url, json=body)
        assert_error(r, 422)
    assert await counts(api.uow) == before


async def test_never_a_500_for_other_values_the_database_refuses(api: Api) -> None:
    cid = (await new_customer(api, name="Li Lei"))["id"]
    url = f"/api/customers/{cid}/transactions"
    for when in (
        "2026-01-01T10:00:00",
        "2026-01-01",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:00:00-05:00",
    ):
        r = await api.request("POST", url, json={"amount": "1", "occurred_at": when})
        assert_error(r, 422, "occurred_at")
    r = await api.request("POST", url, json={"amount": "1", "occurred_at": "2026-01-01T10:00:00"})
    assert "needs a timezone" in r.json()["message"]

    r = await api.request("POST", "/api/customers", json={"name": "X", "account_manager_id": 999})
    assert_error(r, 422, "account manager 999 does not exist")
    r = await api.request("PATCH", f"/api/customers/{cid}", json={"account_manager_id": 999})
    assert_error(r, 422, "account manager 999 does not exist")

    tx = {"amount": "10", "occurred_at": "2026-01-01T10:00:00Z", "reference": "INV-1"}
    assert (await api.request("POST", url, json=tx)).status_code == 201
    assert_error(await api.request("POST", url, json=tx), 409, "'INV-1' was already recorded")
    other = (await new_customer(api, name="Han Meimei"))["id"]
    r = await api.request("POST", f"/api/customers/{other}/transactions", json=tx)
    assert_error(r, 409, "INV-1")
    assert await count(api.uow, Transaction) == 1

    # A NUL character: refused as input on every backend (app/input_guard.py), never a 500.
    for method, target, body in [
        ("POST", "/api/customers", {"name": "Nul\x00Name"}),
        ("POST", "/api/auth/login", {"username": "ad\x00min", "password": "x"}),
        ("GET", "/api/customers?name=a%00b", None),
    ]:
        r = await api.request(method, target, json=body)
        assert_error(r, 422, "control character U+0000")
