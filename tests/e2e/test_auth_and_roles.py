"""Logging in, bearer tokens, the role ladder on every endpoint, and staff administration."""

from __future__ import annotations

import re
import time
from typing import Any

from sqlalchemy import select

from app.auth.tokens import Principal, issue
from app.db.models import Agent
from tests.conftest import PASSWORD, Api
from tests.helpers import assert_error, audit_log, cheap_argon2  # noqa: F401  (autouse fixture)

# Health, logging in, and what the customers' chat page reads before anyone signs in (its
# topics and opening hours: docs/chat.md); nothing of a customer's or an agent's.
PUBLIC = {("GET", "/api/health"), ("POST", "/api/auth/login"), ("GET", "/api/chat/config")}

# (method, path, least role). Routes of other modules get the 401 check only (see below).
ROLE_TABLE = [
    ("GET", "/api/auth/me", "agent"),
    ("POST", "/api/customers", "agent"),
    ("GET", "/api/customers", "agent"),
    ("GET", "/api/customers/{customer_id}", "agent"),
    ("PATCH", "/api/customers/{customer_id}", "agent"),
    ("GET", "/api/customers/{customer_id}/profile", "agent"),
    ("GET", "/api/customers/{customer_id}/interactions", "agent"),
    ("POST", "/api/customers/{customer_id}/transactions", "admin"),
    ("GET", "/api/customers/{customer_id}/transactions", "agent"),
    ("POST", "/api/complaints", "agent"),
    ("GET", "/api/complaints", "agent"),
    ("GET", "/api/complaints/{complaint_id}", "agent"),
    ("POST", "/api/complaints/{complaint_id}/transitions", "agent"),
    ("GET", "/api/interactions/{interaction_id}", "agent"),
    ("GET", "/api/queues", "agent"),
    ("GET", "/api/agents", "supervisor"),
    ("GET", "/api/agents/{agent_id}", "supervisor"),
    ("POST", "/api/agents", "admin"),
    ("PATCH", "/api/agents/{agent_id}", "admin"),
    ("POST", "/api/queues", "admin"),
    ("PATCH", "/api/queues/{queue_id}", "admin"),
]
USERS = {"alice": "agent", "super": "supervisor", "admin": "admin"}
RANK = {"agent": 0, "supervisor": 1, "admin": 2}


def api_routes(api: Api) -> list[tuple[str, str]]:
    """Every documented (method, path) under /api, whoever's router it comes from."""
    paths = api.app.openapi()["paths"]
    return sorted(
        (method.upper(), path)
        for path, ops in paths.items()
        if path.startswith("/api")
        for method in ops
    )


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "999999", path)


async def call(api: Api, method: str, path: str, **kw: Any) -> Any:
    body = {"json": {}} if method in ("POST", "PATCH", "PUT") else {}
    return await api.client.request(method, concrete(path), **body, **kw)


async def test_login_gives_a_bearer_token(api: Api) -> None:
    r = await api.client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == api.app.state.hotline.settings.token_ttl_seconds
    assert (body["agent"]["username"], body["agent"]["role"]) == ("alice", "agent")
    assert "password" not in r.text
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    r = await api.client.get("/api/auth/me", headers=headers)
    assert r.status_code == 200 and r.json()["username"] == "alice"
    async with api.uow() as uow:
        hashes = (await uow.session.execute(select(Agent.password_hash))).scalars().all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)


