"""PBX events end to end over real HTTP: recorded Asterisk (AMI) and FreeSWITCH (event
socket) call lives replayed against the server while an agent works the real websocket
console; the record is read back from the database. On SQLite and PostgreSQL.

The fixtures in tests/fixtures/pbx/ are the PBXs' own events; ``from_asterisk`` and
``from_freeswitch`` below are the forwarder's mapping into Hotline's event format, as
docs/telephony.md ("PBX events") documents it. Hotline takes one format rather than both
native ones: each PBX has many versions and configurations of its events, and what matters
(which event is the caller's, which answer is the agent's) is the forwarder's knowledge of
its own dialplan.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import func, select

from app.db.models import AuditEntry, Interaction, PbxCall, PbxEvent, PbxKey
from app.db.repositories.staff import StaffRepository
from tests.agent_client import AgentClient
from tests.conftest import LiveServer, add_agent

FIXTURES = Path(__file__).parents[1] / "fixtures" / "pbx"
ALICE_URI = "sip:alice@127.0.0.1:5070"


# --- the forwarders' mapping (docs/telephony.md, "PBX events") ------------------------------
def from_asterisk(ami: dict[str, str], queues: dict[str, str]) -> dict[str, Any] | None:
    """An AMI event of the caller's channel as a Hotline event, or None (not one we report).

    The call id is the caller channel's ``Linkedid`` (its ``${UNIQUEID}`` in the dialplan);
    AMI events have no id of their own, so the event id is the channel's ``Uniqueid`` with
    the event's ``Timestamp`` (microseconds: unique per channel, the same on a replay)."""
    if ami.get("Uniqueid") != ami.get("Linkedid"):
        return None  # another leg's event (the agent's channel)
    base = {
        "id": f"ast-{ami['Uniqueid']}-{ami['Timestamp']}",
        "call_id": ami["Linkedid"],
        "at": datetime.fromtimestamp(float(ami["Timestamp"]), UTC).isoformat(),
    }
    match ami["Event"]:
        case "Newchannel":
            return base | {
                "type": "offered",
                "from": ami["CallerIDNum"],
                "dialled": ami["Exten"],
                "queue": queues.get(ami["Exten"]),
                "language": ami.get("Language") or None,
            }
        case "DTMFEnd" if ami.get("Direction") == "Received":
            return base | {"type": "dtmf", "digit": ami["Digit"]}
        case "DialEnd" if ami.get("DialStatus") == "ANSWER":
            return base | {"type": "answered", "agent": ami["DestChannel"]}
        case "BlindTransfer":
            return base | {"type": "transferred", "to": ami["Extension"]}
        case "Hangup":
            return base | {"type": "hangup", "cause": ami.get("Cause-txt") or ami.get("Cause")}
    return None


def from_freeswitch(fs: dict[str, str], queues: dict[str, str]) -> dict[str, Any] | None:
    """A FreeSWITCH event (``event json``) as a Hotline event, or None.

    The call id is the caller leg's ``Unique-ID`` (``session:get_uuid()`` in Lua); the event
    id its ``Event-UUID``. ``CHANNEL_ANSWER`` of the caller's leg is FreeSWITCH answering for
    its own menu, not an agent: the agent's answer is ``CHANNEL_BRIDGE``."""
    base = {
        "id": f"fs-{fs['Event-UUID']}",
        "call_id": fs["Unique-ID"],
        "at": datetime.fromtimestamp(int(fs["Event-Date-Timestamp"]) / 1e6, UTC).isoformat(),
    }
    match fs["Event-Name"]:
        case "CHANNEL_CREATE" if fs.get("Call-Direction") == "inbound":
            dialled = fs["Caller-Destination-Number"]
            return base | {
                "type": "offered",
                "from": fs["Caller-Caller-ID-Number"],
                "dialled": dialled,
                "queue": queues.get(dialled),
                "language": fs.get("variable_default_language") or None,
            }
        case "DTMF":
            return base | {"type": "dtmf", "digit": fs["DTMF-Digit"]}
        case "CHANNEL_BRIDGE":
            return base | {"type": "answered", "agent": fs.get("Other-Leg-Channel-Name")}
        case "CHANNEL_HANGUP_COMPLETE":
            return base | {"type": "hangup", "cause": fs.get("Hangup-Cause")}
    return None


