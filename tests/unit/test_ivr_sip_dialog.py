"""What IVR mode adds to the SIP core, on a fake clock: the 2xx resent until its ACK,
non-INVITE client transactions (REFER, BYE) with Timers E, F and K, dialogs, and for the
calls Hotline makes (callbacks) INVITE client transactions (Timers A, B, D, M) and UAC
dialogs."""

from __future__ import annotations

import pytest

from ivr.sip.endpoint import Dialog, Endpoint, uri_address
from ivr.sip.message import Request, Response, make_response, parse, parse_name_addr
from ivr.sip.transactions import T1, T2, T4, Peer, ServerTransaction, State
from tests.sip.fakes import Wire, request

CONTACT = (
    b"Contact: <sip:+8613800000001@192.0.2.10:5062>\r\nRecord-Route: <sip:proxy.example;lr>\r\n"
)


def invite() -> bytes:
    return request().replace(b"Max-Forwards", CONTACT + b"Max-Forwards")


def answered() -> tuple[Wire, ServerTransaction]:
    wire = Wire(lambda txn: txn.respond(200))
    wire.receive(invite())
    return wire, wire.user.requests[0]


def test_a_2xx_is_resent_until_the_ack() -> None:
    wire, txn = answered()
    assert wire.statuses == [100, 200]
    wire.clock.advance(T1)
    wire.clock.advance(2 * T1)
    assert wire.statuses == [100, 200, 200, 200]
    txn.acked()
    wire.clock.advance(10)
    assert wire.statuses.count(200) == 3
    wire.clock.advance(64 * T1)
    assert wire.user.ended == [(txn, False)]


def test_a_2xx_never_acked_ends_the_transaction_timed_out() -> None:
    wire, txn = answered()
    wire.clock.advance(64 * T1)
    assert wire.user.ended == [(txn, True)]
    assert wire.statuses.count(200) > 5  # resent at T1, 2 T1, ... capped at T2


def test_no_2xx_resend_over_tcp() -> None:
    wire = Wire(lambda txn: txn.respond(200))
    wire.receive(invite(), transport="tcp")
    wire.clock.advance(10)
    assert wire.statuses == [100, 200]


def dialog_of(txn: ServerTransaction) -> Dialog:
    return Dialog.answered(txn, "192.0.2.1:5060")


def test_a_dialog_builds_requests_back_to_the_caller() -> None:
    _, txn = answered()
    dialog = dialog_of(txn)
    refer = dialog.request("REFER", [("Refer-To", "<sip:alice@10.0.0.31>")])
    again = parse(refer.encode())
    assert isinstance(again, Request)
    assert again.uri == "sip:+8613800000001@192.0.2.10:5062"  # the caller's Contact
    assert again.headers.get("Route") == "<sip:proxy.example;lr>"
    assert parse_name_addr(again.headers.get("From") or "").tag == txn.to_tag
    assert parse_name_addr(again.headers.get("To") or "").tag == "from-1"
    assert again.cseq.method == "REFER" and again.top_via.branch.startswith("z9hG4bK")
    bye = dialog.request("BYE")
    assert bye.cseq.number == again.cseq.number + 1
    assert bye.top_via.branch != again.top_via.branch


def test_a_dialog_knows_its_requests() -> None:
    _, txn = answered()
    dialog = dialog_of(txn)
    bye = parse(request("BYE", branch="z9hG4bK-bye", to_tag=txn.to_tag))
    assert isinstance(bye, Request) and dialog.matches(bye)
    other = parse(request("BYE", branch="z9hG4bK-bye2", to_tag="someone-else"))
    assert isinstance(other, Request) and not dialog.matches(other)


class Client:
    def __init__(self) -> None:
        self.wire, txn = answered()
        self.sent: list[tuple[Request, Peer]] = []
        self.wire.layer.send_request = lambda r, p: self.sent.append((r, p))
        self.got: list[Response | None] = []
        self.request = dialog_of(txn).request("REFER")
        self.peer = Peer("udp", "192.0.2.10", 5062)
        self.txn = self.wire.layer.request(self.request, self.peer, self.got.append)

    def answer(self, status: int) -> None:
        self.wire.layer.receive_response(make_response(self.request, status), self.peer)


