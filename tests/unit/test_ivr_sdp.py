"""SDP offer/answer (ivr/media/sdp.py): PCMU and telephone-event on the caller's payload
types; 488 (NotAcceptable) without PCMU; malformed offers raise SdpError only."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.media.sdp import NotAcceptable, SdpError, answer, parse_offer

SIPP_OFFER = (
    b"v=0\r\no=caller 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
    b"t=0 0\r\nm=audio 6000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
)


def test_the_usual_offer() -> None:
    offer = parse_offer(SIPP_OFFER)
    assert (offer.address, offer.port, offer.pcmu, offer.telephone_event) == (
        "127.0.0.1", 6000, 0, 101)  # fmt: skip


def test_the_telephone_event_type_is_the_callers() -> None:
    body = SIPP_OFFER.replace(b"101", b"96")
    offer = parse_offer(body)
    assert offer.telephone_event == 96
    text = answer(offer, "10.0.0.2", 20000, 1).decode()
    assert "m=audio 20000 RTP/AVP 0 96\r\n" in text
    assert "a=rtpmap:96 telephone-event/8000" in text and "c=IN IP4 10.0.0.2" in text


def test_pcmu_static_without_rtpmap_and_a_second_codec_first() -> None:
    body = (
        b"v=0\nc=IN IP4 192.0.2.5\nm=audio 4000 RTP/AVP 8 0 18\na=rtpmap:8 PCMA/8000\na=sendonly\n"
    )
    offer = parse_offer(body)
    assert offer.pcmu == 0 and offer.telephone_event is None and offer.direction == "sendonly"
    text = answer(offer, "192.0.2.1", 20002, 5).decode()
    assert "m=audio 20002 RTP/AVP 0\r\n" in text and "a=recvonly" in text
    assert "telephone-event" not in text


def test_media_level_connection_and_the_first_usable_stream() -> None:
    body = (
        b"v=0\r\nm=video 5000 RTP/AVP 96\r\nc=IN IP4 192.0.2.9\r\n"
        b"m=audio 0 RTP/AVP 0\r\nm=audio 7000 RTP/AVP 0\r\nc=IN IP6 2001:db8::1\r\n"
    )
    offer = parse_offer(body)
    assert (offer.address, offer.port) == ("2001:db8::1", 7000)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (SIPP_OFFER.replace(b"RTP/AVP 0 101", b"RTP/AVP 8 101").replace(b"0 PCMU", b"8 PCMA"),
         "no PCMU/8000 offered"),
        (SIPP_OFFER.replace(b"RTP/AVP", b"RTP/SAVP"), "transport RTP/SAVP"),
        (b"v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 5000 RTP/AVP 0\r\n", "video stream"),
        (b"v=0\r\nc=IN IP4 1.2.3.4\r\n", "no media stream offered"),
        (SIPP_OFFER.replace(b"m=audio 6000", b"m=audio 0"), "refused (port 0)"),
    ],
)  # fmt: skip
def test_nothing_acceptable_is_488(body: bytes, reason: str) -> None:
    with pytest.raises(NotAcceptable) as caught:
        parse_offer(body)
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"hello",
        b"\xff\xfe",
        b"v=0\r\nthis is not sdp\r\n",
        b"v=0\r\nc=IN IP4 example.com\r\nm=audio 1 RTP/AVP 0\r\n",
        b"v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 99999 RTP/AVP 0\r\n",
        b"v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP x\r\n",
        b"v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 1\r\n",
        b"v=0\r\nm=audio 1 RTP/AVP 0\r\n",
        b"v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:zz\r\n",
        b"v=0\r\n" + b"a=x\r\n" * 5000,
    ],
)
def test_malformed_offers_raise_sdp_error(body: bytes) -> None:
    with pytest.raises(SdpError):
        parse_offer(body)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([
    "v=0", "c=IN IP4 10.0.0.1", "c=IN IP6 ::1", "c=IN", "m=audio 1 RTP/AVP 0", "m=audio x",
    "m=audio 2 RTP/AVP 0 101", "a=rtpmap:101 telephone-event/8000", "a=rtpmap:0 PCMU/8000",
    "a=sendonly", "a=ptime:30", "a=", "=", "x", "m=", "a=rtpmap:", "\x00", "é",
]), max_size=12))  # fmt: skip
def test_shuffled_lines_raise_nothing_but_sdp_error(lines: list[str]) -> None:
    try:
        parse_offer("\r\n".join(lines).encode())
    except SdpError:
        pass
