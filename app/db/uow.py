"""One unit of work per entry point; side effects run only after a successful commit."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[None]]
Publish = Callable[[list[tuple[str, dict[str, Any]]]], object]


class UnitOfWork:
    """Owns the transaction. Services flush; only the entry point's `async with` commits.

    Websocket pushes and bus publishes are queued with `after_commit` and dropped on
    rollback, so nothing is announced for a transaction that did not happen.
    """

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], publish: Publish | None = None
    ) -> None:
        self._sessionmaker = sessionmaker
        self._publish = publish
        self._session: AsyncSession | None = None
        self._after: list[AfterCommit] = []
        self._events: list[tuple[str, dict[str, Any]]] = []

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._session

    def after_commit(self, effect: AfterCommit) -> None:
        self._after.append(effect)

    def emit(self, name: str, data: dict[str, Any]) -> None:
        """An event (docs/events.md) to publish on the bus once this transaction commits."""
        self._events.append((name, data))

    async def __aenter__(self) -> UnitOfWork:
        if self._session is not None:
            raise RuntimeError("unit of work is not re-entrant")
        self._session = self._sessionmaker()
        self._after, self._events = [], []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        effects, self._after = self._after, []
        events, self._events = self._events, []
        try:
            if exc_type is None:
                await session.commit()
            else:
                await session.rollback()
                return
        finally:
            await session.close()
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
