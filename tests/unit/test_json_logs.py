"""JSON log lines (HOTLINE_LOG_FORMAT=json, docs/operations.md): one object per line, the
contact and agent in hand, tokens redacted; the middleware that names them for requests."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from app.auth.tokens import Principal, issue
from app.observability import context
from app.observability.logs import JsonFormatter, configure
from app.observability.middleware import LogContextMiddleware

SECRET = "unit-secret"


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """The root logger writes JSON lines here for the test; the handlers come back after."""
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    stream = io.StringIO()
    configure("json", stream=stream)
    yield stream
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in saved:
        root.addHandler(h)
    root.setLevel(level)


def parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    text = stream.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_one_object_per_line_with_time_level_logger_message(lines: io.StringIO) -> None:
    log = logging.getLogger("tests.contacts")
    log.warning("two\nlines of %s", "text")
    log.info(
        "extra fields travel",
        extra={"queue": "service", "waited": 12.5, "color_message": "\x1b[1mx\x1b[0m"},
    )
    first, second = parsed(lines)
    assert first["level"] == "warning" and first["logger"] == "tests.contacts"
    assert first["message"] == "two\nlines of text"  # one JSON line, the newline escaped
    assert first["time"].endswith("+00:00") and "T" in first["time"]
    assert "contact_id" not in first and "agent_id" not in first
    assert (second["queue"], second["waited"]) == ("service", 12.5)
    assert "color_message" not in second  # uvicorn's coloured copy of the message


def test_the_contact_and_agent_in_hand_are_on_every_line(lines: io.StringIO) -> None:
    log = logging.getLogger("tests.ctx")
    with context.log_context(contact=41, agent=7):
        log.info("offered")
        with context.log_context(contact=42):
            log.info("nested")
        log.info("back")
    log.info("outside")
    got = [(d.get("contact_id"), d.get("agent_id")) for d in parsed(lines)]
    assert got == [("41", "7"), ("42", "7"), ("41", "7"), (None, None)]


async def test_a_task_started_inside_inherits_the_ids(lines: io.StringIO) -> None:
    log = logging.getLogger("tests.ctx")
    with context.log_context(contact="c-9"):
        task = asyncio.create_task(asyncio.sleep(0))
        inner = asyncio.create_task(_log_later(log))
    await task
    await inner
    assert parsed(lines)[0]["contact_id"] == "c-9"


async def _log_later(log: logging.Logger) -> None:
    await asyncio.sleep(0)
    log.info("later")


def test_tokens_are_redacted_in_messages_arguments_and_tracebacks(lines: io.StringIO) -> None:
    token = issue(SECRET, Principal(3, "alice", "agent"), time.time(), 600)
    log = logging.getLogger("tests.access")  # as uvicorn.access writes it
    # uvicorn's access line: the path with its query string is an argument.
    log.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1", "GET", "/ws/agent?token=abc.def", "1.1", 101)
    log.info("header Authorization: Bearer %s", token)
    try:
        raise ValueError(f"bad token {token}")
    except ValueError:
        logging.getLogger("tests.app").exception("failed")
    text = lines.getvalue()
    assert token not in text and "abc.def" not in text
    a, b, c = parsed(lines)
    assert "token=[redacted]" in a["message"] and "Bearer [redacted]" in b["message"]
    assert "ValueError" in c["exception"] and "[redacted]" in c["exception"]


def test_the_plain_format_stays_available() -> None:
    root = logging.getLogger()
    saved = list(root.handlers)
    stream = io.StringIO()
    try:
        configure("text", stream=stream)
        logging.getLogger("tests.plain").warning("plain")
    finally:
        for h in list(root.handlers):
            root.removeHandler(h)
        for h in saved:
            root.addHandler(h)
    assert stream.getvalue().rstrip().endswith("WARNING tests.plain plain")


def test_formatter_without_handler_keeps_ids() -> None:
    record = logging.makeLogRecord({"name": "x", "levelname": "INFO", "msg": "m"})
    with context.log_context(agent=5):
        assert json.loads(JsonFormatter().format(record))["agent_id"] == "5"


def _app() -> Starlette:
    log = logging.getLogger("tests.api")

    async def end(request: Request) -> PlainTextResponse:
        log.info("ending")
        return PlainTextResponse("ok")

    async def ws(socket: WebSocket) -> None:
        await socket.accept()
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                message = await socket.receive_text()
                log.info("frame %s", json.loads(message)["type"])
                await socket.send_text("ok")

    app = Starlette(
        routes=[Route("/api/contacts/{cid}/end", end, methods=["POST"]), WebSocketRoute("/ws", ws)]
    )
    app.state.hotline = SimpleNamespace(secret=SECRET)
    app.add_middleware(LogContextMiddleware)
    return app


def test_middleware_names_the_tokens_agent_and_the_paths_contact(lines: io.StringIO) -> None:
    token = issue(SECRET, Principal(3, "alice", "agent"), time.time(), 600)
    forged = issue("another-secret", Principal(9, "mallory", "admin"), time.time(), 600)
    with TestClient(_app()) as client:
        client.post("/api/contacts/17/end", headers={"Authorization": f"Bearer {token}"})
        client.post("/api/contacts/18/end", headers={"Authorization": f"Bearer {forged}"})
        client.post("/api/contacts/19/end")
    got = [
        (d.get("contact_id"), d.get("agent_id")) for d in parsed(lines) if d["message"] == "ending"
    ]
    assert got == [("17", "3"), ("18", None), ("19", None)]


def test_middleware_names_the_sockets_agent_after_auth_and_each_frames_contact(
    lines: io.StringIO,
) -> None:
    token = issue(SECRET, Principal(4, "bob", "agent"), time.time(), 600)
    with TestClient(_app()) as client, client.websocket_connect("/ws") as ws:
        for frame in (
            {"type": "hello"},
            {"type": "auth", "token": token},
            {"type": "offer.accept", "contact_id": "55"},
            {"type": "ping"},
        ):
            ws.send_text(json.dumps(frame))
            assert ws.receive_text() == "ok"
    got = [
        (d["message"], d.get("contact_id"), d.get("agent_id"))
        for d in parsed(lines)
        if d["message"].startswith("frame")
    ]
    assert got == [
        ("frame hello", None, None),
        ("frame auth", None, "4"),
        ("frame offer.accept", "55", "4"),
        ("frame ping", None, "4"),
    ]


def test_the_app_names_ids_only_when_lines_are_json(tmp_path: Any) -> None:
    from app.main import create_app
    from config.settings import Settings

    def installed(fmt: str) -> bool:
        app = create_app(Settings(log_format=fmt, var_dir=tmp_path), migrate=False)
        return any(m.cls is LogContextMiddleware for m in app.user_middleware)

    assert installed("json") and not installed("text")
    with pytest.raises(ValueError, match="log_format"):
        Settings(log_format="xml", var_dir=tmp_path)
