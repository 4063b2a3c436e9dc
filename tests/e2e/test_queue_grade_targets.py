"""A queue's own service-level target per customer grade, set over the queue API (the admin
page edits it; the wallboard and the reports measure each grade against it)."""

from __future__ import annotations

from sqlalchemy import select

from app.db.models import AuditEntry
from tests.conftest import Api
from tests.helpers import assert_error, cheap_argon2  # noqa: F401  (autouse fixture)


async def test_grade_targets_are_set_replaced_cleared_and_checked(api: Api) -> None:
    body = {"name": "sales", "display_name": "Sales", "sla_by_grade": {"vip": 10, "key": 15}}
    r = await api.request("POST", "/api/queues", json=body)
    assert r.status_code == 201, r.text
    queue = r.json()
    assert queue["sla_by_grade"] == {"vip": 10, "key": 15}

    url = f"/api/queues/{queue['id']}"
    r = await api.request("PATCH", url, json={"sla_by_grade": {"vip": 8}})
    assert r.status_code == 200, r.text
    assert r.json()["sla_by_grade"] == {"vip": 8}  # the mapping is replaced, not merged
    listed = (await api.request("GET", "/api/queues")).json()
    assert next(q for q in listed if q["name"] == "sales")["sla_by_grade"] == {"vip": 8}

    r = await api.request("PATCH", url, json={"sla_by_grade": {}})
    assert r.status_code == 200 and r.json()["sla_by_grade"] == {}

    for bad in ({"gold": 10}, {"vip": 0}, {"vip": "soon"}):
        r = await api.request("PATCH", url, json={"sla_by_grade": bad})
        assert_error(r, 422)
    r = await api.request("PATCH", url, json={"sla_by_grade": {"vip": 5}}, as_="alice")
    assert_error(r, 403)

    async with api.uow() as uow:
        rows = await uow.session.execute(
            select(AuditEntry.detail).where(AuditEntry.action == "queue.update")
        )
        fields = [d["fields"] for (d,) in rows]
    assert fields == [["sla_by_grade"], ["sla_by_grade"]]  # the refused ones wrote nothing
