"""The admin page in headless Chromium against the real server (docs/admin.md): an admin lands
on it after signing in, manages agents and queues, reads the routing policy, and sees each
error the API gives next to the field it names; a supervisor reads; an agent is sent away.

Screenshots of each tab in English and Chinese at 1366×768 and 1920×1080 land in
tests/browser/screenshots/ (gitignored) for a human look.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from config.settings import CONFIG_DIR, Settings
from tests.conftest import PASSWORD, LiveServer, add_agent, make_settings
from tests.helpers import cheap_argon2  # noqa: F401  (autouse fixture)

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).parent / "screenshots"
LAPTOP = {"width": 1366, "height": 768}
WIDE = {"width": 1920, "height": 1080}
TIMEOUT = 8000  # ms
# The visible elements that reach past the window's right edge (none, on a page that fits).
WIDER_THAN_WINDOW = """[...document.querySelectorAll('body *')]
  .filter((el) => el.getClientRects().length && el.getBoundingClientRect().right > innerWidth + 1)
  .slice(0, 5).map((el) => el.tagName + '#' + el.id + '.' + el.className)"""


@pytest.fixture
def db_url(request: pytest.FixtureRequest) -> str:
    """Browser tests run on SQLite only: the page does not care which database is behind."""
    return request.getfixturevalue("sqlite_url")


@pytest.fixture
async def live_settings(db_url: str, tmp_path: Path) -> Settings:
    """The shipped routing policy, in a copy a test may break."""
    routing_file = tmp_path / "routing.yaml"
    shutil.copy(CONFIG_DIR / "routing.yaml", routing_file)
    return make_settings(db_url, tmp_path, routing_file=routing_file)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        await b.close()


async def new_page(browser: Browser, viewport: dict[str, int] = LAPTOP) -> Page:
    context = await browser.new_context(viewport=viewport, locale="en-US")
    context.set_default_timeout(TIMEOUT)
    page = await context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
    return page


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), animations="disabled")


async def sign_in(page: Page, live: LiveServer, username: str, at: str = "/console") -> None:
    await page.goto(f"{live.base_url}{at}")
    await page.fill("#login-user", username)
    await page.fill("#login-pass", PASSWORD)
    await page.click("#login-submit")


async def agent_named(live: LiveServer, username: str) -> dict[str, Any]:
    r = await live.request("GET", "/api/agents")
    assert r.status_code == 200, r.text
    return next(a for a in r.json() if a["username"] == username)


async def queues(live: LiveServer) -> dict[str, dict[str, Any]]:
    for name, display, skills, overflow in (
        ("general", "General enquiries", ["general"], None),
        ("billing", "Billing and invoices", ["billing"], "general"),
        ("complaints", "Complaints", ["complaints"], "general"),
    ):
        body = {"name": name, "display_name": display, "skills": skills}
        r = await live.request("POST", "/api/queues", json=body | {"overflow_queue": overflow})
        assert r.status_code == 201, r.text
    r = await live.request("GET", "/api/queues")
    return {q["name"]: q for q in r.json()}


def sent(method: str, path: str) -> Any:
    """Matches the answer to the page's `method` request to `path` (a prefix ending in /)."""

    def match(response: Any) -> bool:
        url = response.url.split("?")[0]
        at = url[url.index("/api/") :]
        same = at.startswith(path) if path.endswith("/") else at == path
        return response.request.method == method and same

    return match


def field_error(page: Page, form: str, name: str) -> Any:
    return page.locator(f"#{form} [data-field-error={name}]")


