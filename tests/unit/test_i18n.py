"""Catalogs, language picking, rendering and display names (app.i18n)."""

from __future__ import annotations

import ast
from pathlib import Path
from string import Formatter

import pytest

from app.i18n import CATALOGS, Names, add_catalog, pick_language, render_explanation
from app.i18n import render_message as render
from app.i18n.catalogs import EN, ZH
from app.i18n.names import NamesError, load_names, parse_names
from app.i18n.render import render_value_reasons
from routing.messages import EMPTY, join, name, say
from routing.wording import END_REASONS

ROOT = Path(__file__).resolve().parents[2]
CORE = [*sorted((ROOT / "routing").rglob("*.py")), *sorted((ROOT / "app/grading").rglob("*.py"))]
STRUCTURAL = {"join", "name", "legacy"}


def fields(template: str) -> set[str]:
    return {f[1] for f in Formatter().parse(template) if f[1] is not None}


# --- the catalogs --------------------------------------------------------------------------


def test_every_catalog_has_the_same_codes_and_fields() -> None:
    assert set(CATALOGS) >= {"en", "zh"}
    assert EN.keys() == ZH.keys()
    for code in EN:
        if code == "legacy":  # each language takes its own stored words
            continue
        assert fields(EN[code]) == fields(ZH[code]), code
        assert ZH[code] if not code.startswith("sep.") else True, code


def said_codes() -> tuple[set[str], set[str]]:
    """Codes the core passes to ``say`` literally, and prefixes of codes built with f-strings."""
    codes, prefixes = set(), set()
    for path in CORE:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called != "say":
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                codes.add(first.value)
            elif isinstance(first, ast.JoinedStr) and isinstance(first.values[0], ast.Constant):
                prefixes.add(str(first.values[0].value))
            elif isinstance(first, ast.IfExp):
                for branch in (first.body, first.orelse):
                    assert isinstance(branch, ast.Constant), ast.unparse(node)
                    codes.add(branch.value)
            else:  # a code in a variable: listed in the module's tables, checked below
                pass
    return codes, prefixes


def test_every_code_the_core_emits_has_words_in_both_languages() -> None:
    codes, prefixes = said_codes()
    assert {"offered", "queued", "grade.ranked", "churn", "cancel.no_answer"} <= codes
    assert not codes - EN.keys(), sorted(codes - EN.keys())
    for prefix in prefixes:
        assert any(code.startswith(prefix) for code in EN), prefix
    # codes built from a variable: every value they can take
    built = {
        *(f"end.{c}" for c in END_REASONS),
        *(f"channel.{c}" for c in ("voice", "chat")),
        *(f"lifecycle.{s}" for s in ("exploration", "formation", "stable", "decline")),
        *(f"measure.{m}" for m in ("margin", "revenue")),
        *(f"role.{r}" for r in ("account_manager", "last_agent", "complaint_owner")),
        *("skip.absent", "skip.no_one_new", "skip.none", "cause.declined", "cause.no_answer"),
        *("why.offline", "why.offered", "why.busy", "why.wrapup", "cancel.break"),
        *("sep.phrases", "sep.list", "sep.or", "days.short", "money.neg"),
    }
    assert not built - EN.keys(), sorted(built - EN.keys())
    assert not STRUCTURAL - EN.keys()


def test_rendering_uses_str_format_with_a_plural_spec() -> None:
    add_catalog("xx", {"k": "{{x}} {name!r}: {n:,} of {total:.1f} ({word}) {n:|item|items}"})
    try:
        facts = {"name": "a'b", "n": 12345, "total": 3.25, "word": say("rfm.all")}
        assert render(say("k", **facts), "xx") == '{x} "a\'b": 12,345 of 3.2 (all time) items'
        assert render(say("k", **{**facts, "n": 1}), "xx").endswith(" item")
    finally:
        del CATALOGS["xx"]


def test_unknown_codes_missing_facts_and_empties_never_raise() -> None:
    assert render(say("no.such.code", n=1)) == "no.such.code"
    assert render(say("offered", title="x")) == "offered"  # facts missing: the code
    assert render(EMPTY) == "" and render(None) == "" and render("plain") == "plain"
    assert render(join([EMPTY, EMPTY])) == ""
    assert render(join([say("why.busy"), say("why.offline")]), "zh") == "忙碌；离线"
    assert render(join([name("skill", "a"), name("skill", "b")], "list"), "zh") == "a、b"
    assert render([say("why.busy"), "x"], "en") == "busy; x"


