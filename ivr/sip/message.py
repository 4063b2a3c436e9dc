"""SIP messages: one parse function, one serialization, and the few header grammars the
server reads (Via, name-addr, CSeq). Pure: no sockets, no asyncio, no clock.

The parser is strict where a wrong guess would misroute a call (start line, the five
headers every request needs, Content-Length) and lenient where RFC 3261 asks it to be
(compact header names, any whitespace around the colon, folded lines, bare LF line ends).
Everything it refuses raises :class:`SipParseError` with a reason, and nothing else: a
bounded fuzz test holds it to that (tests/sip/test_parser_fuzz.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_MESSAGE = 65_535  # the largest UDP payload; TCP messages are held to the same
MAX_HEADERS = 128
SIP_VERSION = "SIP/2.0"

# RFC 3261 §7.3.3 and the registry of compact forms (RFC 3515, 3892, 4028, 6665, ...).
COMPACT = {
    "a": "Accept-Contact",
    "b": "Referred-By",
    "c": "Content-Type",
    "d": "Request-Disposition",
    "e": "Content-Encoding",
    "f": "From",
    "i": "Call-ID",
    "j": "Reject-Contact",
    "k": "Supported",
    "l": "Content-Length",
    "m": "Contact",
    "n": "Identity-Info",
    "o": "Event",
    "r": "Refer-To",
    "s": "Subject",
    "t": "To",
    "u": "Allow-Events",
    "v": "Via",
    "x": "Session-Expires",
    "y": "Identity",
}
# Canonical spelling of the headers this server reads or writes; others keep theirs.
CANONICAL = {
    name.lower(): name
    for name in (
        *COMPACT.values(),
        "Accept",
        "Allow",
        "Authorization",
        "CSeq",
        "Expires",
        "Max-Forwards",
        "P-Asserted-Identity",
        "Proxy-Authorization",
        "Record-Route",
        "Require",
        "Route",
        "Server",
        "Timestamp",
        "Unsupported",
        "User-Agent",
        "Warning",
        "WWW-Authenticate",
    )
}
REQUIRED = ("Via", "From", "To", "Call-ID", "CSeq")
TOKEN = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+\Z")
# Octets that may not appear in a header value (HT is allowed; CR/LF were split away).
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
REASONS = {
    100: "Trying",
    180: "Ringing",
    182: "Queued",
    200: "OK",
    302: "Moved Temporarily",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    413: "Request Entity Too Large",
    433: "Anonymity Disallowed",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    486: "Busy Here",
    487: "Request Terminated",
    500: "Server Internal Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    505: "Version Not Supported",
}


class SipParseError(ValueError):
    """Not a SIP message this server can read. ``reason`` says why (for the log and the
    400's reason phrase); ``headers`` holds what was read before the fault, so a response
    can still be addressed when the five routing headers were among them."""

    def __init__(self, reason: str, headers: Headers | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.headers = headers


class Headers:
    """Header fields in order, names canonical (compact forms expanded), looked up without
    regard to case. A name may repeat (Via, Record-Route)."""

    __slots__ = ("_items", "_keys")

    def __init__(self, items: list[tuple[str, str]] | None = None) -> None:
        self._items: list[tuple[str, str]] = []
        self._keys: list[str] = []  # the names in lower case, for lookups at C speed
        for name, value in items or []:
            self.add(name, value)

    def add(self, name: str, value: str) -> None:
        name = canonical(name)
        self._items.append((name, value))
        self._keys.append(name.lower())

    def get(self, name: str) -> str | None:
        """The first field of this name, or None."""
        try:
            return self._items[self._keys.index(canonical(name).lower())][1]
        except ValueError:
            return None

    def get_all(self, name: str) -> list[str]:
        """Every value of this name, comma-separated lists split (Via: a, b is two)."""
        key = canonical(name).lower()
        out: list[str] = []
        for k, (_, v) in zip(self._keys, self._items, strict=True):
            if k == key:
                out.extend(split_commas(v))
        return out

    def remove(self, name: str) -> None:
        key = canonical(name).lower()
        self._reset([(n, v) for n, v in self._items if n.lower() != key])

    def _reset(self, items: list[tuple[str, str]]) -> None:
        self._items, self._keys = [], []
        for n, v in items:
            self.add(n, v)

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and canonical(name).lower() in self._keys

    def __len__(self) -> int:
        return len(self._items)

    def copy(self) -> Headers:
        return Headers(self._items)


@dataclass
class Request:
    method: str
    uri: str
    headers: Headers
    body: bytes = b""

    def encode(self) -> bytes:
        return _encode(f"{self.method} {self.uri} {SIP_VERSION}", self.headers, self.body)

    @property
    def call_id(self) -> str:
        return self.headers.get("Call-ID") or ""

    @property
    def cseq(self) -> CSeq:
        return parse_cseq(self.headers.get("CSeq") or "")

    @property
    def top_via(self) -> Via:
        return parse_via(self.headers.get_all("Via")[0])


@dataclass
class Response:
    status: int
    reason: str
    headers: Headers
    body: bytes = b""

    def encode(self) -> bytes:
        return _encode(f"{SIP_VERSION} {self.status} {self.reason}", self.headers, self.body)

    @property
    def cseq(self) -> CSeq:
        return parse_cseq(self.headers.get("CSeq") or "")


def _encode(start: str, headers: Headers, body: bytes) -> bytes:
    lines = [start]
    lines.extend(f"{n}: {v}" for n, v in headers.items() if n != "Content-Length")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


# --- parsing --------------------------------------------------------------------------------
def canonical(name: str) -> str:
    if len(name) == 1:
        name = COMPACT.get(name.lower(), name)
    return CANONICAL.get(name.lower(), name)


def head_end(data: bytes) -> tuple[int, int] | None:
    """Where the header block ends and the body starts, or None if not yet seen. Bare LF
    line ends are read too (some stacks and every hand-typed test send them)."""
    crlf = data.find(b"\r\n\r\n")
    lf = data.find(b"\n\n")
    if crlf < 0 and lf < 0:
        return None
    if lf < 0 or (crlf >= 0 and crlf < lf):
        return crlf, crlf + 4
    return lf, lf + 2


def parse(data: bytes, *, stream: bool = False, max_size: int = MAX_MESSAGE) -> Request | Response:
    """One SIP message from a datagram, or from a frame cut by :func:`frame` (``stream``).

    Raises :class:`SipParseError` (and nothing else) when ``data`` is not one.
    Datagram rules (RFC 3261 §18.3): bytes past Content-Length are discarded; a body
    shorter than Content-Length is refused. Over a stream Content-Length is required.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise SipParseError("not bytes")
    data = bytes(data)
    if len(data) > max_size:
        raise SipParseError(f"message larger than {max_size} bytes")
    data = data.lstrip(b"\r\n")  # keep-alive CRLFs before a message are allowed
    if not data:
        raise SipParseError("empty message")
    end = head_end(data)
    if end is None:
        raise SipParseError("no end of headers (truncated)")
    try:
        head = data[: end[0]].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SipParseError(f"headers are not UTF-8 (byte {exc.start})") from None
    body = data[end[1] :]
    lines = head.replace("\r\n", "\n").split("\n")
    start, headers = lines[0], Headers()
    try:
        _read_headers(lines[1:], headers)
        message = _start_line(start, headers, body)
        _check(message, stream)
    except SipParseError as exc:
        if exc.headers is None:
            exc.headers = headers
        raise
    return message


def _read_headers(lines: list[str], headers: Headers) -> None:
    current: list[str] | None = None
    fields: list[list[str]] = []
    try:
        for line in lines:
            if line[:1] in (" ", "\t"):  # folded onto the line before (RFC 3261 §7.3.1)
                if current is None:
                    raise SipParseError("continuation line before any header")
                current[1] += " " + line.strip()
                continue
            name, colon, value = line.partition(":")
            name = name.strip()
            if not colon or not TOKEN.match(name):
                raise SipParseError(f"malformed header line {line[:40]!r}")
            current = [name, value.strip()]
            fields.append(current)
            if len(fields) > MAX_HEADERS:
                raise SipParseError(f"more than {MAX_HEADERS} header fields")
    finally:
        # Even when a line is bad, the fields before it are kept: a 400 may be addressable.
        bad = None
        for name, value in fields:
            if CONTROL.search(value):
                bad = bad or canonical(name)
            else:
                headers.add(name, value)
    if bad:
        raise SipParseError(f"control character in {bad}")


def _start_line(start: str, headers: Headers, body: bytes) -> Request | Response:
    parts = start.split(" ", 2)
    if start.startswith("SIP/"):
        if len(parts) < 2 or parts[0] != SIP_VERSION:
            raise SipParseError(f"bad status line {start[:40]!r}")
        code = parts[1]
        if not (len(code) == 3 and code.isascii() and code.isdigit()) or code[0] == "0":
            raise SipParseError(f"bad status code {code[:10]!r}")
        return Response(int(code), parts[2] if len(parts) > 2 else "", headers, body)
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise SipParseError(f"bad request line {start[:40]!r}")
    method, uri, version = parts
    if not TOKEN.match(method):
        raise SipParseError(f"bad method {method[:20]!r}")
    if version != SIP_VERSION:
        raise SipParseError(f"unsupported version {version[:20]!r}")
    if CONTROL.search(uri) or ":" not in uri or " " in uri:
        raise SipParseError(f"bad Request-URI {uri[:40]!r}")
    return Request(method, uri, headers, body)


def _check(message: Request | Response, stream: bool) -> None:
    headers = message.headers
    missing = [name for name in REQUIRED if name not in headers]
    if missing:
        raise SipParseError(f"missing {', '.join(missing)}")
    try:
        cseq = parse_cseq(headers.get("CSeq") or "")
        parse_via(headers.get_all("Via")[0])
    except (ValueError, IndexError) as exc:
        raise SipParseError(str(exc) or "bad Via") from None
    if isinstance(message, Request) and cseq.method != message.method:
        raise SipParseError(f"CSeq method {cseq.method!r} is not {message.method!r}")
    length = headers.get("Content-Length")
    if length is None:
        if stream:
            raise SipParseError("Content-Length is required over a stream")
        return
    if not (length.isascii() and length.isdigit()) or len(length) > 9:
        raise SipParseError(f"bad Content-Length {length[:20]!r}")
    n = int(length)
    if n > len(message.body):
        raise SipParseError(f"body shorter than Content-Length ({len(message.body)} < {n})")
    message.body = message.body[:n]


def frame(buffer: bytes | bytearray, max_size: int = MAX_MESSAGE) -> int | None:
    """Over a stream: the length of the first whole message in ``buffer`` (leading CRLF
    keep-alives included), or None when more bytes are needed. Raises SipParseError when
    the stream cannot be framed (no or bad Content-Length, or a message over the limit):
    the connection must then be closed, since where the next message starts is unknown."""
    data = bytes(buffer[: max_size + 4])
    skipped = len(data) - len(data.lstrip(b"\r\n"))
    end = head_end(data[skipped:])
    if end is None:
        if len(buffer) - skipped > max_size:
            raise SipParseError(f"headers longer than {max_size} bytes")
        return None
    head = data[skipped : skipped + end[0]].decode("utf-8", "replace")
    match = re.search(r"^(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)", head, re.I | re.M)
    if match is None:
        raise SipParseError("Content-Length is required over a stream")
    value = match.group(1).strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise SipParseError(f"bad Content-Length {value[:20]!r}")
    total = skipped + end[1] + int(value)
    if total - skipped > max_size:
        raise SipParseError(f"message larger than {max_size} bytes")
    return total if len(buffer) >= total else None


# --- header grammars ------------------------------------------------------------------------
def split_commas(value: str) -> list[str]:
    """A comma-separated header value split where commas separate values (not inside
    quotes or <...>)."""
    if '"' not in value and "<" not in value:
        return [v for v in (part.strip() for part in value.split(",")) if v]
    out, depth, quoted, start = [], 0, False, 0
    i = 0
    while i < len(value):
        ch = value[i]
        if quoted:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "<":
            depth += 1
        elif ch == ">":
            depth = max(depth - 1, 0)
        elif ch == "," and depth == 0:
            out.append(value[start:i].strip())
            start = i + 1
        i += 1
    out.append(value[start:].strip())
    return [v for v in out if v]


def parse_params(text: str) -> dict[str, str | None]:
    """``;a=1;b`` → {"a": "1", "b": None} (names lower-cased)."""
    params: dict[str, str | None] = {}
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        name, eq, value = part.partition("=")
        params[name.strip().lower()] = value.strip().strip('"') if eq else None
    return params


def format_params(params: dict[str, str | None]) -> str:
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params.items())


