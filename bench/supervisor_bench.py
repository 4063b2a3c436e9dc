"""Supervisor feed benchmark: 200 wallboards on /ws/supervisor while contacts flow (issue 11).

Not a test. Run it with a venv's python; it starts the server itself, on a fresh database it
creates and drops itself, only on 127.0.0.1 (the live benchmark's machinery, imported from
bench/live_bench.py: the server, the database, the agent bots, the open-loop poster):

    .venv/bin/python bench/supervisor_bench.py                     # SQLite, 200 wallboards
    .venv/bin/python bench/supervisor_bench.py --db postgres --rate 40 --seconds 30

One run, three phases of --seconds each at the same contact rate (POST /api/contacts, agent
bots accepting every offer, holding --hold-min..--hold-max s, hanging up and wrapping up):

    A   no wallboard connected
    B   --supervisors wallboards connected (the Authorization header; `batch` frames, as the
        wallboard page asks for them, unless --no-batch), each
        reading every update; spread over --watcher-procs processes so that reading 200
        sockets is not this benchmark's own bottleneck
    A'  the wallboards gone again (the same as A, to see drift on a shared machine)

The wallboards sign in as the demo's admin (one token for all; an admin may watch).

Per phase, the routing path as bench/live_bench.py measures it: POST scheduled -> `offer`
p50/p99, `offer.accept` -> `contact.assigned` p99, an agent socket's ping p99, the server's
CPU. In B, per wallboard message: `contact.update` delay from the event (its `event_at`, the
bus's clock when the event happened) to its receipt by the wallboard (p50/p99/max, every
message of every wallboard); `queue.update` / `agent.update` from their `at` (when the
coalescer sent them) to receipt — by design they wait up to `coalesce_seconds` for their turn,
which is not counted; the bus's event rate (from the `seq` the wallboards saw); wallboards
cut off (4008, too slow). The machine's load (/proc/loadavg) before and after: other work
on the host shows in every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(Path(__file__).resolve().parent))
import live_bench as lb  # a sibling script, not a package

# The head of every feed message: type, seq, at, and for contact.update event_at (the feed
# writes them first). Read with a pattern, not json.loads: 200 sockets' worth of JSON would
# make this benchmark, not the server, the bottleneck.
# A `batch` frame holds several: each message's head is found where it starts.
HEAD = re.compile(
    r'\{"type":"([a-z._]+)","seq":(\d+),"at":([-0-9.e+]+)(?:,"event_at":([-0-9.e+]+|null))?'
)


@dataclass
class Options:
    rate: float
    seconds: float
    settle: float
    supervisors: int
    watcher_procs: int
    batch: bool
    agents: int
    customers: int
    db: str
    hold_min: float
    hold_max: float
    connections: int
    max_minutes: float
    log_dir: Path
    json_path: Path | None


def parse_args(argv: list[str] | None = None) -> Options:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rate", type=float, default=35.0, help="contacts per second (6 events each)")
    p.add_argument("--seconds", type=float, default=20.0, help="each phase")
    p.add_argument("--settle", type=float, default=None, help="default: hold-max + 2")
    p.add_argument("--supervisors", type=int, default=200)
    p.add_argument("--watcher-procs", type=int, default=2)
    p.add_argument(
        "--no-batch", action="store_true", help="one message per frame (no `batch` frames)"
    )
    p.add_argument("--agents", type=int, default=80)
    p.add_argument("--customers", type=int, default=500)
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument("--hold-min", type=float, default=0.5)
    p.add_argument("--hold-max", type=float, default=2.0)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--max-minutes", type=float, default=20.0)
    p.add_argument("--log-dir", type=Path, default=Path(tempfile.gettempdir()))
    p.add_argument("--json", type=Path, default=None)
    a = p.parse_args(argv)
    return Options(
        rate=a.rate,
        seconds=a.seconds,
        settle=a.settle if a.settle is not None else a.hold_max + 2,
        supervisors=a.supervisors,
        watcher_procs=max(1, a.watcher_procs),
        batch=not a.no_batch,
        agents=a.agents,
        customers=a.customers,
        db=a.db,
        hold_min=a.hold_min,
        hold_max=a.hold_max,
        connections=a.connections,
        max_minutes=a.max_minutes,
        log_dir=a.log_dir,
        json_path=a.json,
    )


def live_options(o: Options) -> lb.Options:
    """The live benchmark's options for its pieces (agents, poster, steps)."""
    return lb.parse_args(
        [
            f"--rates={o.rate:g}",
            f"--step-seconds={o.seconds:g}",
            f"--settle-seconds={o.settle:g}",
            f"--db={o.db}",
            f"--agents={o.agents}",
            f"--customers={o.customers}",
            f"--hold-min={o.hold_min:g}",
            f"--hold-max={o.hold_max:g}",
            f"--connections={o.connections}",
            f"--log-dir={o.log_dir}",
        ]
    )


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- wallboards: in child processes ------------------------------------------------------------
@dataclass
class Watch:
    """What the wallboards of one process saw since the last report."""

    contact_delays: list[float] = field(default_factory=list)
    other_delays: list[float] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    first_seq: int | None = None
    last_seq: int = 0
    first_at: float = 0.0
    last_at: float = 0.0
    closed: Counter[str] = field(default_factory=Counter)
    frames: int = 0

    def clear(self) -> None:
        """A new phase: forget what was seen (the connecting burst)."""
        fresh = Watch()
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))


