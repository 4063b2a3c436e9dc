"""Domain errors carry their HTTP status; one handler renders them all."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

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


class TooLarge(DomainError):
    status = 413
    code = "too_large"


def error_body(err: DomainError) -> dict[str, Any]:
    return {"detail": err.message, "code": err.code, **err.detail}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, err: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if err.status == 401 else None
        return JSONResponse(error_body(err), status_code=err.status, headers=headers)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, err: IntegrityError) -> JSONResponse:
        # A race past the service's own checks: the transaction rolled back, nothing written.
        log.info("integrity error: %s", err.orig)
        return JSONResponse(
            {"detail": "conflicts with an existing record", "code": "conflict"}, status_code=409
        )
