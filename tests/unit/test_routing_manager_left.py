"""A deactivated account manager's customers route to the manager's team (docs/promises.md)."""

from __future__ import annotations

from tests.unit.test_routing_router import T0, agent, contact, login, make_router, offer_in, words


def test_a_vip_whose_account_manager_left_is_offered_to_the_managers_team_first() -> None:
    router = make_router()
    # bob is more skilled and senior, but carol is in the team of the manager who left.
    login(
        router,
        agent("bob", 5, senior=True, team="south"),
        agent("carol", 2, team="north"),
    )
    out = router.contact_arrived(contact("c1", grade="vip", account_manager_team="north"), T0)
    offer = offer_in(out)
    assert offer.agent_id == "carol"
    # The explanation says so: the account-manager step, served by the manager's team.
    reason = words(offer.explanation.reason)
    assert "Carol of preferred team north" in reason and "account manager" in reason


def test_without_a_team_to_fall_back_to_the_rule_moves_on() -> None:
    router = make_router()
    login(router, agent("bob", 5, senior=True, team="south"))
    out = router.contact_arrived(contact("c1", grade="vip"), T0)
    # No manager, no team: nobody preferred, the next step (senior) takes it.
    assert offer_in(out).agent_id == "bob"
