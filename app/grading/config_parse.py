"""Turning a plain mapping into the config dataclasses, with errors that name the dotted key.

Each dataclass field declares how it is checked in its ``metadata`` (see :func:`num`,
:func:`pick`, :func:`text`, :func:`section`, :func:`tiers_of`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from typing import Any


class GradingConfigError(ValueError):
    """A grading config value is unknown, mistyped or out of range; ``key`` is its dotted path."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"grading config {key}: {message}")
        self.key = key


def num(
    low: float | None = None,
    high: float | None = None,
    *,
    integer: bool = False,
    open_low: bool = False,
) -> dict[str, Any]:
    """A number in ``[low, high]`` (``(low, high]`` with ``open_low``); whole when ``integer``."""
    return {"kind": "num", "low": low, "high": high, "integer": integer, "open_low": open_low}


def pick(*choices: str) -> dict[str, Any]:
    """One of the given strings."""
    return {"kind": "pick", "choices": choices}


def text() -> dict[str, Any]:
    """A non-empty string."""
    return {"kind": "text"}


def section(cls: type) -> dict[str, Any]:
    """A nested mapping parsed into ``cls``."""
    return {"kind": "section", "cls": cls}


def tiers_of(cls: type) -> dict[str, Any]:
    """A non-empty list of tier mappings (``name``, ``share``, ``min_value``) parsed into ``cls``."""
    return {"kind": "tiers", "cls": cls}


def check_value(key: str, value: Any, meta: Mapping[str, Any]) -> Any:
    """Validate one value against its field metadata; return it converted (ints to floats...)."""
    kind = meta["kind"]
    if kind == "num":
        return _check_num(key, value, meta)
    if kind == "pick":
        if value not in meta["choices"]:
            raise GradingConfigError(key, f"must be one of {', '.join(meta['choices'])}")
        return value
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise GradingConfigError(key, "must be a non-empty string")
        return value
    if kind == "section":
        return parse_section(meta["cls"], value, key)
    return _parse_tiers(key, value, meta["cls"])


def _check_num(key: str, value: Any, meta: Mapping[str, Any]) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GradingConfigError(key, f"must be a number, not {value!r}")
    if meta["integer"] and not isinstance(value, int):
        raise GradingConfigError(key, f"must be a whole number, not {value!r}")
    if not math.isfinite(value):
        raise GradingConfigError(key, "must be finite")
    low, high = meta["low"], meta["high"]
    if low is not None and (value <= low if meta["open_low"] else value < low):
        raise GradingConfigError(key, f"must be {'>' if meta['open_low'] else '>='} {low}")
    if high is not None and value > high:
        raise GradingConfigError(key, f"must be <= {high}")
    return value if meta["integer"] else float(value)


def parse_section(cls: type, raw: Any, path: str) -> Any:
    """Parse mapping ``raw`` into dataclass ``cls``; missing keys keep their defaults."""
    if not isinstance(raw, Mapping):
        raise GradingConfigError(path or "(top level)", "must be a mapping")
    known = {f.name: f for f in fields(cls)}
    values = {}
    for key, value in raw.items():
        dotted = f"{path}.{key}" if path else str(key)
        if key not in known:
            raise GradingConfigError(dotted, f"unknown key; expected one of {', '.join(known)}")
        values[key] = check_value(dotted, value, known[key].metadata)
    return cls(**values)


_TIER_KEYS = {
    "name": text(),
    "share": num(0, 1, open_low=True),
    "min_value": num(),
}


def _parse_tiers(path: str, raw: Any, cls: type) -> tuple[Any, ...]:
    if isinstance(raw, str | bytes | Mapping) or not isinstance(raw, list | tuple):
        raise GradingConfigError(path, "must be a list of tiers")
    if not raw:
        raise GradingConfigError(path, "needs at least one tier")
    tiers = []
    for i, item in enumerate(raw):
        key = f"{path}[{i}]"
        if not isinstance(item, Mapping):
            raise GradingConfigError(key, "must be a mapping with name, share, min_value")
        values = {}
        for name, value in item.items():
            if name not in _TIER_KEYS:
                raise GradingConfigError(
                    f"{key}.{name}", "unknown key; expected name, share, min_value"
                )
            if value is None and name != "name":
                continue
            values[name] = check_value(f"{key}.{name}", value, _TIER_KEYS[name])
        if "name" not in values:
            raise GradingConfigError(f"{key}.name", "is required")
        tiers.append(cls(**values))
    return tuple(tiers)


def plain(obj: Any) -> Any:
    """Dataclasses to dicts and tuples to lists, recursively (the YAML-shaped form)."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, tuple | list):
        return [plain(item) for item in obj]
    return obj