@dataclass
class CSeq:
    number: int
    method: str


def parse_cseq(value: str) -> CSeq:
    parts = value.split()
    if len(parts) != 2 or not parts[0].isascii() or not parts[0].isdigit() or len(parts[0]) > 10:
        raise ValueError(f"bad CSeq {value[:40]!r}")
    number = int(parts[0])
    if number >= 2**31 or not TOKEN.match(parts[1]):
        raise ValueError(f"bad CSeq {value[:40]!r}")
    return CSeq(number, parts[1])


@dataclass
class Via:
    transport: str
    host: str
    port: int | None
    params: dict[str, str | None] = field(default_factory=dict)

    @property
    def branch(self) -> str:
        return self.params.get("branch") or ""

    @property
    def sent_by(self) -> str:
        return f"{self.host}:{self.port or 5060}"

    def __str__(self) -> str:
        host = f"{self.host}:{self.port}" if self.port is not None else self.host
        return f"SIP/2.0/{self.transport} {host}{format_params(self.params)}"


VIA = re.compile(
    r"SIP\s*/\s*2\.0\s*/\s*([A-Za-z]+)\s+(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+)(?:\s*:\s*(\d{1,5}))?\s*(;.*)?\Z",
    re.S | re.I,
)


def parse_via(value: str) -> Via:
    """One Via value: ``SIP/2.0/UDP host:port;branch=...;rport``."""
    match = VIA.match(value.strip())
    if match is None:
        raise ValueError(f"bad Via {value[:60]!r}")
    transport, host, port, params = match.groups()
    number = int(port) if port else None
    if number is not None and not 0 < number < 65536:
        raise ValueError(f"bad Via port {port}")
    return Via(transport.upper(), host, number, parse_params(params or ""))


