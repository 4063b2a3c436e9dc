"""Domain errors carry their HTTP status; one handler renders them all."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

log = logging.getLogger(__name__)


class DomainError(Exception):
    """An error the client can act on. `loc` (or `field`) says where in the request it lies;
    other keyword arguments travel in the error body beside `message` (e.g. `customer_id`)."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, loc: Sequence[str | int] | None = None, **detail: Any
    ) -> None:
        super().__init__(message)
        self.message = message
        field = detail.get("field")
        self.loc: list[str | int] = (
            list(loc) if loc is not None else [field] if isinstance(field, str) else []
        )
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


class Internal(DomainError):
    """A failure of the server's own, reported where no HTTP status can carry it (a
    websocket message); logged with its traceback where it is raised."""

    status = 500
    code = "internal"


def json_safe(value: Any) -> Any:
    """`value` made writable as strict JSON in UTF-8: a lone surrogate (from a client's
    `"\\ud800"`) is written as its escape, a non-finite number as null. Error replies quote
    what the client sent, and a reply that cannot be written was a 500."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {json_safe(str(k)): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if value is None or isinstance(value, bool | int):
        return value
    return json_safe(str(value))


def strict_json(message: Any) -> str:
    """``message`` as strict JSON text, as the sockets write it: never a bare ``NaN`` (which a
    browser's ``JSON.parse`` refuses; a non-finite number is written null) nor a lone
    surrogate (which cannot be sent as UTF-8 and would end the socket; written as its
    escape, and logged). orjson: encoding the messages with the standard library was ~5 %
    of the server's CPU under load, most of it the 6 KB offer cards (docs/benchmarks.md)."""
    try:
        return orjson.dumps(message, option=orjson.OPT_NON_STR_KEYS).decode()
    except (orjson.JSONEncodeError, ValueError):
        kind = message.get("type") if isinstance(message, dict) else None
        log.exception("unsafe value in a %s message; sent with it replaced", kind)
        return orjson.dumps(json_safe(message)).decode()


def error_body(err: DomainError) -> dict[str, Any]:
    """The one error shape (`ErrorOut` in app/schemas.py): `message` to read, `code` to act
    on, `detail` — for a 422 the list of problems with where each lies, as FastAPI gives for
    its own validation errors; otherwise the message again."""
    detail: Any = err.message
    if err.status == 422:
        # A message that starts with where the problem lies says it once: `loc` holds it.
        where = ".".join(str(p) for p in err.loc)
        msg = err.message.removeprefix(f"{where}: ") if where else err.message
        detail = [{"loc": err.loc, "msg": msg, "type": err.code}]
    body = {**err.detail, "detail": detail, "message": err.message, "code": err.code}
    return json_safe(body)  # type: ignore[no-any-return]


def problem_items(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Pydantic's errors as `{loc, msg, type}`: without the `input` and `ctx` they carry,
    which echo what the client sent (a password, a value no encoder can write)."""
    return [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", "invalid"), "type": e.get("type")}
        for e in errors
    ]


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


def plain_refusal(reason: str) -> str:
    """The database's words for a refused value, in the client's terms: a number too large
    for an id column (SQLite's "Python int too large to convert to SQLite INTEGER", asyncpg's
    "value out of int32 range") is said as such, without naming the driver's types."""
    lowered = reason.lower()
    if "int too large" in lowered or "out of int" in lowered or "integer out of range" in lowered:
        return "a number in the request is out of range (too large for an id or a count)"
    if "overflow" in lowered or "out of range" in lowered:
        return "a value in the request is out of range"
    return f"a value cannot be stored: {reason}"


# Set by app.input_guard on a request whose JSON body it refused (kept here: errors import
# nothing of the app, and the guard imports this module).
INPUT_PROBLEM_KEY = "hotline.input_problem"


def retry_headers(detail: Mapping[str, Any]) -> dict[str, str]:
    """``Retry-After`` for an error whose detail says when to try again (a 503 or 429)."""
    retry_after = detail.get("retry_after")
    return {"Retry-After": str(retry_after)} if isinstance(retry_after, int) else {}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, err: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if err.status == 401 else {}
        headers |= retry_headers(err.detail)
        return JSONResponse(error_body(err), status_code=err.status, headers=headers or None)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, err: IntegrityError) -> JSONResponse:
        # A race past the service's own checks: the transaction rolled back, nothing written.
        log.info("integrity error: %s", err.orig)
        return JSONResponse(error_body(Conflict("conflicts with an existing record")), 409)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, err: RequestValidationError) -> JSONResponse:
        errors = problem_items(err.errors())
        # A body the input guard refused reaches here only after authentication passed (the
        # app got a stand-in body that fails validation): report what was wrong with it.
        refused = request.scope.get(INPUT_PROBLEM_KEY)
        if isinstance(refused, DomainError):
            errors = [
                *error_body(refused)["detail"],
                *(e for e in errors if not e["loc"] or e["loc"][0] != "body"),
            ]
        body = {"detail": errors, "message": validation_message(errors), "code": "invalid"}
        return JSONResponse(json_safe(body), status_code=422)

    async def _refused(_: Request, err: Exception) -> JSONResponse:
        reason = refused_value(err)
        if reason is None:
            raise err
        # Rolled back by the unit of work; the client sent a value the database cannot hold.
        log.info("value refused by the database: %s", reason)
        return JSONResponse(error_body(Invalid(plain_refusal(reason))), 422)

    app.add_exception_handler(StatementError, _refused)
    app.add_exception_handler(OverflowError, _refused)


