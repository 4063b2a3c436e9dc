"""Who a request or socket is about, for the JSON log lines (app/observability/context.py).

An ASGI middleware, installed only when log lines are JSON, so the entry points themselves
stay as they are:

- HTTP: the agent is the bearer token's (its signature checked; an invalid token names
  nobody), the contact is the one the path names (``/api/contacts/{id}…``,
  ``/api/interactions/{id}``);
- websockets: the agent is named once the first frame's token checks out, and each frame
  that names a ``contact_id`` names it for the lines logged while that frame is handled.

``receive`` runs in the endpoint's own task, so a context variable set there is the
endpoint's; tasks the endpoint starts afterwards inherit it.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from app.auth.tokens import verify
from app.observability import context

_CONTACT_PATH = re.compile(r"^/api/(?:contacts|interactions)/([0-9A-Za-z_-]{1,64})(?:/|$)")
_MAX_PEEK = 8192  # frames longer than this are not read for ids (a chat message, a note)


def _agent_of(scope: dict[str, Any], token: str | None) -> str | None:
    if not token:
        return None
    app = scope.get("app")
    hotline = getattr(getattr(app, "state", None), "hotline", None)
    secret = getattr(hotline, "secret", None)
    if not secret:
        return None
    principal = verify(secret, token, time.time())
    return str(principal.agent_id) if principal is not None else None


def _bearer(scope: dict[str, Any]) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None


class LogContextMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        match = _CONTACT_PATH.match(scope.get("path", ""))
        with context.log_context(
            contact=match.group(1) if match else None, agent=_agent_of(scope, _bearer(scope))
        ):
            if scope["type"] == "websocket":
                receive = self._peeking(scope, receive)
            await self.app(scope, receive, send)

    def _peeking(self, scope: dict[str, Any], receive: Any) -> Any:
        async def peek() -> Any:
            message = await receive()
            text = message.get("text") if message.get("type") == "websocket.receive" else None
            if isinstance(text, str) and len(text) <= _MAX_PEEK:
                try:
                    frame = json.loads(text)
                except ValueError:
                    frame = None
                if isinstance(frame, dict):
                    if frame.get("type") == "auth" and context.agent_id.get() is None:
                        token = frame.get("token")
                        context.set_agent(
                            _agent_of(scope, token if isinstance(token, str) else None)
                        )
                    cid = frame.get("contact_id")
                    context.contact_id.set(str(cid) if isinstance(cid, str | int) else None)
            return message

        return peek
