"""No lower role reaches a higher role's effect through another field or endpoint.

The grade override belongs to supervisors and to the customer's account manager, so naming
account managers is a supervisor's act too (on create and on update); purchases set a
customer's grade, so they come from the business's systems (an integration key) or an admin.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from app.db.models import AuditEntry, Transaction
from app.main import create_app
from config.settings import Settings
from tests.conftest import Api, api_on, make_settings
from tests.helpers import (  # noqa: F401  (cheap_argon2: autouse fixture)
    assert_error,
    audit_log,
    cheap_argon2,
    count,
    new_customer,
)

KEY = "erp-7f3a9c2e-integration-key"
OTHER_KEY = "shop-51d0b7aa-integration-key"
USERS = ("alice", "super", "admin")  # agent, supervisor, admin


@pytest.fixture
async def api(db_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    """The conftest app, with two integration keys configured."""
    settings = make_settings(db_url, tmp_path, integration_keys=f"{KEY}, {OTHER_KEY}")
    async with api_on(settings) as api:
        yield api


async def me(api: Api, user: str) -> int:
    return int((await api.request("GET", "/api/auth/me", as_=user)).json()["id"])


async def customer(api: Api, cid: int) -> dict[str, Any]:
    r = await api.request("GET", f"/api/customers/{cid}")
    assert r.status_code == 200, r.text
    return dict(r.json())


PIN = {"grade": "vip", "reason": "promised by the account manager"}


async def test_an_agent_cannot_make_themselves_account_manager(api: Api) -> None:
    alice = await me(api, "alice")
    cid = (await new_customer(api, name="Li Lei"))["id"]
    url = f"/api/customers/{cid}"

    # The reproduction: name yourself account manager, then pin the grade.
    r = await api.request("PATCH", url, as_="alice", json={"account_manager_id": alice})
    assert_error(r, 403, "account_manager_id", "supervisors and admins")
    assert r.json()["field"] == "account_manager_id"
    r = await api.request("PUT", f"{url}/grade-override", as_="alice", json=PIN)
    assert_error(r, 403, "account manager or a supervisor")
    # Nothing of the refused update landed, other fields of the same request included.
    r = await api.request(
        "PATCH", url, as_="alice", json={"company": "ACME", "account_manager_id": alice}
    )
    assert_error(r, 403, "account_manager_id")
    after = await customer(api, cid)
    assert (after["account_manager_id"], after["company"], after["version"]) == (None, None, 0)
    assert [a for a in await audit_log(api.uow) if a[0] == "customer.update"] == []

    # Nor at creation.
    r = await api.request(
        "POST", "/api/customers", as_="alice", json={"name": "Han", "account_manager_id": alice}
    )
    assert_error(r, 403, "account_manager_id")
    r = await api.request("GET", "/api/customers", as_="alice", params={"name": "Han"})
    assert r.json()["total"] == 0


async def test_supervisors_and_admins_assign_account_managers(api: Api) -> None:
    alice = await me(api, "alice")
    sup = await me(api, "super")
    for user, manager in (("super", alice), ("admin", sup)):
        cid = (await new_customer(api, as_=user, name="Li", account_manager_id=manager))["id"]
        assert (await customer(api, cid))["account_manager_id"] == manager
        r = await api.request("PATCH", f"/api/customers/{cid}", as_=user, json={"company": "X"})
        assert r.status_code == 200, r.text

    cid = (await new_customer(api, name="Li Lei"))["id"]
    url = f"/api/customers/{cid}"
    r = await api.request("PATCH", url, as_="super", json={"account_manager_id": alice})
    assert r.status_code == 200 and r.json()["account_manager_id"] == alice
    # The account manager (an agent) now may pin; a form saved back unchanged is no assignment.
    body = {"company": "ACME", "account_manager_id": alice}
    r = await api.request("PATCH", url, as_="alice", json=body)
    assert r.status_code == 200 and r.json()["company"] == "ACME"
    # ...but they cannot hand the customer on, or drop it.
    for other in (sup, None):
        r = await api.request("PATCH", url, as_="alice", json={"account_manager_id": other})
        assert_error(r, 403, "account_manager_id")
    r = await api.request("PUT", f"{url}/grade-override", as_="alice", json=PIN)
    assert r.status_code in (200, 404), r.text  # 404: not graded yet (no purchases)
    assert r.status_code != 403


async def test_purchases_come_from_an_admin_or_an_integration_key(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cid = (await new_customer(api, name="Small buyer"))["id"]
    url = f"/api/customers/{cid}/transactions"
    big = {"amount": "900000", "occurred_at": "2026-01-15T10:00:00Z"}

    # The reproduction: an agent (or a supervisor) posts a huge purchase.
    for user in ("alice", "super"):
        r = await api.request("POST", url, as_=user, json=big)
        assert_error(r, 403, "needs the admin role or an integration key", "you are ")
    assert await count(api.uow, Transaction) == 0
    r = await api.request("GET", f"/api/customers/{cid}/value", as_="alice")
    assert r.status_code == 404  # still never graded: nothing was recorded

    r = await api.request("POST", url, as_="admin", json={**big, "reference": "ADM-1"})
    assert r.status_code == 201, r.text
    for n, key in ((1, KEY), (2, OTHER_KEY)):
        body = {**big, "reference": f"ERP-{n}"}
        r = await api.client.post(url, headers={"X-Api-Key": key}, json=body)
        assert r.status_code == 201, r.text
    # An integration key wins over a bearer token sent along with it.
    agent_token = await api.login("alice")
    r = await api.client.post(
        url, headers={"X-Api-Key": KEY, **agent_token}, json={**big, "reference": "ERP-3"}
    )
    assert r.status_code == 201, r.text
    assert await count(api.uow, Transaction) == 4

    records = [a for a in await audit_log(api.uow) if a[0] == "transaction.record"]
    admin = await me(api, "admin")
    assert [who for *_, who in records] == [admin, None, None, None]
    async with api.uow() as uow:
        details = (
            await uow.session.execute(
                select(AuditEntry.detail)
                .where(AuditEntry.action == "transaction.record")
                .order_by(AuditEntry.id)
            )
        ).scalars()
        vias = [d.get("via") for d in details]
    assert vias == [None, "integration key 1", "integration key 2", "integration key 1"]

    # A wrong, empty or near-miss key is refused, and no key is ever repeated back or logged.
    for wrong in ("wrong", KEY[:-1], KEY + "x", " " + KEY, OTHER_KEY.upper()):
        r = await api.client.post(url, headers={"X-Api-Key": wrong}, json=big)
        assert_error(r, 401, "unknown integration key")
        assert wrong.strip() not in r.text
    r = await api.client.post(url, json=big)
    assert_error(r, 401, "token")
    assert await count(api.uow, Transaction) == 4
    # The key only opens the purchase endpoint, nothing else.
    for method, path in (
        ("GET", url),
        ("GET", f"/api/customers/{cid}"),
        ("PATCH", f"/api/customers/{cid}"),
        ("PUT", f"/api/customers/{cid}/grade-override"),
        ("GET", "/api/complaints"),
    ):
        r = await api.client.request(
            method, path, headers={"X-Api-Key": KEY}, json=PIN if method == "PUT" else {}
        )
        assert r.status_code == 401, (method, path, r.text)
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert KEY not in logged and OTHER_KEY not in logged


async def test_without_configured_keys_no_key_is_accepted(db_url: str, tmp_path: Path) -> None:
    app = create_app(make_settings(db_url, tmp_path), migrate=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://hotline"
        ) as client:
            body = {"amount": "1", "occurred_at": "2026-01-15T10:00:00Z"}
            for key in ("", "x", KEY):
                r = await client.post(
                    "/api/customers/1/transactions", headers={"X-Api-Key": key}, json=body
                )
                assert r.status_code == 401, (key, r.text)


def test_integration_keys_must_be_long() -> None:
    with pytest.raises(ValidationError, match="at least 16 characters"):
        Settings(integration_keys=f"{KEY},short")
    keys = Settings(integration_keys=f" {KEY} ,, {OTHER_KEY}").integration_keys
    assert KEY not in repr(keys) and KEY not in str(Settings(integration_keys=KEY))


# (method, path, body) of every customer and complaint operation that writes, with the
# least role that may do it; reads are every agent's. A role below gets 403 and changes nothing.
WRITES = [
    ("POST", "/api/customers", {"name": "X"}, "agent"),
    ("PATCH", "/api/customers/{cid}", {"company": "X"}, "agent"),
    (
        "POST",
        "/api/customers/{cid}/transactions",
        {"amount": "5", "occurred_at": "2026-01-01T00:00:00Z"},
        "admin",
    ),
    ("PUT", "/api/customers/{cid}/grade-override", PIN, "supervisor"),
    ("DELETE", "/api/customers/{cid}/grade-override", None, "supervisor"),
    (
        "POST",
        "/api/complaints",
        {"customer_id": "{cid}", "category": "c", "description": "d"},
        "agent",
    ),
    (
        "POST",
        "/api/complaints/{complaint}/transitions",
        {"action": "acknowledge", "note": "n"},
        "agent",
    ),
]
RANK = {"agent": 0, "supervisor": 1, "admin": 2}
ROLE = {"alice": "agent", "super": "supervisor", "admin": "admin"}


async def test_write_matrix(api: Api) -> None:
    """Who may write what, customer and complaint endpoints (an agent who is not the
    customer's account manager; the account manager case is tested above)."""
    for method, path, body, least in WRITES:
        for user in USERS:
            cid = (await new_customer(api, as_="admin", name="M"))["id"]
            if "grade-override" in path:  # a graded customer with a pin to remove
                r = await api.request(
                    "POST",
                    f"/api/customers/{cid}/transactions",
                    json={"amount": "5", "occurred_at": "2026-01-01T00:00:00Z"},
                )
                assert r.status_code == 201, r.text
                r = await api.request("PUT", f"/api/customers/{cid}/grade-override", json=PIN)
                assert r.status_code == 200, r.text
            complaint = await api.request(
                "POST",
                "/api/complaints",
                json={"customer_id": cid, "category": "c", "description": "d"},
            )
            target = path.format(cid=cid, complaint=complaint.json()["id"])
            payload = None
            if body is not None:
                payload = {k: cid if v == "{cid}" else v for k, v in body.items()}
            r = await api.request(method, target, as_=user, json=payload)
            if RANK[ROLE[user]] < RANK[least]:
                assert r.status_code == 403, (method, path, user, r.text)
            else:
                assert r.status_code in (200, 201), (method, path, user, r.text)
