"""RFC 3261 §17.2 server transactions, as state machines over an injected scheduler.

No sockets and no asyncio here: the transport hands each parsed request to
:meth:`TransactionLayer.receive` with where it came from, and the layer calls ``send`` for
every response it (re)transmits and the transaction user (:class:`TransactionUser`) for
every new request. Timers run on a :class:`Scheduler` — the event loop in production, a
fake clock in the unit tests (tests/sip/test_transactions.py), so no test sleeps.

What the layer does for the transaction user:
- 100 Trying at once for an INVITE (§17.2.1), so the caller stops retransmitting;
- retransmitted requests absorbed (matched by Via branch and sent-by, §17.2.3): the last
  response is sent again, the transaction user never sees a duplicate;
- a final 3xx-6xx answer to an INVITE retransmitted on Timer G until the ACK (unreliable
  transports), given up on Timer H, the ACK's retransmissions absorbed for Timer I;
- a non-INVITE transaction kept for Timer J to absorb retransmissions of its request;
- CANCEL (§9.2): 200 to the CANCEL and the matching INVITE transaction handed to the
  transaction user (which answers it 487), or 481 when there is none;
- one To-tag per transaction, so every response of a transaction carries the same one.
"""

from __future__ import annotations

import enum
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ivr.sip.message import Request, Response, make_response

log = logging.getLogger(__name__)

T1 = 0.5  # RTT estimate (s)
T2 = 4.0  # longest retransmit interval for non-INVITE requests and INVITE responses
T4 = 5.0  # longest a message stays in the network
MAGIC = "z9hG4bK"  # RFC 3261 branch prefix: the branch alone identifies the transaction


class Handle(Protocol):
    def cancel(self) -> None: ...


class Scheduler(Protocol):
    """``call_later(delay, fn)`` → a handle with ``cancel()`` (asyncio's loop is one)."""

    def call_later(self, delay: float, callback: Callable[[], Any], /) -> Handle: ...


@dataclass(frozen=True)
class Peer:
    """Where a request came from, and so where its responses go (RFC 3261 §18.2.2)."""

    transport: str  # "udp" | "tcp"
    host: str
    port: int
    connection: Any = None  # the TCP connection, when the transport is reliable

    @property
    def reliable(self) -> bool:
        return self.transport != "udp"


class State(enum.Enum):
    TRYING = "trying"
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    CONFIRMED = "confirmed"
    ACCEPTED = "accepted"  # RFC 6026: after a 2xx to an INVITE
    TERMINATED = "terminated"


class TransactionUser(Protocol):
    """What sits above the transactions (the call logic)."""

    def request(self, txn: ServerTransaction) -> None:
        """A new request (never a retransmission). Answer it with ``txn.respond``."""

    def cancelled(self, txn: ServerTransaction) -> None:
        """A CANCEL matched this INVITE transaction, still unanswered: answer it 487."""

    def terminated(self, txn: ServerTransaction, timed_out: bool) -> None:
        """The transaction is over; ``timed_out``: its final answer was never ACKed."""

    def ack(self, request: Request, peer: Peer) -> None:
        """An ACK for a 2xx (the dialog's, not a transaction's)."""


def transaction_key(request: Request) -> tuple[str, ...]:
    """RFC 3261 §17.2.3: the branch, sent-by and method (ACK matches its INVITE). Requests
    from RFC 2543 stacks (no magic cookie) match on the older fields instead."""
    via = request.top_via
    method = "INVITE" if request.method == "ACK" else request.method
    if via.branch.startswith(MAGIC):
        return (via.branch, via.sent_by, method)
    cseq = request.cseq
    from_tag = ""
    frm = request.headers.get("From") or ""
    if ";tag=" in frm.lower():
        from_tag = frm.lower().split(";tag=", 1)[1].split(";", 1)[0]
    return ("2543", request.call_id, str(cseq.number), from_tag, str(via), request.uri, method)


