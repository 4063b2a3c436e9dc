"""Messages: what the core says, as a code and facts, never as a sentence.

A message is a JSON-ready dict ``{"code": "offered", "facts": {...}}``; ``facts`` is left out
when there are none. A fact is a number, a string, a nested message (a phrase that is itself
words: a step label, a role, a day count) or a list of messages. The core builds messages; the
words are chosen where they leave the server (:mod:`app.i18n`), in the reader's language, from
one catalog per language keyed by code. Adding a language is adding a catalog; what is stored
(routing explanations, customer-value reasons) does not change.

Two codes are structural and rendered by the edge itself, not from a template:

* ``join`` — ``facts = {"sep": "phrases" | "list" | "or", "items": [messages]}``: the items in a
  row, separated the language's way (``"; "`` / ``"；"``);
* ``name`` — ``facts = {"kind": "queue", "id": "general"}`` (optionally ``"default"``): a free
  code (queue, rule, skill, break reason, grade, ...) shown by its display name from
  ``config/names.yaml``, else ``default``, else the code itself.

Pure: no I/O. Messages are plain dicts so they go to the database and over the wire as is;
never mutate one after building it (:data:`EMPTY` is shared).
"""

from __future__ import annotations

from typing import Any

Message = dict[str, Any]
"""``{"code": str, "facts": {name: number | str | Message | list[Message]}}``."""

EMPTY: Message = {}
"""No words (renders as ""); falsy, so ``if message:`` tells whether there is something."""


def say(code: str, /, **facts: Any) -> Message:
    """The message ``code`` with ``facts`` (JSON-safe values or nested messages)."""
    return {"code": code, "facts": facts} if facts else {"code": code}


def join(parts: list[Message], sep: str = "phrases") -> Message:
    """Phrases in a row (empty ones dropped): ``a; b`` / ``a；b``. ``sep``: ``phrases``,
    ``list`` (``a, b`` / ``a、b``) or ``or`` (``a or b`` / ``a或b``)."""
    items = [p for p in parts if p]
    if not items:
        return EMPTY
    if len(items) == 1:
        return items[0]
    return {"code": "join", "facts": {"sep": sep, "items": items}}


def name(kind: str, code: str, default: str | None = None) -> Message:
    """A free code of ``kind`` (``queue``, ``rule``, ``skill``, ``break_reason``, ...), shown
    by its display name; ``default`` is shown when no display name is configured."""
    facts: dict[str, Any] = {"kind": kind, "id": code}
    if default is not None and default != code:
        facts["default"] = default
    return {"code": "name", "facts": facts}


def is_message(value: Any) -> bool:
    """Whether ``value`` has the shape of a message (a dict with a string ``code``)."""
    return type(value) is dict and type(value.get("code")) is str
