"""One event of the live path, as every subscriber sees it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    """A fact that happened, in order.

    ``seq`` is the position in the stream (contiguous, increasing, never reused in one
    stream); ``name`` and ``version`` name the payload's schema in docs/events.md; ``data`` is
    JSON-safe (codes and facts, no sentences) so that any transport can carry it.
    """

    seq: int
    name: str
    at: float
    data: dict[str, Any]
    version: int = 1

    def as_dict(self) -> dict[str, Any]:
        at = datetime.fromtimestamp(self.at, UTC).isoformat().replace("+00:00", "Z")
        return {"seq": self.seq, "name": self.name, "v": self.version, "at": at, "data": self.data}
