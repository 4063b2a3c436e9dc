"""Input the JSON parser or the database would take but no client should send: refused with a
clear 422 at every input, after authentication, never a 500 (issue 9, items 2 and 12)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.db.models import Interaction
from tests.conftest import Api
from tests.helpers import (  # noqa: F401  (cheap_argon2: autouse fixture)
    HUGE_ID,
    assert_error,
    cheap_argon2,
    count,
    counts,
    new_customer,
)

JSON = {"content-type": "application/json"}

# Bodies Python's json module takes and JSON does not, or that hold text no one can store or
# write back: (body, where the error points, what it says).
BAD_LOGINS: list[tuple[bytes, str, str]] = [
    (b'{"username": NaN, "password": "x"}', "username", "finite"),
    (b'{"username": "a", "password": Infinity}', "password", "finite"),
    (b'{"username": -Infinity, "password": "x"}', "username", "finite"),
    (b'{"username": 1e400, "password": "x"}', "username", "out of range"),
    (b'{"username": "1' + b"0" * 5000 + b'", "password": 1' + b"0" * 5000 + b"}", "body", "range"),
    (b'{"username": "\\ud800", "password": "x"}', "username", "lone surrogate"),
    (b'{"username": ["\\udc00"], "password": "x"}', "username.0", "lone surrogate"),
    (b'{"username": "ad\\u0000min", "password": "x"}', "username", "control character"),
    (b'{"username": "a\\u001bb", "password": "x"}', "username", "control character"),
    (b'{"\\ud800": 1, "username": "a", "password": "x"}', "body", "lone surrogate"),
    (b'{"username": "\xff\xfe", "password": "x"}', "body", "UTF-8"),
    (b"[" * 100 + b"]" * 100, "body", "nested deeper"),
]


async def test_non_finite_numbers_and_invalid_text_are_422_naming_the_field(api: Api) -> None:
    for body, where, fragment in BAD_LOGINS:
        r = await api.client.post("/api/auth/login", content=body, headers=JSON)
        assert_error(r, 422, fragment)
        assert f"body.{where}" in r.json()["message"] or where == "body", (body[:60], r.text)
        json.loads(r.content.decode("utf-8"))  # strict UTF-8 JSON, whatever was sent


async def test_a_nan_attribute_never_reaches_the_record_or_a_console(api: Api) -> None:
    headers = await api.login("admin")
    r = await api.request(
        "POST", "/api/queues", json={"name": "service", "display_name": "S", "skills": []}
    )
    assert r.status_code == 201, r.text
    before = await count(api.uow, Interaction)
    for attributes in (b'{"x": NaN}', b'{"x": [1, Infinity]}', b'{"x": {"y": -1e999}}'):
        body = b'{"channel": "voice", "from": "+8613800000001", "queue": "service", '
        body += b'"attributes": ' + attributes + b"}"
        r = await api.client.post("/api/contacts", content=body, headers=headers | JSON)
        assert_error(r, 422, "body.attributes.x")
    assert await count(api.uow, Interaction) == before


async def test_every_operation_with_a_body_refuses_nan(api: Api) -> None:
    """General: the check is at body parsing, so no endpoint can miss it."""
    headers = await api.login("admin")
    r = await api.client.post("/api/telephony/keys", json={"name": "pbx"}, headers=headers)
    assert r.status_code == 201, r.text
    pbx = {"X-Api-Key": r.json()["key"]}  # the PBX API's own credential (docs/telephony.md)
    spec = (await api.client.get("/openapi.json")).json()
    checked = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if "requestBody" not in operation:
                continue
            pbx_api = path.startswith("/api/telephony/calls") or path == "/api/telephony/events"
            credentials = pbx if pbx_api else headers
            url = path.replace("{", "").replace("}", "")  # a path id that is not a number
            url = "/".join(
                "1" if part.endswith("_id") or part == "id" else part for part in url.split("/")
            )
            r = await api.client.request(
                method, url, content=b'{"anything": NaN}', headers=credentials | JSON
            )
            assert_error(r, 422, "finite")
            checked += 1
    assert checked >= 10


async def test_malformed_json_is_401_without_a_token_and_422_with_one(api: Api) -> None:
    before = await counts(api.uow)
    for body in (b'{"name":', b'{"name": NaN}', b'{"name": "\\ud800"}'):
        r = await api.client.post("/api/customers", content=body, headers=JSON)
        assert_error(r, 401, "missing bearer token")
        r = await api.client.post(
            "/api/customers", content=body, headers=JSON | {"Authorization": "Bearer forged.x"}
        )
        assert_error(r, 401)
        r = await api.client.post(
            "/api/customers", content=body, headers=await api.login("alice") | JSON
        )
        assert_error(r, 422, "body")
    assert await counts(api.uow) == before
    headers = await api.login("alice") | JSON
    r = await api.client.post("/api/customers", content=b'{"name":', headers=headers)
    assert "JSON decode error" in r.json()["message"]


@pytest.mark.parametrize(
    "query",
    ["name=%00", "name=Li%00", "name=%01", "name=%1b%5b31m", "name=a%7f", "name=%0a", "na%00me=x"],
)
async def test_control_characters_in_a_query_are_422_not_a_match_for_everyone(
    api: Api, query: str
) -> None:
    await new_customer(api, name="Li Lei")
    await new_customer(api, name="Han Meimei")
    r = await api.request("GET", f"/api/customers?{query}", as_="alice")
    assert_error(r, 422, "control character", "query.")


async def test_invalid_utf8_in_a_query_or_path_is_422(api: Api) -> None:
    for url in ("/api/customers?name=%ff", "/api/customers?name=%ed%a0%80", "/api/customers/%ff"):
        r = await api.request("GET", url, as_="alice")
        assert_error(r, 422, "UTF-8")
    r = await api.request("GET", "/api/customers/1%00", as_="alice")
    assert_error(r, 422, "control characters")
    # Text that is fine stays fine: tabs and line breaks in notes, any language in a search.
    cid = (await new_customer(api, name="李雷"))["id"]
    r = await api.request("GET", "/api/customers", params={"name": "李"}, as_="alice")
    assert [c["id"] for c in r.json()["items"]] == [cid]
    r = await api.request(
        "PATCH", f"/api/customers/{cid}", as_="alice", json={"company": "A\tB\r\nC"}
    )
    assert r.status_code == 200 and r.json()["company"] == "A\tB\r\nC", r.text


@pytest.mark.parametrize("number", [HUGE_ID, 2**63, -(2**63) - 1])
async def test_ids_out_of_range_answer_in_plain_words(api: Api, number: int) -> None:
    for url in (
        f"/api/customers/{number}",
        f"/api/interactions/{number}",
        f"/api/complaints/{number}",
        f"/api/complaints?customer_id={number}",
    ):
        r = await api.request("GET", url)
        assert r.status_code in (404, 422), (url, r.text)
        message = r.json()["message"]
        for internal in ("SQLite", "INTEGER", "int32", "int64", "asyncpg", "Python int"):
            assert internal not in message, (url, message)


async def test_error_bodies_follow_the_one_error_shape(api: Api) -> None:
    """Domain 422s carry `detail` as a list of problems, like FastAPI's own."""
    cid = (await new_customer(api, name="Li Lei"))["id"]
    cases: list[tuple[str, str, Any, int]] = [
        ("GET", "/api/reports/pyramid?since=2026-01-01T00:00:00", None, 422),  # domain
        ("POST", "/api/customers", {"name": 1}, 422),  # pydantic
        ("GET", "/api/customers/999999", None, 404),
        ("POST", f"/api/customers/{cid}/transactions", {"amount": "1"}, 422),
    ]
    for method, url, body, status in cases:
        r = await api.request(method, url, json=body)
        assert r.status_code == status, r.text
        error = r.json()
        assert isinstance(error["message"], str) and isinstance(error["code"], str)
        if status == 422:
            assert isinstance(error["detail"], list) and error["detail"], r.text
            assert all({"loc", "msg", "type"} <= set(p) for p in error["detail"])
        else:
            assert error["detail"] == error["message"]
    r = await api.request("GET", "/api/reports/pyramid?since=2026-01-01T00:00:00")
    assert r.json()["detail"][0]["loc"] == ["since"]
