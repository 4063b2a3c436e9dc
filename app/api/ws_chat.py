"""/ws/chat: the customer's side of a chat (docs/chat.md). A thin adapter.

Nothing secret travels in the URL: the conversation's resume token and a signed identity go
in the first frame (``start`` or ``resume``), as the agent's token does on /ws/agent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from app.chat.rooms import CustomerLink
from app.chat.session import FIRST, CustomerSession, parse
from app.chat.words import ChatRefusal
from app.contacts.agent_session import StrictJSONSocket
from app.container import Hotline

log = logging.getLogger(__name__)
router = APIRouter()

SECRET_IN_URL = 4400  # ?token= or ?identity= in the URL: refused, it would reach a log
NO_HANDSHAKE = 4401  # no start/resume in time, or another frame first
REFUSED = 4403  # the start or resume was refused (the error frame before it says why)
HALF_OPEN = 4408  # nothing heard within the heartbeat timeout: the socket is dead


async def _first_frame(ws: WebSocket, deadline: float) -> str | None:
    try:
        async with asyncio.timeout(deadline):
            frame = await ws.receive()
    except TimeoutError:
        return None
    if frame["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(frame.get("code", 1000))
    text = frame.get("text")
    return text if isinstance(text, str) else None


async def _heartbeat(
    ws: WebSocket, link: CustomerLink, heard: list[float], every: float, silence: float
) -> None:
    """Ping every ``every`` seconds; close a socket nothing was heard from for ``silence`` seconds
    (a half-open connection: the customer's network vanished without a close)."""
    while not link.closed:
        await asyncio.sleep(every)
        if time.monotonic() - heard[0] > silence:
            log.info("chat %s: nothing heard for %.0f s; closing", link.conversation_id, silence)
            link.close(HALF_OPEN, "no answer to heartbeats")
            with contextlib.suppress(Exception):
                await ws.close(HALF_OPEN)  # wakes the receive loop
            return
        link.put({"type": "ping"})


@router.websocket("/ws/chat")
async def chat_socket(ws: WebSocket) -> None:
    hotline: Hotline = ws.app.state.hotline
    chat = hotline.chat
    assert chat is not None
    await ws.accept()
    if any(key in ws.query_params for key in ("token", "identity")):
        await ws.close(SECRET_IN_URL, "send the token in the first frame, not in the URL")
        return
    session = CustomerSession(chat, time.monotonic)
    try:
        text = await _first_frame(ws, hotline.settings.ws_auth_timeout_seconds)
        if text is None:
            await ws.close(NO_HANDSHAKE, 'send {"type":"start"} or {"type":"resume"} first')
            return
        lang = "en"
        try:
            _, frame = parse(text, FIRST)
            lang = getattr(frame, "language", None) or lang
            address = ws.client.host if ws.client else None
            welcome = await session.begin(frame, address)  # type: ignore[arg-type]
        except ChatRefusal as exc:
            await ws.send_json(exc.message(lang, "handshake"))
            await ws.close(REFUSED if exc.code != "invalid" else NO_HANDSHAKE, exc.code)
            return
        except Exception:
            # The server's own failure: said plainly, logged, and the page may try again.
            log.exception("chat: the handshake failed")
            await ws.send_json(ChatRefusal("internal").message(lang, "handshake"))
            await ws.close(1011, "internal")
            return
    except WebSocketDisconnect:
        return
    cid = session.conversation_id
    assert cid is not None
    link = chat.rooms.attach(cid, StrictJSONSocket(ws), session.lang)
    link.put(welcome)
    # Attached first, then the replay read: a message stored meanwhile is in one or the
    # other, and the link's writer never sends the same seq twice.
    link.sent_seq = session.last_seq
    link.put(asyncio.ensure_future(chat.history(cid, session.last_seq)))
    place = session.waiting_place()
    if place is not None:
        link.put(place)
    beat = chat.config.heartbeat
    heard = [time.monotonic()]
    pinger = asyncio.create_task(
        _heartbeat(ws, link, heard, beat.interval_seconds, beat.timeout_seconds),
        name="ws-chat-heartbeat",
    )
    try:
        while not link.closed:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            heard[0] = time.monotonic()
            for reply in await session.receive(message.get("text")):
                link.put(reply)
            link.lang = session.lang
    except (WebSocketDisconnect, RuntimeError):
        pass  # RuntimeError: receive after the heartbeat closed it
    finally:
        pinger.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pinger
        await chat.rooms.detach(link)
