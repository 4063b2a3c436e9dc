// The offer card: who is calling, why it came to you, a countdown, Accept / Reject (with a reason).
import { h, setText, tx } from "../shared/dom.js";
import { icon } from "../shared/icons.js";
import { clock } from "../shared/i18n.js";
import { contactFacts, gradeBadge, said } from "./profile.js";
import { catalog } from "./store.js";

export const REJECT_REASONS = ["not_my_area", "language", "technical", "personal"];

/** Seconds left on an offer, from expires_in and when it arrived (immune to clock skew). */
export function secondsLeft(entry) {
  const total = Number(entry.msg.expires_in ?? 15);
  return total - (Date.now() - entry.receivedAt) / 1000;
}

/** The i18n key that says what an offer is: an incoming call or chat, a callback to make
 *  (an outbound call: the customer is not on the line yet), or a care task. */
export function offerKindKey(contact) {
  if (contact?.channel === "chat") return "offer.incoming.chat";
  if (contact?.channel === "task") return "offer.kind.task";
  if (contact?.direction === "outbound") return "offer.kind.callback";
  return "offer.incoming.voice";
}

export function customerName(msg) {
  return msg.customer?.customer?.name || msg.contact?.from || null;
}

export class OfferCard {
  constructor(entry, { onAccept, onReject }) {
    this.entry = entry;
    this.onAccept = onAccept;
    this.onReject = onReject;
    const { contact, customer, explanation } = entry.msg;
    const channel = contact.channel === "chat" ? "chat" : "voice";
    const value = customer?.value;
    const name = customerName(entry.msg);
    const headingId = `offer-h-${contact.id}`;

    this.secondsEl = h("span", { class: "cd-num num" });
    this.barEl = h("span");
    this.waitedEl = tx("offer.waited", { t: clock(entry.msg.waited || 0) });
    this.acceptBtn = h(
      "button",
      { class: "btn btn-ok btn-lg offer-accept", type: "button", onclick: () => this.accept() },
      icon("check", 18),
      tx("offer.accept"),
      h("kbd", { text: "A" }),
    );
    this.rejectBtn = h(
      "button",
      { class: "btn btn-danger offer-reject", type: "button", "aria-expanded": "false", onclick: () => this.toggleReject(true) },
      tx("offer.reject"),
      h("kbd", { text: "R" }),
    );
    this.rejectPanel = this.buildRejectPanel(contact.id);

    this.el = h(
      "article",
      { class: `offer card ch-${channel}`, "data-contact-id": contact.id, "aria-labelledby": headingId },
      h("div", { class: "offer-bar", "aria-hidden": "true" }, this.barEl),
      h(
        "div",
        { class: "offer-body" },
        h(
          "div",
          { class: "offer-main" },
          h(
            "div",
            { class: "offer-kind" },
            h("span", { class: "offer-icon" }, icon(channel === "chat" ? "chat" : contact.channel === "task" ? "check" : "phone", 16)),
            tx(offerKindKey(contact), null, "offer-kind-label"),
            contact.queue ? [h("span", { class: "sep", text: "·" }), h("span", { label: catalog.queue(contact.queue) })] : null,
            h("span", { class: "sep", text: "·" }),
            this.waitedEl,
          ),
          h(
            "div",
            { class: "offer-who" },
            h("h2", { id: headingId, class: "offer-name" }, name ? h("span", { text: name }) : tx("offer.new_customer")),
            value ? gradeBadge(value.grade, said(value, "grade_reason")) : customer?.customer?.is_prospect ? gradeBadge("prospect") : null,
            value ? h("span", { class: `badge lc lc-${value.lifecycle}` }, tx(`lifecycle.${value.lifecycle}`)) : null,
            customer?.open_promises?.length
              ? h("span", { class: `badge ${customer.open_promises.some((p) => p.overdue) ? "tag-danger" : "tag-warn"}` }, icon("clock", 12), tx("profile.open_promises"), ` ${customer.open_promises.length}`)
              : null,
            customer?.open_complaints?.length
              ? h("span", { class: "badge tag-warn" }, icon("alert", 12), tx("profile.open_complaints"), ` ${customer.open_complaints.length}`)
              : null,
            customer?.customer?.do_not_call ? h("span", { class: "badge tag-danger", i18n: "profile.do_not_call" }) : null,
            customer?.customer?.do_not_message ? h("span", { class: "badge tag-danger", i18n: "profile.do_not_message" }) : null,
          ),
          value?.grade_reason ? h("p", { class: "offer-grade-reason", label: said(value, "grade_reason") }) : null,
          contactFacts(contact, explanation),
        ),
        h(
          "div",
          { class: "offer-side" },
          h(
            "div",
            { class: "countdown", role: "timer", "aria-hidden": "true" },
            this.secondsEl,
            h("span", { class: "cd-unit", text: "s" }),
          ),
          this.acceptBtn,
          this.rejectBtn,
        ),
      ),
      this.rejectPanel,
    );
    this.el.addEventListener("keydown", (e) => this.onKey(e));
    this.tick();
  }

