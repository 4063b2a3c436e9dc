"""Service benchmark: what one contact costs the live path, without HTTP and websockets.

Not a test. The live path is built as the server builds it (router, bus, projector, agent
notifier, screen pops, the real database), agents sit on in-memory sockets, and each contact
goes arrive -> offer (with its screen pop) -> accept -> end -> wrap-up through the service's
commands. It prints, per database, the contacts per second of this closed loop, the process
CPU per contact (every thread: the SQLite worker counts) and the SQL statements per contact
by the step that issued them — figures that hold up on a busy machine better than latencies.

    .venv/bin/python bench/service_bench.py                      # SQLite and PostgreSQL
    .venv/bin/python bench/service_bench.py --db sqlite --contacts 2000 --repeat 3

PostgreSQL: a database `hotline_svcbench_<pid>` on 127.0.0.1:5432 (user postgres), created
and dropped here. SQLite: a file in a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
from sqlalchemy import event

from app.auth.tokens import Principal
from app.contacts.commands import Accept, Arrive, End
from app.contacts.console_config import load_console_config
from app.contacts.schemas import WrapupIn
from app.contacts.wiring import LivePath, build_live_path
from app.customers.valuation import Valuation, load_grading_config
from app.db import statement_counter
from app.db.engine import make_engine, make_sessionmaker
from app.db.migrate import upgrade_async
from app.db.models import Agent, Queue
from app.staff.service import get_agent
from config.settings import Settings

PG = "postgresql://postgres@127.0.0.1:5432/postgres"


class Step:
    """The step now running on each task: statements are counted against it."""

    current: ClassVar[dict[int, str]] = {}

    @classmethod
    def name(cls) -> str:
        task = asyncio.current_task()
        return cls.current.get(id(task), "background") if task else "background"

    @classmethod
    def enter(cls, name: str) -> None:
        task = asyncio.current_task()
        if task is not None:
            cls.current[id(task)] = name


class MemorySocket:
    """An agent's socket: messages land in a queue the agent's loop reads."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def send_json(self, data: Any, mode: str = "text") -> None:
        self.inbox.put_nowait(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        pass


async def agent_loop(
    live: LivePath,
    agent: Agent,
    socket: MemorySocket,
    done: Counter[str],
    target: int,
    all_done: asyncio.Event,
) -> None:
    principal = Principal(agent.id, agent.username, agent.role)
    while True:
        m = await socket.inbox.get()
        if m.get("type") != "offer":
            continue
        cid = m["contact"]["id"]
        Step.enter("accept")
        await live.service.accept(Accept(cid, agent.id))
        Step.enter("end")
        await live.service.end(End(cid, "agent", "completed", agent.id))
        Step.enter("wrapup")
        await live.service.wrap_up(principal, WrapupIn(contact_id=cid, disposition="resolved"))
        done["contacts"] += 1
        if done["contacts"] >= target:
            all_done.set()


async def run_once(kind: str, opts: argparse.Namespace, run: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="svcbench-"))
    dbname = f"hotline_svcbench_{os.getpid()}_{run}"
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    else:
        admin = await asyncpg.connect(PG)
        await admin.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
        await admin.execute(f'CREATE DATABASE "{dbname}"')
        await admin.close()
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{dbname}"
        if opts.pg_socket:  # PostgreSQL on this machine, over its Unix socket
            url = f"postgresql+asyncpg://postgres@/{dbname}?host={opts.pg_socket}"
    try:
        return await measure(url, tmp, opts)
    finally:
        if kind != "sqlite":
            admin = await asyncpg.connect(PG)
            await admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            await admin.close()


