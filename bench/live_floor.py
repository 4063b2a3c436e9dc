"""The live benchmark's floor: the same HTTP and websocket exchanges with no database and no routing.

Not Hotline, and not a test: a bare server on Hotline's own stack (FastAPI, pydantic, uvicorn
with uvloop, httptools and the same websocket implementation) that answers exactly what
`bench/live_bench.py` sends, so that `live_bench.py --floor` can measure what this machine
gives *any* server built this way before it does a contact center's work. Like the bare SIP
responder beside `sip_bench.py`, its figures are a ceiling for Hotline's on the same machine.

What it does per contact is what the bots see from Hotline, and nothing behind it:

- `POST /api/contacts` validates the body with a pydantic model, answers 201 with an id, and
  offers the contact to the longest-idle available agent (or queues it first-come first-served);
- `/ws/agent` sends `hello`, and answers `state.set` with `state`, `offer.accept` with
  `contact.assigned`, `contact.end` with `contact.ended`, `wrapup` with `wrapup.saved` and a
  `state` (available again, which takes the next waiting contact), `ping` with `pong`;
- the `offer` carries a padded screen pop of --offer-bytes, the size Hotline's offers have in
  the benchmark (`live_bench.py` prints it), so that JSON encoding and framing cost the same;
- login, `POST /api/queues` and `POST /api/agents` accept anything (no password hashing).

    .venv/bin/python bench/live_floor.py --port 8099 [--offer-bytes 6400]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import time
from collections import deque
from typing import Any

import uvicorn
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field


class ContactIn(BaseModel):
    """The fields the benchmark posts; validated as Hotline validates them."""

    channel: str = Field(pattern="^(voice|chat)$")
    from_: str = Field(alias="from", min_length=3, max_length=40)
    queue: str = Field(min_length=1, max_length=64)


class Floor:
    """Agents, waiting contacts and offers: a FIFO of idle agents, nothing else."""

    def __init__(self, offer_bytes: int) -> None:
        self.sockets: dict[str, WebSocket] = {}
        self.idle: deque[str] = deque()
        self.waiting: deque[dict[str, Any]] = deque()
        self.ids = itertools.count(1)
        self.padding = "x" * max(0, offer_bytes - 300)

    def arrive(self, body: ContactIn) -> dict[str, Any]:
        contact = {
            "id": next(self.ids),
            "channel": body.channel,
            "queue": body.queue,
            "from": body.from_,
            "arrived_at": time.time(),
        }
        self.waiting.append(contact)
        self.match()
        return contact

    def match(self) -> None:
        while self.waiting and self.idle:
            agent = self.idle.popleft()
            socket = self.sockets.get(agent)
            if socket is None:
                continue
            contact = self.waiting.popleft()
            offer = {
                "type": "offer",
                "contact": contact,
                "expires_in": 15,
                "explanation": {"rule": "floor", "step": 0, "reason": "longest idle"},
                "profile": {"name": contact["from"], "notes": self.padding},
            }
            asyncio.get_running_loop().create_task(send(socket, offer))

    def available(self, agent: str) -> None:
        if agent not in self.idle:
            self.idle.append(agent)
        self.match()


async def send(socket: WebSocket, message: dict[str, Any]) -> None:
    with contextlib.suppress(Exception):
        await socket.send_text(json.dumps(message))


def create_app(floor: Floor) -> FastAPI:
    app = FastAPI()

    @app.get("/api/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/auth/login")
    async def login(body: dict[str, Any]) -> dict[str, str]:
        return {"access_token": str(body.get("username", "")), "token_type": "bearer"}

    @app.post("/api/queues", status_code=201)
    @app.post("/api/agents", status_code=201)
    async def accept_anything(body: dict[str, Any]) -> dict[str, Any]:
        return body

    @app.get("/api/metrics/live")
    async def live() -> dict[str, Any]:
        return {}

    @app.post("/api/contacts", status_code=201)
    async def arrive(body: ContactIn) -> dict[str, Any]:
        contact = floor.arrive(body)
        return {"id": contact["id"], "status": "waiting", "queue": contact["queue"]}

    @app.websocket("/ws/agent")
    async def agent_socket(ws: WebSocket) -> None:
        agent = ws.headers.get("authorization", "").removeprefix("Bearer ").strip()
        await ws.accept()
        floor.sockets[agent] = ws
        await send(ws, {"type": "hello", "dispositions": [{"code": "resolved"}]})
        try:
            while True:
                m = json.loads(await ws.receive_text())
                kind, cid = m.get("type"), m.get("contact_id")
                if kind == "state.set":
                    await send(ws, {"type": "state", "state": m.get("state")})
                    if m.get("state") == "available":
                        floor.available(agent)
                elif kind == "offer.accept":
                    await send(ws, {"type": "contact.assigned", "contact": {"id": cid}})
                elif kind == "contact.end":
                    await send(ws, {"type": "contact.ended", "contact_id": cid})
                elif kind == "wrapup":
                    await send(ws, {"type": "wrapup.saved", "contact_id": cid})
                    await send(ws, {"type": "state", "state": "available"})
                    floor.available(agent)
                elif kind == "ping":
                    await send(ws, {"type": "pong", "ref_id": m.get("id")})
        except WebSocketDisconnect:
            pass
        finally:
            floor.sockets.pop(agent, None)
            with contextlib.suppress(ValueError):
                floor.idle.remove(agent)

    return app


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--offer-bytes", type=int, default=6400)
    a = p.parse_args()
    uvicorn.run(
        create_app(Floor(a.offer_bytes)), host=a.host, port=a.port, ws_per_message_deflate=False
    )


if __name__ == "__main__":
    main()
