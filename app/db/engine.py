"""Engine and session factory, made from Settings at start-up (never at import)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from config.settings import Settings


def make_engine(settings: Settings, **kwargs: Any) -> AsyncEngine:
    url = settings.effective_database_url
    if url.startswith("sqlite"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        # One connection, shared in turn: SQLite has one writer, and writers that contend for
        # it wait in SQLite's busy handler, which sleeps in growing steps (up to 100 ms) —
        # seconds of latency under load. Queued in the pool, they wait only for each other.
        kwargs = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 60} | kwargs
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        _sqlite_pragmas(engine)
        return engine
    return create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers run beside the one writer.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    # Objects stay readable after commit: responses are built after the transaction ends.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
