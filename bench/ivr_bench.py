"""IVR benchmark: --calls simultaneous IVR calls in one Hotline process, and how evenly their
prompts' RTP is paced (target: send jitter p99 under 20 ms).

Not a test. Run it with a venv's python; it starts the server itself (`hotline serve`, SIP on
a free port, RTP on free ports) on a fresh SQLite database it creates and removes:

    .venv/bin/python bench/ivr_bench.py                 # 200 calls, 30 s
    .venv/bin/python bench/ivr_bench.py --calls 50 --seconds 15

This process plays --calls phones: each sends an INVITE to `ivr` (an unknown caller, so the
menus play: welcome, language choice, "enter your number", retries) with an SDP offer that
points at one shared RTP receiver here, ACKs the 200, and listens; after --seconds each hangs
up (BYE). Calls are started over --ramp seconds. The server's one pacer sends every call's
prompts; the receiver notes each packet's arrival.

Figures (times in ms), over consecutive packets of a talkspurt (sequence +1, timestamp +160:
the pacer's 20 ms slots):
    jitter p50/p99/max  |arrival gap - 20 ms|: how far the spacing of packets strays from
                        20 ms as seen by a receiver on the same host — the server's send
                        jitter plus this receiver's own scheduling (an upper bound)
    RFC 3550 J p99      the interarrival jitter estimate of RFC 3550 §6.4.1 at the end of each
                        stream, p99 over the streams
    loss                packets missing within talkspurts (sequence gaps), %
    streams             calls whose prompts arrived / calls answered
The machine's load (/proc/loadavg) and CPU of the server and of other work are printed:
on a shared two-core machine the figures measure the machine as much as the server.

`--in-process` measures the send side itself instead, without SIP or a database: --calls
streams in this process on IVR mode's media path (the prompts of config/prompts cut into
frames, one `PacerLoop`, an RTP socket per call on UDP, sending to a receiver here), each
playing prompts back to back; each packet's send time is noted as it leaves:
    send jitter         |send gap - 20 ms| between a stream's consecutive packets
    lateness            how long after its 20 ms slot each tick ran (the pacer's own figure)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import secrets
import shutil
import socket
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import live_bench as lb  # bench/ is no package: its sibling, by path
from sip_bench import HOST, Cpu, free_port, loadavg, say

from ivr.media.prompts import load_prompts
from ivr.media.rtp import RtpError
from ivr.media.rtp import parse as parse_rtp
from ivr.media.transport import PacerLoop, PortRange, RtpSocket
from ivr.sip.message import Request, Response, SipParseError, make_response, parse

PROMPTS = Path(__file__).resolve().parent.parent / "config" / "prompts"
OFFER = (
    "v=0\r\no=bench 1 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
    "m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
)


@dataclass
class Options:
    calls: int
    seconds: float
    ramp: float
    keep: bool
    in_process: bool


def parse_args(argv: list[str] | None = None) -> Options:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--calls", type=int, default=200)
    p.add_argument("--seconds", type=float, default=30.0, help="how long every call lasts")
    p.add_argument("--ramp", type=float, default=5.0, help="calls start over this many s")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    p.add_argument("--in-process", action="store_true", help="the send side, in this process")
    a = p.parse_args(argv)
    return Options(a.calls, a.seconds, a.ramp, a.keep, a.in_process)


# --- the phones --------------------------------------------------------------------------------
@dataclass
class Call:
    call_id: str
    number: str
    to: str = ""
    answered: asyncio.Future[Response] | None = None
    cseq: int = 1


class Signalling(asyncio.DatagramProtocol):
    """All the phones' SIP, on one socket: final answers to the INVITEs, Hotline's BYEs."""

    def __init__(self) -> None:
        self.calls: dict[str, Call] = {}
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            message = parse(data)
        except SipParseError:
            return
        call = self.calls.get(message.headers.get("Call-ID") or "")
        if isinstance(message, Request):
            self.transport.sendto(make_response(message, 200).encode(), addr)  # a BYE, NOTIFY
            return
        if call is None or message.status < 200 or call.answered is None:
            return
        if not call.answered.done():
            call.answered.set_result(message)


@dataclass
class Stream:
    last_seq: int | None = None
    last_ts: int | None = None
    last_at: float = 0.0
    transit: float | None = None
    jitter: float = 0.0  # RFC 3550 J, in seconds
    packets: int = 0
    lost: int = 0


class Receiver(asyncio.DatagramProtocol):
    """Every call's RTP, on one socket, told apart by SSRC."""

    def __init__(self) -> None:
        self.streams: dict[int, Stream] = defaultdict(Stream)
        self.gaps: list[float] = []  # |arrival gap - 20 ms| within talkspurts, seconds
        self.malformed = 0

    def datagram_received(self, data: bytes, addr: Any) -> None:
        now = time.monotonic()
        try:
            packet = parse_rtp(data)
        except RtpError:
            self.malformed += 1
            return
        s = self.streams[packet.ssrc]
        s.packets += 1
        if s.last_seq is not None and s.last_ts is not None:
            dseq = (packet.sequence - s.last_seq) % 65536
            dts = (packet.timestamp - s.last_ts) % 2**32
            if dseq == 1 and dts == 160 and not packet.marker:
                self.gaps.append(abs(now - s.last_at - 0.020))
            elif 1 < dseq < 100 and dts == 160 * dseq and not packet.marker:
                s.lost += dseq - 1  # packets missing inside a talkspurt
        transit = now - packet.timestamp / 8000
        if s.transit is not None:
            d = abs(transit - s.transit)
            s.jitter += (d - s.jitter) / 16
        s.transit = transit
        s.last_seq, s.last_ts, s.last_at = packet.sequence, packet.timestamp, now