class ServerTransaction:
    """One server transaction. The transaction user answers with :meth:`respond`."""

    def __init__(self, layer: TransactionLayer, request: Request, peer: Peer) -> None:
        self.layer = layer
        self.request = request
        self.peer = peer
        self.key = transaction_key(request)
        self.invite = request.method == "INVITE"
        self.state = State.PROCEEDING if self.invite else State.TRYING
        self.to_tag = secrets.token_hex(6)
        self.last: Response | None = None
        self.context: Any = None  # for the transaction user (its call)
        self._timers: dict[str, Handle] = {}
        self._g_interval = T1

    @property
    def final(self) -> bool:
        return self.state not in (State.TRYING, State.PROCEEDING)

    def respond(
        self,
        status: int,
        reason: str | None = None,
        extra: list[tuple[str, str]] | None = None,
        body: bytes = b"",
    ) -> bool:
        """Send a response; False (and nothing sent) when the transaction is already
        answered finally — a late answer from the transaction user is harmless."""
        if self.final:
            return False
        response = make_response(
            self.request, status, reason, to_tag=self.to_tag, extra=extra, body=body
        )
        self.last = response
        self.layer.transmit(response, self.peer)
        if status < 200:
            if not self.invite:
                self.state = State.PROCEEDING
            return True
        if self.invite and status < 300:
            self.state = State.ACCEPTED
            self._start("L", 64 * T1, self._terminate)
        elif self.invite:
            self.state = State.COMPLETED
            if not self.peer.reliable:
                self._start("G", self._g_interval, self._timer_g)
            self._start("H", 64 * T1, self._timer_h)
        else:
            self.state = State.COMPLETED
            self._start("J", 0 if self.peer.reliable else 64 * T1, self._terminate)
        return True

    # --- events from the layer -----------------------------------------------------------
    def retransmitted(self, request: Request) -> None:
        if request.method == "ACK":
            if self.state is State.COMPLETED:
                self.state = State.CONFIRMED
                self._cancel("G")
                self._cancel("H")
                self._start("I", 0 if self.peer.reliable else T4, self._terminate)
            elif self.state is State.ACCEPTED:
                self.layer.user.ack(request, self.peer)
            return  # an ACK in Confirmed is absorbed
        if self.state in (State.PROCEEDING, State.COMPLETED) and self.last is not None:
            self.layer.transmit(self.last, self.peer)

    def _timer_g(self) -> None:
        if self.state is not State.COMPLETED or self.last is None:
            return
        self.layer.transmit(self.last, self.peer)
        self._g_interval = min(2 * self._g_interval, T2)
        self._start("G", self._g_interval, self._timer_g)

    def _timer_h(self) -> None:
        if self.state is State.COMPLETED:
            log.info("no ACK for %s %s: giving up", self.last and self.last.status, self.key[0])
            self._terminate(timed_out=True)

    # --- timers --------------------------------------------------------------------------
    def _start(self, name: str, delay: float, fn: Callable[[], None]) -> None:
        self._cancel(name)
        self._timers[name] = self.layer.scheduler.call_later(delay, fn)

    def _cancel(self, name: str) -> None:
        handle = self._timers.pop(name, None)
        if handle is not None:
            handle.cancel()

    def _terminate(self, timed_out: bool = False) -> None:
        if self.state is State.TERMINATED:
            return
        self.state = State.TERMINATED
        for name in list(self._timers):
            self._cancel(name)
        self.layer.forget(self, timed_out)


class TransactionLayer:
    """Matches requests to server transactions and runs them.

    Args:
        send: transmits a response to a peer (the transport's job).
        scheduler: runs the RFC 3261 timers.
        user: the transaction user (call logic).
        max_transactions: beyond this many live transactions new requests get 503, so a
            flood cannot grow memory without bound.
    """

    def __init__(
        self,
        send: Callable[[Response, Peer], None],
        scheduler: Scheduler,
        user: TransactionUser,
        max_transactions: int = 100_000,
    ) -> None:
        self.send = send
        self.scheduler = scheduler
        self.user = user
        self.max_transactions = max_transactions
        self.transactions: dict[tuple[str, ...], ServerTransaction] = {}

    def receive(self, request: Request, peer: Peer) -> None:
        """A parsed request from the transport."""
        key = transaction_key(request)
        txn = self.transactions.get(key)
        if txn is not None:
            txn.retransmitted(request)
            return
        if request.method == "ACK":
            self.user.ack(request, peer)  # the ACK of a 2xx is not part of a transaction
            return
        if len(self.transactions) >= self.max_transactions:
            self.transmit(make_response(request, 503, extra=[("Retry-After", "5")]), peer)
            return
        txn = ServerTransaction(self, request, peer)
        self.transactions[key] = txn
        if request.method == "CANCEL":
            self._cancel(txn)
            return
        if txn.invite:
            txn.respond(100)
        try:
            self.user.request(txn)
        except Exception:
            log.exception("the transaction user failed on %s", request.method)
            txn.respond(500)

    def _cancel(self, cancel: ServerTransaction) -> None:
        via = cancel.request.top_via
        key = (
            (via.branch, via.sent_by, "INVITE")
            if via.branch.startswith(MAGIC)
            else (*cancel.key[:-1], "INVITE")
        )
        invite = self.transactions.get(key)
        if invite is None:
            cancel.respond(481)
            return
        cancel.to_tag = invite.to_tag  # §9.2: the CANCEL's To-tag is the INVITE's
        cancel.respond(200)
        if not invite.final:
            self.user.cancelled(invite)

    def transmit(self, response: Response, peer: Peer) -> None:
        try:
            self.send(response, peer)
        except Exception:  # a send failure is the transport's to log; the machine goes on
            log.exception("could not send %d to %s:%d", response.status, peer.host, peer.port)

    def forget(self, txn: ServerTransaction, timed_out: bool) -> None:
        if self.transactions.get(txn.key) is txn:
            del self.transactions[txn.key]
        try:
            self.user.terminated(txn, timed_out)
        except Exception:
            log.exception("the transaction user failed on a terminated transaction")
