"""The JSON shapes pushed to agents (docs/websocket.md); built from records, never from input."""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from app.db.models import Interaction
from app.i18n.render import render_explanation, render_value_reasons


def iso(moment: datetime | float | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, int | float):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.isoformat().replace("+00:00", "Z")


def contact_payload(i: Interaction | Any, now: float) -> dict[str, Any]:
    """``i``: an Interaction, or a row with the same fields (``InteractionRepository.cards``)."""
    return {
        "id": str(i.id),
        "interaction_id": i.id,
        "customer_id": i.customer_id,
        "channel": i.channel,
        "direction": i.direction,
        "queue": i.queue,
        "intent": i.intent,
        "from": i.from_address,
        "attributes": {k: v for k, v in i.attributes.items() if not k.startswith("_")},
        "ivr_path": i.ivr_path,
        "created_at": iso(i.created_at),
        "answered_at": iso(i.answered_at),
        "waited": round(now - i.created_at.timestamp(), 1),
        "status": i.status,
        "notes": i.notes,
    }


def screen_pop_profile(profile: dict[str, Any]) -> dict[str, Any]:
    """The profile as the offer card shows it: recent contacts without their routing logs and
    transcripts (the record has them), so a loyal customer's pop stays small."""
    recent = [
        {k: v for k, v in i.items() if k not in ("routing_explanation", "transcript")}
        for i in profile.get("last_interactions", [])
    ]
    return profile | {"last_interactions": recent}


def state_message(state: dict[str, Any]) -> dict[str, Any]:
    """The console's ``state`` message from an agent's presence (``agent.state_changed``)."""
    return {
        "type": "state",
        "state": state["state"],
        "reason": state["reason"],
        "pending_break": state["pending_break"],
        "active_contacts": state["active_contacts"],
        "wrapup_until": iso(state["wrapup_until"]),
        "missed_in_row": state["missed_in_row"],
        "contacts_today": state["contacts_today"],
    }


def explanation_entry(kind: str, now: float, **fields: Any) -> dict[str, Any]:
    """One line of the interaction's routing log."""
    return {"at": iso(now), "event": kind, **fields}


def offer_message(
    i: Interaction | Any,
    profile: dict[str, Any],
    explanation: dict[str, Any],
    expires_at: float,
    now: float,
) -> dict[str, Any]:
    """The screen pop: sent when the offer is made, and again to a console that reconnects."""
    return {
        "type": "offer",
        # The record may not show the offer yet (it is written behind routing): say it here.
        "contact": contact_payload(i, now) | {"status": "offered"},
        "customer": profile,
        "explanation": explanation,
        "expires_in": round(expires_at - now, 1),
        "expires_at": iso(expires_at),
        "waited": round(now - i.created_at.timestamp(), 1),
    }


def assigned_message(i: Interaction | Any, profile: dict[str, Any], now: float) -> dict[str, Any]:
    """The accepted contact, on accepting and again to a console that reconnects."""
    contact = contact_payload(i, now) | {"status": "active"}
    return {"type": "contact.assigned", "contact": contact, "customer": profile}


def localize(message: dict[str, Any], lang: str) -> dict[str, Any]:
    """A pushed message in the reader's language: the words are made here, at the edge,
    from the codes and facts the events carry (one event, each socket in its language)."""
    kind = message.get("type")
    if kind == "offer.cancelled":
        return render_explanation(message, lang)
    if kind not in ("offer", "contact.assigned"):
        return message
    out = dict(message)
    if isinstance(out.get("explanation"), dict):
        out["explanation"] = render_explanation(out["explanation"], lang)
    customer = out.get("customer")
    value = customer.get("value") if isinstance(customer, dict) else None
    if isinstance(value, dict) and isinstance(value.get("reasons"), dict):
        out["customer"] = customer | {"value": _value_in_words(value, lang)}
    return out


_WORDED: OrderedDict[tuple[int, str], tuple[dict[str, Any], dict[str, Any]]] = OrderedDict()
_WORDED_KEEP = 512


def _value_in_words(value: dict[str, Any], lang: str) -> dict[str, Any]:
    """A card's customer value with its reasons in ``lang``. The offer and then the accepted
    contact carry the same card (the notifier keeps it): its words are made once."""
    key = (id(value), lang)
    found = _WORDED.get(key)
    if found is not None and found[0] is value:  # held here, so its id is not reused
        return found[1]
    stored = {f"{k}_reason": v for k, v in value["reasons"].items()}
    worded = value | render_value_reasons(stored, lang)
    _WORDED[key] = (value, worded)
    while len(_WORDED) > _WORDED_KEEP:
        _WORDED.popitem(last=False)
    return worded
