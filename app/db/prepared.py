"""Hot statements run on the driver connection.

Every contact pays for a handful of statements (its arrival, its wrap-up, the record's
projection). Through SQLAlchemy's execution path each of them cost ~0.8 ms of CPU on this
project's machines, several times what the driver needs to run it (see docs/benchmarks.md,
"driver statements"): most of a contact's CPU went to the database layer, not to the database.
A :class:`Prepared` statement is still written with SQLAlchemy, in a repository, and compiled
by SQLAlchemy — once per dialect — with its column types' bind and result processors; what
it skips at each run is the rest of SQLAlchemy's execution path. It runs in the transaction of
an :data:`Executor` — an ORM session, on the connection the session holds, or a unit of work
that holds a pooled connection itself and no session at all (app/db/uow.py) — on asyncpg or
aiosqlite, and the driver's errors come out as SQLAlchemy's (``IntegrityError`` and the rest),
as callers expect.

Only for statements whose shape is fixed: no expanding ``IN`` (write a constant list with
:func:`one_of`), and rows come back as light named tuples, not ORM objects.
"""

from __future__ import annotations

import collections
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple, Protocol

from sqlalchemy import ColumnElement, bindparam, exc, insert, literal_column
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Integer, NullType, String, TypeDecorator, TypeEngine
from sqlalchemy.util import greenlet_spawn

from app.db import statement_counter

log = logging.getLogger(__name__)

Processor = Callable[[Any], Any] | None


class DriverConnection:
    """A driver connection (asyncpg's or aiosqlite's, under SQLAlchemy's adapter) that
    statements run on: a session's, or one a unit of work checked out of the pool itself."""

    __slots__ = ("_attached", "_pooled", "adapter", "begin", "dialect", "postgres")

    def __init__(
        self,
        dialect: Dialect,
        adapter: Any,
        *,
        begin: bool = True,
        pooled: PoolProxiedConnection | None = None,
    ) -> None:
        self.dialect = dialect
        self.adapter = adapter
        self.postgres = dialect.name == "postgresql"
        self.begin = begin  # False: statements run without a transaction (readers)
        self._pooled = pooled  # set when this object, not a session, holds the connection
        self._attached: AsyncConnection | None = None

    def attach(self, engine: AsyncEngine) -> AsyncConnection:
        """SQLAlchemy's connection over this pooled connection, for an ORM session that joins
        the transaction the driver statements began; that session commits or rolls back the
        whole, and :meth:`finish` then only gives the connection back."""
        if self._pooled is None:
            raise RuntimeError("not a pooled driver connection")
        if self._attached is None:
            self._attached = AsyncConnection(engine, Connection(engine.sync_engine, self._pooled))
        return self._attached

    async def finish(self, *, commit: bool) -> None:
        """End the transaction on the driver and give the connection back to the pool (a
        connection checked out by :func:`checkout`; a session ends its own)."""
        pooled, self._pooled = self._pooled, None
        attached, self._attached = self._attached, None
        if attached is not None:
            await attached.close()  # its session ended the transaction
            return
        if pooled is None:
            return
        healthy = True
        try:
            await self._end(commit)
        except Exception as error:
            healthy = commit and not self._closed()  # a failed rollback leaves it unknown
            if commit:
                raise _translated(self.dialect, self.adapter, "COMMIT", [[]], error) from error
            log.warning("rollback on the driver failed; the connection is discarded: %s", error)
        finally:
            if healthy and not self._closed():
                await greenlet_spawn(pooled.close)
            else:
                await greenlet_spawn(pooled.invalidate)

    async def _end(self, commit: bool) -> None:
        adapter = self.adapter
        if self.postgres:
            transaction = adapter._transaction
            if transaction is not None:  # begun lazily by the first statement, if any
                async with adapter._execute_mutex:
                    end = transaction.commit if commit else transaction.rollback
                    await adapter._call_and_discard(end)
        else:
            driver = adapter._connection
            await (driver.commit() if commit else driver.rollback())

    def _closed(self) -> bool:
        return bool(self.postgres and self.adapter._connection.is_closed())


async def checkout(engine: AsyncEngine, *, begin: bool = True) -> DriverConnection:
    """A pooled connection for driver statements alone, no ORM session around it: the
    caller ends it with :meth:`DriverConnection.finish`."""
    pooled = await engine.raw_connection()
    return DriverConnection(engine.dialect, pooled.dbapi_connection, begin=begin, pooled=pooled)


async def session_driver(session: AsyncSession) -> DriverConnection:
    """The driver connection under ``session``'s transaction (begun if need be)."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    return DriverConnection(conn.dialect, raw.dbapi_connection)


class DriverSource(Protocol):
    """What else statements run on: a unit of work that holds its connection itself."""

    @property
    def dialect(self) -> Dialect: ...

    async def driver(self) -> DriverConnection: ...


Executor = AsyncSession | DriverSource
"""Where a :class:`Prepared` statement runs: an ORM session's transaction, or a unit of
work's own (app/db/uow.py)."""