def recorded(name: str) -> tuple[str, list[dict[str, Any]]]:
    """A fixture's call id and its events in Hotline's format."""
    fixture = json.loads((FIXTURES / f"{name}_call.json").read_text(encoding="utf-8"))
    convert = from_asterisk if name == "asterisk" else from_freeswitch
    events = [e for raw in fixture["events"] if (e := convert(raw, fixture["queues"]))]
    events = [{k: v for k, v in e.items() if v is not None} for e in events]
    return events[0]["call_id"], events


# --- helpers -------------------------------------------------------------------------------
async def setup(live: LiveServer, max_wait: int = 600) -> str:
    """The service queue, alice's SIP URI, and a PBX key (returned)."""
    r = await live.request(
        "POST",
        "/api/queues",
        json={
            "name": "service",
            "display_name": "Service",
            "skills": ["service"],
            "max_wait_seconds": max_wait,
        },
    )
    assert r.status_code == 201, r.text
    async with live.uow() as uow:
        alice = await StaffRepository(uow.session).agent_by_username("alice")
        assert alice is not None
        alice.sip_uri = ALICE_URI
    r = await live.request("POST", "/api/telephony/keys", json={"name": "pbx-1"})
    assert r.status_code == 201, r.text
    return str(r.json()["key"])


async def post_events(live: LiveServer, key: str, events: list[dict[str, Any]]) -> Any:
    r = await live.client.post(
        "/api/telephony/events", json={"events": events}, headers={"X-Api-Key": key}
    )
    assert r.status_code == 200, r.text
    return r.json()


async def pbx_rows(live: LiveServer) -> tuple[list[Interaction], list[PbxCall], int]:
    await live.app.state.hotline.contacts.caught_up()
    async with live.uow() as uow:
        contacts = list(
            (await uow.session.execute(select(Interaction).where(Interaction.source == "pbx")))
            .scalars()
            .all()
        )
        calls = list((await uow.session.execute(select(PbxCall))).scalars().all())
        events = await uow.session.scalar(select(func.count()).select_from(PbxEvent))
    return contacts, calls, int(events or 0)


def until(events: list[dict[str, Any]], kind: str) -> int:
    return next(i for i, e in enumerate(events) if e["type"] == kind)


# --- recorded call lives -------------------------------------------------------------------
async def test_an_asterisk_call_routes_to_the_agent_who_accepts(live: LiveServer) -> None:
    """The dialplan's way: a form body, the answer as &-joined pairs (CURLOPT hashcompat)."""
    key = await setup(live)
    call_id, events = recorded("asterisk")
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    before_dial = until(events, "answered")
    first = await post_events(live, key, events[:before_dial])
    assert [r["status"] for r in first["results"]] == ["applied"] * 3
    assert [r["outcome"] for r in first["results"]] == ["registered", "recorded", "recorded"]

    # The long poll: held until alice accepts on her console.
    request = asyncio.create_task(
        live.client.post(
            f"/api/telephony/calls/{call_id}/route",
            # As CURL() posts it once CURLOPT(httpheader) is set: a form, no Content-Type.
            content="wait=10&language=",
            headers={"X-Api-Key": key, "Accept": "application/x-www-form-urlencoded"},
        )
    )
    offer = await alice.expect("offer")
    assert offer["contact"]["ivr_path"] == ["1", "2"]  # the DTMF typed in the PBX's menu
    assert offer["customer"]["customer"]["phones"] == ["+8613800000001"]
    await alice.send("offer.accept", contact_id=offer["contact"]["id"])
    r = await request
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-www-form-urlencoded")
    answer = dict(parse_qsl(r.text))
    assert answer["action"] == "dial" and answer["agent_uri"] == ALICE_URI
    assert answer["contact_id"] == offer["contact"]["id"] and answer["call_id"] == call_id

    rest = await post_events(live, key, events[before_dial:])
    assert [r["outcome"] for r in rest["results"]] == ["answered", "ended"]
    ended = await alice.expect("contact.ended", contact_id=offer["contact"]["id"])
    assert ended["ended_by"] == "customer" and ended["wrapup_until"]
    await alice.expect("state", state="wrapup")

    contacts, calls, processed = await pbx_rows(live)
    assert len(contacts) == 1 and contacts[0].external_id == call_id
    assert contacts[0].status == "wrapup" and contacts[0].end_reason == "completed"
    assert contacts[0].ivr_path == ["1", "2"] and contacts[0].attributes["dialled"] == "4000"
    assert contacts[0].language == "zh"
    assert calls[0].answered_by == "PJSIP/alice-0000001b" and calls[0].hangup_cause
    assert processed == len(events)

    # The forwarder replays the whole recording (it lost our answers): nothing changes.
    replay = await post_events(live, key, events)
    assert replay["duplicates"] == len(events) and replay["applied"] == replay["rejected"] == 0
    assert [r["outcome"] for r in replay["results"]] == [
        r["outcome"] for r in first["results"] + rest["results"]
    ]
    again, _, processed_again = await pbx_rows(live)
    assert [(c.id, c.status, c.end_reason) for c in again] == [
        (contacts[0].id, "wrapup", "completed")
    ]
    assert processed_again == processed
    await alice.nothing("contact.ended", wait=0.3)
    await alice.close()


