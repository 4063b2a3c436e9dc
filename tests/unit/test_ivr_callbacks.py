"""The callback's call to the agent's phone (app/telephony/callbacks.py), driven by hand on
the SIP core's fake clock: INVITE, ring timeout and CANCEL, the 2xx and its ACK, REFER to
the customer, the NOTIFYs, and every way it can fail — recorded, never raised."""

from __future__ import annotations

from app.telephony.callbacks import Callback, Callbacks
from ivr.media.transport import PortRange
from ivr.sip.message import Headers, Request, make_response, parse, parse_name_addr
from ivr.sip.transactions import T1, Peer, ServerTransaction
from tests.sip.fakes import Wire

PROXY = Peer("udp", "192.0.2.50", 5060)
NUMBER = "+8613800000090"


class FakeRtp:
    port = 20000
    closed = False

    def close(self) -> None:
        self.closed = True


class Recorded(Callbacks):
    """Outcomes kept here instead of the database and the agent's socket."""

    def __init__(self) -> None:
        super().__init__(
            service=None,  # type: ignore[arg-type]  # not reached: _record is replaced
            uow=None,  # type: ignore[arg-type]
            hub=None,
            address="192.0.2.1",
            ports=PortRange(0, 0),
            rtp_host="192.0.2.1",
            proxy="192.0.2.50:5060",
        )
        self.outcomes: list[dict[str, str]] = []

    async def _record(self, callback: Callback) -> None:
        self.outcomes.append(dict(callback.notes))


class Line:
    """Callbacks on a wire: what Hotline sends, and the agent's phone's side by hand."""

    def __init__(self) -> None:
        self.wire = Wire()
        self.sent: list[Request] = []
        self.wire.layer.send_request = lambda r, p: self.sent.append(r)
        self.callbacks = Recorded()
        self.callbacks.bind(self.wire.layer, 5060)
        self.callback = self.callbacks.follow("42", NUMBER, Peer("udp", "198.51.100.7", 5060))
        self.callback.agent_id = 7
        self.rtp = FakeRtp()
        self.callback.rtp = self.rtp  # type: ignore[assignment]

    def dial(self) -> Request:
        self.callbacks._dial(self.callback, "sip:alice@10.0.0.31:5070", PROXY)
        return self.last("INVITE")

    def last(self, method: str) -> Request:
        return next(r for r in reversed(self.sent) if r.method == method)

    @property
    def methods(self) -> list[str]:
        return [r.method for r in self.sent]

    def answer(self, request: Request, status: int, **headers: str) -> None:
        response = make_response(request, status, to_tag="phone")
        for name, value in headers.items():
            response.headers.add(name.replace("_", "-"), value)
        self.wire.layer.receive_response(response, PROXY)

    def from_phone(self, method: str, body: bytes = b"") -> ServerTransaction:
        """A request of the agent's phone in the dialog (NOTIFY, BYE)."""
        dialog = self.callback.dialog
        assert dialog is not None
        headers = Headers()
        headers.add("Via", "SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bK-phone-" + method)
        headers.add("From", f"<sip:alice@10.0.0.31:5070>;tag={dialog.remote_tag}")
        headers.add("To", f"{dialog.local};tag={dialog.local_tag}")
        headers.add("Call-ID", dialog.call_id)
        headers.add("CSeq", f"1 {method}")
        request = parse(Request(method, "sip:callback@192.0.2.1", headers, body).encode())
        assert isinstance(request, Request)
        txn = ServerTransaction(self.wire.layer, request, PROXY)
        if method == "NOTIFY":
            self.callbacks.notify(txn)
        else:
            self.callbacks.bye(txn)
        return txn

    def statuses(self) -> list[int]:
        return [r.status for r, _ in self.wire.sent]

    async def settled(self) -> list[dict[str, str]]:
        await self.callbacks.settled()
        return self.callbacks.outcomes


def answered(line: Line) -> Request:
    invite = line.dial()
    line.answer(invite, 180)
    line.answer(invite, 200, Contact="<sip:alice@10.0.0.31:5070>")
    return line.last("REFER")


async def test_the_agents_phone_is_called_then_referred_to_the_customer() -> None:
    line = Line()
    invite = line.dial()
    assert invite.uri == "sip:alice@10.0.0.31:5070"
    assert parse_name_addr(invite.headers.get("From") or "").display == f"Callback {NUMBER}"
    assert b"m=audio 20000 RTP/AVP 0 101" in invite.body
    line.answer(invite, 180)
    line.answer(invite, 200, Contact="<sip:alice@10.0.0.31:5070>")
    assert line.methods == ["INVITE", "ACK", "REFER"]
    ack, refer = line.sent[1], line.sent[2]
    assert ack.cseq.number == invite.cseq.number  # the ACK of a 2xx has its INVITE's CSeq
    assert refer.headers.get("Refer-To") == f"<sip:{NUMBER}@192.0.2.50:5060>"
    assert parse_name_addr(refer.headers.get("To") or "").tag == "phone"
    line.answer(refer, 202)
    line.from_phone("NOTIFY", b"SIP/2.0 180 Ringing\r\n")  # the customer's phone rings
    assert line.callback.phase == "referring"
    line.from_phone("NOTIFY", b"SIP/2.0 200 OK\r\n")
    assert line.statuses() == [200, 200]
    assert line.methods[-1] == "BYE" and line.rtp.closed
    outcome = (await line.settled())[0]
    assert outcome["callback"] == "connected"
    assert outcome["callback_agent_uri"] == "sip:alice@10.0.0.31:5070"


