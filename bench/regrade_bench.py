"""Bulk regrade benchmark on PostgreSQL: generates customers and transactions, times `regrade`.

    .venv/bin/python bench/regrade_bench.py [--customers 1000000] [--transactions 10000000]

Creates its own database (hotline_bench_<pid>) on HOTLINE_TEST_PG's server and drops it after.
Prints the generation time, the regrade time per phase and the peak memory of this process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import time

import asyncpg

from app.customers.valuation import Valuation, load_grading_config, regrade_base
from app.db.engine import make_engine, make_sessionmaker
from app.db.migrate import upgrade
from app.db.uow import UnitOfWork
from config.settings import CONFIG_DIR, Settings

ADMIN = os.environ.get("HOTLINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


async def generate(dsn: str, customers: int, transactions: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            """INSERT INTO customers (id, name, language, is_prospect, do_not_contact,
                   consent_marketing, consent_recording, attributes, created_at, updated_at)
               SELECT g, 'customer ' || g, 'zh', false, false, false, true, '{}',
                      now() - random() * interval '1500 days', now()
               FROM generate_series(1, $1) g""",
            customers,
        )
        # Skewed spend: a few customers buy much more often (squared uniform), amounts Pareto-ish.
        batch = 1_000_000
        for start in range(0, transactions, batch):
            n = min(batch, transactions - start)
            await conn.execute(
                """INSERT INTO transactions (customer_id, amount, margin, occurred_at, created_at)
                   SELECT 1 + floor(power(random(), 2) * $1)::int,
                          round((20 + 2000 * power(random(), 4))::numeric, 2),
                          CASE WHEN random() < 0.9
                               THEN round((5 + 500 * power(random(), 4))::numeric, 2) END,
                          now() - random() * interval '1000 days', now()
                   FROM generate_series(1, $2)""",
                customers,
                n,
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--transactions", type=int, default=10_000_000)
    args = parser.parse_args()
    name = f"hotline_bench_{os.getpid()}"
    admin = await asyncpg.connect(ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    url = dsn.replace("postgresql://", "postgresql+asyncpg://")
    try:
        await asyncio.to_thread(upgrade, url)
        t0 = time.perf_counter()
        await generate(dsn, args.customers, args.transactions)
        print(
            f"generated {args.customers:,} customers, {args.transactions:,} transactions "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        settings = Settings(database_url=url)
        engine = make_engine(settings)
        valuation = Valuation(load_grading_config(CONFIG_DIR / "grades.yaml"))
        phases: dict[str, float] = {}
        started = time.perf_counter()

        def progress(phase: str, done: int, total: int) -> None:
            phases[phase] = time.perf_counter() - started

        async with UnitOfWork(make_sessionmaker(engine)) as uow:
            graded, changed = await regrade_base(uow, valuation, progress)
        total = time.perf_counter() - started
        await engine.dispose()
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"regrade: {graded:,} customers graded, {changed:,} grade moves recorded")
        print(f"  aggregate (SQL GROUP BY, streamed)  done at {phases.get('aggregate', 0):7.1f} s")
        print(f"  grade (pure pyramid, RFM, CLV, ...) done at {phases.get('grade', 0):7.1f} s")
        print(f"  store (+ commit)                    done at {total:7.1f} s")
        print(
            f"  total {total:.1f} s, {graded / total:,.0f} customers/s, peak RSS {peak_mib:,.0f} MiB"
        )
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