  buildRejectPanel(contactId) {
    const name = `reject-${contactId}`;
    const options = REJECT_REASONS.map((code, n) =>
      h(
        "label",
        { class: "check reject-opt" },
        h("input", { type: "radio", name, value: code, checked: n === 0 }),
        tx(`offer.reject.${code}`),
      ),
    );
    this.confirmRejectBtn = h(
      "button",
      { class: "btn btn-danger-solid btn-sm", type: "button", onclick: () => this.reject() },
      tx("offer.reject_confirm"),
    );
    return h(
      "fieldset",
      { class: "reject-panel", hidden: true },
      h("legend", { i18n: "offer.reject_title" }),
      h("div", { class: "reject-opts" }, options),
      h(
        "div",
        { class: "reject-actions" },
        this.confirmRejectBtn,
        h("button", { class: "btn btn-ghost btn-sm", type: "button", onclick: () => this.toggleReject(false) }, tx("common.cancel"), h("kbd", { text: "Esc" })),
      ),
    );
  }

  get contactId() {
    return this.entry.msg.contact.id;
  }

  get rejecting() {
    return !this.rejectPanel.hidden;
  }

  toggleReject(open) {
    if (this.entry.status !== "open") return;
    this.rejectPanel.hidden = !open;
    this.rejectBtn.setAttribute("aria-expanded", String(open));
    if (open) this.rejectPanel.querySelector("input:checked")?.focus();
    else this.acceptBtn.focus();
  }

  onKey(e) {
    if (this.rejecting && e.key === "Enter" && e.target.type === "radio") {
      e.preventDefault();
      e.stopPropagation();
      this.reject();
    }
  }

  accept() {
    if (this.entry.status !== "open") return;
    if (this.onAccept(this.entry) === false) return;
    this.setBusy();
  }

  reject() {
    if (this.entry.status !== "open") return;
    const reason = this.rejectPanel.querySelector("input:checked")?.value || "other";
    if (this.onReject(this.entry, reason) === false) return;
    this.setBusy();
  }

  setBusy() {
    this.acceptBtn.disabled = true;
    this.rejectBtn.disabled = true;
    this.confirmRejectBtn.disabled = true;
    this.el.classList.add("offer-pending");
  }

  /** Undo setBusy (the server said no). */
  reopen() {
    this.entry.status = "open";
    this.acceptBtn.disabled = false;
    this.rejectBtn.disabled = false;
    this.confirmRejectBtn.disabled = false;
    this.el.classList.remove("offer-pending");
  }

  tick() {
    const left = Math.max(0, secondsLeft(this.entry));
    const total = Number(this.entry.msg.expires_in ?? 15) || 15;
    this.secondsEl.textContent = String(Math.ceil(left));
    this.barEl.style.width = `${Math.max(0, Math.min(100, (left / total) * 100))}%`;
    this.el.classList.toggle("offer-urgent", left <= 5);
    setText(this.waitedEl, "offer.waited", {
      t: clock((this.entry.msg.waited || 0) + (Date.now() - this.entry.receivedAt) / 1000),
    });
    if (left <= 0 && this.entry.status === "open") {
      this.entry.status = "expired";
      this.setBusy();
      this.el.classList.add("offer-expired");
    }
    return left;
  }
}
