"""RTP packets (ivr/media/rtp.py): built and read back; anything malformed is an RtpError."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.media.rtp import RtpError, RtpPacket, build, parse


def test_a_packet_round_trips() -> None:
    packet = RtpPacket(0, 65535, 2**32 - 1, 0xDEADBEEF, b"\xff" * 160, marker=True, csrcs=(7,))
    data = packet.encode()
    assert len(data) == 12 + 4 + 160
    assert parse(data) == packet


def test_sequence_and_timestamp_wrap() -> None:
    back = parse(build(0, 65536 + 5, 2**32 + 9, 1, b"x"))
    assert (back.sequence, back.timestamp) == (5, 9)


def test_padding_and_extension_are_skipped() -> None:
    head = struct.pack("!BBHII", 0x80 | 0x20 | 0x10, 101, 1, 2, 3)
    extension = struct.pack("!HH", 0xBEDE, 1) + b"\x00" * 4
    data = head + extension + b"\x01\x8a\x00\xa0" + b"\x00\x00\x03"
    packet = parse(data)
    assert packet.payload == b"\x01\x8a\x00\xa0" and packet.payload_type == 101


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "shorter than an RTP header"),
        (b"\x80" * 11, "shorter than an RTP header"),
        (b"\x40" + b"\x00" * 11, "RTP version 1"),
        (b"\x8f" + b"\x00" * 11, "truncated CSRC list"),
        (b"\x90" + b"\x00" * 11 + b"\x00\x00", "truncated header extension"),
        (b"\x90" + b"\x00" * 11 + b"\x00\x00\x00\x05", "truncated header extension"),
        (b"\xa0" + b"\x00" * 11 + b"\x00", "bad padding"),
        (b"\xa0" + b"\x00" * 11 + b"\x20", "bad padding"),
        (b"\x80\xc8" + b"\x00" * 10, "an RTCP packet"),
    ],
)
def test_malformed_packets_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(RtpError) as caught:
        parse(data)
    assert reason in caught.value.reason


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_raise_nothing_but_rtp_error(data: bytes) -> None:
    try:
        parse(data)
    except RtpError:
        pass
