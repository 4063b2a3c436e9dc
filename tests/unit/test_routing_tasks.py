"""Care tasks (channel ``task``) in the pure routing core: routed like contacts, and a task
occupies the agent like a call (one at a time, nothing beside it)."""

from __future__ import annotations

import pytest

from agents.profile import Agent, InvalidAgent
from agents.state import AgentRules, EndContact, LogIn, Presence, transition
from routing import Contact, Customer, Offer, QueueConfig, Router, parse_policy

T0 = 1_000_000.0
POLICY = {
    "rules": [
        {
            "name": "care",
            "when": {"channel": "task"},
            "preferred": ["account_manager"],
            "steps": [{"target": "preferred", "timeout": 60}, {"target": "skilled"}],
        },
        {"name": "default", "steps": [{"target": "skilled"}]},
    ]
}


def router() -> Router:
    return Router(parse_policy(POLICY), [QueueConfig("care", (("general", 1),))])


def agent(agent_id: str, **kw) -> Agent:
    return Agent(agent_id, agent_id, skills={"general": 3}, **kw)


def task(cid: str, manager: str | None = None) -> Contact:
    return Contact(cid, "task", "care", T0, Customer(account_manager_agent_id=manager))


def offers(decisions) -> list[Offer]:
    return [d for d in decisions if isinstance(d, Offer)]


def test_a_task_goes_to_the_account_manager_first():
    r = router()
    r.agent_login(agent("bob"), T0)
    r.agent_login(agent("alice"), T0)
    (offer,) = offers(r.contact_arrived(task("t1", manager="alice"), T0))
    assert (offer.agent_id, offer.channel) == ("alice", "task")


def test_a_task_takes_the_agent_whole_like_a_call():
    r = router()
    r.agent_login(agent("alice", chat_capacity=3), T0)
    assert len(offers(r.contact_arrived(task("t1"), T0))) == 1
    r.offer_accepted("t1", "alice", T0 + 1)
    # Busy with a task: neither another task nor a chat is offered beside it.
    assert offers(r.contact_arrived(task("t2"), T0 + 2)) == []
    chat = Contact("c1", "chat", "care", T0 + 2)
    assert offers(r.contact_arrived(chat, T0 + 2)) == []
    out = r.contact_ended("t1", T0 + 10) + r.wrapup_done("alice", T0 + 11)
    # Free again: the longest waiting of the two (the task, first in) is offered.
    assert [(o.contact_id, o.channel) for o in offers(out)] == [("t2", "task")]


def test_agents_without_the_task_channel_get_no_tasks():
    r = router()
    r.agent_login(agent("carl", channels={"voice", "chat"}), T0)
    assert offers(r.contact_arrived(task("t1"), T0)) == []
    # An agent with every channel (the default) takes it as soon as they log in.
    assert [o.agent_id for o in offers(r.agent_login(agent("dina"), T0 + 1))] == ["dina"]


def test_presence_counts_a_task_in_the_call_slot():
    rules = AgentRules(wrapup_seconds=0)
    p = transition(Presence(), LogIn(0, 2), T0, rules)  # no voice, two chats
    assert p.can_take("task") and p.can_take("chat") and not p.can_take("voice")
    p = p._replace(voice=1)
    assert not p.can_take("task") and not p.can_take("chat")
    p = transition(p, EndContact("task"), T0 + 5, rules)
    assert p.voice == 0 and p.can_take("task")


def test_unknown_channels_are_still_refused():
    with pytest.raises(InvalidAgent):
        Agent("x", "x", channels={"fax"})
