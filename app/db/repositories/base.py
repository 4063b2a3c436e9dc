"""What the repositories on the hot path stand on: an executor, and a session only if asked."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.prepared import Executor, orm


class Repository:
    """Driver statements (app/db/prepared.py) run on ``db`` as given — an ORM session, or a
    unit of work that holds a bare driver connection; ORM methods ask for ``session``,
    which a unit of work makes only then (app/db/uow.py)."""

    def __init__(self, db: Executor) -> None:
        self.db = db

    @property
    def session(self) -> AsyncSession:
        return orm(self.db)