# What each error status means wherever the spec declares it (docs/api.md, "Errors").
ERROR_STATUSES: dict[str, str] = {
    "400": "The request body could not be read",
    "401": "Not logged in: no token, or a bad, expired or revoked one",
    "403": "Logged in, but this account's role does not allow it",
    "404": "What the path names does not exist",
    "409": "Conflicts with the current state or with an existing record",
    "413": "The request body is larger than the server accepts",
    "422": "Invalid input: `detail` lists each problem and where it lies",
    "429": "Too many attempts: wait `retry_after` seconds (the Retry-After header)",
}
WRITES = ("post", "put", "patch", "delete")


def error_statuses(method: str, operation: dict[str, Any]) -> list[str]:
    """The errors an operation can answer, from what it takes: a token (401, 403), a path id
    (404), parameters or a body (422), a body (400, 413), a write (409)."""
    params = operation.get("parameters", [])
    body = "requestBody" in operation
    codes = []
    if operation.get("security"):
        codes += ["401", "403"]
    if any(p.get("in") == "path" for p in params):
        codes.append("404")
    if method in WRITES:
        codes.append("409")
    if body:
        codes += ["400", "413"]
    if params or body:
        codes.append("422")
    return codes


def declare_errors(spec: dict[str, Any]) -> dict[str, Any]:
    """Declare every error of every operation in `spec`, all with the one `ErrorOut` schema.

    Statuses an endpoint declares itself (say, a 429 on the login) keep their description
    and get the schema; FastAPI's own 422 schema is replaced, since the handlers above answer
    every 422 as `ErrorOut`."""
    from app.schemas import ErrorOut  # the spec is built once, on first request for it

    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_schema.pop("$defs", {}))
    schemas["ErrorOut"] = error_schema
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    for path_item in spec.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code in error_statuses(method, operation):
                responses.setdefault(code, {"description": ERROR_STATUSES[code]})
            for code, response in responses.items():
                if code == "422":  # FastAPI's own, for its validation errors: ours instead
                    response.update(description=ERROR_STATUSES["422"], content=content)
                elif code[0] in "45" and "content" not in response:
                    response["content"] = content
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    declare_text_rules(spec)
    return spec


# What app.input_guard refuses in text, said in the spec so that clients (and schemathesis)
# know: no control characters in a body's text but tab and line breaks, none at all in a
# parameter. (Lone surrogates cannot be said in a JSON Schema; they are refused too.)
BODY_TEXT = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$"
PARAM_TEXT = "^[^\\x00-\\x1f\\x7f]*$"


