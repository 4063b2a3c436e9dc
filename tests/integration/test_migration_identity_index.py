"""Migration 0015 on both backends: a customer's identities by (customer_id, kind, value).

"The customer's first phone" (the supervisor feed's new callers, today's list, callbacks) must
read one index entry, not every phone of every customer.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from sqlalchemy import select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import create_async_engine

from app.db.migrate import alembic_config, upgrade
from app.db.models import Customer
from app.db.repositories.customers import first_phone
from tests.integration.test_migration_indexes import _indexes as table_indexes
from tests.integration.test_migration_reason_codes import fresh_url  # noqa: F401  (fixture)

NEW, OLD = "ix_customer_identities_customer_kind", "ix_customer_identities_customer_id"


async def _indexes(url: str) -> set[str]:
    return await table_indexes(url, "customer_identities")


async def test_0015_replaces_the_customer_id_index_and_back(fresh_url: str) -> None:  # noqa: F811
    await asyncio.to_thread(upgrade, fresh_url, "0014")
    assert OLD in await _indexes(fresh_url)
    await asyncio.to_thread(upgrade, fresh_url, "head")
    names = await _indexes(fresh_url)
    assert NEW in names and OLD not in names
    await asyncio.to_thread(command.downgrade, alembic_config(fresh_url), "0014")
    names = await _indexes(fresh_url)
    assert OLD in names and NEW not in names


async def test_the_first_phone_reads_the_customers_own_entries_on_sqlite(tmp_path: Path) -> None:
    """SQLite has no statistics unless ANALYZE runs: with only (customer_id) indexed it took
    min(value) from the unique (kind, value) index, reading every customer's phone."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'plan.db'}"
    await asyncio.to_thread(upgrade, url, "head")
    stmt = select(first_phone(Customer.id)).where(Customer.id == 5)
    sql = str(stmt.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        plan = " ".join(str(r) for r in await conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    await engine.dispose()
    assert f"COVERING INDEX {NEW} (customer_id=? AND kind=?)" in plan, plan
