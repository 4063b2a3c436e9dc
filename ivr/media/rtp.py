"""RTP packets (RFC 3550 §5.1): parse and build. Pure.

:func:`parse` raises :class:`RtpError` (and nothing else) on anything that is not an RTP
packet it can read — a stray datagram on a media port must never reach the call logic.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

HEADER = struct.Struct("!BBHII")  # V/P/X/CC, M/PT, sequence, timestamp, SSRC
VERSION = 2
MAX_PACKET = 1500


class RtpError(ValueError):
    """Not an RTP packet this endpoint reads; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RtpPacket:
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    marker: bool = False
    csrcs: tuple[int, ...] = ()

    def encode(self) -> bytes:
        return build(
            self.payload_type,
            self.sequence,
            self.timestamp,
            self.ssrc,
            self.payload,
            marker=self.marker,
            csrcs=self.csrcs,
        )


def build(
    payload_type: int,
    sequence: int,
    timestamp: int,
    ssrc: int,
    payload: bytes,
    *,
    marker: bool = False,
    csrcs: tuple[int, ...] = (),
) -> bytes:
    """An RTP packet; sequence and timestamp wrap (16 and 32 bits)."""
    if not 0 <= payload_type < 128:
        raise ValueError(f"payload type {payload_type} is not 0-127")
    if len(csrcs) > 15:
        raise ValueError("at most 15 CSRCs")
    first = (VERSION << 6) | len(csrcs)
    second = (0x80 if marker else 0) | payload_type
    head = HEADER.pack(first, second, sequence & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc & 0xFFFFFFFF)
    return head + b"".join(struct.pack("!I", c & 0xFFFFFFFF) for c in csrcs) + payload


def parse(data: bytes) -> RtpPacket:
    """One RTP packet (header extension skipped, padding removed)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise RtpError("not bytes")
    data = bytes(data)
    if len(data) < HEADER.size:
        raise RtpError(f"{len(data)} bytes: shorter than an RTP header")
    if len(data) > MAX_PACKET * 44:  # over 64 KiB: no UDP datagram is
        raise RtpError("too large")
    first, second, sequence, timestamp, ssrc = HEADER.unpack_from(data)
    if first >> 6 != VERSION:
        raise RtpError(f"RTP version {first >> 6}")
    if 72 <= second & 0x7F <= 76:
        raise RtpError("an RTCP packet")  # RFC 5761: RTCP types 200-204 look like PT 72-76
    count = first & 0x0F
    offset = HEADER.size + 4 * count
    if len(data) < offset:
        raise RtpError("truncated CSRC list")
    csrcs = struct.unpack_from(f"!{count}I", data, HEADER.size)
    if first & 0x10:  # header extension: 16-bit profile, 16-bit length in words
        if len(data) < offset + 4:
            raise RtpError("truncated header extension")
        (words,) = struct.unpack_from("!H", data, offset + 2)
        offset += 4 + 4 * words
        if len(data) < offset:
            raise RtpError("truncated header extension")
    end = len(data)
    if first & 0x20:  # padding: the last octet says how many to drop
        pad = data[-1]
        if pad == 0 or end - pad < offset:
            raise RtpError("bad padding")
        end -= pad
    return RtpPacket(
        payload_type=second & 0x7F,
        sequence=sequence,
        timestamp=timestamp,
        ssrc=ssrc,
        payload=data[offset:end],
        marker=bool(second & 0x80),
        csrcs=tuple(csrcs),
    )
