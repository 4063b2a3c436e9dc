"""SIP benchmark: sipp calls a real Hotline server in redirect mode while agents accept over
websockets; then the highest call rate with no failed call, beside a bare asyncio responder.

Not a test. Run it with a venv's python; it starts the server itself (`hotline serve`, SIP on a
free port) on a fresh database it creates and drops, only on 127.0.0.1:

    .venv/bin/python bench/sip_bench.py                        # PostgreSQL, 100 calls/s for 60 s
    .venv/bin/python bench/sip_bench.py --db sqlite --rate 50 --seconds 20 --ladder 50,100

What it does:
1. `hotline demo` data, a queue `bench`, --agents agents with its skill and a SIP URI each
   (`sip:benchNNNN@127.0.0.1:5070`), a telephony.yaml whose number `bench` is in redirect
   mode for that queue. The agents (bench/live_bench.py's bots) open /ws/agent, go available,
   accept every offer, hold it --hold-min..--hold-max s, end it and wrap it up.
2. The main run: sipp (`-r --rate`, --seconds) calls `sip:bench@…` from a fresh number per
   call (a new prospect each: no repeat-caller routing); each call must get its 302 within
   --answer-timeout seconds. Figures: failed calls (sipp's own count), INVITE -> 302 p50/p99
   (sipp's response-time trace, from the INVITE's first sending), INVITE -> `offer` on the
   agent's socket p50/p99 (sipp's message trace and the bots' clocks: same host, wall clock).
3. The ladder: --ladder rates, --step-seconds each, until a step has a failed call — first
   (before the main run, so no backlog of the server's competes with it) against a bare
   asyncio responder in its own process that answers every INVITE with a 302 by string
   handling alone (the floor of Python on this machine, sipp included), then, after the main
   run, against Hotline with agents holding 0.05-0.2 s (so agent capacity does not bound
   it). Printed: the highest rate each held and their ratio.

The machine's load (/proc/loadavg, and other processes' CPU while the run lasts) is printed:
on a shared two-core machine the figures measure the machine as much as the server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import random
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import live_bench as lb  # bench/ is no package: its sibling, by path

HOST = "127.0.0.1"
NUMBER = "bench"
SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="bench: redirect, 302 from the accepting agent">
  <send retrans="500" start_rtd="inv">
    <![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK-[pid]-[call_number]-inv;rport
      From: "bench" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=caller 1 1 IN IP4 [local_ip]
      s=-
      c=IN IP4 [local_ip]
      t=0 0
      m=audio 9 RTP/AVP 0
      a=rtpmap:0 PCMU/8000

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="182" optional="true"/>
  <recv response="302" timeout="{timeout_ms}" rtd="inv"/>
  <send>
    <![CDATA[

      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK-[pid]-[call_number]-inv;rport
      From: "bench" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
</scenario>
"""
TELEPHONY = f"""queued_interval_seconds: 30
numbers:
  {NUMBER}: {{mode: redirect, queue: {lb.QUEUE}, fallback: {{status: 480}}}}
"""


@dataclass
class Options:
    rate: int
    seconds: float
    agents: int
    ladder: list[int]
    bare_ladder: list[int]
    step_seconds: float
    answer_timeout: float
    db: str
    customers: int
    hold_min: float
    hold_max: float
    max_minutes: float
    keep: bool


