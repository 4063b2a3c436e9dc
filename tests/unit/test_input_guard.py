"""The strict JSON reader behind every request body and websocket frame (app/input_guard.py)."""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.contacts.agent_session import StrictJSONSocket
from app.errors import Invalid
from app.input_guard import MAX_DEPTH, strict_loads


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ('{"a": NaN}', "body.a: numbers must be finite (NaN"),
        ('{"a": [Infinity]}', "body.a.0: numbers must be finite"),
        ('{"a": -Infinity}', "finite"),
        ('{"a": 1e400}', "body.a: number out of range"),
        ('{"a": -1e400}', "out of range"),
        ('{"a": 1' + "0" * 5000 + "}", "out of range"),
        ('{"a": "\\ud800"}', "body.a: text must be valid Unicode: lone surrogate U+D800"),
        ('{"a": "x\\udfffy"}', "lone surrogate U+DFFF"),
        ('{"\\ud800": 1}', "a key"),
        ('{"a": "\\u0000"}', "control character U+0000"),
        ('{"a": "\\u007f"}', "control character U+007F"),
        ('{"a": "\\u000b"}', "control character U+000B"),
        ('{"a":', "JSON decode error"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nested deeper"),
        ("[" * 200_000 + "]" * 200_000, "nested deeper"),
        (b'"\xff"', "not valid UTF-8"),
    ],
)
def test_refused_with_where_and_why(raw: str | bytes, fragment: str) -> None:
    with pytest.raises(Invalid) as refused:
        strict_loads(raw)
    assert fragment in refused.value.message


def test_what_json_allows_passes() -> None:
    doc = '{"notes": "line\\none\\ttab\\r\\n", "n": [1, -2.5e10, 0], "zh": "李雷 😀", "x": null}'
    assert strict_loads(doc)["zh"] == "李雷 😀"
    deep = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert strict_loads(deep) is not None


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=("Cs", "Cc"))),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(st.characters(blacklist_categories=("Cs", "Cc"))), inner, max_size=4
        )
    ),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_any_clean_document_reads_back_as_it_was(value: Any) -> None:
    assert strict_loads(json.dumps(value)) == value


class _Socket:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send_text(self, text: str) -> None:
        self.sent.append(text)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        pass


def test_the_agent_socket_never_writes_a_bare_nan_or_a_lone_surrogate() -> None:
    socket = _Socket()
    strict = StrictJSONSocket(socket)
    asyncio.run(strict.send_json({"type": "offer", "x": math.nan, "y": "\ud800", "z": "李"}))
    asyncio.run(strict.send_json({"type": "pong"}))
    first = json.loads(socket.sent[0], parse_constant=lambda c: pytest.fail(f"bare {c}"))
    assert first == {"type": "offer", "x": None, "y": "\\ud800", "z": "李"}
    socket.sent[0].encode("utf-8")
    assert socket.sent[1] == '{"type":"pong"}'
