"""Prompt playout with 20 ms pacing for every call at once. Pure: the clock is passed in.

One :class:`Pacer` serves the whole process. Every 20 ms (:attr:`Pacer.next_at`, on the
event loop's clock) the driver (:class:`ivr.media.transport.PacerLoop`) calls
:meth:`Pacer.tick`, which gives one RTP packet per stream with a frame queued — frames
were cut from the prompt files at start-up, so a tick only adds a 12-byte header — and
says which streams played their last frame.

Time slots are counted from the pacer's start (``origin + n * 20 ms``), so lateness never
accumulates: a tick that comes late sends at once and the next is due on the next slot.
Slots missed entirely (a loop stalled for 60 ms) advance each stream's RTP timestamp, as
RFC 3550 asks (the timestamp follows the sampling clock); the audio is delayed, not cut.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from ivr.media.prompts import FRAME
from ivr.media.rtp import build

INTERVAL = 0.020  # seconds per frame
SAMPLES = FRAME  # RTP timestamp units per frame at 8 kHz


@dataclass(eq=False)
class Stream:
    """One call's outgoing audio: its RTP header state and the frames still to send."""

    key: str
    payload_type: int
    ssrc: int
    sequence: int
    timestamp: int
    queue: deque[bytes] = field(default_factory=deque)
    talking: bool = False  # a frame went out on the last tick (else the next has the marker)
    sent: int = 0

    def play(self, frames: Iterable[bytes]) -> None:
        """Queue frames after what is already queued."""
        self.queue.extend(frames)

    def stop(self) -> None:
        """Drop what is queued (the caller pressed a key during the prompt)."""
        self.queue.clear()

    @property
    def playing(self) -> bool:
        return bool(self.queue)


@dataclass
class Tick:
    packets: list[tuple[Stream, bytes]]
    finished: list[Stream]  # streams whose last queued frame is in ``packets``
    late: float  # how long after its slot this tick ran (s)


class Pacer:
    """Every stream of the process on one 20 ms clock."""

    def __init__(self) -> None:
        self.streams: dict[str, Stream] = {}
        self.origin: float | None = None
        self.slot = 0

    @property
    def next_at(self) -> float | None:
        """When the next tick is due (None: no stream, nothing to do)."""
        if not self.streams:
            return None
        if self.origin is None:
            return 0.0  # at once: the first tick sets the origin
        return self.origin + self.slot * INTERVAL

    def add(self, stream: Stream) -> None:
        self.streams[stream.key] = stream

    def remove(self, key: str) -> Stream | None:
        stream = self.streams.pop(key, None)
        if not self.streams:
            self.origin = None  # idle: the clock restarts with the next stream
            self.slot = 0
        return stream

    def tick(self, now: float) -> Tick:
        """The packets of the slot due at ``now`` (nothing when called early)."""
        if not self.streams:
            return Tick([], [], 0.0)
        if self.origin is None:
            self.origin, self.slot = now, 0
        due = self.origin + self.slot * INTERVAL
        if now + 1e-4 < due:
            return Tick([], [], 0.0)  # woke early: the slot is not due yet
        current = math.floor((now - self.origin) / INTERVAL + 1e-6)
        skipped = max(current - self.slot, 0)
        self.slot = max(current, self.slot) + 1
        packets: list[tuple[Stream, bytes]] = []
        finished: list[Stream] = []
        for stream in self.streams.values():
            stream.timestamp = (stream.timestamp + SAMPLES * skipped) & 0xFFFFFFFF
            if stream.queue:
                frame = stream.queue.popleft()
                packet = build(
                    stream.payload_type,
                    stream.sequence,
                    stream.timestamp,
                    stream.ssrc,
                    frame,
                    marker=not stream.talking,  # the first packet of a talkspurt
                )
                packets.append((stream, packet))
                stream.sequence = (stream.sequence + 1) & 0xFFFF
                stream.talking = True
                stream.sent += 1
                if not stream.queue:
                    finished.append(stream)
            else:
                stream.talking = False
            stream.timestamp = (stream.timestamp + SAMPLES) & 0xFFFFFFFF
        return Tick(packets, finished, now - due)
