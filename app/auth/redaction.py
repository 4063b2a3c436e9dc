"""A safety net for logs: anything that looks like a bearer token is replaced before a record
is written. Tokens should never reach a log line in the first place (websockets authenticate
with their first message, not the URL: app/api/ws_agent.py), but an old client that still puts
`?token=` in a URL, or a header echoed in an error, must not leak one either.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

_PATTERNS = (
    # Query parameters: ?token=…, &access_token=… (not a "%s" placeholder of a log format).
    re.compile(r"(?i)([?&;](?:access_|auth_|refresh_)?token=)(?!%[sdr])[^&;#\s\"']+"),
    # Authorization headers and the like: Bearer …
    # (16 characters at least: no token is shorter, and prose such as "bearer tokens" stays.)
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]{16,}"),
    # JSON fields: "token": "…", "access_token": "…"
    re.compile(r"(?i)(\"(?:access_|refresh_)?token\"\s*:\s*\")[^\"]*"),
    # The tokens themselves, wherever they stand: base64url JSON claims ("eyJ…") and a
    # signature (app/auth/tokens.py), and JWTs of the same shape.
    re.compile(r"()\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}(?:\.[A-Za-z0-9_-]+)?"),
    # A PBX's API key (app/telephony/pbx.py): "hpk_" and 43 base64url characters.
    re.compile(r"()\bhpk_[A-Za-z0-9_-]{16,}"),
)


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


class TokenRedactingFilter(logging.Filter):
    """Rewrites a record whose message holds something token-like; never drops a record.

    The arguments are redacted one by one, keeping their shape: uvicorn's access formatter
    unpacks them (client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        args = record.args
        if isinstance(args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        elif isinstance(args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in args.items()}
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's problem to report, not ours
            return True
        cleaned = redact(message)
        if cleaned != message:  # a token inside some other argument: flatten the record
            record.msg, record.args = cleaned, None
        return True


_FILTER = TokenRedactingFilter()

# Loggers that print request lines (URLs with their query strings) or handshakes.
LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn", "websockets.server", "app")


def install_token_redaction(loggers: tuple[str, ...] = LOGGERS) -> None:
    """Put the filter on the loggers that print request lines and on the handlers the root
    logger has now (records of other loggers pass through those). Idempotent."""
    for name in loggers:
        logging.getLogger(name).addFilter(_FILTER)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_FILTER)
