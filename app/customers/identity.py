"""Phones to E.164 and e-mails to lower case, so one customer is found however they are written."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from app.errors import Invalid


def normalise_phone(raw: str, region: str) -> str:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise Invalid(f"invalid phone number {raw!r}: {exc}", field="phone") from exc
    if not phonenumbers.is_possible_number(number):
        raise Invalid(f"invalid phone number {raw!r}: not a possible number", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_normalise_phone(raw: str, region: str) -> str | None:
    try:
        return normalise_phone(raw, region)
    except Invalid:
        return None


def normalise_email(raw: str) -> str:
    try:  # surrounding blanks are stripped, as in request bodies (a pasted search term...)
        info = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise Invalid(f"invalid e-mail {raw!r}: {exc}", field="email") from exc
    return info.normalized.lower()


def normalise_identity(kind: str, raw: str, region: str) -> str:
    """A phone or an e-mail, normalised as it is stored in customer_identities."""
    return normalise_phone(raw, region) if kind == "phone" else normalise_email(raw)
