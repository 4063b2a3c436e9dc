"""IVR mode: Hotline answers the call, runs the IVR flow on the caller's keys, queues the
caller with announcements, and transfers the call with REFER to the agent who accepts.
Also the ``survey`` number: the caller rates the call they just had. docs/ivr.md.

A call's life here:
- INVITE to an ``ivr``/``survey`` number with an SDP offer → an RTP port, 200 OK with the
  SDP answer (PCMU and telephone-event on the offer's payload types; 488 without PCMU); the
  2xx is resent until the ACK;
- the flow (:mod:`ivr.flow`) runs: prompts are played by the process's one pacer
  (:class:`ivr.media.transport.PacerLoop`), keys come in as RFC 4733 events, lookups read
  the customer (:class:`app.telephony.ivr_lookup.CallerLookup`);
- outcome *queue* → the contact arrives through the service (attributes and IVR path from
  the flow, the caller's language), and while it waits the caller hears their place in
  the queue (and the usual wait, once known) every ``queued_interval_seconds``;
- ``contact.assigned`` → REFER to the agent's SIP URI; the NOTIFYs' sipfrag says how the
  transfer went; on success, BYE: the call no longer passes through Hotline and the agent
  ends the contact in the console. REFER refused (4xx-6xx, or no answer) or a failed
  transfer → the fallback: the caller is told they will be called back, the call ends, and
  the interaction says so (``transfer: refused``, ``fallback: callback``);
- outcome *rating* (survey) → the score lands on the caller's last answered interaction;
- BYE from the caller → 200; a queued contact ends as abandoned by the customer;
- ``contact.timed_out`` → the number's fallback: REFER to its overflow URI, or goodbye;
  the contact ended by anyone else → goodbye;
- the callback key while queued (typed ahead too) → the contact becomes a callback that
  keeps its place (:mod:`app.telephony.callbacks`): the caller hears so and is hung up, and
  the callback's events go to :class:`Callbacks` from then on.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from app.contacts.commands import Arrive, End
from app.contacts.service import ContactCenterService
from app.customers.identity import try_normalise_phone
from app.db.repositories.intake import IntakeRepository
from app.db.repositories.interactions import InteractionRepository
from app.db.repositories.staff import StaffRepository
from app.db.uow import UnitOfWork
from app.errors import DomainError
from app.events import names
from app.events.model import Event
from app.telephony.callbacks import Callback, Callbacks
from app.telephony.config import Number, TelephonyConfig
from app.telephony.ivr_lookup import CallerLookup
from app.telephony.redirect import SOURCE, caller_number, external_id
from ivr.flow.engine import Action, Done, FlowRun, LookupRequest, PlayPrompts, Prompt, StopPlaying
from ivr.flow.model import Flows, Outcome
from ivr.media.dtmf import DtmfDecoder
from ivr.media.pacer import Stream
from ivr.media.prompts import PromptSet
from ivr.media.sdp import Offer, SdpError, answer, parse_offer
from ivr.media.sdp import offer as offer_sdp
from ivr.media.transport import PacerLoop, PortRange, RtpSocket
from ivr.sip.endpoint import Dialog, sipfrag_status
from ivr.sip.message import Request, Response, parse_name_addr
from ivr.sip.transactions import Peer, ServerTransaction, TransactionLayer

log = logging.getLogger(__name__)

NOT_ACCEPTABLE = "Not Acceptable Here"
NOTIFY_WAIT = 32.0  # after a 202, how long the final NOTIFY may take (64*T1)
RATING_WINDOW = timedelta(hours=24)  # a survey rates an interaction answered this recently


@dataclass(eq=False)
class IvrCall:
    call_id: str
    txn: ServerTransaction
    number: Number
    caller: str | None
    offer: Offer | None  # None: a late offer (RFC 3264 §5), ours in the 200, the answer in the ACK
    flow: str
    dialog: Dialog | None = None
    rtp: RtpSocket | None = None
    stream: Stream | None = None
    run: FlowRun | None = None
    phase: str = "answering"  # answering, offering (late offer: awaiting the ACK), ivr, queued,
    # transferring, done
    language: str = "zh"
    contact_id: str | None = None
    outcome: Outcome | None = None
    timer: asyncio.TimerHandle | None = None  # the flow's next timeout, or the next notice
    after_play: Callable[[], None] | None = None  # outside the flow: what follows a prompt
    refer_timer: asyncio.TimerHandle | None = None
    ending: bool = False
    notes: dict[str, str] = field(default_factory=dict)
    sdp_session: int = 0
    sdp_version: int = 1
    reinvite: ServerTransaction | None = None  # the last re-INVITE (its 2xx awaits an ACK)
    callback_wanted: bool = False  # the callback key came before the contact did


class IvrCalls:
    """The call handler for ``ivr`` and ``survey`` numbers, and the bus subscriber that
    transfers their callers when routing decides.

    Args:
        config: telephony.yaml (numbers, the announcement interval).
        flows: ivr.yaml.
        prompts: the prompt sets, cut into frames.
        service, uow: the contact-center service and units of work.
        address: the address put in SDP and in Via/Contact (where the caller reaches us).
        ports: the RTP ports.
        rtp_host: where RTP sockets listen.
        callbacks: callbacks that keep their place (None: the key does nothing).
    """

    def __init__(
        self,
        config: TelephonyConfig,
        flows: Flows,
        prompts: PromptSet,
        service: ContactCenterService,
        uow: Callable[[], UnitOfWork],
        address: str,
        ports: PortRange,
        rtp_host: str,
        callbacks: Callbacks | None = None,
    ) -> None:
        self.config = config
        self.callbacks = callbacks
        self.flows = flows
        self.prompts = prompts
        self.service = service
        self.uow = uow
        self.address = address
        self.ports = ports
        self.rtp_host = rtp_host
        self.lookup = CallerLookup(uow, service.region)
        self.pacer = PacerLoop()
        self.layer: TransactionLayer | None = None
        self.sip_port = 0
        self.calls: dict[str, IvrCall] = {}  # by Call-ID, from the INVITE to the end
        self.by_contact: dict[str, IvrCall] = {}
        self.usual_wait: dict[str, float] = {}  # per queue: a moving average of waits (s)
        self._tasks: set[asyncio.Task[None]] = set()

    def bind(self, layer: TransactionLayer, port: int) -> None:
        """The SIP server's transaction layer (for REFER and BYE) and port, once it listens."""
        self.layer, self.sip_port = layer, port
        if self.callbacks is not None:
            self.callbacks.bind(layer, port)

    def handles(self, number: Number) -> bool:
        return number.mode in ("ivr", "survey")

    # --- from the SIP endpoint -----------------------------------------------------------
    def invite(self, txn: ServerTransaction, number: Number) -> None:
        request = txn.request
        try:
            in_dialog = parse_name_addr(request.headers.get("To") or "").tag is not None
        except ValueError:
            in_dialog = False
        if in_dialog:
            self._reinvite(txn)
            return
        if request.call_id in self.calls:
            txn.respond(482, "Loop Detected")
            return
        offer: Offer | None = None
        if request.body:
            try:
                offer = parse_offer(request.body)
            except SdpError as exc:
                log.info("sip: call %s: offer refused: %s", request.call_id[:16], exc.reason)
                reason = exc.reason.replace('"', "'")[:100]
                txn.respond(488, NOT_ACCEPTABLE, extra=[("Warning", f'399 hotline "{reason}"')])
                return
        # else a late offer (RFC 3264 §5, gateways and some PBXes send them): ours goes in
        # the 200, the caller's answer comes in the ACK (see ack()).
        flow = number.name if number.name in self.flows.flows else (
            "survey" if number.mode == "survey" else "main")  # fmt: skip
        if flow not in self.flows.flows:
            log.error("sip: number %s: no flow %r in ivr.yaml", number.name, flow)
            txn.respond(480)
            return
        call = IvrCall(request.call_id, txn, number, caller_number(txn), offer, flow)
        call.language = self.flows.languages[0]
        txn.context = call
        self.calls[call.call_id] = call
        self._spawn(self._answer(call))

    def cancelled(self, txn: ServerTransaction) -> None:
        txn.respond(487)
        call: IvrCall | None = txn.context
        if call is not None:
            self._close(call)

    def terminated(self, txn: ServerTransaction, timed_out: bool) -> None:
        call: IvrCall | None = txn.context
        if call is not None and timed_out and call.phase != "done":
            log.info("sip: call %s: the 200 was never acknowledged; hanging up", call.call_id[:16])
            self._hang_up(call, ())

    def ack(self, request: Request, peer: Peer) -> None:
        call = self.calls.get(request.call_id)
        if call is not None:
            call.txn.acked()
            if call.reinvite is not None:
                call.reinvite.acked()
            if (
                call.phase == "offering"
                and call.dialog is not None
                and call.dialog.matches(request)
            ):
                self._late_answer(call, request.body)

    def _late_answer(self, call: IvrCall, body: bytes) -> None:
        """The ACK of a late-offer call brings the caller's answer to our offer: media and
        the flow start now. No answer, or none we can use, ends the call (RFC 3261 §13.2.1:
        the UAS hangs up on an unacceptable answer)."""
        try:
            if not body:
                raise SdpError("the ACK has no SDP answer")
            call.offer = parse_offer(body)
        except SdpError as exc:
            log.info("sip: call %s: late answer refused: %s", call.call_id[:16], exc.reason)
            call.notes["media"] = f"late answer refused: {exc.reason}"[:200]
            self._hang_up(call, ())
            return
        self._start(call, call.offer)

    def _reinvite(self, txn: ServerTransaction) -> None:
        """A re-INVITE (hold, a session refresh, a new address): the same media answered
        again, RTP sent where the new offer says."""
        call = self._in_dialog(txn)
        if call is None or call.rtp is None or call.dialog is None:
            txn.respond(481)
            return
        offer = current = call.offer
        if current is None:  # a re-INVITE before the late offer's ACK: glare (RFC 3261 §14.2)
            txn.respond(491, "Request Pending")
            return
        if txn.request.body:
            try:
                offer = parse_offer(txn.request.body)
            except SdpError as exc:
                reason = exc.reason.replace('"', "'")[:100]
                txn.respond(488, NOT_ACCEPTABLE, extra=[("Warning", f'399 hotline "{reason}"')])
                return
            if offer.pcmu != current.pcmu or offer.telephone_event != current.telephone_event:
                txn.respond(
                    488, NOT_ACCEPTABLE, extra=[("Warning", '399 hotline "codecs changed"')]
                )
                return
            call.offer = offer
            call.rtp.remote = (offer.address, offer.port)
            call.rtp.latched = False
        call.sdp_version += 1
        sdp = answer(offer, self.address, call.rtp.port, call.sdp_session, call.sdp_version)
        call.reinvite = txn
        txn.to_tag = call.dialog.local_tag  # the dialog's tag, not a new one
        txn.respond(200, extra=self._answer_headers(call), body=sdp)

    def bye(self, txn: ServerTransaction) -> None:
        if self.callbacks is not None and self.callbacks.owns(txn):
            self.callbacks.bye(txn)  # the agent's phone, on a callback's leg
            return
        call = self._in_dialog(txn)
        if call is None:
            txn.respond(481)
            return
        txn.respond(200)
        log.info("sip: call %s: the caller hung up (%s)", call.call_id[:16], call.phase)
        if call.contact_id is not None and call.phase in ("queued", "answering", "ivr"):
            self._spawn(self._end(call, "customer", "hangup"))
        self._close(call)

    def notify(self, txn: ServerTransaction) -> None:
        if self.callbacks is not None and self.callbacks.owns(txn):
            self.callbacks.notify(txn)  # how the agent's phone's call to the customer goes
            return
        call = self._in_dialog(txn)
        if call is None:
            txn.respond(481)
            return
        txn.respond(200)
        if call.phase != "transferring":
            return
        status = sipfrag_status(txn.request.body)
        if status is None or status < 200:
            return  # 100 Trying, 180 Ringing: the transfer goes on
        if status < 300:
            call.notes["transfer"] = "done"
            self._spawn(self._note(call))
            self._hang_up(call, ())  # the caller is with the agent now: our leg ends
        else:
            self._transfer_failed(call, f"transfer failed ({status})")

    def _in_dialog(self, txn: ServerTransaction) -> IvrCall | None:
        call = self.calls.get(txn.request.call_id)
        if call is None or call.dialog is None or not call.dialog.matches(txn.request):
            return None
        return call

    # --- answering -----------------------------------------------------------------------
    async def _answer(self, call: IvrCall) -> None:
        try:
            await self._answering(call)
        except Exception:  # a failure here must not leave the caller ringing
            log.exception("ivr: call %s could not be answered", call.call_id[:16])
            call.txn.respond(500)
            self._hang_up(call, ())

    async def _answering(self, call: IvrCall) -> None:
        try:
            call.rtp = await self.ports.open(self.rtp_host, lambda key: self._key(call, key))
        except OSError as exc:
            log.error("sip: call %s: no RTP port: %s", call.call_id[:16], exc)
            call.txn.respond(503, extra=[("Retry-After", "10")])
            self._close(call)
            return
        if call.phase == "done":  # cancelled meanwhile
            self._close(call)
            return
        call.sdp_session = secrets.randbelow(2**31)
        if call.offer is None:  # late offer: ours now, the flow once the ACK answers it
            sdp = offer_sdp(self.address, call.rtp.port, call.sdp_session)
        else:
            sdp = answer(call.offer, self.address, call.rtp.port, call.sdp_session)
        if not call.txn.respond(200, extra=self._answer_headers(call), body=sdp):
            self._close(call)
            return
        call.dialog = Dialog.answered(call.txn, f"{self.address}:{self.sip_port}")
        if call.offer is None:
            call.phase = "offering"
            return
        self._start(call, call.offer)

    def _start(self, call: IvrCall, offer: Offer) -> None:
        """Media both ways and the flow, once both sides' SDP is known."""
        assert call.rtp is not None
        call.rtp.remote = (offer.address, offer.port)
        if offer.telephone_event is not None:
            call.rtp.decoder = DtmfDecoder(offer.telephone_event)
        call.stream = self.pacer.stream(
            call.call_id, offer.pcmu, call.rtp.send, lambda: self._played(call)
        )
        call.phase = "ivr"
        call.run = FlowRun(
            self.flows.flows[call.flow],
            call.language,
            {"caller.number": call.caller or ""},
            self.flows.max_rating,
        )
        self._act(call, call.run.start(self._now()))

    def _answer_headers(self, call: IvrCall) -> list[tuple[str, str]]:
        transport = call.txn.peer.transport
        contact = f"<sip:{call.number.name}@{self.address}:{self.sip_port};transport={transport}>"
        return [
            ("Contact", contact),
            ("Allow", "INVITE, ACK, CANCEL, OPTIONS, BYE, NOTIFY"),
            ("Content-Type", "application/sdp"),
        ]

    # --- the flow ------------------------------------------------------------------------
    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _key(self, call: IvrCall, key: str) -> None:
        if call.phase == "ivr" and call.run is not None:
            self._act(call, call.run.digit(key, self._now()))
        elif call.phase == "queued" and self._callback_key(key):
            self._callback(call)

    def _callback_key(self, key: str) -> bool:
        return self.callbacks is not None and key == self.callbacks.key

    def _played(self, call: IvrCall) -> None:
        if call.phase == "ivr" and call.run is not None:
            self._act(call, call.run.played(self._now()))
        elif call.after_play is not None:
            then, call.after_play = call.after_play, None
            then()

    def _tick(self, call: IvrCall) -> None:
        call.timer = None
        if call.phase == "ivr" and call.run is not None:
            self._act(call, call.run.tick(self._now()))

    def _act(self, call: IvrCall, actions: list[Action]) -> None:
        """Carry out what the flow asked for, then arm its next timeout."""
        for action in actions:
            if call.phase != "ivr":
                return
            if isinstance(action, PlayPrompts):
                self._play(call, action.prompts, then=None)
            elif isinstance(action, StopPlaying):
                if call.stream is not None:
                    call.stream.stop()
            elif isinstance(action, LookupRequest):
                self._spawn(self._lookup(call, action))
            elif isinstance(action, Done):
                self._done(call, action.outcome)
        run = call.run
        if call.timer is not None:
            call.timer.cancel()
            call.timer = None
        if call.phase == "ivr" and run is not None and run.deadline is not None:
            loop = asyncio.get_running_loop()
            call.timer = loop.call_at(run.deadline, lambda: self._tick(call))

    def _play(
        self, call: IvrCall, prompts: tuple[Prompt, ...], then: Callable[[], None] | None
    ) -> None:
        """Queue the prompts' frames; ``then`` (outside the flow) follows their end."""
        call.after_play = then
        frames: list[bytes] = []
        for prompt in prompts:
            found = self.prompts.get(prompt.language, prompt.name)
            if found is None:
                log.warning("ivr: no prompt %s/%s; skipped", prompt.language, prompt.name)
                continue
            frames.extend(found)
        if call.stream is None or not frames:
            asyncio.get_running_loop().call_soon(self._played, call)  # nothing to wait for
            return
        call.stream.stop()
        call.stream.play(frames)

    async def _lookup(self, call: IvrCall, request: LookupRequest) -> None:
        run = call.run
        assert run is not None
        try:
            found = await self.lookup.lookup(
                request.kind, call.caller if request.kind == "caller" else request.value, run.vars
            )
        except Exception:  # the database failing must not leave the caller in silence
            log.exception("ivr: lookup %s failed", request.kind)
            found = None
        if found is not None and found.get("language") not in self.flows.languages:
            found.pop("language", None)
        if call.phase == "ivr":
            self._act(call, run.looked_up(found, self._now()))

    def _done(self, call: IvrCall, outcome: Outcome) -> None:
        call.outcome = outcome
        call.language = outcome.language or call.language
        if outcome.kind == "queue":
            call.phase = "queued"
            run = call.run
            # Typed ahead of the queue (after the key that chose it): taken once queued.
            if run is not None and any(self._callback_key(k) for k in run.typed_ahead):
                call.callback_wanted = True
            self._spawn(self._queue(call, outcome))
        elif outcome.kind == "rating" and outcome.rating is not None:
            self._spawn(self._rate(call, outcome.rating))
            self._hang_up(call, ())
        else:
            self._hang_up(call, ())

    # --- waiting in the queue ------------------------------------------------------------
    async def _queue(self, call: IvrCall, outcome: Outcome) -> None:
        assert outcome.queue is not None
        attributes = {"dialled": call.number.name, "ivr_flow": call.flow, **outcome.attributes}
        attributes = {k: v for k, v in attributes.items() if v != ""}
        try:
            contact, created = await self.service.arrive(
                Arrive(
                    channel="voice",
                    queue=outcome.queue,
                    from_=call.caller,
                    customer_id=outcome.customer_id,
                    intent=outcome.intent,
                    language=outcome.language or None,
                    priority=outcome.priority,
                    attributes=attributes,
                    ivr_path=outcome.path,
                    source=SOURCE,
                    external_id=external_id(call.call_id),
                )
            )
        except DomainError as exc:
            log.error("ivr: call %s not queued: %s", call.call_id[:16], exc)
            self._hang_up(call, (Prompt(call.language, "transfer_failed"),))
            return
        call.contact_id = contact.id
        if call.phase == "done":  # hung up while it arrived: the contact it made ends
            await self._end(call, "customer", "hangup")
            return
        if not created and contact.live_status not in ("queued", "offered"):
            self._hang_up(call, (Prompt(call.language, "goodbye"),))
            return
        if call.phase == "callback":
            return  # the key came as it arrived: the callbacks follow it now
        self.by_contact[contact.id] = call
        if call.phase == "queued" and call.callback_wanted:
            self._callback(call)
        elif call.phase == "queued":
            self._notice(call)

    # --- a callback that keeps its place ------------------------------------------------
    def _callback(self, call: IvrCall) -> None:
        """The caller pressed the callback key while queued: the contact stays where it is,
        marked a callback; the caller hears so and is hung up."""
        if call.contact_id is None:
            call.callback_wanted = True  # the contact is still arriving: once it has
            return
        if self.callbacks is None or not call.caller:
            return  # an anonymous caller cannot be called back: the key does nothing
        call.phase = "callback"  # a BYE from now on does not end the contact
        self._quiet(call)
        self.by_contact.pop(call.contact_id, None)
        # Followed at once (the contact's events go to the callbacks from this event on),
        # then marked on the record.
        callback = self.callbacks.follow(call.contact_id, call.caller, call.txn.peer)
        self._spawn(self._callback_marked(call, callback))

    async def _callback_marked(self, call: IvrCall, callback: Callback) -> None:
        assert self.callbacks is not None
        marked = await self.callbacks.mark(callback, f"queue: {self.callbacks.key} (callback)")
        if call.phase != "callback":
            return  # the caller hung up meanwhile
        farewell = "callback_confirmed" if marked else "goodbye"
        self._hang_up(call, (Prompt(call.language, farewell),))

    def _notice(self, call: IvrCall) -> None:
        """Place in the queue (and the usual wait) now, then again every interval."""
        call.timer = None
        if call.phase != "queued":
            return
        prompts = [Prompt(call.language, "hold")]
        place = self._place(call)
        if place is not None:
            prompts += [Prompt(call.language, "queue_position"), *digits(call.language, place)]
        usual = self.usual_wait.get((call.outcome.queue if call.outcome else None) or "")
        if usual is not None:
            minutes = max(1, round(usual / 60))
            prompts += [Prompt(call.language, "wait_minutes"), *digits(call.language, minutes)]
        if self.callbacks is not None and call.caller:
            prompts.append(Prompt(call.language, "callback_offer"))  # "press 9 ..."

        def again() -> None:
            if call.phase == "queued":
                loop = asyncio.get_running_loop()
                call.timer = loop.call_later(self.config.queued_interval, self._notice, call)

        self._play(call, tuple(prompts), then=again)

    def _place(self, call: IvrCall) -> int | None:
        """1 + the contacts ahead of this one in its queue (routing's live state)."""
        store = self.service.router.store
        mine = store.route(call.contact_id or "")
        if mine is None:
            return None
        ahead = sum(
            1
            for r in store.routes()
            if r.queue == mine.queue and r.status == mine.status and r.sort_key < mine.sort_key
        )
        return ahead + 1

    async def _end(self, call: IvrCall, by: Any, reason: str) -> None:
        if call.ending or call.contact_id is None:
            return
        call.ending = True
        try:
            await self.service.end(End(call.contact_id, by=by, reason=reason))
        except DomainError as exc:  # it ended another way meanwhile
            log.info("ivr: contact %s not ended: %s", call.contact_id, exc)

    # --- from the bus --------------------------------------------------------------------
    async def handle(self, events: list[Event]) -> None:
        for event in events:
            data = event.data
            if self.callbacks is not None and self.callbacks.follows(str(data.get("contact_id"))):
                await self.callbacks.event(event)  # a callback's: no caller on the line
                continue
            if event.name == names.CONTACT_ARRIVED:
                if self.callbacks is not None and data.get("direction") == "outbound":
                    await self.callbacks.outbound(data)  # a callback the centre makes
                    continue
                if data.get("source") == SOURCE:  # the id before arrive() returns
                    call = self._by_external_id(str(data.get("external_id")))
                    if call is not None and call.phase == "queued":
                        call.contact_id = str(data["contact_id"])
                        self.by_contact[call.contact_id] = call
                continue
            if event.name not in (
                names.CONTACT_ASSIGNED,
                names.CONTACT_TIMED_OUT,
                names.CONTACT_ENDED,
            ):
                continue
            if event.name == names.CONTACT_ASSIGNED and isinstance(data.get("waited"), int | float):
                self._learn_wait(str(data.get("contact_id")), float(data["waited"]))
            call = self.by_contact.get(str(data.get("contact_id")))
            if call is None or call.phase != "queued":
                continue
            if event.name == names.CONTACT_ASSIGNED:
                await self._assigned(call, int(data["agent_id"]))
            elif event.name == names.CONTACT_TIMED_OUT:
                self._timed_out(call)
            else:
                self.by_contact.pop(str(data["contact_id"]), None)
                self._hang_up(call, (Prompt(call.language, "goodbye"),))

    def _learn_wait(self, contact_id: str, waited: float) -> None:
        call = self.by_contact.get(contact_id)
        queue = call.outcome.queue if call and call.outcome else None
        if queue is None:
            return  # only this number's own queues are announced
        before = self.usual_wait.get(queue)
        self.usual_wait[queue] = waited if before is None else 0.8 * before + 0.2 * waited

    def _by_external_id(self, key: str) -> IvrCall | None:
        if not key.startswith("sha256:"):
            return self.calls.get(key)
        return next((c for c in self.calls.values() if external_id(c.call_id) == key), None)

    async def _assigned(self, call: IvrCall, agent_id: int) -> None:
        async with self.uow() as uow:
            agent = await StaffRepository(uow.session).get_agent(agent_id)
        uri = agent.sip_uri if agent is not None else None
        if call.phase != "queued":
            return  # hung up while the agent was looked up: the BYE ended the contact
        if not uri:
            log.warning("ivr: agent %d has no SIP URI; call %s not connected", agent_id,
                        call.contact_id)  # fmt: skip
            self._transfer_failed(call, "agent has no SIP URI")
            return
        self._refer(call, uri)

    def _timed_out(self, call: IvrCall) -> None:
        if call.number.fallback_uri:
            self._refer(call, call.number.fallback_uri)
        else:
            self._hang_up(call, (Prompt(call.language, "transfer_failed"),))

    # --- transfer ------------------------------------------------------------------------
    def _refer(self, call: IvrCall, uri: str) -> None:
        """REFER the caller to ``uri`` (RFC 3515); the answer and NOTIFYs tell the rest."""
        assert call.dialog is not None and self.layer is not None
        call.phase = "transferring"
        self._quiet(call)
        local = parse_name_addr(call.dialog.local).uri
        request = call.dialog.request(
            "REFER",
            [
                ("Refer-To", f"<{uri}>"),
                ("Referred-By", f"<{local}>"),
                ("Contact", f"<sip:{call.number.name}@{self.address}:{self.sip_port}>"),
            ],
        )
        call.notes["transfer_to"] = uri
        self.layer.request(request, call.dialog.peer, lambda r: self._refer_answer(call, r))

    def _refer_answer(self, call: IvrCall, response: Response | None) -> None:
        if call.phase != "transferring" or (response is not None and response.status < 200):
            return
        if response is None:
            self._transfer_failed(call, "REFER not answered")
        elif response.status >= 300:
            self._transfer_failed(call, f"REFER refused ({response.status})")
        else:
            # Accepted: the NOTIFYs say how it goes; a caller that sends none is left to it.
            loop = asyncio.get_running_loop()
            call.refer_timer = loop.call_later(NOTIFY_WAIT, self._notify_late, call)

    def _notify_late(self, call: IvrCall) -> None:
        if call.phase == "transferring":
            call.notes["transfer"] = "unconfirmed"
            self._spawn(self._note(call))
            self._hang_up(call, ())

    def _transfer_failed(self, call: IvrCall, why: str) -> None:
        """The fallback: the caller will be called back; the interaction says so."""
        log.info("ivr: call %s: %s; callback fallback", call.call_id[:16], why)
        call.phase = "transferring"  # no second attempt; what follows is the farewell
        call.notes.update({"transfer": "refused", "transfer_error": why, "fallback": "callback"})
        self._spawn(self._note(call))
        self._hang_up(call, (Prompt(call.language, "transfer_failed"),))

    async def _note(self, call: IvrCall) -> None:
        """What became of the transfer, on the interaction's attributes."""
        if call.contact_id is None or not call.contact_id.isdigit():
            return
        await self.service.caught_up()
        async with self.uow() as uow:
            repo = InteractionRepository(uow.session)
            found = await repo.get(int(call.contact_id))
            if found is not None:
                await repo.set_attributes(found.id, {**found.attributes, **call.notes})

    # --- the survey ----------------------------------------------------------------------
    async def _rate(self, call: IvrCall, rating: int) -> None:
        """The score on the caller's most recent answered interaction (of the last day)."""
        phone = try_normalise_phone(call.caller, self.service.region) if call.caller else None
        if phone is None:
            log.info("ivr: a rating from an unknown number was not recorded")
            return
        since = datetime.now(UTC) - RATING_WINDOW
        async with self.uow() as uow:
            row = await IntakeRepository(uow.session).caller_by_identity("phone", phone)
            if row is None:
                return
            recent, _ = await InteractionRepository(uow.session).for_customer(row.id, limit=10)
            target = next(
                (
                    i
                    for i in recent
                    if i.answered_at is not None
                    and i.answered_at.replace(tzinfo=i.answered_at.tzinfo or UTC) >= since
                ),
                None,
            )
            if target is None:
                log.info("ivr: a rating for customer %s has no recent call to land on", row.id)
                return
            target.rating = rating
            target.attributes = {**target.attributes, "rated_by": "ivr"}
            uow.emit(
                names.CONTACT_RATED,
                {
                    "contact_id": str(target.id),
                    "agent_id": str(target.agent_id) if target.agent_id else None,
                    "customer_id": target.customer_id,
                    "queue": target.queue,
                    "rating": rating,
                    "by": "ivr",
                },
            )
        log.info("ivr: interaction %s rated %d", target.id, rating)

    # --- ending --------------------------------------------------------------------------
    def _quiet(self, call: IvrCall) -> None:
        if call.timer is not None:
            call.timer.cancel()
            call.timer = None
        call.after_play = None
        if call.stream is not None:
            call.stream.stop()

    def _hang_up(self, call: IvrCall, farewell: tuple[Prompt, ...]) -> None:
        """Play ``farewell``, then BYE; the call is over for Hotline."""
        if call.phase in ("done", "closing"):
            return
        self._quiet(call)
        call.phase = "closing"

        def bye() -> None:
            if call.dialog is not None and self.layer is not None:
                request = call.dialog.request("BYE")
                self.layer.request(request, call.dialog.peer, lambda r: None)
            self._close(call)

        if farewell:
            self._play(call, farewell, then=bye)
        else:
            bye()

    def _close(self, call: IvrCall) -> None:
        """Free what the call holds (sockets, stream, timers, maps)."""
        if call.phase == "done":
            return
        call.phase = "done"
        self._quiet(call)
        if call.refer_timer is not None:
            call.refer_timer.cancel()
        self.pacer.remove(call.call_id)
        if call.rtp is not None:
            call.rtp.close()
        if self.calls.get(call.call_id) is call:
            del self.calls[call.call_id]
        if call.contact_id is not None:
            self.by_contact.pop(call.contact_id, None)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settled(self) -> None:
        """Wait until the work started for calls so far is done."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.callbacks is not None:
            await self.callbacks.settled()

    async def stop(self) -> None:
        """Every call ends (BYE); queued contacts end (system, interrupted)."""
        for call in list(self.calls.values()):
            if call.contact_id is not None and call.phase == "queued":
                await self._end(call, "system", "interrupted")
            self._hang_up(call, ())
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.callbacks is not None:
            await self.callbacks.stop()


def digits(language: str, number: int) -> list[Prompt]:
    return [Prompt(language, f"digit_{d}") for d in str(number)]
