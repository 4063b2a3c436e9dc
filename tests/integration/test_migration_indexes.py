"""Migration 0008 on both backends: the indexes an agent's day reads by, up and down."""

from __future__ import annotations

import asyncio

from alembic import command
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from app.db.migrate import alembic_config, upgrade
from tests.integration.test_migration_reason_codes import fresh_url  # noqa: F401  (fixture)

DAY = {"ix_interactions_agent_answered", "ix_interactions_offered"}


async def _indexes(url: str, table: str = "interactions") -> set[str]:
    """The names of ``table``'s indexes in the database at ``url``."""
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(
            lambda sync: {i["name"] for i in inspect(sync).get_indexes(table)}
        )
    await engine.dispose()
    return names


async def test_the_day_indexes_come_and_go_with_0008(fresh_url: str) -> None:  # noqa: F811
    await asyncio.to_thread(upgrade, fresh_url, "0007")
    assert not DAY & await _indexes(fresh_url)
    await asyncio.to_thread(upgrade, fresh_url, "0008")
    assert DAY <= await _indexes(fresh_url)
    await asyncio.to_thread(command.downgrade, alembic_config(fresh_url), "0007")
    assert not DAY & await _indexes(fresh_url)
