// The state control in the top bar: what the agent is now (with a timer) and the buttons to
// become available, take a break (with a reason from hello.break_reasons) or go offline.
import { fill, h, setText } from "../shared/dom.js";
import { clock } from "../shared/i18n.js";
import { catalog, store } from "./store.js";

export class StateControl {
  constructor(els, { onSet }) {
    this.els = els;
    this.onSet = onSet;
    els.available.addEventListener("click", () => onSet("available"));
    els.offline.addEventListener("click", () => onSet("offline"));
    els.breakBtn.addEventListener("click", () => this.toggleMenu());
    els.menu.addEventListener("keydown", (e) => this.menuKey(e));
    document.addEventListener("click", (e) => {
      if (!els.menu.hidden && !els.menu.contains(e.target) && e.target !== els.breakBtn && !els.breakBtn.contains(e.target)) {
        this.toggleMenu(false);
      }
    });
  }

  setReasons() {
    fill(
      this.els.menu,
      catalog.breakReasons().map((r) =>
        h("button", {
          class: "menu-item",
          type: "button",
          role: "menuitem",
          "data-reason": r.code,
          label: r,
          onclick: () => {
            this.toggleMenu(false);
            this.onSet("break", r.code);
          },
        }),
      ),
    );
  }

  toggleMenu(open = this.els.menu.hidden) {
    const { menu, breakBtn } = this.els;
    if (open && !menu.children.length) this.setReasons();
    menu.hidden = !open;
    breakBtn.setAttribute("aria-expanded", String(open));
    if (open) menu.querySelector(".menu-item")?.focus();
  }

  menuKey(e) {
    const items = [...this.els.menu.querySelectorAll(".menu-item")];
    const i = items.indexOf(document.activeElement);
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      this.toggleMenu(false);
      this.els.breakBtn.focus();
    } else if (e.key === "ArrowDown") {
      e.preventDefault();
      items[(i + 1) % items.length]?.focus();
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      items[(i - 1 + items.length) % items.length]?.focus();
    }
  }

  render() {
    const a = store.agent;
    const { pill, text, available, breakBtn, offline } = this.els;
    pill.dataset.state = a.state;
    document.body.dataset.agentState = a.state;
    if (a.state === "break" && a.reason) {
      setText(text, "state.break_with", { reason: { $label: catalog.breakReason(a.reason) } });
    } else if (a.pending_break && a.state !== "break") {
      setText(text, "state.pending_break", { reason: { $label: catalog.breakReason(a.pending_break) } });
    } else {
      setText(text, `state.${a.state}`);
    }
    pill.title = text.textContent; // whole, where a narrow window cuts it short
    available.setAttribute("aria-pressed", String(a.state === "available"));
    breakBtn.setAttribute("aria-pressed", String(a.state === "break"));
    offline.setAttribute("aria-pressed", String(a.state === "offline"));
    this.tick();
  }

  /** The earliest end of after-call work among the contacts being wrapped up. */
  wrapupUntil() {
    if (store.agent.wrapup_until) return Date.parse(store.agent.wrapup_until);
    let until = null;
    for (const r of store.contacts.values()) {
      if (r.phase === "wrapup" && r.wrapupUntil) {
        const t = Date.parse(r.wrapupUntil);
        if (until == null || t < until) until = t;
      }
    }
    return until;
  }

  tick() {
    const a = store.agent;
    const { timer } = this.els;
    if (a.state === "wrapup") {
      const until = this.wrapupUntil();
      if (until) {
        const left = (until - Date.now()) / 1000;
        if (left > 0) setText(timer, "state.left", { t: clock(left) });
        else setText(timer, "state.time_up");
        return;
      }
    }
    delete timer.dataset.i18n;
    timer.textContent = a.since && a.state !== "offline" ? clock((Date.now() - Date.parse(a.since)) / 1000) : "";
  }
}