class Wallboard:
    def __init__(self, watch: Watch) -> None:
        self.watch = watch
        self.ws: ClientConnection | None = None
        self.task: asyncio.Task[None] | None = None
        self.closing = False

    async def connect(self, url: str, token: str) -> float:
        """Open, read the snapshot; returns how long the snapshot took."""
        started = time.monotonic()
        headers = {"Authorization": f"Bearer {token}"}
        self.ws = await connect(url, additional_headers=headers, max_size=None, ping_interval=None)
        first = json.loads(await self.ws.recv())
        if first["type"] == "batch":  # the snapshot and what followed it within the window
            first = first["messages"][0]
        assert first["type"] == "snapshot", first["type"]
        took = time.monotonic() - started
        self.task = asyncio.create_task(self._read())
        return took

    async def _read(self) -> None:
        assert self.ws is not None
        w = self.watch
        try:
            async for raw in self.ws:
                now = time.time()
                text = raw if isinstance(raw, str) else raw.decode()
                w.frames += 1
                for head in HEAD.finditer(text):
                    kind = head.group(1)
                    w.kinds[kind] += 1
                    seq = int(head.group(2))
                    if w.first_seq is None:
                        w.first_seq, w.first_at = seq, now
                    if seq > w.last_seq:
                        w.last_seq, w.last_at = seq, now
                    event_at = head.group(4)
                    if kind == "contact.update" and event_at not in (None, "null"):
                        w.contact_delays.append(now - float(event_at))
                    elif kind in ("queue.update", "agent.update"):
                        w.other_delays.append(now - float(head.group(3)))
        except ConnectionClosed as exc:
            if not self.closing:
                code = exc.rcvd.code if exc.rcvd is not None else "none"
                w.closed[f"closed {code}"] += 1

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self.task is not None:
            await asyncio.wait([self.task], timeout=5)


async def _watch_loop(conn: Connection, url: str, token: str, count: int) -> None:
    loop = asyncio.get_running_loop()
    watch = Watch()
    boards = [Wallboard(watch) for _ in range(count)]
    gate = asyncio.Semaphore(10)

    async def one(board: Wallboard) -> float:
        async with gate:
            return await board.connect(url, token)

    snapshots = list(await asyncio.gather(*(one(b) for b in boards)))
    conn.send(("ready", snapshots))
    while (command := await loop.run_in_executor(None, conn.recv)) is not None:
        if command == "reset":
            watch.clear()
            conn.send("ok")
        elif command == "report":
            conn.send(
                {
                    "contact_delays": watch.contact_delays,
                    "other_delays": watch.other_delays,
                    "kinds": dict(watch.kinds),
                    "seq": (watch.first_seq, watch.last_seq, watch.first_at, watch.last_at),
                    "closed": dict(watch.closed),
                    "frames": watch.frames,
                }
            )
    await asyncio.gather(*(b.close() for b in boards))


def watch_main(conn: Connection, url: str, token: str, count: int) -> None:
    asyncio.run(_watch_loop(conn, url, token, count))


