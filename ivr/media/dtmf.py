"""RFC 4733 telephone-events: keys pressed, read from RTP. Pure.

One key press is one *event*: every packet of it carries the same RTP timestamp (the
event's start) while its duration grows, and its end packet is sent three times. So a new
key is a packet with a timestamp not seen before — whether or not its marker bit is set
(senders differ: some set it on the first packet only, some never, and the first packet
may be lost) — and packets with a timestamp already seen, end retransmissions included,
add nothing. Two presses of the same key are two events with two timestamps.
"""

from __future__ import annotations

from collections import deque

from ivr.media.rtp import RtpPacket

KEYS = "0123456789*#ABCD"  # events 0-15 (RFC 4733 §3.2)
REMEMBERED = 16  # recent events' timestamps kept: a late packet of one is still absorbed


class DtmfDecoder:
    """Feed every RTP packet of the call's telephone-event payload type; get a key per
    new event.

    Args:
        payload_type: the telephone-event payload type negotiated in SDP.
    """

    def __init__(self, payload_type: int) -> None:
        self.payload_type = payload_type
        self._seen: deque[tuple[int, int]] = deque(maxlen=REMEMBERED)

    def feed(self, packet: RtpPacket) -> str | None:
        """The key this packet starts, or None (other payload, a repeat, not a key)."""
        if packet.payload_type != self.payload_type or len(packet.payload) < 4:
            return None
        event = packet.payload[0]
        if event >= len(KEYS):
            return None  # a tone or line event (RFC 4734), not a key
        key = (packet.ssrc, packet.timestamp)
        if key in self._seen:
            return None
        self._seen.append(key)
        return KEYS[event]
