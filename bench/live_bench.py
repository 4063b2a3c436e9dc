"""Live benchmark: a real Hotline server, 300 agents on websockets, contacts by HTTP at rising rates.

Not a test. Run it with a venv's python; it starts the server itself (the venv's `hotline serve`
in --server-cwd), on a fresh database it creates and drops itself, only on 127.0.0.1:

    .venv/bin/python bench/live_bench.py                       # this checkout, SQLite then PostgreSQL
    .venv/bin/python bench/live_bench.py --db postgres --rates 20,50,100 --step-seconds 10
    .venv/bin/python bench/live_bench.py --server-cwd /tmp/old --server-python /tmp/old/.venv/bin/python
    .venv/bin/python bench/live_bench.py --db floor            # bench/live_floor.py: the web stack alone

Per database: a fresh SQLite file in a temporary directory, or a PostgreSQL database
`hotline_bench_<pid>_<n>` on 127.0.0.1:5432 (user postgres; --pg-dsn) that it CREATEs and DROPs.
`hotline demo --customers N` loads queues, staff and customers with past contacts
(--no-past-contacts: without them, as the demo used to be); then, over the admin API, a
queue `bench` (skill `bench`) and --agents agents with that skill are created and logged in. Each
agent opens /ws/agent (token in the Authorization header), sets `available`, and on every `offer`
sends `offer.accept`, holds the call --hold-min..--hold-max s, sends `contact.end` and on
`contact.ended` a `wrapup` (the first disposition of `hello`); the server makes it available again.

Contacts arrive by `POST /api/contacts` on an open-loop schedule (request k of a step is due at
t0 + k/rate, whatever the server does), from a separate poster process (--connections keep-alive
HTTP/1.1 connections of a minimal client: httpx cost ~1 ms of CPU a request); --callers pool draws the demo customers' phones in shuffled cycles, --callers
fresh gives every contact a new number (a new prospect customer, never a repeat caller). The
rate steps up through --rates, --step-seconds each, with --settle-seconds of quiet after each
step, and stops after the first step that does not hold (or at the last rate; --keep-going:
always at the last rate, to see the agents' own actions while intake is saturated).

Columns, one row per rate (times in ms; latencies count from the request's *scheduled* time,
so a late schedule or a full connection pool shows up in them rather than being hidden):

    rate      the target arrivals per second
    sent/s    POSTs issued / step seconds
    offer/s   `offer` messages received in the step's window shifted by the median POST->offer
              time (so it counts what the step caused; capacity-bound when overloaded), per s
    done/s    the step's contacts whose `wrapup.saved` came before the settle time ended, per
              second of the step (an overload shows here or, when the settle time hides it, in
              offer99: the backlog's wait)
    POST50/99 POST /api/contacts scheduled -> response, p50 / p99
    offer50/99  POST scheduled -> `offer` for that contact (matched by contact id); a contact
              not offered by the end of the settle time counts as infinite
    acc99     `offer.accept` sent -> `contact.assigned`, p99
    wrap99    `wrapup` sent -> `wrapup.saved`, p99 (an agent action while intake runs)
    cyc50/99  an agent's time on a contact beyond the hold: `offer` -> `contact.assigned` plus
              `contact.end` sent -> `wrapup.saved`; it lengthens every agent's cycle, so near
              the agents' capacity it decides how many contacts wait for a free agent
    ping99    `ping` -> `pong` on a random agent socket, 4 a second, p99 (event-loop stalls)
    lock99    routing lock hold time p99 (ms) from GET /api/metrics/live after the step's settle
              time (n/a when the server has none); the server decides the sample (a rolling
              window may hold earlier steps too)
    srvCPU    server process CPU % over the step (100 = one core); dbCPU the PostgreSQL
              backends of the bench database; genCPU this benchmark's own processes (the
              poster's CPU counts until its last response); other: the rest of the machine
              (2 cores = 200): noise from other work on the host
    RSS       server resident memory at the step's end, MiB
    late99    p99 of how late the poster issued requests against the schedule
    rpt%      offers routed by the `repeat-contact` rule (a repeat caller waits for their last agent)
    err       failed POSTs + websocket `error`/`offer.cancelled`/closed sockets in the step
    verdict   holds, or why not: errors, done<sent (below 95 %), offer p99 > 1 s

Agent capacity bounds every figure: agents / (mean hold + round trips), ~240 contacts/s for 300
agents holding 0.5-2 s. The whole run ends by itself (--max-minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing as mp
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from statistics import median
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

HOST = "127.0.0.1"
ADMIN = ("admin", "hotline-demo")
AGENT_PASSWORD = "bench-password"
QUEUE = "bench"
CLK = os.sysconf("SC_CLK_TCK")
INF = math.inf


# --- options ---------------------------------------------------------------------------------
@dataclass
class Options:
    rates: list[int]
    step_seconds: float
    settle_seconds: float
    db: list[str]
    agents: int
    customers: int
    past_contacts: bool
    callers: str
    hold_min: float
    hold_max: float
    connections: int
    repeat: int
    keep_going: bool
    server_env: list[tuple[str, str]]
    server_python: Path
    server_cwd: Path
    pg_dsn: str
    pg_socket: str | None
    in_process: bool
    max_minutes: float
    json_path: Path | None
    log_dir: Path
    offer_bytes: int


def _setting(text: str, p: argparse.ArgumentParser) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.startswith("HOTLINE_"):
        p.error(f"--server-env takes HOTLINE_NAME=VALUE, not {text!r}")
    return name, value


def parse_args(argv: list[str] | None = None) -> Options:
    here = Path(__file__).resolve().parent.parent
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rates", default="20,50,100,200,300,400,500,600")
    p.add_argument("--step-seconds", type=float, default=12.0)
    p.add_argument("--settle-seconds", type=float, default=None, help="default: hold-max + 2")
    p.add_argument(
        "--db",
        choices=("sqlite", "postgres", "both", "floor"),
        default="both",
        help="floor: bench/live_floor.py, the same exchanges with no database and no routing",
    )
    p.add_argument("--offer-bytes", type=int, default=6400, help="the floor's offer size")
    p.add_argument("--agents", type=int, default=300)
    p.add_argument("--customers", type=int, default=3000, help="demo customers to load")
    p.add_argument(
        "--no-past-contacts",
        dest="past_contacts",
        action="store_false",
        help="demo customers without earlier contacts (as the demo used to be)",
    )
    p.add_argument("--callers", choices=("pool", "fresh"), default="pool")
    p.add_argument("--hold-min", type=float, default=0.5)
    p.add_argument("--hold-max", type=float, default=2.0)
    p.add_argument("--connections", type=int, default=64, help="HTTP pool of the poster")
    p.add_argument("--repeat", type=int, default=1, help="runs per database (fresh each)")
    p.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="HOTLINE_NAME=VALUE",
        help="a setting for the measured server (repeatable), e.g. HOTLINE_INTAKE_LAG_MS=25",
    )
    p.add_argument(
        "--keep-going",
        action="store_true",
        help="go on past a step that does not hold (agents' actions under saturated intake)",
    )
    p.add_argument("--server-python", type=Path, default=Path(sys.executable))
    p.add_argument("--server-cwd", type=Path, default=here)
    p.add_argument("--pg-dsn", default=f"postgresql://postgres@{HOST}:5432/postgres")
    p.add_argument(
        "--pg-socket",
        default=None,
        help="the server connects over this Unix socket directory (e.g. /var/run/postgresql)",
    )
    p.add_argument("--in-process", action="store_true", help="POST from this process too")
    p.add_argument("--max-minutes", type=float, default=30.0, help="hard stop for the whole run")
    p.add_argument("--json", type=Path, default=None, help="also write the rows here")
    p.add_argument("--log-dir", type=Path, default=Path(tempfile.gettempdir()))
    a = p.parse_args(argv)
    return Options(
        rates=[int(r) for r in a.rates.split(",") if r.strip()],
        step_seconds=a.step_seconds,
        settle_seconds=a.settle_seconds if a.settle_seconds is not None else a.hold_max + 2,
        db=["sqlite", "postgres"] if a.db == "both" else [a.db],
        agents=a.agents,
        customers=a.customers,
        past_contacts=a.past_contacts,
        callers=a.callers,
        hold_min=a.hold_min,
        hold_max=a.hold_max,
        connections=a.connections,
        repeat=max(1, a.repeat),
        keep_going=a.keep_going,
        server_env=[_setting(s, p) for s in a.server_env],
        server_python=a.server_python,
        server_cwd=a.server_cwd.resolve(),
        pg_dsn=a.pg_dsn,
        pg_socket=a.pg_socket,
        in_process=a.in_process,
        max_minutes=a.max_minutes,
        json_path=a.json,
        log_dir=a.log_dir,
        offer_bytes=a.offer_bytes,
    )


# --- small helpers ---------------------------------------------------------------------------
def pct(values: Iterable[float], q: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    data = sorted(values)
    if not data:
        return None
    return data[min(len(data) - 1, max(0, math.ceil(q / 100 * len(data)) - 1))]


def ms(value: float | None) -> str:
    if value is None:
        return "-"
    if value == INF:
        return "inf"
    return f"{value * 1000:.0f}" if value < 10 else f"{value:.0f}s"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of one process, from /proc/<pid>/stat (0 when it is gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def proc_rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def pg_backends_cpu(dbname: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving `dbname` (its title names the database)."""
    out: dict[int, float] = {}
    needle = f" {dbname} ".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if cmd.startswith(b"postgres: ") and needle in cmd:
            out[int(entry.name)] = proc_cpu_seconds(int(entry.name))
    return out


