// The wrap-up form: outcome (disposition), notes, an optional complaint and callback; for a
// care task (channel "task", docs/care.md) the task's outcome too.
import { fill, h, setAttrText, setText, tx } from "../shared/dom.js";
import { catalog, store } from "./store.js";

const SEVERITIES = ["low", "medium", "high", "critical"];

function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function defaultCallback() {
  const d = new Date(Date.now() + 60 * 60 * 1000);
  d.setMinutes(d.getMinutes() < 30 ? 30 : 60, 0, 0);
  return localInputValue(d);
}

/** A datetime-local value ("2026-11-30T14:30") from an ISO time with an offset. */
function localFromIso(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? defaultCallback() : localInputValue(d);
}

/** The form's draft (as kept in the record) from the one the server holds. */
export function draftFromServer(draft) {
  const c = draft.complaint || {};
  const p = draft.promise || {};
  const t = draft.task;
  return {
    disposition: draft.disposition || "",
    complaint: { on: !!c.on, category: c.category || "", severity: c.severity || "medium", description: c.description || "" },
    callback: draft.callback_at ? { on: true, at: localFromIso(draft.callback_at) } : { on: false, at: defaultCallback() },
    promise: { on: !!p.on, text: p.text || "", due: p.due_at ? localFromIso(p.due_at) : defaultCallback() },
    task: t
      ? { reached: t.reached !== false, drift_reason: t.drift_reason || "", offer: t.offer || "", won_back: !!t.won_back, satisfied: t.satisfied || "" }
      : undefined,
  };
}

/** A local datetime-local value as ISO with its offset, or null when empty or invalid. */
function isoOrNull(local) {
  const at = local ? new Date(local) : null;
  return at && !Number.isNaN(at.getTime()) ? at.toISOString() : null;
}

/**
 * Build the form for a record. onChange(record) after each edit (to persist the draft, here
 * and on the server: see draftPayload); onSubmit(record, payload) sends it and returns false
 * when it could not be sent; onExtend(record) asks for more wrap-up time.
 */
