"""The customers' chat sockets: per conversation, each socket with its own bounded queue.

As for agents (app/contacts/hub.py), one writer task per socket drains its queue in order and
a socket that stops reading is closed (4008) rather than slowing the floor. A queue item is a
message or an awaitable that yields a list of them (a resume's replay from the database),
which holds its place in the order until it is ready.

No message is sent twice on one socket: the writer remembers the highest message ``seq`` it
sent, and a live message the replay already carried is skipped. A socket attaches *before*
its replay is read, so a message stored meanwhile is either in the replay or pushed live —
never neither.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable
from typing import Any, Protocol

log = logging.getLogger(__name__)

Message = dict[str, Any]
Outgoing = Message | Awaitable[list[Message]]

SLOW_CONSUMER = 4008
CLOSE_TIMEOUT = 2.0


class Socket(Protocol):
    async def send_json(self, data: Any, mode: str = "text") -> None: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


class CustomerLink:
    """One customer socket of one conversation."""

    def __init__(self, conversation_id: str, socket: Socket, lang: str, limit: int) -> None:
        self.conversation_id = conversation_id
        self.socket = socket
        self.lang = lang
        self.queue: asyncio.Queue[Outgoing] = asyncio.Queue(maxsize=limit)
        self.closed = False
        self.sent_seq = 0  # the highest message seq written to this socket
        self.close_code: int | None = None
        self._closer: asyncio.Task[None] | None = None
        self._writer = asyncio.create_task(self._write_forever(), name="ws-chat-writer")

    def put(self, item: Outgoing) -> bool:
        if self.closed:
            return False
        try:
            self.queue.put_nowait(item)
            return True
        except asyncio.QueueFull:
            log.warning("chat %s: customer socket too slow; closing it", self.conversation_id)
            self.close(SLOW_CONSUMER, "too slow: messages piled up")
            return False

    def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        self._writer.cancel()
        self._closer = asyncio.create_task(self._close(code, reason), name="ws-chat-close")

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.socket.close(code=code, reason=reason), CLOSE_TIMEOUT)

    async def stop(self) -> None:
        self.closed = True
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._writer

    async def _write_forever(self) -> None:
        while True:
            item = await self.queue.get()
            try:
                batch = [item] if isinstance(item, dict) else await item
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("chat %s: a replay failed; closing", self.conversation_id)
                self.close(1011, "could not restore the conversation; reconnect")
                return
            try:
                for message in batch:
                    if message.get("type") == "message":
                        if message["seq"] <= self.sent_seq:
                            continue  # the replay carried it already
                        self.sent_seq = message["seq"]
                    await self.socket.send_json(message)
            except asyncio.CancelledError:
                raise
            except Exception:  # gone: its receive loop sees the disconnect
                self.closed = True
                return


class Rooms:
    """conversation id → the customer's sockets (a page open in two tabs has two)."""

    def __init__(self, queue_limit: int = 256) -> None:
        self.queue_limit = queue_limit
        self._links: dict[str, set[CustomerLink]] = defaultdict(set)

    def attach(self, conversation_id: str, socket: Socket, lang: str) -> CustomerLink:
        link = CustomerLink(conversation_id, socket, lang, self.queue_limit)
        self._links[conversation_id].add(link)
        return link

    async def detach(self, link: CustomerLink) -> None:
        await link.stop()
        links = self._links.get(link.conversation_id)
        if links is not None:
            links.discard(link)
            if not links:
                del self._links[link.conversation_id]

    def send(self, conversation_id: str, message: Message) -> int:
        return sum(link.put(message) for link in list(self._links.get(conversation_id, ())))

    def connected(self, conversation_id: str) -> bool:
        return bool(self._links.get(conversation_id))

    def close_all(self, code: int = 1012, reason: str = "server restarting") -> None:
        for links in list(self._links.values()):
            for link in list(links):
                link.close(code, reason)
