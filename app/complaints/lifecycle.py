"""The complaint lifecycle, pure: which action moves which status where."""

from __future__ import annotations

from typing import Final

# The status vocabulary is the record's (the complaints table); the moves are defined here.
from app.db.models.complaints import OPEN_STATUSES, STATUSES

__all__ = [
    "OPEN_STATUSES",
    "SEVERITIES",
    "STATUSES",
    "TRANSITIONS",
    "IllegalTransition",
    "next_status",
]

SEVERITIES: Final = ("low", "medium", "high", "critical")

# action -> (allowed from, to)
TRANSITIONS: Final[dict[str, tuple[frozenset[str], str]]] = {
    "acknowledge": (frozenset({"open"}), "acknowledged"),
    "start": (frozenset({"acknowledged"}), "in_progress"),
    "resolve": (frozenset({"in_progress"}), "resolved"),
    "close": (frozenset({"resolved"}), "closed"),
    "reopen": (frozenset({"resolved", "closed"}), "open"),
}


class IllegalTransition(Exception):
    def __init__(self, action: str, status: str) -> None:
        allowed = ", ".join(a for a, (src, _) in TRANSITIONS.items() if status in src) or "none"
        super().__init__(
            f"cannot {action} a complaint that is {status}; allowed from {status}: {allowed}"
        )


def next_status(status: str, action: str) -> str:
    """The status after `action`, or IllegalTransition."""
    if action not in TRANSITIONS:
        raise IllegalTransition(action, status)
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise IllegalTransition(action, status)
    return target
