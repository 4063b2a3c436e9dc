"""IVR mode end to end: sipp (Debian's sip-tester) calls the `ivr` and `survey` numbers,
plays sip-tester's own RFC 4733 DTMF pcaps, and an agent accepts over the real websocket;
a small Python caller covers what sipp cannot wait for (hanging up once queued)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import select

from app.contacts.scheduled_callbacks import ScheduledCallbacks
from app.db.models import Interaction
from app.events.bus import Subscription
from app.main import create_app
from config.settings import CONFIG_DIR, Settings
from ivr.media.rtp import RtpPacket, build
from ivr.media.rtp import parse as parse_rtp
from ivr.media.sdp import parse_offer
from ivr.sip.message import Headers, Request, Response, make_response, parse
from tests.agent_client import AgentClient
from tests.conftest import LiveServer, add_agent, make_settings, start_live_server
from tests.e2e.test_scheduled_callbacks import promise_callback
from tests.sip.test_sip_calls import (
    ALICE_URI,
    SIPP,
    Sipp,
    free_udp_port,
    setup,
    sip_port,
)

PCAPS = Path("/usr/share/sip-tester")
pytestmark = pytest.mark.skipif(
    SIPP is None or not PCAPS.exists(),
    reason="sipp and its pcaps are not installed (scripts/services.sh installs sip-tester)",
)


@pytest.fixture
def live_settings(db_url: str, tmp_path: Path) -> Settings:
    """SIP on a free port, RTP on any free ports; queue notices every 2 s; calls Hotline
    makes (callbacks) go through an outbound proxy on a free port, where a test's sipp
    plays the agent's phone."""
    config = yaml.safe_load((CONFIG_DIR / "telephony.yaml").read_text(encoding="utf-8"))
    config["queued_interval_seconds"] = 2
    telephony = tmp_path / "telephony.yaml"
    telephony.write_text(yaml.safe_dump(config), encoding="utf-8")
    return make_settings(
        db_url,
        tmp_path,
        sip_enabled=True,
        sip_port=0,
        telephony_file=telephony,
        rtp_ports="0",
        sip_outbound_proxy=f"127.0.0.1:{free_udp_port()}",
    )


class IvrSipp(Sipp):
    """sipp with a media port of its own (the pcaps are played from it) and more time: a
    caller goes through prompts and a queue."""

    service = "ivr"
    call_seconds = 60
    wait_seconds = 90.0

    def role(self, service: str) -> list[str]:
        return [*super().role(service), "-mi", "127.0.0.1", "-mp", str(free_udp_port())]


class AgentPhone(Sipp):
    """sipp as the agent's phone, listening where the outbound proxy is configured."""

    call_seconds = 120
    wait_seconds = 130.0

    def role(self, service: str) -> list[str]:
        proxy = self.live.app.state.telephony.ivr.callbacks.proxy
        port = proxy.rsplit(":", 1)[1]
        return ["-p", port, "-mi", "127.0.0.1", "-mp", str(free_udp_port())]


async def customer(live: LiveServer, phone: str) -> int:
    r = await live.request("POST", "/api/customers", json={"name": "Caller", "phones": [phone]})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def ivr_interactions(live: LiveServer) -> list[Interaction]:
    await live.app.state.telephony.ivr.settled()
    await live.app.state.hotline.contacts.caught_up()
    async with live.uow() as uow:
        rows = await uow.session.execute(
            select(Interaction).where(Interaction.source == "sip").order_by(Interaction.id)
        )
        return list(rows.scalars())


async def accept(alice: AgentClient, caller: str) -> dict[str, Any]:
    offer = await alice.expect("offer", within=40)
    assert offer["customer"]["customer"]["phones"] == [caller]
    await alice.send("offer.accept", contact_id=str(offer["contact"]["id"]))
    await alice.expect("contact.assigned", within=10)
    return offer


