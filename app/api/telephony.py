"""The PBX event API over HTTP: route requests, event batches, and the keys PBXs use.
A thin adapter over ``app.telephony.pbx`` (docs/telephony.md, "PBX events").

The route request answers JSON, or ``key=value`` text for a dialplan: one pair a line with
``Accept: text/plain``, or ``&``-joined with ``Accept: application/x-www-form-urlencoded``
(what Asterisk's ``CURLOPT(hashcompat)`` turns into a ``HASH()``). It takes its body as JSON
or as a form, since a dialplan's ``CURL(url,post-data)`` posts a form. Errors come in the
format asked for, so that a dialplan reads ``action=error`` rather than a JSON document.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from app.deps import AdminUser, PbxDep, PbxKeyHeader, PbxUser
from app.errors import (
    INPUT_PROBLEM_KEY,
    DomainError,
    Invalid,
    error_body,
    problem_items,
    retry_headers,
)
from app.input_guard import strict_loads
from app.telephony.pbx import (
    ID_PATTERN,
    EventBatchIn,
    EventBatchOut,
    KeyCreatedOut,
    KeyIn,
    KeyOut,
    RouteIn,
    RouteOut,
)

router = APIRouter(prefix="/api/telephony", tags=["telephony"])

CallIdPath = Annotated[
    str, Path(min_length=1, max_length=100, pattern=ID_PATTERN, description="the PBX's call id")
]
Format = Literal["json", "text", "form"]
TEXT = "text/plain"
FORM = "application/x-www-form-urlencoded"
_MEDIA: dict[str, Format] = {
    "application/json": "json",
    TEXT: "text",
    FORM: "form",
    "*/*": "json",
    "application/*": "json",
    "text/*": "text",
}
# A form value is a path or query-like text: no control character belongs in it.
_BAD_FORM_TEXT = re.compile(r"[\x00-\x1f\x7f]")
_ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
_TEXT_SCHEMA = {"type": "string", "description": "key=value lines (or &-joined pairs)"}


def _error_content() -> dict[str, Any]:
    return {
        "application/json": {"schema": _ERROR_REF},
        TEXT: {"schema": _TEXT_SCHEMA},
        FORM: {"schema": _TEXT_SCHEMA},
    }


_ROUTE_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": why, "content": _error_content()}
    for code, why in (
        (401, "No PBX key, or an unknown or revoked one"),
        (409, "The call has ended (the PBX reported its hang-up)"),
        (422, "Invalid input (no caller or queue known for a new call, an unknown queue...)"),
    )
}
_ROUTE_BODY_SCHEMA = RouteIn.model_json_schema(by_alias=True)


def answer_format(accept: str | None) -> Format:
    """The format the client asked for in ``Accept`` (by quality; JSON when it does not
    say, or asks for something else)."""
    best: tuple[float, int, Format] | None = None
    for position, part in enumerate((accept or "").split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        kind = _MEDIA.get(media.lower())
        if kind is None:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        # Higher quality first; of equal ones, the one listed first.
        if quality > 0 and (best is None or (quality, -position) > (best[0], best[1])):
            best = (quality, -position, kind)
    return best[2] if best is not None else "json"


def _pairs(fields: dict[str, Any]) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in fields.items() if v is not None and not isinstance(v, list)]


def render(kind: Format, fields: dict[str, Any], status: int = 200) -> Response:
    """``fields`` as the client asked. In text, a value's CR, LF, ``%`` and ``&`` are
    percent-encoded (a value never breaks a line); the form is URL-encoded."""
    if kind == "json":
        return JSONResponse(fields, status_code=status)
    if kind == "text":
        lines = [f"{k}={quote(v, safe=_TEXT_SAFE)}" for k, v in _pairs(fields)]
        return Response("\n".join(lines) + "\n", status_code=status, media_type=TEXT)
    return Response(
        urlencode(_pairs(fields), quote_via=quote, safe=":/@"), status_code=status, media_type=FORM
    )


# Printable ASCII but for %, & (and the space, kept): what a text value may hold as is.
_TEXT_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in "%&")


def _error_fields(status: int, body: dict[str, Any]) -> dict[str, Any]:
    fields = {"action": "error", "status": status, "code": body["code"]}
    fields["message"] = body["message"]
    if isinstance(body.get("retry_after"), int):  # a 503: when to ask again
        fields["retry_after"] = body["retry_after"]
    return fields


def _error_answer(kind: Format, status: int, body: dict[str, Any]) -> Response:
    """An error in a dialplan's format, with ``Retry-After`` as the JSON answer has it."""
    fields = _error_fields(status, body)
    response = render(kind, fields, status)
    response.headers.update(retry_headers(fields))
    return response


