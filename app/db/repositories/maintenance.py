"""Upkeep of the database itself, for the command line's bulk jobs."""

from __future__ import annotations

from sqlalchemy import text

from app.db.repositories.base import Repository


class MaintenanceRepository(Repository):
    async def refresh_statistics(self) -> None:
        """Have PostgreSQL's planner learn the tables as they are now, after a bulk load.

        Until autovacuum gets round to it (and never, in a database copied from this one as a
        template before it did), the planner guesses the tables' sizes and spreads, and may
        choose scans that read a whole table per statement. SQLite is left as it is: without
        ``sqlite_stat1`` its planner follows the indexes, which its queries are written for.
        """
        session = self.session
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(text("ANALYZE"))
