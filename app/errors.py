"""Domain errors carry their HTTP status; one handler renders them all."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

log = logging.getLogger(__name__)


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Invalid(DomainError):
    status = 422
    code = "invalid"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unavailable(DomainError):
    status = 503
    code = "unavailable"


class TooLarge(DomainError):
    status = 413
    code = "too_large"


def error_body(err: DomainError) -> dict[str, Any]:
    return {"detail": err.message, "message": err.message, "code": err.code, **err.detail}


def validation_message(errors: Sequence[Any]) -> str:
    """One readable line from pydantic's error list: `body.phones: Input should be a valid list`."""
    parts = []
    for e in errors:
        where = ".".join(str(p) for p in e.get("loc", ()))
        parts.append(f"{where}: {e.get('msg', 'invalid')}" if where else str(e.get("msg")))
    return "; ".join(parts) or "invalid input"


def refused_value(err: BaseException) -> str | None:
    """Why the database refused a value the input checks let through (a number or date out of
    range, a NUL character), or None when `err` is some other failure, which stays a 500."""
    if isinstance(err, OverflowError):  # SQLite binding a too-large int, datetime arithmetic
        return str(err)
    if not isinstance(err, StatementError):
        return None
    orig = err.orig
    if isinstance(orig, OverflowError):  # a bind step: a date that leaves the calendar in UTC
        return str(orig)
    cause = getattr(orig, "__cause__", None)
    sqlstate = str(getattr(orig, "sqlstate", None) or "")
    if (
        isinstance(err, DataError)
        or (isinstance(err, DBAPIError) and isinstance(cause, ValueError))  # asyncpg: int32...
        or sqlstate.startswith("22")  # PostgreSQL's "data exception" class (NUL, range...)
    ):
        return str(cause or orig).splitlines()[0]
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, err: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if err.status == 401 else None
        return JSONResponse(error_body(err), status_code=err.status, headers=headers)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, err: IntegrityError) -> JSONResponse:
        # A race past the service's own checks: the transaction rolled back, nothing written.
        log.info("integrity error: %s", err.orig)
        message = "conflicts with an existing record"
        return JSONResponse(
            {"detail": message, "message": message, "code": "conflict"}, status_code=409
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, err: RequestValidationError) -> JSONResponse:
        # FastAPI's `detail` list stays as it is; `message` says the same in one line.
        errors = err.errors()
        body = {
            "detail": jsonable_encoder(errors),
            "message": validation_message(errors),
            "code": "invalid",
        }
        return JSONResponse(body, status_code=422)

    async def _refused(_: Request, err: Exception) -> JSONResponse:
        reason = refused_value(err)
        if reason is None:
            raise err
        # Rolled back by the unit of work; the client sent a value the database cannot hold.
        log.info("value refused by the database: %s", reason)
        message = f"a value is out of range or cannot be stored: {reason}"
        return JSONResponse({"detail": message, "message": message, "code": "invalid"}, 422)

    app.add_exception_handler(StatementError, _refused)
    app.add_exception_handler(OverflowError, _refused)