async def read_route_body(request: Request) -> RouteIn:
    """The route request's body: empty, JSON, or a form; 422 naming what is wrong."""
    refused = request.scope.get(INPUT_PROBLEM_KEY)
    if isinstance(refused, DomainError):  # the input guard found the JSON bad
        raise refused
    raw = await request.body()
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    data: Any
    if not media:
        # Asterisk's CURL() drops its form Content-Type once any header is set: a body
        # without one is JSON when it looks like JSON, else a form.
        media = "application/json" if raw.lstrip()[:1] in (b"{", b"[") else FORM
    if not raw.strip():
        data = {}
    elif media == FORM:
        data = _form(raw)
    elif media == "application/json" or media.endswith("+json"):
        data = strict_loads(raw)
    else:
        raise Invalid(f"body: send JSON or {FORM} (got {media[:60]!r})", loc=["body"], field="body")
    if not isinstance(data, dict):
        raise Invalid("body: expected an object", loc=["body"])
    try:
        return RouteIn.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in problem_items(exc.errors())]
        ) from exc


def _form(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("ascii")  # a form is percent-encoded: anything else is no form
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise Invalid("body: not a valid form (key=value&...)", loc=["body"]) from exc
    data: dict[str, Any] = {}
    for key, value in pairs:
        where = ["body", key if not _BAD_FORM_TEXT.search(key) else "?"]
        if _BAD_FORM_TEXT.search(key) or _BAD_FORM_TEXT.search(value):
            raise Invalid(f"{'.'.join(where)}: control characters are not allowed", loc=where)
        if key in data:
            raise Invalid(f"{'.'.join(where)}: given more than once", loc=where)
        if value == "":
            continue  # an empty dialplan variable (${CALLERID(num)} of an anonymous call)
        data[key] = int(value) if key == "wait" and value.isdigit() and len(value) < 6 else value
    return data


@router.post(
    "/calls/{call_id}/route",
    response_model=RouteOut,
    responses={
        200: {
            "description": "what the PBX does with the call now",
            "content": {TEXT: {"schema": _TEXT_SCHEMA}, FORM: {"schema": _TEXT_SCHEMA}},
        },
        **_ROUTE_ERRORS,
    },
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {"schema": _ROUTE_BODY_SCHEMA},
                FORM: {"schema": _ROUTE_BODY_SCHEMA},
            },
        }
    },
)
async def route(call_id: CallIdPath, request: Request, pbx: PbxDep, key: PbxKeyHeader) -> Response:
    """Where to send a call the PBX holds: ``dial`` an agent's URI, ``wait`` or ``play``
    and ask again, or ``fallback``. The call arrives as a contact on the first request
    (idempotent by the call id); the request is held up to ``wait`` seconds for an agent.
    Send the PBX key as ``X-Api-Key``."""
    kind = answer_format(request.headers.get("accept"))
    try:
        await pbx.authenticate(key)
        body = await read_route_body(request)
        answer = await pbx.route(call_id, body)
    except DomainError as err:
        if kind == "json":
            raise
        return _error_answer(kind, err.status, error_body(err))
    except RequestValidationError as err:
        if kind == "json":
            raise
        problems = problem_items(err.errors())
        message = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in problems)
        return _error_answer(kind, 422, {"code": "invalid", "message": message})
    return render(kind, answer.model_dump(mode="json"))


@router.post("/events")
async def events(body: EventBatchIn, pbx: PbxDep, caller: PbxUser) -> EventBatchOut:
    """A batch of call events (offered, DTMF, answered, transferred, hang-up), applied in
    order, each once: a replayed event is answered ``duplicate`` and changes nothing. Each
    event's result says what happened; one refused (unknown call, wrong moment) writes
    nothing and leaves the others applied. Send the PBX key as ``X-Api-Key``."""
    return await pbx.apply_batch(caller, body)


@router.post("/keys", status_code=201)
async def issue_key(body: KeyIn, pbx: PbxDep, user: AdminUser) -> KeyCreatedOut:
    """A key for a PBX. The key is in this answer only: Hotline keeps its hash."""
    return await pbx.issue_key(user, body.name)


@router.get("/keys")
async def list_keys(pbx: PbxDep, _: AdminUser) -> list[KeyOut]:
    """Every key issued, revoked ones too (never the keys themselves)."""
    return await pbx.keys()


@router.delete(
    "/keys/{key_id}",
    status_code=204,
    responses={409: {"description": "already revoked"}},
)
async def revoke_key(
    key_id: Annotated[int, Path(ge=1, le=2**31 - 1)], pbx: PbxDep, user: AdminUser
) -> Response:
    """Revoke a key: the PBX that holds it is refused (401) from the next request on."""
    await pbx.revoke_key(user, key_id)
    return Response(status_code=204)
