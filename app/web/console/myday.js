// "My day": what a whole shift needs beside the contact in hand. A one-line strip at the top of
// the workspace (waiting in the agent's queues, today's figures, what needs attention) and a
// view of its own with the panels: queues, today's figures, the agent's open complaints (to
// acknowledge and resolve), their callbacks (to mark done) and the desktop-alert switch.
//
// Polled over REST (GET /api/me/...), not pushed: waiting counts change on every arrival, and a
// poll every few seconds per console costs the server one pass over the waiting contacts,
// whatever the traffic; it needs no new socket message and is right again after a reconnect.
// The figures, complaints and callbacks change with the agent's own work, so they are fetched
// again when that work moves (an offer missed, a wrap-up saved) and slowly otherwise.
import "./day_words.js";
import { ApiError, get, post, query } from "../shared/api.js";
import { fill, h, setAttrText, setText, tx } from "../shared/dom.js";
import { icon } from "../shared/icons.js";
import { clock, formatDate, onLangChange, t } from "../shared/i18n.js";
import { errorToast, toast } from "../shared/toast.js";
import { askPermission, permission } from "./notify.js";
import { dueNode, timeEl } from "./profile.js";
import { catalog, named, store } from "./store.js";

// A queue's name in the page's language (names.yaml), else the display name the server sent.
const queueName = (q) => named("queue", q.name, null, q.display_name);

const QUEUES_EVERY = 5_000; // while the tab is in view
const QUEUES_HIDDEN_EVERY = 30_000; // while it is hidden (offers still come over the socket)
const REST_EVERY = 60_000; // figures, complaints, callbacks: they move with the agent's work
const COMPLAINTS_SHOWN = 50;

// Messages of /ws/agent after which a part of "My day" is out of date.
const STALE_AFTER = {
  "offer.cancelled": ["today", "queues"],
  "contact.assigned": ["queues"],
  "contact.ended": ["today"],
  "wrapup.saved": ["today", "complaints", "callbacks"],
  "contact.transferred": ["queues", "today"],
};

export class MyDay {
  /** els: {strip, view, nav}; handlers: {onOpenRecord, onShow} */
  constructor(els, handlers) {
    this.els = els;
    this.handlers = handlers;
    this.data = { queues: null, today: null, complaints: null, callbacks: null };
    this.failed = false;
    this.timers = [];
    this.resolving = null; // complaint id whose resolve form is open
    this.resolution = ""; // what is typed in it (kept when the list is drawn again)
    this.busy = new Set(); // complaint / callback ids with a request on its way
    this.soon = null;
    this.stale = new Set();
    this.build();
    onLangChange(() => this.render());
    document.addEventListener("visibilitychange", () => {
      if (this.running && document.visibilityState === "visible") this.refresh("queues");
    });
  }

  build() {
    const { view } = this.els;
    this.queuesBody = h("div", { class: "day-body" });
    this.todayBody = h("div", { class: "day-body" });
    this.complaintsBody = h("div", { class: "day-body day-scroll" });
    this.callbacksBody = h("div", { class: "day-body day-scroll" });
    this.notifyBody = h("div", { class: "day-notify" });
    this.complaintsCount = h("span", { class: "count" });
    this.callbacksCount = h("span", { class: "count" });
    const panel = (cls, titleKey, body, extra) =>
      h("section", { class: `day-panel card ${cls}` }, h("h2", { class: "day-title" }, tx(titleKey), extra || null), body);
    fill(
      view,
      h("div", { id: "day-offers", class: "day-offers" }),
      h(
        "div",
        { class: "day-grid" },
        h(
          "div",
          { class: "day-col day-col-side" },
          panel("day-queues", "day.queues", this.queuesBody),
          panel("day-today", "day.today", this.todayBody),
          this.notifyBody,
        ),
        panel("day-complaints", "day.complaints", this.complaintsBody, this.complaintsCount),
        panel("day-callbacks", "day.callbacks", this.callbacksBody, this.callbacksCount),
      ),
    );
  }

  // --- polling ------------------------------------------------------------------------

  start() {
    this.stop();
    this.running = true;
    this.refresh("queues", "today", "complaints", "callbacks");
    const queues = () => {
      this.refresh("queues");
      this.timers[0] = setTimeout(queues, document.visibilityState === "hidden" ? QUEUES_HIDDEN_EVERY : QUEUES_EVERY);
    };
    this.timers = [setTimeout(queues, QUEUES_EVERY), setInterval(() => this.refresh("today", "complaints", "callbacks"), REST_EVERY)];
  }

