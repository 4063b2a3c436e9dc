"""SIP end to end: sipp (Debian's sip-tester) calls the server's SIP port while an agent
works the real websocket console; the record is read back from the database."""

from __future__ import annotations

import asyncio
import shutil
import socket
from pathlib import Path
from typing import Any, Self

import pytest
import yaml
from sqlalchemy import select

from app.db.models import Interaction
from app.db.repositories.staff import StaffRepository
from config.settings import CONFIG_DIR, Settings
from tests.agent_client import AgentClient
from tests.conftest import LiveServer, make_settings
from tests.sip.corpus import malformed

SIPP = shutil.which("sipp")
SCENARIOS = Path(__file__).parent / "scenarios"
ALICE_URI = "sip:alice@127.0.0.1:5070"

pytestmark = pytest.mark.skipif(
    SIPP is None, reason="sipp is not installed (scripts/services.sh installs sip-tester)"
)


# Tests that need 182 Queued repeated sooner than the shipped 30 s: test name → interval.
QUEUED_INTERVAL = {"test_past_the_maximum_wait_the_fallback_answers": 1.2}


@pytest.fixture
def live_settings(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """SIP on a free port; the shipped telephony.yaml, with a test's own 182 interval."""
    config = yaml.safe_load((CONFIG_DIR / "telephony.yaml").read_text(encoding="utf-8"))
    config["queued_interval_seconds"] = QUEUED_INTERVAL.get(request.function.__name__, 30)
    telephony = tmp_path / "telephony.yaml"
    telephony.write_text(yaml.safe_dump(config), encoding="utf-8")
    return make_settings(db_url, tmp_path, sip_enabled=True, sip_port=0, telephony_file=telephony)


def sip_port(live: LiveServer) -> int:
    return int(live.app.state.telephony.server.port)


def free_udp_port() -> int:
    """A port free for UDP and for TCP alike: sipp binds its -p port for the transport it
    uses, and a UDP-only check could hand a TCP test a port still in TIME_WAIT from the
    test's own connections (sipp then cannot bind, and no call ever arrives)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no port free for both UDP and TCP")


class Sipp:
    """One sipp caller running a scenario of tests/sip/scenarios against the server.

    Subclasses say what differs (:meth:`role`, the service called, the time sipp gives the
    call and the time the test waits for it); the rest of the command line is shared."""

    service = "hotline"  # the number called, unless start() names another
    call_seconds = 20  # sipp's -timeout for the whole call
    wait_seconds = 30.0  # how long done() waits for sipp to finish

    def __init__(self, live: LiveServer, tmp_path: Path, scenario: str, caller: str) -> None:
        self.live, self.scenario, self.caller = live, scenario, caller
        self.messages = tmp_path / f"{scenario}-{caller}-messages.log"
        self.errors = tmp_path / f"{scenario}-{caller}-errors.log"
        self.proc: asyncio.subprocess.Process | None = None

    def role(self, service: str) -> list[str]:
        """sipp's arguments as a caller: the server to call, the number, its own port."""
        return [
            f"127.0.0.1:{sip_port(self.live)}",
            "-s", service,
            "-key", "caller", self.caller,
            "-p", str(free_udp_port()),
        ]  # fmt: skip

    async def start(self, transport: str = "u1", service: str | None = None) -> Self:
        assert SIPP is not None
        self.proc = await asyncio.create_subprocess_exec(
            SIPP,
            *self.role(service or self.service),
            "-sf", str(SCENARIOS / f"{self.scenario}.xml"),
            "-m", "1",
            "-t", transport,
            "-i", "127.0.0.1",
            "-timeout", f"{self.call_seconds}s",
            "-timeout_error",
            "-nostdin",
            "-trace_msg", "-message_file", str(self.messages),
            "-trace_err", "-error_file", str(self.errors),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        return self

    async def done(self) -> str:
        """Wait for the call to finish; fail with sipp's own account if it failed."""
        assert self.proc is not None
        _, stderr = await asyncio.wait_for(self.proc.communicate(), self.wait_seconds)
        log = self.messages.read_text(errors="replace") if self.messages.exists() else ""
        errors = self.errors.read_text(errors="replace") if self.errors.exists() else ""
        assert self.proc.returncode == 0, f"sipp failed:\n{stderr.decode()}\n{errors}\n{log}"
        return log


async def setup(live: LiveServer, max_wait: int = 600) -> None:
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


async def sip_interactions(live: LiveServer) -> list[Interaction]:
    await live.app.state.hotline.contacts.caught_up()
    async with live.uow() as uow:
        rows = await uow.session.execute(select(Interaction).where(Interaction.source == "sip"))
        return list(rows.scalars())


async def answer(alice: AgentClient, caller: str) -> str:
    offer = await alice.expect("offer", within=10)
    assert offer["customer"]["customer"]["phones"] == [caller]
    cid = str(offer["contact"]["id"])
    await alice.send("offer.accept", contact_id=cid)
    await alice.expect("contact.assigned")
    return cid


async def test_options_probe_gets_200(live: LiveServer, tmp_path: Path) -> None:
    log = await (await Sipp(live, tmp_path, "options", "+8613800000070").start()).done()
    assert "SIP/2.0 200 OK" in log and "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE" in log


async def test_redirect_queues_then_302_to_the_accepting_agent(
    live: LiveServer, tmp_path: Path
) -> None:
    await setup(live)
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    caller = "+8613800000071"
    sipp = await Sipp(live, tmp_path, "redirect_call", caller).start()
    cid = await answer(alice, caller)
    log = await sipp.done()
    assert "SIP/2.0 182 Queued" in log
    assert f"Contact: <{ALICE_URI}>" in log  # the 302 names the agent who accepted
    (record,) = await sip_interactions(live)
    assert str(record.id) == cid and record.channel == "voice" and record.external_id
    assert record.agent_id is not None and record.status == "active"
    # After the 302 the call no longer passes through Hotline: the agent ends it.
    await alice.send("contact.end", contact_id=cid)
    await alice.expect("contact.ended", contact_id=cid)


async def test_cancel_while_queued_is_487_and_an_abandoned_interaction(
    live: LiveServer, tmp_path: Path
) -> None:
    await setup(live)  # nobody is available: the caller waits, then gives up
    log = await (await Sipp(live, tmp_path, "redirect_cancel", "+8613800000072").start()).done()
    assert "SIP/2.0 487 Request Terminated" in log
    (record,) = await sip_interactions(live)
    assert record.status == "ended" and record.end_reason == "abandoned"
    assert record.ended_by == "customer"


async def test_cancel_while_the_contact_is_being_made_ends_it_too(
    live: LiveServer, tmp_path: Path
) -> None:
    await setup(live)
    caller = "+8613800000077"
    log = await (await Sipp(live, tmp_path, "redirect_cancel_early", caller).start()).done()
    assert "SIP/2.0 487 Request Terminated" in log
    await live.app.state.telephony.calls.settled()  # the contact's end, once it was made
    (record,) = await sip_interactions(live)
    assert record.status == "ended" and record.end_reason == "abandoned"
    assert record.ended_by == "customer"


async def test_an_agent_without_a_sip_uri_cannot_be_reached(
    live: LiveServer, tmp_path: Path
) -> None:
    await setup(live)
    async with live.uow() as uow:
        alice_row = await StaffRepository(uow.session).agent_by_username("alice")
        assert alice_row is not None
        alice_row.sip_uri = None
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    caller = "+8613800000078"
    sipp = await Sipp(live, tmp_path, "redirect_timeout", caller).start()  # 182, then 480
    cid = await answer(alice, caller)
    assert "SIP/2.0 480 Temporarily Unavailable" in await sipp.done()
    ended = await alice.expect("contact.ended", contact_id=cid)
    assert ended["ended_by"] == "system"
    await live.app.state.telephony.calls.settled()
    (record,) = await sip_interactions(live)
    assert record.status in ("ended", "wrapup") and record.ended_by == "system"


async def test_retransmitted_invite_is_one_contact(live: LiveServer, tmp_path: Path) -> None:
    # Nobody available: the retransmission meets the waiting call (no race with a 302).
    await setup(live)
    caller = "+8613800000073"
    log = await (await Sipp(live, tmp_path, "redirect_retransmit", caller).start()).done()
    assert log.count("SIP/2.0 182 Queued") >= 2  # the last provisional answer, sent again
    (record,) = await sip_interactions(live)  # one contact for both INVITEs
    assert record.end_reason == "abandoned"


async def test_past_the_maximum_wait_the_fallback_answers(live: LiveServer, tmp_path: Path) -> None:
    await setup(live, max_wait=2)  # 182 at once, again 1.2 s later, then 480 at 2 s
    log = await (await Sipp(live, tmp_path, "redirect_timeout", "+8613800000074").start()).done()
    assert log.count("SIP/2.0 182 Queued") == 2
    assert "SIP/2.0 480 Temporarily Unavailable" in log
    (record,) = await sip_interactions(live)
    assert record.status == "ended"


async def test_an_unknown_number_is_refused(live: LiveServer) -> None:
    """(An IVR call without an SDP offer is a late offer, answered: tests/sip/test_ivr_calls.)"""
    data = (
        b"INVITE sip:nobody@127.0.0.1 SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-nobody;rport\r\n"
        b"From: <sip:+8613800000075@127.0.0.1>;tag=a\r\nTo: <sip:x@127.0.0.1>\r\n"
        b"Call-ID: nobody@test\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    )
    reply = b"".join(await udp_exchange(live, [data], until=b"SIP/2.0 4"))
    assert b"SIP/2.0 404 Not Found" in reply


async def test_a_saturated_server_answers_503_with_retry_after(live: LiveServer) -> None:
    """The intake door full (app/contacts/intake_gate.py): the caller's proxy or phone is
    told to try again later (or another server), and no contact is made."""
    await setup(live)
    gate = live.app.state.hotline.contacts.intake
    gate.concurrency, gate.backlog = 1, 0  # one slot, no place to wait: refused at once
    data = (
        b"INVITE sip:hotline@127.0.0.1 SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-full;rport\r\n"
        b"From: <sip:+8613800000076@127.0.0.1>;tag=a\r\nTo: <sip:hotline@127.0.0.1>\r\n"
        b"Call-ID: full@test\r\nCSeq: 1 INVITE\r\nContact: <sip:+8613800000076@127.0.0.1:9>\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    async with gate.slot():  # an arrival being written holds the one slot
        reply = b"".join(await udp_exchange(live, [data], until=b"SIP/2.0 5"))
    assert b"SIP/2.0 503 Service Unavailable" in reply and b"Retry-After: 1\r\n" in reply
    assert gate.refused == 1
    assert await sip_interactions(live) == []


# --- malformed input ----------------------------------------------------------------------
MARKER = (
    b"OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-marker;rport\r\n"
    b"From: <sip:probe@127.0.0.1>;tag=m\r\nTo: <sip:127.0.0.1>\r\nCall-ID: marker@test\r\n"
    b"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
)


class _Collect(asyncio.DatagramProtocol):
    def __init__(self, until: bytes) -> None:
        self.got: list[bytes] = []
        self.until = until
        self.seen = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.got.append(data)
        if data.startswith(self.until) and not self.seen.done():
            self.seen.set_result(None)


async def udp_exchange(live: LiveServer, datagrams: list[bytes], until: bytes) -> list[bytes]:
    """Send datagrams; collect answers until one starts with ``until``."""
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(
        lambda: _Collect(until), remote_addr=("127.0.0.1", sip_port(live))
    )
    try:
        for data in datagrams:
            transport.sendto(data)
        await asyncio.wait_for(proto.seen, 5)
        return proto.got
    finally:
        transport.close()


async def tcp_exchange(live: LiveServer, data: bytes) -> bytes:
    """Send bytes on a new connection, half-close, read all the server says until it closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", sip_port(live))
    try:
        writer.write(data)
        await writer.drain()
        writer.write_eof()
        return await asyncio.wait_for(reader.read(), 5)
    except ConnectionResetError:  # closed on us mid-send (a message over the size limit)
        return b""
    finally:
        writer.close()


async def test_malformed_corpus_over_udp_and_tcp_then_a_good_call_routes(
    live: LiveServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await setup(live)
    corpus = malformed()
    # UDP: all of it, then an OPTIONS whose 200 says every datagram before it was handled.
    answers = await udp_exchange(live, [*corpus.values(), MARKER], until=b"SIP/2.0 200")
    assert answers[-1].startswith(b"SIP/2.0 200")
    bad = answers[:-1]
    assert bad and all(a.startswith(b"SIP/2.0 400 Bad Request (") for a in bad)
    assert any(b"Call-ID: bad-10@" in a for a in bad)  # CSeq method mismatch: answerable
    assert not any(b"z9hG4bKbad7;" in a or b"bad-9@" in a for a in bad)  # no Call-ID / Via
    # TCP: each on its own connection; the server answers or closes, and goes on serving.
    for name, data in corpus.items():
        reply = await tcp_exchange(live, data)
        # Closed without a word, a 400, or (for bare CRLFs) the keep-alive pong.
        assert reply in (b"", b"\r\n") or reply.startswith(b"SIP/2.0 400"), name
    tcp_marker = MARKER.replace(b"UDP", b"TCP").replace(b"-marker", b"-tcp-marker")
    assert (await tcp_exchange(live, tcp_marker)).startswith(b"SIP/2.0 200")
    assert any("malformed message" in r.getMessage() for r in caplog.records)
    assert await sip_interactions(live) == []  # none of it became a contact

    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    caller = "+8613800000076"
    sipp = await Sipp(live, tmp_path, "redirect_call", caller).start(transport="t1")
    try:
        cid = await answer(alice, caller)
    except TimeoutError:
        await sipp.done()  # no offer: fail with sipp's own account of the call, if it has one
        raise
    assert f"Contact: <{ALICE_URI}>" in await sipp.done()
    (record,) = await sip_interactions(live)
    assert str(record.id) == cid
