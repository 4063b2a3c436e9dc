// The customer 360 view (GET /api/customers/{id}/profile, also carried by `offer` and
// `contact.assigned`), interactions as a timeline, complaints with deadlines, and the
// contact's own details: IVR path, what the caller entered, why it was routed here.
import { h, tx } from "../shared/dom.js";
import { icon } from "../shared/icons.js";
import { clock, formatDate, getLang, onLangChange } from "../shared/i18n.js";
import { catalog, store } from "./store.js";

const KNOWN_GRADES = ["vip", "key", "ordinary", "small", "prospect"];

/** <time> that applyI18n re-formats after a language switch. */
export function timeEl(iso, fmt = "datetime") {
  if (!iso) return null;
  return h("time", { datetime: iso, dataset: { fmt }, text: formatDate(iso, fmt) });
}

/**
 * A sentence the server wrote (grade_reason, explanation.reason, a candidate's note, ...) as a
 * {label_en, label_zh} item for dom.js. The server renders it in the page's language (REST:
 * Accept-Language; /ws/agent: ?lang= and "language.set", after which it re-sends the live
 * messages), so both sides hold the same text: there is nothing to choose here.
 */
export function said(obj, key) {
  const value = obj?.[key];
  const text = typeof value === "string" ? value : "";
  return { label_en: text, label_zh: text };
}

/** A title (tooltip) from a said() item, following the language. */
export function saidTitle(el, item) {
  if (!item?.label_en) return el;
  el.dataset.titleEn = item.label_en;
  el.dataset.titleZh = item.label_zh || item.label_en;
  el.title = getLang() === "zh" ? el.dataset.titleZh : el.dataset.titleEn;
  return el;
}

onLangChange((lang) => {
  for (const el of document.querySelectorAll("[data-title-en]")) {
    el.title = lang === "zh" ? el.dataset.titleZh : el.dataset.titleEn;
  }
});

/** The grade badge; `reason` (a said() item) becomes its tooltip. */
export function gradeBadge(grade, reason) {
  const cls = KNOWN_GRADES.includes(grade) ? `grade-${grade}` : "grade-ordinary";
  const el = saidTitle(h("span", { class: `badge grade ${cls}`, "data-grade": grade }), reason);
  el.append(KNOWN_GRADES.includes(grade) ? tx(`grade.${grade}`) : h("span", { text: grade }));
  return el;
}

/** An agent: "you", their name when the server sent one, else "agent #8". */
export function who(agentId, name) {
  if (agentId == null) return null;
  if (store.me && String(agentId) === String(store.me.id)) return tx("common.you");
  if (name) return h("span", { text: name });
  return tx("common.agent_n", { id: agentId });
}

function churnLevel(x) {
  if (x == null) return "low";
  return x < 0.33 ? "low" : x < 0.66 ? "medium" : "high";
}

/** A figure with its label and, under it, a node or a server sentence (a said() item). */
function metric(labelKey, valueNode, sub, cls = "") {
  const sentence = sub && sub.label_en !== undefined;
  if (sentence && !sub.label_en) sub = null;
  return h(
    "div",
    { class: `metric ${cls}` },
    tx(labelKey, null, "metric-label"),
    h("div", { class: "metric-value num" }, valueNode),
    sub
      ? sentence
        ? saidTitle(h("div", { class: "metric-sub", label: sub }), sub)
        : h("div", { class: "metric-sub" }, sub)
      : null,
  );
}

function fact(labelKey, ...value) {
  const parts = value.flat().filter((v) => v != null && v !== "");
  if (!parts.length) return null;
  return [h("dt", { i18n: labelKey }), h("dd", {}, parts)];
}

