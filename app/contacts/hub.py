"""Agent sockets: who is connected on /ws/agent, each with its own bounded send queue.

Every socket has one writer task that drains its queue in order, so a message pushed by the
notifier and a reply to the agent's own request never interleave out of order. A queue item
is a message or an awaitable that produces one (a screen pop still being built): order is
kept while the pops are built concurrently. A socket whose queue fills up — the browser
stopped reading — is closed with code 4008 and never slows anyone else.

One live console per agent: a new socket of an agent takes over, and the agent's older ones
are closed with code 4409 (their pages say so and offer to take it back). The new socket is
attached before the old ones go, so the agent never counts as disconnected in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple, Protocol

log = logging.getLogger(__name__)

Message = dict[str, Any]


class Replay(NamedTuple):
    """What is live for a console that (re)connects, as of event ``seq`` or later: messages
    of events up to ``seq`` that are queued behind it are stale, and are dropped."""

    messages: list[Message]
    seq: int


# A message, or one in the making (a screen pop, a reconnect's replay) that holds its place
# in the socket's order until it is ready.
Outgoing = Message | Awaitable[Message | Replay | None]
Localize = Callable[[Message, str], Message]

SLOW_CONSUMER = 4008  # close code: the client did not read its messages in time
TAKEN_OVER = 4409  # close code: the agent opened the console in another window
CLOSE_TIMEOUT = 2.0


class Socket(Protocol):
    async def send_json(self, data: Any, mode: str = "text") -> None: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


class Connection:
    """One socket of one agent, with its language and its send queue."""

    def __init__(
        self, agent_id: int, socket: Socket, lang: str, limit: int, localize: Localize
    ) -> None:
        self.agent_id = agent_id
        self.socket = socket
        self.lang = lang
        self.queue: asyncio.Queue[Outgoing] = asyncio.Queue(maxsize=limit)
        self.closed = False
        # Messages of events up to here are in a replay already sent (see Replay).
        self.replayed_seq: int | None = None
        self._closer: asyncio.Task[None] | None = None
        self._localize = localize
        self._writer = asyncio.create_task(self._write_forever(), name=f"ws-agent-{agent_id}")

    def put(self, item: Outgoing) -> bool:
        """Queue a message; False (and the socket is being closed) when the queue is full."""
        if self.closed:
            return False
        try:
            self.queue.put_nowait(item)
            return True
        except asyncio.QueueFull:
            log.warning(
                "agent %s: socket too slow, %d messages queued; closing it",
                self.agent_id,
                self.queue.qsize(),
            )
            self.close(SLOW_CONSUMER, "too slow: messages piled up")
            return False

    def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self._writer.cancel()
        self._closer = asyncio.create_task(
            self._close(code, reason), name=f"ws-agent-close-{self.agent_id}"
        )

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
                # shield: this socket closing must not cancel a pop other sockets await too
                message = item if isinstance(item, dict) else await asyncio.shield(item)
            except asyncio.CancelledError:
                raise
            except Exception:  # the builder logged and handled its own failure
                continue
            if message is None:
                continue
            if isinstance(message, Replay):
                batch, self.replayed_seq = message.messages, message.seq
            elif self.replayed_seq is not None and message.get("seq", math.inf) <= (
                self.replayed_seq
            ):
                continue  # an event the replay already showed
            else:
                batch = [message]
            kind = None
            try:
                for one in batch:
                    kind = one.get("type")
                    await self.socket.send_json(self._localize(one, self.lang))
            except asyncio.CancelledError:
                raise
            except Exception:  # gone: its receive loop sees the disconnect and detaches it
                log.info("agent %s: socket did not take %s", self.agent_id, kind)
                self.closed = True
                return


def _as_is(message: Message, lang: str) -> Message:
    return message


class AgentHub:
    def __init__(self, queue_limit: int = 256, localize: Localize = _as_is) -> None:
        self.queue_limit = queue_limit
        self.localize = localize
        self._conns: dict[int, set[Connection]] = defaultdict(set)

    def attach(self, agent_id: int, socket: Socket, lang: str = "en") -> Connection:
        """The agent's socket from now on; the agent's other sockets are closed (4409)."""
        conn = Connection(agent_id, socket, lang, self.queue_limit, self.localize)
        older = list(self._conns[agent_id])
        self._conns[agent_id].add(conn)
        for old in older:
            # Still in the set until its own handler detaches it, so that detaching it never
            # looks like the agent's last socket going (no "connection lost" break).
            old.close(TAKEN_OVER, "taken over by another window")
        return conn

    async def detach(self, conn: Connection) -> bool:
        """Forget one socket; True when it was the agent's last."""
        await conn.stop()
        conns = self._conns.get(conn.agent_id)
        if conns is None:
            return True
        conns.discard(conn)
        if not conns:
            del self._conns[conn.agent_id]
            return True
        return False

    def connected(self, agent_id: int) -> bool:
        return bool(self._conns.get(agent_id))

    def connected_agents(self) -> list[int]:
        return list(self._conns)

    def send(self, agent_id: int, item: Outgoing) -> int:
        """Queue for every socket of the agent (never waits); returns how many took it."""
        return sum(conn.put(item) for conn in list(self._conns.get(agent_id, ())))

    def disconnect(self, agent_id: int, code: int = 1012, reason: str = "") -> int:
        """Close every socket of the agent from the server side (a restart, a revoked
        session); each socket's own handler then detaches it. Returns how many."""
        conns = list(self._conns.get(agent_id, ()))
        for conn in conns:
            conn.close(code, reason)
        return len(conns)
