"""Engine and session factory, made from Settings at start-up (never at import)."""

from __future__ import annotations

import contextlib
import logging
import time
import weakref
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from app.db.statement_counter import install_from_env
from config.settings import Settings

log = logging.getLogger(__name__)


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
        _track_checkouts(engine)
        install_from_env(engine)  # benchmarks only (HOTLINE_BENCH_SQL_COUNTER)
        return engine
    kwargs = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_pool_overflow,
    } | kwargs
    engine = create_async_engine(url, **kwargs)
    _ping_when_idle(engine)
    _track_checkouts(engine)
    install_from_env(engine)  # benchmarks only (HOTLINE_BENCH_SQL_COUNTER)
    return engine


IDLE_BEFORE_PING = 10.0
"""Seconds a pooled connection may rest before it is checked on its way out of the pool."""


def _ping_when_idle(engine: AsyncEngine) -> None:
    # A connection that rested may have been dropped (a database restart, an idle timeout in
    # a proxy): it is pinged before use and replaced if dead, as `pool_pre_ping` would. But a
    # busy pool's connections were in use a moment ago; pinging each of them on every
    # checkout cost a round trip and ~8 % of the server's CPU under load, for nothing.
    @event.listens_for(engine.sync_engine, "checkin")
    def _rested_from(_dbapi_conn: Any, record: Any) -> None:
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping_if_rested(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("checked_in")
        if since is None or time.monotonic() - since < IDLE_BEFORE_PING:
            return  # new, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as e:
            # The pool discards this connection and checks out another (SQLAlchemy's
            # documented pessimistic disconnect handling).
            raise exc.DisconnectionError() from e


_CHECKED_OUT: weakref.WeakKeyDictionary[Any, dict[int, Any]] = weakref.WeakKeyDictionary()


def _track_checkouts(engine: AsyncEngine) -> None:
    # The pool forgets a connection while it is checked out, so `dispose()` cannot close it.
    # A task cancelled mid-statement at shutdown can keep its connection out for good, and
    # with it a transaction and its locks on the database; `close_engine` ends those.
    out: dict[int, Any] = {}
    _CHECKED_OUT[engine.sync_engine] = out

    @event.listens_for(engine.sync_engine, "checkout")
    def _out(_dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        out[id(record)] = record

    @event.listens_for(engine.sync_engine, "checkin")
    def _in(_dbapi_conn: Any, record: Any) -> None:
        out.pop(id(record), None)


async def close_engine(engine: AsyncEngine) -> None:
    """Close the pool and every connection still checked out of it.

    Call it last, once nothing uses the engine any more: a connection still out then belongs
    to a task that was cancelled before it could give it back, and is ended at once (its
    transaction rolls back on the server) instead of outliving the app with its locks.
    """
    await engine.dispose()
    out = _CHECKED_OUT.get(engine.sync_engine, {})
    for record in list(out.values()):
        dbapi_conn = record.dbapi_connection
        if dbapi_conn is None:
            continue
        log.warning("a database connection was still in use at shutdown; it is closed")
        with contextlib.suppress(Exception):  # already broken: nothing left to end
            engine.dialect.do_terminate(dbapi_conn)
    out.clear()


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