def dialect_of(db: Executor) -> Dialect:
    return db.get_bind().dialect if isinstance(db, AsyncSession) else db.dialect


def orm(db: Executor) -> AsyncSession:
    """The ORM session for a repository method that needs one (a unit of work makes it)."""
    if isinstance(db, AsyncSession):
        return db
    session = getattr(db, "session", None)
    if not isinstance(session, AsyncSession):
        raise TypeError(f"{db!r} has no ORM session")
    return session


@dataclass(frozen=True)
class _Plan:
    """One statement compiled for one dialect."""

    sql: str
    names: tuple[str, ...]  # the driver's positional parameters, in order
    defaults: dict[str, Any]  # parameters whose value the statement carries (LIMIT 1, ...)
    binds: tuple[Processor, ...]  # per positional parameter
    row: type[NamedTuple] | None  # None: no rows come back
    columns: tuple[Any, ...]  # the result columns' SQLAlchemy types


def row_type(keys: Sequence[str]) -> type[NamedTuple]:
    """A light row class for these column names (what driver statements return)."""
    base = collections.namedtuple("Row", keys, rename=True)  # type: ignore[misc]
    key_list = tuple(keys)

    class Row(base):  # type: ignore[valid-type,misc]
        """A result row: attributes by column name, ``_mapping`` as SQLAlchemy's rows have."""

        __slots__ = ()

        @property
        def _mapping(self) -> dict[str, Any]:
            return dict(zip(key_list, self, strict=True))

    return Row  # type: ignore[return-value]