async def test_login_failures(api: Api) -> None:
    async def login(username: str, password: str, **extra: Any) -> Any:
        body = {"username": username, "password": password, **extra}
        return await api.client.post("/api/auth/login", json=body)

    wrong = await login("alice", "wrong-password")
    assert_error(wrong, 401, "wrong username or password")
    assert wrong.headers["www-authenticate"] == "Bearer"
    unknown = await login("nobody", PASSWORD)
    assert unknown.status_code == 401
    assert unknown.json() == wrong.json()  # does not tell which usernames exist
    assert_error(await login("Alice", PASSWORD), 401)  # usernames are exact
    assert_error(await login("alice", ""), 422, "password")
    assert_error(await login("alice", PASSWORD, remember=True), 422, "remember")
    assert_error(await api.client.post("/api/auth/login", json={"username": "alice"}), 422)

    alice = (await api.request("GET", "/api/auth/me", as_="alice")).json()["id"]
    r = await api.request("PATCH", f"/api/agents/{alice}", json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert_error(await login("alice", PASSWORD), 401, "wrong username or password")


async def test_missing_forged_and_expired_tokens(api: Api) -> None:
    secret = api.app.state.hotline.secret
    me = (await api.request("GET", "/api/auth/me", as_="alice")).json()
    alice = Principal(me["id"], "alice", "agent")
    now = time.time()
    good = issue(secret, alice, now, 60)
    body = good.split(".")[0]
    forged_admin = issue("not-the-secret", Principal(me["id"], "alice", "admin"), now, 60)
    cases = {
        "missing": {},
        "empty bearer": {"Authorization": "Bearer "},
        "other scheme": {"Authorization": f"Basic {good}"},
        "garbage": {"Authorization": "Bearer garbage"},
        "forged": {"Authorization": f"Bearer {forged_admin}"},
        "other signature": {"Authorization": f"Bearer {body}.{forged_admin.split('.')[1]}"},
        "expired": {"Authorization": f"Bearer {issue(secret, alice, now - 3600, 60)}"},
        "truncated": {"Authorization": f"Bearer {good[:-3]}"},
    }
    for name, headers in cases.items():
        for url in ("/api/auth/me", "/api/customers"):
            r = await api.client.get(url, headers=headers)
            assert r.status_code == 401, (name, url, r.text)
            assert r.headers["www-authenticate"] == "Bearer"
            assert "token" in r.json()["message"], name
    r = await api.client.get("/api/auth/me", headers={"Authorization": f"Bearer {good}"})
    assert r.status_code == 200


async def test_every_api_route_needs_a_token(api: Api) -> None:
    routes = api_routes(api)
    assert set(PUBLIC) <= set(routes)
    secret = api.app.state.hotline.secret
    expired = issue(secret, Principal(1, "admin", "admin"), time.time() - 3600, 60)
    checked = 0
    for method, path in routes:
        if (method, path) in PUBLIC:
            continue
        for headers in ({}, {"Authorization": f"Bearer {expired}"}):
            r = await call(api, method, path, headers=headers)
            assert r.status_code == 401, (method, path, r.text)
        checked += 1
    assert checked >= len(ROLE_TABLE)


async def test_roles_are_enforced_on_every_endpoint(api: Api) -> None:
    routes = set(api_routes(api))
    missing = {(m, p) for m, p, _ in ROLE_TABLE} - routes
    assert not missing, f"ROLE_TABLE names routes the app no longer has: {missing}"
    for method, path, least in ROLE_TABLE:
        for user, role in USERS.items():
            r = await call(api, method, path, headers=await api.login(user))
            if RANK[role] < RANK[least]:
                assert_error(r, 403, f"needs the {least} role", f"you are {role}")
            else:
                assert r.status_code not in (401, 403), (method, path, user, r.text)


async def test_agents_administration(api: Api) -> None:
    admin = (await api.request("GET", "/api/auth/me")).json()["id"]
    new = {
        "username": "bob",
        "display_name": "Bob Li 李博",
        "password": "s3cure-pass",
        "role": "supervisor",
        "skills": {"complaints": 5, "service": 4},
        "languages": ["zh", "en"],
        "team": "care",
        "sip_uri": "sip:bob@10.0.0.5",
    }
    r = await api.request("POST", "/api/agents", json=new)
    assert r.status_code == 201, r.text
    bob = r.json()
    assert (bob["username"], bob["role"], bob["team"], bob["active"]) == (
        "bob",
        "supervisor",
        "care",
        True,
    )
    assert bob["skills"] == {"complaints": 5, "service": 4} and bob["chat_capacity"] == 3
    assert "password" not in r.text

    assert (await api.login("bob", "s3cure-pass"))["Authorization"].startswith("Bearer ")
    r = await api.request("GET", "/api/agents", as_="bob")
    assert [a["username"] for a in r.json()] == ["admin", "super", "alice", "bob"]
    assert "password" not in r.text
    r = await api.request("GET", f"/api/agents/{bob['id']}", as_="super")
    assert r.json() == bob

    async def create(**changes: Any) -> Any:
        return await api.request("POST", "/api/agents", json={**new, **changes})

    assert_error(await create(), 409, "username 'bob' is taken")
    assert_error(await create(username="Bob Li"), 422, "username")
    assert_error(await create(username="carol", password="short"), 422, "password")
    assert_error(await create(username="carol", role="root"), 422, "role")
    assert_error(await create(username="carol", skills={"sales": 6}), 422, "skills")
    assert_error(await create(username="carol", sip_uri="bob@host"), 422, "sip_uri")

    url = f"/api/agents/{bob['id']}"
    changes = {"role": "agent", "skills": {"sales": 3}, "password": "new-pass-123", "team": None}
    r = await api.request("PATCH", url, json=changes)
    assert r.status_code == 200, r.text
    assert (r.json()["role"], r.json()["skills"], r.json()["team"]) == ("agent", {"sales": 3}, None)
    r = await api.client.post(
        "/api/auth/login", json={"username": "bob", "password": "s3cure-pass"}
    )
    assert r.status_code == 401
    api.tokens.pop("bob")
    assert await api.login("bob", "new-pass-123")
    assert_error(await api.request("GET", "/api/agents", as_="bob"), 403, "supervisor")
    assert_error(await api.request("PATCH", url, json={"display_name": None}), 422, "display_name")
    assert_error(await api.request("PATCH", url, json={"chat_capacity": 99}), 422, "chat_capacity")
    assert_error(await api.request("PATCH", "/api/agents/999", json={}), 404, "agent 999")
    assert_error(await api.request("GET", "/api/agents/999"), 404, "agent 999")

    staff_audit = [(a, e, i, who) for a, e, i, who in await audit_log(api.uow) if e == "agent"]
    assert staff_audit == [
        ("agent.create", "agent", str(bob["id"]), admin),
        ("agent.update", "agent", str(bob["id"]), admin),
    ]


async def test_queues_administration(api: Api) -> None:
    admin = (await api.request("GET", "/api/auth/me")).json()["id"]
    r = await api.request(
        "POST",
        "/api/queues",
        json={
            "name": "sales",
            "display_name": "Sales 销售",
            "skills": ["sales"],
            "sla_seconds": 15,
        },
    )
    assert r.status_code == 201, r.text
    sales = r.json()
    assert (sales["sla_seconds"], sales["max_wait_seconds"], sales["overflow_queue"]) == (
        15,
        600,
        None,
    )
    r = await api.request(
        "POST",
        "/api/queues",
        json={"name": "vip", "display_name": "VIP", "overflow_queue": "sales"},
    )
    assert r.status_code == 201 and r.json()["overflow_queue"] == "sales"
    vip = r.json()

    async def create(**body: Any) -> Any:
        return await api.request("POST", "/api/queues", json={"display_name": "Q", **body})

    assert_error(await create(name="sales"), 409, "queue 'sales' exists")
    assert_error(await create(name="x", overflow_queue="nowhere"), 422, "'nowhere' does not exist")
    assert_error(
        await create(name="loop", overflow_queue="loop"), 422, "cannot overflow into itself"
    )
    assert_error(await create(name="Bad Name"), 422, "name")
    assert_error(await create(name="slow", sla_seconds=0), 422, "sla_seconds")

    url = f"/api/queues/{vip['id']}"
    r = await api.request("PATCH", url, json={"sla_seconds": 10, "overflow_queue": None})
    assert r.status_code == 200
    assert (r.json()["sla_seconds"], r.json()["overflow_queue"]) == (10, None)
    assert_error(await api.request("PATCH", url, json={"overflow_queue": "vip"}), 422, "itself")
    # Longer loops too: vip -> sales -> vip would pass a contact round for ever.
    r = await api.request("PATCH", url, json={"overflow_queue": "sales"})
    assert r.status_code == 200
    sales_url = f"/api/queues/{sales['id']}"
    loop = await api.request("PATCH", sales_url, json={"overflow_queue": "vip"})
    assert_error(loop, 422, "overflow would loop: sales -> vip -> sales")
    r = await api.request("PATCH", url, json={"overflow_queue": None})
    assert r.status_code == 200
    assert_error(await api.request("PATCH", url, json={"display_name": None}), 422, "display_name")
    assert_error(await api.request("PATCH", "/api/queues/999", json={}), 404, "queue 999")

    r = await api.request("GET", "/api/queues", as_="alice")
    assert [(q["name"], q["sla_seconds"]) for q in r.json()] == [("sales", 15), ("vip", 10)]
    queue_audit = [(a, who) for a, e, _, who in await audit_log(api.uow) if e == "queue"]
    assert queue_audit == [
        ("queue.create", admin),
        ("queue.create", admin),
        ("queue.update", admin),
        ("queue.update", admin),  # vip -> sales, and back: the refused loop wrote nothing
        ("queue.update", admin),
    ]


async def test_deactivation_and_role_changes_apply_to_live_tokens(api: Api) -> None:
    headers = await api.login("alice")
    me = (await api.client.get("/api/auth/me", headers=headers)).json()
    r = await api.request("PATCH", f"/api/agents/{me['id']}", json={"role": "supervisor"})
    assert r.status_code == 200
    # A new role revokes the tokens issued for the old one; a new login carries the new role.
    r = await api.client.get("/api/agents", headers=headers)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    api.tokens.pop("alice")
    headers = await api.login("alice")
    assert (await api.client.get("/api/agents", headers=headers)).status_code == 200
    r = await api.request("PATCH", f"/api/agents/{me['id']}", json={"active": False})
    assert r.status_code == 200
    r = await api.client.get("/api/auth/me", headers=headers)
    assert r.status_code == 401 and "no longer active" in r.json()["detail"]