/** Header + value + facts of a profile. opts.onOpenRecord adds a "Full record" button. */
export function renderProfile(profile, opts = {}) {
  const c = profile.customer;
  const v = profile.value;
  const root = h("div", { class: "profile", "data-customer-id": c.id });

  const badges = h("div", { class: "pf-badges" });
  if (v) badges.append(gradeBadge(v.grade, said(v, "grade_reason")));
  else if (c.is_prospect) badges.append(gradeBadge("prospect"));
  if (v?.override) badges.append(h("span", { class: "badge", i18n: "profile.grade_manual" }));
  if (c.is_prospect && v) badges.append(h("span", { class: "badge", i18n: "profile.prospect" }));
  if (c.do_not_contact) badges.append(h("span", { class: "badge tag-danger", i18n: "profile.do_not_contact" }));
  if (c.do_not_call) badges.append(h("span", { class: "badge tag-danger", i18n: "profile.do_not_call" }));
  if (c.do_not_message) badges.append(h("span", { class: "badge tag-danger", i18n: "profile.do_not_message" }));

  const head = h(
    "header",
    { class: "pf-head" },
    h(
      "div",
      { class: "pf-title" },
      h("h2", { class: "pf-name", text: c.name }),
      badges,
      opts.onOpenRecord
        ? h(
            "button",
            { class: "btn btn-sm btn-ghost pf-open", type: "button", onclick: () => opts.onOpenRecord(c.id) },
            tx("profile.full_record"),
            " →",
          )
        : null,
    ),
    v ? h("p", { class: "pf-reason", label: said(v, "grade_reason") }) : null,
  );
  root.append(head);
  // Open promises first of all (docs/promises.md): what the centre owes this customer.
  if (profile.open_promises?.length) {
    root.append(section("profile.open_promises", profile.open_promises.length, promiseList(profile.open_promises, opts.onSettlePromise)));
  }

  if (v) {
    const level = churnLevel(v.churn_risk);
    const churn = h(
      "span",
      { class: "churn" },
      h("span", { text: `${Math.round((v.churn_risk || 0) * 100)}%` }),
      h("span", { class: `badge churn-${level} ${level === "high" ? "tag-danger" : level === "medium" ? "tag-warn" : "tag-ok"}`, i18n: `churn.${level}` }),
    );
    const bar = h("div", { class: `meter meter-${level}`, "aria-hidden": "true" }, h("span", { style: `width:${Math.round((v.churn_risk || 0) * 100)}%` }));
    root.append(
      h(
        "div",
        { class: "pf-metrics" },
        metric(
          "profile.value_12m",
          moneyNode(v.value_12m),
          v.rank != null ? tx("profile.rank", { rank: v.rank, size: v.base_size }) : null,
        ),
        metric("profile.clv", moneyNode(v.clv), said(v, "clv_reason")),
        metric("profile.lifecycle", h("span", { class: `lifecycle lc-${v.lifecycle}` }, tx(`lifecycle.${v.lifecycle}`)), said(v, "lifecycle_reason")),
        metric("profile.churn", [churn, bar], said(v, "churn_reason")),
      ),
      saidTitle(
        h(
          "div",
          { class: "pf-rfm" },
          h("span", { class: "metric-label", text: "RFM" }),
          ["r", "f", "m"].map((k) => h("span", { class: `rfm-chip rfm-${v[k]}` }, h("b", { text: k.toUpperCase() }), String(v[k] ?? "–"))),
          v.rfm_reason ? h("span", { class: "pf-rfm-reason", label: said(v, "rfm_reason") }) : null,
        ),
        said(v, "rfm_reason"),
      ),
    );
  } else {
    root.append(h("p", { class: "muted pf-novalue", i18n: "profile.no_value" }));
  }

  const rating =
    profile.average_rating != null
      ? h("span", {}, icon("star", 13, "icon star"), " ", tx("profile.ratings", { avg: profile.average_rating, n: profile.ratings }))
      : tx("profile.no_ratings", null, "faint");
  const manager =
    profile.account_manager?.display_name ??
    c.account_manager?.display_name ??
    c.account_manager_name ??
    (c.account_manager_id != null ? who(c.account_manager_id) : null);
  root.append(
    h(
      "dl",
      { class: "pf-facts" },
      fact("profile.phones", (c.phones || []).join(", ")),
      fact("profile.emails", (c.emails || []).join(", ")),
      fact("profile.company", c.company),
      fact("profile.account_manager", manager),
      fact("profile.language", c.language ? tx(`language.${c.language}`) : null),
      fact("profile.since", timeEl(c.created_at, "date")),
      fact("profile.rating", rating),
    ),
  );

  if (opts.withLists !== false) {
    // opts.currentInteraction: the contact on screen, already part of the history; left out.
    const all = profile.last_interactions || [];
    const history = all.filter((i) => String(i.id) !== String(opts.currentInteraction));
    const total = (profile.interaction_count ?? all.length) - (all.length - history.length);
    root.append(
      section(
        "profile.open_complaints",
        profile.open_complaints?.length,
        complaintList(profile.open_complaints || [], "profile.no_complaints"),
      ),
      section(
        "profile.last_interactions",
        total,
        timeline(history, "profile.no_interactions"),
      ),
    );
  }
  return root;
}

