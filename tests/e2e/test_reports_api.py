"""GET /api/reports/{queues,grades,agents,complaints,satisfaction}: figures checked against a
hand-computed fixture, in JSON and in CSV, on both databases (docs/reports.md).

The fixture is a day in Asia/Shanghai (UTC+8, no daylight saving): 2026-03-02. Every figure
asserted below is worked out by hand in the comments beside the rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.db.models import (
    AgentStateRow,
    Complaint,
    Customer,
    CustomerValueRow,
    Interaction,
    Queue,
)
from tests.conftest import Api, add_agent, api_on, make_settings
from tests.helpers import assert_error, cheap_argon2  # noqa: F401  (autouse fixture)

FROM = "2026-03-02T00:00:00+08:00"
TO = "2026-03-03T00:00:00+08:00"
RANGE = f"from={FROM.replace('+', '%2B')}&to={TO.replace('+', '%2B')}"
NOW = datetime(2026, 3, 5, tzinfo=UTC)  # the live path's clock, for "late" complaints

SUPERVISOR_YAML = """
service_level:
  variant: standard
  short_abandon_seconds: 5
  grade_targets: {vip: 10, key: 15}
timezone: Asia/Shanghai
"""


def z(hh: int, mm: int = 0, ss: int = 0, day: int = 2) -> datetime:
    """A UTC time on 2026-03-`day` (Shanghai is 8 hours ahead: 01:00Z is 09:00 there)."""
    return datetime(2026, 3, day, hh, mm, ss, tzinfo=UTC)


@pytest.fixture
async def api(db_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    floor = tmp_path / "supervisor.yaml"
    floor.write_text(SUPERVISOR_YAML)
    async with api_on(make_settings(db_url, tmp_path, supervisor_file=floor)) as api:
        yield api


async def _seed(api: Api) -> dict[str, int]:
    """The fixture; returns the agents' ids."""
    alice = await _agent_id(api, "alice")
    bob = await add_agent(api.uow, "bob", "agent", display_name="Bob")
    async with api.uow() as uow:
        s = uow.session
        for name, sla, attrs in (
            ("service", 20, {}),
            ("sales", 30, {"sla_by_grade": {"vip": 12}}),
        ):
            s.add(Queue(name=name, display_name=name.title(), sla_seconds=sla, attributes=attrs))
        customers = {}
        for grade in ("vip", "key", "ordinary", None):
            c = Customer(name=f"customer {grade}")
            s.add(c)
            await s.flush()
            customers[grade] = c.id
            if grade is not None:
                s.add(_value(c.id, grade))

        def contact(
            queue: str,
            grade: str | None,
            *,
            wait: float,
            answered: datetime | None = None,
            ended: datetime | None = None,
            talk: float | None = None,
            agent: int | None = None,
            reason: str | None = None,
            rating: int | None = None,
        ) -> None:
            at = answered or ended
            assert at is not None
            s.add(
                Interaction(
                    customer_id=customers[grade],
                    channel="voice",
                    queue=queue,
                    agent_id=agent,
                    status="ended" if ended else "active",
                    created_at=at - timedelta(seconds=wait),
                    answered_at=answered,
                    ended_at=ended,
                    wait_seconds=wait,
                    handle_seconds=talk,
                    end_reason=reason or ("completed" if ended else None),
                    rating=rating,
                )
            )

        # service, 09:00-10:00 Shanghai (01:00Z):
        contact("service", "vip", wait=8, answered=z(1), ended=z(1, 1, 40), talk=100,
                agent=alice, rating=5)  # fmt: skip
        contact("service", "key", wait=18, answered=z(1, 10), ended=z(1, 13, 20), talk=200,
                agent=alice, rating=3)  # fmt: skip
        contact("service", None, wait=25, answered=z(1, 20), agent=bob)  # still talking
        contact("service", "vip", wait=3, ended=z(1, 30), reason="abandoned")  # short abandon
        contact("service", "ordinary", wait=40, ended=z(1, 40), reason="abandoned")
        contact("service", None, wait=600, ended=z(1, 59, 59), reason="timed_out")
        # service, 10:00-11:00 (02:00Z)
        contact("service", "ordinary", wait=5, answered=z(2, 5), ended=z(2, 6), talk=60,
                agent=bob, rating=4)  # fmt: skip
        # sales, 11:00-12:00 (03:00Z): vip target 12 (the queue's own), waits 12 and 13
        contact("sales", "vip", wait=12, answered=z(3), ended=z(3, 0, 30), talk=30, agent=alice)
        contact("sales", "vip", wait=13, answered=z(3, 30), ended=z(3, 31), talk=50, agent=alice)
        # Outside the range: answered at its (exclusive) end, abandoned a second before it.
        contact("service", "vip", wait=1, answered=z(16), ended=z(16, 5), talk=300, agent=bob,
                rating=1)  # fmt: skip
        contact("service", "vip", wait=50, ended=z(15, 59, 59, day=1), reason="abandoned")
        # Ended in the range but not unanswered-ending (transferred before an answer): ignored.
        contact("service", "key", wait=7, ended=z(4), reason="transferred")

        def complaint(category: str, status: str, created: datetime, **times: Any) -> None:
            s.add(
                Complaint(
                    customer_id=customers["key"],
                    category=category,
                    severity="medium",
                    description="x",
                    status=status,
                    created_at=created,
                    due_at=created + timedelta(hours=24),
                    # The first answer is owed within 1.5 h here; it came at acknowledgement.
                    first_answer_due_at=created + timedelta(hours=1.5),
                    first_answered_at=times.get("acknowledged_at"),
                    **times,
                )
            )

        # billing: answered after 1 h, resolved after 6 h, in time
        complaint("billing", "resolved", z(2), acknowledged_at=z(3), resolved_at=z(8))
        # billing: open, past its deadline by NOW
        complaint("billing", "open", z(4))
        # service: answered after 2 h, resolved after 48 h (late: the deadline was 24 h)
        complaint("service", "closed", z(5), acknowledged_at=z(7), resolved_at=z(5, day=4))
        # service: opened before the range, still being worked on, late
        complaint("service", "in_progress", datetime(2026, 2, 20, tzinfo=UTC))
        # closed long before the range: in no figure
        complaint("billing", "closed", datetime(2026, 2, 1, tzinfo=UTC))
    return {"alice": alice, "bob": bob}


