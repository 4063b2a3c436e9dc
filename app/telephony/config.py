"""config/telephony.yaml: what a call to each dialled number becomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MODES = ("redirect", "ivr", "survey")


class TelephonyConfigError(ValueError):
    """telephony.yaml is wrong; the message names the key."""


@dataclass(frozen=True)
class Number:
    """One dialled number. ``fallback_status`` / ``fallback_uri``: what the caller gets when
    the queue's maximum wait passes (a final status, or a 302 to this URI)."""

    name: str
    mode: str
    queue: str | None = None
    fallback_status: int = 480
    fallback_uri: str | None = None


@dataclass(frozen=True)
class TelephonyConfig:
    numbers: dict[str, Number] = field(default_factory=dict)
    queued_interval: float = 30.0

    @classmethod
    def from_mapping(cls, data: Any) -> TelephonyConfig:
        if not isinstance(data, dict):
            raise TelephonyConfigError("telephony.yaml: expected a mapping")
        interval = data.get("queued_interval_seconds", 30)
        if not isinstance(interval, int | float) or not 1 <= interval <= 60:
            raise TelephonyConfigError(
                "telephony.yaml queued_interval_seconds: a number from 1 to 60 "
                "(RFC 3261 asks for a provisional response at least every minute)"
            )
        numbers = data.get("numbers") or {}
        if not isinstance(numbers, dict):
            raise TelephonyConfigError("telephony.yaml numbers: expected a mapping")
        return cls({str(k): _number(str(k), v) for k, v in numbers.items()}, float(interval))


def _number(name: str, data: Any) -> Number:
    where = f"telephony.yaml numbers.{name}"
    if not isinstance(data, dict):
        raise TelephonyConfigError(f"{where}: expected a mapping")
    mode = data.get("mode")
    if mode not in MODES:
        raise TelephonyConfigError(f"{where}.mode: one of {', '.join(MODES)}")
    queue = data.get("queue")
    if mode == "redirect" and (not isinstance(queue, str) or not queue):
        raise TelephonyConfigError(f"{where}.queue: a redirect number needs a queue")
    fallback = data.get("fallback") or {}
    if not isinstance(fallback, dict):
        raise TelephonyConfigError(f"{where}.fallback: expected a mapping")
    status = fallback.get("status", 480)
    uri = fallback.get("redirect")
    if not isinstance(status, int) or not 400 <= status <= 699:
        raise TelephonyConfigError(f"{where}.fallback.status: a SIP status from 400 to 699")
    if uri is not None and (
        not isinstance(uri, str) or not uri.startswith(("sip:", "sips:", "tel:"))
    ):
        raise TelephonyConfigError(f"{where}.fallback.redirect: a sip:, sips: or tel: URI")
    return Number(name, mode, queue, status, uri)


def load_telephony_config(path: Path) -> TelephonyConfig:
    return TelephonyConfig.from_mapping(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