async def test_a_retransmitted_2xx_is_acked_again_and_referred_once() -> None:
    line = Line()
    invite = line.dial()
    line.answer(invite, 200, Contact="<sip:alice@10.0.0.31:5070>")
    line.answer(invite, 200, Contact="<sip:alice@10.0.0.31:5070>")
    assert line.methods == ["INVITE", "ACK", "REFER", "ACK"]


async def test_a_busy_phone_is_a_failed_callback_and_no_bye() -> None:
    line = Line()
    invite = line.dial()
    line.answer(invite, 486)
    assert line.methods == ["INVITE", "ACK"]  # the transaction's ACK
    outcome = (await line.settled())[0]
    assert outcome["callback"] == "failed"
    assert outcome["callback_error"] == "the agent's phone answered 486"


async def test_ringing_too_long_is_cancelled() -> None:
    line = Line()
    invite = line.dial()
    line.answer(invite, 180)
    line.callbacks._ring_timeout(line.callback)
    cancel = line.last("CANCEL")
    assert cancel.top_via.branch == invite.top_via.branch  # §9.1: the INVITE's branch
    assert cancel.cseq.number == invite.cseq.number and cancel.uri == invite.uri
    line.answer(cancel, 200)
    line.answer(invite, 487)
    outcome = (await line.settled())[0]
    assert outcome["callback_error"] == "the agent's phone did not answer within 30 s"
    assert "BYE" not in line.methods


async def test_a_2xx_crossing_the_cancel_is_acked_and_hung_up() -> None:
    line = Line()
    invite = line.dial()
    line.callbacks._ring_timeout(line.callback)
    line.answer(invite, 200, Contact="<sip:alice@10.0.0.31:5070>")
    assert line.methods == ["INVITE", "CANCEL", "ACK", "BYE"]
    assert (await line.settled())[0]["callback"] == "failed"


async def test_no_answer_at_all_is_timer_b() -> None:
    line = Line()
    line.dial()
    line.wire.clock.advance(64 * T1)
    assert (await line.settled())[0]["callback_error"] == "the agent's phone did not answer"


async def test_a_refused_refer_fails_and_hangs_up_the_agents_phone() -> None:
    line = Line()
    refer = answered(line)
    line.answer(refer, 405)
    assert line.methods[-1] == "BYE"
    assert (await line.settled())[0]["callback_error"] == "REFER refused (405)"


async def test_the_customer_not_answering_is_recorded() -> None:
    line = Line()
    refer = answered(line)
    line.answer(refer, 202)
    line.from_phone("NOTIFY", b"SIP/2.0 480 Temporarily Unavailable\r\n")
    assert (await line.settled())[0]["callback_error"] == "the customer's side answered 480"


async def test_garbage_in_a_notify_changes_nothing() -> None:
    line = Line()
    refer = answered(line)
    line.answer(refer, 202)
    for body in (b"", b"\xff\xfe garbage", b"SIP/2.0 2000 Huge\r\n", b"HTTP/1.1 200 OK\r\n"):
        line.from_phone("NOTIFY", body)
    assert line.callback.phase == "referring" and line.statuses() == [200] * 4


async def test_the_agent_hanging_up_first_is_a_failure_and_no_bye_of_ours() -> None:
    line = Line()
    refer = answered(line)
    line.answer(refer, 202)
    line.from_phone("BYE")
    assert line.statuses() == [200] and "BYE" not in line.methods
    outcome = (await line.settled())[0]
    assert outcome["callback_error"] == "the agent hung up before the customer answered"


async def test_requests_of_no_callback_leg_are_481() -> None:
    line = Line()
    answered(line)
    wire = line.wire
    headers = Headers(
        [
            ("Via", "SIP/2.0/UDP 192.0.2.50;branch=z9hG4bK-x"),
            ("From", "<sip:x@192.0.2.50>;tag=x"),
            ("To", "<sip:callback@192.0.2.1>;tag=wrong"),
            ("Call-ID", line.callback.dialog.call_id if line.callback.dialog else ""),
            ("CSeq", "1 NOTIFY"),
        ]
    )
    txn = ServerTransaction(wire.layer, Request("NOTIFY", "sip:c@192.0.2.1", headers), PROXY)
    line.callbacks.notify(txn)
    assert line.statuses() == [481]


def test_the_customer_is_reached_through_the_proxy_or_where_the_call_came_from() -> None:
    callbacks = Recorded()
    caller = Peer("udp", "198.51.100.7", 5080)
    assert callbacks.target(NUMBER, caller) == f"sip:{NUMBER}@192.0.2.50:5060"
    callbacks.proxy = None
    assert callbacks.target(NUMBER, caller) == f"sip:{NUMBER}@198.51.100.7:5080"
    assert callbacks.target(NUMBER, Peer("udp", "2001:db8::7", 5060)) == (
        f"sip:{NUMBER}@[2001:db8::7]:5060"
    )
