"""Reports as CSV (app/reports/csv_out.py): header, empty cells, quoting, formulas, and which
Accept asks for CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from app.reports.csv_out import to_csv, wants_csv


def test_header_row_empty_cells_quoting_and_no_formulas() -> None:
    text = to_csv(
        ["bucket", "agent_name", "service_level", "average_rating"],
        [
            {"bucket": datetime(2026, 3, 2, tzinfo=UTC), "agent_name": 'Li, "Lei"',
             "service_level": 0.4, "average_rating": None},
            {"bucket": None, "agent_name": "=HYPERLINK(\"x\")", "service_level": 1},
            {"agent_name": "@SUM(A1)"},
        ],
    )  # fmt: skip
    assert text.endswith("\r\n") and text.count("\r\n") == 4
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["bucket", "agent_name", "service_level", "average_rating"]
    assert rows[1] == ["2026-03-02T00:00:00+00:00", 'Li, "Lei"', "0.4", ""]
    assert rows[2] == ["", '\'=HYPERLINK("x")', "1", ""]  # a formula becomes text
    assert rows[3] == ["", "'@SUM(A1)", "", ""]


@pytest.mark.parametrize(
    ("accept", "csv_"),
    [
        (None, False),
        ("", False),
        ("text/csv", True),
        ("text/csv; charset=utf-8", True),
        ("application/json, text/csv", False),
        ("text/csv, application/json", True),
        ("text/csv;q=0, application/json", False),
        ("*/*", False),
        ("text/html, text/csv;q=0.5", True),
    ],
)
def test_which_accept_asks_for_csv(accept: str | None, csv_: bool) -> None:
    assert wants_csv(accept) is csv_
