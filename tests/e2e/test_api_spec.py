"""The OpenAPI document tells the truth: schemathesis runs every operation against a real
server (all checks, a bounded number of examples, as the admin) and finds nothing (issue 9,
item 11). Each error is declared with the one `ErrorOut` schema."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from tests.conftest import LiveServer
from tests.helpers import cheap_argon2, new_customer  # noqa: F401  (cheap_argon2: autouse)

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CONFIG = Path(__file__).with_name("schemathesis.toml")  # the few rules a schema cannot state
# Operations that would end the run's own login: logging out revokes the admin's tokens.
NOT_FUZZED = ["/api/auth/logout"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_every_error_is_declared_with_the_one_error_schema(live: LiveServer) -> None:
    spec = (await live.client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    error_ref = {"$ref": "#/components/schemas/ErrorOut"}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            errors = {code: r for code, r in responses.items() if code[0] == "4"}
            assert "422" in errors or not operation.get("parameters"), (method, path)
            if operation.get("security"):
                assert {"401", "403"} <= set(errors), (method, path)
            for code, response in errors.items():
                assert response["content"]["application/json"]["schema"] == error_ref, (
                    method,
                    path,
                    code,
                )


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_schemathesis_finds_nothing(live: LiveServer, tmp_path: Path) -> None:
    token = (await live.login("admin"))["Authorization"]
    await new_customer(live, name="Li Lei", phones=["13800138000"])
    # Every check runs (schemathesis's default; --checks on the command line would override
    # the per-operation settings of the config file).
    args = [
        f"{live.base_url}/openapi.json",
        "--max-examples=8",
        "--phases=examples,coverage,fuzzing",
        "--workers=1",
        "--seed=1",
        "--no-shrink",
        "--suppress-health-check=all",
        "--request-timeout=10",
        f"--header=Authorization: {token}",
        *(f"--exclude-path={path}" for path in NOT_FUZZED),
    ]
    env = {**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"}
    # A subprocess, so that this test's event loop stays free to serve its requests.
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
    output, _ = await asyncio.wait_for(proc.communicate(), timeout=110)
    text = output.decode("utf-8", "replace")
    assert proc.returncode == 0, text[-20_000:]
