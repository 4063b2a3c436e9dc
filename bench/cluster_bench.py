"""Cluster benchmark: the live benchmark's load against 1, 2 and 3 `hotline serve` processes in
shared mode (one PostgreSQL, one Redis prefix), and the time from a SIGKILL of the lease holder
to the first offer a survivor makes for a contact left offered on the dead process.

Not a test. It reuses bench/live_bench.py's pieces (demo data, agents, websocket agent bots,
the hand-written HTTP poster) and starts everything itself on 127.0.0.1:

    .venv/bin/python bench/cluster_bench.py                          # 1, 2, 3 processes
    .venv/bin/python bench/cluster_bench.py --nodes 3 --rates 20,50 --step-seconds 5   # short
    .venv/bin/python bench/cluster_bench.py --front http://127.0.0.1:8100   # through HAProxy

Agents' sockets and POSTs go to the processes round-robin (what a load balancer does), or all
through --front (a running HAProxy in front of the processes this script starts on the
ports it is given with --ports; see scripts/cluster.sh). Columns per process count and rate:
sent/s, offer/s, POST->offer p50/p99 (from the request's scheduled time), errors. Then, with two
or more processes: SIGKILL of the lease holder -> first offer by a survivor (target < 5 s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import live_bench as lb  # the sibling benchmark, imported from its directory

REDIS_URL = os.environ.get("HOTLINE_BENCH_REDIS", "redis://127.0.0.1:6379/0")


class TrackingBot(lb.AgentBot):
    """An agent bot that remembers which contacts it was offered (for the failover figure)
    and can stop answering (to leave offers open on a process about to die)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offered: dict[str, float] = {}
        self.frozen = False

    async def _on_offer(self, m: dict[str, Any], now: float) -> None:
        self.offered[str(m["contact"]["id"])] = now
        if not self.frozen:
            await super()._on_offer(m, now)


async def leader_index(bases: list[str], token: str) -> int | None:
    headers = {"Authorization": f"Bearer {token}"}
    for i, base in enumerate(bases):
        with contextlib.suppress(httpx.HTTPError):
            async with httpx.AsyncClient(base_url=base, headers=headers, timeout=5) as c:
                status = (await c.get("/api/metrics/live")).json().get("cluster") or {}
            if status.get("leader"):
                return i
    return None