async def test_a_freeswitch_call_routes_to_the_agent_who_accepts(live: LiveServer) -> None:
    """The Lua script's way: a JSON body, the answer as key=value lines (Accept: text/plain)."""
    key = await setup(live)
    call_id, events = recorded("freeswitch")
    assert [e["type"] for e in events] == ["offered", "dtmf", "answered", "hangup"]
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    await post_events(live, key, events[:2])

    request = asyncio.create_task(
        live.client.post(
            f"/api/telephony/calls/{call_id}/route",
            json={"wait": 10},
            headers={"X-Api-Key": key, "Accept": "text/plain"},
        )
    )
    offer = await alice.expect("offer")
    assert offer["contact"]["ivr_path"] == ["3"]
    await alice.send("offer.accept", contact_id=offer["contact"]["id"])
    r = await request
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    lines = dict(line.split("=", 1) for line in r.text.splitlines())
    assert lines["action"] == "dial" and lines["agent_uri"] == ALICE_URI

    # A repeated route request (a retried HTTP call) continues the same contact.
    again = await live.client.post(
        f"/api/telephony/calls/{call_id}/route", json={"wait": 0}, headers={"X-Api-Key": key}
    )
    assert again.json()["action"] == "dial"
    assert again.json()["contact_id"] == offer["contact"]["id"]

    rest = await post_events(live, key, events[2:])
    assert [r["outcome"] for r in rest["results"]] == ["answered", "ended"]
    await alice.expect("contact.ended", contact_id=offer["contact"]["id"])
    contacts, calls, _ = await pbx_rows(live)
    assert [(c.external_id, c.status, c.ivr_path) for c in contacts] == [(call_id, "wrapup", ["3"])]
    assert calls[0].hangup_cause == "NORMAL_CLEARING"
    replay = await post_events(live, key, events)
    assert replay["duplicates"] == 4
    assert [(c.id, c.status) for c in (await pbx_rows(live))[0]] == [(contacts[0].id, "wrapup")]
    await alice.close()


# --- waiting, abandoning -------------------------------------------------------------------
async def test_a_waiting_caller_hears_its_place_and_abandons(live: LiveServer) -> None:
    key = await setup(live)
    headers = {"X-Api-Key": key}
    url = "/api/telephony/calls/1732960800.99/route"
    body = {"from": "+8613800000003", "queue": "service", "digits": "12", "wait": 0}
    first = await live.client.post(url, json=body, headers=headers)
    assert first.status_code == 200, first.text
    out = first.json()
    # Nobody is available: the first answer announces the queue, and says when to ask again.
    assert out["action"] == "play" and out["prompt"] == "queued"
    assert out["position"] == 1 and out["retry_after"] == 5 and out["estimated_wait"] is None
    second = (await live.client.post(url, json={"wait": 0}, headers=headers)).json()
    assert second["action"] == "wait" and second["contact_id"] == out["contact_id"]

    # A second caller queues behind the first.
    other = await live.client.post(
        "/api/telephony/calls/1732960801.00/route",
        json={"from": "+8613800000004", "queue": "service", "wait": 0},
        headers=headers,
    )
    assert other.json()["position"] == 2

    result = await post_events(
        live, key, [{"id": "h-1", "call_id": "1732960800.99", "type": "hangup"}]
    )
    assert result["results"][0]["outcome"] == "abandoned"
    contacts, _, _ = await pbx_rows(live)
    first_contact = next(c for c in contacts if c.external_id == "1732960800.99")
    assert first_contact.status == "ended" and first_contact.end_reason == "abandoned"
    assert first_contact.ivr_path == ["1", "2"]
    # The call is over: asking for its route again is a conflict, and makes no contact.
    late = await live.client.post(url, json={"wait": 0}, headers=headers)
    assert late.status_code == 409 and "ended" in late.json()["message"]
    text = await live.client.post(
        url, json={"wait": 0}, headers={**headers, "Accept": "text/plain"}
    )
    assert text.status_code == 409 and text.text.startswith("action=error\nstatus=409\n")
    assert len((await pbx_rows(live))[0]) == 2


