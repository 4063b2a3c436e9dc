"""The chat's per-connection limits, identity tokens and config, on a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.chat.config import ChatConfig, Hours, load_chat_config
from app.chat.identity import BadIdentity, sign_identity, verify_identity
from app.chat.limits import Throttle, TokenBucket
from app.chat.words import WORDS, ChatRefusal, say


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=2.0, burst=3, clock=clock)
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take() == pytest.approx(0.5)  # one token refills in 1/rate s
    clock.now += 0.5
    assert bucket.take() == 0.0
    assert bucket.take() > 0
    clock.now += 100  # saved up to the burst, no more
    assert [bucket.take() for _ in range(4)][-1] > 0


def test_throttle_lets_one_through_per_interval() -> None:
    clock = FakeClock()
    typing = Throttle(2.0, clock)
    assert typing.allow() and not typing.allow()
    clock.now += 1.99
    assert not typing.allow()
    clock.now += 0.01
    assert typing.allow()


def test_identity_tokens() -> None:
    token = sign_identity("s3cret", 42, 2000)
    assert verify_identity("s3cret", token, now=1999) == 42
    with pytest.raises(BadIdentity, match="identity_expired"):
        verify_identity("s3cret", token, now=2000)
    with pytest.raises(BadIdentity, match="identity_forged"):
        verify_identity("other", token, now=1)
    with pytest.raises(BadIdentity, match="identity_forged"):
        verify_identity("s3cret", token.replace("42.", "43.", 1), now=1)
    for bad in ("", "42", "a.b.c", "42.2000", "-1.2000.x", "4" * 30 + ".1.x"):
        with pytest.raises(BadIdentity, match="identity_malformed"):
            verify_identity("s3cret", bad, now=1)
    with pytest.raises(BadIdentity, match="identity_disabled"):
        verify_identity("", token, now=1)


def test_opening_hours_in_their_time_zone() -> None:
    hours = Hours(timezone="Asia/Shanghai", days={"mon": ("09:00", "18:00")})
    # Monday 30 Nov 2026, 01:00 UTC is 09:00 in Shanghai.
    assert hours.open_at(datetime(2026, 11, 30, 1, 0, tzinfo=UTC))
    assert not hours.open_at(datetime(2026, 11, 30, 0, 59, tzinfo=UTC))
    assert not hours.open_at(datetime(2026, 11, 30, 10, 0, tzinfo=UTC))  # 18:00 there
    assert not hours.open_at(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))  # Tuesday: closed
    always = Hours(days={"mon": ("00:00", "24:00")})
    assert always.open_at(datetime(2026, 11, 30, 23, 59, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("topics: []", "topics"),
        ("topics: [{code: a, queue: q, label: {en: A}}]\nhours: {timezone: Mars/Base}", "Mars"),
        (
            "topics: [{code: a, queue: q, label: {en: A}}]\nhours: {days: {mon: ['18:00', '09:00']}}",
            "opens",
        ),
        (
            "topics: [{code: a, queue: q, label: {en: A}}]\nlimits: {message_chars: 0}",
            "message_chars",
        ),
        ("topics: [{code: a, queue: q, label: {en: A}}]\nsurprise: 1", "surprise"),
    ],
)
def test_a_bad_config_is_refused_with_its_key(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "chat.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=words):
        load_chat_config(path)


def test_the_shipped_config_loads_and_every_refusal_has_both_languages() -> None:
    config = load_chat_config(Path("config/chat.yaml"))
    assert isinstance(config, ChatConfig) and config.topic(None) is config.topics[0]
    assert config.topic("nope") is None and config.canned_replies
    for code, forms in WORDS.items():
        assert set(forms) == {"en", "zh"}, code
    refusal = ChatRefusal("too_large", limit=10, length=12)
    assert refusal.message("zh", "message")["message"] == say(
        "too_large", "zh", limit=10, length=12
    )