@pytest.mark.parametrize("transport", ["u1", "t1"])
async def test_keys_choose_the_menu_then_refer_to_the_accepting_agent(
    live: LiveServer, tmp_path: Path, transport: str
) -> None:
    await setup(live)
    caller = "+8613800000081"
    await customer(live, caller)
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    sipp = await IvrSipp(live, tmp_path, "ivr_call", caller).start(transport=transport)
    offer = await accept(alice, caller)
    log = await sipp.done()
    assert "SIP/2.0 200 OK" in log and "m=audio" in log  # answered with SDP
    assert "REFER sip:" in log and f"Refer-To: <{ALICE_URI}>" in log
    (record,) = await ivr_interactions(live)
    assert str(record.id) == str(offer["contact"]["id"])
    assert record.language == "en" and record.intent == "agent"
    assert record.ivr_path[0] == "identify" and "identify: found" in record.ivr_path
    assert "language: 2" in record.ivr_path and "menu_self_service_first: 0" in record.ivr_path
    assert record.ivr_path[-1] == "queue service"
    assert record.status == "active" and record.agent_id is not None
    assert record.attributes["dialled"] == "ivr"
    assert record.attributes["transfer"] == "done"
    assert record.attributes["transfer_to"] == ALICE_URI
    assert offer["contact"]["ivr_path"] == record.ivr_path  # in the screen pop too


async def test_a_caller_that_refuses_refer_gets_the_callback_fallback(
    live: LiveServer, tmp_path: Path
) -> None:
    await setup(live)
    caller = "+8613800000082"
    await customer(live, caller)
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    sipp = await IvrSipp(live, tmp_path, "ivr_refer_refused", caller).start()
    await accept(alice, caller)
    log = await sipp.done()
    assert "SIP/2.0 501 Not Implemented" in log and "BYE sip:" in log
    (record,) = await ivr_interactions(live)
    assert record.attributes["transfer"] == "refused"
    assert record.attributes["fallback"] == "callback"
    assert record.attributes["transfer_error"] == "REFER refused (501)"


async def test_the_survey_rating_lands_on_the_call_just_had(
    live: LiveServer, tmp_path: Path
) -> None:
    await setup(live)
    caller = "+8613800000083"
    await customer(live, caller)
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    sipp = await IvrSipp(live, tmp_path, "ivr_call", caller).start()
    await accept(alice, caller)
    await sipp.done()
    # The agent hands the caller to the survey number; the caller rates 4.
    log = await (await IvrSipp(live, tmp_path, "ivr_survey", caller).start(service="survey")).done()
    assert "BYE sip:" in log
    (record,) = await ivr_interactions(live)
    assert record.rating == 4 and record.attributes["rated_by"] == "ivr"
    # The wallboard's figures follow at once (contact.rated): alice's average rating is 4.
    floor = live.app.state.hotline.supervisor.floor
    async with asyncio.timeout(5):  # the feed handles the event in its own task: polled
        while floor.agent_view(str(record.agent_id), 0.0)["average_rating"] != 4:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


# --- a Python caller, for what sipp cannot wait for -----------------------------------------
OFFER = (
    "v=0\r\no=py 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio {port} RTP/AVP {formats}\r\na=rtpmap:101 telephone-event/8000\r\n"
)