class Wallboards:
    """--supervisors wallboards over --watcher-procs processes."""

    def __init__(self, opts: Options, base: str, token: str) -> None:
        self.opts = opts
        batch = "&batch=1" if opts.batch else ""
        self.url = base.replace("http://", "ws://") + "/ws/supervisor?lang=en" + batch
        self.token = token
        self.procs: list[tuple[mp.process.BaseProcess, Connection]] = []

    async def start(self) -> list[float]:
        ctx = mp.get_context("spawn")
        n, k = self.opts.supervisors, self.opts.watcher_procs
        counts = [n // k + (1 if i < n % k else 0) for i in range(k)]
        for count in counts:
            parent, child = ctx.Pipe()
            proc = ctx.Process(
                target=watch_main, args=(child, self.url, self.token, count), daemon=True
            )
            proc.start()
            self.procs.append((proc, parent))
        snapshots: list[float] = []
        for _, conn in self.procs:
            kind, took = await self._recv(conn, 120)
            assert kind == "ready"
            snapshots += took
        return snapshots

    async def _recv(self, conn: Connection, within: float) -> Any:
        loop = asyncio.get_running_loop()
        return await asyncio.wait_for(loop.run_in_executor(None, conn.recv), within)

    def cpu_seconds(self) -> float:
        """The wallboard processes' CPU so far (they run on the same machine as the server)."""
        return sum(lb.proc_cpu_seconds(proc.pid) for proc, _ in self.procs if proc.pid)

    async def reset(self) -> None:
        for _, conn in self.procs:
            conn.send("reset")
        for _, conn in self.procs:
            await self._recv(conn, 30)

    async def report(self) -> dict[str, Any]:
        for _, conn in self.procs:
            conn.send("report")
        parts = [await self._recv(conn, 60) for _, conn in self.procs]
        kinds: Counter[str] = Counter()
        closed: Counter[str] = Counter()
        for part in parts:
            kinds.update(part["kinds"])
            closed.update(part["closed"])
        seqs = [p["seq"] for p in parts if p["seq"][0] is not None]
        rate = None
        if seqs:
            first = min(seqs, key=lambda s: s[2])
            last = max(seqs, key=lambda s: s[3])
            if last[3] > first[2]:
                rate = (last[1] - first[0]) / (last[3] - first[2])
        return {
            "contact": [d for p in parts for d in p["contact_delays"]],
            "other": [d for p in parts for d in p["other_delays"]],
            "kinds": dict(kinds),
            "closed": dict(closed),
            "frames": sum(p["frames"] for p in parts),
            "events_per_s": rate,
        }

    async def stop(self) -> None:
        for _, conn in self.procs:
            with contextlib.suppress(OSError):
                conn.send(None)
        for proc, _ in self.procs:
            await asyncio.get_running_loop().run_in_executor(None, proc.join, 15)
            if proc.is_alive():
                proc.kill()
        self.procs = []


# --- the run -------------------------------------------------------------------------------------
def phase_line(name: str, row: lb.Row) -> str:
    line = (
        f"  {name:<3} sent/s {row.sent_s:5.1f}  done/s {row.done_s:5.1f}  "
        f"offer50 {lb.ms(row.offer50):>5}  offer99 {lb.ms(row.offer99):>5}  "
        f"acc99 {lb.ms(row.acc99):>5}  ping99 {lb.ms(row.ping99):>5}  "
        f"srvCPU {row.srv_cpu:3.0f}%  other {row.other_cpu:3.0f}%  err {row.errors}"
    )
    if row.error_detail:
        line += "  (" + ", ".join(f"{k} ×{v}" for k, v in row.error_detail.items()) + ")"
    return line


async def run(opts: Options) -> dict[str, Any]:
    live = live_options(opts)
    tmp = Path(tempfile.mkdtemp(prefix="hotline_supbench_"))
    out: dict[str, Any] = {"load_before": loadavg(), "options": vars(opts) | {"log_dir": ""}}
    lb.say(f"load average before: {out['load_before']} ({os.cpu_count()} CPUs)")
    lb.say(f"== {opts.db}: seeding {opts.customers} customers, {opts.agents} agents")
    seed = await lb.make_seed(live, opts.db, tmp)
    log = opts.log_dir / f"supervisor_bench_{opts.db}_{os.getpid()}.log"
    db = lb.Database(opts.db, tmp, live.pg_dsn, 1)
    server: lb.Server | None = None
    try:
        await db.clone(seed.template)
        server = lb.Server(live, lb.server_env(db, tmp), log)
        lb.say(f"  server log: {log}")
        out |= await drive(opts, live, seed, server, db)
    finally:
        if server is not None:
            server.stop()
        await db.drop()
        await seed.template.drop()
        lb.say(f"  server log: {lb.log_problems(log)}")
    out["load_after"] = loadavg()
    lb.say(f"load average after: {out['load_after']}")
    return out


async def drive(
    opts: Options, live: lb.Options, seed: lb.Seed, server: lb.Server, db: lb.Database
) -> dict[str, Any]:
    rng = random.Random(7)
    ledger = lb.Ledger()
    headers = {"Authorization": f"Bearer {seed.admin_token}"}
    result: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=server.base, timeout=60.0, headers=headers) as admin:
        await server.wait_ready(admin)
        poster = lb.Poster(live, server.base, seed.admin_token)
        poster.start()
        agents: list[lb.AgentBot] = []
        # The demo's admin watches (an admin may): one token for every wallboard.
        boards = Wallboards(opts, server.base, seed.admin_token)
        try:
            agents, _ = await lb.connect_agents(server.base, seed.tokens, ledger, live, rng)
            bench = lb.Bench(
                live, opts.db, 1, server, db, admin, poster, ledger, agents,
                lb.caller_stream(live, rng), rng,
            )  # fmt: skip
            rate = round(opts.rate)
            lb.say(f"  {len(agents)} agents available; {rate} contacts/s, {opts.seconds:g} s/phase")
            row_a = await lb.run_step(bench, rate)
            lb.say(phase_line("A", row_a))
            started = time.monotonic()
            snapshots = await boards.start()
            lb.say(
                f"  {opts.supervisors} wallboards connected in {time.monotonic() - started:.1f} s;"
                f" snapshot p50 {lb.ms(lb.pct(snapshots, 50))} p99 {lb.ms(lb.pct(snapshots, 99))} ms"
            )
            await asyncio.sleep(2.0)  # the connecting burst is over
            await boards.reset()
            cpu0, wall0 = boards.cpu_seconds(), time.monotonic()
            row_b = await lb.run_step(bench, rate)
            feed = await boards.report()
            feed["watcher_cpu"] = 100 * (boards.cpu_seconds() - cpu0) / (time.monotonic() - wall0)
            lb.say(phase_line("B", row_b))
            await boards.stop()
            row_a2 = await lb.run_step(bench, rate)
            lb.say(phase_line("A'", row_a2))
            result = summarize(opts, row_a, row_b, row_a2, feed, snapshots)
        finally:
            await boards.stop()
            await asyncio.gather(*(a.close() for a in agents), return_exceptions=True)
            await poster.stop()
    return result