@dataclass
class NameAddr:
    """From, To, Contact, P-Asserted-Identity: ``"Name" <uri>;params`` or ``uri;params``."""

    display: str
    uri: str
    params: dict[str, str | None]

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")

    @property
    def user(self) -> str:
        return uri_user(self.uri)


def parse_name_addr(value: str) -> NameAddr:
    value = value.strip()
    after_display = 0
    if value.startswith('"'):  # a quoted display name may hold <, >, commas and \"
        i = 1
        while i < len(value) and value[i] != '"':
            i += 2 if value[i] == "\\" else 1
        if i >= len(value):
            raise ValueError(f"unclosed quote in {value[:60]!r}")
        after_display = i + 1
    lt = value.find("<", after_display)
    if lt >= 0:
        gt = value.find(">", lt)
        if gt < 0:
            raise ValueError(f"unclosed < in {value[:60]!r}")
        display = value[:lt].strip()
        if display.startswith('"'):
            display = display[1:-1].replace('\\"', '"')
        return NameAddr(display, value[lt + 1 : gt].strip(), parse_params(value[gt + 1 :]))
    uri, _, params = value.partition(";")
    return NameAddr("", uri.strip(), parse_params(params))


def uri_user(uri: str) -> str:
    """The user part of ``sip:user@host``, ``tel:+86...`` (or '' when there is none)."""
    scheme, colon, rest = uri.partition(":")
    if not colon:
        return ""
    if scheme.lower() == "tel":
        return rest.split(";", 1)[0]
    user, at, _ = rest.partition("@")
    return user.split(";", 1)[0] if at else ""


