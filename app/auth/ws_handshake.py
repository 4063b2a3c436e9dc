"""The websocket handshake /ws/agent and /ws/supervisor share (docs/websocket.md,
"Authentication"): the token in the first message or an `Authorization: Bearer` header, never
in the URL, within a deadline.

Endpoint modules may not import each other (import-linter), so the handshake lives here; each
endpoint passes what it does with the token (``resolve``: whose account it is, the role it
needs, what else the first message says) and gets that back, or None once the socket is closed
with the code and reason of the refusal.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import WebSocket, WebSocketDisconnect

from app.errors import DomainError

AUTH_FAILED = 4401  # no token, a bad or revoked one, or no auth message in time
TOKEN_IN_URL = 4400  # ?token= is refused: URLs end up in logs
MAX_AUTH_FRAME = 8192  # characters; nobody unauthenticated gets to send more
LOG_IN_FIRST = 'log in first: send {"type":"auth","token":…} first'

T = TypeVar("T")


class HandshakeRefused(Exception):
    """Why a socket is closed during the handshake: its close code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Credentials:
    """The token, and the other fields of the auth message — or of the query, for a client
    that authenticated with the header (it has no auth message to put them in)."""

    token: str
    fields: Mapping[str, Any] = field(default_factory=dict)


def _header_token(ws: WebSocket) -> str | None:
    """`Authorization: Bearer …`, for clients that can set headers (not browsers)."""
    header = ws.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


async def _first_message(ws: WebSocket, deadline: float) -> Credentials:
    """The first frame, `{"type": "auth", "token": "…", …}`, sent within ``deadline`` seconds."""
    try:
        async with asyncio.timeout(deadline):
            frame = await ws.receive()
    except TimeoutError:
        raise HandshakeRefused(AUTH_FAILED, LOG_IN_FIRST) from None
    if frame["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(frame.get("code", 1000))
    text = frame.get("text")
    message: Any = None
    if text and len(text) <= MAX_AUTH_FRAME:
        try:
            message = json.loads(text)
        except (ValueError, RecursionError):
            message = None
    if not isinstance(message, dict) or message.get("type") != "auth":
        raise HandshakeRefused(AUTH_FAILED, LOG_IN_FIRST)
    token = message.get("token")
    if not isinstance(token, str):
        raise HandshakeRefused(AUTH_FAILED, "log in first: the auth message needs a token")
    return Credentials(token, message)


async def read_credentials(ws: WebSocket, deadline: float) -> Credentials:
    """Accept the socket and read its credentials; HandshakeRefused when there are none.

    Accepted before any check: a browser cannot read a refused handshake's status, but it
    reads a close code and reason."""
    await ws.accept()
    if "token" in ws.query_params:
        raise HandshakeRefused(TOKEN_IN_URL, 'token in the URL refused: send {"type":"auth"} first')
    token = _header_token(ws)
    if token is not None:
        return Credentials(token, dict(ws.query_params))
    return await _first_message(ws, deadline)


async def authenticate(
    ws: WebSocket, deadline: float, resolve: Callable[[Credentials], Awaitable[T]]
) -> T | None:
    """The whole handshake: credentials, then ``resolve`` (which raises HandshakeRefused, or
    a DomainError for a token that is bad, expired or revoked). Returns what ``resolve``
    returns, or None when the socket was refused (and closed) or the client went away."""
    try:
        credentials = await read_credentials(ws, deadline)
        try:
            return await resolve(credentials)
        except DomainError:
            raise HandshakeRefused(
                AUTH_FAILED, "log in first: bad, expired or revoked token"
            ) from None
    except WebSocketDisconnect:
        return None
    except HandshakeRefused as refused:
        await ws.close(refused.code, refused.reason)
        return None
