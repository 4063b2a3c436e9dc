"""The router as shared mode drives it: its commands can be recorded instead of applied.

A command call (``lambda now: router.offer_accepted(cid, aid, now)``) is run once with
recording on, on the process that received the command: the router's command methods then
note their name and arguments instead of acting, so the call can be put on the command log.
Every process applies the logged calls, with recording off, to its own copy. Everything else
of the router (reads, ``next_deadline``, ``snapshot``) is the plain router's.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from routing import Router

# The command methods: every method that changes the live state (each takes ``now``).
COMMANDS = (
    "contact_arrived",
    "contact_restored",
    "offer_undelivered",
    "offer_withdrawn",
    "priority_raised",
    "contact_moved",
    "offer_directed",
    "offer_accepted",
    "offer_rejected",
    "contact_ended",
    "contact_abandoned",
    "agent_login",
    "agent_logout",
    "set_agent_state",
    "update_agent",
    "wrapup_done",
    "wrapup_extended",
    "tick",
)

Call = tuple[str, tuple[Any, ...], dict[str, Any]]
recording: ContextVar[list[Call] | None] = ContextVar("hotline_recording", default=None)


def _recorded(name: str) -> Any:
    plain = getattr(Router, name)

    def method(self: Router, *args: Any, **kwargs: Any) -> Any:
        calls = recording.get()
        if calls is None:
            return plain(self, *args, **kwargs)
        calls.append((name, args, kwargs))
        return []  # callers add decision lists together; the real ones come from the log

    method.__name__ = name
    method.__doc__ = plain.__doc__
    return method


class SharedRouter(Router):
    """A :class:`routing.Router` whose commands are recorded while :data:`recording` is set."""


for _name in COMMANDS:
    setattr(SharedRouter, _name, _recorded(_name))


def apply_calls(router: Router, calls: list[Call]) -> list[Any]:
    """Apply recorded calls, in order, as the plain router (no recording)."""
    decisions: list[Any] = []
    for name, args, kwargs in calls:
        decisions += getattr(Router, name)(router, *args, **kwargs)
    return decisions
