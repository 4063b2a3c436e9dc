"""config/telephony.yaml: the shipped file, and mistakes named by their key."""

from __future__ import annotations

from typing import Any

import pytest

from app.telephony.config import TelephonyConfig, TelephonyConfigError, load_telephony_config
from config.settings import Settings


def test_the_shipped_numbers() -> None:
    config = load_telephony_config(Settings().telephony_file)
    hotline = config.numbers["hotline"]
    assert (hotline.mode, hotline.queue, hotline.fallback_status) == ("redirect", "service", 480)
    assert config.numbers["ivr"].mode == "ivr" and config.numbers["survey"].mode == "survey"
    assert 1 <= config.queued_interval <= 60


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ([], "expected a mapping"),
        ({"queued_interval_seconds": 90}, "queued_interval_seconds"),
        ({"numbers": {"x": {"mode": "fax"}}}, "numbers.x.mode"),
        ({"numbers": {"x": {"mode": "redirect"}}}, "numbers.x.queue"),
        (
            {"numbers": {"x": {"mode": "redirect", "queue": "q", "fallback": {"status": 200}}}},
            "fallback.status",
        ),
        (
            {"numbers": {"x": {"mode": "redirect", "queue": "q", "fallback": {"redirect": "x"}}}},
            "fallback.redirect",
        ),
    ],
)
def test_mistakes_name_their_key(data: Any, where: str) -> None:
    with pytest.raises(TelephonyConfigError, match=where):
        TelephonyConfig.from_mapping(data)


def test_a_fallback_can_redirect_to_an_overflow_uri() -> None:
    config = TelephonyConfig.from_mapping(
        {
            "numbers": {
                "x": {"mode": "redirect", "queue": "q", "fallback": {"redirect": "sip:o@pbx"}}
            }
        }
    )
    assert config.numbers["x"].fallback_uri == "sip:o@pbx"