def parse_args(argv: list[str] | None = None) -> Options:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rate", type=int, default=100, help="calls/s of the main run")
    p.add_argument("--seconds", type=float, default=60.0, help="length of the main run")
    p.add_argument("--agents", type=int, default=200)
    p.add_argument("--ladder", default="10,20,40,60,80,100,150,200,300,400", help="Hotline")
    p.add_argument("--bare-ladder", default="100,200,400,800,1600,3200,6400,12800")
    p.add_argument("--step-seconds", type=float, default=10.0)
    p.add_argument("--answer-timeout", type=float, default=30.0, help="INVITE -> 302, at most")
    p.add_argument("--db", choices=("sqlite", "postgres"), default="postgres")
    p.add_argument("--customers", type=int, default=200, help="demo customers to load")
    p.add_argument("--hold-min", type=float, default=0.5)
    p.add_argument("--hold-max", type=float, default=2.0)
    p.add_argument("--max-minutes", type=float, default=25.0, help="hard stop for the run")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    p.add_argument("--responder", type=int, default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.responder is not None:  # the bare responder's own process
        asyncio.run(bare_responder(a.responder))
        sys.exit(0)
    return Options(
        rate=a.rate,
        seconds=a.seconds,
        agents=a.agents,
        ladder=[int(r) for r in a.ladder.split(",") if r.strip()],
        bare_ladder=[int(r) for r in a.bare_ladder.split(",") if r.strip()],
        step_seconds=a.step_seconds,
        answer_timeout=a.answer_timeout,
        db=a.db,
        customers=a.customers,
        hold_min=a.hold_min,
        hold_max=a.hold_max,
        max_minutes=a.max_minutes,
        keep=a.keep,
    )


def say(text: str) -> None:
    print(text, flush=True)


def free_port() -> int:
    """A port free for both UDP and TCP (SIP listens on both)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind((HOST, 0))
            port = int(u.getsockname()[1])
            with socket.socket() as t:
                try:
                    t.bind((HOST, port))
                except OSError:
                    continue
                return port


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- the bare responder ------------------------------------------------------------------------
class Bare(asyncio.DatagramProtocol):
    """Answers every INVITE with a 302 by string handling; ignores everything else."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if not data.startswith(b"INVITE "):
            return
        head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        keep = [h for h in head[1:] if h[:4].lower() in (b"via:", b"from", b"call", b"cseq")]
        to = next((h for h in head if h[:3].lower() == b"to:"), b"To: <sip:x@127.0.0.1>")
        out = [b"SIP/2.0 302 Moved Temporarily", *keep, to + b";tag=bare"]
        out += [b"Contact: <sip:agent@127.0.0.1:5070>", b"Content-Length: 0", b"", b""]
        self.transport.sendto(b"\r\n".join(out), addr)


async def bare_responder(port: int) -> None:
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(Bare, local_addr=(HOST, port))
    await asyncio.Event().wait()


# --- sipp --------------------------------------------------------------------------------------
@dataclass
class SippRun:
    rate: int
    calls: int
    successful: int = 0
    failed: int = 0
    why_failed: dict[str, int] = field(default_factory=dict)
    rtt_ms: list[float] = field(default_factory=list)
    invites: dict[str, float] = field(default_factory=dict)  # caller number -> first INVITE
    wall: float = 0.0

    @property
    def holds(self) -> bool:
        return self.failed == 0 and self.successful == self.calls


STAMP = re.compile(r"^-+ (\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d\.\d+)", re.M)


async def run_sipp(
    tmp: Path, port: int, rate: int, seconds: float, first: int, answer_within: float, trace: bool
) -> SippRun:
    """sipp at ``rate`` calls/s for ``seconds``, callers first..first+n (fresh numbers)."""
    calls = max(1, int(rate * seconds))
    run_dir = Path(tempfile.mkdtemp(prefix=f"sipp{rate}_", dir=tmp))
    callers = run_dir / "callers.csv"
    with callers.open("w") as out:
        out.write("SEQUENTIAL\n")
        for i in range(first, first + calls):
            out.write(f"+86139{i:08d}\n")
    scenario = run_dir / "bench.xml"
    scenario.write_text(SCENARIO.replace("{timeout_ms}", str(int(answer_within * 1000))))
    cmd = [
        "sipp", f"{HOST}:{port}", "-sf", str(scenario), "-s", NUMBER,
        "-inf", str(callers), "-r", str(rate), "-m", str(calls), "-l", str(calls),
        "-t", "u1", "-i", HOST, "-p", str(free_port()), "-nostdin",
        "-timeout", f"{int(seconds + answer_within + 60)}s", "-timeout_error",
        "-trace_rtt", "-rtt_freq", "1", "-trace_stat", "-stf", str(run_dir / "stat.csv"),
        "-fd", "1", "-max_socket", "60000",
    ]  # fmt: skip
    if trace:
        cmd += ["-trace_msg", "-message_file", str(run_dir / "messages.log")]
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *cmd, cwd=run_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        await asyncio.wait_for(proc.wait(), seconds + answer_within + 90)
    except TimeoutError:
        proc.kill()
        await proc.wait()
    result = SippRun(rate, calls, wall=time.monotonic() - started)
    read_results(run_dir, result, trace)
    return result


def why(run: SippRun) -> str:
    """sipp's reasons for the failed calls, e.g. " (TimeoutOnRecv 3)"."""
    if not run.why_failed:
        return ""
    return " (" + ", ".join(f"{k} {v}" for k, v in sorted(run.why_failed.items())) + ")"


def read_results(run_dir: Path, result: SippRun, trace: bool) -> None:
    """sipp's counts, response times and (``trace``) INVITE times, from its files."""
    stat = run_dir / "stat.csv"
    if stat.exists():
        rows = list(csv.reader(stat.open(), delimiter=";"))
        if len(rows) >= 2:
            last = dict(zip(rows[0], rows[-1], strict=False))
            result.successful = int(last.get("SuccessfulCall(C)", 0) or 0)
            result.failed = int(last.get("FailedCall(C)", 0) or 0)
            # Why sipp counted them failed (timeouts, unexpected messages, retransmissions).
            result.why_failed = {
                key[len("Failed") : -len("(C)")]: int(value)
                for key, value in last.items()
                if key.startswith("Failed") and key.endswith("(C)") and key != "FailedCall(C)"
                and value.isdigit() and int(value) > 0
            }  # fmt: skip
    for rtt in run_dir.glob("*_rtt.csv"):
        for row in csv.reader(rtt.open(), delimiter=";"):
            with contextlib.suppress(ValueError, IndexError):
                result.rtt_ms.append(float(row[1]))
    if trace:
        result.invites = invite_times(run_dir / "messages.log")


def invite_times(path: Path) -> dict[str, float]:
    """Caller number -> wall time of its INVITE's first sending, from sipp's message trace."""
    times: dict[str, float] = {}
    if not path.exists():
        return times
    text = path.read_text(errors="replace")
    marks = list(STAMP.finditer(text))
    for k, mark in enumerate(marks):
        end = marks[k + 1].start() if k + 1 < len(marks) else len(text)
        block = text[mark.end() : end]
        if "message sent" not in block[:80] or "INVITE sip:" not in block[:300]:
            continue
        number = re.search(r"From: [^<]*<sip:([^@]+)@", block)
        if number is None or number.group(1) in times:
            continue  # a retransmission: the first sending counts
        when = datetime.strptime(f"{mark.group(1)} {mark.group(2)}", "%Y-%m-%d %H:%M:%S.%f")
        times[number.group(1)] = when.timestamp()
    return times


# --- agents ------------------------------------------------------------------------------------
class Bot(lb.AgentBot):
    """live_bench's agent, noting each offer's caller and wall-clock time."""

    offers: ClassVar[dict[str, float]] = {}  # caller number -> first offer (all bots)

    async def _on_offer(self, m: dict[str, Any], now: float) -> None:
        caller = str(m.get("contact", {}).get("from") or "")
        self.offers.setdefault(caller, time.time())
        await super()._on_offer(m, now)


async def set_sip_uris(admin: httpx.AsyncClient) -> None:
    r = await admin.get("/api/agents", params={"limit": 1000})
    r.raise_for_status()
    body = r.json()
    agents = body["items"] if isinstance(body, dict) else body
    gate = asyncio.Semaphore(8)

    async def one(agent: dict[str, Any]) -> None:
        uri = f"sip:{agent['username']}@127.0.0.1:5070"
        async with gate:
            (
                await admin.patch(f"/api/agents/{agent['id']}", json={"sip_uri": uri})
            ).raise_for_status()

    await asyncio.gather(*(one(a) for a in agents if a["username"].startswith("bench")))


# --- figures -----------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float | None:
    return lb.pct(values, q)


def fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    return "<1" if value < 1 else f"{value:.0f}"


@dataclass
class Cpu:
    """CPU seconds at a moment: the machine, the server, this benchmark (with sipp, its child,
    once it has exited)."""

    at: float
    machine: float
    server: float
    ours: float
    db: dict[int, float] = field(default_factory=dict)  # PostgreSQL backends of the bench

    @classmethod
    def now(cls, server_pid: int, dbname: str | None = None) -> Cpu:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return cls(
            time.monotonic(),
            lb.host_busy_seconds(),
            lb.proc_cpu_seconds(server_pid),
            lb.own_cpu_seconds() + children.ru_utime + children.ru_stime,
            lb.pg_backends_cpu(dbname) if dbname else {},
        )

    def since(self, before: Cpu) -> str:
        """% of one core over the interval (the machine has 200): all, server, benchmark
        (bots and sipp), and the rest — other work on the machine."""
        wall = max(1e-6, self.at - before.at)
        machine = (self.machine - before.machine) / wall * 100
        server = (self.server - before.server) / wall * 100
        ours = (self.ours - before.ours) / wall * 100
        db = sum(t - before.db.get(pid, 0.0) for pid, t in self.db.items()) / wall * 100
        other = max(0.0, machine - server - ours - db)
        return (
            f"CPU (% of one core, 200 = both): machine {machine:.0f}, server {server:.0f}, "
            f"database {db:.0f}, benchmark+sipp {ours:.0f}, other work {other:.0f}"
        )


# --- the run -------------------------------------------------------------------------------------
async def main_async(opts: Options) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="sip_bench_"))
    lopts = lb.parse_args(
        ["--agents", str(opts.agents), "--customers", str(opts.customers), "--db", opts.db,
         "--hold-min", str(opts.hold_min), "--hold-max", str(opts.hold_max)]
    )  # fmt: skip
    db = lb.Database(opts.db, tmp, lopts.pg_dsn, 1)
    log = tmp / "server.log"
    sip_port = free_port()
    telephony = tmp / "telephony.yaml"
    telephony.write_text(TELEPHONY)
    server: lb.Server | None = None
    say(f"sip_bench: {opts.db}, {opts.agents} agents; load average before: {loadavg()}")
    try:
        await db.create()
        env = lb.server_env(db, tmp)
        env |= {
            "HOTLINE_SIP_ENABLED": "true",
            "HOTLINE_SIP_HOST": HOST,
            "HOTLINE_SIP_PORT": str(sip_port),
            "HOTLINE_TELEPHONY_FILE": str(telephony),
            "HOTLINE_RTP_PORTS": "0",
        }
        started = time.monotonic()
        await lb.seed_demo(lopts, env, log)
        say(f"  demo data in {time.monotonic() - started:.0f} s")
        server = lb.Server(lopts, env, log)
        async with httpx.AsyncClient(base_url=server.base, timeout=60.0) as admin:
            await server.wait_ready(admin)
            _, tokens = await lb.prepare_server(admin, lopts)
            await set_sip_uris(admin)
            ledger = lb.Ledger()
            bots, _ = await connect_with(Bot, server.base, tokens, ledger, lopts)
            say(f"  {len(bots)} agents available; SIP on {HOST}:{sip_port}")
            try:
                await benchmark(opts, lopts, tmp, sip_port, server, db)
            finally:
                await asyncio.gather(*(b.close() for b in bots), return_exceptions=True)
    finally:
        if server is not None:
            server.stop()
        with contextlib.suppress(Exception):
            await db.drop()
        say(f"  server log: {lb.log_problems(log)}")
        if not opts.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            say(f"  kept {tmp}")