def declare_text_rules(spec: dict[str, Any]) -> None:
    """Give every free-text string of every request (body, path, query) its `pattern`."""
    components = spec.get("components", {}).get("schemas", {})
    seen: set[str] = set()
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for param in operation.get("parameters", []):
                _constrain_text(param.get("schema"), components, PARAM_TEXT, seen)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _constrain_text(media.get("schema"), components, BODY_TEXT, seen)


def _any_json(components: dict[str, Any], pattern: str) -> str:
    """A component for "any JSON value" whose text, keys included, follows `pattern`."""
    name = "JsonValue"
    ref = f"#/components/schemas/{name}"
    components[name] = {
        "description": "Any JSON value; text without control characters but tab and line breaks",
        "anyOf": [
            {"type": "string", "pattern": pattern},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "null"},
            {"type": "array", "items": {"$ref": ref}},
            {
                "type": "object",
                "propertyNames": {"pattern": pattern},
                "additionalProperties": {"$ref": ref},
            },
        ],
    }
    return ref


def _constrain_text(schema: Any, components: dict[str, Any], pattern: str, seen: set[str]) -> None:
    stack = [schema]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name not in seen:  # a model used by bodies and parameters gets the body rule
                seen.add(name)
                stack.append(components.get(name))
            continue
        if node.get("type") == "string" and not {"pattern", "format", "enum", "const"} & set(node):
            node["pattern"] = pattern
        if node.get("type") == "integer" and pattern == PARAM_TEXT:
            # No id column or count holds more (SQLite's limit; PostgreSQL ids stop sooner).
            node.setdefault("maximum", 2**63 - 1)
            node.setdefault("minimum", -(2**63))
        if "patternProperties" in node:
            # Pydantic's keys of a pattern: a key that does not match is refused, not extra.
            node.setdefault("additionalProperties", False)
        if node.get("type") == "object" and node.get("additionalProperties", True) is not False:
            node.setdefault("propertyNames", {}).setdefault("pattern", pattern)
            if node.get("additionalProperties") in (True, {}):  # any JSON value: say which
                node["additionalProperties"] = {"$ref": _any_json(components, pattern)}
        stack.extend(node.get("properties", {}).values())
        for key in ("items", "additionalProperties", "not"):
            stack.append(node.get(key))
        for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            stack.extend(node.get(key, []))


def install_error_spec(app: FastAPI) -> None:
    """Make the app's OpenAPI document declare its errors (`declare_errors`)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            declare_errors(build())  # FastAPI's builder caches the document it returns
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


class AllowFromSpec:
    """ASGI middleware: a 405's `Allow` header names every method the path has.

    Starlette answers from the first route whose path matches, so `OPTIONS /api/agents` said
    `Allow: GET` though `POST` is there too. The methods are read from the app's OpenAPI
    document, which lists them all per path."""

    def __init__(self, app: Any, openapi: Any) -> None:
        self.app = app
        self.openapi = openapi
        self._paths: list[tuple[re.Pattern[str], set[str]]] | None = None

    def _allowed(self, path: str) -> set[str]:
        if self._paths is None:
            self._paths = [
                (
                    re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"),
                    {m.upper() for m in item if m in ("get", "put", "post", "delete", "patch")},
                )
                for template, item in self.openapi()["paths"].items()
            ]
        return {m for pattern, methods in self._paths if pattern.match(path) for m in methods}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_allow(message: Any) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                given = {
                    m.strip().upper()
                    for k, v in message.get("headers", [])
                    if k.lower() == b"allow"
                    for m in v.decode("latin-1").split(",")
                    if m.strip()
                }
                allowed = ", ".join(sorted(given | self._allowed(scope.get("path", ""))))
                message = {**message, "headers": [*headers, (b"allow", allowed.encode())]}
            await send(message)

        await self.app(scope, receive, send_allow)