async def test_an_admin_creates_edits_and_deactivates_an_agent(
    live: LiveServer, browser: Browser
) -> None:
    await queues(live)
    page = await new_page(browser)
    # Signing in on the console takes an admin to the admin page.
    await sign_in(page, live, "admin")
    await page.wait_for_url("**/admin#agents")
    await expect(page.locator("#agents tr")).to_have_count(3)  # admin, super, alice

    await page.click("#agent-new")
    form = page.locator("#agent-form")
    await form.get_by_label("Username").fill("wang.fang")
    await form.get_by_label("Display name").fill("Wang Fang")
    await form.get_by_label("Password").fill("a-good-passw0rd")
    await form.get_by_label("Role").select_option("agent")
    skill = form.get_by_placeholder("e.g. billing")
    for name in ("billing", "complaints"):
        await skill.fill(name)
        await form.get_by_role("button", name="Add skill").click()
    await (
        form.get_by_role("radiogroup", name="Proficiency of billing")
        .get_by_role("radio", name="4", exact=True)
        .check()
    )
    await (
        form.get_by_role("radiogroup", name="Proficiency of complaints")
        .get_by_role("radio", name="2", exact=True)
        .check()
    )
    langs = form.get_by_role("group", name="Languages").locator("input")
    await langs.fill("en")
    await langs.press("Enter")
    await form.get_by_label("Team").fill("north")
    await form.get_by_label("Chat capacity").fill("4")
    await form.get_by_label("SIP URI").fill("sip:1001@pbx.example.com")
    await page.click("#agent-save")
    await expect(page.locator("#agents tr[data-username='wang.fang']")).to_contain_text("Wang Fang")
    created = await agent_named(live, "wang.fang")
    assert created["skills"] == {"billing": 4, "complaints": 2}
    assert created["languages"] == ["zh", "en"]
    assert (created["team"], created["chat_capacity"], created["role"]) == ("north", 4, "agent")
    assert created["sip_uri"] == "sip:1001@pbx.example.com" and created["active"] is True
    r = await live.client.post(
        "/api/auth/login", json={"username": "wang.fang", "password": "a-good-passw0rd"}
    )
    assert r.status_code == 200

    # Edit: a skill up, one removed, another team, senior, a supervisor now.
    form = page.locator("#agent-form")
    await expect(form.locator("h2")).to_have_text("Wang Fang")
    await (
        form.get_by_role("radiogroup", name="Proficiency of billing")
        .get_by_role("radio", name="5", exact=True)
        .check()
    )
    await form.get_by_role("button", name="Remove skill complaints").click()
    await form.get_by_label("Team").fill("south")
    await form.get_by_label("Senior agent").check()
    await form.get_by_label("Role").select_option("supervisor")
    await page.click("#agent-save")
    await expect(page.locator("#agents tr[data-username='wang.fang']")).to_contain_text(
        "Supervisor"
    )
    edited = await agent_named(live, "wang.fang")
    assert edited["skills"] == {"billing": 5}
    assert (edited["team"], edited["senior"], edited["role"]) == ("south", True, "supervisor")
    assert edited["chat_capacity"] == 4  # untouched fields are not sent, nor changed

    # A new password, generated and shown once: it works, and it is gone when the dialog is.
    await page.click("#agent-reset-pw")
    await page.get_by_label("Generate one and show it once").check()
    await page.click("#pw-submit")
    await expect(page.locator("#pw-shown")).to_be_visible()
    generated = await page.input_value("#pw-generated")
    assert len(generated) == 16
    r = await live.client.post(
        "/api/auth/login", json={"username": "wang.fang", "password": generated}
    )
    assert r.status_code == 200
    await page.click("#pw-done")
    assert await page.input_value("#pw-generated") == ""

    # Deactivate (asked first), and the API says so; the row stays while it is selected.
    await page.click("#agent-deactivate")
    await expect(page.locator("#confirm-dialog")).to_be_visible()
    await expect(page.locator("#confirm-title")).to_have_text("Deactivate Wang Fang?")
    await page.click("#confirm-ok")
    row = page.locator("#agents tr[data-username='wang.fang']")
    await expect(row).to_contain_text("Deactivated")
    assert (await agent_named(live, "wang.fang"))["active"] is False
    await page.click("#agent-reactivate")
    await expect(row).to_contain_text("Active")
    assert (await agent_named(live, "wang.fang"))["active"] is True
    assert page.errors == []  # type: ignore[attr-defined]


