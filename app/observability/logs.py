"""Log lines as JSON (``HOTLINE_LOG_FORMAT=json``): one object per line with the time, level,
logger, message, and the contact and agent the code was handling when it logged.

The token-redacting filter (app/auth/redaction.py) sits on the handler, so every record —
whichever logger it comes from — is redacted before it is formatted.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, TextIO

from app.auth.redaction import TokenRedactingFilter, redact
from app.observability import context

# Extra fields a caller may pass with `extra={...}` that the line keeps (anything else on a
# record is logging's own bookkeeping, or uvicorn's message again with terminal colours).
_STANDARD = set(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (a newline in a message is escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(context.current())
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line:
                text = value if isinstance(value, int | float | bool) else redact(str(value))
                line[key] = text
        if record.exc_info:
            # Tracebacks quote local values and URLs: redacted like the message.
            line["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            line["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(fmt: str, level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """The root logger's one handler: JSON lines (``json``) or plain text (``text``), with
    the token filter on it. Replaces handlers a previous call installed."""
    handler = logging.StreamHandler(stream)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(TokenRedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
