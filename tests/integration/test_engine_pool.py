"""The PostgreSQL pool: a connection that rested and died meanwhile is replaced, not used."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import text

from app.db import engine as engine_module
from app.db.engine import make_engine
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