  stop() {
    this.running = false;
    clearTimeout(this.timers[0]);
    clearInterval(this.timers[1]);
    clearTimeout(this.soon);
    this.timers = [];
    this.data = { queues: null, today: null, complaints: null, callbacks: null };
    this.resolving = null;
    store.waiting = [];
    this.renderStrip(); // signed out: nothing of this agent's day stays on the page
    this.renderNav();
  }

  /** A /ws/agent message: fetch again what it made out of date (batched: a burst of
   * messages costs one round of requests). */
  onMessage(msg) {
    if (!this.running) return;
    this.renderStrip(); // shown or not with the phase of the contacts in hand
    const parts = STALE_AFTER[msg.type];
    if (!parts) return;
    for (const p of parts) this.stale.add(p);
    clearTimeout(this.soon);
    // The record is written just behind routing: give it a moment before reading it.
    this.soon = setTimeout(() => {
      const stale = [...this.stale];
      this.stale.clear();
      this.refresh(...stale);
    }, 400);
  }

  async refresh(...parts) {
    if (!this.running) return;
    const urls = {
      queues: "/api/me/queues",
      today: `/api/me/today${query({ utc_offset: -new Date().getTimezoneOffset() })}`,
      complaints: `/api/me/complaints${query({ limit: COMPLAINTS_SHOWN })}`,
      callbacks: "/api/me/callbacks",
    };
    const results = await Promise.allSettled(parts.map((p) => get(urls[p])));
    if (!this.running) return;
    let failed = false;
    results.forEach((r, i) => {
      if (r.status === "fulfilled") {
        this.data[parts[i]] = r.value;
        if (parts[i] === "queues") store.waiting = r.value.queues;
      } else if (!(r.reason instanceof ApiError && r.reason.status === 401)) failed = true;
    });
    this.failed = failed;
    this.render(parts);
  }

  // --- rendering ----------------------------------------------------------------------

  /** Redraw the strip, the nav count and the panels of `parts` (all by default); the view's
   * panels only while it is shown (shown() draws them all). */
  render(parts = ["queues", "today", "complaints", "callbacks", "notify"]) {
    this.renderStrip();
    this.renderNav();
    if (this.els.view.hidden) return;
    const draw = {
      queues: () => this.renderQueues(),
      today: () => this.renderToday(),
      complaints: () => this.renderComplaints(),
      callbacks: () => this.renderCallbacks(),
      notify: () => this.renderNotify(),
    };
    for (const p of parts) draw[p]?.();
  }

  /** Complaints past their deadline and callbacks due now: what the nav badge counts. */
  attention() {
    const now = Date.now();
    const overdue = (this.data.complaints?.items || []).filter((c) => c.overdue).length;
    const due = (this.data.callbacks?.items || []).filter((c) => Date.parse(c.due_at) <= now).length;
    return overdue + due;
  }

  renderNav() {
    const nav = this.els.nav;
    let badge = nav.querySelector(".nav-count");
    const n = this.attention();
    if (!n) {
      badge?.remove();
      nav.removeAttribute("title");
      delete nav.dataset.i18nAttr;
      return;
    }
    if (!badge) {
      badge = h("span", { class: "nav-count num" });
      nav.append(badge);
    }
    badge.textContent = String(n);
    setAttrText(nav, "title", "nav.day_due", { n });
  }

  renderStrip() {
    const d = this.data;
    const strip = this.els.strip;
    // A wrap-up needs the whole column (its Save stays on screen at 1366 × 768): the strip
    // steps aside until it is saved.
    const wrapping = [...store.contacts.values()].some((r) => r.phase === "wrapup");
    if ((!d.queues && !d.today) || wrapping) {
      strip.hidden = true;
      return;
    }
    strip.hidden = false;
    const queues = d.queues?.queues || [];
    const chips = queues.length
      ? queues.map((q) => {
          const name = queueName(q);
          const chip = h(
            "span",
            { class: `q-chip ${q.waiting ? "q-busy" : ""} ${q.for_you ? "q-mine" : ""}`, "data-queue": q.name },
            h("span", { class: "q-name", label: name }),
            h("span", { class: "q-n num", text: q.waiting }),
          );
          setAttrText(chip, "title", "day.queue_title", { q: { $label: name }, n: q.waiting, m: q.for_you });
          return chip;
        })
      : [tx("day.waiting_none", null, "faint")];
    const today = d.today;
    const figures = today
      ? [
          tx("day.handled_short", { n: today.handled }),
          today.average_handle_seconds != null ? tx("day.aht_short", { t: { $clock: today.average_handle_seconds } }) : null,
          tx("day.missed_short", { n: today.missed_offers }, today.missed_offers ? "strip-warn" : ""),
        ].filter(Boolean)
      : [];
    const complaints = d.complaints?.total ?? 0;
    const overdue = (d.complaints?.items || []).filter((c) => c.overdue).length;
    const callbacks = d.callbacks?.total ?? 0;
    const dueNow = (d.callbacks?.items || []).filter((c) => Date.parse(c.due_at) <= Date.now()).length;
    fill(
      strip,
      h("span", { class: "strip-label", i18n: "day.waiting" }),
      h("span", { class: "q-chips" }, chips),
      figures.length
        ? h(
            "span",
            { class: "strip-figures" },
            h("span", { class: "strip-label", i18n: "day.today" }),
            figures.flatMap((f, i) => (i ? [h("span", { class: "sep", text: "·" }), f] : [f])),
          )
        : null,
      h(
        "button",
        { class: "btn btn-sm btn-ghost strip-open", type: "button", onclick: () => this.handlers.onShow() },
        h("span", { class: `strip-count ${overdue ? "strip-alert" : ""}` }, icon("alert", 13), tx("day.complaints_short", { n: complaints })),
        h("span", { class: `strip-count ${dueNow ? "strip-alert" : ""}` }, icon("phone", 13), tx("day.callbacks_short", { n: callbacks })),
      ),
    );
    setAttrText(strip.querySelector(".strip-open"), "title", "day.open");
  }

