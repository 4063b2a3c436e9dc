"""A fake clock for the SIP timers, and a transaction user that records what it is told."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from typing import Any

from ivr.sip.message import Request, Response, parse
from ivr.sip.transactions import Peer, ServerTransaction, TransactionLayer


class FakeHandle:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeScheduler:
    """``call_later`` on a clock that moves only when ``advance`` is called."""

    def __init__(self) -> None:
        self.now = 0.0
        self._heap: list[tuple[float, int, FakeHandle, Callable[[], Any]]] = []
        self._order = itertools.count()

    def call_later(self, delay: float, callback: Callable[[], Any], /) -> FakeHandle:
        handle = FakeHandle()
        heapq.heappush(self._heap, (self.now + delay, next(self._order), handle, callback))
        return handle

    def advance(self, seconds: float) -> None:
        until = self.now + seconds
        while self._heap and self._heap[0][0] <= until:
            at, _, handle, callback = heapq.heappop(self._heap)
            self.now = at
            if not handle.cancelled:
                callback()
        self.now = until


class Recorder:
    """A transaction user that answers as told (``answer``) and records everything."""

    def __init__(self, answer: Callable[[ServerTransaction], None] | None = None) -> None:
        self.answer = answer
        self.requests: list[ServerTransaction] = []
        self.cancels: list[ServerTransaction] = []
        self.ended: list[tuple[ServerTransaction, bool]] = []
        self.acks: list[Request] = []

    def request(self, txn: ServerTransaction) -> None:
        self.requests.append(txn)
        if self.answer:
            self.answer(txn)

    def cancelled(self, txn: ServerTransaction) -> None:
        self.cancels.append(txn)
        txn.respond(487)

    def terminated(self, txn: ServerTransaction, timed_out: bool) -> None:
        self.ended.append((txn, timed_out))

    def ack(self, request: Request, peer: Peer) -> None:
        self.acks.append(request)


class Wire:
    """A transaction layer on a fake clock, with every response it sends kept."""

    def __init__(self, answer: Callable[[ServerTransaction], None] | None = None) -> None:
        self.clock = FakeScheduler()
        self.user = Recorder(answer)
        self.sent: list[tuple[Response, Peer]] = []
        self.layer = TransactionLayer(lambda r, p: self.sent.append((r, p)), self.clock, self.user)

    def receive(self, data: bytes, transport: str = "udp") -> None:
        message = parse(data)
        assert isinstance(message, Request)
        self.layer.receive(message, Peer(transport, "192.0.2.10", 5060))

    @property
    def statuses(self) -> list[int]:
        return [r.status for r, _ in self.sent]


def request(
    method: str = "INVITE",
    branch: str = "z9hG4bK-1",
    cseq_method: str | None = None,
    to_tag: str = "",
    call_id: str = "call-1@192.0.2.10",
    user: str = "hotline",
) -> bytes:
    lines = [
        f"{method} sip:{user}@192.0.2.1 SIP/2.0",
        f"Via: SIP/2.0/UDP 192.0.2.10:5060;branch={branch};rport"
        if branch
        else "Via: SIP/2.0/UDP 192.0.2.10:5060",
        "From: <sip:+8613800000001@192.0.2.10>;tag=from-1",
        f"To: <sip:{user}@192.0.2.1>" + (f";tag={to_tag}" if to_tag else ""),
        f"Call-ID: {call_id}",
        f"CSeq: 1 {cseq_method or method}",
        "Max-Forwards: 70",
        "Content-Length: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()
