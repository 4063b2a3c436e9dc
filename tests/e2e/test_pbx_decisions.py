"""The PBX event API's pure pieces, on a fake clock: when a waiting caller hears an
announcement, the wait estimate, the place in the queue, and the answer's format."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl

import pytest

from app.api.telephony import _form, answer_format, render
from app.errors import Invalid
from app.telephony.pbx import estimated_wait, queue_position, waiting_action
from routing.records import ContactStatus


def test_a_waiting_caller_hears_the_queue_first_then_its_place_every_minute() -> None:
    assert waiting_action(None, now=1000.0) == ("play", "queued")
    assert waiting_action(1000.0, now=1030.0) == ("wait", None)
    assert waiting_action(1000.0, now=1059.9) == ("wait", None)
    assert waiting_action(1000.0, now=1060.0) == ("play", "position")
    assert waiting_action(1000.0, now=1010.0, every=10) == ("play", "position")


def test_the_estimate_follows_recent_waits_less_what_was_waited() -> None:
    assert estimated_wait([], waited=5) is None
    assert estimated_wait([30, 50], waited=10) == 30
    assert estimated_wait([30, 50], waited=100) == 0  # waited longer than most: never negative


def _route(cid: str, status: ContactStatus, sort_key: float, seq: int, queue: str = "q") -> Any:
    return SimpleNamespace(id=cid, queue=queue, status=status, sort_key=sort_key, seq=seq)


def test_the_place_in_the_queue_counts_offers_and_those_routing_serves_first() -> None:
    mine = _route("3", ContactStatus.QUEUED, sort_key=5.0, seq=3)
    others = [
        _route("1", ContactStatus.QUEUED, sort_key=1.0, seq=1),  # ahead (higher priority)
        _route("2", ContactStatus.OFFERED, sort_key=9.0, seq=2),  # being offered: ahead
        _route("4", ContactStatus.QUEUED, sort_key=5.0, seq=4),  # same key, came later
        _route("5", ContactStatus.QUEUED, sort_key=0.0, seq=0, queue="other"),
        _route("6", ContactStatus.ACTIVE, sort_key=0.0, seq=0),  # taken: not waiting
        mine,
    ]
    assert queue_position(mine, iter(others)) == 3
    offered = _route("7", ContactStatus.OFFERED, sort_key=50.0, seq=7)
    assert queue_position(offered, iter(others)) == 1


@pytest.mark.parametrize(
    ("accept", "kind"),
    [
        (None, "json"),
        ("*/*", "json"),
        ("text/plain", "text"),
        ("application/x-www-form-urlencoded", "form"),
        ("text/html, text/plain;q=0.5, application/json;q=0.4", "text"),
        ("text/plain;q=0.2, application/json", "json"),
        ("text/plain;q=0, application/json;q=0.1", "json"),
        ("image/png", "json"),
        ("text/plain;q=abc", "json"),
    ],
)
def test_the_answer_format_follows_accept(accept: str | None, kind: str) -> None:
    assert answer_format(accept) == kind


def test_text_answers_never_let_a_value_break_a_line() -> None:
    fields = {"action": "error", "message": "bad\r\nx=1 & 100%", "position": None}
    text = render("text", fields).body.decode()
    assert text == "action=error\nmessage=bad%0D%0Ax=1 %26 100%25\n"
    form = render("form", {"agent_uri": "sip:+8613800000001@pbx.example;transport=tcp"}).body
    assert dict(parse_qsl(form.decode())) == {
        "agent_uri": "sip:+8613800000001@pbx.example;transport=tcp"
    }
    assert b"%2B" in form  # Asterisk's hashcompat decodes %2B; a bare + could become a space


def test_a_form_body_is_read_strictly() -> None:
    assert _form(b"from=%2B8613800000001&queue=service&wait=5&language=") == {
        "from": "+8613800000001",
        "queue": "service",
        "wait": 5,
    }
    for bad in (b"wait=5&wait=6", b"from=%00", b"\xff=1", b"novalue"):
        with pytest.raises(Invalid):
            _form(bad)