def summarize(
    opts: Options,
    row_a: lb.Row,
    row_b: lb.Row,
    row_a2: lb.Row,
    feed: dict[str, Any],
    snapshots: list[float],
) -> dict[str, Any]:
    c, o = feed["contact"], feed["other"]
    per_board = {k: v / opts.supervisors / opts.seconds for k, v in feed["kinds"].items()}
    lb.say("\n== wallboards (phase B)")
    lb.say(
        f"  bus events/s {feed['events_per_s'] or 0:.0f} (contact and agent events); per "
        "wallboard, messages/s: " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(per_board.items()))
    )
    lb.say(
        f"  contact.update event -> wallboard: p50 {lb.ms(lb.pct(c, 50))}  "
        f"p99 {lb.ms(lb.pct(c, 99))}  max {lb.ms(max(c) if c else None)} ms  "
        f"({len(c)} messages)  p99 < 100 ms: {'yes' if c and lb.pct(c, 99) < 0.1 else 'NO'}"
    )  # type: ignore[operator]
    lb.say(
        f"  queue/agent.update sent -> wallboard: p50 {lb.ms(lb.pct(o, 50))}  "
        f"p99 {lb.ms(lb.pct(o, 99))} ms ({len(o)} messages)"
    )
    lb.say(
        f"  frames per wallboard per s: {feed['frames'] / opts.supervisors / opts.seconds:.1f} "
        f"({'batch frames' if opts.batch else 'one message a frame'})"
    )
    lb.say(f"  wallboards cut off: {feed['closed'] or 'none'}")
    lb.say(
        f"  the wallboard processes' CPU: {feed['watcher_cpu']:.0f}% (counted in B's 'other'; "
        "2 cores = 200%)"
    )
    lb.say("\n== routing path with and without the wallboards")
    lb.say("               offer50  offer99  acc99  ping99  srvCPU")
    for name, r in (
        ("A  (none)", row_a),
        (f"B  ({opts.supervisors})", row_b),
        ("A' (none)", row_a2),
    ):
        lb.say(
            f"  {name:<11} {lb.ms(r.offer50):>7}  {lb.ms(r.offer99):>7}  {lb.ms(r.acc99):>5}  "
            f"{lb.ms(r.ping99):>6}  {r.srv_cpu:5.0f}%"
        )
    return {
        "phases": {"A": vars(row_a), "B": vars(row_b), "A2": vars(row_a2)},
        "feed": {
            "events_per_s": feed["events_per_s"],
            "per_wallboard_per_s": per_board,
            "contact_p50": lb.pct(c, 50),
            "contact_p99": lb.pct(c, 99),
            "contact_max": max(c) if c else None,
            "contact_messages": len(c),
            "other_p50": lb.pct(o, 50),
            "other_p99": lb.pct(o, 99),
            "closed": feed["closed"],
            "snapshot_p99": lb.pct(snapshots, 99),
            "watcher_cpu": feed["watcher_cpu"],
        },
    }


def main(argv: list[str] | None = None) -> None:
    opts = parse_args(argv)
    try:
        out = asyncio.run(asyncio.wait_for(run(opts), timeout=opts.max_minutes * 60))
    except TimeoutError:
        lb.say(f"\n!! stopped after --max-minutes {opts.max_minutes:g}")
        return
    if opts.json_path is not None:
        opts.json_path.write_text(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()
