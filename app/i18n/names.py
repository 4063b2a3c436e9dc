"""Display names of free codes: queues, rules, skills, break reasons, dispositions, ...

Free codes are names an administrator chooses (a queue ``billing``, a rule ``vip``, a break
reason ``lunch``, a caller's intent ``billing``); messages carry them as ``name`` facts (:func:`routing.messages.name`) and
they are shown by their display name in the reader's language, from ``config/names.yaml``::

    queues:
      billing: {en: Billing, zh: 账务}

Lookup order for a code of a kind: the reader's language, then the fallback display names
given for the kind (a queue's ``display_name`` in the database, see :func:`set_defaults`),
then English, then the message's own ``default`` (a rule's ``description`` in routing.yaml),
then the code itself. The console's labels in ``config/console.yaml`` (dispositions, break
reasons, complaint categories) are read as well; names.yaml wins over them.

Loaded once at start-up (:func:`install_names`), or on first use from the default files.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

KINDS: dict[str, str] = {
    "queues": "queue",
    "rules": "rule",
    "skills": "skill",
    "break_reasons": "break_reason",
    "reject_reasons": "reject_reason",
    "dispositions": "disposition",
    "complaint_categories": "complaint_category",
    "grades": "grade",
    "teams": "team",
    "labels": "label",
    "roles": "role",
    "states": "state",
    "intents": "intent",
}
"""Sections of names.yaml -> the kind of free code they name."""

CONSOLE_LISTS = {
    "dispositions": "disposition",
    "break_reasons": "break_reason",
    "complaint_categories": "complaint_category",
}


class NamesError(ValueError):
    """names.yaml is malformed (the message names the section and code)."""


class Names:
    """A pure lookup: (kind, code, language) -> display name."""

    def __init__(self, entries: Mapping[str, Mapping[str, Mapping[str, str]]] | None = None):
        self._entries: dict[str, dict[str, dict[str, str]]] = {
            kind: {code: dict(words) for code, words in codes.items()}
            for kind, codes in (entries or {}).items()
        }
        self._defaults: dict[str, dict[str, str]] = {}

    def display(self, kind: str, code: str, language: str, default: str | None = None) -> str:
        """The display name of ``code`` (a free code of ``kind``) in ``language``."""
        words = self._entries.get(kind, {}).get(code)
        if words and words.get(language):
            return words[language]
        fallback = self._defaults.get(kind, {}).get(code)
        if fallback:
            return fallback
        if words and words.get("en"):
            return words["en"]
        return default or code

    def set_defaults(self, kind: str, names: Mapping[str, str]) -> None:
        """Display names of ``kind`` for languages names.yaml does not cover (e.g. the
        queues' ``display_name`` from the database). Replaces the previous ones."""
        self._defaults[kind] = {k: v for k, v in names.items() if v}

    def entries(self, kind: str) -> dict[str, dict[str, str]]:
        """The configured names of ``kind`` (code -> language -> words)."""
        return {code: dict(words) for code, words in self._entries.get(kind, {}).items()}

    def table(self) -> dict[str, dict[str, dict[str, str]]]:
        """Every configured name, ``{kind: {code: {language: words}}}`` (e.g. ``queue`` ->
        ``billing`` -> ``{"en": "Billing", "zh": "账务"}``): what a page needs to show free
        codes in any of its languages without asking again after a language switch."""
        return {kind: self.entries(kind) for kind in self._entries}


def parse_names(data: Any, where: str = "names.yaml") -> dict[str, dict[str, dict[str, str]]]:
    """Validate a loaded names.yaml: ``{section: {code: {language: words}}}``."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise NamesError(f"{where}: expected a mapping of sections ({', '.join(KINDS)})")
    out: dict[str, dict[str, dict[str, str]]] = {}
    for section, codes in data.items():
        if section not in KINDS:
            raise NamesError(
                f"{where}: unknown section {section!r} (expected one of: {', '.join(KINDS)})"
            )
        if codes is None:
            continue
        if not isinstance(codes, Mapping):
            raise NamesError(f"{where} {section}: expected a mapping of code -> {{en, zh}}")
        kind = KINDS[section]
        for code, words in codes.items():
            at = f"{where} {section}.{code}"
            if not isinstance(words, Mapping) or not words:
                raise NamesError(f"{at}: expected words per language, e.g. {{en: ..., zh: ...}}")
            for lang, text in words.items():
                if not isinstance(lang, str) or not isinstance(text, str) or not text:
                    raise NamesError(f"{at} {lang}: expected a non-empty string")
            out.setdefault(kind, {})[str(code)] = {k.lower(): v for k, v in words.items()}
    return out


def _console_names(data: Any) -> dict[str, dict[str, dict[str, str]]]:
    out: dict[str, dict[str, dict[str, str]]] = {}
    if not isinstance(data, Mapping):
        return out
    for section, kind in CONSOLE_LISTS.items():
        for item in data.get(section) or ():
            if isinstance(item, Mapping) and isinstance(item.get("code"), str):
                words = {
                    lang: item[f"label_{lang}"]
                    for lang in ("en", "zh")
                    if isinstance(item.get(f"label_{lang}"), str) and item[f"label_{lang}"]
                }
                if words:
                    out.setdefault(kind, {})[item["code"]] = words
    return out


def load_names(path: Path | None, console_path: Path | None = None) -> Names:
    """Read names.yaml (and the console's labels); a missing file gives no names."""
    merged: dict[str, dict[str, dict[str, str]]] = {}
    if console_path is not None and console_path.exists():
        merged = _console_names(yaml.safe_load(console_path.read_text(encoding="utf-8")))
    if path is not None and path.exists():
        parsed = parse_names(yaml.safe_load(path.read_text(encoding="utf-8")), str(path.name))
        for kind, codes in parsed.items():
            for code, words in codes.items():
                merged.setdefault(kind, {})[code] = {**merged.get(kind, {}).get(code, {}), **words}
    return Names(merged)


_installed: Names | None = None


def install_names(names: Names) -> None:
    """Use ``names`` from now on (call once at start-up)."""
    global _installed
    _installed = names


def current_names() -> Names:
    """The installed names; on first use without :func:`install_names`, the default files."""
    global _installed
    if _installed is None:
        from config.settings import CONFIG_DIR

        _installed = load_names(CONFIG_DIR / "names.yaml", CONFIG_DIR / "console.yaml")
    return _installed
