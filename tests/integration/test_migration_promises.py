"""Migration 0012 on both backends: old complaints get a first-answer deadline (created + 24 h)
and count as answered when acknowledged; customers get the opt-outs off; and back down."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from app.db.migrate import alembic_config, upgrade
from tests.integration.test_migration_reason_codes import _execute, fresh_url  # noqa: F401


async def _columns(url: str, table: str) -> set[str]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda s: {c["name"] for c in inspect(s).get_columns(table)})
    await engine.dispose()
    return names


def _aware(value: object) -> datetime:
    if isinstance(value, str):  # SQLite hands back text
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def test_0012_backfills_the_first_answer_and_comes_back_down(fresh_url: str) -> None:  # noqa: F811
    await asyncio.to_thread(upgrade, fresh_url, "0011")
    await _execute(
        fresh_url,
        "INSERT INTO customers (name, language, is_prospect, do_not_contact, consent_marketing,"
        " consent_recording, attributes, created_at, updated_at)"
        " VALUES ('Wang', 'zh', false, false, false, true, '{}',"
        " '2026-03-01 08:00:00+00', '2026-03-01 08:00:00+00')",
        "INSERT INTO complaints (customer_id, category, severity, description, status, due_at,"
        " acknowledged_at, reopen_count, created_at, updated_at) VALUES"
        " (1, 'billing', 'low', 'x', 'acknowledged', '2026-03-02 08:00:00+00',"
        " '2026-03-01 09:00:00+00', 0, '2026-03-01 08:00:00+00', '2026-03-01 08:00:00+00'),"
        " (1, 'billing', 'low', 'y', 'open', '2026-03-03 08:00:00+00', NULL, 0,"
        " '2026-03-02 08:00:00+00', '2026-03-02 08:00:00+00')",
    )
    await asyncio.to_thread(upgrade, fresh_url, "0012")
    (rows, customers) = await _execute(
        fresh_url,
        "SELECT kind, first_answer_due_at, first_answered_at FROM complaints ORDER BY id",
        "SELECT do_not_call, do_not_message FROM customers",
    )
    (k1, due1, answered1), (k2, due2, answered2) = rows
    assert k1 == k2 == "complaint"
    assert _aware(due1) == datetime(2026, 3, 2, 8, tzinfo=UTC)
    assert _aware(answered1) == datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert _aware(due2) == datetime(2026, 3, 3, 8, tzinfo=UTC) and answered2 is None
    assert [tuple(bool(v) for v in c) for c in customers] == [(False, False)]
    await asyncio.to_thread(command.downgrade, alembic_config(fresh_url), "0011")
    assert "first_answer_due_at" not in await _columns(fresh_url, "complaints")
    assert "do_not_call" not in await _columns(fresh_url, "customers")
