"""The messages of routing explanations: codes and facts, no words.

Explanations, step labels, candidate notes and cancelled offers are built from the codes
below with :func:`say` (see :mod:`routing.messages`); their English and Chinese templates are
in ``app/i18n/catalogs`` and are chosen where the message leaves the server. Codes used here:

* explanations ``queued``, ``escalated``, ``overflowed``, ``offered``; ``where``,
  ``where_noted``, ``skipped``, ``skip.*``; causes ``cause.*``; who got the offer ``who.*``
* step labels ``label.*``; preferred roles ``role.*``; candidate notes ``note.*``; why a
  preferred agent could not take the contact ``why.*``; channels ``channel.*``
* cancelled offers ``cancel.*``; end reasons ``end.*``; the built-in rule ``rule.fallback``

Free codes (queues, rules, skills, break reasons, reject reasons) go in as :func:`name`.
"""

from __future__ import annotations

from routing.messages import EMPTY, Message, join, name, say

__all__ = ["EMPTY", "Message", "Text", "end_reason", "join", "name", "role", "say"]

Text = Message
"""The old name of :data:`Message` (words were once built here in two languages)."""

END_REASONS = frozenset({"abandoned", "hangup", "ended"})
"""End reason codes with words in the catalogs (``end.<code>``); others are shown as given."""

_ROLE_CODES = {
    "account manager": "role.account_manager",
    "last agent": "role.last_agent",
    "complaint owner": "role.complaint_owner",
    "team": "role.preferred_team",
}


def end_reason(code: str) -> Message | str:
    """A contact's end reason code ("hangup") as a message (an unknown code stays as given)."""
    return say(f"end.{code}") if code in END_REASONS else code


def role(label: str) -> Message:
    """A preferred-agent role as :attr:`routing.policy.Preferred.label` writes it
    ("account manager", "agent a7", "team north") or ``"team"`` (member of a preferred team).
    """
    code = _ROLE_CODES.get(label)
    if code is not None:
        return say(code)
    kind, _, value = label.partition(" ")
    if kind == "agent" and value:
        return say("role.agent", value=value)
    if kind == "team" and value:
        return say("role.team", value=name("team", value))
    return name("role", label)
