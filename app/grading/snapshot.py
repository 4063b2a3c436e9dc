"""What one bulk regrade leaves behind so a single customer can be graded later on their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.grading.model import as_utc


@dataclass(frozen=True, slots=True)
class TierBoundary:
    """A tier of the ranked base: ranks up to ``last_rank`` (1-based, cumulative from the top).

    In rank mode ``last_rank`` is ``ceil(n·S_k)``; in threshold mode it is where the tier ended.

    ``min_value``/``min_customer_id`` identify the tier's last (lowest) member in the order
    (value desc, customer_id asc); both None when the tier is empty.
    """

    name: str
    last_rank: int
    min_value: float | None
    min_customer_id: int | None


@dataclass(frozen=True, slots=True)
class BaseSnapshot:
    """The base's grading landmarks at ``computed_at``; JSON-storable via to_dict/from_dict.

    ``recency_cuts`` are last-purchase datetimes; ``frequency_cuts``/``monetary_cuts`` the
    purchase counts and values at the 20/40/60/80 % positions (``rfm.window`` says which counts).
    """

    computed_at: datetime
    base_size: int
    value_measure: str
    mode: str
    rfm_window: str
    tiers: tuple[TierBoundary, ...]
    recency_cuts: tuple[datetime, ...]
    frequency_cuts: tuple[float, ...]
    monetary_cuts: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (datetimes as ISO 8601); ``from_dict`` restores an equal snapshot."""
        return {
            "computed_at": self.computed_at.isoformat(),
            "base_size": self.base_size,
            "value_measure": self.value_measure,
            "mode": self.mode,
            "rfm_window": self.rfm_window,
            "tiers": [
                {
                    "name": t.name,
                    "last_rank": t.last_rank,
                    "min_value": t.min_value,
                    "min_customer_id": t.min_customer_id,
                }
                for t in self.tiers
            ],
            "recency_cuts": [c.isoformat() for c in self.recency_cuts],
            "frequency_cuts": list(self.frequency_cuts),
            "monetary_cuts": list(self.monetary_cuts),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BaseSnapshot:
        """Rebuild a snapshot from :meth:`to_dict` output (raises KeyError/ValueError if malformed)."""
        return cls(
            computed_at=as_utc(datetime.fromisoformat(data["computed_at"])),
            base_size=int(data["base_size"]),
            value_measure=str(data["value_measure"]),
            mode=str(data["mode"]),
            rfm_window=str(data["rfm_window"]),
            tiers=tuple(
                TierBoundary(
                    name=str(t["name"]),
                    last_rank=int(t["last_rank"]),
                    min_value=None if t["min_value"] is None else float(t["min_value"]),
                    min_customer_id=None
                    if t["min_customer_id"] is None
                    else int(t["min_customer_id"]),
                )
                for t in data["tiers"]
            ),
            recency_cuts=tuple(as_utc(datetime.fromisoformat(c)) for c in data["recency_cuts"]),
            frequency_cuts=tuple(float(c) for c in data["frequency_cuts"]),
            monetary_cuts=tuple(float(c) for c in data["monetary_cuts"]),
        )
