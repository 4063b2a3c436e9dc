"""The SIP parser on the corpus (tests/sip/corpus) and on the header grammars it reads."""

from __future__ import annotations

import pytest

from ivr.sip.message import (
    MAX_MESSAGE,
    Request,
    Response,
    SipParseError,
    addressable,
    frame,
    make_response,
    parse,
    parse_name_addr,
    parse_via,
)
from ivr.sip.transactions import Peer
from ivr.sip.transport import destination, stamp_via
from tests.sip.corpus import CORPUS, VALID, malformed, valid
from tests.sip.fakes import request


def test_the_corpus_lists_every_valid_file() -> None:
    assert {p.name for p in (CORPUS / "valid").iterdir()} == set(VALID)


@pytest.mark.parametrize("name", sorted(VALID))
def test_ordinary_messages_are_read_right(name: str) -> None:
    message = parse(valid()[name])
    kind, call_id, body = VALID[name]
    got = message.method if isinstance(message, Request) else str(message.status)
    assert (got, message.headers.get("Call-ID"), len(message.body)) == (kind, call_id, body)
    # What routing a response needs is there in every one.
    assert addressable(message.headers)


@pytest.mark.parametrize("name", sorted(malformed()))
def test_hostile_messages_are_refused_with_a_reason(name: str) -> None:
    with pytest.raises(SipParseError) as caught:
        parse(malformed()[name])
    assert caught.value.reason


def test_compact_names_are_expanded_and_folding_joined() -> None:
    compact = parse(valid()["invite_compact_headers.sip"])
    assert (
        compact.headers.get(
            "Via",
        )
        == "SIP/2.0/UDP 192.0.2.30:5062;branch=z9hG4bK776asdhds"
    )
    assert compact.headers.get("Content-Type") == "application/sdp"
    assert compact.headers.get("contact") == "<sip:caller@192.0.2.30:5062>"
    folded = parse(valid()["invite_folded_headers.sip"])
    assert isinstance(folded, Request)
    assert folded.top_via.branch == "z9hG4bKfold1"
    assert folded.cseq.number == 1 and folded.cseq.method == "INVITE"
    assert parse_name_addr(folded.headers.get("From") or "").display == "Folded Caller"


def test_several_via_in_order_with_comma_lists_split() -> None:
    message = parse(valid()["invite_multiple_via.sip"])
    vias = [parse_via(v) for v in message.headers.get_all("Via")]
    assert [v.branch for v in vias] == ["z9hG4bK-kamailio-1", "z9hG4bK-edge-7", "z9hG4bK-phone-3"]
    assert vias[2].transport == "TCP" and vias[2].port == 5061


def test_quoted_commas_and_tel_uris() -> None:
    message = parse(valid()["invite_case_and_quoted_commas.sip"])
    frm = parse_name_addr(message.headers.get("From") or "")
    assert (frm.display, frm.user, frm.tag) == ("Smith, John <CEO>", "+8613800000014", "c1")
    tel = parse(valid()["invite_tel_uri_and_pai.sip"])
    assert parse_name_addr(tel.headers.get("P-Asserted-Identity") or "").user == "+8613800000012"


def test_encode_then_parse_is_the_same_message() -> None:
    for name, data in valid().items():
        message = parse(data)
        again = parse(message.encode())
        assert type(again) is type(message), name
        assert again.headers.items() == [
            (n, v) for n, v in message.headers.items() if n != "Content-Length"
        ] + [("Content-Length", str(len(message.body)))], name
        assert again.body == message.body, name


def test_stream_framing_by_content_length() -> None:
    one = request("OPTIONS")
    body = b"v=0\r\n"
    two = request("INFO").replace(b"Content-Length: 0", f"Content-Length: {len(body)}".encode())
    buffer = b"\r\n\r\n" + one + two + body
    first = frame(buffer)
    assert first == 4 + len(one)
    assert frame(buffer[first:]) == len(two) + len(body)
    assert frame((two + body)[:-1]) is None  # a body still coming
    assert frame(one[:20]) is None  # headers still coming
    with pytest.raises(SipParseError, match="required over a stream"):
        frame(one.replace(b"Content-Length: 0\r\n", b""))
    with pytest.raises(SipParseError, match="Content-Length"):
        frame(one.replace(b"Content-Length: 0", b"Content-Length: x"))
    with pytest.raises(SipParseError, match="larger"):
        frame(one.replace(b"Content-Length: 0", f"l: {MAX_MESSAGE}".encode()))
    with pytest.raises(SipParseError, match="longer"):
        frame(b"INVITE " + b"a" * (MAX_MESSAGE + 10))
    with pytest.raises(SipParseError, match="required over a stream"):
        parse(one.replace(b"Content-Length: 0\r\n", b""), stream=True)


def test_a_fault_after_the_routing_headers_still_allows_an_answer() -> None:
    with pytest.raises(SipParseError) as caught:
        parse(malformed()["cseq_method_mismatch.sip"])
    assert addressable(caught.value.headers)
    with pytest.raises(SipParseError) as caught:
        parse(malformed()["garbage_random_bytes.bin"])
    assert not addressable(caught.value.headers)


def test_responses_go_where_the_request_came_from() -> None:
    message = parse(request())
    assert isinstance(message, Request)
    stamp_via(message, "203.0.113.7", 40000)  # behind a NAT: rport asked for
    via = message.top_via
    assert via.params["received"] == "203.0.113.7" and via.params["rport"] == "40000"
    response = make_response(message, 200, to_tag="t")
    assert destination(response, Peer("udp", "203.0.113.7", 40000)) == ("203.0.113.7", 40000)
    plain = parse(request().replace(b";rport", b""))
    assert isinstance(plain, Request)
    stamp_via(plain, "203.0.113.7", 40000)  # no rport: the Via's port, at the real address
    assert destination(make_response(plain, 200), Peer("udp", "203.0.113.7", 40000)) == (
        "203.0.113.7",
        5060,
    )
    assert isinstance(parse(make_response(plain, 404).encode()), Response)
