"""What every authenticated request checks about its account — active, role, token version —
kept in process memory so the common request reads no row.

Correctness comes from invalidation, not expiry: the staff service forgets an account as soon
as its change commits (`forget_after_commit`), before the answer to that change is sent, so
the very next request reads the row again. A load that raced with a change does not store
what it read (the generation check below). The short `ttl` only bounds how long another
server process, whose memory this one cannot clear, may go on trusting what it read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from app.db.repositories.staff import StaffRepository
from app.db.uow import UnitOfWork


@dataclass(frozen=True)
class Account:
    agent_id: int
    username: str
    role: str
    active: bool
    token_version: int


class AccountCache:
    def __init__(
        self, ttl: float = 5.0, clock: Callable[[], float] = time.monotonic, size: int = 10_000
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self.size = size
        self._entries: dict[int, tuple[Account | None, float]] = {}
        # Bumped by every forget: a load that began before a forget does not store its result.
        self._generation = 0
        self.loads = 0  # rows read, for tests and metrics

    async def get(self, uow_factory: Callable[[], UnitOfWork], agent_id: int) -> Account | None:
        """The account as it is now (None when there is no such agent)."""
        entry = self._entries.get(agent_id)
        now = self.clock()
        if entry is not None and entry[1] > now:
            return entry[0]
        generation = self._generation
        async with uow_factory() as uow:
            agent = await StaffRepository(uow.session).get_agent(agent_id)
            account = (
                None
                if agent is None
                else Account(
                    agent.id, agent.username, agent.role, agent.active, agent.token_version
                )
            )
        self.loads += 1
        if generation == self._generation:
            if len(self._entries) >= self.size:
                self._entries.clear()  # a crude bound; the next requests fill it again
            self._entries[agent_id] = (account, now + self.ttl)
        return account

    def forget(self, agent_id: int) -> None:
        self._generation += 1
        self._entries.pop(agent_id, None)

    def forget_after_commit(self, uow: UnitOfWork, agent_id: int) -> None:
        """Forget the account once `uow` commits (and again now, for loads under way)."""

        async def effect() -> None:
            self.forget(agent_id)

        self.forget(agent_id)
        uow.after_commit(effect)
