"""The comparison as rows, CSV and a self-contained HTML page with inline SVG charts (no
script, no external file: it opens from disk and under the admin page's CSP)."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from html import escape

from app.simulation.results import Comparison, GroupFigures, Interval, SimulationResult

Row = tuple[str, str, str, float | None, float | None]
"""(section, group, figure, current, candidate)."""

FIGURES: tuple[tuple[str, str, Callable[[GroupFigures], float | None]], ...] = (
    ("contacts", "n", lambda f: float(f.contacts)),
    ("service level", "%", lambda f: f.service_level),
    ("ASA", "s", lambda f: f.asa_seconds),
    ("abandon rate", "%", lambda f: f.abandon_rate),
    ("longest wait", "s", lambda f: f.longest_wait),
    ("offers per contact", "x", lambda f: f.offers_per_contact),
    ("served by preferred agent", "%", lambda f: f.preferred_share),
    ("occupancy", "%", lambda f: f.occupancy),
)
UNITS = {name: unit for name, unit, _ in FIGURES}
UNITS.update({"longest VIP wait": "s"})
GRADE_ORDER = {"vip": 0, "key": 1, "ordinary": 2, "small": 3, "": 9}
CURRENT_COLOUR, CANDIDATE_COLOUR = "#1f6feb", "#d9480f"


def _grade_name(grade: str) -> str:
    return grade or "(no grade)"


def rows(c: Comparison, detail: bool = True) -> list[Row]:
    """Every figure, current beside candidate; ``detail`` adds each grade within each queue."""
    out: list[Row] = []

    def add(section: str, group: str, cur: GroupFigures | None, cand: GroupFigures | None) -> None:
        for name, _, get in FIGURES:
            a = get(cur) if cur is not None else None
            b = get(cand) if cand is not None else None
            if a is None and b is None:
                continue
            out.append((section, group, name, a, b))

    add("overall", "all contacts", c.current.overall, c.candidate.overall)
    out.append(
        ("overall", "all contacts", "longest VIP wait",
         c.current.longest_vip_wait, c.candidate.longest_vip_wait)
    )  # fmt: skip
    kinds = sorted(set(c.current.preferred_by_kind) | set(c.candidate.preferred_by_kind))
    for kind in kinds:
        out.append(
            ("overall", "all contacts", f"served by {kind}",
             float(c.current.preferred_by_kind.get(kind, 0)),
             float(c.candidate.preferred_by_kind.get(kind, 0)))
        )  # fmt: skip
    for q in sorted(set(c.current.queues) | set(c.candidate.queues)):
        add("queue", q, c.current.queues.get(q), c.candidate.queues.get(q))
    grades = sorted(set(c.current.grades) | set(c.candidate.grades), key=_grade_key)
    for g in grades:
        add("grade", _grade_name(g), c.current.grades.get(g), c.candidate.grades.get(g))
    if detail:
        pairs = sorted(
            set(c.current.queue_grades) | set(c.candidate.queue_grades),
            key=lambda k: (k[0], _grade_key(k[1])),
        )
        for q, g in pairs:
            add(
                "queue/grade",
                f"{q} / {_grade_name(g)}",
                c.current.queue_grades.get((q, g)),
                c.candidate.queue_grades.get((q, g)),
            )
    return out


def _grade_key(g: str) -> tuple[int, str]:
    return (GRADE_ORDER.get(g, 5), g)


def fmt(figure: str, value: float | None) -> str:
    """A figure for people: ``82.4 %``, ``12.3 s``, ``1.07``."""
    if value is None:
        return "–"
    unit = UNITS.get(figure, "n")
    if unit == "%":
        return f"{value * 100:.1f} %"
    if unit == "s":
        return f"{value:.1f} s"
    if unit == "x":
        return f"{value:.2f}"
    return f"{value:,.0f}"


def to_csv(c: Comparison) -> str:
    """One line per figure: section, group, figure, current, candidate, difference (raw
    numbers: shares 0..1, seconds)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["section", "group", "figure", "current", "candidate", "difference"])
    for section, group, name, a, b in rows(c):
        diff = b - a if a is not None and b is not None else None
        w.writerow([section, group, name, _num(a), _num(b), _num(diff)])
    w.writerow([])
    w.writerow(["interval_start", "policy", "arrivals", "waiting_at_start", "asa", "sl"])
    for label, result in (("current", c.current), ("candidate", c.candidate)):
        for iv in result.intervals:
            w.writerow(
                [_clock(iv.start, iso=True, tz=c.tz), label, iv.arrivals, iv.waiting_at_start,
                 _num(iv.asa_seconds), _num(iv.service_level)]
            )  # fmt: skip
    return buf.getvalue()


def _num(v: float | None) -> str:
    return "" if v is None else f"{v:.6g}"


def _clock(t: float, iso: bool = False, tz: tzinfo = UTC) -> str:
    moment = datetime.fromtimestamp(t, tz)
    return moment.isoformat() if iso else moment.strftime("%H:%M")


