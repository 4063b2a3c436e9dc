// The parts of the workspace drawn from the store: contact tabs, the idle message and the
// customer column (the screen pop of the offer, else of the selected contact).
import { fill, h, tx } from "../shared/dom.js";
import { icon } from "../shared/icons.js";
import { recordName } from "./contact.js";
import { renderProfile } from "./profile.js";
import { store } from "./store.js";

/** Tabs when the agent holds two or more contacts (chats); shows the selected panel only. */
export function renderTabs(tabs, views, onSelect) {
  const records = [...store.contacts.values()];
  if (store.selected != null && !store.contacts.has(store.selected)) store.selected = records.at(-1)?.id ?? null;
  for (const [id, v] of views) v.el.hidden = id !== store.selected;
  tabs.hidden = records.length < 2;
  if (tabs.hidden) return;
  fill(
    tabs,
    records.map((r) => {
      const selected = r.id === store.selected;
      const channel = r.contact.channel === "chat" ? "chat" : "voice";
      return h(
        "button",
        {
          class: `tab ph-${r.phase}`,
          type: "button",
          role: "tab",
          "aria-selected": String(selected),
          "aria-controls": `panel-${r.id}`,
          tabindex: selected ? "0" : "-1",
          "data-contact-id": r.id,
          onclick: () => onSelect(r.id),
        },
        icon(channel, 14),
        h("span", { class: "tab-name", text: recordName(r) }),
        r.phase === "wrapup" ? h("span", { class: "badge tab-phase", i18n: "contact.wrapping" }) : null,
        r.phase === "saved" ? h("span", { class: "badge tag-ok tab-phase", i18n: "contact.saved" }) : null,
        r.unread ? h("span", { class: "unread", text: r.unread }) : null,
      );
    }),
  );
}

/** Arrow keys move between tabs (the ARIA tabs pattern). */
export function tabKeys(tabs, onSelect) {
  tabs.addEventListener("keydown", (e) => {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    const all = [...tabs.querySelectorAll('[role="tab"]')];
    const i = all.indexOf(document.activeElement);
    if (i < 0) return;
    e.preventDefault();
    const next = all[(i + (e.key === "ArrowRight" ? 1 : all.length - 1)) % all.length];
    onSelect(next.dataset.contactId);
    tabs.querySelector(`[data-contact-id="${next.dataset.contactId}"]`)?.focus();
  });
}

/** What to show when there is no offer and no contact: depends on the agent's state. */
export function renderIdle(idle, { connecting, onAvailable }) {
  const show = store.contacts.size === 0 && store.offers.size === 0;
  idle.hidden = !show;
  if (!show) return;
  let state = connecting ? "connecting" : store.agent.state;
  if (state === "break" && store.agent.reason === "not_ready") state = "not_ready";
  const canGo = ["offline", "break", "not_ready"].includes(state);
  fill(
    idle,
    h(
      "div",
      { class: `idle-card idle-${state}` },
      h("span", { class: "idle-dot", "aria-hidden": "true" }),
      h("h2", { i18n: `idle.${state}.title` }),
      h("p", { class: "muted", i18n: `idle.${state}.body` }),
      canGo
        ? h("button", { class: "btn btn-ok btn-lg idle-go", type: "button", onclick: onAvailable }, tx("state.go_available"))
        : null,
    ),
  );
}

export class CustomerColumn {
  constructor(col, { onOpenRecord }) {
    this.col = col;
    this.onOpenRecord = onOpenRecord;
    this.key = null;
  }

  /** Redraw on the next render even if the same contact is shown (the profile changed). */
  invalidate() {
    this.key = null;
  }

  render() {
    const offer = [...store.offers.values()].at(-1);
    const record = store.contacts.get(store.selected);
    const source = offer
      ? { kind: "offer", customer: offer.msg.customer, contact: offer.msg.contact }
      : record
        ? { kind: "contact", customer: record.customer, contact: record.contact }
        : null;
    const key = source ? `${source.kind}:${source.contact.id}:${source.customer?.customer?.id ?? ""}` : "none";
    if (key === this.key) return;
    this.key = key;
    const col = this.col;
    if (!source) {
      fill(col, h("div", { class: "customer-empty" }, icon("user", 28), h("p", { i18n: "profile.empty" })));
      return;
    }
    if (!source.customer?.customer) {
      fill(
        col,
        h("div", { class: "customer-empty" }, icon("user", 28), h("h2", { i18n: "offer.new_customer" }), h("p", { text: source.contact.from || "" })),
      );
      return;
    }
    // The contact itself is already in the customer's history; leave it out of the pop.
    const currentInteraction = source.contact.interaction_id ?? source.contact.id;
    fill(col, renderProfile(source.customer, { onOpenRecord: this.onOpenRecord, currentInteraction }));
    col.scrollTop = 0;
  }
}
