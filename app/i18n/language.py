"""Which language to answer in: ``?lang=`` first, then ``Accept-Language``, then a default."""

from __future__ import annotations

from app.i18n.catalogs import CATALOGS, FALLBACK


def normalize(tag: str | None) -> str | None:
    """The catalog language for a language tag (``zh-CN``, ``zh_Hans``, ``EN-us`` -> ``zh``,
    ``zh``, ``en``), or None when no catalog serves it."""
    if not tag:
        return None
    tag = tag.strip().lower().replace("_", "-")
    if tag in CATALOGS:
        return tag
    primary = tag.split("-", 1)[0]
    return primary if primary in CATALOGS else None


def parse_accept_language(header: str) -> list[tuple[str, float]]:
    """``Accept-Language`` as (tag, q) pairs, best first (ties keep the header's order)."""
    ranges: list[tuple[str, float, int]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            ranges.append((tag, q, index))
    ranges.sort(key=lambda r: (-r[1], r[2]))
    return [(tag, q) for tag, q, _ in ranges]


def pick_language(
    accept_language: str | None, query_lang: str | None, default: str = FALLBACK
) -> str:
    """The language to render in: a supported ``query_lang`` wins, then the best supported
    range of ``accept_language`` (``*`` means ``default``), then ``default`` (English when
    the default itself has no catalog)."""
    chosen = normalize(query_lang)
    if chosen:
        return chosen
    fallback = normalize(default) or FALLBACK
    for tag, _ in parse_accept_language(accept_language or ""):
        if tag == "*":
            return fallback
        chosen = normalize(tag)
        if chosen:
            return chosen
    return fallback