async def run_nodes(opts: lb.Options, n: int, args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="hotline-cluster-bench-"))
    db = lb.Database("postgres", tmp, opts.pg_dsn, n)
    await db.create()
    prefix = f"hotline-bench-{uuid.uuid4().hex[:8]}:"
    env = lb.server_env(db, tmp) | {
        "HOTLINE_REDIS_URL": REDIS_URL,
        "HOTLINE_REDIS_PREFIX": prefix,
        "HOTLINE_SECRET_KEY": "cluster-bench",
        "HOTLINE_OFFER_TIMEOUT_SECONDS": str(args.offer_timeout),
        # N processes share PostgreSQL's 100 connections (its default max_connections): the
        # default pool of 20 + 20 each ran it dry at 2 processes ("too many clients"); the
        # processes together keep one process's 40.
        "HOTLINE_DB_POOL_SIZE": str(max(4, 20 // n)),
        "HOTLINE_DB_POOL_OVERFLOW": str(max(4, 20 // n)),
    }
    log = opts.log_dir / f"cluster_bench_{os.getpid()}_{n}.log"
    servers: list[lb.Server] = []
    bots: list[TrackingBot] = []
    posters: list[lb.RawPoster] = []
    try:
        await lb.seed_demo(opts, env, log)
        servers = [lb.Server(opts, env, log) for _ in range(n)]
        bases = [s.base for s in servers]
        async with httpx.AsyncClient(base_url=bases[0], timeout=30) as admin:
            for s, base in zip(servers, bases, strict=True):
                async with httpx.AsyncClient(base_url=base) as probe:
                    await s.wait_ready(probe)
            token, tokens = await lb.prepare_server(admin, opts)
            fronts = [args.front] if args.front else bases
            ledger = lb.Ledger()
            rng = random.Random(7)
            bots = [TrackingBot(t, ledger, random.Random(rng.random()), opts) for t in tokens]
            homes = [i % len(fronts) for i in range(len(bots))]
            await asyncio.gather(*(b.connect(fronts[h]) for b, h in zip(bots, homes, strict=True)))
            posters = [lb.poster_client(f, token, max(4, opts.connections // n)) for f in fronts]
            callers = lb.caller_stream(opts, rng)
            for rate in opts.rates:
                await step(opts, n, rate, posters, callers, ledger)
            if n >= 2 and not args.front:
                await failover(servers, bases, token, bots, homes, posters, callers)
    finally:
        for b in bots:
            with contextlib.suppress(Exception):
                await b.close()
        for p in posters:
            with contextlib.suppress(Exception):
                await p.aclose()
        for s in servers:
            s.stop()
        await db.drop()
        await clear_prefix(prefix)


async def step(
    opts: lb.Options,
    n: int,
    rate: int,
    posters: list[lb.RawPoster],
    callers: Any,
    ledger: lb.Ledger,
) -> None:
    t0 = time.monotonic()
    count = int(rate * opts.step_seconds)
    tasks = []
    for k in range(count):
        sched = t0 + k / rate
        delay = sched - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        poster = posters[k % len(posters)]
        tasks.append(asyncio.create_task(lb.post_one(poster, next(callers), sched)))
    results = await asyncio.gather(*tasks)
    await asyncio.sleep(opts.settle_seconds)
    ok = [r for r in results if r[0] is not None]
    errors = len(results) - len(ok)
    lat = []
    for cid, sched, *_ in ok:
        offer = ledger.track(str(cid)).offer
        lat.append(offer - sched)
    offered = sum(1 for x in lat if x != lb.INF)
    print(
        f"{n:>5} {rate:>6} {len(results) / opts.step_seconds:>7.1f} "
        f"{offered / opts.step_seconds:>8.1f} {lb.ms(lb.pct(lat, 50)):>9} "
        f"{lb.ms(lb.pct(lat, 99)):>9} {errors:>5}",
        flush=True,
    )


async def failover(
    servers: list[lb.Server],
    bases: list[str],
    token: str,
    bots: list[TrackingBot],
    homes: list[int],
    posters: list[lb.RawPoster],
    callers: Any,
) -> None:
    """Freeze the lease holder's agents, post until some hold open offers there, SIGKILL the
    lease holder, and time the first offer of one of those contacts to a surviving agent."""
    leader = await leader_index(bases, token)
    if leader is None:
        print("failover: no lease holder found")
        return
    doomed = [b for b, h in zip(bots, homes, strict=True) if h == leader]
    for b in doomed:
        b.frozen = True
        b.offered.clear()  # only offers left open from now on count
    alive = [p for i, p in enumerate(posters) if i != leader]
    for k in range(len(doomed) * 2):
        await lb.post_one(alive[k % len(alive)], next(callers), time.monotonic())
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.5)
    stranded = {cid for b in doomed for cid in b.offered}
    for b in doomed:
        b.closing = True  # its socket is about to die with the process
    servers[leader].proc.kill()
    killed = time.monotonic()
    survivors = [b for b in bots if b not in doomed]
    first = None
    while time.monotonic() - killed < 30:
        times = [t for b in survivors for cid, t in b.offered.items() if cid in stranded]
        times = [t for t in times if t >= killed]
        if times:
            first = min(times) - killed
            break
        await asyncio.sleep(0.05)
    shown = "none within 30 s" if first is None else f"{first:.2f} s"
    print(
        f"failover: {len(stranded)} offers open on the killed lease holder; first re-offer "
        f"by a survivor {shown} after SIGKILL"
    )


async def clear_prefix(prefix: str) -> None:
    import redis.asyncio as aioredis

    r = aioredis.from_url(REDIS_URL)
    try:
        keys = [k async for k in r.scan_iter(match=f"{prefix}*")]
        if keys:
            await r.delete(*keys)
    finally:
        await r.aclose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--nodes", default="1,2,3", help="process counts to run, in turn")
    p.add_argument("--front", default="", help="URL of a load balancer in front (optional)")
    p.add_argument("--offer-timeout", type=float, default=3.0)
    args, rest = p.parse_known_args()
    opts = lb.parse_args([*rest, "--db", "postgres"])
    print(
        f"{'procs':>5} {'rate':>6} {'sent/s':>7} {'offer/s':>8} {'offer50':>9} "
        f"{'offer99':>9} {'err':>5}"
    )
    for n in [int(x) for x in args.nodes.split(",") if x.strip()]:
        asyncio.run(run_nodes(opts, n, args))
    print(json.dumps({"done": True}))


if __name__ == "__main__":
    main()