async def test_past_the_queue_maximum_wait_the_answer_is_fallback(live: LiveServer) -> None:
    key = await setup(live, max_wait=1)
    r = await live.client.post(
        "/api/telephony/calls/fs-timeout-1/route",
        json={"from": "+8613800000005", "queue": "service", "wait": 15},
        headers={"X-Api-Key": key},
    )
    # Held until routing's timer gives up on the caller (an event, not a sleep of ours).
    assert r.status_code == 200, r.text
    assert r.json()["action"] == "fallback" and r.json()["reason"] == "timed_out"
    contacts, _, _ = await pbx_rows(live)
    assert [(c.status, c.end_reason) for c in contacts] == [("ended", "timed_out")]


async def test_an_agent_without_a_sip_uri_is_unreachable(live: LiveServer) -> None:
    key = await setup(live)
    async with live.uow() as uow:
        alice = await StaffRepository(uow.session).agent_by_username("alice")
        assert alice is not None
        alice.sip_uri = None
    alice_ws = await AgentClient(live, "alice").connect()
    await alice_ws.available()
    request = asyncio.create_task(
        live.client.post(
            "/api/telephony/calls/nouri-1/route",
            json={"from": "+8613800000006", "queue": "service", "wait": 10},
            headers={"X-Api-Key": key},
        )
    )
    offer = await alice_ws.expect("offer")
    await alice_ws.send("offer.accept", contact_id=offer["contact"]["id"])
    r = await request
    assert r.json()["action"] == "fallback" and r.json()["reason"] == "unreachable"
    await alice_ws.expect("contact.ended", contact_id=offer["contact"]["id"])
    await alice_ws.close()


# --- keys ----------------------------------------------------------------------------------
async def test_keys_are_shown_once_stored_hashed_audited_and_revocable(live: LiveServer) -> None:
    key = await setup(live)
    call = {"id": "k-1", "call_id": "k-call", "type": "offered", "from": "+8613800000007"}
    ok = await live.client.post(
        "/api/telephony/events", json={"events": [call]}, headers={"X-Api-Key": key}
    )
    assert ok.status_code == 200, ok.text

    listed = (await live.request("GET", "/api/telephony/keys")).json()
    assert [(k["name"], k["active"]) for k in listed] == [("pbx-1", True)]
    assert "key" not in listed[0] and key.startswith(listed[0]["prefix"])
    async with live.uow() as uow:
        stored = (await uow.session.execute(select(PbxKey))).scalar_one()
        audit = list((await uow.session.execute(select(AuditEntry))).scalars())
    assert key not in (stored.key_hash, stored.prefix) and len(stored.key_hash) == 64
    assert [a.action for a in audit if a.entity == "pbx_key"] == ["pbx_key.issue"]
    assert all(key not in json.dumps(a.detail) for a in audit)

    for bad in ({}, {"X-Api-Key": "hpk_forged"}, {"X-Api-Key": "x" * 5000}):
        r = await live.client.post("/api/telephony/events", json={"events": [call]}, headers=bad)
        assert r.status_code == 401 and "hpk_" not in r.text
        r = await live.client.post("/api/telephony/calls/k-call/route", json={}, headers=bad)
        assert r.status_code == 401
    # An agent or a supervisor cannot issue keys; a PBX key opens nothing else.
    assert (
        await live.request("POST", "/api/telephony/keys", "super", json={"name": "x"})
    ).status_code == 403
    assert (
        await live.client.get("/api/telephony/keys", headers={"X-Api-Key": key})
    ).status_code == 401

    r = await live.request("DELETE", f"/api/telephony/keys/{listed[0]['id']}")
    assert r.status_code == 204
    for url, body in (
        ("/api/telephony/events", {"events": [call]}),
        ("/api/telephony/calls/k-call/route", {}),
    ):
        r = await live.client.post(url, json=body, headers={"X-Api-Key": key})
        assert r.status_code == 401 and "revoked" in r.json()["message"]
    text = await live.client.post(
        "/api/telephony/calls/k-call/route", headers={"X-Api-Key": key, "Accept": "text/plain"}
    )
    assert text.status_code == 401 and "action=error" in text.text
    again = await live.request("DELETE", f"/api/telephony/keys/{listed[0]['id']}")
    assert again.status_code == 409
    assert (await live.request("DELETE", "/api/telephony/keys/999")).status_code == 404
    listed = (await live.request("GET", "/api/telephony/keys")).json()
    assert listed[0]["active"] is False and listed[0]["revoked_by"] is not None
    async with live.uow() as uow:
        actions = [
            a.action
            for a in (await uow.session.execute(select(AuditEntry))).scalars()
            if a.entity == "pbx_key"
        ]
    assert actions == ["pbx_key.issue", "pbx_key.revoke"]


