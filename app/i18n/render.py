"""Messages (codes and facts) -> words in the reader's language. Used only at the edge.

* :func:`render_message` — one message (``{"code", "facts"}``) as text;
* :func:`render_explanation` — a routing explanation or routing-log entry, as stored, with
  its text fields filled in (``reason``, ``step_label``, candidates' ``note`` and ``why_not``)
  and the messages kept beside them (``reason_message``, ...);
* :func:`render_value_reasons` — a customer's grade, RFM, CLV, lifecycle and churn reasons.

Templates are ``str.format`` strings from :mod:`app.i18n.catalogs`, with one addition: a
format spec ``|one|other`` picks a word by number (``{n:|purchase|purchases}``). A code a
language lacks falls back to English; an unknown code shows as itself. Never raises on
stored data: a message that cannot be filled shows its code.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from string import Formatter
from typing import Any

from app.i18n.catalogs import CATALOGS, FALLBACK
from app.i18n.names import Names, current_names

log = logging.getLogger(__name__)

MESSAGE_FIELDS = ("reason", "step_label")
"""Fields of an explanation / routing-log entry that hold a message."""
CANDIDATE_FIELDS = ("note", "why_not")
VALUE_REASONS = ("grade", "rfm", "clv", "lifecycle", "churn")
"""The customer-value figures that carry a reason (stored as ``<figure>_reason``)."""


class _Formatter(Formatter):
    def format_field(self, value: Any, format_spec: str) -> Any:
        if format_spec.startswith("|"):
            one, _, other = format_spec[1:].partition("|")
            return one if value == 1 else (other or one)
        return super().format_field(value, format_spec)


_FORMAT = _Formatter()


def _template(code: str, language: str) -> str | None:
    catalog = CATALOGS.get(language)
    if catalog is not None and code in catalog:
        return catalog[code]
    return CATALOGS[FALLBACK].get(code)


def render_message(message: Any, language: str = FALLBACK, names: Names | None = None) -> str:
    """``message`` in words. Strings and numbers show as themselves, a list of messages
    as phrases in a row, ``None`` and :data:`routing.messages.EMPTY` as ""."""
    return str(_render(message, language, names or current_names()))


def _render(value: Any, language: str, names: Names) -> Any:
    if isinstance(value, Mapping):
        code = value.get("code")
        if not isinstance(code, str):
            return ""
        facts = value.get("facts") or {}
        if code == "join":
            sep = _template(f"sep.{facts.get('sep', 'phrases')}", language) or "; "
            return sep.join(str(_render(item, language, names)) for item in facts.get("items", ()))
        if code == "name":
            return names.display(
                str(facts.get("kind", "")), str(facts.get("id", "")), language, facts.get("default")
            )
        if code == "legacy":  # stored text from before reason codes (migration 0005)
            return facts.get(language) or facts.get("en") or ""
        template = _template(code, language)
        if template is None:
            return code
        args = {key: _fact(fact, language, names) for key, fact in facts.items()}
        try:
            if ":|" not in template:
                # str.format_map is C; the Formatter subclass (pure Python) is needed only
                # for the plural spec, and made rendering screen pops ~4 % of the server's
                # CPU under load.
                return template.format_map(args)
            return _FORMAT.vformat(template, (), args)
        except (KeyError, IndexError, ValueError, TypeError):
            log.warning("cannot render message %r in %s", code, language)
            return code
    if isinstance(value, list):
        sep = _template("sep.phrases", language) or "; "
        return sep.join(str(_render(item, language, names)) for item in value)
    if value is None:
        return ""
    return value


def _fact(value: Any, language: str, names: Names) -> Any:
    # Numbers keep their type so the template's format spec applies to them.
    if isinstance(value, Mapping | list):
        return _render(value, language, names)
    return value


def render_explanation(
    entry: Mapping[str, Any], language: str = FALLBACK, names: Names | None = None
) -> dict[str, Any]:
    """A copy of a routing explanation (``Explanation.as_dict()``), a routing-log entry or
    an ``offer.cancelled`` message, with words in ``language``: each message field
    (``reason``, ``step_label``; in candidates ``note`` and ``why_not``) becomes its text and
    the message is kept as ``<field>_message``. Fields that are already text are left as
    they are, so rendering twice does no harm."""
    names = names or current_names()
    out = dict(entry)
    for key in MESSAGE_FIELDS:
        _render_field(out, key, language, names)
    candidates = out.get("candidates")
    if isinstance(candidates, list):
        rendered = []
        for candidate in candidates:
            if isinstance(candidate, Mapping):
                candidate = dict(candidate)
                for key in CANDIDATE_FIELDS:
                    _render_field(candidate, key, language, names)
            rendered.append(candidate)
        out["candidates"] = rendered
    return out


def _render_field(data: dict[str, Any], key: str, language: str, names: Names) -> None:
    value = data.get(key)
    if isinstance(value, Mapping):
        data[f"{key}_message"] = value
        data[key] = render_message(value, language, names)


def render_log(entries: Any, language: str = FALLBACK, names: Names | None = None) -> list[Any]:
    """Every entry of an interaction's ``routing_explanation`` rendered."""
    if not isinstance(entries, list):
        return []
    names = names or current_names()
    return [
        render_explanation(e, language, names) if isinstance(e, Mapping) else e for e in entries
    ]


def render_value_reasons(
    reasons: Mapping[str, Any], language: str = FALLBACK, names: Names | None = None
) -> dict[str, str]:
    """``{"grade_reason": message, ...}`` (a stored customer value, or any mapping holding
    ``<figure>_reason`` messages) -> ``{"grade_reason": text, ...}``."""
    names = names or current_names()
    return {
        f"{figure}_reason": render_message(reasons.get(f"{figure}_reason"), language, names)
        for figure in VALUE_REASONS
    }


def display_name(kind: str, code: str | None, language: str = FALLBACK) -> str | None:
    """A free code's display name (``display_name("break_reason", "lunch", "zh")`` -> 午餐)."""
    if code is None:
        return None
    return current_names().display(kind, code, language)
