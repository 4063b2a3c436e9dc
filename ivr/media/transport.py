"""The asyncio side of the IVR's media: one UDP socket per call for RTP, and the one
timing loop of the process that drives :class:`ivr.media.pacer.Pacer`. Thin on purpose:
parsing, DTMF and pacing are pure modules beside this one.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from typing import Any, cast

from ivr.media.dtmf import DtmfDecoder
from ivr.media.pacer import Pacer, Stream
from ivr.media.rtp import RtpError, parse

log = logging.getLogger(__name__)


class PacerLoop:
    """Runs the process's :class:`Pacer` on the event loop: one timer, re-armed for the
    next 20 ms slot, however many calls are playing. Idle (no call) it sleeps."""

    def __init__(self) -> None:
        self.pacer = Pacer()
        self._sinks: dict[str, tuple[Callable[[bytes], None], Callable[[], None]]] = {}
        self._handle: asyncio.TimerHandle | None = None
        self.late_max = 0.0  # the worst lateness seen (s), for the benchmark and the log

    def stream(
        self,
        key: str,
        payload_type: int,
        send: Callable[[bytes], None],
        finished: Callable[[], None],
    ) -> Stream:
        """A new outgoing stream; ``finished`` is called when its queue runs empty."""
        stream = Stream(
            key, payload_type, secrets.randbits(32), secrets.randbits(16), secrets.randbits(32)
        )
        self.pacer.add(stream)
        self._sinks[key] = (send, finished)
        self._arm()
        return stream

    def remove(self, key: str) -> None:
        self.pacer.remove(key)
        self._sinks.pop(key, None)
        if not self.pacer.streams and self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _arm(self) -> None:
        if self._handle is not None:
            return
        at = self.pacer.next_at
        if at is None:
            return
        loop = asyncio.get_running_loop()
        self._handle = loop.call_at(max(at, loop.time()) if at else loop.time(), self._tick)

    def _tick(self) -> None:
        self._handle = None
        tick = self.pacer.tick(asyncio.get_running_loop().time())
        self.late_max = max(self.late_max, tick.late)
        for stream, packet in tick.packets:
            sink = self._sinks.get(stream.key)
            if sink is not None:
                try:
                    sink[0](packet)
                except Exception:  # one call's socket must not stop the others' audio
                    log.exception("rtp: send failed for %s", stream.key)
        for stream in tick.finished:
            sink = self._sinks.get(stream.key)
            if sink is not None:
                try:
                    sink[1]()
                except Exception:
                    log.exception("rtp: playout callback failed for %s", stream.key)
        self._arm()


class RtpSocket(asyncio.DatagramProtocol):
    """One call's RTP port: keys (RFC 4733) go to ``on_key``; everything else received
    (audio, RTCP, garbage) is dropped — malformed packets are counted, never raised.

    Symmetric RTP (RFC 4961): once the caller's RTP arrives from the host its SDP named
    but another port (a NAT rewrote it), prompts go back to where it came from."""

    def __init__(self, on_key: Callable[[str], None]) -> None:
        self.on_key = on_key
        self.decoder: DtmfDecoder | None = None
        self.transport: asyncio.DatagramTransport | None = None
        self.remote: tuple[str, int] | None = None
        self.latched = False
        self.malformed = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            packet = parse(data)
        except RtpError:
            self.malformed += 1
            return
        if not self.latched and self.remote is not None and addr[0] == self.remote[0]:
            self.latched = True
            self.remote = (addr[0], int(addr[1]))
        if self.decoder is None:
            return
        key = self.decoder.feed(packet)
        if key is not None:
            try:
                self.on_key(key)
            except Exception:
                log.exception("rtp: key handler failed")

    def error_received(self, exc: Exception) -> None:
        log.debug("rtp: udp error: %s", exc)

    def send(self, packet: bytes) -> None:
        if self.transport is not None and self.remote is not None:
            self.transport.sendto(packet, self.remote)

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class PortRange:
    """RTP ports handed out from ``[low, high]`` (even ports, RTCP's odd twin left free);
    ``low == 0``: any free port."""

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high
        self._next = low

    async def open(self, host: str, on_key: Callable[[str], None]) -> RtpSocket:
        loop = asyncio.get_running_loop()
        if self.low == 0:
            _, proto = await loop.create_datagram_endpoint(
                lambda: RtpSocket(on_key), local_addr=(host, 0)
            )
            return proto
        span = (self.high - self.low) // 2 + 1
        for _ in range(span):
            port = self._next
            self._next = self.low if self._next + 2 > self.high else self._next + 2
            try:
                _, proto = await loop.create_datagram_endpoint(
                    lambda: RtpSocket(on_key), local_addr=(host, port)
                )
            except OSError:
                continue  # in use (another call, another process): the next one
            return proto
        raise OSError(f"no free RTP port in {self.low}-{self.high}")