def test_legacy_reasons_render_as_stored() -> None:
    legacy = {"code": "legacy", "facts": {"en": "vip: old words", "zh": "贵宾：旧的说法"}}
    assert render(legacy, "en") == "vip: old words"
    assert render(legacy, "zh") == "贵宾：旧的说法"
    before_0003 = {"code": "legacy", "facts": {"en": "vip: old words", "zh": ""}}
    assert render(before_0003, "zh") == "vip: old words"  # no Chinese was stored
    reasons = render_value_reasons({"grade_reason": legacy, "rfm_reason": None}, "zh")
    assert reasons["grade_reason"] == "贵宾：旧的说法" and reasons["rfm_reason"] == ""


def test_a_third_language_is_one_more_catalog() -> None:
    stored = {
        "rule": "vip",
        "step": 1,
        "steps": 2,
        "step_label": say("label.senior"),
        "reason": say("cancel.no_answer", seconds=15),
        "candidates": [{"agent_id": "a", "note": say("why.busy"), "why_not": say("why.busy")}],
    }
    add_catalog("fr", {"cancel.no_answer": "pas de réponse en {seconds:g} s", "why.busy": "occupé"})
    try:
        assert pick_language("fr-CA,fr;q=0.9,en;q=0.5", None, "en") == "fr"
        shown = render_explanation(stored, "fr", Names())
        assert shown["reason"] == "pas de réponse en 15 s"
        assert shown["step_label"] == "senior agents"  # not translated yet: English
        assert shown["candidates"][0]["note"] == "occupé"
        assert shown["candidates"][0]["why_not_message"] == {"code": "why.busy"}
        names = Names({"queue": {"general": {"en": "General", "zh": "综合", "fr": "Général"}}})
        assert render(name("queue", "general"), "fr", names) == "Général"
    finally:
        del CATALOGS["fr"]
    assert pick_language("fr-CA,fr;q=0.9,en;q=0.5", None, "en") == "en"


# --- picking the language ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "query", "default", "expected"),
    [
        (None, None, "en", "en"),
        (None, None, "zh", "zh"),
        (None, None, "de", "en"),  # a default without a catalog
        ("zh-CN,zh;q=0.9,en;q=0.8", None, "en", "zh"),
        ("en-US,en;q=0.9", None, "zh", "en"),
        ("de-DE, zh-Hans-CN;q=0.7, en;q=0.5", None, "en", "zh"),
        ("en;q=0.4, zh-TW;q=0.8", None, "en", "zh"),
        ("zh;q=0, en", None, "zh", "en"),  # q=0 means "not this one"
        ("*", None, "zh", "zh"),
        ("de, fr", None, "zh", "zh"),
        ("garbage;;q=abc,", None, "en", "en"),
        ("en-US", "zh", "en", "zh"),  # ?lang= wins
        ("zh-CN", "ZH_hans", "en", "zh"),
        ("zh-CN", "xx", "en", "zh"),  # an unknown ?lang= is ignored
        ("zh-CN", "en-GB", "zh", "en"),
    ],
)
def test_pick_language(accept, query, default, expected) -> None:
    assert pick_language(accept, query, default) == expected


# --- display names ---------------------------------------------------------------------------


def test_display_names_lookup_order() -> None:
    names = Names({"queue": {"billing": {"en": "Billing", "zh": "账务"}, "x": {"zh": "叉"}}})
    assert names.display("queue", "billing", "zh") == "账务"
    assert names.display("queue", "billing", "fr") == "Billing"
    assert names.display("queue", "nope", "zh") == "nope"  # unknown: the code itself
    assert names.display("rule", "vip", "zh", "vip customer") == "vip customer"
    names.set_defaults("queue", {"billing": "Billing desk", "x": "X desk"})
    assert names.display("queue", "billing", "zh") == "账务"  # names.yaml wins where it has words
    assert names.display("queue", "billing", "de") == "Billing desk"
    assert names.display("queue", "x", "en") == "X desk"


def test_the_shipped_names_file_loads_and_folds_in_the_console_labels() -> None:
    names = load_names(ROOT / "config/names.yaml", ROOT / "config/console.yaml")
    assert names.display("queue", "general", "zh") == "综合服务"
    assert names.display("rule", "vip", "zh") == "贵宾客户"
    assert names.display("break_reason", "lunch", "zh") == "午餐"  # from console.yaml
    assert names.display("break_reason", "missed offers", "zh") == "多次未接"
    assert names.display("disposition", "sale", "en") == "Sale made"
    for kind in ("queue", "rule", "skill", "grade", "break_reason", "reject_reason"):
        for code, words in names.entries(kind).items():
            assert words.get("en") and words.get("zh"), (kind, code)


def test_bad_names_files_are_refused_with_the_place() -> None:
    with pytest.raises(NamesError, match="unknown section 'queus'"):
        parse_names({"queus": {}})
    with pytest.raises(NamesError, match=r"queues\.general"):
        parse_names({"queues": {"general": "General"}})
    with pytest.raises(NamesError, match=r"queues\.general zh"):
        parse_names({"queues": {"general": {"en": "General", "zh": ""}}})
    assert parse_names(None) == {}