async def connect_with(
    kind: type[lb.AgentBot], base: str, tokens: list[str], ledger: lb.Ledger, lopts: lb.Options
) -> tuple[list[lb.AgentBot], list[float]]:
    gate = asyncio.Semaphore(16)
    rng = random.Random(7)
    bots = [kind(t, ledger, random.Random(rng.random()), lopts) for t in tokens]

    async def one(bot: lb.AgentBot) -> float:
        async with gate:
            return await bot.connect(base)

    return bots, list(await asyncio.gather(*(one(b) for b in bots)))


async def benchmark(
    opts: Options,
    lopts: lb.Options,
    tmp: Path,
    sip_port: int,
    server: lb.Server,
    db: lb.Database,
) -> None:
    # 1. the floor: a bare asyncio responder, before the server has any backlog to work off
    bare_port = free_port()
    responder = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--responder", str(bare_port),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await asyncio.sleep(1.0)
        best_bare = await ladder(
            "bare asyncio 302", opts.bare_ladder, opts, tmp, bare_port, 50_000_000
        )
    finally:
        responder.kill()
        await responder.wait()
    # 2. the main run
    say(f"\n== main run: {opts.rate} calls/s for {opts.seconds:g} s; load {loadavg()}")
    dbname = db.name if opts.db == "postgres" else None
    cpu0 = Cpu.now(server.pid, dbname)
    main = await run_sipp(tmp, sip_port, opts.rate, opts.seconds, 0, opts.answer_timeout, True)
    say(f"  {Cpu.now(server.pid, dbname).since(cpu0)}; load after {loadavg()}")
    to_offer = [(Bot.offers[n] - t) * 1000 for n, t in main.invites.items() if n in Bot.offers]
    unoffered = len(main.invites) - len(to_offer)
    say(
        f"  calls {main.calls}: successful {main.successful}, failed {main.failed}{why(main)}\n"
        f"  INVITE -> 302   p50 {fmt(pct(main.rtt_ms, 50))} ms, p99 {fmt(pct(main.rtt_ms, 99))} ms"
        f" ({len(main.rtt_ms)} measured)\n"
        f"  INVITE -> offer p50 {fmt(pct(to_offer, 50))} ms, p99 {fmt(pct(to_offer, 99))} ms"
        f" ({len(to_offer)} matched, {unoffered} INVITEs never offered)"
    )
    # 3. Hotline's ladder, agents holding briefly (agent capacity is not what is measured)
    lopts.hold_min, lopts.hold_max = 0.05, 0.2
    await asyncio.sleep(max(3.0, opts.hold_max + 2))  # the main run's holds end
    best_hotline = await ladder("hotline", opts.ladder, opts, tmp, sip_port, main.calls)
    ratio = (best_hotline / best_bare) if best_hotline and best_bare else None
    say(
        f"\n== highest rate with no failed call: Hotline {best_hotline or 'none'} calls/s"
        f"{'+' if opts.ladder and best_hotline == opts.ladder[-1] else ''}, bare responder "
        f"{best_bare or 'none'} calls/s"
        f"{'+' if opts.bare_ladder and best_bare == opts.bare_ladder[-1] else ''}"
        + (f", ratio {ratio:.3f}" if ratio is not None else "")
        + f"\n   ({opts.step_seconds:g} s steps; '+': the ladder's top held, so the rate is a "
        f"lower bound; load average now {loadavg()})"
    )


async def ladder(
    name: str, rates: list[int], opts: Options, tmp: Path, port: int, first: int
) -> int:
    say(f"\n== ladder: {name}")
    best = 0
    for rate in rates:
        run = await run_sipp(tmp, port, rate, opts.step_seconds, first, opts.answer_timeout, False)
        first += run.calls
        say(
            f"  {rate:5d}/s: {run.successful}/{run.calls} ok, {run.failed} failed{why(run)}, "
            f"INVITE -> 302 p99 {fmt(pct(run.rtt_ms, 99))} ms, {run.wall:.0f} s; load {loadavg()}"
        )
        if not run.holds:
            break
        best = rate
    return best


def main(argv: list[str] | None = None) -> None:
    opts = parse_args(argv)
    if shutil.which("sipp") is None:
        sys.exit("sipp is not installed (apt-get install sip-tester)")
    try:
        asyncio.run(asyncio.wait_for(main_async(opts), opts.max_minutes * 60))
    except TimeoutError:
        sys.exit(f"sip_bench: stopped after --max-minutes {opts.max_minutes:g}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
