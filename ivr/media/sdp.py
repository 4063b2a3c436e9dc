"""SDP offer/answer (RFC 3264, RFC 4566) for the IVR's one audio stream. Pure.

Hotline speaks PCMU (G.711 mu-law, static payload type 0) and reads keys as RFC 4733
telephone-events, on the payload type the caller's offer gives them (101 is common, not
fixed). An offer without PCMU on a usable RTP audio stream is refused — the call is
answered ``488 Not Acceptable Here`` (:class:`NotAcceptable`). Any malformed offer raises
:class:`SdpError` (a ``NotAcceptable`` too), never anything else.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

MAX_SDP = 16_384


class SdpError(ValueError):
    """The offer cannot be read or accepted; ``reason`` for the log and the 488's Warning."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotAcceptable(SdpError):
    """A well-formed offer with nothing this endpoint can take (no PCMU, no RTP audio)."""


@dataclass(frozen=True)
class Offer:
    """What the IVR needs from the caller's offer."""

    address: str  # where the caller wants its RTP
    port: int
    pcmu: int  # the payload type of PCMU/8000 (0 unless the offer remaps it)
    telephone_event: int | None  # the payload type of telephone-event/8000, if offered
    ptime: int = 20
    direction: str = "sendrecv"


RTPMAP = re.compile(r"(\d{1,3})\s+([A-Za-z0-9\-_.]+)/(\d+)(?:/\d+)?\Z")


def parse_offer(body: bytes) -> Offer:
    """The first audio stream of an offer that carries PCMU."""
    if len(body) > MAX_SDP:
        raise SdpError("SDP larger than 16 KiB")
    try:
        text = bytes(body).decode("utf-8")
    except UnicodeDecodeError:
        raise SdpError("SDP is not UTF-8") from None
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    if not lines or not lines[0].startswith("v="):
        raise SdpError("no SDP (v= missing)")
    session_address: str | None = None
    session_direction = "sendrecv"
    media: list[dict[str, object]] = []
    current: dict[str, object] | None = None
    for line in lines:
        if len(line) < 2 or line[1] != "=":
            raise SdpError(f"bad SDP line {line[:30]!r}")
        kind, value = line[0], line[2:]
        if kind == "m":
            current = {"m": value, "rtpmap": {}, "attrs": []}
            media.append(current)
        elif kind == "c":
            address = _connection(value)
            if current is None:
                session_address = address
            else:
                current["c"] = address
        elif kind == "a":
            if current is None:
                if value in ("sendrecv", "sendonly", "recvonly", "inactive"):
                    session_direction = value
                continue
            attrs = current["attrs"]
            assert isinstance(attrs, list)
            attrs.append(value)
    if not media:
        raise NotAcceptable("no media stream offered")
    reasons: list[str] = []
    for stream in media:
        try:
            return _audio(stream, session_address, session_direction)
        except NotAcceptable as exc:
            reasons.append(exc.reason)
    raise NotAcceptable("; ".join(reasons))


def _audio(stream: dict[str, object], session_address: str | None, direction: str) -> Offer:
    parts = str(stream["m"]).split()
    if len(parts) < 4:
        raise SdpError(f"bad m= line {str(stream['m'])[:40]!r}")
    kind, port_text, proto, formats = parts[0], parts[1].split("/")[0], parts[2], parts[3:]
    if kind != "audio":
        raise NotAcceptable(f"{kind[:10]} stream")
    if proto.upper() not in ("RTP/AVP", "RTP/AVPF"):
        raise NotAcceptable(f"transport {proto[:20]} (only RTP/AVP)")
    if not port_text.isdigit() or not 0 <= int(port_text) < 65536:
        raise SdpError(f"bad port {port_text[:10]!r}")
    port = int(port_text)
    if port == 0:
        raise NotAcceptable("audio stream refused (port 0)")
    names: dict[int, str] = {}
    ptime = 20
    attrs = stream["attrs"]
    assert isinstance(attrs, list)
    for attr in attrs:
        name, _, value = str(attr).partition(":")
        if name == "rtpmap":
            match = RTPMAP.match(value.strip())
            if match is None:
                raise SdpError(f"bad rtpmap {value[:40]!r}")
            names[int(match.group(1))] = f"{match.group(2).upper()}/{match.group(3)}"
        elif name == "ptime" and value.strip().isdigit():
            ptime = int(value.strip())
        elif name in ("sendrecv", "sendonly", "recvonly", "inactive"):
            direction = name
    pcmu: int | None = None
    event: int | None = None
    for fmt in formats:
        if not fmt.isdigit() or int(fmt) > 127:
            raise SdpError(f"bad payload type {fmt[:10]!r}")
        pt = int(fmt)
        described = names.get(pt)
        if pcmu is None and (described == "PCMU/8000" or (pt == 0 and described is None)):
            pcmu = pt
        elif event is None and described == "TELEPHONE-EVENT/8000":
            event = pt
    if pcmu is None:
        raise NotAcceptable("no PCMU/8000 offered")
    address = stream.get("c") or session_address
    if not isinstance(address, str):
        raise SdpError("no connection address (c=)")
    return Offer(address, port, pcmu, event, ptime, direction)


def _connection(value: str) -> str:
    parts = value.split()
    if len(parts) != 3 or parts[0] != "IN" or parts[1] not in ("IP4", "IP6"):
        raise SdpError(f"bad c= line {value[:40]!r}")
    address = parts[2].split("/")[0]
    try:
        ipaddress.ip_address(address)
    except ValueError:
        # A host name is legal in SDP, but resolving it here would block: refused.
        raise SdpError(f"c= address {address[:40]!r} is not an IP address") from None
    return address


ANSWER_DIRECTION = {
    "sendrecv": "sendrecv",
    "sendonly": "recvonly",
    "recvonly": "sendonly",
    "inactive": "inactive",
}


def answer(offer: Offer, address: str, port: int, session_id: int, version: int = 1) -> bytes:
    """The answer to ``offer``: PCMU and telephone-event (when offered, keys 0-15) on the
    offer's payload types, to RTP at ``address``:``port``."""
    family = "IP6" if ":" in address else "IP4"
    formats = [str(offer.pcmu)]
    attrs = [f"a=rtpmap:{offer.pcmu} PCMU/8000"]
    if offer.telephone_event is not None:
        formats.append(str(offer.telephone_event))
        attrs += [
            f"a=rtpmap:{offer.telephone_event} telephone-event/8000",
            f"a=fmtp:{offer.telephone_event} 0-15",
        ]
    attrs += ["a=ptime:20", f"a={ANSWER_DIRECTION.get(offer.direction, 'sendrecv')}"]
    lines = [
        "v=0",
        f"o=hotline {session_id} {version} IN {family} {address}",
        "s=Hotline",
        f"c=IN {family} {address}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {' '.join(formats)}",
        *attrs,
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def offer(address: str, port: int, session_id: int, telephone_event: int = 101) -> bytes:
    """An offer of our own (a call Hotline makes): PCMU (0) and telephone-event, RTP to
    ``address``:``port``."""
    return answer(Offer(address, port, 0, telephone_event), address, port, session_id)
