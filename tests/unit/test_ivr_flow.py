"""The IVR flow engine (ivr/flow): ivr.yaml checked with errors naming the place, and the
shipped menu's doctrine walked key by key on a clock passed in (no sleeps)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from config.settings import CONFIG_DIR
from ivr.flow.engine import (
    Action,
    Done,
    FlowRun,
    LookupRequest,
    PlayPrompts,
    Prompt,
    StopPlaying,
)
from ivr.flow.model import Flows, Outcome, Value
from ivr.flow.parse import FlowError, parse_flows

SHIPPED = yaml.safe_load((CONFIG_DIR / "ivr.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def flows() -> Flows:
    return parse_flows(SHIPPED)


class Caller:
    """Drives a run as a call would: prompts finish at once unless told otherwise."""

    def __init__(self, flows: Flows, flow: str = "main", language: str = "zh") -> None:
        self.run = FlowRun(flows.flows[flow], language)
        self.now = 0.0
        self.played: list[Prompt] = []
        self.lookups: list[LookupRequest] = []
        self.outcome: Outcome | None = None
        self.pending: list[Action] = []

    def handle(self, actions: list[Action], finish_prompts: bool = True) -> None:
        for action in actions:
            if isinstance(action, PlayPrompts):
                self.played.extend(action.prompts)
                if finish_prompts:
                    self.now += 1
                    self.handle(self.run.played(self.now))
                else:
                    self.pending.append(action)
            elif isinstance(action, LookupRequest):
                self.lookups.append(action)
            elif isinstance(action, Done):
                self.outcome = action.outcome

    def start(self) -> Caller:
        self.handle(self.run.start(self.now))
        return self

    def answer(self, found: dict[str, Value] | None) -> Caller:
        self.handle(self.run.looked_up(found, self.now))
        return self

    def press(self, keys: str) -> Caller:
        for key in keys:
            self.now += 0.3
            self.handle(self.run.digit(key, self.now))
        return self

    def wait(self, seconds: float) -> Caller:
        self.now += seconds
        self.handle(self.run.tick(self.now))
        return self

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.played]


def customer(grade: str, complaint: bool = False, **more: Value) -> dict[str, Value]:
    return {
        "customer.id": 7,
        "customer.grade": grade,
        "customer.has_complaint": complaint,
        "customer.open_complaints": 1 if complaint else 0,
        **more,
    }


# --- the shipped menu ---------------------------------------------------------------------
def test_a_vip_goes_straight_to_the_account_manager_without_menus(flows: Flows) -> None:
    call = Caller(flows).start()
    assert call.lookups == [LookupRequest("caller", None)]
    call.answer(customer("vip"))
    assert call.outcome is not None and call.played == []  # no menu, not one prompt
    assert call.outcome.kind == "queue" and call.outcome.queue == "service"
    assert call.outcome.intent == "account_manager"
    assert call.outcome.path == ("identify", "identify: found", "by_grade", "to_account_manager",
                                 "queue service")  # fmt: skip


def test_an_open_complaint_is_heard_first_and_1_reaches_its_owner(flows: Flows) -> None:
    call = (
        Caller(flows)
        .start()
        .answer(
            customer(
                "ordinary",
                complaint=True,
                **{"complaint.id": 41, "complaint.status": "in_progress"},
            )
        )
    )
    call.press("2")  # English
    assert call.run.language == "en"
    assert call.names[-3:] == ["complaint_intro", "complaint_in_progress", "complaint_press_1"]
    assert all(p.language == "en" for p in call.played[-3:])
    call.press("1")
    assert call.outcome is not None and call.outcome.intent == "complaint"
    assert call.outcome.attributes == {"ivr": "complaint_owner", "complaint_id": "41"}
    assert "complaint_menu: 1" in call.outcome.path and call.outcome.language == "en"


def test_small_customers_hear_self_service_first_and_their_account(flows: Flows) -> None:
    call = Caller(flows).start().answer(customer("small")).press("1")
    assert call.names[-1] == "menu_self_service"
    call.press("1")  # account status
    assert call.names[-4:] == ["account_active", "open_complaints", "digit_0", "more_or_agent"]
    call.press("0")
    assert call.outcome is not None and call.outcome.intent == "agent"


def test_ordinary_customers_hear_the_agent_first_menu(flows: Flows) -> None:
    call = Caller(flows).start().answer(customer("ordinary")).press("1")
    assert call.names[-1] == "menu_agent"


def test_a_complaint_status_by_its_number(flows: Flows) -> None:
    call = Caller(flows).start().answer(customer("small")).press("1").press("2")
    assert call.names[-1] == "enter_complaint"
    call.press("123#")
    assert call.lookups[-1] == LookupRequest("complaint", "123")
    call.answer({"complaint.id": 123, "complaint.status": "resolved"})
    assert call.names[-3:] == ["complaint_is", "complaint_resolved", "more_or_agent"]
    call.press("#")
    assert call.outcome is not None and call.outcome.kind == "hangup"
    assert call.names[-1] == "goodbye"
    assert "ask_complaint: 123" in call.outcome.path


def test_an_unknown_caller_types_a_number_and_is_identified(flows: Flows) -> None:
    call = Caller(flows).start().answer(None).press("1")
    assert call.names[-1] == "enter_number"
    call.press("13800000001#")
    assert call.lookups[-1] == LookupRequest("number", "13800000001")
    call.answer(customer("vip"))
    assert call.outcome is not None and call.outcome.intent == "account_manager"
    assert call.outcome.customer_id == 7


def test_an_unknown_caller_who_types_nothing_still_reaches_an_agent(flows: Flows) -> None:
    call = Caller(flows).start().answer(None).press("1")
    call.wait(6).wait(6)  # no number, twice: the agent-first menu
    assert call.names[-1] == "menu_agent"
    call.wait(5).wait(5).wait(5)  # no key at all: an agent anyway
    assert call.outcome is not None and call.outcome.queue == "service"
    assert call.outcome.path.count("menu_agent_first: timeout") == 3


def test_a_wrong_key_plays_invalid_then_the_menu_again(flows: Flows) -> None:
    call = Caller(flows).start().answer(customer("ordinary")).press("1")
    call.press("7")
    assert call.names[-2:] == ["invalid", "menu_agent"]
    assert "menu_agent_first: 7 (no such choice)" in call.run.path


def test_a_key_during_a_menu_prompt_stops_it(flows: Flows) -> None:
    call = Caller(flows).start()
    actions = call.run.looked_up(customer("ordinary"), 0)
    assert isinstance(actions[0], PlayPrompts) and actions[0].barge_in
    assert call.run.digit("2", 0.5)[0] == StopPlaying()
    assert call.run.language == "en"


def test_no_timeout_runs_while_the_prompt_plays(flows: Flows) -> None:
    call = Caller(flows).start()
    call.handle(call.run.looked_up(customer("ordinary"), 0), finish_prompts=False)
    assert call.run.deadline is None
    assert call.run.tick(100) == []  # still playing
    call.run.played(10)
    assert call.run.deadline == 14  # the language menu's 4 s, from the prompt's end


def test_the_survey_records_a_rating(flows: Flows) -> None:
    call = Caller(flows, "survey").start()
    assert call.names == ["survey_rate"]
    call.press("9").press("4")
    assert call.outcome is not None and call.outcome.kind == "rating"
    assert call.outcome.rating == 4 and call.names[-1] == "survey_thanks"


def test_a_survey_without_a_key_records_nothing(flows: Flows) -> None:
    call = Caller(flows, "survey").start().wait(6).wait(6).wait(6)
    assert call.outcome is not None and call.outcome.kind == "hangup"


def test_every_prompt_the_flows_name_is_shipped_in_both_languages(flows: Flows) -> None:
    for language in flows.languages:
        folder = CONFIG_DIR / "prompts" / language
        missing = {n for n in flows.prompt_names() if not (folder / f"{n}.wav").exists()}
        assert not missing, (language, missing)
        for status in ("open", "acknowledged", "in_progress", "resolved", "closed"):
            assert (folder / f"complaint_{status}.wav").exists()


# --- the engine on small flows ------------------------------------------------------------
def tiny(nodes: dict[str, Any], start: str = "a") -> Flows:
    return parse_flows({"flows": {"main": {"start": start, "nodes": nodes}}})


def test_collect_takes_the_digits_at_the_timeout_once_enough_are_typed() -> None:
    flows = tiny({
        "a": {"collect": {"prompt": ["p"], "into": "n", "min": 2, "max": 4, "timeout": 3,
                          "fail": "x"}, "next": "q"},
        "q": {"queue": {"queue": "s", "attributes": {"n": "{n}"}}},
        "x": {"hangup": {}},
    })  # fmt: skip
    call = Caller(flows).start().press("5")
    call.wait(3)  # one digit is too few: asked again
    assert call.names == ["p", "p"] and call.outcome is None
    call.press("56").wait(3)
    assert call.outcome is not None and call.outcome.attributes == {"n": "56"}


def test_collect_stops_at_its_maximum() -> None:
    flows = tiny({
        "a": {"collect": {"prompt": ["p"], "into": "n", "max": 3, "fail": "x"}, "next": "x"},
        "x": {"hangup": {}},
    })  # fmt: skip
    call = Caller(flows).start().press("123")
    assert call.outcome is not None and "a: 123" in call.outcome.path


def test_a_loop_without_waiting_ends_the_call() -> None:
    flows = tiny({"a": {"branch": [{"when": {"x": 1}, "goto": "b"}], "else": "b"},
                  "b": {"branch": [{"when": {"x": 1}, "goto": "a"}], "else": "a"}})  # fmt: skip
    call = Caller(flows).start()
    assert call.outcome is not None and call.outcome.kind == "hangup"
    assert call.outcome.path[-1] == "hang up (a loop in the flow)"


def test_the_path_is_bounded_and_ends_with_the_outcome() -> None:
    flows = tiny({
        "a": {"menu": {"prompt": ["p"], "options": {"1": "a", "2": "q"}, "fail": "q"}},
        "q": {"queue": {"queue": "s"}},
    })  # fmt: skip
    call = Caller(flows).start().press("1" * 100 + "2")
    assert call.outcome is not None
    assert len(call.outcome.path) == 50 and call.outcome.path[-1] == "queue s"


def test_malformed_keys_are_ignored() -> None:
    flows = tiny({"a": {"menu": {"prompt": ["p"], "options": {"1": "q"}, "fail": "q"}},
                  "q": {"hangup": {}}})  # fmt: skip
    call = Caller(flows).start()
    assert call.run.digit("", 1) == [] and call.run.digit("A", 1) == []
    assert call.run.digit("12", 1) == []


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({}, "ivr.yaml flows: expected a mapping"),
        ({"flows": {"f": {"start": "a", "nodes": {"a": {"play": ["p"], "next": "zz"}}}}},
         "ivr.yaml flows.f.nodes.a.next: no node 'zz'"),
        ({"flows": {"f": {"start": "b", "nodes": {"a": {"hangup": {}}}}}},
         "ivr.yaml flows.f.start: the name of one of its nodes"),
        ({"flows": {"f": {"start": "a", "nodes": {"a": {"play": ["p"], "hangup": {}}}}}},
         "ivr.yaml flows.f.nodes.a: exactly one of"),
        ({"flows": {"f": {"start": "a", "nodes": {
            "a": {"menu": {"prompt": ["p"], "options": {"x": "a"}, "fail": "a"}}}}}},
         "ivr.yaml flows.f.nodes.a.menu.options.x: a key is one of 0-9"),
        ({"flows": {"f": {"start": "a", "nodes": {
            "a": {"menu": {"prompt": ["p"], "options": {"1": "a"}, "fail": "a",
                           "timeout": 0}}}}}},
         "ivr.yaml flows.f.nodes.a.menu.timeout: seconds"),
        ({"flows": {"f": {"start": "a", "nodes": {
            "a": {"branch": [{"when": {"x": 1}, "goto": "q"}], "else": "a"}}}}},
         "ivr.yaml flows.f.nodes.a.branch[0].goto: no node 'q'"),
        ({"flows": {"f": {"start": "a", "nodes": {"a": {"lookup": "phone", "next": "a"}}}}},
         "ivr.yaml flows.f.nodes.a.lookup: one of caller, number, complaint"),
        ({"flows": {"f": {"start": "a", "nodes": {"a": {"play": ["bad name!"], "next": "a"}}}}},
         "ivr.yaml flows.f.nodes.a.play[0]: a prompt name"),
        ({"flows": {"f": {"start": "a", "nodes": {"a": {"queue": {"queue": "s", "x": 1}}}}}},
         "ivr.yaml flows.f.nodes.a.queue: unknown key 'x'"),
        ({"flows": {"f": {"start": "a", "nodes": {
            "a": {"collect": {"prompt": ["p"], "into": "n", "min": 5, "max": 2, "fail": "a"},
                  "next": "a"}}}}},
         "ivr.yaml flows.f.nodes.a.collect.min/max"),
    ],
)  # fmt: skip
def test_mistakes_in_ivr_yaml_name_their_place(document: Any, message: str) -> None:
    with pytest.raises(FlowError) as caught:
        parse_flows(document)
    assert str(caught.value).startswith(message), str(caught.value)


def test_the_engine_is_pure() -> None:
    source = "".join(
        p.read_text() for p in (Path(__file__).parents[2] / "ivr" / "flow").glob("*.py")
    )
    for word in ("import asyncio", "import time", "import yaml", "datetime", "open("):
        assert word not in source


def test_keys_typed_ahead_answer_the_next_menus(flows: Flows) -> None:
    call = Caller(flows).start()
    call.press("20")  # during the caller lookup: kept
    call.answer(customer("small"))
    assert call.outcome is not None and call.outcome.intent == "agent"
    assert call.played == []  # no prompt was needed
    assert call.outcome.language == "en"
    assert "language: 2" in call.outcome.path and "menu_self_service_first: 0" in call.outcome.path


def test_the_end_key_alone_skips_a_question(flows: Flows) -> None:
    call = Caller(flows).start().answer(None).press("1")
    call.press("#")
    assert "ask_number: skipped" in call.run.path and call.names[-1] == "menu_agent"


def test_a_wrong_key_typed_ahead_drops_the_rest(flows: Flows) -> None:
    call = Caller(flows).start()
    call.press("70")
    call.answer(customer("small"))
    # The language menu asked again (it has no "invalid" prompt); the 0 after the 7 is gone.
    assert call.names == ["welcome", "press_1_chinese", "welcome", "press_2_english"]
    assert call.outcome is None and "language: 7 (no such choice)" in call.run.path
