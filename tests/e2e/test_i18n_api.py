"""Words in the reader's language over HTTP: routing logs of interactions, by ?lang= or
Accept-Language; what is stored stays codes and facts."""

from __future__ import annotations

from app.db.models import Interaction
from routing import CandidateNote, Explanation
from routing.messages import name, say
from tests.conftest import Api


def _stored_log() -> list[dict]:
    why = Explanation(
        rule="vip",
        step=1,
        steps=4,
        step_label=say("role.account_manager"),
        reason=say(
            "offered",
            title=name("rule", "vip", "vip customer"),
            who=say("who.role", role=say("role.account_manager"), name="Alice"),
            where=say("where", step=1, steps=4, label=say("role.account_manager")),
        ),
        priority=60.0,
        candidates=(
            CandidateNote("1", True, 1, "account manager", 3, 0, 12.0, 2),
            CandidateNote("2", False, preferred_as="last agent", why_not=say("why.busy")),
        ),
    )
    cancelled = say("cancel.no_answer", seconds=15)
    return [
        {"at": "2026-01-01T00:00:00Z", "event": "offered", "agent_id": 1, **why.as_dict()},
        {"at": "2026-01-01T00:00:15Z", "event": "offer_cancelled", "agent_id": 1,
         "cause": "expired", "reason": cancelled},
        {"at": "2026-01-01T00:00:16Z", "event": "assigned", "agent_id": 1, "waited": 16.0},
    ]  # fmt: skip


async def test_routing_log_in_the_readers_language(api: Api) -> None:
    r = await api.request("POST", "/api/customers", json={"name": "Li Lei"})
    cid = r.json()["id"]
    async with api.uow() as uow:
        i = Interaction(customer_id=cid, channel="voice", routing_explanation=_stored_log())
        uow.session.add(i)
        await uow.session.flush()
        iid = i.id

    url = f"/api/interactions/{iid}"
    english = (await api.request("GET", url, as_="alice")).json()["routing_explanation"]
    offered, cancelled, assigned = english
    assert offered["reason"] == (
        "vip customer: offered to account manager Alice (step 1 of 4: account manager)"
    )
    assert offered["reason_message"]["code"] == "offered"  # the codes are kept
    assert offered["step_label"] == "account manager"
    assert offered["candidates"][0]["note"].startswith("preferred (account manager); prof")
    assert offered["candidates"][1]["note"] == "last agent: busy"
    assert offered["candidates"][1]["why_not"] == "busy"
    assert cancelled["reason"] == "no answer within 15 s"
    assert assigned == _stored_log()[2]

    chinese = (await api.request("GET", url, as_="alice", params={"lang": "zh"})).json()
    offered_zh = chinese["routing_explanation"][0]
    assert offered_zh["reason"] == "贵宾客户：分配给 客户经理 Alice（第 1/4 步：客户经理）"
    assert offered_zh["reason_message"] == offered["reason_message"]
    assert chinese["routing_explanation"][1]["reason"] == "15 秒内未应答"

    headers = {**await api.login("alice"), "Accept-Language": "zh-CN,zh;q=0.9"}
    r = await api.client.get(url, headers=headers)
    assert r.json()["routing_explanation"][0]["reason"] == offered_zh["reason"]
    r = await api.client.get(f"/api/customers/{cid}/interactions?lang=zh", headers=headers)
    assert r.json()["items"][0]["routing_explanation"][1]["reason"] == "15 秒内未应答"
    r = await api.client.get(f"/api/customers/{cid}/profile", headers=headers)
    log = r.json()["last_interactions"][0]["routing_explanation"]
    assert log[0]["candidates"][1]["note"] == "上次服务的坐席：忙碌"
    headers["Accept-Language"] = "en-US,en;q=0.9,zh;q=0.5"
    r = await api.client.get(url, headers=headers)
    assert r.json()["routing_explanation"][0]["reason"] == offered["reason"]

    async with api.uow() as uow:  # stored as codes and facts, untouched by reading
        stored = await uow.session.get(Interaction, iid)
        assert stored is not None and stored.routing_explanation == _stored_log()
