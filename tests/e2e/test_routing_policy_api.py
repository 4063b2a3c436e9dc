"""GET /api/routing/policy: the routing policy as the admin page shows it (docs/admin.md) —
rules in order with their conditions and steps, aging and offers, and the file's validation
error while the server keeps running what it loaded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config.settings import CONFIG_DIR
from tests.conftest import Api, api_on, make_settings
from tests.helpers import cheap_argon2  # noqa: F401  (autouse fixture)

URL = "/api/routing/policy"
SHIPPED = CONFIG_DIR / "routing.yaml"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_policy_its_errors_and_who_may_read_it(db_url: str, tmp_path: Path) -> None:
    routing_file = tmp_path / "routing.yaml"
    shutil.copy(SHIPPED, routing_file)
    settings = make_settings(db_url, tmp_path, routing_file=routing_file)
    async with api_on(settings) as api:
        r = await api.request("GET", URL)
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["file"], body["valid"], body["error"]) == ("routing.yaml", True, None)
        assert (body["showing"], body["restart_needed"]) == ("file", False)
        names = [rule["name"] for rule in body["rules"]]
        assert names == [
            "open-complaint",
            "vip",
            "key",
            "retention",
            "callback",
            "repeat-contact",
            "default",
        ]
        assert [rule["position"] for rule in body["rules"]] == list(range(1, len(names) + 1))
        assert body["aging"] == {"points_per_second": 0.05}
        assert body["offers"] == {
            "timeout_seconds": 15.0,
            "max_missed": 3,
            "reoffer_cooldown_seconds": 60.0,
        }
        vip = body["rules"][1]
        assert vip["when"]["grade"] == ["vip"] and vip["priority_boost"] == 60
        assert [s["target"] for s in vip["steps"]] == ["preferred", "senior", "skilled", "overflow"]
        assert [s["timeout_seconds"] for s in vip["steps"]] == [30, 60, 240, None]
        # Eligibility widens step by step; the overflow step adds nobody.
        eligible = [len(s["eligible"]) for s in vip["steps"]]
        assert eligible == [1, 2, 3, 3]
        assert vip["steps"][0]["eligible"] == vip["preferred"] == ["account manager"]
        retention = body["rules"][3]
        assert retention["when"]["any"] == [
            {**_empty(), "lifecycle": ["decline"]},
            {**_empty(), "churn_risk_at_least": 0.7},
        ]
        assert retention["skills"] == {"retention": 1}
        complaint = body["rules"][0]["steps"][1]
        assert (complaint["skills"], complaint["queue_skills"]) == ({"complaints": 2}, False)
        assert body["rules"][0]["steps"][2]["queue_skills"] is True
        assert body["fallback"]["name"] == "fallback" and body["fallback"]["position"] == 0

        # Words in the reader's language.
        zh = (await api.request("GET", f"{URL}?lang=zh")).json()
        assert zh["rules"][1]["steps"][1]["label"] != vip["steps"][1]["label"]
        assert zh["rules"][1]["title"] != vip["title"]

        # Supervisors read it (read-only, as on the admin page); agents may not; nobody else.
        assert (await api.request("GET", URL, as_="super")).status_code == 200
        r = await api.request("GET", URL, as_="alice")
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
        assert (await api.client.get(URL)).status_code == 401

        # A valid file that differs from what runs: shown, with a restart needed.
        text = SHIPPED.read_text()
        routing_file.write_text(text.replace("priority_boost: 60", "priority_boost: 70"))
        body = (await api.request("GET", URL)).json()
        assert (body["valid"], body["showing"], body["restart_needed"]) == (True, "file", True)
        assert body["rules"][1]["priority_boost"] == 70

        # An invalid file: the error names the rule and step; the running policy is shown.
        routing_file.write_text(text.replace("{target: senior, timeout: 60}", "{target: teem}", 1))
        body = (await api.request("GET", URL)).json()
        assert (body["valid"], body["showing"]) == (False, "in_effect")
        assert body["error"].startswith("rule 'vip' step 2: unknown target 'teem'")
        assert body["rules"][1]["priority_boost"] == 60
        assert [s["target"] for s in body["rules"][1]["steps"]][1] == "senior"

        # Not YAML at all, and no file: said as such, never a 500.
        routing_file.write_text("rules: [\n  {name: x")
        body = (await api.request("GET", URL)).json()
        assert body["valid"] is False and "line" in body["error"]
        routing_file.unlink()
        body = (await api.request("GET", URL)).json()
        assert body["valid"] is False and body["error"].startswith("cannot read the file")
        assert str(tmp_path) not in body["error"]


def _empty() -> dict[str, object]:
    return {
        "grade": None,
        "lifecycle": None,
        "churn_risk_at_least": None,
        "open_complaint": None,
        "repeat_within_hours": None,
        "language": None,
        "intent": None,
        "queue": None,
        "channel": None,
        "attributes": {},
        "any": [],
    }


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_admin_page_is_served_under_the_page_policy(api: Api) -> None:
    r = await api.client.get("/admin")
    assert r.status_code == 200 and "/web/admin/admin.js" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "<script>" not in r.text and "style=" not in r.text  # nothing inline
    for asset in ("admin.js", "words.js", "admin.css"):
        assert (await api.client.get(f"/web/admin/{asset}")).status_code == 200
