"""RFC 4733 keys (ivr/media/dtmf.py): one key per new event (new timestamp), marker bit or
not, end retransmissions not doubled — on sip-tester's own pcaps and on hand-made packets."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from ivr.media.dtmf import DtmfDecoder
from ivr.media.rtp import RtpError, RtpPacket, build, parse

PCAPS = Path("/usr/share/sip-tester")


def pcap_rtp(path: Path) -> list[bytes]:
    """The RTP payloads of a classic pcap of Ethernet/IPv4/UDP frames."""
    data = path.read_bytes()
    assert struct.unpack_from("<I", data)[0] == 0xA1B2C3D4
    out, offset = [], 24
    while offset + 16 <= len(data):
        size = struct.unpack_from("<I", data, offset + 8)[0]
        frame = data[offset + 16 : offset + 16 + size]
        offset += 16 + size
        ihl = (frame[14] & 0x0F) * 4
        out.append(frame[14 + ihl + 8 :])
    return out


def event(key: int, ts: int, end: bool = False, marker: bool = False, seq: int = 1) -> RtpPacket:
    payload = bytes([key, 0x80 if end else 0x0A]) + struct.pack("!H", 400)
    return RtpPacket(101, seq, ts, 42, payload, marker=marker)


@pytest.mark.skipif(not PCAPS.exists(), reason="sip-tester is not installed")
@pytest.mark.parametrize(
    ("name", "key"), [("0", "0"), ("1", "1"), ("5", "5"), ("9", "9"), ("star", "*"), ("pound", "#")]
)
def test_each_shipped_pcap_is_one_key(name: str, key: str) -> None:
    decoder = DtmfDecoder(101)
    packets = [parse(p) for p in pcap_rtp(PCAPS / f"dtmf_2833_{name}.pcap")]
    assert len(packets) > 3  # the event's updates and its end, sent three times
    keys = [k for p in packets if (k := decoder.feed(p)) is not None]
    assert keys == [key]


@pytest.mark.skipif(not PCAPS.exists(), reason="sip-tester is not installed")
def test_pcaps_played_one_after_another_are_that_many_keys() -> None:
    decoder = DtmfDecoder(101)
    keys = []
    for name in ("1", "2", "pound"):
        for data in pcap_rtp(PCAPS / f"dtmf_2833_{name}.pcap"):
            if (k := decoder.feed(parse(data))) is not None:
                keys.append(k)
    assert keys == ["1", "2", "#"]


def test_a_new_event_without_the_marker_bit_is_a_key() -> None:
    decoder = DtmfDecoder(101)
    assert decoder.feed(event(3, 1000)) == "3"  # first packet lost: no marker seen
    assert decoder.feed(event(3, 1000, end=True)) is None
    assert decoder.feed(event(3, 2000, marker=True)) == "3"  # the same key pressed again


def test_end_retransmissions_are_not_doubled() -> None:
    decoder = DtmfDecoder(101)
    got = [decoder.feed(event(7, 500, end=True)) for _ in range(3)]
    assert got == ["7", None, None]


def test_a_late_packet_of_an_old_event_adds_nothing() -> None:
    decoder = DtmfDecoder(101)
    assert [decoder.feed(event(1, 100)), decoder.feed(event(2, 900))] == ["1", "2"]
    assert decoder.feed(event(1, 100, end=True)) is None


def test_other_payloads_and_events_are_not_keys() -> None:
    decoder = DtmfDecoder(101)
    assert decoder.feed(RtpPacket(0, 1, 1, 1, b"\xff" * 160)) is None  # audio
    assert decoder.feed(RtpPacket(101, 1, 1, 1, b"\x01")) is None  # short
    assert decoder.feed(event(16, 5)) is None  # a tone event, not a key
    assert decoder.feed(event(11, 6)) == "#" and decoder.feed(event(10, 7)) == "*"


def test_the_payload_type_is_the_negotiated_one() -> None:
    decoder = DtmfDecoder(96)
    assert decoder.feed(parse(build(96, 1, 10, 1, b"\x04\x0a\x00\xa0"))) == "4"
    assert decoder.feed(event(4, 11)) is None  # 101 is not this call's


def test_garbage_never_reaches_the_decoder() -> None:
    with pytest.raises(RtpError):
        parse(b"\x00garbage")