def test_a_request_is_resent_on_timer_e_until_answered() -> None:
    client = Client()
    client.wire.clock.advance(T1)
    client.wire.clock.advance(2 * T1)
    assert len(client.sent) == 3
    client.answer(202)
    client.answer(202)  # the answer's retransmission: absorbed
    assert [r.status for r in client.got if r] == [202]
    client.wire.clock.advance(T2 * 4)
    assert len(client.sent) == 3
    assert client.txn.state is State.TERMINATED  # Timer K
    client.wire.clock.advance(T4)
    assert client.wire.layer.clients == {}


def test_after_a_provisional_the_resend_interval_is_t2() -> None:
    client = Client()
    client.answer(100)
    assert client.txn.state is State.PROCEEDING
    client.wire.clock.advance(T1)  # the timer armed before the 100
    client.wire.clock.advance(T2 - 0.01)
    assert len(client.sent) == 2
    client.wire.clock.advance(0.01)
    assert len(client.sent) == 3


def test_no_answer_is_timer_f() -> None:
    client = Client()
    client.wire.clock.advance(64 * T1)
    assert client.got == [None]
    assert client.wire.layer.clients == {}


def test_a_refusal_is_passed_on() -> None:
    client = Client()
    client.answer(501)
    assert [r.status for r in client.got if r] == [501]


def test_stray_responses_are_dropped() -> None:
    client = Client()
    other = make_response(parse_request(request("REFER", branch="z9hG4bK-other")), 200)
    client.wire.layer.receive_response(other, client.peer)
    assert client.got == []


def parse_request(data: bytes) -> Request:
    message = parse(data)
    assert isinstance(message, Request)
    return message


def test_the_endpoint_hands_notify_and_acks_to_a_handler_that_takes_them() -> None:
    class Calls:
        def __init__(self) -> None:
            self.notified: list[ServerTransaction] = []
            self.acks: list[Request] = []

        def invite(self, txn: ServerTransaction) -> None: ...

        def cancelled(self, txn: ServerTransaction) -> None: ...

        def terminated(self, txn: ServerTransaction, timed_out: bool) -> None: ...

        def bye(self, txn: ServerTransaction) -> None: ...

        def notify(self, txn: ServerTransaction) -> None:
            self.notified.append(txn)
            txn.respond(200)

        def ack(self, request: Request, peer: Peer) -> None:
            self.acks.append(request)

    calls = Calls()
    wire = Wire()
    wire.layer.user = Endpoint(calls)
    wire.receive(request("NOTIFY"))
    wire.receive(request("ACK", branch="z9hG4bK-ack", to_tag="t"))
    assert wire.statuses == [200] and len(calls.notified) == 1 and len(calls.acks) == 1


def test_closing_the_layer_stops_every_timer() -> None:
    client = Client()  # a 2xx being resent, and a REFER
    sent, requests = len(client.wire.sent), len(client.sent)
    client.wire.layer.close()
    client.wire.clock.advance(64 * T1)
    assert (len(client.wire.sent), len(client.sent)) == (sent, requests)
    assert client.wire.layer.clients == {} and client.wire.layer.transactions == {}


# --- calls Hotline makes: the INVITE client transaction and the UAC dialog -----------------
class Caller:
    """An INVITE sent as a UAC (a callback ringing the agent's phone), on a fake clock."""

    def __init__(self, transport: str = "udp") -> None:
        self.wire = Wire()
        self.sent: list[Request] = []
        self.wire.layer.send_request = lambda r, p: self.sent.append(r)
        self.got: list[Response | None] = []
        self.peer = Peer(transport, "192.0.2.20", 5060)
        self.dialog = Dialog.outgoing(
            "<sip:callback@192.0.2.1:5060>", "sip:alice@192.0.2.31:5070", self.peer,
            "192.0.2.1:5060",
        )  # fmt: skip
        self.invite = self.dialog.request("INVITE", [("Contact", "<sip:callback@192.0.2.1>")])
        self.txn = self.wire.layer.request(self.invite, self.peer, self.got.append)

    def answer(self, status: int, tag: str = "phone-1") -> Response:
        response = make_response(self.invite, status, to_tag=tag)
        if 200 <= status < 300:
            response.headers.add("Contact", "<sip:alice@192.0.2.31:5070>")
            response.headers.add("Record-Route", "<sip:p2.example;lr>")
            response.headers.add("Record-Route", "<sip:p1.example;lr>")
        self.wire.layer.receive_response(response, self.peer)
        return response

    @property
    def methods(self) -> list[str]:
        return [r.method for r in self.sent]