def host_busy_seconds() -> float:
    """CPU seconds the whole machine was busy (all cores), from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLK


def own_cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


# --- the server and its database ---------------------------------------------------------------
class Database:
    """A fresh SQLite file or PostgreSQL database, made here and removed here."""

    def __init__(
        self, kind: str, tmp: Path, pg_dsn: str, run: int, pg_socket: str | None = None
    ) -> None:
        self.kind, self.pg_dsn = kind, pg_dsn
        self.name = f"hotline_bench_{os.getpid()}_{run}"
        self.path = tmp / f"hotline_{run}.db"
        if kind == "sqlite":
            self.url = f"sqlite+aiosqlite:///{self.path}"
        elif pg_socket:  # the server reaches PostgreSQL over its Unix socket (same machine)
            self.url = f"postgresql+asyncpg://postgres@/{self.name}?host={pg_socket}"
        else:
            base = pg_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
            self.url = f"{base}/{self.name}"

    async def _admin(self, sql: str) -> None:
        import asyncpg  # only needed for PostgreSQL

        conn = await asyncpg.connect(self.pg_dsn, timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def create(self) -> None:
        if self.kind == "postgres":
            await self._admin(f'CREATE DATABASE "{self.name}"')

    async def clone(self, template: Database) -> None:
        """A copy of the template (whose server has stopped)."""
        if self.kind == "floor":
            return
        if self.kind == "postgres":
            await self._admin(f'CREATE DATABASE "{self.name}" TEMPLATE "{template.name}"')
            return
        sqlite_files(template.path, copy_to=self.path)

    async def drop(self) -> None:
        if self.kind == "floor":
            return
        if self.kind == "postgres":
            await self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            return
        sqlite_files(self.path, copy_to=None)


def sqlite_files(path: Path, copy_to: Path | None) -> None:
    """Copy a SQLite database (with its WAL) to `copy_to`, or remove it when None."""
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{path}{suffix}")
        if copy_to is None:
            source.unlink(missing_ok=True)
        elif source.exists():
            shutil.copyfile(source, f"{copy_to}{suffix}")


def server_env(db: Database, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.pop("PYTHONPATH", None)
    env |= {"HOTLINE_DATABASE_URL": db.url, "HOTLINE_VAR_DIR": str(tmp / "var")}
    env["HOTLINE_SIP_ENABLED"] = "false"  # HTTP and websockets only; no SIP port to clash on
    return env


def hotline_command(python: Path) -> list[str]:
    """The venv's `hotline` entry point (app.cli has no __main__), else the same through -c."""
    script = python.parent / "hotline"
    if script.exists():
        return [str(script)]
    return [
        str(python),
        "-c",
        "import sys; from app.cli import main; sys.argv[0] = 'hotline'; main()",
    ]


