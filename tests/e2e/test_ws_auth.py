"""Websockets authenticate without the token in the URL, and no token reaches a log (issue 9,
items 6 and 7), over a real server on both databases."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets

from app.auth.redaction import TokenRedactingFilter, redact
from config.settings import Settings
from tests.agent_client import AgentClient, open_agent_socket
from tests.conftest import LiveServer, make_settings
from tests.helpers import cheap_argon2  # noqa: F401  (autouse fixture)

SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "websockets", "app")


@pytest.fixture
async def live_settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path, ws_auth_timeout_seconds=0.5)


@pytest.fixture
def server_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of the server's loggers at DEBUG, uvicorn's access lines included (they
    do not propagate to the root logger, so caplog's handler is put on them too)."""
    loggers = [logging.getLogger(name) for name in SERVER_LOGGERS]
    for logger in loggers:
        caplog.set_level(logging.DEBUG, logger=logger.name)
        logger.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        for logger in loggers:
            logger.removeHandler(caplog.handler)


async def closed_with(ws: websockets.ClientConnection) -> tuple[int, str]:
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await ws.recv()
    assert closed.value.rcvd is not None, "closed without a close frame"
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def test_a_websocket_session_leaves_no_token_in_the_log(
    live: LiveServer, server_logs: pytest.LogCaptureFixture
) -> None:
    headers = await live.login("alice")
    token = headers["Authorization"].split()[1]
    # A whole session, as the console runs it: first-message auth, state, ping, close.
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    await alice.send("ping")
    await alice.expect("pong")
    await alice.close()
    # Clients that can set headers may keep using the Authorization header.
    async with websockets.connect(
        f"{live.ws_url}/ws/agent?lang=zh", additional_headers=headers
    ) as ws:
        assert json.loads(await ws.recv())["type"] == "hello"
    # The token in the URL is refused with its own close code, even a valid one; and the
    # request line that carried it is logged without it.
    ws = await websockets.connect(f"{live.ws_url}/ws/agent?token={token}&lang=en")
    code, reason = await closed_with(ws)
    assert code == 4400 and "URL" in reason
    r = await live.client.get("/api/auth/me", headers=headers)
    assert r.status_code == 200

    lines = [record.getMessage() for record in server_logs.records]
    assert any("/ws/agent" in line for line in lines), lines  # the capture does see the server
    assert any("token=[redacted]" in line for line in lines), lines
    leaks = [line for line in lines if token in line or token.split(".")[1] in line]
    assert not leaks, leaks


async def test_the_first_message_must_authenticate_in_time(live: LiveServer) -> None:
    # Nothing sent: closed at the deadline.
    ws = await websockets.connect(f"{live.ws_url}/ws/agent")
    assert (await closed_with(ws))[0] == 4401
    # Something else first: closed at once.
    for first in ('{"type": "ping"}', '{"type": "auth"}', '{"type": "auth", "token": 5}', "[]"):
        ws = await websockets.connect(f"{live.ws_url}/ws/agent")
        await ws.send(first)
        code, reason = await closed_with(ws)
        assert code == 4401 and "auth" in reason, first
    # A forged token.
    ws = await open_agent_socket(live.ws_url, "eyJzdWIiOjF9.forged")
    assert (await closed_with(ws))[0] == 4401


async def test_logout_closes_the_open_socket_and_refuses_the_token(live: LiveServer) -> None:
    alice = await AgentClient(live, "alice").connect()
    token = live.tokens["alice"]
    r = await live.client.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 204, r.text
    code, reason = await closed_with(alice.ws)
    assert code == 4403 and "logged out" in reason
    assert (await closed_with(await open_agent_socket(live.ws_url, token)))[0] == 4401
    live.tokens.pop("alice")
    again = await AgentClient(live, "alice").connect()  # a new login works
    await again.close()


async def test_a_password_change_closes_the_open_socket(live: LiveServer) -> None:
    alice = await AgentClient(live, "alice").connect()
    me = (await live.request("GET", "/api/auth/me", as_="alice")).json()
    r = await live.request("PATCH", f"/api/agents/{me['id']}", json={"password": "changed-pw-1"})
    assert r.status_code == 200, r.text
    code, reason = await closed_with(alice.ws)
    assert code == 4403 and "password changed" in reason


@pytest.mark.parametrize(
    "line",
    [
        'GET /ws/agent?token={t}&lang=zh HTTP/1.1" 101',
        "Authorization: Bearer {t}",
        '{{"access_token": "{t}", "token_type": "bearer"}}',
        "refused {t} for agent 3",
    ],
)
def test_the_log_filter_redacts_token_like_text(line: str) -> None:
    token = "eyJzdWIiOjMsInUiOiJhbGljZSIsInIiOiJhZ2VudCIsInYiOjAsImV4cCI6MX0.c2lnbmF0dXJlLW9mLTQzLWNoYXJhY3RlcnMtLS0tLS0"
    text = line.format(t=token)
    assert token not in redact(text) and "[redacted]" in redact(text)
    assert redact("GET /api/customers?name=tokenize&limit=5") == (
        "GET /api/customers?name=tokenize&limit=5"
    )


def test_the_log_filter_redacts_a_pbx_key() -> None:
    key = "hpk_Zm9vYmFyLWJhei1xdXV4LWNvcmdlLWdyYXVsdC1nYXJwbHk"
    assert redact(f"X-Api-Key: {key} refused") == "X-Api-Key: [redacted] refused"
    assert redact("the hpk_ prefix names PBX keys") == "the hpk_ prefix names PBX keys"


def test_the_log_filter_keeps_format_placeholders_and_prose() -> None:
    record = logging.LogRecord(
        "t", logging.INFO, __file__, 1, "GET /ws?token=%s", ("x" * 40,), None
    )
    assert TokenRedactingFilter().filter(record)
    assert record.getMessage() == "GET /ws?token=[redacted]"
    assert redact("clients send bearer tokens in a header") == (
        "clients send bearer tokens in a header"
    )
