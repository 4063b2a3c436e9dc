"""The PostgreSQL pool: a connection that rested and died meanwhile is replaced, not used."""

from __future__ import annotations

import contextlib

import asyncpg
import pytest
from sqlalchemy import text

from app.db import engine as engine_module
from app.db.engine import close_engine, make_engine
from config.settings import Settings
from tests.conftest import PG_ADMIN


async def _backend_pid(engine: engine_module.AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(pid: int) -> None:
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


async def test_a_rested_connection_killed_by_the_server_is_replaced(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(Settings(database_url=pg_url, db_pool_size=1, db_pool_overflow=0))
    try:
        first = await _backend_pid(engine)  # the pool now keeps this one connection
        await _terminate(first)  # as a database restart or a proxy's idle timeout would
        monkeypatch.setattr(engine_module, "IDLE_BEFORE_PING", 0.0)  # it has rested long enough
        second = await _backend_pid(engine)
        assert second != first
    finally:
        await engine.dispose()


async def test_a_connection_in_use_a_moment_ago_is_not_pinged(pg_url: str) -> None:
    engine = make_engine(Settings(database_url=pg_url, db_pool_size=1, db_pool_overflow=0))
    pings = 0
    real_ping = engine.dialect.do_ping

    def counting_ping(dbapi_conn: object) -> bool:
        nonlocal pings
        pings += 1
        return real_ping(dbapi_conn)

    engine.dialect.do_ping = counting_ping  # type: ignore[method-assign]
    try:
        pids = {await _backend_pid(engine) for _ in range(5)}
        assert len(pids) == 1  # one pooled connection, reused
        assert pings == 0
    finally:
        await engine.dispose()


async def _backends_in(database: str) -> set[int]:
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        rows = await admin.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
        return {row["pid"] for row in rows}
    finally:
        await admin.close()


async def test_closing_the_engine_ends_a_connection_left_checked_out(pg_url: str) -> None:
    # As a task cancelled mid-transaction at shutdown leaves it: out of the pool, in a
    # transaction, holding a lock. `dispose()` alone cannot reach it.
    engine = make_engine(Settings(database_url=pg_url, db_pool_size=2, db_pool_overflow=0))
    leaked = await engine.connect()
    await leaked.begin()
    await leaked.execute(text("LOCK TABLE queues IN ACCESS SHARE MODE"))
    pid = int((await leaked.execute(text("SELECT pg_backend_pid()"))).scalar_one())
    returned = await _backend_pid(engine)  # a connection given back to the pool
    database = pg_url.rsplit("/", 1)[1]
    assert {pid, returned} <= await _backends_in(database)

    await close_engine(engine)

    assert await _backends_in(database) == set()  # both ended: the leaked one's lock with it
    with contextlib.suppress(Exception):  # already ended on the server
        await leaked.invalidate()