/** Money that re-formats with the language (digit grouping). */
export function moneyNode(n) {
  return tx("money", { v: { $money: n } });
}

export function section(titleKey, count, body, extra) {
  return h(
    "section",
    { class: "pf-section" },
    h(
      "h3",
      { class: "pf-section-title" },
      tx(titleKey),
      count != null ? h("span", { class: "count", text: count }) : null,
      extra || null,
    ),
    body,
  );
}

/** Interactions, newest first, as a timeline. */
export function timeline(items, emptyKey) {
  if (!items.length) return h("p", { class: "empty-line", i18n: emptyKey });
  return h(
    "ol",
    { class: "timeline" },
    items.map((i) => {
      const meta = [];
      if (i.wait_seconds != null) meta.push(tx("interaction.wait", { t: clock(i.wait_seconds) }));
      if (i.handle_seconds != null) meta.push(tx("interaction.handle", { t: clock(i.handle_seconds) }));
      if (i.rating != null) meta.push(tx("interaction.rating", { r: i.rating }));
      const by = who(i.agent_id, i.agent_name);
      return h(
        "li",
        { class: `tl-item ch-${i.channel}`, "data-interaction-id": i.id },
        h("span", { class: "tl-icon" }, icon(i.channel === "chat" ? "chat" : "phone", 13)),
        h(
          "div",
          { class: "tl-main" },
          h(
            "div",
            { class: "tl-top" },
            timeEl(i.created_at),
            h("span", { class: "sep", text: "·" }),
            tx(`channel.${i.channel}`),
            i.queue ? [h("span", { class: "sep", text: "·" }), h("span", { label: catalog.queue(i.queue) })] : null,
            by ? [h("span", { class: "sep", text: "·" }), by] : null,
          ),
          h(
            "div",
            { class: "tl-body" },
            i.disposition
              ? h("span", { class: "badge disp", label: catalog.disposition(i.disposition) })
              : i.status === "ended" && i.end_reason
                ? h("span", { class: "badge", i18n: `end.${i.end_reason}` })
                : h("span", { class: "badge", i18n: `istatus.${i.status}` }),
            i.notes ? h("span", { class: "tl-notes", text: i.notes, title: i.notes }) : null,
          ),
          meta.length ? h("div", { class: "tl-meta" }, meta.flatMap((m, n) => (n ? [" · ", m] : [m]))) : null,
        ),
      );
    }),
  );
}

export function dueNode(c) {
  if (!c.due_at || ["resolved", "closed"].includes(c.status)) return null;
  const secs = (Date.parse(c.due_at) - Date.now()) / 1000;
  const overdue = c.overdue || secs < 0;
  return h(
    "span",
    { class: `due ${overdue ? "due-over" : secs < 4 * 3600 ? "due-soon" : ""}`, title: formatDate(c.due_at) },
    icon("clock", 12),
    " ",
    tx(overdue ? "complaint.overdue" : "complaint.due_in", { d: { $dur: Math.abs(secs) } }),
  );
}

/** Open promises, soonest due first; past due ones highlighted. onSettle(id, "kept"|"broken"),
 * when given, adds the buttons that settle one. */