class IdList(TypeDecorator[list[int]]):
    """Integer ids as one parameter: an array on PostgreSQL, JSON text on SQLite."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(Integer))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        ids = [int(v) for v in value]
        return ids if dialect.name == "postgresql" else json.dumps(ids)


class _InIds(ColumnElement[bool]):
    inherit_cache = True
    type = NullType()  # not Boolean: SQLite would compare the whole test to 1
    _traverse_internals: ClassVar[list[tuple[str, Any]]] = [
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], ids: BindParameter[Any]) -> None:
        self.column, self.ids = column, ids


@compiles(_InIds)
def _in_json_ids(element: _InIds, compiler: Any, **kw: Any) -> str:
    column, ids = compiler.process(element.column, **kw), compiler.process(element.ids, **kw)
    return f"{column} IN (SELECT value FROM json_each({ids}))"


@compiles(_InIds, "postgresql")
def _in_array_ids(element: _InIds, compiler: Any, **kw: Any) -> str:
    column, ids = compiler.process(element.column, **kw), compiler.process(element.ids, **kw)
    return f"{column} = ANY({ids})"


def in_ids(column: ColumnElement[Any], name: str = "ids") -> ColumnElement[bool]:
    """``column`` is one of the ids given as parameter ``name`` (a list of ints), in one
    statement text whatever their number: ``= ANY(array)`` on PostgreSQL, ``IN`` over
    ``json_each`` on SQLite. (An expanding ``IN`` is re-rendered, and on PostgreSQL
    prepared anew, for every count of ids.)"""
    return _InIds(column, bindparam(name, type_=IdList()))


def one_of(column: ColumnElement[Any], values: Iterable[str]) -> ColumnElement[bool]:
    """``column IN ('a', 'b')`` with the constants in the SQL text: ``in_()`` would make
    them a parameter that SQLAlchemy expands at every run."""
    return column.in_([literal_column(_quoted(v)) for v in sorted(values)])


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class Prepared:
    """A statement built once, run on the driver (see the module's docstring)."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._plans: dict[str, _Plan] = {}
        self._results: dict[str, tuple[Processor, ...]] = {}  # per dialect, per column

    def plan(self, dialect: Dialect) -> _Plan:
        """The statement compiled for ``dialect`` (cached)."""
        found = self._plans.get(dialect.name)
        if found is None:
            found = self._plans[dialect.name] = self._compile(dialect)
        return found

    def _compile(self, dialect: Dialect) -> _Plan:
        compiled: Any = self.statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        for name in names:
            bind = compiled.binds.get(name)
            if bind is not None and (bind.expanding or bind.literal_execute):
                raise ValueError(f"a prepared statement cannot expand {name!r} at each run")
        processors = compiled._bind_processors
        defaults = {
            name: bind.effective_value
            for name, bind in compiled.binds.items()
            if name in names and not bind.required
        }
        columns = compiled._result_columns
        row = row_type([c.keyname for c in columns]) if columns else None
        return _Plan(
            sql=compiled.string,
            names=names,
            defaults=defaults,
            binds=tuple(processors.get(n) for n in names),
            row=row,
            columns=tuple(c.type for c in columns),
        )

    async def all(self, db: Executor, params: Mapping[str, Any]) -> list[Any]:
        """Every row, for these parameters."""
        return await self._run(db, [params], many=False)

    async def first(self, db: Executor, params: Mapping[str, Any]) -> Any | None:
        """The first row, or None."""
        rows = await self._run(db, [params], many=False)
        return rows[0] if rows else None

    async def many(self, db: Executor, params: Iterable[Mapping[str, Any]]) -> None:
        """Once per parameter set, in one driver call (no rows back)."""
        batch = list(params)
        if batch:
            await self._run(db, batch, many=True)

    async def _run(self, db: Executor, batch: list[Mapping[str, Any]], *, many: bool) -> list[Any]:
        conn = await (session_driver(db) if isinstance(db, AsyncSession) else db.driver())
        dialect, adapter = conn.dialect, conn.adapter
        plan = self.plan(dialect)
        args = [self._args(plan, p) for p in batch]
        statement_counter.note(len(args), plan.sql)
        try:
            if conn.postgres:
                records = await _asyncpg(adapter, plan.sql, args, many, conn.begin)
            else:
                records = await _aiosqlite(adapter, plan.sql, args, many)
        except Exception as error:
            raise _translated(dialect, adapter, plan.sql, args, error) from error
        if plan.row is None or many:
            return []
        results = self._results.get(dialect.name)
        if results is None:
            results = await self._result_processors(dialect, adapter, plan)
        make = plan.row
        return [
            make(*[v if p is None else p(v) for v, p in zip(r, results, strict=True)])
            for r in records
        ]

    async def _result_processors(
        self, dialect: Dialect, adapter: Any, plan: _Plan
    ) -> tuple[Processor, ...]:
        """The columns' result processors; some of PostgreSQL's depend on the type the
        server sends (numeric or float), learnt once from the statement's description."""
        coltypes: list[Any] = [None] * len(plan.columns)
        if dialect.name == "postgresql":
            async with adapter._execute_mutex:
                described = await adapter._connection.prepare(plan.sql)
            coltypes = [a.type.oid for a in described.get_attributes()]
        found = tuple(
            t._cached_result_processor(dialect, c)
            for t, c in zip(plan.columns, coltypes, strict=True)
        )
        self._results[dialect.name] = found
        return found

    @staticmethod
    def _args(plan: _Plan, params: Mapping[str, Any]) -> list[Any]:
        values = []
        for name, process in zip(plan.names, plan.binds, strict=True):
            value = params[name] if name in params else plan.defaults[name]
            values.append(value if process is None else process(value))
        return values


async def _asyncpg(
    adapter: Any, sql: str, args: list[list[Any]], many: bool, begin: bool
) -> Sequence[Any]:
    # The transaction begins lazily, on its first statement: this may be it.
    async with adapter._execute_mutex:
        if begin and adapter._transaction is None:
            await adapter._start_transaction()
        driver = adapter._connection
        if many:
            await driver.executemany(sql, args)
            return []
        return await driver.fetch(sql, *args[0])  # type: ignore[no-any-return]


async def _aiosqlite(adapter: Any, sql: str, args: list[list[Any]], many: bool) -> Sequence[Any]:
    # sqlite3 opens the transaction itself before a write, as it does for SQLAlchemy.
    driver = adapter._connection
    if many:
        await driver.executemany(sql, args)
        return []
    return await driver.execute_fetchall(sql, args[0])  # type: ignore[no-any-return]


def _translated(
    dialect: Dialect, adapter: Any, sql: str, args: list[list[Any]], error: Exception
) -> Exception:
    """The driver's error as SQLAlchemy raises it (IntegrityError, OperationalError, ...)."""
    dbapi: Any = dialect.loaded_dbapi
    try:
        adapter._handle_exception(error)  # raises the DB-API form of the driver's error
    except dbapi.Error as dbapi_error:
        params = args[0] if len(args) == 1 else args
        return exc.DBAPIError.instance(sql, params, dbapi_error, dbapi.Error)
    except Exception as other:
        return other
    return error


class PreparedInsert:
    """A model's row inserted by a :class:`Prepared` statement, its primary key returned.

    The model's Python-side defaults (``default=``) are filled in here, as the ORM would fill
    them, and written back to the instance, which stays transient: callers read it, the
    session never tracks it. Columns with only a server default are left to the database.
    """

    def __init__(self, model: type[Any]) -> None:
        mapper = sa_inspect(model)
        table = mapper.local_table
        (self._pk,) = table.primary_key.columns
        self._columns = [
            (mapper.get_property_by_column(c).key, c)
            for c in table.columns
            if c is not self._pk and not (c.server_default is not None and c.default is None)
        ]
        values = {c.name: bindparam(key, type_=c.type) for key, c in self._columns}
        self._statement = Prepared(insert(table).values(values).returning(self._pk))

    async def add(self, db: Executor, obj: Any) -> Any:
        """Insert ``obj``'s row in ``db``'s transaction; ``obj`` gets its id."""
        params = {}
        for key, column in self._columns:
            value = getattr(obj, key)
            if value is None and column.default is not None:
                default: Any = column.default
                value = default.arg(None) if default.is_callable else default.arg
                setattr(obj, key, value)
            params[key] = value
        row = await self._statement.first(db, params)
        assert row is not None
        setattr(obj, self._pk.key, row[0])
        return obj
