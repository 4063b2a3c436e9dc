"""SIP over asyncio UDP and TCP on one port (RFC 3261 §18): the I/O around the pure parser
and transaction layer.

- A datagram is one message; a TCP stream is cut into messages by Content-Length.
- Every request's top Via is stamped with ``received`` (and ``rport`` when asked, RFC 3581),
  so responses go back where the request really came from, through NATs.
- Malformed input is logged (peer and reason, never the message) and answered 400 when a
  response can be addressed, else dropped; a TCP stream that cannot be framed is closed.
  Logging is rate-limited, so a flood of garbage cannot fill the disk.
- Requests the call logic sends (REFER and BYE in a dialog it answered, an INVITE it makes
  as a UAC) leave from the SIP port (:meth:`SipServer.send_request`), so the far end's
  answers and in-dialog requests come back to it; responses are handed to the transaction
  layer's client transactions (a response none of them expects is dropped).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from ivr.sip.message import (
    MAX_MESSAGE,
    Headers,
    Request,
    Response,
    SipParseError,
    addressable,
    frame,
    parse,
    parse_cseq,
    parse_via,
    response_from_headers,
)
from ivr.sip.transactions import Peer, TransactionLayer, TransactionUser

log = logging.getLogger(__name__)


class _LogLimit:
    """At most ``burst`` warnings per ``window`` seconds; the rest are counted and summed up."""

    def __init__(self, burst: int = 20, window: float = 10.0) -> None:
        self.burst, self.window = burst, window
        self.since, self.count, self.dropped = 0.0, 0, 0

    def allow(self, now: float) -> bool:
        if now - self.since > self.window:
            if self.dropped:
                log.warning("sip: %d more malformed messages were not logged", self.dropped)
            self.since, self.count, self.dropped = now, 0, 0
        self.count += 1
        if self.count > self.burst:
            self.dropped += 1
            return False
        return True


def stamp_via(message: Request | Headers, host: str, port: int) -> None:
    """RFC 3261 §18.2.1 and RFC 3581: note where the request came from in its top Via."""
    headers = message if isinstance(message, Headers) else message.headers
    values = headers.get_all("Via")
    via = parse_via(values[0])
    if via.host.strip("[]") != host:
        via.params["received"] = host
    if "rport" in via.params:
        via.params["received"] = host
        via.params["rport"] = str(port)
    headers.remove("Via")
    for value in [str(via), *values[1:]]:
        headers.add("Via", value)


def destination(response: Response, peer: Peer) -> tuple[str, int]:
    """Where a response goes over UDP (RFC 3261 §18.2.2, RFC 3581 §4)."""
    try:
        via = parse_via(response.headers.get_all("Via")[0])
    except (ValueError, IndexError):
        return peer.host, peer.port
    host = via.params.get("received") or via.host.strip("[]")
    rport = via.params.get("rport")
    port = int(rport) if rport and rport.isdigit() else via.port or 5060
    return host, port


class SipServer:
    """UDP and TCP on one port, with the transaction layer over them.

    Args:
        user: the transaction user (call logic).
        host, port: where to listen (port 0: a free port, the same for UDP and TCP).
        max_message: the largest message accepted (bytes).
        max_connections: TCP connections held at once; more are closed at once.
        idle_seconds: a TCP connection silent this long is closed.
    """

    def __init__(
        self,
        user: TransactionUser,
        host: str = "127.0.0.1",
        port: int = 5060,
        *,
        max_message: int = MAX_MESSAGE,
        max_connections: int = 1000,
        idle_seconds: float = 300.0,
    ) -> None:
        self.user = user
        self.host = host
        self.port = port
        self.max_message = max_message
        self.max_connections = max_connections
        self.idle_seconds = idle_seconds
        self.layer: TransactionLayer | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._limit = _LogLimit()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.layer = TransactionLayer(self.send, loop, self.user, send_request=self.send_request)
        for attempt in range(20):
            udp, _ = await loop.create_datagram_endpoint(
                lambda: _Datagrams(self), local_addr=(self.host, self.port)
            )
            port = udp.get_extra_info("sockname")[1]
            try:
                self._tcp = await asyncio.start_server(
                    self._serve_connection, self.host, port, limit=self.max_message + 4
                )
            except OSError:
                udp.close()
                if self.port or attempt == 19:  # a fixed port is taken: say so
                    raise
                continue  # port 0: the UDP port's TCP twin was taken; try another
            self._udp, self.port = udp, port
            break
        log.info("sip: listening on %s:%d (udp, tcp)", self.host, self.port)

    @property
    def sent_by(self) -> str:
        """``host:port`` for the Via of requests sent from this server."""
        return f"{self.host}:{self.port}"

    async def stop(self) -> None:
        if self.layer is not None:
            self.layer.close()  # no retransmission timer fires into a closed socket
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
        for task in list(self._connections):
            task.cancel()
        for task in list(self._connections):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._tcp is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._tcp.wait_closed(), 2)

    # --- out -----------------------------------------------------------------------------
    def send(self, response: Response, peer: Peer) -> None:
        data = response.encode()
        if peer.reliable:
            writer: asyncio.StreamWriter = peer.connection
            if writer is None or writer.is_closing():
                log.info(
                    "sip: connection to %s:%d gone; %d not sent",
                    peer.host,
                    peer.port,
                    response.status,
                )
                return
            writer.write(data)
            return
        if self._udp is not None:
            self._udp.sendto(data, destination(response, peer))

    def send_request(self, request: Request, peer: Peer) -> None:
        """Send a request to ``peer``: over its TCP connection (a dialog that came over TCP),
        else as a datagram from the SIP port, so answers come back here."""
        data = request.encode()
        if peer.reliable:
            writer: asyncio.StreamWriter | None = peer.connection
            if writer is None or writer.is_closing():
                log.info(
                    "sip: connection to %s:%d gone; %s not sent", peer.host, peer.port,
                    request.method,
                )  # fmt: skip
                return
            writer.write(data)
            return
        if self._udp is not None:
            self._udp.sendto(data, (peer.host, peer.port))

    # --- in ------------------------------------------------------------------------------
    def received(self, data: bytes, peer: Peer, stream: bool = False) -> None:
        """One message's bytes from a peer: parse, stamp (requests), hand to the
        transactions — a request to its server transaction, a response to its client one."""
        assert self.layer is not None
        if not data.strip(b"\r\n"):
            return  # a keep-alive (RFC 5626 §3.5.1), not a message
        try:
            message = parse(data, stream=stream, max_size=self.max_message)
        except SipParseError as exc:
            self.malformed(exc, data, peer)
            return
        if isinstance(message, Response):
            self.layer.receive_response(message, peer)  # a stray one is dropped there
            return
        stamp_via(message, peer.host, peer.port)
        self.layer.receive(message, peer)

    def malformed(self, exc: SipParseError, data: bytes, peer: Peer) -> None:
        if self._limit.allow(asyncio.get_running_loop().time()):
            log.warning(
                "sip: malformed message from %s %s:%d (%d bytes): %s",
                peer.transport,
                peer.host,
                peer.port,
                len(data),
                exc.reason,
            )
        headers = exc.headers
        if data.lstrip(b"\r\n").startswith(b"SIP/") or not addressable(headers):
            return  # a response, or nothing to address an answer to: dropped
        assert headers is not None
        if parse_cseq(headers.get("CSeq") or "").method == "ACK":
            return  # never answer an ACK
        stamp_via(headers, peer.host, peer.port)
        reason = exc.reason.replace("\r", " ").replace("\n", " ")[:80]
        self.send(response_from_headers(headers, 400, f"Bad Request ({reason})"), peer)

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        if len(self._connections) >= self.max_connections:
            log.warning("sip: %d connections open; refusing another", len(self._connections))
            writer.close()
            return
        self._connections.add(task)
        host, port = writer.get_extra_info("peername")[:2]
        peer = Peer("tcp", host, port, writer)
        buffer = bytearray()
        try:
            while True:
                stripped = len(buffer) - len(buffer.lstrip(b"\r\n"))
                if stripped:
                    if b"\r\n\r\n" in buffer[:stripped]:
                        writer.write(b"\r\n")  # the pong of a CRLF keep-alive (RFC 5626)
                    del buffer[:stripped]
                try:
                    size = frame(buffer, self.max_message)
                except SipParseError as exc:
                    # Where the next message starts is unknown: answer if we can, then close.
                    self.malformed(exc, bytes(buffer[: self.max_message]), peer)
                    break
                if size is not None:
                    data = bytes(buffer[:size])
                    del buffer[:size]
                    try:
                        self.received(data, peer, stream=True)
                    except Exception:  # one bad message must never stop the connection
                        log.exception("sip: failed on a message from %s:%d", host, port)
                    continue
                async with asyncio.timeout(self.idle_seconds):
                    chunk = await reader.read(65536)
                if not chunk:
                    break
                buffer += chunk
        except (TimeoutError, ConnectionError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, server: SipServer) -> None:
        self.server = server

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            self.server.received(data, Peer("udp", addr[0], addr[1]))
        except Exception:  # one bad datagram must never stop the endpoint
            log.exception("sip: failed on a datagram from %s:%d", addr[0], addr[1])

    def error_received(self, exc: Exception) -> None:
        log.info("sip: udp error: %s", exc)
