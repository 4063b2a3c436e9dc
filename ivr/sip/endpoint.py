"""The SIP endpoint's core (RFC 3261 §8.2): answers what needs no call logic — OPTIONS,
unsupported methods and extensions — and hands INVITEs and their CANCELs to a
:class:`CallHandler` (redirect mode and IVR mode). In-dialog requests (BYE, NOTIFY, the ACK
of a 2xx) go to the handler too; a handler that keeps no dialogs answers BYE 481 and need
not take NOTIFY (405) or ACKs. :class:`Dialog` builds the requests the IVR sends in a
dialog it answered (REFER, BYE), and those of a dialog Hotline starts as a UAC (a callback's
INVITE to the agent's phone, its ACK, REFER and BYE: :meth:`Dialog.outgoing`).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Protocol

from ivr.sip.message import Headers, Request, Response, parse_name_addr
from ivr.sip.transactions import MAGIC, Peer, ServerTransaction, TransactionUser

log = logging.getLogger(__name__)

ALLOW = ("INVITE", "ACK", "CANCEL", "OPTIONS", "BYE")
# Methods of SIP extensions this endpoint knows of but does not take (405, not 501).
KNOWN = (
    "REGISTER",
    "SUBSCRIBE",
    "NOTIFY",
    "REFER",
    "MESSAGE",
    "INFO",
    "UPDATE",
    "PRACK",
    "PUBLISH",
)


class CallHandler(Protocol):
    """The call logic behind the endpoint."""

    def invite(self, txn: ServerTransaction) -> None:
        """A new INVITE: answer with ``txn.respond`` (now or later)."""

    def cancelled(self, txn: ServerTransaction) -> None:
        """The caller cancelled this unanswered INVITE: answer it 487."""

    def terminated(self, txn: ServerTransaction, timed_out: bool) -> None:
        """An INVITE transaction ended."""

    def bye(self, txn: ServerTransaction) -> None:
        """A BYE (no dialog is kept in redirect mode: 481)."""


class Endpoint(TransactionUser):
    """The transaction user of the SIP server."""

    def __init__(self, calls: CallHandler, server_name: str = "Hotline") -> None:
        self.calls = calls
        self.server_name = server_name

    def request(self, txn: ServerTransaction) -> None:
        request = txn.request
        method = request.method
        require = request.headers.get("Require")
        if require and method not in ("CANCEL", "ACK", "BYE"):
            # §8.2.2.3: this endpoint supports no extension a caller could require.
            txn.respond(420, extra=[("Unsupported", require)])
            return
        if method == "OPTIONS":
            txn.respond(200, extra=self.capabilities())
        elif method == "INVITE":
            self.calls.invite(txn)
        elif method == "BYE":
            self.calls.bye(txn)
        elif method == "NOTIFY" and hasattr(self.calls, "notify"):
            self.calls.notify(txn)  # a transfer's progress (RFC 3515), in a dialog
        elif method in KNOWN:
            txn.respond(405, extra=[("Allow", ", ".join(ALLOW))])
        else:
            txn.respond(501, extra=[("Allow", ", ".join(ALLOW))])

    def capabilities(self) -> list[tuple[str, str]]:
        return [
            ("Allow", ", ".join(ALLOW)),
            ("Accept", "application/sdp"),
            ("Accept-Language", "en, zh"),
            ("Server", self.server_name),
        ]

    def cancelled(self, txn: ServerTransaction) -> None:
        self.calls.cancelled(txn)

    def terminated(self, txn: ServerTransaction, timed_out: bool) -> None:
        if txn.invite:
            self.calls.terminated(txn, timed_out)

    def ack(self, request: Request, peer: Peer) -> None:
        handler = getattr(self.calls, "ack", None)
        if handler is not None:
            handler(request, peer)  # the ACK of a 2xx: the dialog's, not a transaction's
            return
        log.debug("sip: ACK outside a transaction from %s:%d", peer.host, peer.port)


@dataclass
class Dialog:
    """A dialog this endpoint answered with a 2xx (the UAS side, RFC 3261 §12.1.1).

    In-dialog requests go back the way the INVITE came (``peer``: its source address, or
    its TCP connection) rather than to the Contact's host: the caller's address as seen
    here holds through NATs and proxies that did not record-route (RFC 5626's flow idea).
    """

    call_id: str
    local_tag: str
    local: str  # the INVITE's To, without a tag: this side of the dialog
    remote: str  # the INVITE's From, with its tag
    remote_tag: str
    remote_target: str  # the INVITE's Contact URI: the Request-URI of requests sent
    route_set: tuple[str, ...]
    peer: Peer
    sent_by: str  # host:port for the Via of requests sent
    local_seq: int = 0
    remote_seq: int = 0

    @classmethod
    def answered(cls, txn: ServerTransaction, sent_by: str) -> Dialog:
        """The dialog a 2xx to ``txn`` (an INVITE) creates."""
        request = txn.request
        headers = request.headers
        remote = headers.get("From") or ""
        contact = headers.get("Contact")
        target = request.uri
        if contact:
            try:
                target = parse_name_addr(contact).uri
            except ValueError:
                pass
        return cls(
            call_id=request.call_id,
            local_tag=txn.to_tag,
            local=headers.get("To") or "",
            remote=remote,
            remote_tag=parse_name_addr(remote).tag or "",
            remote_target=target,
            route_set=tuple(headers.get_all("Record-Route")),
            peer=txn.peer,
            sent_by=sent_by,
            local_seq=secrets.randbelow(2**16) + 1,
            remote_seq=request.cseq.number,
        )

    @classmethod
    def outgoing(
        cls, local: str, target: str, peer: Peer, sent_by: str, call_id: str | None = None
    ) -> Dialog:
        """A dialog Hotline starts (the UAC side, RFC 3261 §12.1.2): ``local`` is our
        From (``<sip:hotline@host>``), ``target`` the URI called; ``request("INVITE")``
        is its first request, and :meth:`established` completes it from the 2xx. Requests
        go to ``peer`` (the outbound proxy, or the target's host)."""
        return cls(
            call_id=call_id or f"{secrets.token_hex(12)}@{sent_by.rsplit(':', 1)[0]}",
            local_tag=secrets.token_hex(6),
            local=local,
            remote=f"<{target}>",
            remote_tag="",
            remote_target=target,
            route_set=(),
            peer=peer,
            sent_by=sent_by,
            local_seq=secrets.randbelow(2**16),
        )

    def established(self, response: Response) -> None:
        """The 2xx to our INVITE sets the far end (§12.1.2): its To (with the tag), its
        Contact as the target of later requests, its Record-Route reversed as the route."""
        to = response.headers.get("To") or self.remote
        self.remote = to
        try:
            self.remote_tag = parse_name_addr(to).tag or ""
        except ValueError:
            self.remote_tag = ""
        contact = response.headers.get("Contact")
        if contact:
            try:
                self.remote_target = parse_name_addr(contact).uri
            except ValueError:
                pass
        self.route_set = tuple(reversed(response.headers.get_all("Record-Route")))

    def matches(self, request: Request) -> bool:
        """Whether an incoming request belongs to this dialog (Call-ID and both tags)."""
        try:
            to_tag = parse_name_addr(request.headers.get("To") or "").tag
            from_tag = parse_name_addr(request.headers.get("From") or "").tag
        except ValueError:
            return False
        return (
            request.call_id == self.call_id
            and to_tag == self.local_tag
            and (from_tag or "") == self.remote_tag
        )

    def request(
        self,
        method: str,
        extra: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        cseq: int | None = None,
    ) -> Request:
        """The next request of this dialog (§12.2.1.1): new CSeq (``cseq`` given: that
        number, for the ACK of a 2xx, which has its INVITE's), new branch."""
        if cseq is None:
            self.local_seq += 1
            cseq = self.local_seq
        transport = "UDP" if not self.peer.reliable else self.peer.transport.upper()
        headers = Headers()
        branch = f"{MAGIC}-{secrets.token_hex(8)}"
        headers.add("Via", f"SIP/2.0/{transport} {self.sent_by};branch={branch};rport")
        headers.add("Max-Forwards", "70")
        headers.add("From", f"{self.local};tag={self.local_tag}")
        headers.add("To", self.remote)
        headers.add("Call-ID", self.call_id)
        headers.add("CSeq", f"{cseq} {method}")
        for route in self.route_set:  # the UAS's route set: Record-Route as received
            headers.add("Route", route)
        for name, value in extra or []:
            headers.add(name, value)
        return Request(method, self.remote_target, headers, body)


def uri_address(uri: str) -> tuple[str, int] | None:
    """Host and port of a ``sip:``/``sips:`` URI (5060 when none is given), or None when
    it is no SIP URI. ``sip:alice@10.0.0.31:5070;transport=udp`` → (``10.0.0.31``, 5070)."""
    scheme, colon, rest = uri.partition(":")
    if not colon or scheme.lower() not in ("sip", "sips"):
        return None
    hostport = rest.split(";", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    if hostport.startswith("["):  # an IPv6 reference
        host, _, tail = hostport[1:].partition("]")
        port_text = tail[1:] if tail.startswith(":") else ""
    else:
        host, _, port_text = hostport.partition(":")
    if not host:
        return None
    if not port_text:
        return host, 5060
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return None
    return host, int(port_text)


def sipfrag_status(body: bytes) -> int | None:
    """The status code of a ``message/sipfrag`` body (``SIP/2.0 200 OK``, RFC 3420), the
    body of a REFER's NOTIFY (RFC 3515 §2.4.5), or None."""
    first = body.split(b"\n", 1)[0].strip().split()
    if len(first) >= 2 and first[0] == b"SIP/2.0" and first[1].isdigit() and len(first[1]) == 3:
        return int(first[1])
    return None
