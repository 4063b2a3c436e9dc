"""Which contact and agent the code running now is about, for log lines.

Set by the live path's entry points (a command handled, an agent's socket) and read by the
JSON log formatter (app/observability/logs.py); a context variable, so every task carries
its own and a task started inside one inherits it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

contact_id: ContextVar[str | None] = ContextVar("hotline_contact_id", default=None)
agent_id: ContextVar[str | None] = ContextVar("hotline_agent_id", default=None)


@contextmanager
def log_context(*, contact: object | None = None, agent: object | None = None) -> Iterator[None]:
    """Within the block, log lines carry ``contact`` and ``agent`` (those given; the others
    stay as they were)."""
    tokens = []
    if contact is not None:
        tokens.append((contact_id, contact_id.set(str(contact))))
    if agent is not None:
        tokens.append((agent_id, agent_id.set(str(agent))))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def set_agent(agent: object | None) -> None:
    """For the rest of this task (an agent's socket handler): its lines name the agent."""
    agent_id.set(str(agent) if agent is not None else None)


def current() -> dict[str, str]:
    """The ids known here, only those set."""
    out = {}
    if (c := contact_id.get()) is not None:
        out["contact_id"] = c
    if (a := agent_id.get()) is not None:
        out["agent_id"] = a
    return out
