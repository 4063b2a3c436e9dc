"""The SIP endpoint's core (RFC 3261 §8.2): answers what needs no call logic — OPTIONS,
unsupported methods and extensions — and hands INVITEs and their CANCELs to a
:class:`CallHandler` (redirect mode today; IVR mode plugs in the same way).
"""

from __future__ import annotations

import logging
from typing import Protocol

from ivr.sip.message import Request
from ivr.sip.transactions import Peer, ServerTransaction, TransactionUser

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
        log.debug("sip: ACK outside a transaction from %s:%d", peer.host, peer.port)