export function promiseList(items, onSettle) {
  if (!items.length) return h("p", { class: "empty-line", i18n: "profile.no_promises" });
  return h(
    "ul",
    { class: "complaints promises" },
    items.map((p) => {
      const overdue = p.overdue || Date.parse(p.due_at) < Date.now();
      return h(
        "li",
        { class: `cp-item pr-item ${overdue ? "cp-overdue" : ""}`, "data-promise-id": p.id },
        h(
          "div",
          { class: "cp-top" },
          h("strong", { text: p.text, title: p.text }),
          h(
            "span",
            { class: `due ${overdue ? "due-over" : ""}`, title: formatDate(p.due_at) },
            icon("clock", 12),
            " ",
            overdue ? tx("promise.overdue") : tx("promise.due", { t: formatDate(p.due_at) }),
          ),
        ),
        h(
          "div",
          { class: "cp-meta faint" },
          p.owner_id != null ? who(p.owner_id, p.owner_name) : null,
          onSettle
            ? ["kept", "broken"].map((outcome) =>
                h("button", { class: "btn btn-sm btn-ghost", type: "button", onclick: () => onSettle(p.id, outcome) }, tx(`promise.mark_${outcome}`)),
              )
            : null,
        ),
      );
    }),
  );
}

export function complaintList(items, emptyKey) {
  if (!items.length) return h("p", { class: "empty-line", i18n: emptyKey });
  return h(
    "ul",
    { class: "complaints" },
    items.map((c) =>
      h(
        "li",
        { class: `cp-item ${c.overdue ? "cp-overdue" : ""}`, "data-complaint-id": c.id },
        h(
          "div",
          { class: "cp-top" },
          h("strong", { label: catalog.category(c.category) }),
          h("span", { class: `badge sev-${c.severity}`, i18n: `severity.${c.severity}` }),
          h("span", { class: `badge st-${c.status}`, text: "" }, tx(`complaint.status.${c.status}`)),
          dueNode(c),
        ),
        h("p", { class: "cp-desc", text: c.description, title: c.description }),
        h(
          "div",
          { class: "cp-meta faint" },
          tx("complaint.n", { id: c.id }),
          " · ",
          timeEl(c.created_at),
          c.owner_id != null ? [" · ", who(c.owner_id, c.owner_name)] : null,
        ),
      ),
    ),
  );
}

// What a callback contact's attributes say (docs/telephony.md, "Callbacks"), shown as one
// line in the agent's words instead of raw keys.
const CALLBACK_KEYS = new Set(["callback", "callback_of", "callback_number", "callback_to", "callback_due", "callback_by", "callback_error", "callback_agent_uri", "requested_via", "callback_opt_out"]);
const CALLBACK_STATES = new Set(["requested", "scheduled", "abandoned", "connected", "failed", "unconfirmed"]);

function callbackLine(a) {
  if (!a.callback) return null;
  const state = CALLBACK_STATES.has(a.callback) ? a.callback : null;
  return h(
    "span",
    { class: `callback-line${a.callback === "failed" ? " callback-failed" : ""}` },
    state ? h("span", { class: "chip", i18n: `callback.${state}` }) : h("span", { class: "chip", text: String(a.callback) }),
    a.callback_number ? h("span", {}, " ", tx("callback.number"), " ", h("b", { class: "num", text: String(a.callback_number) })) : null,
    a.callback_due ? h("span", { class: "faint" }, " · ", tx("callback.due"), " ", timeEl(a.callback_due)) : null,
    a.requested_via === "chat" ? h("span", { class: "faint" }, " · ", tx("callback.via_chat")) : null,
    a.callback_by ? h("span", { class: "faint" }, " · ", String(a.callback_by)) : null,
    a.callback_error ? h("span", { class: "callback-error" }, " · ", String(a.callback_error)) : null,
    a.callback_opt_out ? h("span", { class: "callback-error" }, " · ", tx("callback.opt_out")) : null,
  );
}

function pathItem(step) {
  if (step == null) return "";
  if (typeof step !== "object") return String(step);
  const name = step.label || step.name || step.node || step.menu || step.id || JSON.stringify(step);
  const input = step.input ?? step.digits ?? step.choice ?? step.dtmf;
  return input != null && input !== "" ? `${name} (${input})` : String(name);
}

