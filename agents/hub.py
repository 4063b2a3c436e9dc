"""Agent hub: who is connected on /ws/agent, and delivery of messages to them.

One agent may have several sockets (two browser tabs); every one of them gets the messages.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Socket(Protocol):
    async def send_json(self, data: Any, mode: str = "text") -> None: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


class AgentHub:
    def __init__(self) -> None:
        self._sockets: dict[int, set[Socket]] = defaultdict(set)

    def attach(self, agent_id: int, socket: Socket) -> None:
        self._sockets[agent_id].add(socket)

    def detach(self, agent_id: int, socket: Socket) -> bool:
        """Forget one socket; True when it was the agent's last."""
        sockets = self._sockets.get(agent_id)
        if sockets is None:
            return True
        sockets.discard(socket)
        if not sockets:
            del self._sockets[agent_id]
            return True
        return False

    def connected(self, agent_id: int) -> bool:
        return bool(self._sockets.get(agent_id))

    def connected_agents(self) -> list[int]:
        return list(self._sockets)

    async def disconnect(self, agent_id: int, code: int = 1012, reason: str = "") -> int:
        """Close every socket of the agent from the server side (a restart, a forced logout);
        each socket's own handler then detaches it. Returns how many were closed."""
        sockets = list(self._sockets.get(agent_id, ()))
        for socket in sockets:
            try:
                await socket.close(code=code, reason=reason)
            except Exception:  # already gone
                log.info("agent %s: a socket was already closed", agent_id)
        return len(sockets)

    async def send(self, agent_id: int, message: dict[str, Any]) -> int:
        """Deliver to every socket of the agent; returns how many took it."""
        delivered = 0
        for socket in list(self._sockets.get(agent_id, ())):
            try:
                await socket.send_json(message)
                delivered += 1
            except Exception:  # a dead socket is cleaned up by its own handler
                log.info("agent %s: a socket did not take %s", agent_id, message.get("type"))
        return delivered
