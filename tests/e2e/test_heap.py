"""A server keeps what start-up made out of the garbage collector's full passes."""

from __future__ import annotations

import gc
from pathlib import Path

from app.heap import FULL_PASS_EVERY
from app.main import create_app
from tests.conftest import make_settings


def _collected(obj: object) -> bool:
    """Whether the collector's passes visit ``obj`` (frozen objects are not listed)."""
    return any(o is obj for o in gc.get_objects())


async def test_a_server_freezes_its_start_up_heap_and_spaces_full_passes_out(
    sqlite_url: str, tmp_path: Path
) -> None:
    threshold = gc.get_threshold()
    app = create_app(make_settings(sqlite_url, tmp_path, gc_freeze=True), migrate=False)
    try:
        async with app.router.lifespan_context(app):
            hotline = app.state.hotline
            assert gc.get_freeze_count() > 0
            assert not _collected(hotline) and not _collected(hotline.center)
            assert gc.get_threshold() == (threshold[0], threshold[1], FULL_PASS_EVERY)
    finally:  # the rest of the test process collects as before
        gc.unfreeze()
        gc.set_threshold(*threshold)


async def test_an_app_built_in_process_leaves_the_collector_alone(
    sqlite_url: str, tmp_path: Path
) -> None:
    threshold = gc.get_threshold()
    app = create_app(make_settings(sqlite_url, tmp_path), migrate=False)
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() == 0 and _collected(app.state.hotline)
        assert gc.get_threshold() == threshold
