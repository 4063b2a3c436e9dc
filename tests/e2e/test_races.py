"""Read-modify-write under fire: 20 parallel requests on one record, on both databases.

Exactly one request wins each step; the others are told 409 and leave nothing behind. The
requests go to two app instances on the same database, as two server processes would: within
one process SQLite's single pooled connection serializes transactions and hides the race.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.db.models import AuditEntry, ComplaintTransition, CustomerIdentity, GradeChange
from app.main import create_app
from tests.conftest import Api, make_settings
from tests.helpers import (  # noqa: F401  (cheap_argon2: autouse fixture)
    assert_error,
    cheap_argon2,
    count,
    new_complaint,
    new_customer,
)

PARALLEL = 20


@pytest.fixture
async def second(api: Api, db_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A second server process on the same database (same secret: the tokens work on both)."""
    app = create_app(make_settings(db_url, tmp_path), migrate=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline") as client:
            yield client


async def burst(
    api: Api, second: httpx.AsyncClient, method: str, url: str, as_: str = "super", **kw: Any
) -> Counter[int]:
    """`PARALLEL` identical requests at once, half to each process; how many got each status."""
    headers = await api.login(as_)  # log in first: the burst measures the endpoint, not login
    clients = (api.client, second)
    replies: list[httpx.Response] = await asyncio.gather(
        *(clients[i % 2].request(method, url, headers=headers, **kw) for i in range(PARALLEL))
    )
    for r in replies:
        if r.status_code == 409:
            assert r.json()["message"], r.text  # the losers are told why
    return Counter(r.status_code for r in replies)


async def move(
    api: Api, second: httpx.AsyncClient, complaint_id: int, action: str, **body: Any
) -> Counter[int]:
    url = f"/api/complaints/{complaint_id}/transitions"
    body = {"action": action, "note": action, **body}
    return await burst(api, second, "POST", url, json=body)


async def history(api: Api, complaint_id: int) -> list[tuple[str | None, str]]:
    async with api.uow() as uow:
        rows = await uow.session.execute(
            select(ComplaintTransition.from_status, ComplaintTransition.to_status)
            .where(ComplaintTransition.complaint_id == complaint_id)
            .order_by(ComplaintTransition.id)
        )
        return [(a, b) for a, b in rows.all()]


async def audited(api: Api, action: str) -> int:
    return await count(api.uow, AuditEntry, AuditEntry.action == action)


async def test_parallel_complaint_transitions_one_wins_each_step(
    api: Api, second: httpx.AsyncClient
) -> None:
    cid = (await new_customer(api, name="Li Lei"))["id"]
    c = (await new_complaint(api, cid))["id"]
    steps = [
        ("acknowledge", {}),
        ("start", {}),
        ("resolve", {"resolution": "refunded"}),
        ("close", {}),
        ("reopen", {}),
        ("acknowledge", {}),
        ("start", {}),
        ("resolve", {"resolution": "refunded again"}),
        ("reopen", {}),
    ]
    for action, extra in steps:
        assert await move(api, second, c, action, **extra) == {200: 1, 409: PARALLEL - 1}, action
    assert await history(api, c) == [
        (None, "open"),
        ("open", "acknowledged"),
        ("acknowledged", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
        ("closed", "open"),
        ("open", "acknowledged"),
        ("acknowledged", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "open"),
    ]
    r = await api.request("GET", f"/api/complaints/{c}")
    assert (r.json()["status"], r.json()["reopen_count"]) == ("open", 2)
    assert await audited(api, "complaint.reopen") == 2
    assert await audited(api, "complaint.acknowledge") == 2


async def test_a_stale_step_is_refused_after_another_moved_the_complaint(
    api: Api, second: httpx.AsyncClient
) -> None:
    # The 409 names the status the complaint is in now, not the one the loser read.
    cid = (await new_customer(api, name="Li Lei"))["id"]
    c = (await new_complaint(api, cid))["id"]
    await move(api, second, c, "acknowledge")
    r = await api.request(
        "POST",
        f"/api/complaints/{c}/transitions",
        json={"action": "acknowledge", "note": "late"},
    )
    assert_error(r, 409, "that is acknowledged")
    assert r.json()["status"] == "acknowledged"


async def _graded_customer(api: Api) -> int:
    cid = (await new_customer(api, name="Buyer"))["id"]
    r = await api.request(
        "POST",
        f"/api/customers/{cid}/transactions",
        json={"amount": "100", "occurred_at": "2026-01-15T10:00:00Z"},
    )
    assert r.status_code == 201, r.text
    return int(cid)


async def version_of(api: Api, customer_id: int) -> int:
    r = await api.request("GET", f"/api/customers/{customer_id}")
    assert r.status_code == 200, r.text
    return int(r.json()["version"])


async def grade_moves(api: Api, customer_id: int) -> list[tuple[str | None, str]]:
    async with api.uow() as uow:
        rows = await uow.session.execute(
            select(GradeChange.from_grade, GradeChange.to_grade)
            .where(GradeChange.customer_id == customer_id)
            .order_by(GradeChange.id)
        )
        return [(a, b) for a, b in rows.all()]


def chained(moves: list[tuple[str | None, str]]) -> bool:
    """Each recorded move starts where the previous one ended: none recorded twice."""
    return all(b[0] == a[1] and b[0] != b[1] for a, b in pairwise(moves))


async def test_parallel_grade_pins_naming_a_version_one_wins(
    api: Api, second: httpx.AsyncClient
) -> None:
    cid = await _graded_customer(api)
    url = f"/api/customers/{cid}/grade-override"
    version = await version_of(api, cid)
    pin = {"grade": "vip", "reason": "board member", "version": version}
    assert await burst(api, second, "PUT", url, json=pin) == {200: 1, 409: PARALLEL - 1}
    assert await audited(api, "grade.override") == 1
    assert await version_of(api, cid) == version + 1
    moves = await grade_moves(api, cid)
    assert moves[-1][1] == "vip" and chained(moves), moves

    stale = {**pin, "grade": "small"}  # the version before the pin
    r = await api.request("PUT", url, json=stale)
    assert_error(r, 409, f"changed since version {version}", f"version {version + 1}")
    assert r.json()["version"] == version + 1
    r = await api.request("DELETE", url, params={"version": version})
    assert_error(r, 409, f"version {version + 1}")

    # Unpinning: one removes it, the others find nothing left to remove.
    assert await burst(api, second, "DELETE", url) == {200: 1, 404: PARALLEL - 1}
    assert await audited(api, "grade.override.clear") == 1
    r = await api.request("GET", f"/api/customers/{cid}/value")
    assert r.json()["override"] is None
    assert r.json()["grade"] == r.json()["computed_grade"]
    assert chained(await grade_moves(api, cid))


async def test_purchases_and_a_pin_at_once_keep_the_pin(
    api: Api, second: httpx.AsyncClient
) -> None:
    # Every regrade of one customer runs after the previous one committed: a purchase regraded
    # beside the pin would store a grade that ignores the pin, and log grade moves twice.
    cid = await _graded_customer(api)
    await api.login("admin")
    headers = await api.login("super")
    admin = {"Authorization": f"Bearer {api.tokens['admin']}"}
    clients = (api.client, second)
    pin = {"grade": "small", "reason": "pays late"}  # ranked alone, it would be vip
    requests = [
        clients[i % 2].post(
            f"/api/customers/{cid}/transactions",
            headers=admin,
            json={"amount": str(10 + i), "occurred_at": "2026-01-20T10:00:00Z"},
        )
        for i in range(PARALLEL - 1)
    ]
    requests.insert(
        PARALLEL // 2,
        second.put(f"/api/customers/{cid}/grade-override", headers=headers, json=pin),
    )
    replies = await asyncio.gather(*requests)
    assert sorted(r.status_code for r in replies) == [200] + [201] * (PARALLEL - 1), [
        r.text for r in replies if r.status_code >= 300
    ]
    r = await api.request("GET", f"/api/customers/{cid}/value")
    assert (r.json()["grade"], r.json()["override"]["grade"]) == ("small", "small")
    moves = await grade_moves(api, cid)
    assert moves[-1][1] == "small" and chained(moves), moves


async def test_parallel_customer_updates_naming_a_version_one_wins(
    api: Api, second: httpx.AsyncClient
) -> None:
    cid = (await new_customer(api, name="Li Lei"))["id"]
    url = f"/api/customers/{cid}"
    version = await version_of(api, cid)
    body = {"company": "ACME", "version": version}
    assert await burst(api, second, "PATCH", url, json=body) == {200: 1, 409: PARALLEL - 1}
    r = await api.request("GET", url)
    assert (r.json()["company"], r.json()["version"]) == ("ACME", version + 1)
    assert await audited(api, "customer.update") == 1
    r = await api.request("PATCH", url, json={"company": "Other", "version": version})
    assert_error(r, 409, f"customer {cid} was changed since version {version}")
    assert (await api.request("GET", url)).json()["company"] == "ACME"
    assert_error(await api.request("PATCH", "/api/customers/999", json=body), 404, "999")


async def test_parallel_phone_replacements_never_merge(api: Api, second: httpx.AsyncClient) -> None:
    # Without a version each PATCH applies in turn, each replacing the list it finds: the
    # customer ends with exactly one of the lists, never a mix of several.
    cid = (await new_customer(api, name="Li Lei", phones=["13800000000"]))["id"]
    url = f"/api/customers/{cid}"
    headers = await api.login("super")
    clients = (api.client, second)
    replies = await asyncio.gather(
        *(
            clients[i % 2].patch(url, headers=headers, json={"phones": [f"139000000{i:02d}"]})
            for i in range(PARALLEL)
        )
    )
    assert [r.status_code for r in replies] == [200] * PARALLEL, [r.text for r in replies]
    final = (await api.request("GET", url)).json()
    assert len(final["phones"]) == 1, final["phones"]
    assert final["version"] == PARALLEL
    assert await count(api.uow, CustomerIdentity, CustomerIdentity.customer_id == cid) == 1
