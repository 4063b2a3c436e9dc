"""/ws/agent: the agent console's live channel (docs/websocket.md). A thin adapter."""

from __future__ import annotations

import asyncio
import json
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from app.auth.tokens import Principal
from app.contacts.agent_session import (
    LANGUAGES,
    AgentSession,
    StrictJSONSocket,
    contacts_today,
)
from app.contacts.hub import Connection, Replay
from app.container import Hotline
from app.db.models import Agent
from app.deps import current_principal
from app.errors import DomainError
from app.staff.service import get_agent

log = logging.getLogger(__name__)
router = APIRouter()


# Close codes of the handshake (docs/websocket.md).
AUTH_FAILED = 4401  # no token, a bad or revoked one, or no auth message in time
TOKEN_IN_URL = 4400  # ?token= is refused: URLs end up in logs
MAX_AUTH_FRAME = 8192  # characters; nobody unauthenticated gets to send more


def _header_token(ws: WebSocket) -> str | None:
    """`Authorization: Bearer …`, for clients that can set headers (not browsers)."""
    header = ws.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


async def _first_message_token(ws: WebSocket, deadline: float) -> str | None:
    """The token of the first frame, `{"type": "auth", "token": "…"}`, sent within `deadline`
    seconds; None for anything else (late, not that message)."""
    try:
        async with asyncio.timeout(deadline):
            frame = await ws.receive()
    except TimeoutError:
        return None
    if frame["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(frame.get("code", 1000))
    text = frame.get("text")
    if not text or len(text) > MAX_AUTH_FRAME:
        return None
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(message, dict) or message.get("type") != "auth":
        return None
    token = message.get("token")
    return token if isinstance(token, str) else None


async def _authenticate(ws: WebSocket, hotline: Hotline) -> tuple[Principal, Agent] | None:
    """Accept the socket and learn whose it is, or close it with a code and return None.

    Accepted before any check: a browser cannot read a refused handshake's status, but it
    reads a close code and reason."""
    await ws.accept()
    if "token" in ws.query_params:
        await ws.close(TOKEN_IN_URL, 'token in the URL refused: send {"type":"auth"} first')
        return None
    token = _header_token(ws)
    if token is None:
        token = await _first_message_token(ws, hotline.settings.ws_auth_timeout_seconds)
    if token is None:
        await ws.close(AUTH_FAILED, 'log in first: send {"type":"auth","token":…} first')
        return None
    try:
        principal = await current_principal(hotline, token)
        async with hotline.uow() as uow:
            agent = await get_agent(uow, principal.agent_id)
    except DomainError:
        await ws.close(AUTH_FAILED, "log in first: bad, expired or revoked token")
        return None
    return principal, agent


async def _replay(session: AgentSession, conn: Connection) -> Replay | None:
    """The live state for a console that (re)connects; on a fault the socket is closed, so
    that the console reconnects and asks again rather than showing an empty desk."""
    seq = session.center.bus.last_seq  # the replay shows at least every event up to here
    try:
        return Replay(await session.live_messages(), seq)
    except Exception:
        log.exception("agent %s: could not replay the live state; closing", conn.agent_id)
        conn.close(1011, "could not restore your live contacts; reconnecting")
        return None


@router.websocket("/ws/agent")
async def agent_socket(ws: WebSocket) -> None:
    hotline = ws.app.state.hotline
    try:
        who = await _authenticate(ws, hotline)
    except WebSocketDisconnect:
        return
    if who is None:
        return
    principal, agent = who
    session = AgentSession(hotline.contacts, hotline.presence, hotline.console, principal, agent)
    lang = ws.query_params.get("lang")
    session.lang = lang if lang in LANGUAGES else "en"
    hub = hotline.hub
    conn = hub.attach(agent.id, StrictJSONSocket(ws), session.lang)
    try:
        conn.put(session.hello())
        await session.presence.connected(agent, await contacts_today(hotline.contacts, agent.id))
        # The replay of what is live holds its place in the queue: events from now on go out
        # after it, never before it (a stale "busy" must not follow the "ended" it predates).
        conn.put(asyncio.ensure_future(_replay(session, conn)))
        while not conn.closed:
            frame = await ws.receive()
            if frame["type"] == "websocket.disconnect":
                break
            # Every frame gets its replies or one `error`; none ends the session.
            replies = await session.receive(frame)
            conn.lang = session.lang
            for reply in replies:
                conn.put(reply)
    except WebSocketDisconnect:
        pass
    finally:
        if await hub.detach(conn):
            try:
                await session.presence.disconnected(agent.id)
            except DomainError as exc:
                log.info("agent %s disconnect: %s", agent.id, exc.message)
