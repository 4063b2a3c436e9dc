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
- one To-tag per transaction, so every response of a transaction carries the same one;
- a 2xx to an INVITE retransmitted (T1 doubling to T2, unreliable transports) until the
  transaction user says the ACK came (:meth:`ServerTransaction.acked`, RFC 3261 §13.3.1.4);
  without an ACK the transaction ends ``timed_out`` (the call must then be hung up).

And RFC 3261 §17.1.2 non-INVITE *client* transactions (:class:`ClientTransaction`), for the
requests the call logic sends in a dialog (REFER, BYE): retransmitted on Timer E over UDP,
given up on Timer F (the user is told: no response), the answer's retransmissions absorbed
for Timer K. :meth:`TransactionLayer.receive_response` matches responses to them by branch
and method.

And the RFC 3261 §17.1.1 INVITE client transaction (:class:`InviteClientTransaction`), for
the calls Hotline makes itself (a callback rings the agent's phone): Timer A resends the
INVITE over UDP, Timer B gives up; a 3xx-6xx answer is ACKed here (the ACK is part of the
transaction, §17.1.1.3) and its retransmissions ACKed again for Timer D; a 2xx goes to the
user each time it comes (it ACKs it, as the dialog's, §13.2.2.4), for Timer M (RFC 6026).
"""

from __future__ import annotations

import enum
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ivr.sip.message import Headers, Request, Response, make_response, parse_via

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
        self._acked = False

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
            self._start("L", 64 * T1, self._timer_l)
            if not self.peer.reliable:
                self._start("R", self._g_interval, self._resend_2xx)
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
                self.layer.user.ack(request, self.peer)  # an RFC 2543 ACK reusing the branch
            return  # an ACK in Confirmed is absorbed
        if self.state in (State.PROCEEDING, State.COMPLETED) and self.last is not None:
            self.layer.transmit(self.last, self.peer)

    def acked(self) -> None:
        """The ACK of this INVITE's 2xx arrived (it is a transaction of its own, so the
        transaction user, which receives it, says so): the 2xx is no longer resent."""
        self._acked = True
        self._cancel("R")

    def _resend_2xx(self) -> None:
        if self.state is not State.ACCEPTED or self._acked or self.last is None:
            return
        self.layer.transmit(self.last, self.peer)
        self._g_interval = min(2 * self._g_interval, T2)
        self._start("R", self._g_interval, self._resend_2xx)

    def _timer_l(self) -> None:
        # A 2xx never ACKed (RFC 3261 §13.3.1.4): the transaction user should end the call.
        self._terminate(
            timed_out=not self._acked and self.last is not None and self.last.status < 300
        )

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


class ClientTransaction:
    """One non-INVITE client transaction (RFC 3261 §17.1.2): REFER, BYE, NOTIFY sent by the
    call logic. ``on_response`` gets every response (provisional ones too) and, when none
    final came within Timer F or the request could not be sent, ``None`` once."""

    def __init__(
        self,
        layer: TransactionLayer,
        request: Request,
        peer: Peer,
        on_response: Callable[[Response | None], None],
    ) -> None:
        self.layer = layer
        self.request = request
        self.peer = peer
        self.on_response = on_response
        via = request.top_via
        self.key = (via.branch, request.method)
        self.state = State.TRYING
        self.response: Response | None = None
        self._timers: dict[str, Handle] = {}
        self._e_interval = T1

    def start(self) -> None:
        self.layer.transmit_request(self.request, self.peer)
        if not self.peer.reliable:
            self._start("E", self._e_interval, self._timer_e)
        self._start("F", 64 * T1, self._timer_f)

    def received(self, response: Response) -> None:
        if self.state in (State.COMPLETED, State.TERMINATED):
            return  # a retransmitted final response: absorbed
        if response.status < 200:
            self.state = State.PROCEEDING
            self._tell(response)
            return
        self.state = State.COMPLETED
        self.response = response
        self._cancel("E")
        self._cancel("F")
        self._start("K", 0 if self.peer.reliable else T4, self._terminate)
        self._tell(response)

    def _timer_e(self) -> None:
        if self.state not in (State.TRYING, State.PROCEEDING):
            return
        self.layer.transmit_request(self.request, self.peer)
        # §17.1.2.2: doubling up to T2 while trying; every T2 once a provisional came.
        self._e_interval = T2 if self.state is State.PROCEEDING else min(2 * self._e_interval, T2)
        self._start("E", self._e_interval, self._timer_e)

    def _timer_f(self) -> None:
        if self.state in (State.TRYING, State.PROCEEDING):
            log.info("no answer to %s %s: giving up", self.request.method, self.key[0])
            self._terminate()
            self._tell(None)

    def _tell(self, response: Response | None) -> None:
        try:
            self.on_response(response)
        except Exception:
            log.exception("the transaction user failed on a response to %s", self.request.method)

    def _start(self, name: str, delay: float, fn: Callable[[], None]) -> None:
        self._cancel(name)
        self._timers[name] = self.layer.scheduler.call_later(delay, fn)

    def _cancel(self, name: str) -> None:
        handle = self._timers.pop(name, None)
        if handle is not None:
            handle.cancel()

    def _terminate(self) -> None:
        self.state = State.TERMINATED
        for name in list(self._timers):
            self._cancel(name)
        if self.layer.clients.get(self.key) is self:
            del self.layer.clients[self.key]


class InviteClientTransaction(ClientTransaction):
    """An INVITE Hotline sends (RFC 3261 §17.1.1, with RFC 6026's Accepted state).
    ``on_response`` gets every provisional answer, every 2xx (retransmissions too: the user
    ACKs each one), the one final 3xx-6xx answer, and ``None`` once if nothing final came
    within Timer B."""

    def start(self) -> None:
        self.state = State.TRYING  # "Calling"
        self.layer.transmit_request(self.request, self.peer)
        if not self.peer.reliable:
            self._start("A", self._e_interval, self._timer_a)
        self._start("B", 64 * T1, self._timer_b)

    def received(self, response: Response) -> None:
        if self.state is State.TERMINATED:
            return
        if response.status < 200:
            if self.state in (State.TRYING, State.PROCEEDING):
                self.state = State.PROCEEDING
                self._cancel("A")  # a provisional answer: no more INVITEs (§17.1.1.2)
                self._tell(response)
            return
        if response.status < 300:
            if self.state in (State.TRYING, State.PROCEEDING):
                self.state = State.ACCEPTED
                self.response = response
                self._cancel("A")
                self._cancel("B")
                self._start("M", 64 * T1, self._terminate)
            if self.state is State.ACCEPTED:
                self._tell(response)  # each 2xx (a lost ACK makes the far end resend it)
            return
        if self.state is State.COMPLETED:
            self.layer.transmit_request(self.ack_for(response), self.peer)  # absorbed, re-ACKed
            return
        if self.state in (State.TRYING, State.PROCEEDING):
            self.state = State.COMPLETED
            self.response = response
            self._cancel("A")
            self._cancel("B")
            self.layer.transmit_request(self.ack_for(response), self.peer)
            self._start("D", 0 if self.peer.reliable else 32.0, self._terminate)
            self._tell(response)

    def ack_for(self, response: Response) -> Request:
        """The ACK of a non-2xx final answer (§17.1.1.3): the INVITE's Request-URI, top Via,
        From, Call-ID, Route and CSeq number, and the answer's To (with its tag)."""
        invite = self.request.headers
        headers = Headers()
        headers.add("Via", invite.get_all("Via")[0])
        headers.add("Max-Forwards", "70")
        headers.add("From", invite.get("From") or "")
        headers.add("To", response.headers.get("To") or invite.get("To") or "")
        headers.add("Call-ID", self.request.call_id)
        headers.add("CSeq", f"{self.request.cseq.number} ACK")
        for route in invite.get_all("Route"):
            headers.add("Route", route)
        return Request("ACK", self.request.uri, headers, b"")

    def _timer_a(self) -> None:
        if self.state is not State.TRYING:
            return
        self.layer.transmit_request(self.request, self.peer)
        self._e_interval *= 2  # Timer A doubles without a cap; Timer B ends it
        self._start("A", self._e_interval, self._timer_a)

    def _timer_b(self) -> None:
        if self.state in (State.TRYING, State.PROCEEDING):
            log.info("no answer to INVITE %s: giving up", self.key[0])
            self._terminate()
            self._tell(None)


class TransactionLayer:
    """Matches requests to server transactions and runs them.

    Args:
        send: transmits a response to a peer (the transport's job).
        scheduler: runs the RFC 3261 timers.
        user: the transaction user (call logic).
        max_transactions: beyond this many live transactions new requests get 503, so a
            flood cannot grow memory without bound.
        send_request: transmits a request to a peer (client transactions); without it the
            layer only answers.
    """

    def __init__(
        self,
        send: Callable[[Response, Peer], None],
        scheduler: Scheduler,
        user: TransactionUser,
        max_transactions: int = 100_000,
        *,
        send_request: Callable[[Request, Peer], None] | None = None,
    ) -> None:
        self.send = send
        self.scheduler = scheduler
        self.user = user
        self.max_transactions = max_transactions
        self.transactions: dict[tuple[str, ...], ServerTransaction] = {}
        self.clients: dict[tuple[str, str], ClientTransaction] = {}
        self.send_request = send_request

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

    def close(self) -> None:
        """Stop every timer (the transport is closing): nothing is resent after it."""
        for server in list(self.transactions.values()):
            for name in list(server._timers):
                server._cancel(name)
        for client in list(self.clients.values()):
            client._terminate()
        self.transactions.clear()

    def request(
        self, request: Request, peer: Peer, on_response: Callable[[Response | None], None]
    ) -> ClientTransaction:
        """Send a request in a client transaction — an INVITE in an
        :class:`InviteClientTransaction`, others in a :class:`ClientTransaction` (its top
        Via's branch, which the caller makes unique, and its method name it)."""
        kind = InviteClientTransaction if request.method == "INVITE" else ClientTransaction
        txn = kind(self, request, peer, on_response)
        self.clients[txn.key] = txn
        txn.start()
        return txn

    def receive_response(self, response: Response, peer: Peer) -> None:
        """A parsed response from the transport: to its client transaction, or dropped."""
        try:
            key = (parse_via(response.headers.get_all("Via")[0]).branch, response.cseq.method)
        except (ValueError, IndexError):
            return
        txn = self.clients.get(key)
        if txn is None:
            log.debug("sip: stray response %d from %s:%d", response.status, peer.host, peer.port)
            return
        txn.received(response)

    def transmit_request(self, request: Request, peer: Peer) -> None:
        """Send a request outside any transaction too (the ACK of a 2xx, §13.2.2.4)."""
        if self.send_request is None:
            log.error("sip: this transport sends no requests; %s not sent", request.method)
            return
        try:
            self.send_request(request, peer)
        except Exception:
            log.exception("could not send %s to %s:%d", request.method, peer.host, peer.port)

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
