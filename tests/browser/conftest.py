"""Browser tests: every page a test opened is closed when the test ends.

Each module shares one Chromium; a page left open keeps its websocket to a server that is
about to stop (which then waits for it) and can hold the browser's focus while a later test
asserts on its own page's focus. Overriding ``live`` closes them before its server stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import LiveServer


@pytest.fixture
async def live(live: LiveServer, request: pytest.FixtureRequest) -> AsyncIterator[LiveServer]:
    yield live
    if "browser" in request.fixturenames:
        # Set up before this test ran (module scope), so this only reads its value.
        browser = request.getfixturevalue("browser")
        for context in list(browser.contexts):
            await context.close()