# --- bad input -----------------------------------------------------------------------------
async def test_bad_batches_and_bodies_get_clear_errors_and_write_nothing(live: LiveServer) -> None:
    key = await setup(live)
    headers = {"X-Api-Key": key}
    malformed: list[Any] = [
        {},
        {"events": []},
        {"events": [{"id": "b-1", "call_id": "c", "type": "ringing"}]},
        {"events": [{"call_id": "c", "type": "hangup"}]},
        {"events": [{"id": "b-1", "call_id": "c/../x", "type": "hangup"}]},
        {"events": [{"id": "b-1", "call_id": "c", "type": "dtmf", "digit": "12"}]},
        {"events": [{"id": "b-1", "call_id": "c", "type": "transferred"}]},
        {"events": [{"id": "b-1", "call_id": "c", "type": "hangup", "at": 17}]},
        {"events": [{"id": "b-1", "call_id": "c", "type": "hangup", "at": "2026-11-30T09:00:00"}]},
        {
            "events": [
                {"id": "b-1", "call_id": "c", "type": "hangup", "at": "0001-01-01T00:00+01:00"}
            ]
        },
        {"events": [{"id": "b-1", "call_id": "c", "type": "hangup", "cause": "x\u0000"}]},
        {"events": [{"id": "b-1", "call_id": "c", "type": "hangup"}] * 101},
    ]
    for body in malformed:
        r = await live.client.post("/api/telephony/events", json=body, headers=headers)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["code"] == "invalid" and r.json()["detail"]
    r = await live.client.post(
        "/api/telephony/events", content=b'{"events": [NaN]}', headers=headers
    )
    assert r.status_code == 422
    route = "/api/telephony/calls/bad-1/route"
    for content, kind in (
        ("wait=abc", "application/x-www-form-urlencoded"),
        ("wait=5&wait=6", "application/x-www-form-urlencoded"),
        ("from=%00", "application/x-www-form-urlencoded"),
        ("colour=blue", "application/x-www-form-urlencoded"),
        ('{"wait": 99}', "application/json"),
        ('{"digits": "12x"}', "application/json"),
        ("[1]", "application/json"),
        ("<xml/>", "application/xml"),
        ("{}", "application/json"),  # a new call with no caller and no queue
        ('{"from": "+8613800000008", "queue": "nowhere"}', "application/json"),
    ):
        r = await live.client.post(
            route, content=content, headers={**headers, "Content-Type": kind}
        )
        assert r.status_code == 422, (content, r.text)
        assert r.json()["message"]
    bad_path = await live.client.post("/api/telephony/calls/a%20b/route", json={}, headers=headers)
    assert bad_path.status_code == 422
    contacts, calls, processed = await pbx_rows(live)
    assert (contacts, calls, processed) == ([], [], 0)


