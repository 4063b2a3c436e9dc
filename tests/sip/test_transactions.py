"""RFC 3261 §17.2 server transactions on a fake clock, and the endpoint's own answers."""

from __future__ import annotations

import pytest

from ivr.sip.endpoint import Endpoint
from ivr.sip.message import parse_name_addr
from ivr.sip.transactions import T1, T2, T4, ServerTransaction, State
from tests.sip.fakes import Recorder, Wire, request


def busy(txn: ServerTransaction) -> None:
    txn.respond(486)


def test_invite_gets_100_at_once_and_a_retransmission_is_absorbed() -> None:
    wire = Wire()
    wire.receive(request())
    assert wire.statuses == [100]
    assert len(wire.user.requests) == 1
    wire.receive(request())  # the caller's retransmission: same branch
    assert wire.statuses == [100, 100]  # the last provisional again
    assert len(wire.user.requests) == 1  # the call logic saw it once
    txn = wire.user.requests[0]
    txn.respond(182)
    wire.receive(request())
    assert wire.statuses == [100, 100, 182, 182]


def test_final_answer_retransmitted_on_timer_g_until_ack_then_timer_i() -> None:
    wire = Wire(busy)
    wire.receive(request())
    assert wire.statuses == [100, 486]
    wire.clock.advance(T1)
    wire.clock.advance(2 * T1)
    assert wire.statuses == [100, 486, 486, 486]  # at T1, then 2*T1 later
    wire.receive(request("ACK"))
    txn = wire.user.requests[0]
    assert txn.state is State.CONFIRMED
    wire.receive(request("ACK"))  # an ACK retransmission is absorbed, not a new request
    assert wire.user.acks == []
    wire.clock.advance(T4 - 0.01)
    assert txn.state is State.CONFIRMED
    wire.clock.advance(0.01)
    assert txn.state is State.TERMINATED  # Timer I (T4)
    assert wire.statuses.count(486) == 3  # no more after the ACK
    assert wire.user.ended == [(txn, False)]
    assert wire.layer.transactions == {}


def test_timer_g_doubles_up_to_t2_and_timer_h_gives_up() -> None:
    wire = Wire(busy)
    wire.receive(request())
    sent_at: list[float] = []
    for _ in range(int(64 * T1 / 0.25) + 1):
        before = len(wire.sent)
        wire.clock.advance(0.25)
        if len(wire.sent) > before:
            sent_at.append(wire.clock.now)
    gaps = [b - a for a, b in zip([0.0, *sent_at], sent_at, strict=False)]
    assert gaps[:4] == [T1, 2 * T1, 4 * T1, T2]  # 0.5, 1, 2, then capped at 4
    assert max(gaps) == T2
    txn = wire.user.requests[0]
    assert txn.state is State.TERMINATED
    assert wire.user.ended == [(txn, True)]  # Timer H: no ACK ever came


def test_reliable_transport_is_not_retransmitted_to() -> None:
    wire = Wire(busy)
    wire.receive(request(), transport="tcp")
    wire.clock.advance(10)
    assert wire.statuses == [100, 486]
    wire.receive(request("ACK"), transport="tcp")
    wire.clock.advance(0)
    assert wire.user.requests[0].state is State.TERMINATED  # Timer I is 0 over TCP


def test_non_invite_keeps_its_answer_for_timer_j() -> None:
    wire = Wire(lambda txn: txn.respond(200))
    wire.receive(request("OPTIONS"))
    wire.receive(request("OPTIONS"))
    assert wire.statuses == [200, 200]
    assert len(wire.user.requests) == 1
    wire.clock.advance(64 * T1)
    wire.receive(request("OPTIONS"))  # after Timer J it is a new request
    assert len(wire.user.requests) == 2


def test_every_response_of_a_transaction_has_one_to_tag_and_echoes_the_request() -> None:
    wire = Wire()
    wire.receive(request())
    txn = wire.user.requests[0]
    txn.respond(182)
    txn.respond(302, extra=[("Contact", "<sip:alice@127.0.0.1:5070>")])
    trying, queued, moved = (r for r, _ in wire.sent)
    assert parse_name_addr(trying.headers.get("To") or "").tag is None  # 100: no tag
    tags = {parse_name_addr(r.headers.get("To") or "").tag for r in (queued, moved)}
    assert tags == {txn.to_tag}
    for r in (trying, queued, moved):
        assert r.headers.get("Call-ID") == "call-1@192.0.2.10"
        assert r.headers.get("CSeq") == "1 INVITE"
        assert r.headers.get_all("Via") == txn.request.headers.get_all("Via")
    assert moved.headers.get("Contact") == "<sip:alice@127.0.0.1:5070>"
    assert not txn.respond(480)  # a late second final answer is refused, nothing sent
    assert len(wire.sent) == 3


def test_cancel_answers_200_and_hands_the_invite_over() -> None:
    wire = Wire()
    wire.receive(request())
    invite = wire.user.requests[0]
    wire.receive(request("CANCEL"))
    assert wire.user.cancels == [invite]
    assert wire.statuses == [100, 200, 487]
    ok = wire.sent[1][0]
    assert ok.headers.get("CSeq") == "1 CANCEL"
    assert parse_name_addr(ok.headers.get("To") or "").tag == invite.to_tag  # §9.2


def test_cancel_of_no_transaction_is_481_and_of_an_answered_one_changes_nothing() -> None:
    wire = Wire(busy)
    wire.receive(request("CANCEL", branch="z9hG4bK-unknown"))
    assert wire.statuses == [481]
    wire.receive(request())
    wire.receive(request("CANCEL"))
    assert wire.statuses == [481, 100, 486, 200]
    assert wire.user.cancels == []


def test_rfc2543_requests_match_without_a_branch() -> None:
    wire = Wire()
    wire.receive(request(branch=""))
    wire.receive(request(branch=""))
    assert len(wire.user.requests) == 1


def test_ack_of_a_2xx_goes_to_the_transaction_user() -> None:
    wire = Wire(lambda txn: txn.respond(200))
    wire.receive(request())
    wire.receive(request("ACK", branch="z9hG4bK-ack-of-2xx", to_tag="x"))
    assert len(wire.user.acks) == 1


@pytest.mark.parametrize(
    ("method", "status"),
    [("OPTIONS", 200), ("FOOBAR", 501), ("REGISTER", 405), ("SUBSCRIBE", 405), ("BYE", 481)],
)
def test_endpoint_answers_what_needs_no_call(method: str, status: int) -> None:
    class NoCalls:
        def invite(self, txn: ServerTransaction) -> None:
            raise AssertionError("not a call")

        def cancelled(self, txn: ServerTransaction) -> None: ...

        def terminated(self, txn: ServerTransaction, timed_out: bool) -> None: ...

        def bye(self, txn: ServerTransaction) -> None:
            txn.respond(481)

    wire = Wire()
    wire.layer.user = Endpoint(NoCalls())
    wire.receive(request(method))
    assert wire.statuses == [status]
    response = wire.sent[0][0]
    if status in (200, 405, 501):
        assert "INVITE" in (response.headers.get("Allow") or "")
    if method == "OPTIONS":
        assert response.headers.get("Accept") == "application/sdp"


def test_endpoint_refuses_required_extensions() -> None:
    wire = Wire()
    wire.layer.user = Endpoint(Recorder())  # type: ignore[arg-type]
    data = request("OPTIONS").replace(b"Max-Forwards", b"Require: 100rel\r\nMax-Forwards")
    wire.receive(data)
    assert wire.statuses == [420]
    assert wire.sent[0][0].headers.get("Unsupported") == "100rel"
