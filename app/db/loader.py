"""Batched lookups: concurrent callers share one database trip (the DataLoader pattern).

What a contact costs the live path is counted in round trips to the database, not rows:
each statement is a trip to PostgreSQL or a hop to SQLite's worker thread. A loader lets
many callers ask for one key each while a single batch serves them all: every key asked for
while a batch is running waits for the next one. Under light load a batch holds one key (no
added delay); under heavy load batches grow and the cost per key falls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BatchLoader(Generic[K, V]):
    def __init__(
        self, load: Callable[[list[K]], Awaitable[dict[K, V]]], max_batch: int = 64
    ) -> None:
        """``load(keys)`` returns the values it found; a key it leaves out gets None."""
        self._load = load
        self._max = max_batch
        self._pending: dict[K, asyncio.Future[V | None]] = {}
        self._worker: asyncio.Task[None] | None = None

    async def get(self, key: K) -> V | None:
        """The value for ``key``, from the next batch; a batch's failure is every caller's."""
        future = self._pending.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._pending[key] = future
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain(), name="batch-loader")
        # Shielded: one caller giving up does not cancel the others' shared result.
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        while self._pending:
            keys = list(self._pending)[: self._max]
            batch = {k: self._pending.pop(k) for k in keys}
            try:
                found = await self._load(keys)
            except asyncio.CancelledError:
                for future in batch.values():
                    future.cancel()
                raise
            except Exception as exc:  # every caller of the batch sees the fault
                for future in batch.values():
                    if not future.done():
                        future.set_exception(exc)
                        future.exception()  # retrieved here: a caller gone is not a warning
                continue
            for key, future in batch.items():
                if not future.done():
                    future.set_result(found.get(key))
