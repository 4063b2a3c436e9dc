"""GET /metrics (docs/operations.md): who may scrape, and the figures from the live state."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.db.migrate import upgrade_async
from config.settings import Settings
from tests.agent_client import AgentClient
from tests.conftest import LiveServer, add_agent, api_on, make_settings
from tests.helpers import assert_error, cheap_argon2  # noqa: F401  (autouse fixture)

SCRAPE_KEY = "scrape-key-0123456789abcdef"


@pytest.fixture
async def live_settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path, metrics_scrape_key=SCRAPE_KEY)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """(sample name, sorted labels) -> value."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def scrape(live: LiveServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = await live.client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_KEY}"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=")
    return samples(r.text)


def q(name: str, **labels: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return (name, tuple(sorted(labels.items())))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_who_may_scrape(live: LiveServer) -> None:
    get = live.client.get
    assert_error(await get("/metrics"), 401, "missing bearer token")
    assert_error(await get("/metrics", headers={"Authorization": "Bearer nope"}), 401)
    wrong_key = {"Authorization": f"Bearer {SCRAPE_KEY[:-1]}x"}
    assert_error(await get("/metrics", headers=wrong_key), 401)
    for user in ("alice", "super"):
        assert_error(await get("/metrics", headers=await live.login(user)), 403, "admin")
    assert (await get("/metrics", headers=await live.login("admin"))).status_code == 200
    assert q("hotline_event_loop_lag_seconds_count") in await scrape(live)


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
async def test_queue_agent_and_health_figures_follow_the_live_state(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = await live.request(
        "POST",
        "/api/queues",
        json={"name": "service", "display_name": "Service", "skills": ["service"]},
    )
    assert r.status_code == 201, r.text
    await add_agent(live.uow, "bob", "agent", skills={"sales": 3})  # serves no "service"
    center = live.app.state.hotline.center
    now = [center.clock()]
    monkeypatch.setattr(center, "clock", lambda: now[0])
    body = {"channel": "voice", "from": "+8613800000009", "queue": "service"}
    assert (await live.request("POST", "/api/contacts", json=body, as_="super")).status_code == 201
    now[0] += 42  # the contact has waited 42 s, beyond the queue's 20 s target

    m = await scrape(live)
    assert m[q("hotline_queue_waiting", queue="service")] == 1
    assert m[q("hotline_queue_offered", queue="service")] == 0
    assert m[q("hotline_queue_longest_wait_seconds", queue="service")] == pytest.approx(42)
    assert m[q("hotline_queue_over_target", queue="service")] == 1
    assert m[q("hotline_websockets_open", endpoint="agent")] == 0

    bob = await AgentClient(live, "bob").connect()
    await bob.available()
    m = await scrape(live)
    assert m[q("hotline_agents", state="available")] == 1
    assert m[q("hotline_queue_agents", queue="service", state="available")] == 0
    assert m[q("hotline_websockets_open", endpoint="agent")] == 1

    alice = await AgentClient(live, "alice").connect()
    await alice.send("state.set", state="available")  # and at once offered the contact
    await alice.expect("offer")
    m = await scrape(live)
    assert m[q("hotline_queue_waiting", queue="service")] == 0
    assert m[q("hotline_queue_offered", queue="service")] == 1
    assert m[q("hotline_queue_agents", queue="service", state="offered")] == 1
    assert m[q("hotline_agents", state="offered")] == 1
    assert m[q("hotline_agents", state="available")] == 1  # bob
    assert m[q("hotline_websockets_open", endpoint="agent")] == 2
    # The server's own health: the lock was taken, events flowed, subscribers are listed.
    assert m[q("hotline_routing_lock_holds_total")] >= 3
    assert m[q("hotline_routing_lock_hold_seconds", quantile="0.99")] >= 0
    assert m[q("hotline_events_last_seq")] >= 3
    assert q("hotline_event_subscriber_lag", subscriber="interactions") in m
    assert q("hotline_event_outbox_depth") in m
    assert q("process_cpu_seconds_total") in m
    assert m[q("hotline_intake_active")] == 0 and m[q("hotline_intake_waiting")] == 0
    assert m[q("hotline_intake_refused_total")] == 0
    assert q("hotline_intake_late_seconds_total") in m
    await asyncio.gather(alice.close(), bob.close())


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_each_app_has_its_own_registry(live: LiveServer, tmp_path: Path) -> None:
    """A second app in the same process scrapes its own figures, not the first's."""
    r = await live.request(
        "POST", "/api/queues", json={"name": "first_only", "display_name": "First"}
    )
    assert r.status_code == 201, r.text
    for _ in range(100):  # routing learns the queue from the event stream (staff sync)
        if q("hotline_queue_waiting", queue="first_only") in await scrape(live):
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the new queue never reached /metrics")
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'other.db'}",
        tmp_path / "b",
        metrics_scrape_key=SCRAPE_KEY,
    )
    await upgrade_async(settings.effective_database_url)
    async with api_on(settings) as other:
        r = await other.client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_KEY}"})
        assert r.status_code == 200, r.text
        theirs = samples(r.text)
        assert q("hotline_agents", state="offline") in theirs
        assert q("hotline_queue_waiting", queue="first_only") not in theirs


def test_a_short_scrape_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 16"):
        Settings(metrics_scrape_key="short", var_dir=tmp_path)


async def test_loop_lag_is_measured_on_a_fake_clock() -> None:
    from app.observability.loop_lag import LoopLagMonitor

    class Done(Exception):
        pass

    t = [100.0]
    lags = [0.0, 0.003, 0.2]

    async def sleep(seconds: float) -> None:
        if not lags:
            raise Done
        t[0] += seconds + lags.pop(0)  # the loop woke this much later than asked

    monitor = LoopLagMonitor(0.25, clock=lambda: t[0], sleep=sleep)
    with pytest.raises(Done):  # sleeps until the fake lags run out
        await monitor.run()
    assert monitor.count == 3 and monitor.last == pytest.approx(0.2)
    assert monitor.worst == pytest.approx(0.2) and monitor.total == pytest.approx(0.203)
    cumulative = dict(monitor.cumulative())
    assert (cumulative["0.001"], cumulative["0.005"], cumulative["0.25"]) == (1, 2, 3)
    assert cumulative["+Inf"] == 3