def _value(customer_id: int, grade: str) -> CustomerValueRow:
    reason = {"code": "test", "facts": {}}
    return CustomerValueRow(
        customer_id=customer_id,
        grade=grade,
        grade_reason=reason,
        computed_grade=grade,
        base_size=4,
        value_12m=0.0,
        r=1,
        f=1,
        m=1,
        rfm_reason=reason,
        clv=0.0,
        clv_reason=reason,
        lifecycle="stable",
        lifecycle_reason=reason,
        churn_risk=0.0,
        churn_reason=reason,
        computed_at=z(0),
    )


async def _agent_id(api: Api, username: str) -> int:
    r = await api.request("GET", "/api/agents", as_="admin")
    assert r.status_code == 200, r.text
    body = r.json()
    items = body["items"] if isinstance(body, dict) else body
    return int(next(a["id"] for a in items if a["username"] == username))


async def _get(api: Api, report: str, query: str = "", csv_: bool = False) -> Any:
    headers = {**await api.login("super")}
    if csv_:
        headers["Accept"] = "text/csv"
    r = await api.client.get(f"/api/reports/{report}?{RANGE}{query}", headers=headers)
    assert r.status_code == 200, r.text
    if not csv_:
        return r.json()
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == (
        f'attachment; filename="hotline-{report}-20260302T0000-20260303T0000.csv"'
    )
    return list(csv.DictReader(io.StringIO(r.text)))


FIGURES = (
    "target_seconds",
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "answered_within",
    "service_level",
    "asa_seconds",
    "aht_seconds",
    "abandon_rate",
    "occupancy",
)


def fig(*values: Any) -> dict[str, Any]:
    return dict(zip(FIGURES, values, strict=True))