/** A routing candidate {agent_id, eligible, rank, why_not, note}: "you · 1", "#5 · busy". */
function candidateChip(c) {
  if (c == null || typeof c !== "object") return h("span", { class: "chip", text: String(c ?? "") });
  const id = c.agent_id ?? c.id;
  const me = store.me && id != null && String(id) === String(store.me.id);
  // Colleagues by name when the server gives one, else "agent #8" in the page's language.
  const name = c.display_name || c.username || c.name;
  const whoNode = me ? tx("common.you") : name ? h("span", { text: name }) : tx("common.agent_n", { id });
  const tail =
    c.eligible === false
      ? h("span", { class: "faint" }, " · ", h("span", { label: said(c, "why_not") }))
      : c.rank != null
        ? h("span", { class: "faint" }, " · ", tx("offer.rank", { n: c.rank }))
        : null;
  const chip = h("span", { class: `chip cand ${c.eligible === false ? "cand-no" : ""} ${c.rank === 1 ? "cand-chosen" : ""}` }, whoNode, tail);
  return saidTitle(chip, c.note ? said(c, "note") : said(c, "why_not"));
}

/** IVR path, caller input, routing explanation and wait of a contact. */
export function contactFacts(contact, explanation) {
  const dl = h("dl", { class: "kv" });
  const add = (key, ...value) => {
    const parts = value.flat().filter((x) => x != null && x !== "");
    if (parts.length) dl.append(h("dt", { i18n: key }), h("dd", {}, parts));
  };
  add("offer.queue", contact.queue ? h("span", { label: catalog.queue(contact.queue) }) : null);
  add("offer.from", contact.from);
  add("offer.intent", contact.intent ? h("span", { label: catalog.intent(contact.intent) }) : null);
  add("offer.language", contact.language ? tx(`language.${contact.language}`) : null);
  const path = contact.ivr_path || [];
  if (path.length) {
    add(
      "offer.ivr",
      h(
        "span",
        { class: "ivr-path" },
        path.flatMap((step, n) => [n ? h("span", { class: "chev", "aria-hidden": "true", text: "›" }) : null, h("span", { class: "chip", text: pathItem(step) })]),
      ),
    );
  }
  const callback = callbackLine(contact.attributes || {});
  if (callback) add("offer.callback", callback);
  // A care task (docs/care.md): what to do, in the agent's language, and when it is due.
  const a = contact.attributes || {};
  if (contact.channel === "task") {
    add("offer.task", h("b", { class: "task-text", label: { code: a.care_kind || "", label_en: a.care_text_en || "", label_zh: a.care_text_zh || a.care_text_en || "" } }));
    if (a.care_due) add("offer.task_due", timeEl(a.care_due));
  }
  const attrs = Object.entries(a).filter(([k]) => !CALLBACK_KEYS.has(k) && !k.startsWith("care_"));
  if (attrs.length) {
    add(
      "offer.entered",
      h(
        "span",
        { class: "attrs" },
        attrs.map(([k, v]) => h("span", { class: "chip" }, h("span", { class: "faint", text: `${k}: ` }), typeof v === "object" ? JSON.stringify(v) : String(v))),
      ),
    );
  }
  if (explanation) {
    add("offer.why", h("span", { class: "why", label: said(explanation, "reason") }));
    const bits = [];
    if (explanation.rule) bits.push(h("span", {}, tx("offer.rule"), ": ", h("b", { label: catalog.rule(explanation.rule) })));
    if (explanation.step_label || explanation.step != null) {
      // step is 1-based; steps is how many the rule has.
      const of = explanation.step != null && explanation.steps ? ` (${explanation.step}/${explanation.steps})` : "";
      const label = explanation.step_label ? h("span", { label: said(explanation, "step_label") }) : String(explanation.step);
      bits.push(h("span", {}, tx("offer.step"), ": ", h("b", {}, label, of)));
    }
    if (explanation.priority != null) {
      bits.push(h("span", {}, tx("offer.priority"), ": ", h("b", { class: "num", text: Math.round(explanation.priority * 10) / 10 })));
    }
    if (bits.length) dl.append(h("dt", { class: "sr-only" }, tx("offer.rule")), h("dd", { class: "rule-line" }, bits));
    const cands = explanation.candidates || [];
    if (cands.length) {
      add(
        "offer.candidates",
        h(
          "span",
          { class: "attrs" },
          cands.slice(0, 8).map(candidateChip),
          cands.length > 8 ? h("span", { class: "faint", text: `+${cands.length - 8}` }) : null,
        ),
      );
    }
  }
  return dl;
}