export class WrapupForm {
  constructor(record, { onChange, onSubmit, onExtend }) {
    this.record = record;
    this.onChange = onChange;
    this.onSubmit = onSubmit;
    this.onExtend = onExtend;
    const id = record.id;
    const draft = (record.draft = record.draft || {
      disposition: "",
      complaint: { on: false, category: "", severity: "medium", description: "" },
      callback: { on: false, at: defaultCallback() },
    });
    draft.promise = draft.promise || { on: false, text: "", due: defaultCallback() };
    const fid = (name) => `wu-${name}-${id}`;

    this.disposition = h("select", { id: fid("disp"), name: "disposition", required: true });
    this.notes = h("textarea", { id: fid("notes"), name: "notes", rows: 4, maxlength: 10000 });
    this.notes.value = record.notes || "";

    this.complaintOn = h("input", { type: "checkbox", id: fid("cp-on"), name: "complaint" });
    this.complaintOn.checked = draft.complaint.on;
    this.category = h("select", { id: fid("cat"), name: "category" });
    this.fillOptions();
    this.severity = h(
      "div",
      { class: "seg", role: "radiogroup", "aria-labelledby": fid("sev-l") },
      SEVERITIES.map((s) =>
        h(
          "label",
          { class: `seg-opt sev-opt-${s}` },
          h("input", { type: "radio", name: `sev-${id}`, value: s, checked: draft.complaint.severity === s }),
          tx(`severity.${s}`),
        ),
      ),
    );
    this.description = h("textarea", { id: fid("desc"), name: "description", rows: 3, maxlength: 10000 });
    this.description.value = draft.complaint.description;
    this.complaintBox = h(
      "div",
      { class: "wu-sub", hidden: !draft.complaint.on },
      h(
        "div",
        { class: "wu-row" },
        h("div", { class: "field" }, h("label", { for: fid("cat"), i18n: "wrapup.category" }), this.category),
        h("div", { class: "field" }, h("span", { class: "label", id: fid("sev-l"), i18n: "wrapup.severity" }), this.severity),
      ),
      h("div", { class: "field" }, h("label", { for: fid("desc"), i18n: "wrapup.description" }), this.description),
    );

    this.callbackOn = h("input", { type: "checkbox", id: fid("cb-on"), name: "callback" });
    this.callbackOn.checked = draft.callback.on;
    this.callbackAt = h("input", { type: "datetime-local", id: fid("cb-at"), name: "callback_at" });
    this.callbackAt.value = draft.callback.at;
    this.callbackBox = h(
      "div",
      { class: "wu-sub wu-row", hidden: !draft.callback.on },
      h("div", { class: "field" }, h("label", { for: fid("cb-at"), i18n: "wrapup.callback_at" }), this.callbackAt),
    );

    // A promise made to the customer (docs/promises.md): what, due by when; owned by this
    // agent. Kept in the server's draft like the rest, so it is recorded when the wrap-up
    // time ends before the agent saves.
    this.promiseOn = h("input", { type: "checkbox", id: fid("pr-on"), name: "promise" });
    this.promiseOn.checked = draft.promise.on;
    this.promiseText = h("input", { type: "text", id: fid("pr-text"), name: "promise_text", maxlength: "2000" });
    this.promiseText.value = draft.promise.text;
    this.promiseDue = h("input", { type: "datetime-local", id: fid("pr-due"), name: "promise_due" });
    this.promiseDue.value = draft.promise.due;
    this.promiseBox = h(
      "div",
      { class: "wu-sub wu-row", hidden: !draft.promise.on },
      h("div", { class: "field" }, h("label", { for: fid("pr-text"), i18n: "wrapup.promise_text" }), this.promiseText),
      h("div", { class: "field" }, h("label", { for: fid("pr-due"), i18n: "wrapup.promise_due" }), this.promiseDue),
    );
    this.promiseOn.addEventListener("change", () => {
      this.promiseBox.hidden = !this.promiseOn.checked;
    });

    // A care task's outcome, asked by the task's kind (win-back: why and the offer; follow-up:
    // satisfied or not).
    const contact = record.contact || {};
    this.taskKind = contact.channel === "task" ? String(contact.attributes?.care_kind || "") : null;
    this.taskBox = this.taskKind === null ? null : this.buildTask(fid, draft);

    this.errorEl = h("p", { class: "form-error", role: "alert" });
    this.draftHint = h("span", { class: "hint faint wu-draft", role: "status" });
    // More time for the wrap-up, up to the configured maximum (the server says when reached).
    this.moreBtn = h("button", { class: "btn wu-more", type: "button", onclick: () => this.extend() });
    this.moreBtn.disabled = record.canExtend === false;
    this.labelMore();
    this.submitBtn = h(
      "button",
      { class: "btn btn-primary btn-lg", type: "submit" },
      tx("wrapup.submit"),
      h("kbd", { text: "Ctrl+Enter" }),
    );

    this.el = h(
      "form",
      { class: "wrapup", novalidate: true, "aria-labelledby": fid("title") },
      h("div", { class: "field" }, h("label", { for: fid("disp"), i18n: "wrapup.disposition" }), this.disposition),
      h("div", { class: "field" }, h("label", { for: fid("notes"), i18n: "wrapup.notes" }), this.notes),
      h("div", { class: "wu-toggles" }, h("label", { class: "check", for: fid("cp-on") }, this.complaintOn, tx("wrapup.complaint"))),
      this.complaintBox,
      h("div", { class: "wu-toggles" }, h("label", { class: "check", for: fid("cb-on") }, this.callbackOn, tx("wrapup.callback"))),
      this.callbackBox,
      h("div", { class: "wu-toggles" }, h("label", { class: "check", for: fid("pr-on") }, this.promiseOn, tx("wrapup.promises"))),
      this.promiseBox,
      this.taskBox,
      this.errorEl,
      h("div", { class: "wu-actions" }, this.draftHint, this.moreBtn, this.submitBtn),
    );

    this.el.addEventListener("input", () => this.sync());
    this.el.addEventListener("change", () => this.sync());
    this.el.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.el.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.submit();
      }
    });
  }

  buildTask(fid, draft) {
    const t = (draft.task = draft.task || { reached: true, drift_reason: "", offer: "", won_back: false, satisfied: "" });
    this.reached = h("input", { type: "checkbox", id: fid("tk-reached"), name: "reached" });
    this.reached.checked = t.reached;
    const parts = [h("div", { class: "wu-toggles" }, h("label", { class: "check", for: fid("tk-reached") }, this.reached, tx("wrapup.task_reached")))];
    if (this.taskKind === "win_back") {
      this.drift = h("select", { id: fid("tk-drift"), name: "drift_reason" });
      this.fillDrift();
      this.offer = h("input", { type: "text", id: fid("tk-offer"), name: "offer", maxlength: 2000 });
      this.offer.value = t.offer;
      this.wonBack = h("input", { type: "checkbox", id: fid("tk-won"), name: "won_back" });
      this.wonBack.checked = t.won_back;
      parts.push(
        h(
          "div",
          { class: "wu-row" },
          h("div", { class: "field" }, h("label", { for: fid("tk-drift"), i18n: "wrapup.drift_reason" }), this.drift),
          h("div", { class: "field" }, h("label", { for: fid("tk-offer"), i18n: "wrapup.offer" }), this.offer),
        ),
        h("div", { class: "wu-toggles" }, h("label", { class: "check", for: fid("tk-won") }, this.wonBack, tx("wrapup.won_back"))),
      );
    } else if (this.taskKind === "follow_up") {
      this.satisfied = h(
        "div",
        { class: "seg", role: "radiogroup", "aria-labelledby": fid("tk-sat-l") },
        ["yes", "no"].map((v) =>
          h("label", { class: "seg-opt" }, h("input", { type: "radio", name: `sat-${this.record.id}`, value: v, checked: t.satisfied === v }), tx(`wrapup.satisfied_${v}`)),
        ),
      );
      parts.push(h("div", { class: "field" }, h("span", { class: "label", id: fid("tk-sat-l"), i18n: "wrapup.satisfied" }), this.satisfied));
    }
    return h("fieldset", { class: "wu-sub wu-task" }, h("legend", { i18n: "wrapup.task" }), parts);
  }

  fillDrift() {
    if (!this.drift) return;
    fill(this.drift, h("option", { value: "", i18n: "wrapup.choose" }), catalog.driftReasons().map((x) => h("option", { value: x.code, label: x })));
    this.drift.value = this.record.draft.task?.drift_reason || "";
  }

  /** "+60 s": the step comes from hello (a form restored before hello is relabelled). */
  labelMore() {
    const step = Math.round(store.hello?.wrapup_extend_seconds || 60);
    fill(this.moreBtn, tx("wrapup.more_time", { s: step }));
    setAttrText(this.moreBtn, "aria-label", "wrapup.more_time_label", { s: step });
  }

  /** Options come from hello; a form restored before hello gets them when it arrives. */
  fillOptions() {
    if (this.moreBtn) this.labelMore();
    const d = this.record.draft;
    fill(this.disposition, h("option", { value: "", i18n: "wrapup.choose" }), catalog.dispositions().map((x) => h("option", { value: x.code, label: x })));
    fill(this.category, h("option", { value: "", i18n: "wrapup.choose" }), catalog.categories().map((x) => h("option", { value: x.code, label: x })));
    this.disposition.value = d.disposition;
    this.category.value = d.complaint.category;
    this.fillDrift();
  }

  sync() {
    const d = this.record.draft;
    d.disposition = this.disposition.value;
    this.record.notes = this.notes.value;
    d.complaint.on = this.complaintOn.checked;
    d.complaint.category = this.category.value;
    d.complaint.severity = this.el.querySelector(`input[name="sev-${this.record.id}"]:checked`)?.value || "medium";
    d.complaint.description = this.description.value;
    d.callback.on = this.callbackOn.checked;
    d.callback.at = this.callbackAt.value;
    d.promise = { on: this.promiseOn.checked, text: this.promiseText.value, due: this.promiseDue.value };
    this.complaintBox.hidden = !d.complaint.on;
    this.callbackBox.hidden = !d.callback.on;
    this.promiseBox.hidden = !d.promise.on;
    if (this.taskBox) {
      const t = d.task;
      t.reached = this.reached.checked;
      if (this.drift) {
        t.drift_reason = this.drift.value;
        t.offer = this.offer.value;
        t.won_back = this.wonBack.checked;
      }
      if (this.satisfied) t.satisfied = this.satisfied.querySelector("input:checked")?.value || "";
    }
    for (const el of this.el.querySelectorAll("[aria-invalid]")) {
      if (el.value) el.removeAttribute("aria-invalid");
    }
    if (!this.el.querySelector("[aria-invalid]")) {
      delete this.errorEl.dataset.i18n;
      this.errorEl.textContent = "";
    }
    this.onChange(this.record);
  }

  /** The form as the server keeps it while it is filled in (`wrapup.draft`): partial. */
  draftPayload() {
    const d = this.record.draft;
    const payload = {
      contact_id: this.record.id,
      disposition: d.disposition,
      notes: this.record.notes || "",
      complaint: { ...d.complaint },
      callback_at: d.callback.on ? isoOrNull(d.callback.at) : null,
      promise: { on: d.promise.on, text: d.promise.text, due_at: isoOrNull(d.promise.due) },
    };
    if (this.taskBox && d.task) payload.task = { ...d.task };
    return payload;
  }

  /** A draft the server holds (saved from another window): into the fields. */
  setDraft(draft, notes) {
    const task = this.record.draft?.task; // a draft from before the task's part was kept
    const d = (this.record.draft = draftFromServer(draft));
    if (!d.task && task) d.task = task;
    if (this.taskBox && d.task) {
      this.reached.checked = d.task.reached;
      if (this.drift) {
        this.drift.value = d.task.drift_reason;
        this.offer.value = d.task.offer;
        this.wonBack.checked = d.task.won_back;
      }
      if (this.satisfied) for (const r of this.satisfied.querySelectorAll("input")) r.checked = r.value === d.task.satisfied;
    }
    this.promiseOn.checked = d.promise.on;
    this.promiseText.value = d.promise.text;
    this.promiseDue.value = d.promise.due;
    this.promiseBox.hidden = !d.promise.on;
    if (typeof notes === "string") this.record.notes = notes;
    this.disposition.value = d.disposition;
    this.category.value = d.complaint.category;
    this.notes.value = this.record.notes || "";
    this.complaintOn.checked = d.complaint.on;
    for (const r of this.el.querySelectorAll(`input[name="sev-${this.record.id}"]`)) r.checked = r.value === d.complaint.severity;
    this.description.value = d.complaint.description;
    this.callbackOn.checked = d.callback.on;
    this.callbackAt.value = d.callback.at;
    this.complaintBox.hidden = !d.complaint.on;
    this.callbackBox.hidden = !d.callback.on;
  }

  /** The server kept the draft (wrapup.draft_saved). */
  draftSaved(savedAt) {
    setText(this.draftHint, "wrapup.draft_saved", { t: { $date: savedAt || new Date().toISOString(), style: "time" } });
  }

  extend() {
    if (this.moreBtn.disabled) return;
    if (this.onExtend?.(this.record) === false) return;
    this.moreBtn.disabled = true; // until the server answers (wrapup.extended or an error)
  }

  /** The server's answer to "more time": whether it can be extended again. */
  setCanExtend(can) {
    this.record.canExtend = can;
    this.moreBtn.disabled = !can;
  }

  fail(field, key) {
    field.setAttribute("aria-invalid", "true");
    setText(this.errorEl, key);
    field.focus();
    return false;
  }

  submit() {
    if (this.sending) return;
    this.sync();
    const d = this.record.draft;
    delete this.errorEl.dataset.i18n;
    this.errorEl.textContent = "";
    if (!d.disposition) return this.fail(this.disposition, "wrapup.need_disposition");
    const payload = { contact_id: this.record.id, disposition: d.disposition, notes: this.record.notes.trim() };
    if (d.complaint.on) {
      if (!d.complaint.category) return this.fail(this.category, "wrapup.need_category");
      if (!d.complaint.description.trim()) return this.fail(this.description, "wrapup.need_description");
      payload.complaint = {
        category: d.complaint.category,
        severity: d.complaint.severity,
        description: d.complaint.description.trim(),
      };
    }
    if (d.callback.on) {
      const at = new Date(d.callback.at);
      if (!d.callback.at || Number.isNaN(at.getTime()) || at.getTime() < Date.now()) {
        return this.fail(this.callbackAt, "wrapup.need_callback");
      }
      payload.callback_at = at.toISOString();
    }
    if (this.promiseOn.checked) {
      const due = new Date(this.promiseDue.value);
      const text = this.promiseText.value.trim();
      if (!text) return this.fail(this.promiseText, "wrapup.need_promise");
      if (!this.promiseDue.value || Number.isNaN(due.getTime()) || due.getTime() < Date.now()) {
        return this.fail(this.promiseDue, "wrapup.need_promise");
      }
      payload.promises = [{ text, due_at: due.toISOString() }];
    }
    if (this.taskBox) {
      const t = d.task;
      const outcome = { reached: t.reached };
      if (this.drift && t.reached) {
        if (!t.drift_reason) return this.fail(this.drift, "wrapup.need_drift_reason");
        outcome.drift_reason = t.drift_reason;
        if (t.offer.trim()) outcome.offer = t.offer.trim();
        outcome.won_back = t.won_back;
      }
      if (this.satisfied && t.reached) {
        if (!t.satisfied) return this.fail(this.satisfied.querySelector("input"), "wrapup.need_satisfied");
        outcome.satisfied = t.satisfied === "yes";
      }
      payload.task_outcome = outcome;
    }
    if (this.onSubmit(this.record, payload) === false) return false;
    this.sending = true;
    this.submitBtn.disabled = true;
    setText(this.submitBtn, "wrapup.saving");
    return true;
  }

  /** The server refused ({key} or {raw}, see errorText): let the agent fix and resend. */
  failed({ key, raw } = {}) {
    this.sending = false;
    this.submitBtn.disabled = false;
    this.submitBtn.replaceChildren(tx("wrapup.submit"), h("kbd", { text: "Ctrl+Enter" }));
    if (key) setText(this.errorEl, key);
    else if (raw) {
      delete this.errorEl.dataset.i18n;
      this.errorEl.textContent = raw;
    }
  }

  focus() {
    (this.disposition.value ? this.notes : this.disposition).focus();
  }
}