async def test_each_api_error_is_shown_next_to_its_field(
    live: LiveServer, browser: Browser
) -> None:
    await queues(live)
    page = await new_page(browser)
    await sign_in(page, live, "admin", at="/admin")
    await page.click("#agent-new")
    form = page.locator("#agent-form")
    await form.get_by_label("Username").fill("alice")  # taken: a 409
    await form.get_by_label("Display name").fill("Another Alice")
    await form.get_by_label("Password").fill("short")  # a 422 first
    async with page.expect_response(sent("POST", "/api/agents")) as answer:
        await page.click("#agent-save")
    assert (await answer.value).status == 422
    await expect(field_error(page, "agent-form", "password")).to_have_text("At least 8 characters.")
    await expect(form.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    # The document's focused element, not Playwright's "focused", which also needs the page
    # to hold the browser's focus: pages earlier tests left open take it at times.
    await page.wait_for_function(
        "() => document.activeElement?.matches('#agent-form input[type=password]')"
    )
    await form.get_by_label("Password").fill("long-enough-1")
    async with page.expect_response(sent("POST", "/api/agents")) as answer:
        await page.click("#agent-save")
    assert (await answer.value).status == 409
    await expect(field_error(page, "agent-form", "username")).to_have_text(
        "This username is taken. Choose another."
    )
    await expect(field_error(page, "agent-form", "password")).to_be_empty()
    await form.get_by_label("SIP URI").fill("1001")
    await form.get_by_label("Username").fill("alice2")
    async with page.expect_response(sent("POST", "/api/agents")) as answer:
        await page.click("#agent-save")
    assert (await answer.value).status == 422
    await expect(field_error(page, "agent-form", "sip_uri")).to_contain_text("sip:1001@")
    await shot(page, "admin-errors-1366-en")

    # In Chinese, in Chinese: never the server's English sentence.
    await page.click("#app .lang-toggle")
    await expect(field_error(page, "agent-form", "sip_uri")).to_contain_text("SIP 地址形如")
    await form.get_by_label("会话容量").fill("99")
    async with page.expect_response(sent("POST", "/api/agents")) as answer:
        await page.click("#agent-save")
    assert (await answer.value).status == 422
    await expect(field_error(page, "agent-form", "chat_capacity")).to_have_text(
        "会话数为 0 到 20。"
    )
    await shot(page, "admin-errors-1366-zh")
    await page.click("#app .lang-toggle")

    # Leaving a form with unsaved input asks first: staying keeps it, discarding moves on.
    await page.click("#agents tr[data-username='admin'] .adm-row-btn")
    await expect(page.locator("#confirm-title")).to_have_text("Discard your changes?")
    await page.locator("#confirm-dialog").get_by_role("button", name="Cancel").click()
    await expect(page.locator("#agent-form").get_by_label("Username")).to_have_value("alice2")
    await page.click("#agents tr[data-username='admin'] .adm-row-btn")
    await page.click("#confirm-ok")

    # The last admin cannot demote itself: said on the form, nothing changed.
    form = page.locator("#agent-form")
    # The admin's own editor first: a choice made on the form being replaced is lost.
    await expect(form.get_by_label("Role")).to_have_value("admin")
    await form.get_by_label("Role").select_option("agent")
    async with page.expect_response(sent("PATCH", "/api/agents/")) as answer:
        await page.click("#agent-save")
    assert (await answer.value).status == 409
    await expect(form.locator(".adm-form-error")).to_contain_text("last active admin")
    assert (await agent_named(live, "admin"))["role"] == "admin"

    # A queue whose overflow would loop back: said next to the overflow.
    await page.click("#tab-queues")
    await page.click("#queues tr[data-name='general'] .adm-row-btn")
    form = page.locator("#queue-form")
    await form.get_by_label("Overflow queue").select_option("billing")
    async with page.expect_response(sent("PATCH", "/api/queues/")) as answer:
        await page.click("#queue-save")
    assert (await answer.value).status == 422
    await expect(field_error(page, "queue-form", "overflow_queue")).to_contain_text("loop")
    assert page.errors == []  # type: ignore[attr-defined]


async def test_an_admin_edits_a_queue_and_reads_the_policy(
    live: LiveServer, browser: Browser
) -> None:
    before = await queues(live)
    page = await new_page(browser)
    await sign_in(page, live, "admin", at="/admin#queues")
    await page.click("#queues tr[data-name='billing'] .adm-row-btn")
    form = page.locator("#queue-form")
    await form.get_by_label("Display name").fill("Billing & refunds")
    chips = form.get_by_role("group", name="Required skills").locator("input")
    await chips.fill("refunds")
    await chips.press("Enter")
    await form.get_by_label("Service-level target (seconds)").fill("25")
    await form.get_by_label("Maximum wait (seconds)").fill("900")
    await form.get_by_label("Overflow queue").select_option("complaints")
    # The queue's own targets per customer grade: VIPs within 10 s, key customers 15 s.
    await form.locator("#queue-grade-vip").fill("10")
    await form.locator("#queue-grade-key").fill("15")
    await page.click("#queue-save")
    await expect(page.locator("#queues tr[data-name='billing']")).to_contain_text(
        "Billing & refunds"
    )
    r = await live.request("GET", "/api/queues")
    billing = next(q for q in r.json() if q["name"] == "billing")
    assert billing["id"] == before["billing"]["id"]
    assert billing["skills"] == ["billing", "refunds"]
    assert (billing["sla_seconds"], billing["max_wait_seconds"]) == (25, 900)
    assert billing["overflow_queue"] == "complaints"
    assert billing["sla_by_grade"] == {"key": 15, "vip": 10}
    # Emptying a box gives the grade back to the defaults.
    await page.click("#queues tr[data-name='billing'] .adm-row-btn")
    form = page.locator("#queue-form")
    await expect(form.locator("#queue-grade-key")).to_have_value("15")
    await form.locator("#queue-grade-key").fill("")
    async with page.expect_response(sent("PATCH", "/api/queues/")) as answer:
        await page.click("#queue-save")
    assert (await answer.value).status == 200
    r = await live.request("GET", "/api/queues")
    billing = next(q for q in r.json() if q["name"] == "billing")
    assert billing["sla_by_grade"] == {"vip": 10}

    # A new queue, overflowing into billing.
    await page.click("#queue-new")
    form = page.locator("#queue-form")
    await form.get_by_label("Name (code)").fill("vip-care")
    await form.get_by_label("Display name").fill("VIP care")
    await form.get_by_label("Service-level target (seconds)").fill("10")
    await form.get_by_label("Overflow queue").select_option("billing")
    await page.click("#queue-save")
    await expect(page.locator("#queues tr[data-name='vip-care']")).to_contain_text(
        "Billing & refunds → Complaints → General enquiries"
    )
    r = await live.request("GET", "/api/queues")
    care = next(q for q in r.json() if q["name"] == "vip-care")
    assert (care["sla_seconds"], care["max_wait_seconds"], care["skills"]) == (10, 600, [])

    # The policy: its rules in order, with their steps; valid.
    await page.click("#tab-policy")
    rules = page.locator("#policy-rules > li")
    await expect(rules).to_have_count(7)
    names = [await r.get_attribute("data-rule") for r in await rules.all()]
    assert names == [
        "open-complaint",
        "vip",
        "key",
        "retention",
        "callback",
        "repeat-contact",
        "default",
    ]
    await expect(page.locator("#policy-status")).to_have_text("Valid")
    vip = page.locator("#policy-rules > li[data-rule=vip]")
    await expect(vip.locator(".adm-step")).to_have_count(4)
    await expect(vip).to_contain_text("Priority +60")
    await expect(vip.locator(".adm-step").nth(1)).to_contain_text("for 60 s")
    await expect(page.locator("#policy-error")).to_have_count(0)

    # Someone breaks the file: read again, the error is shown with the policy still in effect.
    routing_file = live.app.state.hotline.settings.routing_file
    text = routing_file.read_text()
    routing_file.write_text(text.replace("{target: senior, timeout: 60}", "{target: teem}", 1))
    await page.click("#policy-reload")
    await expect(page.locator("#policy-status")).to_have_text("Invalid")
    await expect(page.locator("#policy-error")).to_contain_text("rule 'vip' step 2: unknown target")
    await expect(page.locator("#policy-rules > li")).to_have_count(7)
    await shot(page, "admin-policy-invalid-1366-en")
    assert page.errors == []  # type: ignore[attr-defined]


async def test_an_agent_is_sent_away_and_a_supervisor_only_reads(
    live: LiveServer, browser: Browser
) -> None:
    page = await new_page(browser)
    await sign_in(page, live, "alice", at="/admin")
    await page.wait_for_url("**/console")
    # Even with the page's own state forced, the API refuses an agent.
    r = await live.request("GET", "/api/agents", as_="alice")
    assert r.status_code == 403

    sup = await new_page(browser)
    await sign_in(sup, live, "super", at="/admin")
    await expect(sup.locator("#readonly-note")).to_be_visible()
    await expect(sup.locator("#agent-new")).to_be_hidden()
    await sup.click("#agents tr[data-username='alice'] .adm-row-btn")
    await expect(sup.locator("#agent-form input").first).to_be_disabled()
    await expect(sup.locator("#agent-save")).to_have_count(0)
    await expect(sup.locator("#agent-deactivate")).to_have_count(0)
    await expect(sup.locator("#tab-sims")).to_be_hidden()  # the API runs them for admins only
    await sup.click("#tab-policy")
    await expect(sup.locator("#policy-rules > li")).to_have_count(7)
    await sup.click("#tab-agents")
    await shot(sup, "admin-readonly-1366-en")
    assert sup.errors == []  # type: ignore[attr-defined]


async def test_screenshots_of_every_tab_in_both_languages_and_sizes(
    live: LiveServer, browser: Browser
) -> None:
    await queues(live)
    # Long names and many skills: what a real floor has.
    await add_agent(
        live.uow,
        "ouyang.xiaoqing",
        "agent",
        display_name="欧阳晓晴 (Ouyang Xiaoqing) — Retention & Win-back Specialist",
        skills={"billing": 5, "complaints": 4, "retention": 4, "general": 3, "vip_care": 2},
        team="north-east-escalations-team",
        senior=True,
    )
    await add_agent(live.uow, "li.na", "supervisor", display_name="Li Na", team="north")
    await add_agent(live.uow, "old.timer", "agent", display_name="Old Timer", active=False)
    page = await new_page(browser)
    await sign_in(page, live, "admin", at="/admin")
    await page.click("#agents tr[data-username='ouyang.xiaoqing'] .adm-row-btn")
    for lang in ("en", "zh"):
        if lang == "zh":
            await page.click("#app .lang-toggle")
            await expect(page.locator("#tab-agents")).to_have_text("坐席")
        for size, viewport in (("1366", LAPTOP), ("1920", WIDE)):
            await page.set_viewport_size(viewport)
            await page.click("#tab-agents")
            await shot(page, f"admin-agents-{size}-{lang}")
            await page.click("#agent-new")
            await shot(page, f"admin-new-agent-{size}-{lang}")
            await page.click("#agents tr[data-username='ouyang.xiaoqing'] .adm-row-btn")
            await page.click("#tab-queues")
            await page.click("#queues tr[data-name='billing'] .adm-row-btn")
            await shot(page, f"admin-queues-{size}-{lang}")
            await page.click("#tab-policy")
            await expect(page.locator("#policy-rules > li")).to_have_count(7)
            await shot(page, f"admin-policy-{size}-{lang}")
            await page.locator("#policy-rules > li[data-rule=default]").scroll_into_view_if_needed()
            await shot(page, f"admin-policy-end-{size}-{lang}")
    # Nothing overflows its box sideways at the laptop size.
    await page.set_viewport_size(LAPTOP)
    for tab in ("agents", "queues", "policy"):
        await page.click(f"#tab-{tab}")
        wide = await page.evaluate(WIDER_THAN_WINDOW)
        assert not wide, (tab, wide)
    assert page.errors == []  # type: ignore[attr-defined]


BAD_CANDIDATE = "rules:\n  - name: fast\n    steps:\n      - {target: teem}\n"


async def test_an_admin_simulates_a_candidate_policy_and_opens_its_report(
    live: LiveServer, browser: Browser
) -> None:
    page = await new_page(browser)
    blocked: list[str] = []  # what a CSP refused, on the admin page or the report's tab

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            blocked.append(message.text)

    page.context.on("console", on_console)
    await sign_in(page, live, "admin", at="/admin#sims")
    await expect(page.locator("#tab-sims")).to_have_attribute("aria-selected", "true")
    form = page.locator("#sim-form")
    policy = form.locator("textarea")
    await expect(form.get_by_label("Candidate routing.yaml")).to_be_visible()
    await expect(page.locator("#sims-empty")).to_have_text(
        "No simulations yet. Start one with the form on the right."
    )

    await shot(page, "admin-sims-form-1366-en")

    # A candidate with an unknown target: the checker's words next to the box, rule and line.
    await policy.fill(BAD_CANDIDATE)
    await form.get_by_role("radio", name="Synthetic traffic").check()
    async with page.expect_response(sent("POST", "/api/simulations")) as answer:
        await page.click("#sim-run")
    assert (await answer.value).status == 422
    error = field_error(page, "sim-form", "policy")
    await expect(error).to_contain_text("The candidate policy has an error on line 2:")
    await expect(error).to_contain_text("rule 'fast' step 1: unknown target 'teem'")
    await expect(policy).to_have_attribute("aria-invalid", "true")
    await page.bring_to_front()  # see test_each_api_error_is_shown_next_to_its_field
    await expect(policy).to_be_focused()
    # The line it names is selected in the box.
    selected = await policy.evaluate("a => a.value.slice(a.selectionStart, a.selectionEnd)")
    assert selected == "  - name: fast", selected
    await shot(page, "admin-sims-error-1366-en")

    # The example instead (asked first: it replaces the text), over a synthetic day.
    await page.click("#sim-example")
    await page.click("#confirm-ok")
    await expect(policy).to_have_value(re.compile(r"- name: vip\n"))
    await form.get_by_label("Contacts per hour").fill("1500")
    await form.get_by_label("Mean talk time (s)").fill("180")
    await form.get_by_label("Hours").fill("10")
    async with page.expect_response(sent("POST", "/api/simulations")) as answer:
        await page.click("#sim-run")
    assert (await answer.value).status == 202
    await expect(field_error(page, "sim-form", "policy")).to_be_empty()
    run = page.locator("#sims li.adm-sim").first
    await expect(run).to_contain_text("Synthetic · 1,500/h · talk 180 s · 10 h")
    if await run.get_attribute("data-status") == "running":
        await expect(run.get_by_role("progressbar")).to_be_visible()
        await expect(page.locator("#sim-run")).to_be_disabled()  # one at a time
        await shot(page, "admin-sims-running-1366-en")
    await expect(run).to_have_attribute("data-status", "done", timeout=60_000)
    figures = run.locator(".adm-sim-figs")
    await expect(figures.locator("thead")).to_contain_text("Service level")
    await expect(figures.locator("tbody tr")).to_have_count(3)  # current, candidate, change
    await expect(page.locator("#sim-run")).to_be_enabled()
    await shot(page, "admin-sims-done-1366-en")

    # The report opens in a new tab: the server's page, its charts and its styles.
    async with page.context.expect_page() as opened:
        await run.get_by_role("button", name="Open report").click()
    report = await opened.value
    await report.wait_for_url("blob:**")
    await expect(report.locator("h1")).to_have_text("Routing policy simulation: synthetic traffic")
    await expect(report.locator("svg")).to_have_count(3)
    await expect(report.locator("table tbody tr").first).to_be_visible()
    margin = await report.evaluate("getComputedStyle(document.body).marginTop")
    assert margin == "32px", margin  # the report's own style (2em) applies
    await report.set_viewport_size(LAPTOP)
    await shot(report, "admin-sims-report-1366")
    await report.close()

    # The CSV downloads.
    async with page.expect_download() as download:
        await run.get_by_role("button", name="Download CSV").click()
    got = await download.value
    name = got.suggested_filename
    assert name.startswith("simulation-") and name.endswith(".csv"), name
    csv = await asyncio.to_thread(Path(await got.path()).read_text)
    assert csv.startswith("section,group,figure,current,candidate,difference")

    # Both languages at both sizes; an error in Chinese keeps the checker's words, in a
    # sentence of the page's language.
    await page.click("#app .lang-toggle")
    await expect(page.locator("#tab-sims")).to_have_text("策略模拟")
    await expect(figures.locator("thead")).to_contain_text("服务水平")
    for size, viewport in (("1366", LAPTOP), ("1920", WIDE)):
        await page.set_viewport_size(viewport)
        await shot(page, f"admin-sims-{size}-zh")
    await policy.fill(BAD_CANDIDATE)
    async with page.expect_response(sent("POST", "/api/simulations")) as answer:
        await page.click("#sim-run")
    assert (await answer.value).status == 422
    await expect(error).to_contain_text("候选策略第 2 行有误：")
    await expect(error).to_contain_text("unknown target 'teem'")
    await shot(page, "admin-sims-error-1920-zh")
    await page.click("#app .lang-toggle")
    await page.set_viewport_size(WIDE)
    await shot(page, "admin-sims-1920-en")
    await page.set_viewport_size(LAPTOP)
    wide = await page.evaluate(WIDER_THAN_WINDOW)
    assert not wide, wide
    assert blocked == [], blocked
    assert page.errors == []  # type: ignore[attr-defined]
