"""Reports as CSV: a header row, then one line per row; empty cells for missing figures."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

# A cell a spreadsheet would run as a formula (CSV injection): written with a leading quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """``rows`` as CSV text with ``columns`` as the header (RFC 4180: CRLF line ends)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def wants_csv(accept: str | None) -> bool:
    """True when the client's Accept prefers text/csv over JSON (the first listed of the two
    wins; a type with q=0 is refused)."""
    for part in (accept or "").split(","):
        kind, *params = (p.strip().lower() for p in part.split(";"))
        if any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params):
            continue
        if kind == "text/csv":
            return True
        if kind in ("application/json", "application/*"):
            return False
    return False


def complaint_rows(report: Mapping[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """The complaints report as a table: one line per category, then the total (scope
    ``total``, no category)."""
    figures = list(report["totals"])
    columns = ["scope", "category", *figures]
    rows = [{"scope": "category", **c} for c in report["categories"]]
    rows.append({"scope": "total", "category": None, **report["totals"]})
    return columns, rows


def satisfaction_rows(report: Mapping[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """The satisfaction report as a table: one line per agent, queue and grade, then the
    overall line; a column per score seen (``score_1`` …)."""
    lines: list[dict[str, Any]] = []
    for dimension, key in (("agent", "agent_id"), ("queue", "queue"), ("grade", "grade")):
        for item in report[f"by_{dimension}"]:
            lines.append(
                {"dimension": dimension, "key": item[key], "name": item.get("agent_name"), **item}
            )
    lines.append({"dimension": "overall", "key": None, "name": None, **report["overall"]})
    scores = sorted({int(s) for line in lines for s in line["scores"]})
    for line in lines:
        line.update({f"score_{s}": line["scores"].get(str(s), 0) for s in scores})
    columns = ["dimension", "key", "name", "ratings", "average", *(f"score_{s}" for s in scores)]
    return columns, lines
