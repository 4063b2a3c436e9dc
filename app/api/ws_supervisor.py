"""/ws/supervisor: the wallboard's live feed (docs/supervisor.md). A thin adapter.

Authenticated as /ws/agent is (docs/websocket.md): the token in the first message
(`{"type": "auth", "token": …}`) or an `Authorization: Bearer` header, never in the URL;
then the supervisor or admin role. The first message may carry `after` and `stream` — the
last `seq` the client handled and the stream it came from — to resume instead of taking a
new snapshot (header clients put them in the query: `?after=…&stream=…`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from app.auth.tokens import Principal
from app.auth.ws_handshake import Credentials, HandshakeRefused, authenticate
from app.deps import current_principal
from app.supervisor.feed import SharedTextSocket

log = logging.getLogger(__name__)
router = APIRouter()

BAD_RESUME = 4400  # `after` or `stream` that are not what they should be
NOT_ALLOWED = 4403  # an agent's token: the feed is for supervisors and admins
MAX_FRAME = 4096  # what a wallboard ever sends: ping, language.set
MAX_SEQ = 10**18
LANGUAGES = ("en", "zh")


@dataclass
class Resume:
    """Where a returning wallboard's picture stands (both None: it wants a snapshot)."""

    after: int | None = None
    stream: str | None = None
    batch: bool = False  # the client reads `batch` frames (docs/supervisor.md)


def _after(value: Any) -> int | None:
    """A resume point: a whole number 0..10^18, as a number or digits in a string."""
    if value is None:
        return None
    if isinstance(value, str) and value.isdigit() and len(value) <= 18:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEQ:
        raise HandshakeRefused(BAD_RESUME, "after: the last seq you handled, a whole number >= 0")
    return value


def _stream(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise HandshakeRefused(BAD_RESUME, "stream: the stream id of your last snapshot (text)")
    return value


def _batch(value: Any) -> bool:
    """`batch`: true (or "1"/"true" in the query) when the client reads `batch` frames."""
    if value is None or value is False or value in ("0", "false"):
        return False
    if value is True or value in ("1", "true"):
        return True
    raise HandshakeRefused(BAD_RESUME, "batch: true or false")


async def _handshake(ws: WebSocket) -> tuple[Principal, Resume] | None:
    """The shared handshake (app.auth.ws_handshake), then the resume point and the role;
    None once the socket is closed with the reason."""
    hotline = ws.app.state.hotline

    async def resolve(credentials: Credentials) -> tuple[Principal, Resume]:
        # The resume point is checked first: a malformed one is the client's bug whoever it is.
        fields = credentials.fields
        resume = Resume(
            _after(fields.get("after")), _stream(fields.get("stream")), _batch(fields.get("batch"))
        )
        principal = await current_principal(hotline, credentials.token)
        if not principal.has_role("supervisor"):
            raise HandshakeRefused(
                NOT_ALLOWED,
                f"the supervisor feed needs the supervisor role; you are {principal.role}",
            )
        return principal, resume

    return await authenticate(ws, hotline.settings.ws_auth_timeout_seconds, resolve)


def _error(code: str, detail: str, ref: Any = None) -> dict[str, Any]:
    return {"type": "error", "code": code, "detail": detail, "ref": ref}


def _reply(feed: Any, conn: Any, text: str | None) -> dict[str, Any] | None:
    """One frame from the wallboard: `ping`, or `language.set`; anything else an error."""
    if text is None:
        return _error("invalid", "binary frames are not read: send JSON text")
    if len(text) > MAX_FRAME:
        return _error("too_large", f"a frame is at most {MAX_FRAME} characters")
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        return _error("invalid", "not JSON: send one JSON object per frame")
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return _error("invalid", 'send a JSON object with a "type"')
    kind = message["type"]
    if kind == "ping":
        return {"type": "pong"}
    if kind == "language.set":
        lang = message.get("language")
        if lang not in LANGUAGES:
            return _error("invalid", "language: en or zh", kind)
        conn.lang = lang
        return feed.snapshot()  # the words again, in the new language
    if kind == "auth":
        return _error("invalid", "already authenticated", kind)
    return _error("invalid", f"unknown type {kind!r}: ping or language.set", kind)


@router.websocket("/ws/supervisor")
async def supervisor_socket(ws: WebSocket) -> None:
    hotline = ws.app.state.hotline
    who = await _handshake(ws)
    if who is None:
        return
    principal, shake = who
    feed = hotline.supervisor
    lang = ws.query_params.get("lang")
    await feed.caught_up()
    conn = feed.attach(
        principal.agent_id,
        SharedTextSocket(ws, feed.shared),  # each update encoded once for every wallboard
        lang if lang in LANGUAGES else "en",
        shake.after,
        shake.stream,
        shake.batch,
    )
    try:
        while not conn.closed:
            frame = await ws.receive()
            if frame["type"] == "websocket.disconnect":
                break
            reply = _reply(feed, conn, frame.get("text"))
            if reply is not None:
                conn.put(reply)
    except WebSocketDisconnect:
        pass
    finally:
        await feed.detach(conn)
