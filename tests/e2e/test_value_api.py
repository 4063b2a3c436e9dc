"""Customer value through the API: profile, filters, overrides, the pyramid report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import Api


async def _customer_with_purchases(api: Api, n: int, amount: float, days_ago: int = 10) -> int:
    r = await api.request("POST", "/api/customers", json={"name": f"Buyer {n}"})
    cid = r.json()["id"]
    at = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
    for i in range(3):
        r = await api.request(
            "POST",
            f"/api/customers/{cid}/transactions",
            json={
                "amount": amount,
                "margin": amount / 4,
                "occurred_at": at,
                "reference": f"{n}-{i}",
            },
        )
        assert r.status_code == 201, r.text
    return cid


async def test_profile_filters_override_and_pyramid(api: Api) -> None:
    ids = [await _customer_with_purchases(api, n, 100.0 * (n + 1)) for n in range(6)]
    since = datetime.now(UTC) - timedelta(seconds=1)
    top = await _customer_with_purchases(api, 99, 50_000.0)

    profile = (await api.request("GET", f"/api/customers/{top}/profile", as_="alice")).json()
    value = profile["value"]
    assert value["grade"] == "vip" and value["rank"] == 1
    assert value["grade_reason"].startswith("vip: 12-month margin ¥")
    assert value["reasons"]["grade"]["code"] == "grade.ranked"
    assert "grade_reason_zh" not in value
    # The reader's language: ?lang= first, then Accept-Language.
    url = f"/api/customers/{top}/profile"
    zh = (await api.request("GET", url, as_="alice", params={"lang": "zh"})).json()["value"]
    assert zh["grade_reason"].startswith("贵宾：近 12 个月毛利 ¥")
    assert zh["reasons"] == value["reasons"]
    for name in ("rfm_reason", "clv_reason", "lifecycle_reason", "churn_reason"):
        assert zh[name] and zh[name] != value[name], name
    headers = {**await api.login("alice"), "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
    r = await api.client.get(f"/api/customers/{top}/value", headers=headers)
    assert r.json()["grade_reason"] == zh["grade_reason"]
    r = await api.client.get(f"/api/customers/{top}/value?lang=en", headers=headers)
    assert r.json()["grade_reason"] == value["grade_reason"]
    assert 1 <= value["r"] <= 5 and value["clv"] > 0
    assert value["lifecycle"] in ("exploration", "formation", "stable", "decline")
    assert 0 <= value["churn_risk"] <= 1

    r = await api.request("GET", "/api/customers", params={"grade": "vip"}, as_="alice")
    assert top in [c["id"] for c in r.json()["items"]]
    r = await api.request("GET", "/api/customers", params={"churn_min": 2}, as_="alice")
    assert r.status_code == 422

    # An agent who is not the account manager may not pin a grade; a supervisor may.
    body = {"grade": "key", "reason": "strategic partner", "expires_at": "2099-01-01T00:00:00Z"}
    r = await api.request("PUT", f"/api/customers/{ids[0]}/grade-override", json=body, as_="alice")
    assert r.status_code == 403
    r = await api.request("PUT", f"/api/customers/{ids[0]}/grade-override", json=body, as_="super")
    assert r.status_code == 200, r.text
    pinned = r.json()
    assert pinned["grade"] == "key" and "manual override by super" in pinned["grade_reason"]
    url = f"/api/customers/{ids[0]}/value"
    pinned_zh = (await api.request("GET", url, as_="alice", params={"lang": "zh"})).json()
    assert "super 手动指定" in pinned_zh["grade_reason"]
    assert "strategic partner" in pinned_zh["grade_reason"]  # the override's reason, as typed
    bad = {**body, "grade": "platinum"}
    r = await api.request("PUT", f"/api/customers/{ids[0]}/grade-override", json=bad, as_="super")
    assert r.status_code == 422 and "platinum" in r.json()["message"]
    past = {**body, "expires_at": "2001-01-01T00:00:00Z"}
    r = await api.request("PUT", f"/api/customers/{ids[1]}/grade-override", json=past, as_="super")
    assert r.status_code == 422

    report = await api.request(
        "GET", "/api/reports/pyramid", params={"since": since.isoformat()}, as_="super"
    )
    assert report.status_code == 200, report.text
    data = report.json()
    tiers = {t["grade"]: t for t in data["tiers"]}
    assert sum(t["customers"] for t in data["tiers"]) == 7
    assert abs(sum(t["share_of_value"] for t in data["tiers"]) - 1) < 0.01
    assert tiers["vip"]["customers"] == 1
    assert any(m["to_grade"] == "key" for m in data["movements"])  # the pinned customer
    r = await api.request("GET", "/api/reports/pyramid", as_="alice")
    assert r.status_code == 403

    r = await api.request("DELETE", f"/api/customers/{ids[0]}/grade-override", as_="super")
    assert r.status_code == 200 and "override" not in r.json()["grade_reason"]
    r = await api.request("DELETE", f"/api/customers/{ids[0]}/grade-override", as_="super")
    assert r.status_code == 404