def _nice_top(value: float) -> float:
    """The smallest 4 × (1, 2, 2.5 or 5 × 10^k) at or above ``value``: round axis labels."""
    if value <= 0:
        return 4.0
    step = value / 4
    power = 10.0 ** math.floor(math.log10(step))
    for m in (1, 2, 2.5, 5, 10):
        if m * power >= step - 1e-12:
            return 4 * m * power
    return 40 * power


def diff_text(figure: str, a: float | None, b: float | None) -> str:
    """Candidate − current: ``+3.9 pts`` for shares, ``−2.1 s`` for times."""
    if a is None or b is None or figure == "contacts":
        return ""
    d = b - a
    unit = UNITS.get(figure, "n")
    sign = "+" if d > 0 else "−" if d < 0 else "±"
    if unit == "%":
        return f"{sign}{abs(d) * 100:.1f} pts"
    if unit == "s":
        return f"{sign}{abs(d):.1f} s"
    if unit == "x":
        return f"{sign}{abs(d):.2f}"
    return f"{sign}{abs(d):,.0f}"


def chart(
    title: str,
    intervals: Sequence[tuple[Sequence[Interval], str, str]],
    value: Callable[[Interval], float | None],
    unit: str,
    tz: tzinfo = UTC,
    width: int = 720,
    height: int = 240,
) -> str:
    """A line chart through the day, one line per (intervals, name, colour): inline SVG."""
    left, right, top, bottom = 56, 16, 28, 36
    xs = sorted({iv.start for ivs, _, _ in intervals for iv in ivs})
    values = [v for ivs, _, _ in intervals for iv in ivs if (v := value(iv)) is not None]
    top_value = 1.0 if unit == "%" else _nice_top(max(values, default=0.0))
    span_x = (xs[-1] - xs[0]) if len(xs) > 1 else 1.0
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(t: float) -> float:
        return left + (t - xs[0]) / span_x * plot_w if xs else left

    def py(v: float) -> float:
        return top + plot_h - v / top_value * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="{left}" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        'stroke="#999"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#999"/>',
    ]
    for k in range(5):
        v = top_value * k / 4
        label = f"{v * 100:.0f}%" if unit == "%" else f"{v:g}{unit}"
        y = py(v)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#eee"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{label}</text>'
        )
    step = max(1, len(xs) // 8)
    for t in xs[::step]:
        parts.append(
            f'<text x="{px(t):.1f}" y="{height - 14}" font-size="11" '
            f'text-anchor="middle">{_clock(t, tz=tz)}</text>'
        )
    for n, (ivs, name, colour) in enumerate(intervals):
        points = [(px(iv.start), py(v)) for iv in ivs if (v := value(iv)) is not None]
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>'
            )
        lx = width - right - 200 + n * 100
        parts.append(
            f'<rect x="{lx}" y="8" width="12" height="4" fill="{colour}"/>'
            f'<text x="{lx + 16}" y="14" font-size="11">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def to_html(c: Comparison) -> str:
    """The report: charts through the day, then every figure side by side."""
    series = (
        (c.current.intervals, "current", CURRENT_COLOUR),
        (c.candidate.intervals, "candidate", CANDIDATE_COLOUR),
    )
    charts = [
        chart("Service level through the day", series, lambda iv: iv.service_level, "%", c.tz),
        chart("Average wait of the answered (ASA)", series, lambda iv: iv.asa_seconds, "s", c.tz),
        chart("Contacts waiting", series, lambda iv: float(iv.waiting_at_start), "", c.tz),
    ]
    body = []
    section = None
    for sec, group, name, a, b in rows(c):
        if sec != section:
            body.append(f'<tr><th colspan="5" class="sec">{escape(sec)}</th></tr>')
            section = sec
        diff = diff_text(name, a, b)
        body.append(
            f"<tr><td>{escape(group)}</td><td>{escape(name)}</td><td>{fmt(name, a)}</td>"
            f"<td>{fmt(name, b)}</td><td>{diff}</td></tr>"
        )
    notes = "".join(f"<li>{escape(n)}</li>" for n in c.notes)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(c.title)}</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
        "table{border-collapse:collapse}td,th{padding:.2em .8em;border-bottom:1px solid #ddd;"
        "text-align:right}td:first-child,td:nth-child(2){text-align:left}"
        "th.sec{text-align:left;background:#f4f4f4}svg{display:block;margin:1em 0}"
        "</style></head><body>"
        f"<h1>{escape(c.title)}</h1><ul>{notes}</ul>"
        + "".join(charts)
        + "<table><thead><tr><th>group</th><th>figure</th><th>current</th><th>candidate</th>"
        "<th>difference</th></tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table></body></html>\n"
    )


def headline(result: SimulationResult) -> str:
    """One line: service level, ASA, abandon rate of a run."""
    o = result.overall
    return (
        f"service level {fmt('service level', o.service_level)}, ASA {fmt('ASA', o.asa_seconds)}, "
        f"abandon rate {fmt('abandon rate', o.abandon_rate)}"
    )