async def seed_demo(opts: Options, env: dict[str, str], log: Path) -> None:
    cmd = [*hotline_command(opts.server_python), "demo", "--customers", str(opts.customers)]
    if not getattr(opts, "past_contacts", True):  # other benchmarks pass their own options
        cmd.append("--no-past-contacts")
    with log.open("ab") as out:
        proc = await asyncio.create_subprocess_exec(
            *cmd, cwd=opts.server_cwd, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            rc = await asyncio.wait_for(proc.wait(), timeout=900)
        except TimeoutError:
            proc.kill()
            raise
    if rc != 0:
        raise RuntimeError(f"hotline demo failed ({rc}); see {log}")


class Server:
    def __init__(self, opts: Options, env: dict[str, str], log: Path, floor: bool = False) -> None:
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        if floor:  # the bare server of this checkout, run by the server's python
            script = Path(__file__).resolve().parent / "live_floor.py"
            cmd = [str(opts.server_python), str(script), "--offer-bytes", str(opts.offer_bytes)]
        else:
            cmd = [*hotline_command(opts.server_python), "serve"]
        cmd += ["--host", HOST, "--port", str(self.port)]
        self._log = log.open("ab")
        self.proc = subprocess.Popen(
            cmd, cwd=opts.server_cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def wait_ready(self, client: httpx.AsyncClient) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/api/health")).status_code == 200:
                    return
            await asyncio.sleep(0.3)
        raise TimeoutError("server did not answer /api/health")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()


# --- what happened to each contact -----------------------------------------------------------
@dataclass
class Track:
    sched: float = INF
    done: float = INF
    offer: float = INF
    rule: str = ""
    accept_sent: float = INF
    assigned: float = INF
    end_sent: float = INF
    wrap_sent: float = INF
    saved: float = INF


@dataclass
class Ledger:
    contacts: dict[str, Track] = field(default_factory=dict)
    offers: list[float] = field(default_factory=list)
    saved: list[float] = field(default_factory=list)
    wraps: list[tuple[float, float]] = field(default_factory=list)
    pings: list[tuple[float, float]] = field(default_factory=list)
    ws_errors: Counter[str] = field(default_factory=Counter)
    offer_bytes: list[int] = field(default_factory=list)

    def track(self, cid: str) -> Track:
        found = self.contacts.get(cid)
        if found is None:
            found = self.contacts[cid] = Track()
        return found


# --- agents ----------------------------------------------------------------------------------
class AgentBot:
    """One console: accepts every offer, holds, hangs up, wraps up."""

    def __init__(self, token: str, ledger: Ledger, rng: random.Random, opts: Options) -> None:
        self.token, self.ledger, self.rng, self.opts = token, ledger, rng, opts
        self.ws: ClientConnection | None = None
        self.disposition = "resolved"
        self.available = asyncio.Event()
        self.pings: dict[str, float] = {}
        self.task: asyncio.Task[None] | None = None
        self.holds: set[asyncio.Task[None]] = set()
        self.closing = False

    async def connect(self, base: str) -> float:
        """Open the socket, read hello, go available; returns state.set -> state latency."""
        url = base.replace("http://", "ws://") + "/ws/agent"
        headers = {"Authorization": f"Bearer {self.token}"}
        self.ws = await connect(url, additional_headers=headers, max_size=None, ping_interval=None)
        hello = json.loads(await self.ws.recv())
        codes = [d["code"] for d in hello.get("dispositions", [])]
        self.disposition = codes[0] if codes else "resolved"
        self.task = asyncio.create_task(self._read())
        started = time.monotonic()
        await self.send({"type": "state.set", "state": "available"})
        await asyncio.wait_for(self.available.wait(), timeout=30)
        return time.monotonic() - started

    async def send(self, message: dict[str, Any]) -> None:
        assert self.ws is not None
        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(json.dumps(message))

    async def ping(self, key: str) -> None:
        self.pings[key] = time.monotonic()
        await self.send({"type": "ping", "id": key})

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            await self.ws.close()
        if self.task is not None:
            await asyncio.wait([self.task], timeout=5)

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for raw in self.ws:
                m = json.loads(raw)
                if m.get("type") == "offer" and len(self.ledger.offer_bytes) < 1000:
                    self.ledger.offer_bytes.append(len(raw))
                await self._on(m, time.monotonic())
        except ConnectionClosed:
            pass
        if not self.closing:
            self.ledger.ws_errors["socket closed"] += 1

    async def _on(self, m: dict[str, Any], now: float) -> None:
        kind = m.get("type")
        if kind == "offer":
            await self._on_offer(m, now)
        elif kind == "contact.assigned":
            self.ledger.track(str(m["contact"]["id"])).assigned = now
            hold = asyncio.create_task(self._hold(str(m["contact"]["id"])))
            self.holds.add(hold)
            hold.add_done_callback(self.holds.discard)
        elif kind == "contact.ended":
            await self._wrapup(str(m["contact_id"]))
        elif kind == "wrapup.saved":
            self._on_saved(str(m["contact_id"]), now)
        elif kind == "state" and m.get("state") == "available":
            self.available.set()
        elif kind == "pong":
            sent = self.pings.pop(str(m.get("ref_id")), None)
            if sent is not None:
                self.ledger.pings.append((now, now - sent))
        elif kind == "error":
            self.ledger.ws_errors[f"error {m.get('ref')}: {m.get('code')}"] += 1
        elif kind == "offer.cancelled":
            self.ledger.ws_errors[f"offer.cancelled: {m.get('cause')}"] += 1

    async def _on_offer(self, m: dict[str, Any], now: float) -> None:
        cid = str(m["contact"]["id"])
        t = self.ledger.track(cid)
        t.offer, t.rule = now, str((m.get("explanation") or {}).get("rule", ""))
        self.ledger.offers.append(now)
        t.accept_sent = time.monotonic()
        await self.send({"type": "offer.accept", "contact_id": cid})

    async def _hold(self, cid: str) -> None:
        await asyncio.sleep(self.rng.uniform(self.opts.hold_min, self.opts.hold_max))
        self.ledger.track(cid).end_sent = time.monotonic()
        await self.send({"type": "contact.end", "contact_id": cid})

    async def _wrapup(self, cid: str) -> None:
        self.ledger.track(cid).wrap_sent = time.monotonic()
        message = {"type": "wrapup", "contact_id": cid, "disposition": self.disposition}
        await self.send(message | {"notes": "bench", "id": f"w{cid}"})

    def _on_saved(self, cid: str, now: float) -> None:
        t = self.ledger.track(cid)
        t.saved = now
        self.ledger.saved.append(now)
        if t.wrap_sent != INF:
            self.ledger.wraps.append((now, now - t.wrap_sent))


# --- the poster: open-loop POST /api/contacts ------------------------------------------------
# One result per request: (contact id or None, scheduled, started, finished, status).
PostResult = tuple[str | None, float, float, float, str]


class RawPoster:
    """POST /api/contacts over a few keep-alive HTTP/1.1 connections, written by hand.

    httpx cost the benchmark ~1 ms of CPU per request: at a few hundred requests a second
    the load generator took a core from the server it measures (this machine has two). This
    client does only what the benchmark needs: one JSON POST at a time per connection,
    Content-Length bodies, keep-alive; anything else is an error."""

    def __init__(self, base: str, token: str, connections: int) -> None:
        host_port = base.split("://", 1)[1].rstrip("/")
        self.host, _, port = host_port.partition(":")
        self.port = int(port or 80)
        self.head = (
            f"POST /api/contacts HTTP/1.1\r\nHost: {host_port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        ).encode()
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(connections)

    async def post(self, body: bytes) -> tuple[int, bytes]:
        async with self.slots:
            if self.idle:
                try:
                    return await self._exchange(self.idle.pop(), body)
                except (OSError, asyncio.IncompleteReadError):
                    pass  # the server closed it while it was idle (keep-alive timeout): anew
            return await self._exchange(await asyncio.open_connection(self.host, self.port), body)

    async def _exchange(
        self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], body: bytes
    ) -> tuple[int, bytes]:
        reader, writer = conn
        try:
            writer.write(self.head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            payload = await reader.readexactly(length) if length else b""
        except BaseException:
            writer.close()
            raise
        if b"connection: close" in head.lower():
            writer.close()
        else:
            self.idle.append(conn)
        return status, payload

    async def aclose(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


async def post_one(client: RawPoster, caller: str, sched: float) -> PostResult:
    started = time.monotonic()
    body = json.dumps({"channel": "voice", "from": caller, "queue": QUEUE}).encode()
    try:
        status, payload = await asyncio.wait_for(client.post(body), 10.0)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError) as exc:
        return None, sched, started, time.monotonic(), type(exc).__name__
    cid = str(json.loads(payload)["id"]) if status == 201 else None
    return cid, sched, started, time.monotonic(), str(status)


async def post_step(
    client: RawPoster, t0: float, rate: float, callers: list[str]
) -> list[PostResult]:
    tasks: list[asyncio.Task[PostResult]] = []
    for k, caller in enumerate(callers):
        sched = t0 + k / rate
        delay = sched - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(post_one(client, caller, sched)))
    return list(await asyncio.gather(*tasks))


def poster_client(base: str, token: str, connections: int) -> RawPoster:
    return RawPoster(base, token, connections)


async def _poster_loop(conn: Connection, base: str, token: str, connections: int) -> None:
    loop = asyncio.get_running_loop()
    client = poster_client(base, token, connections)
    try:
        while (command := await loop.run_in_executor(None, conn.recv)) is not None:
            t0, rate, callers = command
            cpu = own_cpu_seconds()
            results = await post_step(client, t0, rate, callers)
            conn.send((results, own_cpu_seconds() - cpu))
    finally:
        await client.aclose()


def poster_main(conn: Connection, base: str, token: str, connections: int) -> None:
    """Entry of the poster process: one step per command, None ends it."""
    asyncio.run(_poster_loop(conn, base, token, connections))


class Poster:
    """Runs the steps' POSTs in a child process, or in this one with --in-process."""

    def __init__(self, opts: Options, base: str, token: str) -> None:
        self.opts, self.base, self.token = opts, base, token
        self.proc: mp.process.BaseProcess | None = None
        self.conn: Connection | None = None
        self.client: RawPoster | None = None

    def start(self) -> None:
        if self.opts.in_process:
            self.client = poster_client(self.base, self.token, self.opts.connections)
            return
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        args = (child, self.base, self.token, self.opts.connections)
        self.proc = ctx.Process(target=poster_main, args=args, daemon=True)
        self.proc.start()

    async def step(
        self, t0: float, rate: float, callers: list[str]
    ) -> tuple[list[PostResult], float]:
        """The step's results and the poster process's CPU seconds (0 in-process)."""
        if self.client is not None:
            return await post_step(self.client, t0, rate, callers), 0.0
        assert self.conn is not None
        loop, conn = asyncio.get_running_loop(), self.conn
        await loop.run_in_executor(None, conn.send, (t0, rate, callers))
        limit = len(callers) / rate + 30
        return await asyncio.wait_for(loop.run_in_executor(None, conn.recv), timeout=limit)

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.aclose()
        if self.proc is not None and self.conn is not None:
            with contextlib.suppress(OSError):
                self.conn.send(None)
            self.proc.join(timeout=10)
            if self.proc.is_alive():
                self.proc.kill()


def caller_stream(opts: Options, rng: random.Random) -> Iterator[str]:
    """Demo customers' phones (`+86138` + 8 digits) in shuffled cycles, or new numbers."""
    if opts.callers == "fresh":
        n = 0
        while True:
            n += 1
            yield f"+86139{n:08d}"
    pool = [f"+86138{n:08d}" for n in range(1, opts.customers + 1)]
    while True:
        rng.shuffle(pool)
        yield from pool


# --- one step --------------------------------------------------------------------------------
@dataclass
class Row:
    db: str
    run: int
    rate: int
    sent_s: float
    offer_s: float
    done_s: float
    post50: float | None
    post99: float | None
    offer50: float | None
    offer99: float | None
    acc99: float | None
    wrap99: float | None
    cyc50: float | None
    cyc99: float | None
    ping99: float | None
    lock99: str
    srv_cpu: float
    db_cpu: float | None
    gen_cpu: float
    other_cpu: float
    rss: float | None
    late99: float | None
    rpt: float
    errors: int
    error_detail: dict[str, int]
    verdict: str = ""


@dataclass
class Bench:
    opts: Options
    kind: str
    run: int
    server: Server
    db: Database
    admin: httpx.AsyncClient
    poster: Poster
    ledger: Ledger
    agents: list[AgentBot]
    callers: Iterator[str]
    rng: random.Random


def window_shift(latencies: list[float], most: float) -> float:
    """How far to shift the step's window to count what it caused: the median latency."""
    return min(most, median(latencies)) if latencies else most


def in_window(times: Iterable[float], lo: float, hi: float) -> int:
    return sum(1 for t in times if lo <= t < hi)


async def lock_p99(admin: httpx.AsyncClient) -> str:
    """The routing lock's hold p99 from GET /api/metrics/live, "n/a" when absent."""
    try:
        r = await admin.get("/api/metrics/live")
    except httpx.HTTPError:
        return "n/a"
    if r.status_code != 200:
        return "n/a"
    with contextlib.suppress(ValueError, TypeError, AttributeError):
        value = r.json().get("lock", {}).get("p99_ms")
        return "n/a" if value is None else f"{float(value):.1f}"
    return "n/a"


async def pinger(bench: Bench, until: float) -> None:
    n = 0
    while time.monotonic() < until:
        n += 1
        await bench.rng.choice(bench.agents).ping(f"p{n}")
        await asyncio.sleep(0.25)


CpuSnapshot = tuple[float, float, dict[int, float], float, float]


def cpu_snapshot(bench: Bench) -> CpuSnapshot:
    """Wall clock, server CPU, PostgreSQL backends' CPU, own CPU, the machine's busy CPU."""
    pg = pg_backends_cpu(bench.db.name) if bench.kind == "postgres" else {}
    server, own = proc_cpu_seconds(bench.server.pid), own_cpu_seconds()
    return time.monotonic(), server, pg, own, host_busy_seconds()


def post_figures(
    results: list[PostResult], ledger: Ledger
) -> tuple[list[float], list[float], Counter[str]]:
    """POST latencies and lateness; registers each contact's schedule; counts failures."""
    latency, late, failures = [], [], Counter[str]()
    for cid, sched, started, done, status in results:
        late.append(started - sched)
        if cid is None:
            failures[f"POST {status}"] += 1
            continue
        latency.append(done - sched)
        t = ledger.track(cid)
        t.sched, t.done = sched, done
    return latency, late, failures


def contact_figures(tracks: list[Track]) -> dict[str, float | None]:
    offer = [t.offer - t.sched for t in tracks]
    acc = [t.assigned - t.accept_sent for t in tracks if t.accept_sent != INF]
    # What an agent spends on a contact beyond the hold itself: offer -> assigned, then
    # contact.end -> wrapup.saved (the server makes them available with the saved wrap-up).
    # Every millisecond of it lengthens the agents' cycle, and so the queueing at high load.
    cycle = [
        (t.assigned - t.offer) + (t.saved - t.end_sent)
        for t in tracks
        if t.saved != INF and t.end_sent != INF and t.assigned != INF
    ]
    repeats = sum(1 for t in tracks if t.rule == "repeat-contact")
    offered = sum(1 for t in tracks if t.offer != INF)
    return {
        "offer50": pct(offer, 50),
        "offer99": pct(offer, 99),
        "acc99": pct(acc, 99),
        "cyc50": pct(cycle, 50),
        "cyc99": pct(cycle, 99),
        "rpt": 100 * repeats / offered if offered else 0.0,
    }


def verdict(row: Row) -> str:
    reasons = []
    if row.errors:
        reasons.append("errors")
    if row.done_s < 0.95 * row.sent_s:
        reasons.append("done<sent")
    if row.offer99 is None or row.offer99 > 1.0:
        reasons.append("offer p99>1s")
    text = ", ".join(reasons) or "holds"
    if row.late99 is not None and row.late99 > 0.05:
        text += " (schedule late)"
    return text


async def run_step(bench: Bench, rate: int) -> Row:
    opts, ledger = bench.opts, bench.ledger
    n = max(1, round(rate * opts.step_seconds))
    callers = [next(bench.callers) for _ in range(n)]
    errors_before = Counter(ledger.ws_errors)
    t0 = time.monotonic() + 0.3
    start = cpu_snapshot(bench)
    ping_task = asyncio.create_task(pinger(bench, t0 + opts.step_seconds))
    post_task = asyncio.create_task(bench.poster.step(t0, rate, callers))
    await asyncio.sleep(max(0.0, t0 + opts.step_seconds - time.monotonic()))
    end = cpu_snapshot(bench)
    rss = proc_rss_mib(bench.server.pid)
    results, poster_cpu = await post_task
    await ping_task
    await asyncio.sleep(max(0.0, t0 + opts.step_seconds + opts.settle_seconds - time.monotonic()))
    lock = await lock_p99(bench.admin)
    return build_row(bench, rate, t0, (start, end), results, poster_cpu, errors_before, rss, lock)


def build_row(
    bench: Bench,
    rate: int,
    t0: float,
    cpu: tuple[CpuSnapshot, CpuSnapshot],
    results: list[PostResult],
    poster_cpu: float,
    errors_before: Counter[str],
    rss: float | None,
    lock: str,
) -> Row:
    opts, ledger, s = bench.opts, bench.ledger, bench.opts.step_seconds
    (w0, srv0, pg0, own0, host0), (w1, srv1, pg1, own1, host1) = cpu
    wall = w1 - w0
    latency, late, failures = post_figures(results, ledger)
    tracks = [ledger.contacts[c] for c, *_ in results if c is not None]
    figures = contact_figures(tracks)
    offer_lag = window_shift([t.offer - t.sched for t in tracks], opts.settle_seconds)
    t1 = t0 + s
    ws_errors = ledger.ws_errors - errors_before
    detail = dict(failures + ws_errors)
    srv_cpu = 100 * (srv1 - srv0) / wall
    gen_cpu = 100 * (own1 - own0 + poster_cpu) / wall
    db_cpu = None
    if bench.kind == "postgres":
        db_cpu = 100 * sum(v - pg0.get(pid, 0.0) for pid, v in pg1.items()) / wall
    row = Row(
        db=bench.kind,
        run=bench.run,
        rate=rate,
        sent_s=len(results) / s,
        offer_s=in_window(ledger.offers, t0 + offer_lag, t1 + offer_lag) / s,
        done_s=sum(1 for t in tracks if t.saved < t1 + opts.settle_seconds) / s,
        post50=pct(latency, 50),
        post99=pct(latency, 99),
        offer50=figures["offer50"],
        offer99=figures["offer99"],
        acc99=figures["acc99"],
        wrap99=pct((v for t, v in ledger.wraps if t0 <= t < t1 + opts.settle_seconds), 99),
        cyc50=figures["cyc50"],
        cyc99=figures["cyc99"],
        ping99=pct((v for t, v in ledger.pings if t0 <= t < t1 + 1), 99),
        lock99=lock,
        srv_cpu=srv_cpu,
        db_cpu=db_cpu,
        gen_cpu=gen_cpu,
        other_cpu=100 * (host1 - host0) / wall - srv_cpu - (db_cpu or 0.0) - gen_cpu,
        rss=rss,
        late99=pct(late, 99),
        rpt=float(figures["rpt"] or 0.0),
        errors=sum(detail.values()),
        error_detail=detail,
    )
    row.verdict = verdict(row)
    return row


# --- table -----------------------------------------------------------------------------------
COLUMNS = [
    ("rate", 5),
    ("sent/s", 7),
    ("offer/s", 7),
    ("done/s", 7),
    ("POST50", 7),
    ("POST99", 7),
    ("offer50", 7),
    ("offer99", 7),
    ("acc99", 6),
    ("wrap99", 6),
    ("cyc50", 6),
    ("cyc99", 6),
    ("ping99", 6),
    ("lock99", 6),
    ("srvCPU", 6),
    ("dbCPU", 6),
    ("genCPU", 6),
    ("other", 5),
    ("RSS", 5),
    ("late99", 6),
    ("rpt%", 5),
    ("err", 5),
    ("verdict", 0),
]


def header() -> str:
    return " ".join(f"{name:>{width}}" if width else name for name, width in COLUMNS)


def format_row(r: Row) -> str:
    cells = [
        str(r.rate),
        f"{r.sent_s:.1f}",
        f"{r.offer_s:.1f}",
        f"{r.done_s:.1f}",
        ms(r.post50),
        ms(r.post99),
        ms(r.offer50),
        ms(r.offer99),
        ms(r.acc99),
        ms(r.wrap99),
        ms(r.cyc50),
        ms(r.cyc99),
        ms(r.ping99),
        r.lock99,
        f"{r.srv_cpu:.0f}",
        "-" if r.db_cpu is None else f"{r.db_cpu:.0f}",
        f"{r.gen_cpu:.0f}",
        f"{r.other_cpu:.0f}",
        "-" if r.rss is None else f"{r.rss:.0f}",
        ms(r.late99),
        f"{r.rpt:.0f}",
        str(r.errors),
        r.verdict,
    ]
    return " ".join(f"{c:>{w}}" if w else c for c, (_, w) in zip(cells, COLUMNS, strict=True))


def say(text: str) -> None:
    print(text, flush=True)


# --- setting up one run ------------------------------------------------------------------------
async def login(client: httpx.AsyncClient, username: str, password: str) -> str:
    r = await client.post("/api/auth/login", json={"username": username, "password": password})
    r.raise_for_status()
    return str(r.json()["access_token"])


async def create_agents(admin: httpx.AsyncClient, count: int) -> list[str]:
    """Agents bench0001… with the queue's skill, made four at a time (password hashing is slow)."""
    gate = asyncio.Semaphore(4)
    names = [f"bench{i:04d}" for i in range(1, count + 1)]

    async def one(name: str) -> None:
        body = {
            "username": name,
            "display_name": f"Bench {name}",
            "password": AGENT_PASSWORD,
            "skills": {QUEUE: 3},
            "languages": ["zh", "en"],
        }
        async with gate:
            (await admin.post("/api/agents", json=body)).raise_for_status()

    await asyncio.gather(*(one(n) for n in names))
    return names


async def login_agents(client: httpx.AsyncClient, names: list[str]) -> list[str]:
    gate = asyncio.Semaphore(4)

    async def one(name: str) -> str:
        async with gate:
            return await login(client, name, AGENT_PASSWORD)

    return list(await asyncio.gather(*(one(n) for n in names)))


async def connect_agents(
    base: str, tokens: list[str], ledger: Ledger, opts: Options, rng: random.Random
) -> tuple[list[AgentBot], list[float]]:
    gate = asyncio.Semaphore(16)
    bots = [AgentBot(t, ledger, random.Random(rng.random()), opts) for t in tokens]

    async def one(bot: AgentBot) -> float:
        async with gate:
            return await bot.connect(base)

    return bots, list(await asyncio.gather(*(one(b) for b in bots)))


async def prepare_server(admin: httpx.AsyncClient, opts: Options) -> tuple[str, list[str]]:
    """Admin token, the bench queue, the agents and their tokens."""
    token = await login(admin, *ADMIN)
    admin.headers["Authorization"] = f"Bearer {token}"
    queue = {
        "name": QUEUE,
        "display_name": "Bench",
        "skills": [QUEUE],
        "sla_seconds": 20,
        "max_wait_seconds": 3600,
    }
    (await admin.post("/api/queues", json=queue)).raise_for_status()
    started = time.monotonic()
    names = await create_agents(admin, opts.agents)
    tokens = await login_agents(admin, names)
    say(f"  {len(names)} agents created and logged in in {time.monotonic() - started:.0f} s")
    return token, tokens


async def run_ladder(bench: Bench, rows: list[Row]) -> None:
    say(header())
    for rate in bench.opts.rates:
        row = await run_step(bench, rate)
        rows.append(row)
        say(format_row(row))
        if row.error_detail:
            say("      errors: " + ", ".join(f"{k} ×{v}" for k, v in row.error_detail.items()))
        if not row.verdict.startswith("holds") and not bench.opts.keep_going:
            break


@dataclass
class Seed:
    """A database with the demo data, the bench queue and agents; each run gets a copy."""

    kind: str
    tmp: Path
    template: Database
    admin_token: str
    tokens: list[str]


async def make_seed(opts: Options, kind: str, tmp: Path) -> Seed:
    log = opts.log_dir / f"live_bench_{kind}_{os.getpid()}_seed.log"
    template = Database(kind, tmp, opts.pg_dsn, 0, opts.pg_socket)
    await template.create()
    env = server_env(template, tmp)
    started = time.monotonic()
    floor = kind == "floor"
    if not floor:
        await seed_demo(opts, env, log)
        say(f"  demo data ({opts.customers} customers) in {time.monotonic() - started:.0f} s")
    server = Server(opts, env, log, floor)
    try:
        async with httpx.AsyncClient(base_url=server.base, timeout=60.0) as admin:
            await server.wait_ready(admin)
            token, tokens = await prepare_server(admin, opts)
    finally:
        server.stop()
    return Seed(kind, tmp, template, token, tokens)


async def one_run(opts: Options, seed: Seed, run: int, rows: list[Row]) -> None:
    log = opts.log_dir / f"live_bench_{seed.kind}_{os.getpid()}_{run}.log"
    db = Database(seed.kind, seed.tmp, opts.pg_dsn, run, opts.pg_socket)
    server: Server | None = None
    say(f"\n== {seed.kind}, run {run}: server in {opts.server_cwd}; log {log}")
    try:
        await db.clone(seed.template)
        env = server_env(db, seed.tmp) | dict(opts.server_env)
        server = Server(opts, env, log, seed.kind == "floor")
        await drive(opts, seed, run, server, db, rows)
    finally:
        if server is not None:
            server.stop()
        await db.drop()
        say(f"  server log: {log_problems(log)}")


async def drive(
    opts: Options, seed: Seed, run: int, server: Server, db: Database, rows: list[Row]
) -> None:
    rng = random.Random(1000 + run)
    ledger = Ledger()
    headers = {"Authorization": f"Bearer {seed.admin_token}"}
    async with httpx.AsyncClient(base_url=server.base, timeout=60.0, headers=headers) as admin:
        await server.wait_ready(admin)
        poster = Poster(opts, server.base, seed.admin_token)
        poster.start()
        agents: list[AgentBot] = []
        try:
            agents, ready = await connect_agents(server.base, seed.tokens, ledger, opts, rng)
            say(f"  {len(agents)} agents available; state.set→state p99 {ms(pct(ready, 99))} ms")
            bench = Bench(
                opts, seed.kind, run, server, db, admin, poster, ledger, agents,
                caller_stream(opts, rng), rng,
            )  # fmt: skip
            await run_ladder(bench, rows)
            say(f"  offer message p50: {pct(ledger.offer_bytes, 50) or 0:.0f} bytes")
        finally:
            await asyncio.gather(*(a.close() for a in agents), return_exceptions=True)
            await poster.stop()


async def run_database(opts: Options, kind: str, results: dict[str, list[list[Row]]]) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="hotline_bench_"))
    say(f"\n== {kind}: seeding (server {opts.server_cwd}, {opts.server_python})")
    seed: Seed | None = None
    try:
        seed = await make_seed(opts, kind, tmp)
        for run in range(1, opts.repeat + 1):
            results.setdefault(kind, []).append(rows := [])
            await one_run(opts, seed, run, rows)
    finally:
        await Database(kind, tmp, opts.pg_dsn, 0).drop()
        shutil.rmtree(tmp, ignore_errors=True)


