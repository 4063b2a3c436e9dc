"""Strict reading of what clients send, for every HTTP request and websocket frame.

Python's `json` module accepts what JSON does not (`NaN`, `Infinity`), turns `1e400` into an
infinity and lets `"\\ud800"` through as a lone surrogate that no encoder can write back out.
Such values broke error replies (500), reached the database, and reached a console as a bare
`NaN` it could not parse. They are refused here, once, before any endpoint sees them:

- `strict_loads` decodes a JSON document and checks every number, key and string in it;
- `InputGuard` applies it to every JSON request body, and refuses control characters and
  invalid UTF-8 in the path and query string.

A bad body is not answered at once: authentication comes first on protected operations. The
guard records the problem in the request scope and hands the app a body that fails every
body schema; FastAPI resolves the dependencies (a missing token is still a 401), then fails
the body, and the validation handler (app/errors.py) reports the recorded problem instead.
"""

from __future__ import annotations

import json
import math
import re
from email.message import Message as HeaderParser
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import INPUT_PROBLEM_KEY, Invalid, error_body

MAX_DEPTH = 32  # arrays and objects inside each other; no client of ours nests more than 5
# Text in a body may hold tabs and line breaks (notes); no other control character belongs in
# it. A lone surrogate is half a character: it cannot be stored or written back as UTF-8.
_BAD_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# In a path or query value (ids, names, filters) no control character makes sense at all.
_BAD_PARAM = re.compile(r"[\x00-\x1f\x7f]")
PROBLEM_KEY = INPUT_PROBLEM_KEY
# What the app gets instead of a refused body: a JSON string, which no body schema accepts.
REFUSED_BODY = b'"refused: see the recorded input problem"'


class _NonFinite:
    """Stands for NaN or ±Infinity in a parsed document until the walk finds where it is."""

    def __init__(self, text: str) -> None:
        self.text = text


def _char_problem(text: str) -> str:
    bad = _BAD_TEXT.search(text)
    assert bad is not None
    char = bad.group()
    if "\ud800" <= char <= "\udfff":
        return f"text must be valid Unicode: lone surrogate U+{ord(char):04X}"
    return f"control character U+{ord(char):04X} is not allowed in text"


def _where(path: list[str | int]) -> str:
    return ".".join(str(p) for p in path)


def _check(document: Any, root: str) -> None:
    """Walk the parsed document without recursion, so depth is measured, never exceeded."""
    stack: list[tuple[Any, list[str | int]]] = [(document, [root])]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if _BAD_TEXT.search(value):
                raise Invalid(f"{_where(path)}: {_char_problem(value)}", loc=path)
        elif isinstance(value, _NonFinite):
            raise Invalid(
                f"{_where(path)}: numbers must be finite ({value.text} is not a JSON number)",
                loc=path,
            )
        elif isinstance(value, float):
            if not math.isfinite(value):  # 1e400 and the like: too large for a double
                raise Invalid(f"{_where(path)}: number out of range", loc=path)
        elif isinstance(value, dict | list):
            if len(path) > MAX_DEPTH:
                raise Invalid(f"{_where(path[:3])}…: nested deeper than {MAX_DEPTH} levels")
            if isinstance(value, dict):
                for key, item in value.items():
                    if _BAD_TEXT.search(key):
                        raise Invalid(f"{_where(path)}: a key: {_char_problem(key)}", loc=[*path])
                    stack.append((item, [*path, key]))
            else:
                stack.extend((item, [*path, i]) for i, item in enumerate(value))


def strict_loads(raw: bytes | str, root: str = "body") -> Any:
    """Decode a JSON document, refusing what JSON itself does not allow.

    Raises `Invalid` naming where the problem is (`body.attributes.x: numbers must be
    finite`): not JSON, not UTF-8, NaN or ±Infinity, a number out of range, a lone surrogate
    or a control character (other than tab and line breaks) in a key or string, nesting
    deeper than `MAX_DEPTH`.
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Invalid(f"{root}: not valid UTF-8 (byte {exc.start})", loc=[root]) from exc
    try:
        document = json.loads(raw, parse_constant=_NonFinite)
    except json.JSONDecodeError as exc:
        raise Invalid(
            f"{root}: JSON decode error: {exc.msg} at character {exc.pos}", loc=[root]
        ) from exc
    except RecursionError as exc:
        raise Invalid(f"{root}: nested deeper than {MAX_DEPTH} levels", loc=[root]) from exc
    except ValueError as exc:  # an integer longer than Python converts (4300 digits)
        raise Invalid(f"{root}: number out of range", loc=[root]) from exc
    _check(document, root)
    return document


def _is_json(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"content-type":
            parsed = HeaderParser()
            parsed["content-type"] = value.decode("latin-1")
            subtype = parsed.get_content_subtype()
            return parsed.get_content_maintype() == "application" and (
                subtype == "json" or subtype.endswith("+json")
            )
    return False


def param_problem(scope: Scope) -> Invalid | None:
    """A control character or invalid UTF-8 in the path or query string: these select what
    a request reads (`?name=%00` matched every customer), so they are refused, not searched."""
    raw_path = scope.get("raw_path") or scope.get("path", "").encode()
    try:
        path = unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError:
        return Invalid("path: not valid UTF-8", loc=["path"])
    if _BAD_PARAM.search(path):
        return Invalid("path: control characters are not allowed", loc=["path"])
    query = scope.get("query_string", b"").decode("latin-1")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return Invalid("query: not valid UTF-8", loc=["query"])
    for name, value in pairs:
        for text in (name, value):
            if bad := _BAD_PARAM.search(text):
                where = "a parameter name" if text is name else name
                return Invalid(
                    f"query.{where}: control character U+{ord(bad.group()):04X} is not allowed",
                    loc=["query", where],
                )
    return None


class InputGuard:
    """ASGI middleware: strict JSON bodies, clean paths and query strings (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = param_problem(scope)
        if problem is not None:
            await _refuse(send, problem)
            return
        if not _is_json(scope.get("headers") or []):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away mid-body
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body:
            try:
                strict_loads(body)
            except Invalid as exc:
                scope = dict(scope)
                scope[PROBLEM_KEY] = exc
                body = REFUSED_BODY
                scope["headers"] = [
                    (k, v) for k, v in scope.get("headers") or [] if k != b"content-length"
                ] + [(b"content-length", str(len(body)).encode())]
        pending: list[Message] = [{"type": "http.request", "body": body}]

        async def replay() -> Message:
            return pending.pop() if pending else await receive()

        await self.app(scope, replay, send)


async def _refuse(send: Send, problem: Invalid) -> None:
    body = json.dumps(error_body(problem), ensure_ascii=True).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 422, "headers": headers})
    await send({"type": "http.response.body", "body": body})
