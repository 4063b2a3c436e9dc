"""Phones to E.164, e-mails to lower case: one customer however they are written."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.customers.identity import normalise_email, normalise_phone, try_normalise_phone
from app.errors import Invalid

SAME_NUMBER = [
    "13800138000",
    "138 0013 8000",
    "138-0013-8000",
    "+86 138 0013 8000",
    "+86-138-0013-8000",
    "+86 (0)138 0013 8000",
    "(0)138 0013 8000",
    "0138 0013 8000",
    "008613800138000",
    "+8613800138000",
    "  +86 138 0013 8000  ",
    "+86.138.0013.8000",
]


@pytest.mark.parametrize("raw", SAME_NUMBER)
def test_common_formats_give_one_e164(raw: str) -> None:
    assert normalise_phone(raw, "CN") == "+8613800138000"


def test_the_region_applies_to_national_numbers_only() -> None:
    assert normalise_phone("020 7946 0018", "GB") == "+442079460018"
    assert normalise_phone("+86 138 0013 8000", "GB") == "+8613800138000"
    assert normalise_phone("(415) 555-2671", "US") == "+14155552671"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("abc", "did not seem to be a phone number"),
        ("", "did not seem to be a phone number"),
        ("123", "not a possible number"),
        ("+86 138", "not a possible number"),
        ("+999 123 4567", "Could not interpret numbers after plus-sign"),
        ("1" * 300, "too long"),
    ],
)
def test_invalid_numbers_say_why(raw: str, why: str) -> None:
    with pytest.raises(Invalid) as err:
        normalise_phone(raw, "CN")
    assert err.value.status == 422
    assert err.value.detail == {"field": "phone"}
    assert f"invalid phone number {raw!r}" in err.value.message
    assert why.lower() in err.value.message.lower()
    assert try_normalise_phone(raw, "CN") is None


@given(st.text(max_size=40))
def test_phone_normalisation_never_fails_unexpectedly(raw: str) -> None:
    out = try_normalise_phone(raw, "CN")
    if out is not None:
        assert out.startswith("+") and out[1:].isdigit()
        assert normalise_phone(out, "CN") == out  # idempotent


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("li@example.com", "li@example.com"),
        ("LI@Example.COM", "li@example.com"),
        ("  Li.Lei+vip@Example.com \t", "li.lei+vip@example.com"),
        ("wang@例子.中国", "wang@例子.中国"),
    ],
)
def test_emails_are_lower_cased(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("not-an-email", "@-sign"),
        ("a@b", "period"),
        ("two@@example.com", "@-sign"),
        ("spaces in@example.com", "invalid characters"),
        ("", "@-sign"),
    ],
)
def test_invalid_emails_say_why(raw: str, why: str) -> None:
    with pytest.raises(Invalid) as err:
        normalise_email(raw)
    assert err.value.detail == {"field": "email"}
    assert f"invalid e-mail {raw!r}" in err.value.message
    assert why.lower() in err.value.message.lower()
