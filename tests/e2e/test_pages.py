"""Protective headers on every page, cached and compressed static files, API docs served from
the server itself (issue 9, items 9 and 10)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Api
from tests.helpers import cheap_argon2  # noqa: F401  (autouse fixture)

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


async def test_every_answer_has_the_protective_headers(api: Api) -> None:
    for url in ("/console", "/web/console/console.js", "/api/health", "/docs", "/nowhere"):
        r = await api.client.get(url)
        assert r.headers["x-content-type-options"] == "nosniff", url
        assert r.headers["x-frame-options"] == "DENY", url
        assert r.headers["referrer-policy"] == "no-referrer", url
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, url
        assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0], url
    console = await api.client.get("/console")
    assert "script-src 'self';" in console.headers["content-security-policy"]
    assert "'unsafe-inline'" not in console.headers["content-security-policy"]
    # The page itself has nothing inline for the policy to block.
    assert not re.search(r"<script(?![^>]*\bsrc=)", console.text)
    assert not re.search(r"\sstyle=|\son[a-z]+=", console.text)


async def test_static_files_are_revalidated_and_compressed(api: Api) -> None:
    r = await api.client.get("/web/console/console.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["content-encoding"] == "gzip" and "Accept-Encoding" in r.headers["vary"]
    etag = r.headers["etag"]
    again = await api.client.get("/web/console/console.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    plain = await api.client.get("/web/console/console.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text == r.text


async def test_the_api_docs_load_nothing_from_elsewhere(api: Api) -> None:
    for page in ("/docs", "/redoc"):
        html = (await api.client.get(page)).text
        sources = re.findall(r'(?:src|href|spec-url)="([^"]+)"', html)
        assert sources and all(s.startswith("/") for s in sources), sources
        for source in sources:
            r = await api.client.get(source)
            assert r.status_code == 200 and len(r.content) > 0, source
    assert "'unsafe-inline'" in (await api.client.get("/docs")).headers["content-security-policy"]