class Phones:
    def __init__(self, sip_port: int) -> None:
        self.sip_port = sip_port
        self.signalling = Signalling()
        self.receiver = Receiver()
        self.port = 0
        self.media_port = 0

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        sig, _ = await loop.create_datagram_endpoint(lambda: self.signalling, local_addr=(HOST, 0))
        rtp, _ = await loop.create_datagram_endpoint(lambda: self.receiver, local_addr=(HOST, 0))
        with contextlib.suppress(OSError):  # 10,000 packets/s: room for a stall
            rtp.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.port = sig.get_extra_info("sockname")[1]
        self.media_port = rtp.get_extra_info("sockname")[1]
        self._sig, self._rtp = sig, rtp

    def close(self) -> None:
        self._sig.close()
        self._rtp.close()

    def send(self, call: Call, method: str, body: str = "") -> None:
        uri = f"sip:ivr@{HOST}:{self.sip_port}"
        cseq = 1 if method in ("INVITE", "ACK") else call.cseq + 1
        call.cseq = max(call.cseq, cseq)
        head = (
            f"{method} {uri} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {HOST}:{self.port};branch=z9hG4bK-{secrets.token_hex(6)};rport\r\n"
            f"From: <sip:{call.number}@{HOST}>;tag=bench\r\n"
            f"To: {call.to or '<' + uri + '>'}\r\nCall-ID: {call.call_id}\r\n"
            f"CSeq: {cseq} {method}\r\nContact: <sip:{call.number}@{HOST}:{self.port}>\r\n"
            f"Max-Forwards: 70\r\n"
            + ("Content-Type: application/sdp\r\n" if body else "")
            + f"Content-Length: {len(body)}\r\n\r\n{body}"
        )
        self.signalling.transport.sendto(head.encode(), (HOST, self.sip_port))

    async def call(self, n: int) -> Call | None:
        call = Call(f"ivr-bench-{n}-{secrets.token_hex(4)}", f"+86137{n:08d}")
        call.answered = asyncio.get_running_loop().create_future()
        self.signalling.calls[call.call_id] = call
        body = OFFER.format(host=HOST, port=self.media_port)
        for _ in range(6):  # resent like Timer A (UDP), so a loaded server still gets it
            self.send(call, "INVITE", body)
            with contextlib.suppress(TimeoutError):
                response = await asyncio.wait_for(asyncio.shield(call.answered), 2.0)
                break
        else:
            return None
        if response.status != 200:
            return None
        call.to = response.headers.get("To") or ""
        self.send(call, "ACK")
        return call

    def hang_up(self, call: Call) -> None:
        self.send(call, "BYE")


