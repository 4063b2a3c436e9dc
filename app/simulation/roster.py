"""A roster file: who works when (CSV text in, shifts out; the caller reads the file).

Columns (a header line first; ``agent``, ``start`` and ``end`` are required)::

    agent,start,end,breaks,skills,senior,team,languages,channels,chat_capacity
    alice,08:00,16:30,12:00-12:30 lunch; 15:00-15:10
    7,2026-11-30T09:00:00+00:00,2026-11-30T17:00:00+00:00
    temp1,08:00,12:00,,general:3 billing:2,yes,team-a,en de,voice

``agent`` is an agent id or username from the database; an agent not there is made up
from the profile columns (``skills`` as ``name:level`` pairs). Times are ``HH:MM`` — on
every day simulated — or ISO date-times (one shift). ``breaks``: ``HH:MM-HH:MM reason``
separated by ``;`` (the reason defaults to ``break``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time, timedelta, tzinfo

from agents.profile import Agent, InvalidAgent
from app.simulation.model import BreakSpan, Shift

REQUIRED = ("agent", "start", "end")
KNOWN = (*REQUIRED, "breaks", "skills", "senior", "team", "languages", "channels", "chat_capacity")
TRUE = frozenset({"1", "true", "yes", "y"})


class RosterError(ValueError):
    """A roster that cannot be used; the message names the line and column."""


def parse_roster(text: str, known: Mapping[str, Agent], days: Sequence[datetime]) -> list[Shift]:
    """Shifts of the roster ``text``. ``known``: agents by id and by username; ``days``:
    the midnights (timezone-aware) of the days simulated, where ``HH:MM`` times fall."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise RosterError(f"roster line 1: missing column(s) {', '.join(missing)}")
    unknown = [c for c in header if c not in KNOWN]
    if unknown:
        raise RosterError(
            f"roster line 1: unknown column(s) {', '.join(unknown)} (expected: {', '.join(KNOWN)})"
        )
    shifts: list[Shift] = []
    for row in reader:
        line = reader.line_num
        cells = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        if not any(cells.values()):
            continue
        try:
            agent = _agent(cells, known)
            for start, end, tz in _spans(cells["start"], cells["end"], days):
                breaks = tuple(
                    b
                    for b in _breaks(cells.get("breaks", ""), start, tz)
                    if start <= b.start < b.end <= end
                )
                shifts.append(Shift(agent, start, end, breaks))
        except (ValueError, InvalidAgent) as exc:
            raise RosterError(f"roster line {line}: {exc}") from None
    if not shifts:
        raise RosterError("roster: no shifts")
    return shifts


def _agent(cells: Mapping[str, str], known: Mapping[str, Agent]) -> Agent:
    key = cells["agent"]
    if not key:
        raise ValueError("agent: empty")
    if key in known:
        return known[key]
    if not cells.get("skills"):
        raise ValueError(f"agent {key!r}: not in the database, and no skills column to make one")
    skills = {}
    for pair in cells["skills"].replace(",", " ").split():
        name, _, level = pair.partition(":")
        if not name or not level.isdigit():
            raise ValueError(f"skills: expected name:level pairs, got {pair!r}")
        skills[name] = int(level)
    capacity = cells.get("chat_capacity") or "2"
    if not capacity.isdigit():
        raise ValueError(f"chat_capacity: expected a whole number, got {capacity!r}")
    return Agent(
        id=key,
        name=key,
        skills=skills,
        senior=cells.get("senior", "").lower() in TRUE,
        team=cells.get("team") or None,
        languages=frozenset(cells.get("languages", "").split()),
        channels=frozenset(cells.get("channels", "").split() or ("voice",)),
        chat_capacity=int(capacity),
    )


def _clock(text: str, column: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{column}: expected HH:MM or an ISO date-time, got {text!r}") from None


def _spans(
    start: str, end: str, days: Sequence[datetime]
) -> list[tuple[float, float, tzinfo | None]]:
    spans: list[tuple[float, float, tzinfo | None]] = []
    if "T" in start or "T" in end:
        try:
            s, e = datetime.fromisoformat(start), datetime.fromisoformat(end)
        except ValueError:
            raise ValueError(f"start/end: not ISO date-times: {start!r}, {end!r}") from None
        if s.tzinfo is None or e.tzinfo is None:
            raise ValueError("start/end: ISO date-times need an offset (+00:00)")
        spans.append((s.timestamp(), e.timestamp(), s.tzinfo))
    else:
        a, b = _clock(start, "start"), _clock(end, "end")
        for day in days:
            s = datetime.combine(day.date(), a, day.tzinfo)
            e = datetime.combine(day.date(), b, day.tzinfo)
            if e <= s:  # a night shift ends the next day
                e += timedelta(days=1)
            spans.append((s.timestamp(), e.timestamp(), day.tzinfo))
    for s_, e_, _ in spans:
        if e_ <= s_:
            raise ValueError("end: must be after start")
    return spans


def _breaks(text: str, shift_start: float, tz: tzinfo | None) -> list[BreakSpan]:
    """Breaks at the first such clock time on or after the shift's start."""
    out = []
    day = datetime.fromtimestamp(shift_start, tz or UTC)
    for part in filter(None, (p.strip() for p in text.split(";"))):
        span, _, reason = part.partition(" ")
        a, sep, b = span.partition("-")
        if not sep:
            raise ValueError(f"breaks: expected HH:MM-HH:MM [reason], got {part!r}")
        s = _on_or_after(day, _clock(a, "breaks"))
        e = _on_or_after(day, _clock(b, "breaks"))
        if e <= s:
            e += 86_400.0
        out.append(BreakSpan(s, e, reason.strip() or "break"))
    return out


def _on_or_after(moment: datetime, at: time) -> float:
    candidate = datetime.combine(moment.date(), at, moment.tzinfo).timestamp()
    return candidate if candidate >= moment.timestamp() else candidate + 86_400.0