class Signalling(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.responses: asyncio.Queue[Response] = asyncio.Queue()
        self.requests: asyncio.Queue[Request] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        message = parse(data)
        if isinstance(message, Response):
            self.responses.put_nowait(message)
        else:
            self.requests.put_nowait(message)


class Media(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.packets: list[tuple[float, RtpPacket]] = []
        self.enough = asyncio.Event()
        self.wanted = 10

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.packets.append((asyncio.get_running_loop().time(), parse_rtp(data)))
        if len(self.packets) >= self.wanted:
            self.enough.set()


class Phone:
    """A minimal UDP caller: INVITE with an offer, ACK, keys as RFC 4733 packets, BYE."""

    def __init__(self, live: LiveServer, caller: str) -> None:
        self.live, self.caller = live, caller
        self.call_id = f"py-{secrets.token_hex(6)}"
        self.to = ""
        self.cseq = 1
        self.invite_cseq = 1

    async def open(self) -> Phone:
        loop = asyncio.get_running_loop()
        self.sip, self.signalling = await loop.create_datagram_endpoint(
            Signalling, local_addr=("127.0.0.1", 0), remote_addr=("127.0.0.1", sip_port(self.live))
        )
        self.rtp, self.media = await loop.create_datagram_endpoint(
            Media, local_addr=("127.0.0.1", 0)
        )
        self.port = self.sip.get_extra_info("sockname")[1]
        self.media_port = self.rtp.get_extra_info("sockname")[1]
        return self

    def close(self) -> None:
        self.sip.close()
        self.rtp.close()

    async def final(self) -> Response:
        while True:
            response = await asyncio.wait_for(self.signalling.responses.get(), 30)
            if response.status >= 200:
                return response

    def send(self, method: str, body: str = "", uri: str = "sip:ivr@127.0.0.1") -> None:
        if method == "ACK":
            cseq = self.invite_cseq  # the ACK of the last INVITE has its CSeq number
        else:
            self.cseq += 1 if self.to else 0  # in the dialog: the next number
            cseq = self.cseq
            if method == "INVITE":
                self.invite_cseq = cseq
        head = (
            f"{method} {uri} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bK-{secrets.token_hex(4)};rport\r\n"
            f"From: <sip:{self.caller}@127.0.0.1>;tag=py\r\nTo: {self.to or '<' + uri + '>'}\r\n"
            f"Call-ID: {self.call_id}\r\nCSeq: {cseq} {method}\r\n"
            f"Contact: <sip:{self.caller}@127.0.0.1:{self.port}>\r\n"
            + ("Content-Type: application/sdp\r\n" if body else "")
            + f"Content-Length: {len(body)}\r\n\r\n{body}"
        )
        self.sip.sendto(head.encode())

    def notify(self, sipfrag: str) -> Request:
        """A NOTIFY of the REFER's progress (RFC 3515), in the dialog."""
        self.cseq += 1
        head = Headers()
        head.add("Via", f"SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bK-{secrets.token_hex(4)}")
        head.add("From", f"<sip:{self.caller}@127.0.0.1>;tag=py")
        head.add("To", self.to)
        head.add("Call-ID", self.call_id)
        head.add("CSeq", f"{self.cseq} NOTIFY")
        head.add("Event", "refer")
        head.add("Subscription-State", "terminated;reason=noresource")
        head.add("Content-Type", "message/sipfrag;version=2.0")
        return Request("NOTIFY", "sip:ivr@127.0.0.1", head, sipfrag.encode())

    async def call(
        self, number: str = "ivr", formats: str = "0 101", late: str | None = None
    ) -> Response:
        """INVITE with our offer; or, with ``late``, without one (a late offer: Hotline's
        offer comes in the 200 and ``late`` is the answer the ACK carries, "" for none)."""
        sdp = OFFER.format(port=self.media_port, formats=formats)
        self.send("INVITE", "" if late is not None else sdp, f"sip:{number}@127.0.0.1")
        response = await self.final()
        if response.status == 200:
            self.to = response.headers.get("To") or ""
            self.answer = parse_offer(response.body)
            self.send("ACK", late or "")
        return response

    def keys(self, keys: str, start: int = 1000) -> None:
        for n, key in enumerate(keys):
            event = "0123456789*#".index(key)
            for i in range(3):  # an event's end, sent three times (RFC 4733 §2.5.1.4)
                packet = build(101, n * 3 + i, start + 1000 * n, 7, bytes([event, 0x8A, 0, 160]))
                self.rtp.sendto(packet, (self.answer.address, self.answer.port))

    async def request(self, method: str) -> Request:
        request = await asyncio.wait_for(self.signalling.requests.get(), 40)
        assert request.method == method, request.method
        return request

    def reply(self, request: Request, status: int) -> None:
        self.sip.sendto(make_response(request, status).encode())

    async def hung_up(self) -> Request:
        """Hotline's BYE, answered 200."""
        bye = await asyncio.wait_for(self.signalling.requests.get(), 30)
        assert bye.method == "BYE"
        ok = make_response(bye, 200)
        self.sip.sendto(ok.encode())
        return bye


def watch(live: LiveServer) -> Subscription:
    return live.app.state.hotline.contacts.center.bus.subscribe("ivr-test")


async def queued(sub: Subscription) -> None:
    """Until the caller's contact waits in its queue."""
    async with asyncio.timeout(30):
        while True:
            if any(e.name == "contact.queued" for e in await sub.next_batch()):
                sub.close()
                return


async def test_no_pcmu_in_the_offer_is_488(live: LiveServer) -> None:
    phone = await Phone(live, "+8613800000084").open()
    try:
        response = await phone.call(formats="8 101")
        assert response.status == 488 and response.reason == "Not Acceptable Here"
        assert "no PCMU" in (response.headers.get("Warning") or "")
    finally:
        phone.close()
    assert await ivr_interactions(live) == []


async def test_a_late_offer_is_answered_in_the_ack_and_the_menus_run(live: LiveServer) -> None:
    """An INVITE without SDP (RFC 3264 §5): Hotline offers PCMU and telephone-event in the
    200, the ACK brings the caller's answer, and the flow runs on it."""
    await setup(live)
    caller = "+8613800000085"
    await customer(live, caller)
    phone = await Phone(live, caller).open()
    sub = watch(live)
    try:
        answer = OFFER.format(port=phone.media_port, formats="0 101")
        response = await phone.call(late=answer)
        assert response.status == 200
        assert (phone.answer.pcmu, phone.answer.telephone_event) == (0, 101)  # our offer
        phone.keys("20")  # the menus hear the keys: the caller is queued
        await queued(sub)
    finally:
        phone.close()
    (record,) = await ivr_interactions(live)
    assert record.ivr_path[-1] == "queue service"


async def test_a_late_offer_without_an_answer_in_the_ack_is_hung_up(live: LiveServer) -> None:
    phone = await Phone(live, "+8613800000086").open()
    try:
        assert (await phone.call(late="")).status == 200
        bye = await phone.request("BYE")  # nothing to send media to: Hotline ends the call
        phone.reply(bye, 200)
    finally:
        phone.close()
    assert await ivr_interactions(live) == []


async def test_bye_while_queued_ends_the_contact_abandoned(live: LiveServer) -> None:
    await setup(live)  # nobody available: the caller waits
    caller = "+8613800000085"
    await customer(live, caller)
    phone = await Phone(live, caller).open()
    sub = watch(live)
    try:
        assert (await phone.call()).status == 200
        phone.keys("20")  # English, an agent: typed ahead of the prompts
        phone.rtp.sendto(b"garbage, not RTP", (phone.answer.address, phone.answer.port))
        await queued(sub)
        phone.media.wanted = len(phone.media.packets) + 10
        await asyncio.wait_for(phone.media.enough.wait(), 30)  # the queue's notice plays
        phone.send("BYE")
        assert (await phone.final()).status == 200
    finally:
        phone.close()
    (record,) = await ivr_interactions(live)
    assert record.status == "ended" and record.end_reason == "abandoned"
    assert record.ended_by == "customer" and "menu_self_service_first: 0" in record.ivr_path
    # The prompts came as PCMU, 160 bytes every 20 ms, in order, the first one marked.
    times, packets = zip(*phone.media.packets, strict=True)
    assert {p.payload_type for p in packets} == {0} and {len(p.payload) for p in packets} == {160}
    assert packets[0].marker
    assert all((b.sequence - a.sequence) % 65536 == 1 for a, b in itertools.pairwise(packets))
    span = times[-1] - times[0]
    assert span >= 0.015 * (len(times) - 1)  # paced, not sent in a burst


async def test_a_hang_up_in_the_menus_leaves_no_contact(live: LiveServer) -> None:
    await setup(live)
    phone = await Phone(live, "+8613800000086").open()
    try:
        assert (await phone.call()).status == 200
        phone.send("BYE")
        assert (await phone.final()).status == 200
        phone.send("BYE")  # the dialog is gone
        assert (await phone.final()).status == 481
    finally:
        phone.close()
    assert live.app.state.telephony.ivr.calls == {}
    assert await ivr_interactions(live) == []


async def test_past_the_maximum_wait_the_caller_is_told_and_hung_up(live: LiveServer) -> None:
    await setup(live, max_wait=2)
    caller = "+8613800000087"
    await customer(live, caller)
    phone = await Phone(live, caller).open()
    sub = watch(live)
    try:
        assert (await phone.call()).status == 200
        phone.keys("20")
        await queued(sub)
        bye = await phone.hung_up()  # after "we could not connect you"
        assert bye.headers.get("Call-ID") == phone.call_id
    finally:
        phone.close()
    (record,) = await ivr_interactions(live)
    assert record.status == "ended"


async def test_a_reinvite_moves_the_media(live: LiveServer) -> None:
    await setup(live)
    caller = "+8613800000088"
    await customer(live, caller)
    phone = await Phone(live, caller).open()
    loop = asyncio.get_running_loop()
    moved, media = await loop.create_datagram_endpoint(Media, local_addr=("127.0.0.1", 0))
    try:
        assert (await phone.call()).status == 200  # the language menu starts playing
        first = phone.answer
        new_port = moved.get_extra_info("sockname")[1]
        phone.send("INVITE", OFFER.format(port=new_port, formats="0 101"))
        again = await phone.final()
        assert again.status == 200 and again.headers.get("To") == phone.to  # same dialog
        assert (parse_offer(again.body).address, parse_offer(again.body).port) == (
            first.address, first.port)  # fmt: skip
        assert b" 2 IN IP4 " in again.body  # the session's version, one up
        phone.send("ACK")
        await asyncio.wait_for(media.enough.wait(), 30)  # the prompt goes to the new port
        phone.send("BYE")
        assert (await phone.final()).status == 200
    finally:
        moved.close()
        phone.close()


async def test_a_transfer_that_fails_after_202_runs_the_fallback(live: LiveServer) -> None:
    await setup(live)
    caller = "+8613800000089"
    await customer(live, caller)
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    phone = await Phone(live, caller).open()
    try:
        assert (await phone.call()).status == 200
        phone.keys("20")
        await accept(alice, caller)
        refer = await phone.request("REFER")
        assert refer.headers.get("Refer-To") == f"<{ALICE_URI}>"
        phone.reply(refer, 202)
        frag = "SIP/2.0 486 Busy Here\r\n"
        phone.sip.sendto(phone.notify(frag).encode())
        assert (await phone.final()).status == 200  # the NOTIFY
        await phone.hung_up()  # after "we will call you back"
    finally:
        phone.close()
    (record,) = await ivr_interactions(live)
    assert record.attributes["transfer"] == "refused"
    assert record.attributes["transfer_error"] == "transfer failed (486)"


# --- callbacks that keep their place --------------------------------------------------------
async def waiting_callback(live: LiveServer, tmp_path: Path, caller: str) -> Interaction:
    """sipp calls `ivr`, presses 2, 0 and 9, and is hung up; nobody is available, so the
    contact goes on waiting, marked a callback."""
    log = await (await IvrSipp(live, tmp_path, "ivr_callback", caller).start()).done()
    assert "BYE sip:" in log
    (record,) = await ivr_interactions(live)
    assert record.status == "queued" and record.ended_at is None  # still waiting
    return record


async def test_a_callback_keeps_its_place_and_connects_the_agent_and_the_customer(
    live: LiveServer, tmp_path: Path
) -> None:
    await setup(live)
    caller = "+8613800000090"
    await customer(live, caller)
    proxy = live.app.state.telephony.ivr.callbacks.proxy
    phone = await AgentPhone(live, tmp_path, "agent_phone", "alice").start()
    record = await waiting_callback(live, tmp_path, caller)  # nobody available: it waits
    assert record.attributes["callback"] == "requested"
    assert record.attributes["callback_number"] == caller
    assert record.attributes["callback_to"] == f"sip:{caller}@{proxy}"
    assert record.ivr_path[-2:] == ["queue service", "queue: 9 (callback)"]
    route = live.app.state.hotline.contacts.router.store.route(str(record.id))
    assert route is not None and str(route.status) == "queued"  # its place in routing kept

    alice = await AgentClient(live, "alice").connect()
    await alice.send("state.set", state="available")  # offered at once: no "available" state
    offer = await alice.expect("offer", within=40)
    assert offer["contact"]["id"] == str(record.id)  # the same contact, as old as it was
    assert offer["contact"]["created_at"].startswith(record.created_at.isoformat()[:19])
    assert offer["contact"]["attributes"]["callback"] == "requested"  # the pop says so
    assert offer["contact"]["attributes"]["callback_number"] == caller
    await alice.send("offer.accept", contact_id=str(record.id))
    await alice.expect("contact.assigned", within=10)

    log = await phone.done()  # rang, answered, REFERred to the customer, 202, NOTIFY, BYE
    assert "INVITE sip:alice@127.0.0.1:5070 SIP/2.0" in log  # the agent's URI, via the proxy
    assert f"Refer-To: <sip:{caller}@{proxy}>" in log
    shown = await alice.expect("contact.assigned", within=20)  # the outcome, on the console
    assert shown["contact"]["attributes"]["callback"] == "connected"
    (after,) = await ivr_interactions(live)
    assert after.id == record.id and after.created_at == record.created_at
    assert after.status == "active" and after.agent_id is not None
    assert after.attributes["callback"] == "connected"
    assert after.attributes["callback_agent_uri"] == ALICE_URI


async def test_a_callback_the_agents_phone_refuses_is_recorded_and_shown(
    live: LiveServer, tmp_path: Path
) -> None:
    await setup(live)
    caller = "+8613800000091"
    await customer(live, caller)
    phone = await AgentPhone(live, tmp_path, "agent_phone_busy", "alice").start()
    record = await waiting_callback(live, tmp_path, caller)
    alice = await AgentClient(live, "alice").connect()
    await alice.send("state.set", state="available")
    await accept(alice, caller)
    log = await phone.done()
    assert "ACK sip:alice@127.0.0.1:5070" in log  # the 486 acknowledged
    shown = await alice.expect("contact.assigned", within=20)
    assert shown["contact"]["attributes"]["callback"] == "failed"
    assert shown["contact"]["attributes"]["callback_error"] == "the agent's phone answered 486"
    (after,) = await ivr_interactions(live)
    assert after.id == record.id and after.attributes["callback"] == "failed"
    assert after.status == "active"  # still in the agent's hands: they call back by hand


async def test_a_caller_who_hangs_up_after_the_callback_key_keeps_the_callback(
    live: LiveServer,
) -> None:
    await setup(live)  # nobody available: the caller waits
    caller = "+8613800000092"
    await customer(live, caller)
    callbacks = live.app.state.telephony.ivr.callbacks
    phone = await Phone(live, caller).open()
    sub = watch(live)
    try:
        assert (await phone.call()).status == 200
        phone.keys("20")
        await queued(sub)
        phone.keys("9", start=5000)
        async with asyncio.timeout(30):  # until the key is taken: no event says so, so polled
            while not callbacks.by_contact:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        phone.send("BYE")  # during "you keep your place": the caller's own hang-up
        assert (await phone.final()).status == 200
    finally:
        phone.close()
    (record,) = await ivr_interactions(live)
    assert record.status == "queued" and record.end_reason is None  # not abandoned
    assert record.attributes["callback"] == "requested"
    assert record.ivr_path[-1] == "queue: 9 (callback)"
    assert list(callbacks.by_contact) == [str(record.id)]


async def test_a_callback_promised_in_wrap_up_connects_the_agent_and_the_customer(
    live: LiveServer, tmp_path: Path
) -> None:
    """The same path at the time the agent chose: the server makes the callback a contact,
    alice accepts it, her phone rings and is REFERred to the customer."""
    await setup(live)
    caller = "+8613800000093"
    await customer(live, caller)
    proxy = live.app.state.telephony.ivr.callbacks.proxy
    phone = await AgentPhone(live, tmp_path, "agent_phone", "alice").start()
    alice = await AgentClient(live, "alice").connect()
    due = datetime.now(UTC) + timedelta(hours=2)
    first = await promise_callback(live, alice, due, caller)
    await alice.send("state.set", state="available")
    hotline = live.app.state.hotline
    passes = ScheduledCallbacks(hotline.contacts, hotline.uow, lambda: due.timestamp() + 1)
    (made,) = await passes.tick()
    offer = await alice.expect("offer", within=10)
    assert offer["contact"]["id"] == made
    assert offer["contact"]["attributes"]["callback_of"] == first
    await alice.send("offer.accept", contact_id=made)
    await alice.expect("contact.assigned", within=10)

    log = await phone.done()
    assert "INVITE sip:alice@127.0.0.1:5070 SIP/2.0" in log
    assert f"Refer-To: <sip:{caller}@{proxy}>" in log
    shown = await alice.expect("contact.assigned", within=20)
    assert shown["contact"]["attributes"]["callback"] == "connected"
    await live.app.state.telephony.ivr.settled()
    await hotline.contacts.caught_up()
    async with live.uow() as uow:
        record = await uow.session.get(Interaction, int(made))
        assert record is not None and record.attributes["callback"] == "connected"
        assert record.direction == "outbound" and record.agent_id is not None


@contextlib.asynccontextmanager
async def serving(settings: Settings, first: bool) -> AsyncIterator[LiveServer]:
    """The app served as the `live` fixture serves it; its first start adds the staff."""
    app = create_app(settings, migrate=False)
    server, task, base_url = await start_live_server(app)
    try:
        if first:
            for username, role in (("admin", "admin"), ("super", "supervisor")):
                await add_agent(app.state.hotline.uow, username, role)
            await add_agent(app.state.hotline.uow, "alice", "agent", skills={"service": 4})
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
            yield LiveServer(client, app, base_url)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def test_a_waiting_callback_survives_a_restart_and_still_connects(
    live_settings: Settings, tmp_path: Path
) -> None:
    """The server stops with a callback waiting: the next start resumes it in its place and
    follows it again, so accepting it still rings the agent's phone and REFERs it on."""
    caller = "+8613800000094"
    async with serving(live_settings, first=True) as live:
        await setup(live)
        await customer(live, caller)
        record = await waiting_callback(live, tmp_path, caller)
    target = record.attributes["callback_to"]
    async with serving(live_settings, first=False) as live:
        callbacks = live.app.state.telephony.ivr.callbacks
        assert list(callbacks.by_contact) == [str(record.id)]  # followed again
        phone = await AgentPhone(live, tmp_path, "agent_phone", "alice").start()
        alice = await AgentClient(live, "alice").connect()
        await alice.send("state.set", state="available")
        offer = await alice.expect("offer", within=40)
        assert offer["contact"]["id"] == str(record.id)  # the same contact, in its place
        await alice.send("offer.accept", contact_id=str(record.id))
        await alice.expect("contact.assigned", within=10)
        log = await phone.done()
        assert "INVITE sip:alice@127.0.0.1:5070 SIP/2.0" in log
        assert f"Refer-To: <{target}>" in log
        shown = await alice.expect("contact.assigned", within=20)
        assert shown["contact"]["attributes"]["callback"] == "connected"
        await alice.close()