async def measure(url: str, tmp: Path, opts: argparse.Namespace) -> dict[str, Any]:
    await upgrade_async(url)
    settings = Settings(database_url=url, var_dir=tmp, agent_grace_seconds=3600)  # type: ignore[call-arg]
    engine = make_engine(settings)
    statements: Counter[str] = Counter()
    texts: Counter[str] = Counter()

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(conn: Any, cursor: Any, sql: str, *_: Any) -> None:
        _counted(1, sql)

    def _counted(n: int, sql: str) -> None:
        statements[Step.name()] += n
        if opts.show_sql:
            texts[f"{Step.name()}: {' '.join(sql.split())[:90]}"] += n

    statement_counter.listen(_counted)  # statements run on the driver (app/db/prepared.py)

    console = load_console_config(settings.console_file)
    valuation = Valuation(load_grading_config(settings.grades_file))
    live = await build_live_path(settings, make_sessionmaker(engine), console, valuation)
    async with live.uow() as uow:
        uow.session.add(Queue(name="bench", display_name="Bench", skills=["bench"]))
        for n in range(opts.agents):
            uow.session.add(
                Agent(
                    username=f"b{n}",
                    display_name=f"Bench {n}",
                    password_hash="-",
                    role="agent",
                    skills={"bench": 3},
                )
            )
    async with live.uow() as uow:
        staff = [await get_agent(uow, n) for n in range(1, opts.agents + 1)]
        queue = await uow.session.get(Queue, 1)
        assert queue is not None
        live.center.ensure_queue(queue)
    tasks = live.start()
    done: Counter[str] = Counter()
    all_done = asyncio.Event()
    connections = []
    for agent in staff:
        socket = MemorySocket()
        connections.append(live.hub.attach(agent.id, socket))
        await live.presence.connected(agent)
        await live.presence.set_state(agent, "available", None)
        tasks.append(
            asyncio.create_task(agent_loop(live, agent, socket, done, opts.contacts, all_done))
        )
    await asyncio.sleep(0.2)
    statements.clear()
    texts.clear()
    gate = asyncio.Semaphore(opts.concurrency)

    def caller(k: int) -> str:  # fresh: a new prospect each time; pool: repeat callers
        return f"+86139{k if opts.callers == 'fresh' else k % opts.pool:08d}"

    async def one(k: int) -> None:
        async with gate:
            Step.enter("arrive")
            await live.service.arrive(
                Arrive(channel="voice", queue="bench", from_=caller(k), source="bench")
            )

    t0, wall0 = os.times(), time.perf_counter()
    await asyncio.gather(*(one(k) for k in range(opts.contacts)))
    await all_done.wait()
    await live.projector.reached(live.center.bus.last_seq, timeout=30)
    t1, wall = os.times(), time.perf_counter() - wall0
    user, sys_ = t1.user - t0.user, t1.system - t0.system
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    for conn in connections:
        await live.hub.detach(conn)
    await live.presence.stop()
    await engine.dispose()
    n = opts.contacts
    for text, count in texts.most_common(20):
        print(f"    {count / n:6.2f}  {text}")
    return {
        "rate": n / wall,
        "cpu_ms": (user + sys_) / n * 1000,
        "sys_ms": sys_ / n * 1000,
        "sql": sum(statements.values()) / n,
        "by_step": {k: v / n for k, v in sorted(statements.items())},
    }


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--contacts", type=int, default=1000)
    p.add_argument("--agents", type=int, default=50)
    p.add_argument("--concurrency", type=int, default=20, help="arrivals in flight")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--show-sql", action="store_true", help="the statements per contact")
    p.add_argument("--pg-socket", default=None, help="e.g. /var/run/postgresql")
    p.add_argument("--callers", choices=("fresh", "pool"), default="pool")
    p.add_argument("--pool", type=int, default=200, help="distinct callers with --callers pool")
    opts = p.parse_args()
    kinds = ["sqlite", "postgres"] if opts.db == "both" else [opts.db]
    print(
        f"{opts.contacts} contacts, {opts.agents} agents, {opts.concurrency} arrivals in flight,"
        f" {opts.callers} callers"
    )
    for kind in kinds:
        runs = [await run_once(kind, opts, r) for r in range(opts.repeat)]
        for r in runs:
            steps = "  ".join(f"{k} {v:.1f}" for k, v in r["by_step"].items())
            print(
                f"  {kind:8} {r['rate']:7.1f} contacts/s  {r['cpu_ms']:5.2f} ms CPU/contact"
                f" ({r['sys_ms']:4.2f} in the kernel)"
                f"  {r['sql']:5.1f} SQL/contact ({steps})"
            )
        print(
            f"  {kind:8} median: {statistics.median(r['rate'] for r in runs):.1f} contacts/s, "
            f"{statistics.median(r['cpu_ms'] for r in runs):.2f} ms CPU/contact, "
            f"{statistics.median(r['sql'] for r in runs):.1f} SQL/contact"
        )


if __name__ == "__main__":
    asyncio.run(main())
