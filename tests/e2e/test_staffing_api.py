"""GET /api/staffing/erlang-c: agents needed for a queue's traffic (docs/metrics.md)."""

from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.helpers import assert_error, cheap_argon2  # noqa: F401  (autouse fixture)

URL = "/api/staffing/erlang-c"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_erlang_c_for_a_supervisor(api: Api) -> None:
    query = "contacts=100&interval_seconds=1800&aht_seconds=180&sl_percent=80&sl_seconds=20"
    r = await api.request("GET", f"{URL}?{query}", as_="super")
    assert r.status_code == 200, r.text
    plan = r.json()
    assert (plan["traffic_erlangs"], plan["agents"], plan["scheduled"]) == (10.0, 14, 14)
    levels = {lv["agents"]: lv for lv in plan["levels"]}
    assert levels[13]["service_level"] < 0.8 <= levels[14]["service_level"]
    assert levels[14]["occupancy"] == pytest.approx(10 / 14, abs=1e-4)
    r = await api.request("GET", f"{URL}?{query}&shrinkage=0.3&max_occupancy=0.7", as_="super")
    assert (r.json()["agents"], r.json()["scheduled"]) == (15, 22)
    # Agents may not plan the floor; nonsense is refused with the field named.
    assert (await api.request("GET", f"{URL}?{query}", as_="alice")).status_code == 403
    bad = await api.request("GET", f"{URL}?contacts=100&aht_seconds=0", as_="super")
    assert_error(bad, 422, "aht_seconds")
    huge = f"{URL}?contacts=1000000&interval_seconds=1&aht_seconds=86400"
    assert_error(await api.request("GET", huge, as_="super"), 422, "beyond one queue")