  renderQueues() {
    const d = this.data.queues;
    if (!d) return fill(this.queuesBody, h("p", { class: "faint", i18n: "common.loading" }));
    if (!d.queues.length) return fill(this.queuesBody, h("p", { class: "empty-line", i18n: "day.no_queues" }));
    const rows = d.queues.map((q) => {
      const over = q.longest_wait_seconds != null && q.longest_wait_seconds > q.sla_seconds;
      return h(
        "tr",
        { "data-queue": q.name, class: q.for_you ? "q-mine" : "" },
        h("th", { scope: "row", label: queueName(q) }),
        h("td", { class: "num q-waiting", text: q.waiting }),
        h("td", { class: "num q-for-you", text: q.for_you }),
        h(
          "td",
          { class: `num ${over ? "q-over" : ""}` },
          q.longest_wait_seconds != null ? clock(q.longest_wait_seconds) : "—",
          over ? h("span", { class: "sr-only", i18n: "day.q.over_sla", args: { t: { $clock: q.sla_seconds } } }) : null,
        ),
      );
    });
    fill(
      this.queuesBody,
      h(
        "table",
        { class: "day-table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col", i18n: "day.q.queue" }),
            h("th", { scope: "col", class: "num", i18n: "day.q.waiting" }),
            h("th", { scope: "col", class: "num", i18n: "day.q.for_you" }),
            h("th", { scope: "col", class: "num", i18n: "day.q.longest" }),
          ),
        ),
        h("tbody", {}, rows),
      ),
      h("p", { class: "hint faint", i18n: "day.queues_hint" }),
    );
  }

  renderToday() {
    const d = this.data.today;
    if (!d) return fill(this.todayBody, h("p", { class: "faint", i18n: "common.loading" }));
    const metric = (key, value, hintKey, extra, cls = "") =>
      h(
        "div",
        { class: `day-metric ${cls}`, "data-metric": key },
        h("span", { class: "dm-label", i18n: `day.${key}` }),
        h("strong", { class: "dm-value num", text: value }),
        hintKey ? h("span", { class: "dm-hint faint", i18n: hintKey }) : null,
        extra || null,
      );
    fill(
      this.todayBody,
      h(
        "div",
        { class: "day-metrics" },
        metric("handled", String(d.handled)),
        metric("aht", d.average_handle_seconds != null ? clock(d.average_handle_seconds) : t("day.none_yet"), "day.aht_hint"),
        metric(
          "missed",
          String(d.missed_offers),
          "day.missed_hint",
          d.declined_offers ? h("span", { class: "dm-hint faint", i18n: "day.declined", args: { n: d.declined_offers } }) : null,
          d.missed_offers ? "dm-warn" : "",
        ),
      ),
      h("p", { class: "hint faint" }, tx("day.today_since", { t: { $date: d.since, style: "time" } })),
    );
  }

  renderComplaints() {
    const typing = this.complaintsBody.contains(document.activeElement) && document.activeElement.matches("textarea");
    this.drawComplaints();
    // A redraw (a poll, a colleague's change) keeps the agent where they were typing.
    const area = typing ? this.complaintsBody.querySelector("textarea") : null;
    if (area) {
      area.focus();
      area.setSelectionRange(area.value.length, area.value.length);
    }
  }

  drawComplaints() {
    const d = this.data.complaints;
    this.complaintsCount.textContent = d ? String(d.total) : "";
    if (!d) return fill(this.complaintsBody, h("p", { class: "faint", i18n: "common.loading" }));
    if (!d.items.length) return fill(this.complaintsBody, h("p", { class: "empty-line", i18n: "day.no_complaints" }));
    fill(
      this.complaintsBody,
      h("ul", { class: "day-list complaints" }, d.items.map((c) => this.complaintItem(c))),
      d.total > d.items.length ? h("p", { class: "hint faint", i18n: "day.more", args: { n: d.total - d.items.length } }) : null,
    );
  }

  complaintItem(c) {
    const busy = this.busy.has(`c${c.id}`);
    const actions = [];
    if (c.status === "open") actions.push(this.actionBtn(c, "acknowledge", "day.ack", "btn-primary", busy));
    if (c.status === "acknowledged") actions.push(this.actionBtn(c, "start", "day.start", "", busy));
    if (c.status === "acknowledged" || c.status === "in_progress") {
      actions.push(
        h("button", { class: "btn btn-sm cp-resolve", type: "button", disabled: busy, onclick: () => this.openResolve(c) }, tx("day.resolve")),
      );
    }
    const form = this.resolving === c.id ? this.resolveForm(c) : null;
    return h(
      "li",
      { class: `cp-item day-item ${c.overdue ? "cp-overdue" : ""}`, "data-complaint-id": c.id, "data-status": c.status },
      h(
        "div",
        { class: "cp-top" },
        h("strong", { label: catalog.category(c.category) }),
        h("span", { class: `badge sev-${c.severity}`, i18n: `severity.${c.severity}` }),
        h("span", { class: `badge st-${c.status}` }, tx(`complaint.status.${c.status}`)),
        dueNode(c),
      ),
      h(
        "div",
        { class: "day-who" },
        h(
          "button",
          { class: "link-btn", type: "button", onclick: () => this.handlers.onOpenRecord(c.customer_id) },
          icon("user", 12),
          h("span", { text: c.customer_name || `#${c.customer_id}` }),
        ),
        h("span", { class: "faint" }, " · ", tx("complaint.n", { id: c.id }), " · ", timeEl(c.created_at)),
      ),
      h("p", { class: "cp-desc", text: c.description, title: c.description }),
      form || (actions.length ? h("div", { class: "day-actions" }, actions) : null),
    );
  }

  actionBtn(c, action, key, cls, busy) {
    return h(
      "button",
      { class: `btn btn-sm ${cls} cp-${action}`, type: "button", disabled: busy, onclick: () => this.transition(c, action) },
      tx(key),
    );
  }

  openResolve(c) {
    this.resolving = c.id;
    this.resolution = "";
    this.renderComplaints();
    this.complaintsBody.querySelector(`[data-complaint-id="${c.id}"] textarea`)?.focus();
  }

  resolveForm(c) {
    const id = `resolution-${c.id}`;
    const area = h("textarea", { id, class: "day-resolution", rows: 2, maxlength: 2000, required: true });
    area.value = this.resolution;
    area.addEventListener("input", () => {
      this.resolution = area.value;
    });
    const error = h("p", { class: "form-error", role: "alert" });
    const submit = (e) => {
      e.preventDefault();
      const text = area.value.trim();
      if (!text) {
        setText(error, "day.need_resolution");
        area.focus();
        return;
      }
      this.resolve(c, text);
    };
    return h(
      "form",
      { class: "day-resolve", onsubmit: submit },
      h("label", { for: id, i18n: "day.resolution" }),
      area,
      error,
      h(
        "div",
        { class: "day-actions" },
        h("button", { class: "btn btn-sm btn-primary", type: "submit" }, tx("day.resolve_save")),
        h(
          "button",
          {
            class: "btn btn-sm btn-ghost",
            type: "button",
            onclick: () => {
              this.resolving = null;
              this.renderComplaints();
            },
          },
          tx("common.cancel"),
        ),
      ),
    );
  }

  async transition(c, action) {
    const note = t(action === "acknowledge" ? "day.ack_note" : "day.start_note");
    await this.complaintRequest(c, async () => {
      await post(`/api/complaints/${c.id}/transitions`, { action, note });
      toast({ kind: "success", text: action === "acknowledge" ? "day.acked" : "day.started", args: { id: c.id }, timeout: 3000 });
    });
  }

  async resolve(c, resolution) {
    await this.complaintRequest(c, async () => {
      // Resolving is a move from "in progress": an acknowledged complaint starts first (if the
      // second step fails it stays in progress, which is where it truly is).
      if (c.status === "acknowledged") {
        await post(`/api/complaints/${c.id}/transitions`, { action: "start", note: t("day.start_note") });
      }
      await post(`/api/complaints/${c.id}/transitions`, { action: "resolve", note: resolution, resolution });
      this.resolving = null;
      this.resolution = "";
      toast({ kind: "success", text: "day.resolved", args: { id: c.id }, timeout: 3000 });
    });
  }

  async complaintRequest(c, fn) {
    const key = `c${c.id}`;
    if (this.busy.has(key)) return;
    this.busy.add(key);
    this.renderComplaints();
    try {
      await fn();
    } catch (err) {
      errorToast(err);
    } finally {
      this.busy.delete(key);
      // Whatever happened (a colleague may have moved it): show the complaint as it is now.
      await this.refresh("complaints");
    }
  }

  renderCallbacks() {
    const d = this.data.callbacks;
    this.callbacksCount.textContent = d ? String(d.total) : "";
    if (!d) return fill(this.callbacksBody, h("p", { class: "faint", i18n: "common.loading" }));
    if (!d.items.length) return fill(this.callbacksBody, h("p", { class: "empty-line", i18n: "day.no_callbacks" }));
    const now = Date.now();
    fill(
      this.callbacksBody,
      h(
        "ul",
        { class: "day-list callbacks" },
        d.items.map((cb) => {
          const due = Date.parse(cb.due_at);
          const overdue = due <= now;
          const sameDay = new Date(due).toDateString() === new Date(now).toDateString();
          const when = { $date: cb.due_at, style: sameDay ? "time" : "datetime" };
          const busy = this.busy.has(`cb${cb.interaction_id}`);
          const name = cb.customer_name;
          const done = h(
            "button",
            { class: "btn btn-sm btn-ok cb-done", type: "button", disabled: busy, onclick: () => this.callbackDone(cb) },
            icon("check", 14),
            tx("day.callback_done"),
          );
          setAttrText(done, "aria-label", "day.callback_done_title", { name });
          return h(
            "li",
            { class: `cb-item day-item ${overdue ? "cb-overdue" : ""}`, "data-interaction-id": cb.interaction_id },
            h(
              "div",
              { class: "cb-when" },
              icon("clock", 14),
              h("time", { datetime: cb.due_at, class: "num", title: formatDate(cb.due_at) }, tx(overdue ? "day.callback_overdue" : "day.callback_due", { t: when })),
            ),
            h(
              "div",
              { class: "cb-main" },
              h(
                "button",
                { class: "link-btn cb-customer", type: "button", onclick: () => this.handlers.onOpenRecord(cb.customer_id) },
                h("span", { text: name }),
              ),
              cb.from_address
                ? h("a", { class: "cb-phone num", href: `tel:${cb.from_address}`, title: t("day.call_from", { n: cb.from_address }) }, cb.from_address)
                : null,
              cb.disposition ? h("span", { class: "badge disp", label: catalog.disposition(cb.disposition) }) : null,
            ),
            cb.notes ? h("p", { class: "cb-notes faint", text: cb.notes, title: cb.notes }) : null,
            h("div", { class: "day-actions" }, done),
          );
        }),
      ),
    );
  }

  async callbackDone(cb) {
    const key = `cb${cb.interaction_id}`;
    if (this.busy.has(key)) return;
    this.busy.add(key);
    this.renderCallbacks();
    try {
      await post(`/api/me/callbacks/${cb.interaction_id}/done`);
      toast({ kind: "success", text: "day.callback_marked", args: { name: cb.customer_name }, timeout: 3000 });
    } catch (err) {
      errorToast(err);
    } finally {
      this.busy.delete(key);
      await this.refresh("callbacks");
    }
  }

  renderNotify() {
    const state = permission();
    fill(
      this.notifyBody,
      h("span", { class: "day-notify-icon" }, icon(state === "granted" ? "bell" : "bell-off", 16)),
      h("div", {}, h("strong", { i18n: "day.notify" }), h("p", { class: "faint", i18n: `day.notify.${state}` })),
      state === "default"
        ? h(
            "button",
            {
              class: "btn btn-sm notify-enable",
              type: "button",
              onclick: async () => {
                await askPermission();
                this.renderNotify();
              },
            },
            tx("day.notify.enable"),
          )
        : null,
    );
    this.notifyBody.dataset.permission = state;
  }

  /** The view is shown: draw it as it is now (it is not redrawn while hidden). */
  shown() {
    this.render();
    if (this.failed) toast({ kind: "error", text: "day.refresh_failed", timeout: 4000 });
  }
}