def as_csv(row: dict[str, Any]) -> dict[str, str]:
    """What a JSON row's values look like in the CSV."""
    return {k: "" if v is None else str(v) for k, v in row.items()}


# service 09:00: 6 offered; answered 3 (waits 8, 18, 25), abandoned 3 (3 s short, 40, 600);
# within 20 s: 2; SL 2 / (3 + 2) = 0.4; ASA 51/3 = 17; AHT (100 + 200)/2 (the third still
# talks) = 150; abandon rate 2/5 = 0.4.
SERVICE_09 = fig(20.0, 6, 3, 3, 1, 2, 0.4, 17.0, 150.0, 0.4, None)
SERVICE_10 = fig(20.0, 1, 1, 0, 0, 1, 1.0, 5.0, 60.0, 0.0, None)
# sales 11:00: waits 12, 13 against the queue's 30 s: both in; ASA 12.5; AHT (30 + 50)/2.
SALES_11 = fig(30.0, 2, 2, 0, 0, 2, 1.0, 12.5, 40.0, 0.0, None)
# service all day: 7 offered, 4 answered (8, 18, 25, 5) of which 3 within; 3 abandoned, 1
# short: SL 3/6 = 0.5; ASA 56/4 = 14; AHT (100 + 200 + 60)/3 = 120; abandon rate 2/6.
SERVICE_DAY = fig(20.0, 7, 4, 3, 1, 3, 0.5, 14.0, 120.0, 0.3333, None)


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
async def test_queue_report_by_hour_and_day_in_json_and_csv(api: Api) -> None:
    await _seed(api)
    report = await _get(api, "queues", "&interval=hour")
    assert (report["timezone"], report["interval"]) == ("Asia/Shanghai", "hour")
    assert report["from"] == FROM and report["to"] == TO
    assert report["service_level"] == {"variant": "standard", "short_abandon_seconds": 5.0}
    assert report["not_recorded"] == []  # wrap-up and state time are kept (migration 0011)
    expected = [
        {"bucket": "2026-03-02T09:00:00+08:00", "queue": "service", **SERVICE_09},
        {"bucket": "2026-03-02T10:00:00+08:00", "queue": "service", **SERVICE_10},
        {"bucket": "2026-03-02T11:00:00+08:00", "queue": "sales", **SALES_11},
    ]
    assert report["rows"] == expected
    assert report["totals"] == [
        {"queue": "sales", **SALES_11},
        {"queue": "service", **SERVICE_DAY},
    ]
    rows = await _get(api, "queues", "&interval=hour", csv_=True)
    assert rows == [as_csv(r) for r in expected]
    assert list(rows[0]) == ["bucket", "queue", *FIGURES]  # the header row, in order

    day = await _get(api, "queues", "&interval=day")
    assert day["rows"] == [
        {"bucket": "2026-03-02T00:00:00+08:00", "queue": "sales", **SALES_11},
        {"bucket": "2026-03-02T00:00:00+08:00", "queue": "service", **SERVICE_DAY},
    ]
    # 15 minutes: 09:00-09:15 holds the waits 8 and 18 (both within 20 s).
    quarter = await _get(api, "queues", "&interval=15min")
    first = quarter["rows"][0]
    assert (first["bucket"], first["offered"], first["service_level"]) == (
        "2026-03-02T09:00:00+08:00",
        2,
        1.0,
    )
    assert [r["bucket"][11:16] for r in quarter["rows"]] == [
        "09:00", "09:15", "09:30", "09:45", "10:00", "11:00", "11:30",
    ]  # fmt: skip
    # The same instants bucketed in UTC.
    utc = await _get(api, "queues", "&interval=day&tz=UTC")
    assert utc["timezone"] == "UTC"
    assert [r["bucket"] for r in utc["rows"]] == ["2026-03-02T00:00:00Z"] * 2


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
async def test_grade_report_measures_each_grade_against_its_own_target(api: Api) -> None:
    await _seed(api)
    report = await _get(api, "grades", "&interval=hour")
    nine, ten, eleven = (f"2026-03-02T{h}:00:00+08:00" for h in ("09", "10", "11"))
    expected = [
        # no grade: answered at 25 s (target the queue's 20), timed out at 600 s
        {"bucket": nine, "queue": "service", "grade": "",
         **fig(20.0, 2, 1, 1, 0, 0, 0.0, 25.0, None, 0.5, None)},
        # key: 18 s against key's 15 s: late
        {"bucket": nine, "queue": "service", "grade": "key",
         **fig(15.0, 1, 1, 0, 0, 0, 0.0, 18.0, 200.0, 0.0, None)},
        # ordinary (no target of its own): one abandoned after 40 s
        {"bucket": nine, "queue": "service", "grade": "ordinary",
         **fig(20.0, 1, 0, 1, 0, 0, 0.0, None, None, 1.0, None)},
        # vip: 8 s against 10 s, and a short abandon that counts nowhere
        {"bucket": nine, "queue": "service", "grade": "vip",
         **fig(10.0, 2, 1, 1, 1, 1, 1.0, 8.0, 100.0, 0.0, None)},
        {"bucket": ten, "queue": "service", "grade": "ordinary",
         **fig(20.0, 1, 1, 0, 0, 1, 1.0, 5.0, 60.0, 0.0, None)},
        # sales vip: the queue's own 12 s: 12 is within, 13 is not
        {"bucket": eleven, "queue": "sales", "grade": "vip",
         **fig(12.0, 2, 2, 0, 0, 1, 0.5, 12.5, 40.0, 0.0, None)},
    ]  # fmt: skip
    assert report["rows"] == expected
    rows = await _get(api, "grades", "&interval=hour", csv_=True)
    assert rows == [as_csv(r) for r in expected]


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
async def test_agent_report(api: Api) -> None:
    ids = await _seed(api)
    alice, bob = ids["alice"], ids["bob"]
    report = await _get(api, "agents", "&interval=hour")
    none = {"logged_in_seconds": None, "break_seconds": None, "occupancy": None}
    expected = sorted(
        [
            # alice 09:00: waits 8, 18; talk 100 + 200; ratings 5, 3
            {"bucket": "2026-03-02T09:00:00+08:00", "agent_id": alice, "agent_name": "Alice",
             "answered": 2, "handled": 2, "handling_seconds": 300.0, "asa_seconds": 13.0,
             "aht_seconds": 150.0, "ratings": 2, "average_rating": 4.0, **none},
            # bob 09:00: one still talking: no handle time yet
            {"bucket": "2026-03-02T09:00:00+08:00", "agent_id": bob, "agent_name": "Bob",
             "answered": 1, "handled": 0, "handling_seconds": 0.0, "asa_seconds": 25.0,
             "aht_seconds": None, "ratings": 0, "average_rating": None, **none},
            {"bucket": "2026-03-02T10:00:00+08:00", "agent_id": bob, "agent_name": "Bob",
             "answered": 1, "handled": 1, "handling_seconds": 60.0, "asa_seconds": 5.0,
             "aht_seconds": 60.0, "ratings": 1, "average_rating": 4.0, **none},
            {"bucket": "2026-03-02T11:00:00+08:00", "agent_id": alice, "agent_name": "Alice",
             "answered": 2, "handled": 2, "handling_seconds": 80.0, "asa_seconds": 12.5,
             "aht_seconds": 40.0, "ratings": 0, "average_rating": None, **none},
        ],
        key=lambda r: (r["bucket"], r["agent_id"]),
    )  # fmt: skip
    assert report["rows"] == expected
    rows = await _get(api, "agents", "&interval=hour", csv_=True)
    assert rows == [as_csv(r) for r in expected]


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
async def test_agent_report_counts_wrapup_and_state_time(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AHT = talk + wrap-up (to ``wrapped_up_at``); logged-in, break and occupancy from the
    agent's state history, cut at the buckets' edges; a state still going counts until now."""
    carol = await add_agent(api.uow, "carol", "agent", display_name="Carol")
    async with api.uow() as uow:
        s = uow.session
        customer = Customer(name="someone")
        s.add(customer)
        await s.flush()
        # 09:00 Shanghai: answered after 6 s, talk 100 s, wrap-up 20 s.
        s.add(
            Interaction(
                customer_id=customer.id, channel="voice", queue="service", agent_id=carol,
                status="ended", created_at=z(1) - timedelta(seconds=6), answered_at=z(1),
                ended_at=z(1, 1, 40), wrapped_up_at=z(1, 2), wait_seconds=6,
                handle_seconds=100, end_reason="completed",
            )
        )  # fmt: skip
        changes = [
            (z(0, 30), "available", None),  # 08:30
            (z(1), "busy", None),  # 09:00, 100 s
            (z(1, 1, 40), "wrapup", None),  # 20 s
            (z(1, 2), "available", None),  # 43 min
            (z(1, 45), "break", "lunch"),  # 09:45-10:15
            (z(2, 15), "available", None),  # 15 min
            (z(2, 30), "offline", None),  # 10:30
            (z(3, 50), "available", None),  # 11:50, still available "now" (11:55)
        ]
        for seq, (at, state, reason) in enumerate(changes, start=1):
            s.add(AgentStateRow(agent_id=carol, state=state, reason=reason, at=at, event_seq=seq))
    monkeypatch.setattr(api.app.state.hotline.center, "clock", z(3, 55).timestamp)
    report = await _get(api, "agents", "&interval=hour")
    rows = {r["bucket"][11:16]: r for r in report["rows"] if r["agent_id"] == carol}
    assert sorted(rows) == ["08:00", "09:00", "10:00", "11:00"]
    nine = rows["09:00"]
    assert (nine["answered"], nine["handled"]) == (1, 1)
    assert (nine["handling_seconds"], nine["aht_seconds"]) == (120.0, 120.0)
    # 09:00-10:00: all 3,600 s logged in, 900 on break; busy + wrap-up 120 s.
    assert (nine["logged_in_seconds"], nine["break_seconds"]) == (3600.0, 900.0)
    assert nine["occupancy"] == round(120 / 2700, 4)
    eight = rows["08:00"]  # available from 08:30, no contact
    assert (eight["answered"], eight["logged_in_seconds"], eight["occupancy"]) == (0, 1800.0, 0.0)
    ten = rows["10:00"]  # break to 10:15, available to 10:30, then logged off
    assert (ten["logged_in_seconds"], ten["break_seconds"], ten["occupancy"]) == (
        1800.0,
        900.0,
        0.0,
    )
    eleven = rows["11:00"]  # logged on at 11:50; "now" is 11:55
    assert eleven["logged_in_seconds"] == 300.0
    csv_rows = await _get(api, "agents", "&interval=hour", csv_=True)
    assert as_csv(nine) in csv_rows


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
async def test_complaint_report(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    await _seed(api)
    monkeypatch.setattr(api.app.state.hotline.center, "clock", NOW.timestamp)
    report = await _get(api, "complaints")
    assert report["now"] == "2026-03-05T08:00:00+08:00" and report["interval"] is None
    billing = {
        "opened": 2,
        "open": 1,
        "late_open": 1,
        "first_answer_late_open": 1,
        "first_answered_late": 0,
        "resolved_late": 0,
        "answered": 1,
        "mean_hours_to_first_answer": 1.0,
        "resolved": 1,
        "mean_hours_to_resolve": 6.0,
    }
    service = {
        "opened": 1,
        "open": 1,
        "late_open": 1,
        "first_answer_late_open": 1,
        "first_answered_late": 1,
        "resolved_late": 1,
        "answered": 1,
        "mean_hours_to_first_answer": 2.0,
        "resolved": 1,
        "mean_hours_to_resolve": 48.0,
    }
    totals = {
        "opened": 3,
        "open": 2,
        "late_open": 2,
        "first_answer_late_open": 2,
        "first_answered_late": 1,
        "resolved_late": 1,
        "answered": 2,
        "mean_hours_to_first_answer": 1.5,
        "resolved": 2,
        "mean_hours_to_resolve": 27.0,
    }
    assert report["categories"] == [
        {"category": "billing", **billing},
        {"category": "service", **service},
    ]
    assert report["totals"] == totals
    rows = await _get(api, "complaints", csv_=True)
    assert rows == [
        as_csv({"scope": "category", "category": "billing", **billing}),
        as_csv({"scope": "category", "category": "service", **service}),
        as_csv({"scope": "total", "category": None, **totals}),
    ]


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
async def test_satisfaction_report(api: Api) -> None:
    ids = await _seed(api)
    report = await _get(api, "satisfaction")
    # Rated and ended in the range: alice 5 (vip) and 3 (key), bob 4 (ordinary), all in
    # service. Bob's 1 ended after the range.
    assert report["overall"] == {"ratings": 3, "average": 4.0, "scores": {"3": 1, "4": 1, "5": 1}}
    assert report["by_agent"] == [
        {"agent_id": ids["alice"], "agent_name": "Alice", "ratings": 2, "average": 4.0,
         "scores": {"3": 1, "5": 1}},
        {"agent_id": ids["bob"], "agent_name": "Bob", "ratings": 1, "average": 4.0,
         "scores": {"4": 1}},
    ]  # fmt: skip
    assert report["by_queue"] == [
        {"queue": "service", "ratings": 3, "average": 4.0, "scores": {"3": 1, "4": 1, "5": 1}}
    ]
    assert report["by_grade"] == [
        {"grade": "key", "ratings": 1, "average": 3.0, "scores": {"3": 1}},
        {"grade": "ordinary", "ratings": 1, "average": 4.0, "scores": {"4": 1}},
        {"grade": "vip", "ratings": 1, "average": 5.0, "scores": {"5": 1}},
    ]
    rows = await _get(api, "satisfaction", csv_=True)
    line = {r["dimension"] + ":" + r["key"]: r for r in rows}
    assert list(rows[0]) == ["dimension", "key", "name", "ratings", "average",
                             "score_3", "score_4", "score_5"]  # fmt: skip
    assert line[f"agent:{ids['alice']}"] == {
        "dimension": "agent", "key": str(ids["alice"]), "name": "Alice", "ratings": "2",
        "average": "4.0", "score_3": "1", "score_4": "0", "score_5": "1",
    }  # fmt: skip
    assert line["grade:vip"]["score_5"] == "1" and line["queue:service"]["ratings"] == "3"
    assert line["overall:"]["average"] == "4.0" and len(rows) == 7


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_bad_ranges_and_roles(api: Api) -> None:
    async def get(query: str, as_: str = "super") -> Any:
        return await api.request("GET", f"/api/reports/queues?{query}", as_=as_)

    assert (await get(RANGE, as_="alice")).status_code == 403
    assert (await api.client.get(f"/api/reports/queues?{RANGE}")).status_code == 401
    assert_error(await get(f"from={TO}&to={FROM}".replace("+", "%2B")), 422, "after from")
    assert_error(await get(f"from={FROM}&to={FROM}".replace("+", "%2B")), 422, "after from")
    far = "from=2026-01-01T00:00:00Z&to=2026-04-04T00:00:01Z"
    assert_error(await get(far), 422, "at most 93 days")
    assert (await get("from=2026-01-01T00:00:00Z&to=2026-04-04T00:00:00Z")).status_code == 200
    assert_error(await get("from=2026-01-01T00:00:00&to=2026-01-02T00:00:00Z"), 422, "offset")
    assert_error(await get(f"{RANGE}&tz=Mars/Olympus"), 422, "unknown time zone")
    assert_error(await get(f"{RANGE}&interval=week"), 422, "interval")
    assert_error(await get("to=2026-01-02T00:00:00Z"), 422, "from")
    assert_error(await get("from=0001-01-01T00:00:00Z&to=0001-01-02T00:00:00Z&tz=Etc/GMT%2B12"),
                 422, "years")  # fmt: skip
    for report in ("grades", "agents", "complaints", "satisfaction"):
        r = await api.request("GET", f"/api/reports/{report}?{RANGE}", as_="super")
        assert r.status_code == 200, r.text
