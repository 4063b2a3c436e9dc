"""The event bus between the parts of one process, or between processes through Redis.

Payloads are documented in docs/events.md. Publishing happens after commit (see UnitOfWork).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

log = logging.getLogger(__name__)


class EventBus(Protocol):
    async def publish(self, topic: str, payload: dict[str, Any]) -> None: ...

    def subscribe(self, topic: str) -> Any:
        """An async context manager yielding an async iterator of payloads."""
        ...


class InMemoryEventBus:
    """Embedded default: fan-out to subscriber queues in this process."""

    def __init__(self, maxsize: int = 1000) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self._maxsize = maxsize

    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        for queue in list(self._subscribers.get(topic, ())):
            if queue.full():  # a stalled subscriber loses its oldest event, not the publisher
                queue.get_nowait()
            queue.put_nowait(payload)

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self._maxsize)
        self._subscribers[topic].add(queue)

        async def events() -> AsyncIterator[dict[str, Any]]:
            while True:
                yield await queue.get()

        try:
            yield events()
        finally:
            self._subscribers[topic].discard(queue)


class RedisEventBus:
    """Between processes: Redis pub/sub on `<prefix>events:<topic>`."""

    def __init__(self, redis: Any, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        await self._redis.publish(f"{self._prefix}events:{topic}", json.dumps(payload))

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(f"{self._prefix}events:{topic}")

        async def events() -> AsyncIterator[dict[str, Any]]:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    try:
                        yield json.loads(message["data"])
                    except (ValueError, TypeError):
                        log.warning("dropped a malformed event on %s", topic)

        try:
            yield events()
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()
