"""Bearer tokens: HMAC-signed claims, so every server process can check the signature without a
lookup. The claims carry the account's token version: bumping it (logout, new password,
deactivation, new role) revokes every token issued before (checked in `app.deps`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

ROLES = ("agent", "supervisor", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}


@dataclass(frozen=True)
class Principal:
    agent_id: int
    username: str
    role: str
    # The account's token version when the token was issued (see app/db/models/staff.py).
    version: int = 0

    def has_role(self, least: str) -> bool:
        """Roles are ordered: an admin may do all a supervisor may, who may do all an agent may."""
        return ROLE_RANK[self.role] >= ROLE_RANK[least]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(secret: str, principal: Principal, now: float, ttl: int) -> str:
    claims = {
        "sub": principal.agent_id,
        "u": principal.username,
        "r": principal.role,
        "v": principal.version,
    }
    claims["exp"] = int(now + ttl)
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())
    return f"{body}.{sig}"


def verify(secret: str, token: str, now: float) -> Principal | None:
    """The principal, or None for a forged, malformed or expired token."""
    try:
        body, sig = token.split(".")
        expected = _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(sig, expected):
            return None
        claims = json.loads(_unb64(body))
        if claims["exp"] < now or claims["r"] not in ROLE_RANK:
            return None
        # Tokens issued before versions existed carry none: version 0, every account's first.
        version = claims.get("v", 0)
        if type(version) is not int:
            return None
        return Principal(int(claims["sub"]), str(claims["u"]), str(claims["r"]), version)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
