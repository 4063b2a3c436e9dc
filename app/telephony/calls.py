"""The endpoint's one call handler: INVITEs to ``ivr`` and ``survey`` numbers go to IVR
mode (:class:`app.telephony.ivr_calls.IvrCalls`), the rest to redirect mode
(:class:`app.telephony.redirect.RedirectCalls`); in-dialog requests (BYE, NOTIFY, ACK)
exist only in IVR mode, which keeps dialogs — its callers' and its callbacks' legs to the
agents' phones (:mod:`app.telephony.callbacks`)."""

from __future__ import annotations

from app.telephony.config import TelephonyConfig
from app.telephony.ivr_calls import IvrCall, IvrCalls
from app.telephony.redirect import RedirectCalls
from ivr.sip.message import Request, uri_user
from ivr.sip.transactions import Peer, ServerTransaction


class Calls:
    def __init__(self, config: TelephonyConfig, redirect: RedirectCalls, ivr: IvrCalls) -> None:
        self.config = config
        self.redirect = redirect
        self.ivr = ivr

    def invite(self, txn: ServerTransaction) -> None:
        number = self.config.numbers.get(uri_user(txn.request.uri))
        if number is not None and self.ivr.handles(number):
            self.ivr.invite(txn, number)
        else:
            self.redirect.invite(txn)

    def cancelled(self, txn: ServerTransaction) -> None:
        if isinstance(txn.context, IvrCall):
            self.ivr.cancelled(txn)
        else:
            self.redirect.cancelled(txn)

    def terminated(self, txn: ServerTransaction, timed_out: bool) -> None:
        if isinstance(txn.context, IvrCall):
            self.ivr.terminated(txn, timed_out)
        else:
            self.redirect.terminated(txn, timed_out)

    def bye(self, txn: ServerTransaction) -> None:
        self.ivr.bye(txn)  # 481 when it is no IVR dialog (redirect mode keeps none)

    def notify(self, txn: ServerTransaction) -> None:
        self.ivr.notify(txn)

    def ack(self, request: Request, peer: Peer) -> None:
        self.ivr.ack(request, peer)