def test_an_invite_is_resent_on_timer_a_until_a_provisional() -> None:
    caller = Caller()
    caller.wire.clock.advance(T1)
    caller.wire.clock.advance(2 * T1)
    assert caller.methods == ["INVITE"] * 3
    caller.answer(180)
    caller.wire.clock.advance(10)
    assert caller.methods == ["INVITE"] * 3  # ringing: no more resends
    assert [r.status for r in caller.got if r] == [180]


def test_a_refused_invite_is_acked_by_the_transaction_once_told() -> None:
    caller = Caller()
    caller.answer(486)
    caller.answer(486)  # its retransmission: ACKed again, not told again
    assert caller.methods == ["INVITE", "ACK", "ACK"]
    ack = caller.sent[1]
    assert ack.uri == caller.invite.uri and ack.top_via.branch == caller.invite.top_via.branch
    assert ack.cseq.number == caller.invite.cseq.number and ack.cseq.method == "ACK"
    assert parse_name_addr(ack.headers.get("To") or "").tag == "phone-1"
    assert [r.status for r in caller.got if r] == [486]
    caller.wire.clock.advance(32)  # Timer D
    assert caller.wire.layer.clients == {}


def test_an_invite_never_answered_is_timer_b() -> None:
    caller = Caller()
    caller.wire.clock.advance(64 * T1)
    assert caller.got == [None] and caller.wire.layer.clients == {}
    assert caller.methods.count("INVITE") == 7  # 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s


def test_no_invite_resend_over_tcp() -> None:
    caller = Caller("tcp")
    caller.wire.clock.advance(10)
    assert caller.methods == ["INVITE"]


def test_every_2xx_goes_to_the_user_who_acks_it_in_the_dialog() -> None:
    caller = Caller()
    ok = caller.answer(200)
    caller.answer(200)  # the far end did not see our ACK: the user sends it again
    assert [r.status for r in caller.got if r] == [200, 200]
    assert "ACK" not in caller.methods  # the ACK of a 2xx is the dialog's, not the transaction's
    caller.dialog.established(ok)
    ack = caller.dialog.request("ACK", cseq=caller.invite.cseq.number)
    refer = caller.dialog.request("REFER")
    assert ack.cseq.number == caller.invite.cseq.number and ack.top_via.branch != (
        caller.invite.top_via.branch)  # fmt: skip
    assert refer.cseq.number == caller.invite.cseq.number + 1
    assert refer.uri == "sip:alice@192.0.2.31:5070"  # the 2xx's Contact
    assert refer.headers.get_all("Route") == ["<sip:p1.example;lr>", "<sip:p2.example;lr>"]
    assert parse_name_addr(refer.headers.get("To") or "").tag == "phone-1"
    assert parse_name_addr(refer.headers.get("From") or "").tag == caller.dialog.local_tag
    caller.wire.clock.advance(64 * T1)  # Timer M
    assert caller.wire.layer.clients == {}


def test_requests_from_the_called_phone_match_the_uac_dialog() -> None:
    caller = Caller()
    caller.dialog.established(caller.answer(200))
    notify = parse_request(
        request("NOTIFY", branch="z9hG4bK-n", to_tag=caller.dialog.local_tag)
        .replace(b"tag=from-1", b"tag=phone-1")
        .replace(b"call-1@192.0.2.10", caller.dialog.call_id.encode())
    )
    assert caller.dialog.matches(notify)


@pytest.mark.parametrize(
    ("uri", "address"),
    [
        ("sip:alice@10.0.0.31:5070;transport=udp", ("10.0.0.31", 5070)),
        ("sip:alice@pbx.example", ("pbx.example", 5060)),
        ("sips:[2001:db8::1]:5061", ("2001:db8::1", 5061)),
        ("sip:10.0.0.2", ("10.0.0.2", 5060)),
        ("tel:+8613800000001", None),
        ("sip:alice@10.0.0.31:99999", None),
        ("sip:alice@:5060", None),
        ("nonsense", None),
    ],
)
def test_uri_address(uri: str, address: tuple[str, int] | None) -> None:
    assert uri_address(uri) == address
