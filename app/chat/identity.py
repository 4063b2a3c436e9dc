"""Signed identity tokens: the company's website vouches for a logged-in customer.

``<customer_id>.<expires_epoch>.<signature>``, the signature being the hex HMAC-SHA256 of
``"<customer_id>.<expires_epoch>"`` under ``HOTLINE_CHAT_IDENTITY_SECRET``. The website signs
it server-side and hands it to the chat page; Hotline checks it and ties the chat to that
customer record without asking who they are.
"""

from __future__ import annotations

import hashlib
import hmac


class BadIdentity(ValueError):
    """Forged, malformed or expired; ``code`` says which (never the token itself)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def sign_identity(secret: str, customer_id: int, expires_at: int) -> str:
    payload = f"{customer_id}.{expires_at}"
    mac = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return f"{payload}.{mac}"


def verify_identity(secret: str, token: str, now: float) -> int:
    """The customer id the token vouches for; BadIdentity otherwise."""
    if not secret:
        raise BadIdentity("identity_disabled")
    parts = token.split(".")
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts[:2]):
        raise BadIdentity("identity_malformed")
    customer, expires, mac = parts
    if len(customer) > 18 or len(expires) > 12:
        raise BadIdentity("identity_malformed")
    expected = sign_identity(secret, int(customer), int(expires)).rsplit(".", 1)[1]
    # Compared in constant time, so the signature cannot be guessed byte by byte.
    if not hmac.compare_digest(expected, mac):
        raise BadIdentity("identity_forged")
    if int(expires) <= now:
        raise BadIdentity("identity_expired")
    return int(customer)
