"""Redirect mode: a SIP caller waits in a queue and is sent on, with 302, to the agent who
accepts. The glue between the SIP endpoint (``ivr.sip``) and the contact-center service.

A call's life here:
- INVITE to a redirect number → the contact arrives at once through the service (idempotent
  by ("sip", Call-ID)); the caller gets 182 Queued, repeated every
  ``queued_interval_seconds`` while waiting;
- ``contact.assigned`` → 302 Moved Temporarily, Contact: the agent's SIP URI. From then on
  the call no longer passes through Hotline; the agent ends the contact in the console;
- CANCEL while waiting → 487 (the transaction layer has answered the CANCEL 200) and the
  contact ends as abandoned by the customer;
- ``contact.timed_out`` (the queue's maximum wait) → the number's fallback: a final status
  (480 by default) or 302 to an overflow URI;
- the contact ended by anyone else while the caller waits → 480.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.contacts.commands import Arrive, End
from app.contacts.intake_gate import Overloaded
from app.contacts.service import ContactCenterService
from app.db.repositories.staff import StaffRepository
from app.db.uow import UnitOfWork
from app.errors import DomainError, Invalid
from app.events import names
from app.events.model import Event
from app.telephony.config import Number, TelephonyConfig
from ivr.sip.message import parse_name_addr, uri_user
from ivr.sip.transactions import Handle, ServerTransaction

log = logging.getLogger(__name__)
SOURCE = "sip"
NOT_YET = "Not Yet Available"  # ivr/survey numbers when no IVR mode is wired in (calls.py is)


@dataclass(eq=False)
class Call:
    """One caller waiting behind an INVITE transaction."""

    call_id: str
    txn: ServerTransaction
    number: Number
    contact_id: str | None = None
    done: bool = False  # answered finally (302, 4xx, 487): nothing more is sent
    cancelled: bool = False  # the caller sent CANCEL
    ending: bool = False  # the contact's end was asked for (once)
    repeat: Handle | None = None


def caller_number(txn: ServerTransaction) -> str | None:
    """The caller's number: P-Asserted-Identity (set by a trusted proxy), else From."""
    for name in ("P-Asserted-Identity", "From"):
        value = txn.request.headers.get(name)
        if not value:
            continue
        try:
            user = parse_name_addr(value).user
        except ValueError:
            continue
        if user and user.lower() != "anonymous":
            return user
    return None


def external_id(call_id: str) -> str:
    """The contact's idempotency key: the Call-ID, or its digest when it is longer than the
    record's column (RFC 3261 sets no length; some stacks send long ones)."""
    if len(call_id) <= 100:
        return call_id
    return "sha256:" + hashlib.sha256(call_id.encode()).hexdigest()


