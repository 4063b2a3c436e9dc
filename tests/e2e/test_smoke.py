from __future__ import annotations

from tests.conftest import Api


async def test_health_and_login(api: Api) -> None:
    r = await api.client.get("/api/health")
    assert r.status_code == 200
    assert r.json()["database"]["status"] == "ok"
    r = await api.request("GET", "/api/auth/me", as_="alice")
    assert r.json()["username"] == "alice"


async def test_create_find_update_customer(api: Api) -> None:
    r = await api.request(
        "POST", "/api/customers", json={"name": "Li Lei", "phones": ["138 0013 8000"]}
    )
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    r = await api.request("GET", "/api/customers", params={"phone": "+86-138-0013-8000"})
    assert [c["id"] for c in r.json()["items"]] == [cid]
    r = await api.request("PATCH", f"/api/customers/{cid}", json={"emails": ["LI@Example.com"]})
    assert r.json()["emails"] == ["li@example.com"]
