"""Bilingual message catalogs: sentence templates per language, rendered from the same facts.

Pure (no I/O). Used by the routing explanations (:mod:`routing.wording`) and the customer-value
reasons (:mod:`app.grading.text`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from string import Formatter
from typing import Any, NamedTuple


class Text(NamedTuple):
    """A sentence or phrase in English and in Chinese."""

    en: str
    zh: str


EMPTY = Text("", "")


class Catalog:
    """Sentence templates per language (``str.format`` syntax), rendered in both at a time.

    ``say(key, **facts)`` fills the English and the Chinese template of ``key`` from the same
    facts; a :class:`Text` fact gives each language its own words, any other value (a number,
    a name) goes into both with the same format spec. Unknown or missing facts raise TypeError.
    """

    def __init__(self, en: Mapping[str, str], zh: Mapping[str, str]) -> None:
        if en.keys() != zh.keys():
            raise ValueError(f"catalog keys differ: {sorted(en.keys() ^ zh.keys())}")
        self.en, self.zh = dict(en), dict(zh)
        self._render = {key: _compile(en[key], zh[key]) for key in en}

    def say(self, key: str, /, **facts: Any) -> Text:
        """Template ``key`` in both languages, filled from ``facts``."""
        return self._render[key](**facts)


def _fields(template: str) -> list[tuple[str, str | None, str | None, str | None]]:
    return list(Formatter().parse(template))


def _compile(en: str, zh: str) -> Callable[..., Text]:
    names = frozenset(f[1] for t in (en, zh) for f in _fields(t) if f[1] is not None)
    for name in names:
        if not name.isidentifier():
            raise ValueError(f"template {en!r}: field {name!r} is not a plain name")
    en_format, zh_format = en.format, zh.format

    def render(**facts: Any) -> Text:
        if facts.keys() != names:
            raise TypeError(f"facts {sorted(facts)} do not match the template's {sorted(names)}")
        return Text(
            en_format(**{k: v.en if type(v) is Text else v for k, v in facts.items()}),
            zh_format(**{k: v.zh if type(v) is Text else v for k, v in facts.items()}),
        )

    return render


def join(parts: list[Text]) -> Text:
    """Phrases in a row: ``a; b`` / ``a；b``."""
    return Text("; ".join(p.en for p in parts), "；".join(p.zh for p in parts))