class RedirectCalls:
    """The :class:`ivr.sip.endpoint.CallHandler` of redirect mode, and the bus subscriber
    that answers its callers when routing decides."""

    # The events :meth:`handle` acts on; the bus wakes it for no others.
    WANTS = frozenset(
        {
            names.CONTACT_ARRIVED,
            names.CONTACT_ASSIGNED,
            names.CONTACT_TIMED_OUT,
            names.CONTACT_ENDED,
        }
    )

    def __init__(
        self,
        config: TelephonyConfig,
        service: ContactCenterService,
        uow: Callable[[], UnitOfWork],
        call_later: Callable[[float, Callable[[], Any]], Handle] | None = None,
    ) -> None:
        self.config = config
        self.service = service
        self.uow = uow
        self._call_later = call_later
        self.calls: dict[str, Call] = {}  # by Call-ID, while the INVITE transaction lives
        self.by_contact: dict[str, Call] = {}  # while the caller waits
        self._tasks: set[asyncio.Task[None]] = set()

    # --- from the SIP endpoint -----------------------------------------------------------
    def invite(self, txn: ServerTransaction) -> None:
        request = txn.request
        number = self.config.numbers.get(uri_user(request.uri))
        if number is None:
            txn.respond(404)
            return
        if number.mode != "redirect":
            txn.respond(480, NOT_YET)
            return
        if request.call_id in self.calls:
            # The same Call-ID on a new transaction while the first is still being served:
            # a request that forked and merged back (RFC 3261 §8.2.2.2).
            txn.respond(482, "Loop Detected")
            return
        call = Call(request.call_id, txn, number)
        txn.context = call
        self.calls[call.call_id] = call
        self._spawn(self._arrive(call, caller_number(txn)))

    def cancelled(self, txn: ServerTransaction) -> None:
        call: Call | None = txn.context
        if call is None:
            txn.respond(487)
            return
        call.cancelled = True
        self._finish(call, txn, 487)
        if call.contact_id is not None:
            self._spawn(self._end(call, "customer", "hangup"))
        # Without a contact id yet, _arrive sees the call cancelled and ends what it made.

    def terminated(self, txn: ServerTransaction, timed_out: bool) -> None:
        call: Call | None = txn.context
        if call is not None and self.calls.get(call.call_id) is call:
            del self.calls[call.call_id]

    def bye(self, txn: ServerTransaction) -> None:
        txn.respond(481)  # redirect mode keeps no dialog

    # --- the call's arrival --------------------------------------------------------------
    async def _arrive(self, call: Call, caller: str | None) -> None:
        assert call.number.queue is not None
        if caller is None:
            self._finish(call, call.txn, 433)
            return
        try:
            contact, created = await self.service.arrive(
                Arrive(
                    channel="voice",
                    queue=call.number.queue,
                    from_=caller,
                    source=SOURCE,
                    external_id=external_id(call.call_id),
                    attributes={"dialled": call.number.name},
                ),
                refusable=True,
            )
        except Overloaded as exc:
            # Saturated: the caller's proxy or phone tries again, or another server.
            log.warning("sip: call %s refused: %s", call.call_id[:16], exc)
            self._finish(call, call.txn, 503, extra=[("Retry-After", str(exc.retry_after))])
            return
        except Invalid as exc:
            # A caller whose number is no phone number cannot be identified.
            if exc.loc and exc.loc[0] in ("from", "phone"):
                log.info("sip: call %s refused: %s", call.call_id[:16], exc)
                self._finish(call, call.txn, 433)
            else:
                log.error("sip: number %s: %s", call.number.name, exc)
                self._finish(call, call.txn, 480)
            return
        except DomainError as exc:
            log.error("sip: number %s: %s", call.number.name, exc)
            self._finish(call, call.txn, 480)
            return
        call.contact_id = contact.id
        if call.cancelled:  # while it arrived: the contact it made ends abandoned
            await self._end(call, "customer", "hangup")
            return
        if call.done:  # routing already answered it (an agent was that quick)
            return
        if not created and contact.live_status not in ("queued", "offered"):
            self._finish(call, call.txn, 480)  # the call this Call-ID made is over
            return
        self.by_contact[contact.id] = call
        self._queued(call)

    def _queued(self, call: Call) -> None:
        """182 Queued now, and again every interval while the caller waits."""
        if call.done:
            return
        call.txn.respond(182)
        later = self._call_later or asyncio.get_running_loop().call_later
        call.repeat = later(self.config.queued_interval, lambda: self._queued(call))

    async def _end(self, call: Call, by: Any, reason: str) -> None:
        if call.ending or call.contact_id is None:
            return
        call.ending = True
        try:
            await self.service.end(End(call.contact_id, by=by, reason=reason))
        except DomainError as exc:  # it ended another way meanwhile
            log.info("sip: contact %s not ended: %s", call.contact_id, exc)

    def _finish(self, call: Call | None, txn: ServerTransaction, status: int, **kw: Any) -> None:
        if call is not None:
            if call.done:
                return
            call.done = True
            if call.repeat is not None:
                call.repeat.cancel()
            if call.contact_id is not None:
                self.by_contact.pop(call.contact_id, None)
        txn.respond(status, **kw)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- from the bus --------------------------------------------------------------------
    async def handle(self, events: list[Event]) -> None:
        assigned: list[tuple[Call, int]] = []
        for event in events:
            data = event.data
            if event.name == names.CONTACT_ARRIVED:
                # The contact's id as soon as routing can act on it, before arrive() returns.
                if data.get("source") == SOURCE:
                    call = self._by_external_id(str(data.get("external_id")))
                    if call is not None and not call.done:
                        call.contact_id = str(data["contact_id"])
                        self.by_contact[call.contact_id] = call
                continue
            if event.name not in (
                names.CONTACT_ASSIGNED,
                names.CONTACT_TIMED_OUT,
                names.CONTACT_ENDED,
            ):
                continue
            call = self.by_contact.get(str(data.get("contact_id")))
            if call is None or call.done:
                continue
            if event.name == names.CONTACT_ASSIGNED:
                assigned.append((call, int(data["agent_id"])))
            elif event.name == names.CONTACT_TIMED_OUT:
                self._fallback(call)
            else:
                self._finish(call, call.txn, 480)
        if assigned:
            await self._assigned(assigned)

    def _by_external_id(self, key: str) -> Call | None:
        if not key.startswith("sha256:"):
            return self.calls.get(key)
        return next((c for c in self.calls.values() if external_id(c.call_id) == key), None)

    async def _assigned(self, assigned: list[tuple[Call, int]]) -> None:
        # One query for the whole batch: this handler runs the bus's events in order, and a
        # lookup per call made every 302 wait behind the previous ones' round trips (at
        # 100 calls/s the answer fell seconds behind the offer).
        async with self.uow().reading() as uow:
            uris = await StaffRepository(uow).sip_uris({a for _, a in assigned})
        for call, agent_id in assigned:
            uri = uris.get(agent_id)
            if call.done:
                continue  # cancelled while the agent was looked up: the CANCEL ended it
            if not uri:
                log.warning(
                    "sip: agent %d has no SIP URI; call %s not connected",
                    agent_id,
                    call.contact_id,
                )
                self._finish(call, call.txn, 480)
                await self._end(call, "system", "unreachable")
                continue
            self._finish(call, call.txn, 302, extra=[("Contact", f"<{uri}>")])

    def _fallback(self, call: Call) -> None:
        number = call.number
        if number.fallback_uri:
            self._finish(call, call.txn, 302, extra=[("Contact", f"<{number.fallback_uri}>")])
        else:
            self._finish(call, call.txn, number.fallback_status)

    async def settled(self) -> None:
        """Wait until the work started for calls so far (arrivals, ends) is done."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def stop(self) -> None:
        """Callers still waiting are told to try again later; their contacts end."""
        for call in list(self.by_contact.values()):
            self._finish(call, call.txn, 503, extra=[("Retry-After", "30")])
            await self._end(call, "system", "interrupted")
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
