"""One catalog per language: message code -> ``str.format`` template.

English and Chinese are built in and have every code. A further language is one more dict
given to :func:`add_catalog` (codes it lacks fall back to English); nothing stored changes.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.i18n.catalogs.en import EN
from app.i18n.catalogs.zh import ZH

FALLBACK = "en"

CATALOGS: dict[str, dict[str, str]] = {"en": EN, "zh": ZH}
"""The catalogs by language code (lower case, the primary subtag: ``en``, ``zh``)."""


def add_catalog(language: str, templates: Mapping[str, str]) -> None:
    """Make ``language`` available (e.g. ``add_catalog("fr", {...})``)."""
    CATALOGS[language.lower()] = dict(templates)


def languages() -> tuple[str, ...]:
    """The languages that can be rendered."""
    return tuple(CATALOGS)
