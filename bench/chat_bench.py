"""Chat benchmark: 1,000 simultaneous chats in one Hotline server process (issue 12).

Not a test. Run it with a venv's python; it starts the server itself the way
bench/live_bench.py does (its pieces are imported: the database made and dropped here, the
venv's `hotline demo` for the admin account, `hotline serve` on 127.0.0.1):

    .venv/bin/python bench/chat_bench.py                        # PostgreSQL, 1,000 chats, 60 s
    .venv/bin/python bench/chat_bench.py --db sqlite --chats 200 --seconds 30

Set-up: a queue `bench`; --agents agents (default 100) made over the admin API, then each one's
`chat_capacity` set to --capacity (default 10) with `PATCH /api/agents/{id}`; each opens
/ws/agent, goes available and accepts every chat offered. --chats customers open /ws/chat
(`start` with topic `bench`, an e-mail each) at --start-rate a second, and wait for an agent.

The bench's own chat.yaml (HOTLINE_CHAT_FILE) raises the per-address limits
(`open_per_address`, `new_per_address_per_hour`) to --chats and more: every customer here
comes from 127.0.0.1, which the defaults (3 open, 10 an hour) would refuse after the third.
The per-connection message limit (2/s, burst 6) is kept: a customer sends one message every
--interval seconds (default 5), the first at a random phase in [0, interval).

Measured over --seconds once every chat is answered:

    c→a p50/p99   customer `message` sent → `chat.message` received on the agent's socket
    a→c p50/p99   agent `chat.send` sent → `message` received on the customer's socket
    ack p99       customer `message` sent → `sent` {seq} (stored and acknowledged)
    not delivered live  messages acknowledged (`sent` / `chat.sent`) that never reached the
                  other side's socket within --drain seconds after the window (a socket the
                  server closed cuts them off; these bots do not reconnect)
    acked_not_stored  acknowledged messages missing from chat_messages at the end: lost for
                  good (must be 0)
    duplicated    a (conversation, seq) received twice on the same side (must be 0)
    srvCPU        server process CPU % over the window (100 = one core); RSS at its end, MiB;
                  benchCPU the same for this process (all 1,000 pages and 100 consoles)
    per message   server CPU ms, SQL statements and database transactions over the window
                  divided by the messages stored in it (both sides; their receipts, heartbeats
                  and deliveries included) — the figures to compare on a shared machine, where
                  latency depends on the neighbours. Statements: the server counts them into
                  a file the bench names (HOTLINE_BENCH_SQL_COUNTER, app/db/statement_counter.py);
                  transactions: pg_stat_database of the bench's database (PostgreSQL only).
    loadavg       /proc/loadavg before and after: other work on the machine

Every customer acknowledges (`ack`) what it receives and the agent marks read (`chat.read`) as
the real page and console do, so receipts are part of the load. Both sides answer heartbeats.
Clocks: one process sends and receives both ends (time.monotonic), so a delivery time includes
this process's own event-loop delay — the figures are an upper bound on the server's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

# Run as a script, this file's directory is on sys.path: live_bench is importable as is.
from live_bench import (
    QUEUE,
    Database,
    Server,
    create_agents,
    login,
    login_agents,
    ms,
    own_cpu_seconds,
    pct,
    proc_cpu_seconds,
    proc_rss_mib,
    say,
    seed_demo,
    server_env,
)
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app.db import statement_counter

ADMIN = ("admin", "hotline-demo")
# Client sockets: no own pings (the server's heartbeats are answered in the protocol) and no
# bound on frames buffered unread — a bounded buffer stops reading when this process lags, the
# server's protocol pings then go unanswered and uvicorn closes the socket, which would be
# counted against the server.
CLIENT: dict[str, Any] = {"max_size": None, "ping_interval": None, "max_queue": None}


@dataclass
class Options:
    chats: int
    agents: int
    capacity: int
    interval: float
    seconds: float
    drain: float
    start_rate: float
    db: str
    pg_dsn: str
    receipts: bool
    server_python: Path
    server_cwd: Path
    log_dir: Path
    customers: int = 20  # demo customers: only the admin account is needed


def parse_args(argv: list[str] | None = None) -> Options:
    here = Path(__file__).resolve().parent.parent
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--chats", type=int, default=1000)
    p.add_argument("--agents", type=int, default=100)
    p.add_argument("--capacity", type=int, default=10, help="each agent's chat capacity")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between messages")
    p.add_argument("--seconds", type=float, default=60.0, help="measured window")
    p.add_argument("--drain", type=float, default=10.0, help="wait for stragglers after it")
    p.add_argument("--start-rate", type=float, default=50.0, help="chats started a second")
    p.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    p.add_argument("--pg-dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--no-receipts", dest="receipts", action="store_false")
    p.add_argument("--server-python", type=Path, default=here / ".venv" / "bin" / "python")
    p.add_argument("--server-cwd", type=Path, default=here)
    p.add_argument("--log-dir", type=Path, default=Path(tempfile.gettempdir()))
    a = p.parse_args(argv)
    if a.agents * a.capacity < a.chats:
        p.error(f"{a.agents} agents × {a.capacity} chats cannot answer {a.chats} chats")
    return Options(
        a.chats, a.agents, a.capacity, a.interval, a.seconds, a.drain, a.start_rate, a.db,
        a.pg_dsn, a.receipts, a.server_python, a.server_cwd, a.log_dir,
    )  # fmt: skip


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def chat_yaml(opts: Options, tmp: Path) -> Path:
    """config/chat.yaml with a `bench` topic and the per-address limits raised (all the
    customers share 127.0.0.1)."""
    base = yaml.safe_load((opts.server_cwd / "config" / "chat.yaml").read_text(encoding="utf-8"))
    base["topics"] = [{"code": "bench", "queue": QUEUE, "label": {"en": "Bench", "zh": "压测"}}]
    base["hours"] = {"timezone": "UTC", "days": {d: ["00:00", "24:00"] for d in
                     ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}  # fmt: skip
    base["limits"] |= {
        "open_per_address": opts.chats * 2,
        "new_per_address_per_hour": opts.chats * 10,
    }
    path = tmp / "chat.yaml"
    path.write_text(yaml.safe_dump(base, allow_unicode=True), encoding="utf-8")
    return path


# --- what was sent and received ----------------------------------------------------------------
@dataclass
class Ledger:
    measuring: bool = False
    # client id → monotonic send time, of messages sent during the window
    c_sent: dict[str, float] = field(default_factory=dict)
    a_sent: dict[str, float] = field(default_factory=dict)
    c_acked: set[str] = field(default_factory=set)  # customer messages the server stored
    a_acked: set[str] = field(default_factory=set)  # agent messages the server stored
    c_to_a: dict[str, float] = field(default_factory=dict)  # client id → delivery seconds
    a_to_c: dict[str, float] = field(default_factory=dict)
    ack: list[float] = field(default_factory=list)
    seen_agent: set[tuple[str, int]] = field(default_factory=set)  # (contact, seq) on agents
    seen_customer: set[tuple[str, int]] = field(default_factory=set)  # (conversation, seq)
    duplicated: int = 0
    errors: Counter[str] = field(default_factory=Counter)


def closed_code(exc: ConnectionClosed) -> str:
    """The close code the server sent (4008: this socket fell too far behind), or why none."""
    if exc.rcvd is not None:
        return str(exc.rcvd.code)
    return "without a close frame"


class Customer:
    """One chat page: starts, waits for an agent, sends a message every interval."""

    def __init__(self, n: int, ledger: Ledger, opts: Options) -> None:
        self.n, self.ledger, self.opts = n, ledger, opts
        self.ws: ClientConnection | None = None
        self.conversation = ""
        self.answered = asyncio.Event()
        self.count = 0
        self.task: asyncio.Task[None] | None = None
        self.closing = False

    async def start(self, base: str) -> None:
        url = base.replace("http://", "ws://") + "/ws/chat"
        self.ws = await connect(url, **CLIENT, open_timeout=60)
        form = {"type": "start", "language": "en", "topic": "bench", "name": f"Bench {self.n}"}
        await self.ws.send(json.dumps(form | {"reach": f"bench{self.n}@example.com"}))
        welcome = json.loads(await asyncio.wait_for(self.ws.recv(), 60))
        if welcome.get("type") != "welcome":
            raise RuntimeError(f"customer {self.n}: {welcome}")
        self.conversation = welcome["conversation_id"]
        self.task = asyncio.create_task(self._read())

    async def send(self, frame: dict[str, Any]) -> None:
        assert self.ws is not None
        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(json.dumps(frame))

    async def talk(self, until: float, rng: random.Random) -> None:
        """A message every interval until ``until`` (monotonic), from a random phase."""
        next_at = time.monotonic() + rng.uniform(0, self.opts.interval)
        while next_at < until:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            self.count += 1
            client_id = f"c{self.n}-{self.count}"
            self.ledger.c_sent[client_id] = time.monotonic()
            await self.send(
                {"type": "message", "client_id": client_id, "text": f"hello {client_id}"}
            )
            next_at += self.opts.interval

    async def _read(self) -> None:
        assert self.ws is not None
        ledger = self.ledger
        try:
            async for raw in self.ws:
                now = time.monotonic()
                m = json.loads(raw)
                kind = m.get("type")
                if kind == "message" and m.get("from") == "agent":
                    key = (self.conversation, int(m["seq"]))
                    if key in ledger.seen_customer:
                        ledger.duplicated += 1
                        continue
                    ledger.seen_customer.add(key)
                    sent = ledger.a_sent.get(m["client_id"])
                    if sent is not None:
                        ledger.a_to_c[m["client_id"]] = now - sent
                    if self.opts.receipts:  # the page acknowledges what it shows
                        await self.send({"type": "ack", "seq": m["seq"]})
                elif kind == "sent":
                    ledger.c_acked.add(m["client_id"])
                    sent = ledger.c_sent.get(m["client_id"])
                    if sent is not None:
                        ledger.ack.append(now - sent)
                elif kind == "agent":
                    self.answered.set()
                elif kind == "ping":
                    await self.send({"type": "pong"})
                elif kind == "error":
                    ledger.errors[f"customer error {m.get('ref')}: {m.get('code')}"] += 1
        except ConnectionClosed as exc:
            if not self.closing:
                ledger.errors[f"customer socket closed {closed_code(exc)}"] += 1

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            await self.ws.close()
        if self.task is not None:
            await asyncio.wait([self.task], timeout=5)


class Agent:
    """One console: accepts every chat offered and answers each customer message at once."""

    def __init__(self, token: str, ledger: Ledger, opts: Options) -> None:
        self.token, self.ledger, self.opts = token, ledger, opts
        self.ws: ClientConnection | None = None
        self.available = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.closing = False
        self.chats = 0

    async def connect(self, base: str) -> None:
        url = base.replace("http://", "ws://") + "/ws/agent"
        headers = {"Authorization": f"Bearer {self.token}"}
        self.ws = await connect(url, additional_headers=headers, **CLIENT)
        await self.ws.recv()  # hello
        self.task = asyncio.create_task(self._read())
        await self.send({"type": "state.set", "state": "available"})
        await asyncio.wait_for(self.available.wait(), timeout=60)

    async def send(self, frame: dict[str, Any]) -> None:
        assert self.ws is not None
        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(json.dumps(frame))

    async def _read(self) -> None:
        assert self.ws is not None
        ledger = self.ledger
        try:
            async for raw in self.ws:
                now = time.monotonic()
                m = json.loads(raw)
                kind = m.get("type")
                if kind == "chat.message":
                    await self._on_message(m, now)
                elif kind == "chat.sent":
                    ledger.a_acked.add(m["message"]["client_id"])
                elif kind == "offer":
                    await self.send({"type": "offer.accept", "contact_id": m["contact"]["id"]})
                elif kind == "contact.assigned":
                    self.chats += 1
                elif kind == "state" and m.get("state") == "available":
                    self.available.set()
                elif kind == "ping":
                    await self.send({"type": "pong"})
                elif kind == "error":
                    ledger.errors[f"agent error {m.get('ref')}: {m.get('code')}"] += 1
                elif kind == "offer.cancelled":
                    ledger.errors[f"offer.cancelled: {m.get('cause')}"] += 1
        except ConnectionClosed as exc:
            if not self.closing:
                ledger.errors[f"agent socket closed {closed_code(exc)}"] += 1

    async def _on_message(self, m: dict[str, Any], now: float) -> None:
        ledger, message, contact = self.ledger, m["message"], str(m["contact_id"])
        if message["from"] != "customer":
            return
        key = (contact, int(message["seq"]))
        if key in ledger.seen_agent:
            ledger.duplicated += 1
            return
        ledger.seen_agent.add(key)
        client_id = message["client_id"]
        sent = ledger.c_sent.get(client_id)
        if sent is not None:
            ledger.c_to_a[client_id] = now - sent
        if self.opts.receipts:  # the console marks what it shows as read
            await self.send({"type": "chat.read", "contact_id": contact, "seq": message["seq"]})
        reply = f"a-{client_id}"
        ledger.a_sent[reply] = time.monotonic()
        await self.send(
            {
                "type": "chat.send",
                "contact_id": contact,
                "client_id": reply,
                "text": f"re {client_id}",
            }
        )

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            await self.ws.close()
        if self.task is not None:
            await asyncio.wait([self.task], timeout=5)


# --- the run -----------------------------------------------------------------------------------
async def set_up(admin: httpx.AsyncClient, opts: Options) -> list[str]:
    """The queue, the agents with their chat capacity (admin API), their tokens."""
    token = await login(admin, *ADMIN)
    admin.headers["Authorization"] = f"Bearer {token}"
    queue = {"name": QUEUE, "display_name": "Bench", "skills": [QUEUE], "max_wait_seconds": 3600}
    (await admin.post("/api/queues", json=queue)).raise_for_status()
    names = await create_agents(admin, opts.agents)
    listed = (await admin.get("/api/agents")).json()
    ids = [a["id"] for a in listed if a["username"] in set(names)]
    gate = asyncio.Semaphore(8)

    async def capacity(agent_id: int) -> None:
        async with gate:
            body = {"chat_capacity": opts.capacity}
            (await admin.patch(f"/api/agents/{agent_id}", json=body)).raise_for_status()

    await asyncio.gather(*(capacity(i) for i in ids))
    return await login_agents(admin, names)


async def stored_client_ids(db: Database) -> set[str]:
    """Client ids of every message in the record (PostgreSQL: asyncpg; SQLite: sqlite3)."""
    sql = "SELECT client_id FROM chat_messages"
    if db.kind == "postgres":
        import asyncpg

        conn = await asyncpg.connect(db.url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            return {r[0] for r in await conn.fetch(sql)}
        finally:
            await conn.close()
    import sqlite3

    with contextlib.closing(sqlite3.connect(db.path)) as conn:
        return {r[0] for r in conn.execute(sql)}


def statements(server: Server) -> int:
    """SQL statements the server has executed so far (its HOTLINE_BENCH_SQL_COUNTER file)."""
    return statement_counter.read(server.sql_counter)  # type: ignore[attr-defined]


async def transactions(db: Database) -> int | None:
    """Transactions committed or rolled back in the bench's database (PostgreSQL only)."""
    if db.kind != "postgres":
        return None
    import asyncpg

    conn = await asyncpg.connect(db.url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        sql = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1"
        # Statistics are reported by each backend when idle, at most every 500 ms (PG 15).
        await asyncio.sleep(0.6)
        return int(await conn.fetchval(sql, db.name))
    finally:
        await conn.close()


async def run(opts: Options, server: Server, tokens: list[str], db: Database) -> dict[str, Any]:
    ledger = Ledger()
    agents = [Agent(t, ledger, opts) for t in tokens]
    customers = [Customer(n, ledger, opts) for n in range(1, opts.chats + 1)]
    rng = random.Random(12)
    try:
        gate = asyncio.Semaphore(16)

        async def connect_agent(a: Agent) -> None:
            async with gate:
                await a.connect(server.base)

        await asyncio.gather(*(connect_agent(a) for a in agents))
        say(f"  {len(agents)} agents available, chat capacity {opts.capacity} each")
        started = time.monotonic()

        async def start(c: Customer, k: int) -> None:
            await asyncio.sleep(k / opts.start_rate)
            await c.start(server.base)

        await asyncio.gather(*(start(c, k) for k, c in enumerate(customers)))
        say(f"  {len(customers)} chats started in {time.monotonic() - started:.0f} s")
        async with asyncio.timeout(300):
            await asyncio.gather(*(c.answered.wait() for c in customers))
        say(f"  all answered {time.monotonic() - started:.0f} s after the first start")

        load_before = loadavg()
        sql0, xact0 = statements(server), await transactions(db)
        cpu0, t0 = proc_cpu_seconds(server.pid), time.monotonic()
        own0 = own_cpu_seconds()
        until = t0 + opts.seconds
        ledger.measuring = True
        await asyncio.gather(*(c.talk(until, random.Random(rng.random())) for c in customers))
        cpu1, t1 = proc_cpu_seconds(server.pid), time.monotonic()
        own1 = own_cpu_seconds()
        sql1, xact1 = statements(server), await transactions(db)
        # Messages stored in the window (both sides), the unit of the per-message figures.
        handled = max(1, len(ledger.c_acked) + len(ledger.a_acked))
        rss = proc_rss_mib(server.pid)
        load_after = loadavg()
        await asyncio.sleep(opts.drain)  # stragglers: late is measured, lost is what never came
    finally:
        await asyncio.gather(*(c.close() for c in customers), return_exceptions=True)
        await asyncio.gather(*(a.close() for a in agents), return_exceptions=True)
    c_lost = len(ledger.c_acked - ledger.c_to_a.keys())
    a_lost = len(ledger.a_acked - ledger.a_to_c.keys())
    # Acknowledged means stored: an acknowledged message missing from the record is lost for
    # good; one stored but not received live was cut off by a closed socket (a console or page
    # that reconnects reads it with chat.history / resume).
    stored = await stored_client_ids(db)
    acked_not_stored = len((ledger.c_acked | ledger.a_acked) - stored)
    c2a, a2c = list(ledger.c_to_a.values()), list(ledger.a_to_c.values())
    return {
        "chats": opts.chats,
        "agents": opts.agents,
        "capacity": opts.capacity,
        "db": opts.db,
        "receipts": opts.receipts,
        "window_s": round(t1 - t0, 1),
        "customer_sent": len(ledger.c_sent),
        "customer_acked": len(ledger.c_acked),
        "agent_sent": len(ledger.a_sent),
        "agent_acked": len(ledger.a_acked),
        "c2a_p50_ms": ms(pct(c2a, 50)),
        "c2a_p99_ms": ms(pct(c2a, 99)),
        "c2a_max_ms": ms(max(c2a, default=None)),
        "a2c_p50_ms": ms(pct(a2c, 50)),
        "a2c_p99_ms": ms(pct(a2c, 99)),
        "ack_p99_ms": ms(pct(ledger.ack, 99)),
        "not_delivered_live_c2a": c_lost,
        "not_delivered_live_a2c": a_lost,
        "acked_not_stored": acked_not_stored,
        "unacked": len(ledger.c_sent)
        - len(ledger.c_acked)
        + len(ledger.a_sent)
        - len(ledger.a_acked),
        "duplicated": ledger.duplicated,
        "server_cpu_pct": round(100 * (cpu1 - cpu0) / (t1 - t0)),
        # Per message stored (customer's and agent's alike), receipts and heartbeats included.
        "server_cpu_ms_per_msg": round(1000 * (cpu1 - cpu0) / handled, 3),
        "sql_per_msg": round((sql1 - sql0) / handled, 2),
        "transactions_per_msg": (
            round((xact1 - xact0) / handled, 2) if None not in (xact0, xact1) else None
        ),
        "server_rss_mib": round(rss or 0),
        "bench_cpu_pct": round(100 * (own1 - own0) / (t1 - t0)),  # this process: both ends
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "errors": dict(ledger.errors),
    }


async def main_async(opts: Options) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="hotline_chat_bench_"))
    log = opts.log_dir / f"chat_bench_{os.getpid()}.log"
    db = Database(opts.db, tmp, opts.pg_dsn, 1)
    server: Server | None = None
    say(f"== chat bench: {opts.chats} chats, {opts.agents} agents × {opts.capacity}, "
        f"{opts.db}; loadavg {loadavg()}; server log {log}")  # fmt: skip
    try:
        await db.create()
        env = server_env(db, tmp) | {"HOTLINE_CHAT_FILE": str(chat_yaml(opts, tmp))}
        await seed_demo(opts, env, log)  # type: ignore[arg-type]  # uses the same fields
        # The server counts its SQL statements into this file (app/db/statement_counter.py).
        counter = str(tmp / "sql_counter")
        server = Server(opts, env | {statement_counter.ENV: counter}, log)  # type: ignore[arg-type]
        server.sql_counter = counter  # type: ignore[attr-defined]
        async with httpx.AsyncClient(base_url=server.base, timeout=60.0) as admin:
            await server.wait_ready(admin)
            tokens = await set_up(admin, opts)
            return await run(opts, server, tokens, db)
    finally:
        if server is not None:
            server.stop()
        await db.drop()
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    opts = parse_args(argv)
    result = asyncio.run(main_async(opts))
    width = max(len(k) for k in result)
    for key, value in result.items():
        say(f"  {key:<{width}}  {value}")
    live = result["not_delivered_live_c2a"] + result["not_delivered_live_a2c"]
    if result["acked_not_stored"] or result["duplicated"]:
        verdict = "FAILS: an acknowledged message lost, or one duplicated"
    elif live:
        verdict = f"no loss in the record, but {live} messages not delivered live (sockets closed)"
    else:
        verdict = "holds: every message delivered live once"
    say(f"  verdict: {verdict}")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
