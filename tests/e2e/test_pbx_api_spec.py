"""The PBX event API's part of the OpenAPI document tells the truth when a PBX key opens it.

tests/e2e/test_api_spec.py fuzzes every operation as the admin, with a bearer token: the
PBX operations then only ever answer 401. Here schemathesis runs the telephony operations
with a real PBX key (and the admin's token for the key administration), all checks. Keys
are not revoked by the run (DELETE is left out): it would end the run's own key.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from app.db.repositories.staff import StaffRepository
from tests.conftest import LiveServer
from tests.helpers import cheap_argon2  # noqa: F401  (autouse)

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_schemathesis_finds_nothing_in_the_pbx_api(live: LiveServer, tmp_path: Path) -> None:
    token = (await live.login("admin"))["Authorization"]
    r = await live.request(
        "POST", "/api/queues", json={"name": "service", "display_name": "S", "skills": []}
    )
    assert r.status_code == 201, r.text
    async with live.uow() as uow:
        alice = await StaffRepository(uow.session).agent_by_username("alice")
        assert alice is not None
        alice.sip_uri = "sip:alice@127.0.0.1:5070"
    key = (await live.request("POST", "/api/telephony/keys", json={"name": "fuzz"})).json()["key"]
    args = [
        f"{live.base_url}/openapi.json",
        "--include-path-regex=^/api/telephony/",
        "--exclude-method=DELETE",
        "--max-examples=8",
        "--phases=examples,coverage,fuzzing",
        "--workers=1",
        "--seed=1",
        "--no-shrink",
        "--suppress-health-check=all",
        "--request-timeout=40",  # a route request may be held up to 30 s
        f"--header=Authorization: {token}",
        f"--header=X-Api-Key: {key}",
    ]
    env = {**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"}
    proc = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS),
        f"--config-file={CONFIG}",
        "run",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp_path,
        env=env,
    )
    output, _ = await asyncio.wait_for(proc.communicate(), timeout=300)
    text = output.decode("utf-8", "replace")
    assert proc.returncode == 0, text[-20_000:]
