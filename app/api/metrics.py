"""Live-path figures for operators and benchmarks: routing lock, event stream, sockets."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.deps import HotlineDep, SupervisorUser

router = APIRouter(prefix="/api/metrics", tags=["metrics"])


@router.get("/live")
async def live(hotline: HotlineDep, _: SupervisorUser) -> dict[str, Any]:
    """How long the routing lock is held per command, how far the record lags behind the
    event stream, the intake door, and how many agents are connected."""
    center = hotline.center
    bus = center.bus
    return {
        "lock": center.lock_stats.summary(),
        "events": {
            "stream": bus.stream,
            "last_seq": bus.last_seq,
            "projected_seq": hotline.projector.committed,
            "projector_failures": hotline.projector.failures,
        },
        # The intake door (app/contacts/intake_gate.py): arrivals being written, waiting their
        # turn, refused (503), and the time the event loop ran late.
        "intake": hotline.contacts.intake.stats(),
        "routing": {
            "waiting": center.router.store.waiting_count(),
            "agents_connected": len(hotline.hub.connected_agents()),
        },
        # Shared mode (docs/scale-out.md): this process's id, lease and place in the log.
        "cluster": center.cluster_status(),
    }
