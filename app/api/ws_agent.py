"""/ws/agent: the agent console's live channel (docs/websocket.md). A thin adapter."""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from app.contacts.agent_session import LANGUAGES, AgentSession, contacts_today, error_message
from app.deps import current_principal
from app.errors import DomainError, Invalid
from app.staff.service import get_agent

log = logging.getLogger(__name__)
router = APIRouter()


def _token(ws: WebSocket) -> str | None:
    header = ws.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return ws.query_params.get("token")


@router.websocket("/ws/agent")
async def agent_socket(ws: WebSocket) -> None:
    hotline = ws.app.state.hotline
    try:
        principal = await current_principal(hotline, _token(ws))
        async with hotline.uow() as uow:
            agent = await get_agent(uow, principal.agent_id)
    except DomainError:
        # Accept, then close with a code: a browser cannot read a refused handshake's status.
        await ws.accept()
        await ws.close(code=4401, reason="log in first: bad or missing token")
        return
    await ws.accept()
    session = AgentSession(hotline.contacts, hotline.presence, hotline.console, principal, agent)
    lang = ws.query_params.get("lang")
    session.lang = lang if lang in LANGUAGES else "en"
    hub = hotline.hub
    conn = hub.attach(agent.id, ws, session.lang)
    try:
        conn.put(session.hello())
        await session.presence.connected(agent, await contacts_today(hotline.contacts, agent.id))
        for message in await session.live_messages():
            conn.put(message)
        while not conn.closed:
            frame = await ws.receive()
            if frame["type"] == "websocket.disconnect":
                break
            ref = ref_id = None
            try:
                if frame.get("text") is None:
                    raise Invalid("send JSON text frames, not binary")
                message = json.loads(frame["text"])
                if isinstance(message, dict):
                    ref, ref_id = message.get("type"), message.get("id")
                replies = await session.handle(message)
                conn.lang = session.lang
                for reply in replies:
                    conn.put(reply | ({"ref_id": ref_id} if ref_id else {}))
            except json.JSONDecodeError:
                conn.put(error_message(Invalid("not JSON"), None, None))
            except DomainError as exc:
                conn.put(error_message(exc, ref, ref_id))
    except WebSocketDisconnect:
        pass
    finally:
        if await hub.detach(conn):
            try:
                await session.presence.disconnected(agent.id)
            except DomainError as exc:
                log.info("agent %s disconnect: %s", agent.id, exc.message)