# --- the run -------------------------------------------------------------------------------------
async def run(opts: Options) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="ivr_bench_"))
    lopts = lb.parse_args(["--customers", "50", "--db", "sqlite"])
    db = lb.Database("sqlite", tmp, lopts.pg_dsn, 1)
    log = tmp / "server.log"
    sip_port = free_port()
    server: lb.Server | None = None
    say(f"ivr_bench: {opts.calls} calls for {opts.seconds:g} s; load average {loadavg()}")
    try:
        env = lb.server_env(db, tmp)
        env |= {
            "HOTLINE_SIP_ENABLED": "true",
            "HOTLINE_SIP_HOST": HOST,
            "HOTLINE_SIP_PORT": str(sip_port),
            "HOTLINE_RTP_PORTS": "0",
        }
        await lb.seed_demo(lopts, env, log)
        server = lb.Server(lopts, env, log)
        async with httpx.AsyncClient(base_url=server.base, timeout=60.0) as client:
            await server.wait_ready(client)
        phones = Phones(sip_port)
        await phones.open()
        try:
            await drive(opts, phones, server)
        finally:
            phones.close()
    finally:
        if server is not None:
            server.stop()
        await db.drop()
        say(f"  server log: {lb.log_problems(log)}")
        if opts.keep:
            say(f"  kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


async def drive(opts: Options, phones: Phones, server: lb.Server) -> None:
    async def one(n: int) -> Call | None:
        await asyncio.sleep(opts.ramp * n / max(1, opts.calls))
        return await phones.call(n)

    started = time.monotonic()
    calls = [c for c in await asyncio.gather(*(one(n) for n in range(opts.calls))) if c]
    say(f"  {len(calls)}/{opts.calls} answered in {time.monotonic() - started:.1f} s")
    # Measured once every call is up: the figures are of all of them playing at once.
    await asyncio.sleep(1.0)
    phones.receiver.gaps.clear()
    cpu0 = Cpu.now(server.pid)
    load0 = loadavg()
    await asyncio.sleep(max(1.0, opts.seconds - (time.monotonic() - started)))
    cpu = Cpu.now(server.pid).since(cpu0)
    for call in calls:
        phones.hang_up(call)
    await asyncio.sleep(1.0)
    report(phones.receiver, len(calls), cpu, load0)


def report(receiver: Receiver, answered: int, cpu: str, load0: str) -> None:
    gaps = [g * 1000 for g in receiver.gaps]
    streams = receiver.streams.values()
    jitters = [s.jitter * 1000 for s in streams if s.packets > 10]
    packets = sum(s.packets for s in streams)
    lost = sum(s.lost for s in streams)

    def f(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.1f}"

    say(
        f"  streams {len(jitters)}/{answered}, packets {packets}, "
        f"{len(gaps)} gaps measured, malformed {receiver.malformed}\n"
        f"  jitter |gap - 20 ms|: p50 {f(lb.pct(gaps, 50))} ms, p99 {f(lb.pct(gaps, 99))} ms, "
        f"max {f(max(gaps) if gaps else None)} ms\n"
        f"  RFC 3550 J p99 over streams {f(lb.pct(jitters, 99))} ms; "
        f"loss within talkspurts {100 * lost / max(1, packets + lost):.2f} %\n"
        f"  {cpu}\n  load average at start {load0}, at end {loadavg()}"
    )


# --- the send side, in this process ------------------------------------------------------------
async def in_process(opts: Options) -> None:
    """--calls streams on IVR mode's media path, each packet's send time noted."""
    prompts = load_prompts(PROMPTS, ["zh", "en"])
    frames = [f for key in sorted(prompts.frames) for f in prompts.frames[key]]
    say(
        f"ivr_bench --in-process: {opts.calls} streams for {opts.seconds:g} s, "
        f"{len(frames)} frames of prompts each, looped; load average {loadavg()}"
    )
    loop = asyncio.get_running_loop()
    sink, receiver = await loop.create_datagram_endpoint(Counter, local_addr=(HOST, 0))
    target = sink.get_extra_info("sockname")
    pacer = PacerLoop()
    sent: dict[int, list[float]] = defaultdict(list)
    sockets: list[RtpSocket] = []
    streams: list[Any] = []
    ports = PortRange(0, 0)
    lateness: list[float] = []
    tick = pacer._tick

    def timed_tick() -> None:  # the pacer's lateness, as the server's log would see it
        due = pacer.pacer.next_at
        if due:
            lateness.append(max(0.0, loop.time() - due))
        tick()

    pacer._tick = timed_tick  # type: ignore[method-assign]
    for n in range(opts.calls):
        rtp = await ports.open(HOST, lambda key: None)
        rtp.remote = target
        sockets.append(rtp)

        def send(packet: bytes, rtp: RtpSocket = rtp, n: int = n) -> None:
            sent[n].append(time.monotonic())
            rtp.send(packet)

        def again(n: int = n) -> None:
            streams[n].play(frames)

        stream = pacer.stream(f"call-{n}", 0, send, again)
        streams.append(stream)
        stream.play(frames[n * 7 % len(frames) :])  # not all in step: as real calls
    busy0, own0, t0 = lb.host_busy_seconds(), lb.own_cpu_seconds(), time.monotonic()
    await asyncio.sleep(opts.seconds)
    wall = time.monotonic() - t0
    machine = (lb.host_busy_seconds() - busy0) / wall * 100
    own = (lb.own_cpu_seconds() - own0) / wall * 100
    cpu = (
        f"CPU (% of one core, 200 = both): machine {machine:.0f}, this process {own:.0f}, "
        f"other work {max(0.0, machine - own):.0f}"
    )
    for n in range(opts.calls):
        pacer.remove(f"call-{n}")
    for rtp in sockets:
        rtp.close()
    sink.close()
    gaps = [
        abs(b - a - 0.020) * 1000 for times in sent.values() for a, b in itertools.pairwise(times)
    ]
    late = [x * 1000 for x in lateness]
    packets = sum(len(t) for t in sent.values())

    def f(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.1f}"

    say(
        f"  packets sent {packets} ({packets / opts.seconds:.0f}/s), received {receiver.count}\n"
        f"  send jitter |gap - 20 ms|: p50 {f(lb.pct(gaps, 50))} ms, p99 {f(lb.pct(gaps, 99))} ms,"
        f" max {f(max(gaps) if gaps else None)} ms\n"
        f"  tick lateness: p50 {f(lb.pct(late, 50))} ms, p99 {f(lb.pct(late, 99))} ms, "
        f"max {f(max(late) if late else None)} ms over {len(late)} ticks\n"
        f"  {cpu}\n  load average at end {loadavg()}"
    )


class Counter(asyncio.DatagramProtocol):
    count = 0

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.count += 1


def main(argv: list[str] | None = None) -> None:
    opts = parse_args(argv)
    if opts.in_process:
        asyncio.run(in_process(opts))
        return
    asyncio.run(asyncio.wait_for(run(opts), 600 + opts.seconds))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
