"""/ws/agent: the agent console's live channel (docs/websocket.md). A thin adapter."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from app.auth.tokens import Principal
from app.auth.ws_handshake import Credentials, authenticate
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


async def _authenticate(ws: WebSocket, hotline: Hotline) -> tuple[Principal, Agent] | None:
    """Accept the socket and learn whose it is (app.auth.ws_handshake), or close it with a
    code and return None."""

    async def resolve(credentials: Credentials) -> tuple[Principal, Agent]:
        principal = await current_principal(hotline, credentials.token)
        async with hotline.uow() as uow:
            agent = await get_agent(uow, principal.agent_id)
        return principal, agent

    return await authenticate(ws, hotline.settings.ws_auth_timeout_seconds, resolve)


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
    who = await _authenticate(ws, hotline)
    if who is None:
        return
    principal, agent = who
    session = AgentSession(
        hotline.contacts, hotline.presence, hotline.console, principal, agent, hotline.chat
    )
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
