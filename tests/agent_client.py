"""A scripted agent console over a real websocket, for end-to-end tests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets

from tests.conftest import LiveServer


class AgentClient:
    def __init__(self, live: LiveServer, username: str) -> None:
        self.live = live
        self.username = username
        self.ws: Any = None
        self.seen: list[dict[str, Any]] = []
        self._pending: list[dict[str, Any]] = []

    async def connect(self) -> AgentClient:
        headers = await self.live.login(self.username)
        token = headers["Authorization"].split()[1]
        # As the console does: the token goes in the first message, never in the URL.
        self.ws = await open_agent_socket(self.live.ws_url, token)
        await self.expect("hello")
        await self.send("ping")
        await self.expect("pong")  # everything the server sends on connect came before it
        states = [m for m in self._pending if m["type"] == "state"]
        self._pending = [m for m in self._pending if m["type"] != "state"]
        self.state = states[-1] if states else None  # where the agent stands now
        return self

    async def send(self, kind: str, **fields: Any) -> None:
        await self.ws.send(json.dumps({"type": kind, **fields}))

    async def expect(self, kind: str, within: float = 5.0, **match: Any) -> dict[str, Any]:
        """The next message of this type (and fields); others are kept for later expects."""
        for i, message in enumerate(self._pending):
            if _matches(message, kind, match):
                return self._pending.pop(i)
        async with asyncio.timeout(within):
            while True:
                message = json.loads(await self.ws.recv())
                self.seen.append(message)
                if _matches(message, kind, match):
                    return message
                self._pending.append(message)

    async def nothing(self, kind: str, wait: float = 0.5) -> None:
        """No message of this type arrives within `wait` seconds."""
        try:
            got = await self.expect(kind, within=wait)
        except TimeoutError:
            return
        raise AssertionError(f"{self.username} got an unexpected {kind}: {got}")

    async def available(self) -> None:
        await self.send("state.set", state="available")
        await self.expect("state", state="available")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


async def open_agent_socket(ws_url: str, token: str, query: str = "") -> Any:
    """A /ws/agent socket, authenticated by its first message."""
    ws = await websockets.connect(f"{ws_url}/ws/agent{query}")
    await ws.send(json.dumps({"type": "auth", "token": token}))
    return ws


def _matches(message: dict[str, Any], kind: str, match: dict[str, Any]) -> bool:
    return message.get("type") == kind and all(message.get(k) == v for k, v in match.items())