def with_tag(value: str, tag: str) -> str:
    """A To value with ``;tag=`` added (unless it has one)."""
    if parse_name_addr(value).tag:
        return value
    return f"{value};tag={tag}"


def make_response(
    request: Request,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    extra: list[tuple[str, str]] | None = None,
    body: bytes = b"",
) -> Response:
    """A response to ``request`` (RFC 3261 §8.2.6): Via, From, Call-ID, CSeq echoed, To
    echoed with ``to_tag`` added for anything but 100 Trying."""
    return response_from_headers(
        request.headers, status, reason, to_tag=to_tag, extra=extra, body=body
    )


def response_from_headers(
    headers: Headers,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    extra: list[tuple[str, str]] | None = None,
    body: bytes = b"",
) -> Response:
    out = Headers()
    for name, value in headers.items():
        if name in ("Via", "From", "Call-ID", "CSeq", "Record-Route" if status < 300 else "-"):
            out.add(name, value)
        elif name == "To":
            tagged = status > 100 and to_tag is not None
            try:
                out.add(name, with_tag(value, to_tag) if tagged else value)  # type: ignore[arg-type]
            except ValueError:
                out.add(name, value)
        elif name == "Timestamp" and status == 100:
            out.add(name, value)
    for name, value in extra or []:
        out.add(name, value)
    return Response(status, reason or REASONS.get(status, "Unknown"), out, body)


def addressable(headers: Headers | None) -> bool:
    """Whether a response can be built from these (possibly partial) headers."""
    if headers is None or any(name not in headers for name in REQUIRED):
        return False
    try:
        parse_via(headers.get_all("Via")[0])
        parse_cseq(headers.get("CSeq") or "")
    except (ValueError, IndexError):
        return False
    return True
