"""/ws/agent over a real websocket: every bad frame gets an `error` naming what is wrong, and
the session lives on (issue 9, item 3)."""

from __future__ import annotations

from typing import Any

import pytest

from app.contacts.agent_session import MAX_FRAME
from tests.agent_client import AgentClient
from tests.conftest import LiveServer
from tests.helpers import cheap_argon2  # noqa: F401  (autouse fixture)


async def _alive(alice: AgentClient) -> None:
    """The same socket still answers: the session was not dropped."""
    await alice.send("ping", id="alive")
    assert (await alice.expect("pong"))["ref_id"] == "alive"


async def _error_for(alice: AgentClient, frame: str | bytes) -> dict[str, Any]:
    await alice.ws.send(frame)
    error = await alice.expect("error")
    await _alive(alice)
    return error


NESTED = "[" * 50_000 + "]" * 50_000

# (raw frame, fragment of the error's detail, the `ref` it names)
BAD_FRAMES: list[tuple[str, str, str | None]] = [
    ('{"type":"state.set","state":"break","reason":[]}', "reason", "state.set"),
    ('{"type":"state.set","state":"break","reason":{"a":1}}', "reason", "state.set"),
    ('{"type":"state.set","state":7}', "state", "state.set"),
    (
        '{"type":"wrapup","contact_id":12345678901234567890,"disposition":"resolved"}',
        "contact id is a number of at most 18 digits",
        "wrapup",
    ),
    (
        '{"type":"wrapup","contact_id":"12345678901234567890","disposition":"resolved"}',
        "at most 18 digits",
        "wrapup",
    ),
    ('{"type":"offer.accept","contact_id":true}', "contact_id", "offer.accept"),
    ('{"type":"offer.accept","contact_id":"1e3"}', "contact id", "offer.accept"),
    ('{"type":"notes.save","contact_id":"1","notes":NaN}', "finite", None),
    ('{"type":"offer.reject","contact_id":"1","reason":1e400}', "out of range", None),
    ('{"type":"\\ud800"}', "lone surrogate", None),
    ('{"type":"ping","id":"\\udfff"}', "lone surrogate", None),
    ('{"type":"ping","id":"a\\u0000"}', "control character", None),
    ('{"\\ud800":1,"type":"ping"}', "lone surrogate", None),
    ('{"type":"ping","x":' + NESTED + "}", "nested deeper", None),
    ('{"type":"ping","x":' + "[" * 40 + "]" * 40 + "}", "nested deeper", None),
    ('{"type":"ping","x":1}', "Extra inputs", "ping"),
    ('{"type":"ping","id":[1]}', "id", "ping"),
    ('{"type":"language.set","language":"fr"}', "language", "language.set"),
    ('{"type":"contact.transfer","contact_id":"1","queue":""}', "queue", "contact.transfer"),
    ('{"type":"nope"}', "unknown message type", None),
    ('{"type":1}', "string `type`", None),
    ("[1, 2]", "JSON object", None),
    ("not json", "JSON decode error", None),
    ("x" * (MAX_FRAME + 1), "at most", None),
]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_every_bad_frame_gets_an_error_and_the_session_lives(live: LiveServer) -> None:
    alice = await AgentClient(live, "alice").connect()
    for frame, fragment, ref in BAD_FRAMES:
        error = await _error_for(alice, frame)
        assert fragment in error["detail"], (frame[:80], error)
        assert error["code"] in ("invalid", "too_large"), error
        assert error["ref"] == ref, (frame[:80], error)
    error = await _error_for(alice, b"\x00\x01")
    assert "binary" in error["detail"]
    # A request id is echoed on errors as on replies, once it is a valid one.
    await alice.send("state.set", state="break", reason=[], id=42)
    error = await alice.expect("error", ref="state.set")
    assert error["ref_id"] == 42 and "reason" in error["detail"]
    await alice.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_an_unforeseen_failure_is_an_error_reply_and_logged(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The catch-all: a handler that fails in a way nobody foresaw answers `internal`, the
    traceback is logged, and the agent carries on."""
    alice = await AgentClient(live, "alice").connect()

    async def broken(*_: Any) -> None:
        raise RuntimeError("a bug nobody has found yet")

    monkeypatch.setattr(live.app.state.hotline.contacts, "save_notes", broken)
    await alice.send("notes.save", contact_id="1", notes="n", id="n1")
    error = await alice.expect("error", ref="notes.save")
    assert (error["code"], error["ref_id"]) == ("internal", "n1")
    assert "a bug nobody has found yet" not in error["detail"]  # no internals to the client
    await _alive(alice)
    failures = [r for r in caplog.records if r.exc_info and "notes.save" in r.getMessage()]
    assert failures and failures[0].exc_info[0] is RuntimeError  # type: ignore[index]
    await alice.close()
