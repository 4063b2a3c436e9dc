"""Staffing over HTTP: Erlang C (docs/metrics.md). A thin adapter over app.metrics.erlang."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.deps import SupervisorUser
from app.errors import Invalid
from app.metrics.erlang import staffing

router = APIRouter(prefix="/api/staffing", tags=["staffing"])


class LevelOut(BaseModel):
    agents: int
    service_level: float
    probability_of_waiting: float
    asa_seconds: float | None  # None: the agents cannot keep up (the wait grows without end)
    occupancy: float


class ErlangCOut(BaseModel):
    traffic_erlangs: float
    agents: int
    scheduled: int
    levels: list[LevelOut]


@router.get("/erlang-c")
async def erlang_c(
    _: SupervisorUser,
    contacts: Annotated[float, Query(ge=0, le=1_000_000, description="contacts in the interval")],
    aht_seconds: Annotated[float, Query(gt=0, le=86_400)],
    interval_seconds: Annotated[float, Query(gt=0, le=86_400)] = 1800,
    sl_percent: Annotated[float, Query(gt=0, le=100)] = 80,
    sl_seconds: Annotated[float, Query(ge=0, le=86_400)] = 20,
    max_occupancy: Annotated[float, Query(gt=0, le=1)] = 1.0,
    shrinkage: Annotated[float, Query(ge=0, lt=1)] = 0.0,
) -> ErlangCOut:
    """Agents needed on the phones (`agents`) for the traffic to meet the service-level target
    under the occupancy cap, agents to schedule once shrinkage is allowed for (`scheduled`),
    and for the neighbouring levels: service level, probability of waiting, ASA, occupancy."""
    try:
        plan = staffing(
            contacts,
            interval_seconds,
            aht_seconds,
            sl_percent,
            sl_seconds,
            max_occupancy,
            shrinkage,
        )
    except ValueError as exc:
        raise Invalid(str(exc), field="contacts") from exc
    return ErlangCOut(
        traffic_erlangs=round(plan.traffic, 4),
        agents=plan.agents,
        scheduled=plan.scheduled,
        levels=[
            LevelOut(
                agents=lv.agents,
                service_level=round(lv.service_level, 4),
                probability_of_waiting=round(lv.probability_of_waiting, 4),
                asa_seconds=None if math.isinf(lv.asa_seconds) else round(lv.asa_seconds, 1),
                occupancy=round(lv.occupancy, 4),
            )
            for lv in plan.levels
        ],
    )
