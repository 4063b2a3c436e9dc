"""After a bulk job on PostgreSQL, the planner knows the tables as they are now.

`hotline demo` (and `import`, `regrade`) run ANALYZE when done: a database used before
autovacuum got round to it, or copied from one as a template, had no statistics, and the
planner chose plans that read whole tables per statement (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import asyncpg

from tests.conftest import PG_ADMIN, _pg_admin, _pg_url, run_in_thread
from tests.e2e.test_cli import run_hotline


async def _analyzed(name: str) -> dict[str, bool]:
    conn = await asyncpg.connect(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}")
    try:
        rows = await conn.fetch(
            "SELECT relname, last_analyze IS NOT NULL AS done FROM pg_stat_user_tables"
            " WHERE relname IN"
            " ('customers', 'customer_identities', 'customer_values', 'interactions')"
        )
    finally:
        await conn.close()
    return {r["relname"]: r["done"] for r in rows}


def test_demo_leaves_postgresql_with_fresh_statistics(tmp_path: Path) -> None:
    name = f"hotline_stats_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    run_in_thread(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        demo = run_hotline("demo", "--customers", "60", tmp_path=tmp_path, url=_pg_url(name))
        assert demo.returncode == 0, demo.stderr
        # last_analyze is set by an explicit ANALYZE only (autovacuum sets last_autoanalyze).
        assert asyncio.run(_analyzed(name)) == {
            "customers": True,
            "customer_identities": True,
            "customer_values": True,
            "interactions": True,
        }
    finally:
        run_in_thread(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
