"""The intake door when saturated (app/contacts/intake_gate.py): an arrival its sender can
retry — over HTTP, or a PBX's route request — is refused 503 with Retry-After once the
door's backlog is full, and nothing of it is written; the one waiting passes as soon as a
slot frees, and the refused one's retry is welcome then. (SIP: tests/sip/test_sip_calls.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from app.db.models import Interaction, PbxCall
from tests.conftest import api_on, make_settings
from tests.helpers import assert_error, cheap_argon2, count  # noqa: F401  (autouse fixture)


async def _until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError(f"never happened: {what}")


async def test_a_full_door_refuses_what_can_be_retried_with_503(
    db_url: str, tmp_path: Path
) -> None:
    # One slot, one place to wait; no lag probe (the door's lag rule: tests/unit).
    settings = make_settings(
        db_url, tmp_path, intake_concurrency=1, intake_backlog=1, intake_lag_ms=0
    )
    async with api_on(settings) as api:
        gate = api.app.state.hotline.contacts.intake
        r = await api.request(
            "POST",
            "/api/queues",
            json={"name": "service", "display_name": "Service", "skills": ["service"]},
        )
        assert r.status_code == 201, r.text
        key = (await api.request("POST", "/api/telephony/keys", json={"name": "pbx"})).json()
        pbx = {"X-Api-Key": key["key"]}
        agent = await api.login("alice")
        first = {"channel": "voice", "from": "+8613800000101", "queue": "service"}
        second = {"channel": "voice", "from": "+8613800000102", "queue": "service"}
        route = {"from": "+8613800000103", "queue": "service", "wait": 0}
        before = await count(api.uow, Interaction)

        async with gate.slot():  # an arrival being written holds the door's one slot
            waiting = asyncio.create_task(
                api.client.post("/api/contacts", json=first, headers=agent)
            )
            await _until(lambda: gate.waiting == 1, "the first POST waits at the door")
            refused = await api.client.post("/api/contacts", json=second, headers=agent)
            by_pbx = await api.client.post(
                "/api/telephony/calls/door-1/route", json=route, headers=pbx
            )
            by_dialplan = await api.client.post(
                "/api/telephony/calls/door-1/route",
                json=route,
                headers=pbx | {"Accept": "text/plain"},
            )
            assert not waiting.done()

        assert_error(refused, 503, "saturated")
        assert refused.headers["Retry-After"] == "1"
        assert refused.json()["code"] == "overloaded" and refused.json()["retry_after"] == 1
        assert_error(by_pbx, 503, "saturated")
        assert by_pbx.headers["Retry-After"] == "1"
        assert by_dialplan.status_code == 503
        assert by_dialplan.text.startswith("action=error\nstatus=503\n")
        assert by_dialplan.headers["Retry-After"] == "1"
        assert by_dialplan.text.endswith("\nretry_after=1\n")
        assert gate.refused == 3

        # The one that waited passes; nothing of the refused ones was written.
        assert (await waiting).status_code == 201
        assert await count(api.uow, Interaction) == before + 1
        assert await count(api.uow, PbxCall) == 0
        # The door is free again: the refused caller's retry is taken.
        retry = await api.client.post("/api/contacts", json=second, headers=agent)
        assert retry.status_code == 201, retry.text
        metrics = (await api.request("GET", "/api/metrics/live", as_="super")).json()
        assert metrics["intake"] | {"late_seconds": 0} == {
            "active": 0,
            "waiting": 0,
            "refused": 3,
            "late_seconds": 0,
            "lag_ms": 0.0,
        }
