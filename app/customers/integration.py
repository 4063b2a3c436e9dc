"""The business's own systems (shop, ERP, billing) as callers: known by an integration key.

Purchases decide a customer's value and so their grade; they come from those systems (or an
admin), never from agents. A system sends one of the configured keys
(``HOTLINE_INTEGRATION_KEYS``) as ``X-Api-Key``; it is known afterwards by the key's position
in that list, which is what the audit log records: a key is never stored or logged.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from pydantic import SecretStr


@dataclass(frozen=True)
class Integration:
    """A caller that presented configured key number `key_number` (1-based)."""

    key_number: int

    @property
    def label(self) -> str:
        return f"integration key {self.key_number}"


def configured_keys(keys: SecretStr) -> list[str]:
    return [k.strip() for k in keys.get_secret_value().split(",") if k.strip()]


def match_key(keys: SecretStr, presented: str | None) -> Integration | None:
    """The integration whose key is `presented`, or None. Every configured key is compared in
    constant time, so the answer's timing does not tell how much of a key was right."""
    if not presented:
        return None
    offered = presented.encode("utf-8", "surrogatepass")
    found: Integration | None = None
    for number, key in enumerate(configured_keys(keys), start=1):
        if hmac.compare_digest(key.encode(), offered) and found is None:
            found = Integration(number)
    return found
