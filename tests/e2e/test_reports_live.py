"""Reports over what the live path itself wrote: a contact answered and wrapped up and one
abandoned, through real websockets, counted as the wallboard counts them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from app.db.models import Agent, AgentStateRow, Interaction
from tests.agent_client import AgentClient
from tests.conftest import LiveServer
from tests.helpers import cheap_argon2  # noqa: F401  (autouse fixture)


async def _report(live: LiveServer, name: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    start, end = (now - timedelta(hours=1)).isoformat(), (now + timedelta(hours=1)).isoformat()
    url = f"/api/reports/{name}?from={quote(start)}&to={quote(end)}&interval=day&tz=UTC"
    r = await live.request("GET", url, as_="super")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
async def test_the_live_paths_record_is_what_the_reports_count(live: LiveServer) -> None:
    r = await live.request(
        "POST",
        "/api/queues",
        json={"name": "service", "display_name": "Service", "skills": ["service"]},
    )
    assert r.status_code == 201, r.text
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    body = {"channel": "voice", "from": "+8613800000009", "queue": "service"}
    r = await live.request("POST", "/api/contacts", json=body, as_="super")
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    await alice.expect("offer")
    await alice.send("offer.accept", contact_id=cid)
    await alice.expect("contact.assigned")
    await alice.send("contact.end", contact_id=cid)
    await alice.expect("contact.ended")
    await alice.send("wrapup", contact_id=cid, disposition="resolved", notes="")
    await alice.expect("wrapup.saved")
    await alice.send("state.set", state="break", reason="lunch")
    # A second caller hangs up while nobody is available.
    body["from"] = "+8613800000010"
    r = await live.request("POST", "/api/contacts", json=body, as_="super")
    gone = r.json()["id"]
    r = await live.request(
        "POST", f"/api/contacts/{gone}/end", json={"by": "customer"}, as_="super"
    )
    assert r.status_code == 200, r.text

    for _ in range(100):  # the record follows the event stream in batches
        # The range's totals: a day's rows would split at midnight UTC.
        rows = (await _report(live, "queues"))["totals"]
        if rows and rows[0]["answered"] == 1 and rows[0]["abandoned"] == 1:
            break
        await asyncio.sleep(0.05)
    row = rows[0]
    assert (row["queue"], row["offered"], row["answered"], row["abandoned"]) == ("service", 2, 1, 1)
    assert row["asa_seconds"] is not None and row["aht_seconds"] is not None
    agents = (await _report(live, "agents"))["rows"]
    assert [(a["agent_name"], a["answered"], a["handled"]) for a in agents] == [("Alice", 1, 1)]
    # Her state history, as the record projector kept it from the events, and the wrap-up's
    # time on the interaction.
    async with live.uow() as uow:
        aid = (
            await uow.session.execute(select(Agent.id).where(Agent.username == "alice"))
        ).scalar()
        states = await uow.session.execute(
            select(AgentStateRow.state, AgentStateRow.reason)
            .where(AgentStateRow.agent_id == aid)
            .order_by(AgentStateRow.id)
        )
        done = await uow.session.get(Interaction, int(cid))
    assert [tuple(s) for s in states] == [
        ("break", "not_ready"),  # signed in: not ready until she says so
        ("available", None),
        ("offered", None),
        ("busy", None),
        ("wrapup", None),
        ("available", None),
        ("break", "lunch"),
    ]
    assert done is not None and done.ended_at is not None and done.wrapped_up_at is not None
    assert done.wrapped_up_at >= done.ended_at
    # Counted from that history (None without it). Not "> 0": the whole exchange can take
    # under the 0.1 s the report rounds to on a fast machine.
    assert agents[0]["logged_in_seconds"] is not None and agents[0]["logged_in_seconds"] >= 0
    assert agents[0]["occupancy"] is not None
    await alice.close()
