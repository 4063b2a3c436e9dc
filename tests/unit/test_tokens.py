"""Bearer tokens (HMAC-signed claims), roles and password hashing."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.auth.passwords import hash_password, verify_password
from app.auth.tokens import ROLES, Principal, issue, verify

SECRET = "s3cret"
NOW = 1_800_000_000.0
ALICE = Principal(7, "alice", "agent")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_round_trip() -> None:
    token = issue(SECRET, ALICE, NOW, 3600)
    assert verify(SECRET, token, NOW) == ALICE
    assert verify(SECRET, token, NOW + 3600) == ALICE  # valid up to and including exp


def test_expired() -> None:
    token = issue(SECRET, ALICE, NOW, 3600)
    assert verify(SECRET, token, NOW + 3601) is None


def test_signed_with_another_secret() -> None:
    assert verify(SECRET, issue("other", ALICE, NOW, 3600), NOW) is None


def test_claims_changed_after_signing() -> None:
    body, sig = issue(SECRET, ALICE, NOW, 3600).split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["r"] = "admin"
    forged = _b64(json.dumps(claims).encode()) + "." + sig
    assert verify(SECRET, forged, NOW) is None


def test_unknown_role_is_refused_even_when_signed() -> None:
    token = issue(SECRET, Principal(1, "root", "root"), NOW, 3600)
    assert verify(SECRET, token, NOW) is None


@pytest.mark.parametrize(
    "token",
    ["", ".", "abc", "a.b.c", "é.é", "....", issue(SECRET, ALICE, NOW, 60) + "x"],
)
def test_malformed(token: str) -> None:
    assert verify(SECRET, token, NOW) is None


@pytest.mark.parametrize(
    "claims", [[1, 2], {"sub": 1}, {"sub": "x", "u": "a", "r": "agent", "exp": NOW + 60}, "str"]
)
def test_signed_but_malformed_claims(claims: object) -> None:
    import hashlib
    import hmac

    body = _b64(json.dumps(claims).encode())
    sig = _b64(hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).digest())
    assert verify(SECRET, f"{body}.{sig}", NOW) is None


@given(st.text(max_size=200))
def test_garbage_never_raises(token: str) -> None:
    assert verify(SECRET, token, NOW) is None


def test_roles_are_ordered() -> None:
    assert ROLES == ("agent", "supervisor", "admin")
    for held in ROLES:
        principal = Principal(1, "x", held)
        allowed = {least for least in ROLES if principal.has_role(least)}
        assert allowed == set(ROLES[: ROLES.index(held) + 1])


def test_passwords_are_argon2id() -> None:
    hashed = hash_password("correct-horse-1")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct-horse-1")
    assert not verify_password(hashed, "wrong")
    assert not verify_password("not-a-hash", "correct-horse-1")


def test_the_token_version_is_signed_in() -> None:
    versioned = Principal(7, "alice", "agent", version=4)
    assert verify(SECRET, issue(SECRET, versioned, NOW, 60), NOW) == versioned
    body, sig = issue(SECRET, versioned, NOW, 60).split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["v"] = 5  # a revoked token cannot be brought up to date
    assert verify(SECRET, _b64(json.dumps(claims).encode()) + "." + sig, NOW) is None


@pytest.mark.parametrize("version", ["4", 4.0, None, True])
def test_a_version_that_is_not_an_integer_is_refused(version: object) -> None:
    import hashlib
    import hmac

    claims = {"sub": 7, "u": "alice", "r": "agent", "v": version, "exp": NOW + 60}
    body = _b64(json.dumps(claims).encode())
    sig = _b64(hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).digest())
    assert verify(SECRET, f"{body}.{sig}", NOW) is None


def test_tokens_from_before_versions_are_version_0() -> None:
    import hashlib
    import hmac

    body = _b64(json.dumps({"sub": 7, "u": "alice", "r": "agent", "exp": NOW + 60}).encode())
    sig = _b64(hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).digest())
    assert verify(SECRET, f"{body}.{sig}", NOW) == Principal(7, "alice", "agent", 0)
