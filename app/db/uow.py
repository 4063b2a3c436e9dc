"""One unit of work per entry point; side effects run only after a successful commit."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from app.db.prepared import DriverConnection, checkout, session_driver

log = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[None]]
Publish = Callable[[list[tuple[str, dict[str, Any]]]], object]


class UnitOfWork:
    """Owns the transaction. Services flush; only the entry point's `async with` commits.

    Websocket pushes and bus publishes are queued with `after_commit` and dropped on
    rollback, so nothing is announced for a transaction that did not happen.

    The transaction is held by what the unit's work first needs: an ORM session, made when
    ``session`` is first asked for, or a pooled driver connection alone, for statements on
    the driver (app/db/prepared.py). A contact's hot transactions (its arrival, its screen
    pop, the record's projection, a plain wrap-up) so pay nothing for a session they do not
    use. A session asked for after driver statements joins their connection and transaction:
    one transaction either way, committed or rolled back as a whole.
    """

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], publish: Publish | None = None
    ) -> None:
        self._sessionmaker = sessionmaker
        self._publish = publish
        self._entered = False
        self._autocommit = False
        self._session: AsyncSession | None = None
        self._driver: DriverConnection | None = None
        self._after: list[AfterCommit] = []
        self._events: list[tuple[str, dict[str, Any]]] = []

    def reading(self) -> UnitOfWork:
        """A reader: its driver statements run without BEGIN and COMMIT (two round trips
        fewer). PostgreSQL's default isolation gives every statement its own snapshot inside
        a transaction too, so a reader loses nothing by it."""
        return self.autocommit()

    def autocommit(self) -> UnitOfWork:
        """Each driver statement of this unit commits by itself until :meth:`begin`: for a
        unit whose writes are one statement (an arrival from a known caller is one INSERT),
        which then needs no BEGIN and COMMIT round trips around it. Only PostgreSQL saves
        them; SQLite opens its transaction before a write itself, committed at the end."""
        self._autocommit = True
        return self

    async def begin(self) -> None:
        """From here on, one transaction: the writes that follow commit or roll back together
        (a no-op unless :meth:`autocommit` was asked for)."""
        if self._driver is not None:
            self._driver.begin = True  # the next statement sends BEGIN
        self._autocommit = False

    @property
    def session(self) -> AsyncSession:
        if not self._entered:
            raise RuntimeError("unit of work used outside 'async with'")
        if self._session is None:
            if self._driver is None:
                self._session = self._sessionmaker()
            else:  # joins the transaction the driver statements began
                engine = self._engine()
                assert engine is not None  # a driver connection came from its pool
                self._session = self._sessionmaker(bind=self._driver.attach(engine))
        return self._session

    @property
    def dialect(self) -> Dialect:
        bind: AsyncEngine | AsyncConnection = self._sessionmaker.kw["bind"]
        return bind.dialect

    def _engine(self) -> AsyncEngine | None:
        """The pool to check connections out of; None when sessions are bound to a connection
        (tests run inside one outer transaction): then everything goes through the session."""
        bind = self._sessionmaker.kw.get("bind")
        return bind if isinstance(bind, AsyncEngine) else None

    async def driver(self) -> DriverConnection:
        """The connection driver statements run on: the session's, if it was made, else a
        pooled connection this unit holds until it ends."""
        if not self._entered:
            raise RuntimeError("unit of work used outside 'async with'")
        if self._driver is None:
            engine = self._engine()
            if self._session is not None or engine is None:
                return await session_driver(self.session)
            self._driver = await checkout(engine, begin=not self._autocommit)
        return self._driver

    def after_commit(self, effect: AfterCommit) -> None:
        self._after.append(effect)

    def emit(self, name: str, data: dict[str, Any]) -> None:
        """An event (docs/events.md) to publish on the bus once this transaction commits."""
        self._events.append((name, data))

    async def __aenter__(self) -> UnitOfWork:
        if self._entered:
            raise RuntimeError("unit of work is not re-entrant")
        self._entered = True
        self._session, self._driver = None, None
        self._after, self._events = [], []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        driver, self._driver = self._driver, None
        self._entered = False
        effects, self._after = self._after, []
        events, self._events = self._events, []
        failed = exc_type is not None
        try:
            if session is not None:
                try:
                    await (session.rollback() if failed else session.commit())
                finally:
                    await session.close()
        finally:
            if driver is not None:  # after its session, if one joined it
                await driver.finish(commit=not failed)
        if failed:
            return
        if events and self._publish is not None:
            self._publish(events)
        for effect in effects:
            try:
                await effect()
            except Exception:  # a failed push must not undo a committed transaction
                log.exception("after-commit effect failed")


def uow_factory(
    sessionmaker: async_sessionmaker[AsyncSession], publish: Publish | None = None
) -> Callable[[], UnitOfWork]:
    def make() -> UnitOfWork:
        return UnitOfWork(sessionmaker, publish)

    return make


__all__: list[Any] = ["AfterCommit", "UnitOfWork", "uow_factory"]