async def test_a_mixed_batch_says_per_event_what_happened(live: LiveServer) -> None:
    key = await setup(live)
    batch = [
        {"id": "m-1", "call_id": "mix-1", "type": "offered", "from": "+8613800000009",
         "queue": "service"},
        {"id": "m-2", "call_id": "never-offered", "type": "dtmf", "digit": "5"},
        {"id": "m-3", "call_id": "mix-1", "type": "answered"},
        {"id": "m-4", "call_id": "mix-1", "type": "dtmf", "digit": "#"},
        {"id": "m-4", "call_id": "mix-1", "type": "dtmf", "digit": "#"},
        {"id": "m-5", "call_id": "never-offered", "type": "hangup"},
    ]  # fmt: skip
    out = await post_events(live, key, batch)
    statuses = [(r["status"], (r["error"] or {}).get("status")) for r in out["results"]]
    assert statuses == [
        ("applied", None),
        ("rejected", 404),  # unknown call
        ("rejected", 409),  # answered, but never routed
        ("applied", None),
        ("duplicate", None),  # the same id twice in one batch: applied once
        ("rejected", 404),
    ]
    assert (out["applied"], out["duplicates"], out["rejected"]) == (2, 1, 3)
    assert "never routed" in out["results"][2]["error"]["message"]
    _, calls, processed = await pbx_rows(live)
    assert [(c.call_id, c.digits, c.answered_at) for c in calls] == [("mix-1", "#", None)]
    assert processed == 2
    # A rejected event was not stored: once its call is known, the same id applies.
    await post_events(live, key, [batch[0] | {"id": "m-6", "call_id": "never-offered"}])
    retried = await post_events(live, key, [batch[1]])
    assert retried["results"][0]["status"] == "applied"


async def test_a_transfer_to_a_queue_is_routed_again_under_the_same_call(live: LiveServer) -> None:
    key = await setup(live)
    r = await live.request(
        "POST",
        "/api/queues",
        json={"name": "sales", "display_name": "Sales", "skills": ["sales"]},
    )
    assert r.status_code == 201, r.text
    await add_agent(live.uow, "bob", "agent", skills={"sales": 4}, sip_uri="sip:bob@10.0.0.32")
    alice = await AgentClient(live, "alice").connect()
    bob = await AgentClient(live, "bob").connect()
    await alice.available()
    await bob.available()
    headers = {"X-Api-Key": key}
    url = "/api/telephony/calls/tr-1/route"
    body = {"from": "+8613800000010", "queue": "service", "wait": 10}
    request = asyncio.create_task(live.client.post(url, json=body, headers=headers))
    offer = await alice.expect("offer")
    first_leg = offer["contact"]["id"]
    await alice.send("offer.accept", contact_id=first_leg)
    assert (await request).json()["agent_uri"] == ALICE_URI
    await post_events(live, key, [{"id": "tr-a", "call_id": "tr-1", "type": "answered"}])

    moved = await post_events(
        live, key, [{"id": "tr-t", "call_id": "tr-1", "type": "transferred", "queue": "sales"}]
    )
    assert moved["results"][0]["outcome"] == "transferred"
    second_leg = moved["results"][0]["contact_id"]
    assert second_leg != first_leg
    await alice.expect("contact.ended", contact_id=first_leg)

    # The PBX asks again for the same call: the new leg is routed, to bob.
    request = asyncio.create_task(live.client.post(url, json={"wait": 10}, headers=headers))
    offer = await bob.expect("offer")
    assert offer["contact"]["id"] == second_leg
    await bob.send("offer.accept", contact_id=second_leg)
    answer = (await request).json()
    assert (answer["action"], answer["agent_uri"]) == ("dial", "sip:bob@10.0.0.32")
    assert answer["contact_id"] == second_leg

    # Bob never answers on the phone: the caller's hang-up ends bob's leg, unanswered.
    done = await post_events(live, key, [{"id": "tr-h", "call_id": "tr-1", "type": "hangup"}])
    assert done["results"][0]["outcome"] == "ended_unanswered"
    await bob.expect("contact.ended", contact_id=second_leg)
    contacts, _, _ = await pbx_rows(live)
    assert [(str(c.id), c.end_reason) for c in contacts] == [(first_leg, "transferred")]
    async with live.uow() as uow:
        leg = await uow.session.get(Interaction, int(second_leg))
    assert leg is not None and leg.queue == "sales" and leg.status == "wrapup"
    assert leg.attributes["_transferred_from"] == first_leg
    await alice.close()
    await bob.close()
