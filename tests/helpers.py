"""Helpers shared by the test modules (fixtures that every test needs live in conftest.py).

Tests may read the database directly: the repositories' rule (all SQL in app/db/repositories)
is for the application, and a test that checks "nothing was written" should not trust the code
it is checking.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from app.auth import passwords
from app.db.models import AuditEntry, Customer, CustomerIdentity, Interaction
from app.db.types import utcnow

# Larger than any id column (int32 on PostgreSQL, int64 on SQLite) can hold.
HUGE_ID = 10**20


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Still argon2id, at the lowest cost: each login and seeded agent would otherwise take
    ~0.1 s. Import it into a test module to make it apply there."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    yield


async def count(uow_factory: Any, model: Any, *where: Any) -> int:
    async with uow_factory() as uow:
        stmt = select(func.count()).select_from(model)
        if where:
            stmt = stmt.where(*where)
        return int(await uow.session.scalar(stmt) or 0)


async def counts(uow_factory: Any) -> dict[str, int]:
    """Rows in the tables a customer write touches: compare before and after a rejection."""
    return {
        "customers": await count(uow_factory, Customer),
        "identities": await count(uow_factory, CustomerIdentity),
        "audit": await count(uow_factory, AuditEntry),
    }


async def audit_log(uow_factory: Any) -> list[tuple[str, str, str | None, int | None]]:
    """(action, entity, entity_id, actor_id), oldest first."""
    async with uow_factory() as uow:
        rows = await uow.session.execute(select(AuditEntry).order_by(AuditEntry.id))
        return [(a.action, a.entity, a.entity_id, a.actor_id) for a in rows.scalars()]


async def add_interaction(
    uow_factory: Any, customer_id: int, *, created_at: datetime | None = None, **fields: Any
) -> int:
    """Interactions are written by the routing side; tests insert them directly."""
    async with uow_factory() as uow:
        row = Interaction(
            customer_id=customer_id,
            channel=fields.pop("channel", "voice"),
            status=fields.pop("status", "ended"),
            created_at=created_at or utcnow(),
            **fields,
        )
        uow.session.add(row)
        await uow.session.flush()
        return row.id


def message_of(response: httpx.Response) -> str:
    """The readable message every error body carries (validation errors included)."""
    body = response.json()
    assert isinstance(body.get("message"), str) and body["message"], body
    return str(body["message"])


def assert_error(response: httpx.Response, status: int, *fragments: str) -> str:
    assert response.status_code == status, response.text
    message = message_of(response)
    for fragment in fragments:
        assert fragment.lower() in message.lower(), (fragment, message)
    return message


def ids(page: httpx.Response) -> list[int]:
    assert page.status_code == 200, page.text
    return [item["id"] for item in page.json()["items"]]


async def new_customer(api: Any, as_: str = "alice", **fields: Any) -> dict[str, Any]:
    """POST a customer through the API (201 expected); `name` defaults to a placeholder."""
    r = await api.request("POST", "/api/customers", as_=as_, json={"name": "Test", **fields})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def new_complaint(api: Any, customer_id: int, as_: str = "alice", **fields: Any) -> Any:
    body = {"customer_id": customer_id, "category": "billing", "description": "overcharged"}
    r = await api.request("POST", "/api/complaints", as_=as_, json={**body, **fields})
    assert r.status_code == 201, r.text
    return r.json()
