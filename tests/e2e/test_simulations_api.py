"""POST /api/simulations (admin): a candidate policy checked first, run in the background,
its progress and figures, and its report (docs/simulator.md)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from routing import RoutingConfig
from tests.conftest import Api
from tests.helpers import assert_error, cheap_argon2  # noqa: F401  (autouse fixture)
from tests.integration.test_simulation_replay import _record_a_day

ROOT = Path(__file__).resolve().parents[2]

URL = "/api/simulations"
CANDIDATE = """
# VIPs straight to any skilled agent, no account manager first.
rules:
  - name: vip
    when: {grade: vip}
    priority_boost: 60
    steps:
      - {target: skilled}
"""
SYNTHETIC = {"rate_per_hour": 150, "aht_seconds": 120, "hours": 2, "agents": 6}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_invalid_candidates_are_refused_before_anything_runs(api: Api) -> None:
    bad_yaml = {"policy": "rules:\n  - name: vip\n    steps: [\n", "synthetic": SYNTHETIC}
    message = assert_error(await api.request("POST", URL, json=bad_yaml), 422, "not valid YAML")
    assert "line" in message
    bad_rule = {
        "policy": "rules:\n  - name: fast\n    steps:\n      - {target: teem}\n",
        "synthetic": SYNTHETIC,
    }
    r = await api.request("POST", URL, json=bad_rule)
    assert_error(r, 422, "rule 'fast'", "unknown target 'teem'", "line 2")
    assert r.json()["detail"][0]["loc"] == ["body", "policy"]
    bad_roster = {"policy": CANDIDATE, "synthetic": SYNTHETIC, "roster": "agent,start\nx,08:00\n"}
    assert_error(await api.request("POST", URL, json=bad_roster), 422, "roster line 1", "end")
    no_traffic = {"policy": CANDIDATE}
    assert_error(await api.request("POST", URL, json=no_traffic), 422, "synthetic")
    empty_day = {"policy": CANDIDATE, "from": "2026-01-05"}
    assert_error(await api.request("POST", URL, json=empty_day), 422, "no contacts recorded")
    backwards = {"policy": CANDIDATE, "from": "2026-01-05", "to": "2026-01-01"}
    assert_error(await api.request("POST", URL, json=backwards), 422, "`to`")
    # Only administrators run simulations.
    r = await api.request(
        "POST", URL, json={"policy": CANDIDATE, "synthetic": SYNTHETIC}, as_="super"
    )
    assert r.status_code == 403, r.text
    assert (await api.request("GET", f"{URL}/nope", as_="admin")).status_code == 404


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_simulation_runs_in_the_background_and_reports(api: Api) -> None:
    r = await api.request("POST", URL, json={"policy": CANDIDATE, "synthetic": SYNTHETIC})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] in ("running", "done") and job["contacts"] > 200
    for _ in range(300):
        r = await api.request("GET", f"{URL}/{job['id']}")
        assert r.status_code == 200, r.text
        job = r.json()
        assert 0 <= job["progress"] <= 1
        if job["status"] != "running":
            break
        await asyncio.sleep(0.1)
    assert job["status"] == "done", job
    assert job["progress"] == 1 and job["report_url"] == f"{URL}/{job['id']}/report"
    figures = {(f["group"], f["figure"]): f for f in job["figures"]}
    overall = figures[("all contacts", "service level")]
    assert 0 <= overall["current"] <= 1 and 0 <= overall["candidate"] <= 1
    assert figures[("all contacts", "contacts")]["current"] == job["contacts"]
    assert any("synthetic" in note for note in job["notes"])

    page = await api.request("GET", job["report_url"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.text.count("<svg") == 3 and "<script" not in page.text
    assert "script-src" not in page.headers["content-security-policy"]  # no script at all
    csv = await api.request("GET", f"{job['report_url']}?format=csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.startswith("section,group,figure,current,candidate,difference")
    assert (await api.request("GET", job["report_url"], as_="super")).status_code == 403


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_recorded_day_with_a_roster(api: Api) -> None:
    config = RoutingConfig.from_mapping(yaml.safe_load((ROOT / "config/routing.yaml").read_text()))
    _, arrivals = await _record_a_day(api.uow, config)  # 08:00-13:00 UTC: 16:00-21:00 here
    roster = "agent,start,end,breaks\n" + "".join(
        f"agent{i},16:00,22:00,{'18:00-18:30 lunch' if i == 0 else ''}\n" for i in range(9)
    )
    bad = roster + "nobody,16:00,22:00\n"
    r = await api.request(
        "POST", URL, json={"policy": CANDIDATE, "from": "2026-11-02", "roster": bad}
    )
    assert_error(r, 422, "roster line 11", "'nobody'")
    r = await api.request(
        "POST", URL, json={"policy": CANDIDATE, "from": "2026-11-02", "roster": roster}
    )
    assert r.status_code == 202, r.text
    job = await _finished(api, r.json())
    assert job["status"] == "done", job
    assert job["contacts"] == len(arrivals)
    figures = {(f["group"], f["figure"]): f for f in job["figures"]}
    assert figures[("all contacts", "contacts")]["current"] == len(arrivals)
    assert any(n.startswith("roster: from the file, 9 shifts") for n in job["notes"])
    assert any("as recorded: service level" in n for n in job["notes"])
    page = await api.request("GET", job["report_url"])
    assert ">16:00<" in page.text  # clock times in the supervisor time zone (Asia/Shanghai)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_kept_simulations_are_listed_newest_first(api: Api) -> None:
    assert (await api.request("GET", URL)).json() == []
    assert (await api.request("GET", URL, as_="super")).status_code == 403
    first = await api.request("POST", URL, json={"policy": CANDIDATE, "synthetic": SYNTHETIC})
    assert first.status_code == 202, first.text
    listed = (await api.request("GET", URL)).json()
    assert [s["id"] for s in listed] == [first.json()["id"]]
    assert listed[0]["traffic"] == {
        "kind": "synthetic",
        "from": None,
        "to": None,
        "synthetic": SYNTHETIC | {"patience_seconds": None, "queue": None},
        "roster": False,
        "seed": 1,
    }
    assert listed[0]["requested_by"] == "admin"
    assert 0 <= listed[0]["progress"] <= 1
    await _finished(api, first.json())
    second = await api.request(
        "POST", URL, json={"policy": CANDIDATE, "synthetic": SYNTHETIC | {"hours": 1}, "seed": 7}
    )
    assert second.status_code == 202, second.text
    await _finished(api, second.json())

    listed = (await api.request("GET", URL)).json()
    assert [s["id"] for s in listed] == [second.json()["id"], first.json()["id"]]
    newest = listed[0]
    assert newest["status"] == "done" and newest["progress"] == 1
    assert newest["traffic"]["synthetic"]["hours"] == 1 and newest["traffic"]["seed"] == 7
    assert newest["report_url"] == f"{URL}/{newest['id']}/report"
    headline = {f["figure"]: f for f in newest["headline"]}
    assert {"contacts", "service level", "ASA", "abandon rate"} <= set(headline)
    assert all(f["section"] == "overall" for f in newest["headline"])
    assert headline["contacts"]["current"] == newest["contacts"]
    assert 0 <= headline["service level"]["candidate"] <= 1


async def _finished(api: Api, job: dict) -> dict:  # type: ignore[type-arg]
    for _ in range(600):
        r = await api.request("GET", f"{URL}/{job['id']}")
        assert r.status_code == 200, r.text
        job = r.json()
        if job["status"] != "running":
            return job
        await asyncio.sleep(0.1)
    return job
