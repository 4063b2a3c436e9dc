"""The complaint lifecycle as a pure table: every (status, action) pair, legal or not."""

from __future__ import annotations

import pytest

from app.complaints.lifecycle import (
    OPEN_STATUSES,
    STATUSES,
    TRANSITIONS,
    IllegalTransition,
    next_status,
)

LEGAL = {
    ("open", "acknowledge"): "acknowledged",
    ("acknowledged", "start"): "in_progress",
    ("in_progress", "resolve"): "resolved",
    ("resolved", "close"): "closed",
    ("resolved", "reopen"): "open",
    ("closed", "reopen"): "open",
}


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_every_status_and_action(status: str, action: str) -> None:
    if (status, action) in LEGAL:
        assert next_status(status, action) == LEGAL[status, action]
    else:
        with pytest.raises(
            IllegalTransition, match=f"cannot {action} a complaint that is {status}"
        ):
            next_status(status, action)


def test_the_happy_path_and_a_reopen() -> None:
    status = "open"
    for action in ("acknowledge", "start", "resolve", "close", "reopen", "acknowledge"):
        status = next_status(status, action)
    assert status == "acknowledged"


def test_the_message_says_what_is_allowed() -> None:
    with pytest.raises(IllegalTransition) as err:
        next_status("open", "close")
    assert str(err.value) == "cannot close a complaint that is open; allowed from open: acknowledge"
    with pytest.raises(IllegalTransition, match="allowed from resolved: close, reopen"):
        next_status("resolved", "start")


def test_unknown_action_or_status() -> None:
    with pytest.raises(IllegalTransition, match="cannot explode"):
        next_status("open", "explode")
    with pytest.raises(IllegalTransition, match="allowed from lost: none"):
        next_status("lost", "acknowledge")


def test_open_statuses_are_those_still_being_handled() -> None:
    assert OPEN_STATUSES == {"open", "acknowledged", "in_progress"}
    assert set(STATUSES) >= OPEN_STATUSES
    assert all(target in STATUSES for _, target in TRANSITIONS.values())
