"""``config/ivr.yaml``, already read into plain data, checked and turned into
:class:`ivr.flow.model.Flows`. Every mistake raises :class:`FlowError` naming its place
(``ivr.yaml flows.main.nodes.route.branch[1].goto: no node 'menu2'``).

Pure: the host reads the file (YAML) and hands the mapping here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ivr.flow.model import (
    LOOKUPS,
    Branch,
    Collect,
    Condition,
    Finish,
    Flow,
    Flows,
    Lookup,
    Menu,
    Node,
    Option,
    Play,
    PromptItem,
    Value,
)

KINDS = ("lookup", "play", "menu", "collect", "branch", "queue", "hangup", "rate")
KEYS = re.compile(r"[0-9*#]\Z")
NAME = re.compile(r"(?:[a-z]{2}/)?[A-Za-z0-9_]*(?:\{[a-z0-9_.]+\}[A-Za-z0-9_]*)*")
VAR = re.compile(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*\Z")


class FlowError(ValueError):
    """ivr.yaml is wrong; the message names the place."""


def parse_flows(data: Any, source: str = "ivr.yaml") -> Flows:
    """Check and build every flow of the document."""
    top = _mapping(data, source)
    languages = top.get("languages", ["zh", "en"])
    if (
        not isinstance(languages, list)
        or not languages
        or not all(isinstance(x, str) and re.fullmatch(r"[a-z]{2}", x) for x in languages)
    ):
        raise FlowError(f"{source} languages: a list of two-letter language codes")
    flows_data = _mapping(top.get("flows"), f"{source} flows")
    if not flows_data:
        raise FlowError(f"{source} flows: at least one flow")
    flows = {
        str(name): _flow(str(name), body, f"{source} flows.{name}")
        for name, body in flows_data.items()
    }
    return Flows(flows, tuple(languages))


def _flow(name: str, data: Any, where: str) -> Flow:
    body = _mapping(data, where)
    _only(body, ("start", "nodes"), where)
    nodes_data = _mapping(body.get("nodes"), f"{where}.nodes")
    if not nodes_data:
        raise FlowError(f"{where}.nodes: at least one node")
    nodes = {str(k): _node(v, f"{where}.nodes.{k}") for k, v in nodes_data.items()}
    start = body.get("start")
    if not isinstance(start, str) or start not in nodes:
        raise FlowError(f"{where}.start: the name of one of its nodes")
    for node_name, node in nodes.items():
        for place, target in _targets(node):
            if target not in nodes:
                raise FlowError(f"{where}.nodes.{node_name}.{place}: no node {target!r}")
    return Flow(name, start, nodes)


def _node(data: Any, where: str) -> Node:
    body = _mapping(data, where)
    kinds = [k for k in KINDS if k in body]
    if len(kinds) != 1:
        raise FlowError(f"{where}: exactly one of {', '.join(KINDS)}")
    kind = kinds[0]
    value = body[kind]
    if kind == "lookup":
        _only(body, ("lookup", "input", "next", "missing"), where)
        if value not in LOOKUPS:
            raise FlowError(f"{where}.lookup: one of {', '.join(LOOKUPS)}")
        given = body.get("input")
        if value != "caller" and (not isinstance(given, str) or not VAR.match(given)):
            raise FlowError(f"{where}.input: the variable holding the typed number")
        nxt = _goto(body.get("next"), f"{where}.next")
        return Lookup(value, given, nxt, _goto(body.get("missing", nxt), f"{where}.missing"))
    if kind == "play":
        _only(body, ("play", "next"), where)
        return Play(_prompt(value, f"{where}.play"), _goto(body.get("next"), f"{where}.next"))
    if kind == "menu":
        _only(body, ("menu",), where)
        return _menu(value, f"{where}.menu")
    if kind == "collect":
        _only(body, ("collect", "next"), where)
        return _collect(value, _goto(body.get("next"), f"{where}.next"), f"{where}.collect")
    if kind == "branch":
        _only(body, ("branch", "else"), where)
        return _branch(value, body.get("else"), where)
    _only(body, (kind, "prompt"), where)
    prompt = _prompt(body.get("prompt", []), f"{where}.prompt")
    if kind == "hangup":
        if value not in (None, {}, True):
            raise FlowError(f"{where}.hangup: write `hangup: {{}}`")
        return Finish("hangup", prompt)
    if kind == "rate":
        if not isinstance(value, str) or not VAR.match(value):
            raise FlowError(f"{where}.rate: the variable holding the score")
        return Finish("rating", prompt, rating=value)
    spec = _mapping(value, f"{where}.queue")
    _only(spec, ("queue", "intent", "priority", "attributes"), f"{where}.queue")
    queue = spec.get("queue")
    if not isinstance(queue, str) or not queue:
        raise FlowError(f"{where}.queue.queue: the queue's name")
    intent = spec.get("intent")
    if intent is not None and not isinstance(intent, str):
        raise FlowError(f"{where}.queue.intent: text")
    priority = spec.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int | float):
        raise FlowError(f"{where}.queue.priority: a number")
    attrs = _mapping(spec.get("attributes") or {}, f"{where}.queue.attributes")
    for k, v in attrs.items():
        if not isinstance(v, str | int | float | bool):
            raise FlowError(f"{where}.queue.attributes.{k}: text or a number")
    pairs = tuple((str(k), _text(v)) for k, v in attrs.items())
    return Finish("queue", prompt, queue, intent, float(priority), pairs)


def _menu(data: Any, where: str) -> Menu:
    spec = _mapping(data, where)
    _only(spec, ("prompt", "options", "timeout", "retries", "invalid", "fail"), where)
    options_data = _mapping(spec.get("options"), f"{where}.options")
    if not options_data:
        raise FlowError(f"{where}.options: at least one key")
    options: dict[str, Option] = {}
    for key, opt in options_data.items():
        digit = str(key)
        place = f"{where}.options.{digit}"
        if not KEYS.match(digit):
            raise FlowError(f"{place}: a key is one of 0-9, * or # (quote it: '1')")
        if isinstance(opt, str):
            options[digit] = Option(_goto(opt, place))
            continue
        body = _mapping(opt, place)
        _only(body, ("goto", "set"), place)
        options[digit] = Option(_goto(body.get("goto"), f"{place}.goto"), _set(body, place))
    timeout, retries = _timing(spec, where)
    return Menu(
        _prompt(spec.get("prompt"), f"{where}.prompt"),
        options,
        timeout,
        retries,
        _prompt(spec.get("invalid", []), f"{where}.invalid"),
        _goto(spec.get("fail"), f"{where}.fail"),
    )


def _collect(data: Any, nxt: str, where: str) -> Collect:
    spec = _mapping(data, where)
    allowed = ("prompt", "into", "min", "max", "end", "timeout", "retries", "invalid", "fail")
    _only(spec, allowed, where)
    into = spec.get("into")
    if not isinstance(into, str) or not VAR.match(into):
        raise FlowError(f"{where}.into: a variable name (lower case, dots allowed)")
    lo, hi = spec.get("min", 1), spec.get("max", 20)
    if not _int(lo) or not _int(hi) or not 1 <= lo <= hi <= 32:
        raise FlowError(f"{where}.min/max: whole numbers, 1 <= min <= max <= 32")
    end = str(spec.get("end", "#"))
    if not KEYS.match(end) or end.isdigit():
        raise FlowError(f"{where}.end: '#' or '*'")
    timeout, retries = _timing(spec, where)
    return Collect(
        _prompt(spec.get("prompt"), f"{where}.prompt"),
        into,
        lo,
        hi,
        end,
        timeout,
        retries,
        _prompt(spec.get("invalid", []), f"{where}.invalid"),
        nxt,
        _goto(spec.get("fail"), f"{where}.fail"),
    )


def _branch(data: Any, otherwise: Any, where: str) -> Branch:
    if not isinstance(data, list) or not data:
        raise FlowError(f"{where}.branch: a list of {{when: ..., goto: ...}}")
    cases: list[Condition] = []
    for i, case in enumerate(data):
        place = f"{where}.branch[{i}]"
        body = _mapping(case, place)
        _only(body, ("when", "goto"), place)
        when = _mapping(body.get("when"), f"{place}.when")
        if not when:
            raise FlowError(f"{place}.when: at least one variable")
        tests: list[tuple[str, tuple[str, ...]]] = []
        for var, accepted in when.items():
            if not isinstance(var, str) or not VAR.match(var):
                raise FlowError(f"{place}.when: {var!r} is not a variable name")
            values = accepted if isinstance(accepted, list) else [accepted]
            if not values or not all(isinstance(v, str | int | bool) or v is None for v in values):
                raise FlowError(f"{place}.when.{var}: a value or a list of values")
            tests.append((var, tuple(_text(v) for v in values)))
        cases.append(Condition(tuple(tests), _goto(body.get("goto"), f"{place}.goto")))
    return Branch(tuple(cases), _goto(otherwise, f"{where}.else"))


# --- small pieces ---------------------------------------------------------------------------
def _prompt(data: Any, where: str) -> tuple[PromptItem, ...]:
    if data is None:
        raise FlowError(f"{where}: a list of prompt names")
    items = data if isinstance(data, list) else [data]
    out: list[PromptItem] = []
    for i, item in enumerate(items):
        if isinstance(item, str) and item and NAME.fullmatch(item):
            out.append(PromptItem(item))
        elif isinstance(item, dict) and set(item) == {"digits"} and VAR.match(str(item["digits"])):
            out.append(PromptItem(digits=str(item["digits"])))
        else:
            raise FlowError(
                f"{where}[{i}]: a prompt name (letters, digits, _; {{var}} placeholders; "
                "zh/ or en/ before it pins a language) or {digits: variable}"
            )
    return tuple(out)


def _timing(spec: Mapping[str, Any], where: str) -> tuple[float, int]:
    timeout = spec.get("timeout", 5)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 60:
        raise FlowError(f"{where}.timeout: seconds, more than 0 and at most 60")
    retries = spec.get("retries", 2)
    if not _int(retries) or not 0 <= retries <= 10:
        raise FlowError(f"{where}.retries: a whole number from 0 to 10")
    return float(timeout), int(retries)


def _set(body: Mapping[str, Any], where: str) -> tuple[tuple[str, Value], ...]:
    data = _mapping(body.get("set") or {}, f"{where}.set")
    out: list[tuple[str, Value]] = []
    for k, v in data.items():
        if not isinstance(k, str) or not VAR.match(k):
            raise FlowError(f"{where}.set: {k!r} is not a variable name")
        if not isinstance(v, str | int | float | bool) and v is not None:
            raise FlowError(f"{where}.set.{k}: text, a number or true/false")
        out.append((k, v))
    return tuple(out)


def _goto(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise FlowError(f"{where}: the name of a node")
    return value


def _targets(node: Node) -> list[tuple[str, str]]:
    if isinstance(node, Lookup):
        return [("next", node.next), ("missing", node.missing)]
    if isinstance(node, Play):
        return [("next", node.next)]
    if isinstance(node, Menu):
        out = [(f"menu.options.{k}.goto", o.goto) for k, o in node.options.items()]
        return [*out, ("menu.fail", node.fail)]
    if isinstance(node, Collect):
        return [("next", node.next), ("collect.fail", node.fail)]
    if isinstance(node, Branch):
        out = [(f"branch[{i}].goto", c.goto) for i, c in enumerate(node.cases)]
        return [*out, ("else", node.otherwise)]
    return []


def _mapping(data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise FlowError(f"{where}: expected a mapping")
    return data


def _only(body: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = [str(k) for k in body if k not in allowed]
    if unknown:
        raise FlowError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(allowed)})")


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any) -> str:
    """Values compared as text: true/false for booleans, '' for nothing."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
