"""The reader's language over HTTP: ``?lang=`` or ``Accept-Language`` (FastAPI dependency)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from app.i18n.catalogs import FALLBACK
from app.i18n.language import pick_language


def _default_language(request: Request) -> str:
    hotline = getattr(request.app.state, "hotline", None)
    settings = getattr(hotline, "settings", None)
    return getattr(settings, "default_language", None) or FALLBACK


async def get_language(
    request: Request,
    lang: Annotated[
        str | None,
        Query(
            max_length=35,
            description="language of the words in the answer (en, zh); "
            "default: the Accept-Language header",
        ),
    ] = None,
) -> str:
    return pick_language(request.headers.get("accept-language"), lang, _default_language(request))


Lang = Annotated[str, Depends(get_language)]
"""The reader's language: ``en``, ``zh`` (or any language with a catalog)."""
