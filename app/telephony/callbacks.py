"""Callbacks that keep their place (docs/ivr.md, "Callback"): an IVR caller waiting in a
queue presses the callback key and hangs up; the contact goes on waiting in their place
(same contact, same age), marked a callback on its record; when an agent accepts it,
Hotline connects the agent's phone and the customer.

The connection, as a UAC (RFC 3261 §12.1.2, RFC 3515):
- INVITE the agent's SIP URI (through ``HOTLINE_SIP_OUTBOUND_PROXY`` when set, else to the
  URI's host), with an SDP offer on an RTP port of our own; the phone rings for at most
  ``ring_seconds``, then the INVITE is CANCELled;
- on the 2xx: ACK, then REFER the agent's leg to the customer (``Refer-To:
  sip:<number>@<proxy>``, or the host the caller's call came from when no proxy is set);
- the NOTIFYs' sipfrag say how the agent's phone's call to the customer goes: 2xx —
  connected, Hotline's leg ends with BYE (the call is between agent and customer); 3xx-6xx
  — failed.

Every outcome is on the interaction (``callback``: ``connected`` or ``failed``, with
``callback_error``), and the agent's console gets the contact again (``contact.assigned``,
which the console takes as a refresh) so the agent sees it in the screen pop's attributes.
A failed callback stays in the agent's hands: they can dial the number shown, then end the
contact as usual.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
import socket
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from app.contacts.commands import MarkCallback
from app.contacts.hub import AgentHub
from app.contacts.messages import assigned_message
from app.contacts.notifier import load_cards
from app.contacts.service import ContactCenterService
from app.db.repositories.care import CareRepository
from app.db.repositories.interactions import InteractionRepository
from app.db.repositories.staff import StaffRepository
from app.db.uow import UnitOfWork
from app.errors import DomainError
from app.events import names
from app.events.model import Event
from ivr.media.sdp import offer
from ivr.media.transport import PortRange, RtpSocket
from ivr.sip.endpoint import Dialog, sipfrag_status, uri_address
from ivr.sip.message import Headers, Request, Response
from ivr.sip.transactions import Peer, ServerTransaction, TransactionLayer
from routing.records import ContactStatus

log = logging.getLogger(__name__)

CALLBACK_KEY = "9"
# A waiting contact whose record says one of these is a callback Hotline connects on accept:
# an IVR caller's (requested), one promised in wrap-up (scheduled), one for an abandoned call.
WAITING_CALLBACKS = frozenset({"requested", "scheduled", "abandoned"})
RING_SECONDS = 30.0  # the agent's phone rings this long before the INVITE is cancelled
NOTIFY_WAIT = 90.0  # after the 202: the customer's phone may ring a while


@dataclass(eq=False)
class Callback:
    """One callback, from the caller's key to the end of Hotline's leg to the agent."""

    contact_id: str
    number: str  # the customer's number, as the caller's call gave it
    target: str  # the Refer-To URI that reaches the customer
    phase: str = "waiting"  # waiting, calling, cancelling, referring, done
    agent_id: int | None = None
    dialog: Dialog | None = None
    invite: Request | None = None
    ack: Request | None = None  # the ACK of the 2xx, resent when the 2xx is
    rtp: RtpSocket | None = None
    timer: asyncio.TimerHandle | None = None
    error: str | None = None  # why the ringing was cancelled
    notes: dict[str, str] = field(default_factory=dict)
    # Followed from its record (a callback the centre made, or one restored after a
    # restart) rather than from a caller's key in this process.
    durable: bool = False


class Callbacks:
    """Callbacks requested in this process. IVR mode (:class:`IvrCalls`) hands over the
    waiting contacts and forwards their events and in-dialog requests.

    Args:
        service, uow: the contact-center service and units of work.
        hub: the agents' sockets (a failure is shown to the agent); None in tests.
        address: our address (Via, Contact, SDP).
        ports, rtp_host: RTP ports for the offer to the agent's phone.
        proxy: ``host[:port]`` of the outbound proxy, or None.
        key: the key that asks for a callback while waiting.
    """

    def __init__(
        self,
        service: ContactCenterService,
        uow: Callable[[], UnitOfWork],
        hub: AgentHub | None,
        address: str,
        ports: PortRange,
        rtp_host: str,
        proxy: str | None = None,
        key: str = CALLBACK_KEY,
        ring_seconds: float = RING_SECONDS,
        notify_wait: float = NOTIFY_WAIT,
    ) -> None:
        self.service = service
        self.uow = uow
        self.hub = hub
        self.address = address
        self.ports = ports
        self.rtp_host = rtp_host
        self.proxy = proxy
        self.key = key
        self.ring_seconds = ring_seconds
        self.notify_wait = notify_wait
        self.layer: TransactionLayer | None = None
        self.sip_port = 0
        self.by_contact: dict[str, Callback] = {}
        self.legs: dict[str, Callback] = {}  # by the Call-ID of the leg to the agent
        self._tasks: set[asyncio.Task[None]] = set()

    def bind(self, layer: TransactionLayer, port: int) -> None:
        self.layer, self.sip_port = layer, port

    # --- from IVR mode -------------------------------------------------------------------
    def target(self, number: str, peer: Peer) -> str:
        """Where the customer is reached: ``sip:<number>@<proxy>``, else through the host
        their call came from (the trunk or PBX that delivered it)."""
        host = self.proxy or f"{_host(peer.host)}:{peer.port}"
        return f"sip:{number}@{host}"

    def follow(self, contact_id: str, number: str, peer: Peer) -> Callback:
        """The waiting caller asked for a callback: its contact's events come here from now
        on (before its record is marked: an agent may accept in between)."""
        callback = Callback(contact_id, number, self.target(number, peer))
        self.by_contact[contact_id] = callback
        return callback

    async def mark(self, callback: Callback, path_entry: str) -> bool:
        """Mark the contact's record a callback. False when the contact is no longer live
        (it ended meanwhile): it is not followed any more."""
        cid = callback.contact_id
        try:
            await self.service.mark_callback(
                MarkCallback(cid, callback.number, {"callback_to": callback.target}, path_entry)
            )
        except DomainError as exc:
            log.info("callback: contact %s not marked: %s", cid, exc)
            if self.by_contact.get(cid) is callback and callback.phase == "waiting":
                del self.by_contact[cid]
            return False
        log.info("callback: contact %s keeps its place as a callback", cid)
        return True

    async def outbound(self, arrived: dict[str, Any]) -> None:
        """A voice contact the centre makes arrived (``contact.arrived``, direction
        ``outbound``): a callback scheduled in wrap-up, one a supervisor made for an abandoned
        call, one a chat customer left. With an outbound proxy to reach the customer through,
        it is followed like an IVR callback, so accepting it connects the agent's phone and
        the customer; without one the agent calls the number the screen pop shows."""
        cid = str(arrived.get("contact_id"))
        if self.proxy is None or arrived.get("channel") != "voice" or not cid.isdigit():
            return
        async with self.uow() as uow:
            found = await InteractionRepository(uow.session).get(int(cid))
            # Contact discipline (docs/care.md): a customer who asked not to be called is
            # not dialled; the agent gets the contact and reaches them another way.
            opted_out = (
                found is not None
                and (await CareRepository(uow.session).opt_outs({found.customer_id})).get(
                    found.customer_id, (False, False)
                )[0]
            )
        if found is not None and not opted_out:
            self._follow_record(cid, found.attributes or {})

    async def restore(self) -> int:
        """After a restart: the callbacks still waiting on the record (resumed in their
        places by the live path) are followed again, so accepting one connects the agent's
        phone and the customer as before the restart. Returns how many."""
        async with self.uow() as uow:
            live = await InteractionRepository(uow.session).live()
        followed = 0
        for row in live:
            if row.status == "queued" and row.channel == "voice":
                followed += self._follow_record(str(row.id), row.attributes or {})
        if followed:
            log.info("callback: %d waiting callbacks followed again", followed)
        return followed

    def _follow_record(self, cid: str, attributes: dict[str, Any]) -> bool:
        """Follow a waiting contact whose record says it is a callback: the ``Refer-To`` an
        IVR callback kept (``callback_to``), else the number through the outbound proxy."""
        if attributes.get("callback") not in WAITING_CALLBACKS:
            return False
        number = attributes.get("callback_number")
        if not isinstance(number, str) or not number:
            return False  # nothing to dial: the agent reaches the customer another way
        target = attributes.get("callback_to")
        if not isinstance(target, str) or not target:
            if self.proxy is None:
                return False
            target = f"sip:{number}@{self.proxy}"
        self.by_contact[cid] = Callback(cid, number, target, durable=True)
        log.info("callback: contact %s will connect the agent to %s", cid, number)
        return True

    def follows(self, contact_id: str) -> bool:
        return contact_id in self.by_contact

    async def event(self, event: Event) -> None:
        """A routing event of a callback's contact."""
        cid = str(event.data.get("contact_id"))
        callback = self.by_contact.get(cid)
        if callback is None:
            return
        if event.name == names.CONTACT_ASSIGNED and callback.phase == "waiting":
            callback.agent_id = int(event.data["agent_id"])
            self._spawn(self._connect(callback))
        elif event.name in (names.CONTACT_ENDED, names.CONTACT_TIMED_OUT):
            # Over: ended by someone (a supervisor, the agent), or the queue's maximum wait
            # passed (routing gives up on it, as on any contact).
            self.by_contact.pop(cid, None)
            if callback.phase == "calling":
                # The agent ended the contact before their phone answered: stop ringing.
                self._cancel_ringing(callback, "the contact ended first")
            elif callback.phase == "waiting":
                callback.phase = "done"

    # --- in-dialog requests from the agent's phone ---------------------------------------
    def owns(self, txn: ServerTransaction) -> bool:
        return txn.request.call_id in self.legs

    def notify(self, txn: ServerTransaction) -> None:
        """A NOTIFY of the REFER (RFC 3515 §2.4.5): how the call to the customer goes."""
        callback = self._in_dialog(txn)
        if callback is None:
            txn.respond(481)
            return
        txn.respond(200)
        if callback.phase != "referring":
            return
        status = sipfrag_status(txn.request.body)
        if status is None or status < 200:
            return  # 100 Trying, 180 Ringing: the customer's phone rings
        if status < 300:
            self._finish(callback, {"callback": "connected"})
        else:
            self._fail(callback, f"the customer's side answered {status}")

    def bye(self, txn: ServerTransaction) -> None:
        """The agent hung up their phone."""
        callback = self._in_dialog(txn)
        if callback is None:
            txn.respond(481)
            return
        txn.respond(200)
        if callback.phase == "referring":
            self._fail(callback, "the agent hung up before the customer answered", bye=False)
        self._close(callback)

    def _in_dialog(self, txn: ServerTransaction) -> Callback | None:
        callback = self.legs.get(txn.request.call_id)
        if callback is None or callback.dialog is None:
            return None
        return callback if callback.dialog.matches(txn.request) else None

    # --- calling the agent ---------------------------------------------------------------
    async def _connect(self, callback: Callback) -> None:
        assert callback.agent_id is not None
        async with self.uow() as uow:
            agent = await StaffRepository(uow.session).get_agent(callback.agent_id)
        uri = agent.sip_uri if agent is not None else None
        if callback.phase != "waiting":
            return  # the contact ended while the agent was looked up
        if not uri:
            self._fail(callback, "agent has no SIP URI")
            return
        hop = await self._next_hop(uri)
        if hop is None:
            self._fail(callback, f"cannot reach {uri}")
            return
        if self.layer is None:
            self._fail(callback, "SIP is not running")
            return
        try:
            callback.rtp = await self.ports.open(self.rtp_host, lambda key: None)
        except OSError as exc:
            self._fail(callback, f"no RTP port ({exc})")
            return
        if callback.phase != "waiting":
            self._close(callback)
            return
        self._dial(callback, uri, Peer("udp", *hop))

    def _dial(self, callback: Callback, uri: str, peer: Peer) -> None:
        """INVITE the agent's phone (its RTP port is open): the answer drives the rest."""
        assert self.layer is not None and callback.rtp is not None
        sent_by = f"{self.address}:{self.sip_port}"
        caller = (
            f'"Callback {callback.number}" <sip:callback@{_host(self.address)}:{self.sip_port}>'
        )
        dialog = Dialog.outgoing(caller, uri, peer, sent_by)
        callback.dialog = dialog
        sdp = offer(self.address, callback.rtp.port, secrets.randbelow(2**31))
        callback.invite = dialog.request(
            "INVITE",
            [
                ("Contact", self._contact()),
                ("Subject", f"Callback {callback.number}"),
                ("Allow", "INVITE, ACK, CANCEL, OPTIONS, BYE, NOTIFY"),
                ("Content-Type", "application/sdp"),
            ],
            sdp,
        )
        callback.phase = "calling"
        callback.notes["callback_agent_uri"] = uri
        self.legs[dialog.call_id] = callback
        loop = asyncio.get_running_loop()
        callback.timer = loop.call_later(self.ring_seconds, self._ring_timeout, callback)
        log.info("callback: contact %s: calling the agent's phone %s", callback.contact_id, uri)
        self.layer.request(callback.invite, peer, lambda r: self._invite_answer(callback, r))

    async def _next_hop(self, uri: str) -> tuple[str, int] | None:
        """Where requests go: the outbound proxy, else the URI's host (resolved off the
        event loop's thread when it is a name)."""
        where = uri_address(f"sip:{self.proxy}") if self.proxy else uri_address(uri)
        if where is None:
            return None
        host, port = where
        try:
            ipaddress.ip_address(host)
            return host, port
        except ValueError:
            pass
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_DGRAM)
        except OSError:
            return None
        return (str(infos[0][4][0]), port) if infos else None

    def _contact(self) -> str:
        return f"<sip:callback@{_host(self.address)}:{self.sip_port}>"

    def _invite_answer(self, callback: Callback, response: Response | None) -> None:
        if response is None:
            self._fail(callback, callback.error or "the agent's phone did not answer", bye=False)
            return
        if response.status < 200:
            return  # ringing
        dialog = callback.dialog
        assert dialog is not None and callback.invite is not None and self.layer is not None
        if response.status >= 300:
            why = callback.error or f"the agent's phone answered {response.status}"
            self._fail(callback, why, bye=False)
            return
        if callback.ack is None:
            dialog.established(response)
            callback.ack = dialog.request("ACK", cseq=callback.invite.cseq.number)
        self.layer.transmit_request(callback.ack, dialog.peer)  # every 2xx is ACKed
        if callback.phase in ("calling", "cancelling") and callback.error is None:
            self._cancel_timer(callback)
            self._refer(callback)
        elif callback.phase in ("calling", "cancelling"):
            # Answered as the ringing was cancelled (the 2xx crossed the CANCEL): hang up.
            self._fail(callback, callback.error)

    def _ring_timeout(self, callback: Callback) -> None:
        callback.timer = None
        if callback.phase == "calling":
            self._cancel_ringing(
                callback, f"the agent's phone did not answer within {self.ring_seconds:g} s"
            )

    def _cancel_ringing(self, callback: Callback, why: str) -> None:
        """CANCEL the INVITE (§9.1): its 487 then ends the attempt as failed with ``why``."""
        invite = callback.invite
        if invite is None or self.layer is None or callback.dialog is None:
            return
        callback.phase, callback.error = "cancelling", why
        headers = Headers()
        for name in ("Via", "Max-Forwards", "From", "To", "Call-ID"):
            value = invite.headers.get(name)
            if value is not None:
                headers.add(name, value)
        headers.add("CSeq", f"{invite.cseq.number} CANCEL")
        for route in invite.headers.get_all("Route"):
            headers.add("Route", route)
        cancel = Request("CANCEL", invite.uri, headers, b"")
        self.layer.request(cancel, callback.dialog.peer, lambda r: None)

    # --- the transfer to the customer ----------------------------------------------------
    def _refer(self, callback: Callback) -> None:
        dialog = callback.dialog
        assert dialog is not None and self.layer is not None
        callback.phase = "referring"
        request = dialog.request(
            "REFER",
            [
                ("Refer-To", f"<{callback.target}>"),
                ("Referred-By", self._contact()),
                ("Contact", self._contact()),
            ],
        )
        log.info("callback: contact %s: REFER to the customer", callback.contact_id)
        self.layer.request(request, dialog.peer, lambda r: self._refer_answer(callback, r))

    def _refer_answer(self, callback: Callback, response: Response | None) -> None:
        if callback.phase != "referring" or (response is not None and response.status < 200):
            return
        if response is None:
            self._fail(callback, "REFER not answered")
        elif response.status >= 300:
            self._fail(callback, f"REFER refused ({response.status})")
        else:
            loop = asyncio.get_running_loop()
            callback.timer = loop.call_later(self.notify_wait, self._notify_late, callback)

    def _notify_late(self, callback: Callback) -> None:
        callback.timer = None
        if callback.phase == "referring":
            self._finish(callback, {"callback": "unconfirmed"})

    # --- outcomes ------------------------------------------------------------------------
    def _fail(self, callback: Callback, why: str | None, bye: bool = True) -> None:
        why = why or "failed"
        log.info("callback: contact %s failed: %s", callback.contact_id, why)
        self._finish(callback, {"callback": "failed", "callback_error": why}, bye=bye)

    def _finish(self, callback: Callback, notes: dict[str, str], bye: bool = True) -> None:
        """Record the outcome, show it to the agent, end Hotline's leg."""
        if callback.phase == "done":
            return
        established = callback.ack is not None
        callback.notes.update(notes)
        callback.phase = "done"
        self._cancel_timer(callback)
        self._spawn(self._record(callback))
        if bye and established and callback.dialog is not None and self.layer is not None:
            request = callback.dialog.request("BYE")
            self.layer.request(request, callback.dialog.peer, lambda r: None)
        self._close(callback)

    async def _record(self, callback: Callback) -> None:
        """The outcome on the interaction; the agent's console gets the contact again."""
        cid = callback.contact_id
        if not cid.isdigit():
            return
        await self.service.caught_up()
        async with self.uow() as uow:
            repo = InteractionRepository(uow.session)
            found = await repo.get(int(cid))
            if found is None:
                return
            await repo.set_attributes(found.id, {**found.attributes, **callback.notes})
        route = self.service.router.store.route(cid)
        agent = callback.agent_id
        if (
            self.hub is not None
            and agent is not None
            and route is not None
            and route.status is ContactStatus.ACTIVE
            and route.agent_id == str(agent)
        ):
            self.hub.send(agent, self._card(int(cid)))

    async def _card(self, interaction_id: int) -> dict[str, Any] | None:
        """``contact.assigned`` with the record as it is now (the console refreshes the
        contact it has, attributes included)."""
        cards = await load_cards(self.uow, [interaction_id])
        found = cards.get(interaction_id)
        if found is None:
            return None
        card, profile = found
        return assigned_message(card, profile, self.service.center.clock())

    def _cancel_timer(self, callback: Callback) -> None:
        if callback.timer is not None:
            callback.timer.cancel()
            callback.timer = None

    def _close(self, callback: Callback) -> None:
        if callback.phase != "done":
            callback.phase = "done"
        self._cancel_timer(callback)
        if callback.rtp is not None:
            callback.rtp.close()
            callback.rtp = None
        if callback.dialog is not None and self.legs.get(callback.dialog.call_id) is callback:
            # Kept a little for late NOTIFYs and retransmitted 2xx (answered, then dropped).
            call_id = callback.dialog.call_id
            asyncio.get_running_loop().call_later(32.0, self.legs.pop, call_id, None)
        if self.by_contact.get(callback.contact_id) is callback:
            del self.by_contact[callback.contact_id]

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settled(self) -> None:
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def stop(self) -> None:
        """Shutting down: waiting callbacks stay queued on the record (the next start
        resumes them in their places and follows them again, :meth:`restore`); live legs
        are hung up or cancelled."""
        for callback in list(self.by_contact.values()) + list(self.legs.values()):
            if callback.phase == "calling":
                self._cancel_ringing(callback, "Hotline shut down")
            elif callback.phase == "referring":
                self._fail(callback, "Hotline shut down")
            self._close(callback)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _host(host: str) -> str:
    """A host for a URI: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