def log_problems(log: Path) -> str:
    """How many ERROR/WARNING lines and tracebacks the server wrote."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return "unreadable"
    errors = sum(1 for line in lines if " ERROR " in line)
    warnings = sum(1 for line in lines if " WARNING " in line)
    tracebacks = sum(1 for line in lines if line.startswith("Traceback"))
    return f"{errors} ERROR, {warnings} WARNING lines, {tracebacks} tracebacks"


# --- the whole run ---------------------------------------------------------------------------
def best_rate(rows: list[Row]) -> int | None:
    held = [r.rate for r in rows if r.verdict.startswith("holds")]
    return max(held) if held else None


def summary(results: dict[str, list[list[Row]]]) -> None:
    say("\n== highest sustained rate (contacts/s)")
    for kind, runs in results.items():
        best = [best_rate(rows) for rows in runs]
        known = [b or 0 for b in best]
        say(f"  {kind:<9} runs: {best}  median: {median(known) if known else '-'}")


async def main_async(opts: Options, results: dict[str, list[list[Row]]]) -> None:
    total = sum(opts.rates) * opts.step_seconds
    say(f"rates {opts.rates}/s, {opts.step_seconds:g} s each; {opts.agents} agents hold "
        f"{opts.hold_min:g}-{opts.hold_max:g} s: at most ~"
        f"{opts.agents / ((opts.hold_min + opts.hold_max) / 2):.0f} contacts/s")  # fmt: skip
    if opts.callers == "pool" and total > opts.customers:
        say(f"  note: up to {total:.0f} contacts from {opts.customers} customers: later steps "
            "bring repeat callers (rule repeat-contact waits for the last agent; see rpt%)")  # fmt: skip
    for kind in opts.db:
        await run_database(opts, kind, results)


def main(argv: list[str] | None = None) -> None:
    opts = parse_args(argv)
    results: dict[str, list[list[Row]]] = {}
    try:
        asyncio.run(asyncio.wait_for(main_async(opts, results), timeout=opts.max_minutes * 60))
    except TimeoutError:
        say(f"\n!! stopped after --max-minutes {opts.max_minutes:g}")
    summary(results)
    if opts.json_path is not None:
        rows = [asdict(r) for runs in results.values() for rows in runs for r in rows]
        opts.json_path.write_text(json.dumps(rows, indent=1, default=str))


if __name__ == "__main__":
    main()
