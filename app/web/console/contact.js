// One contact the agent holds: a call's controls or a chat's conversation, notes as you go,
// the contact's details, then the wrap-up form and its result.
import { fill, h, setAttrText, setText, tx } from "../shared/dom.js";
import { icon } from "../shared/icons.js";
import { clock, formatDate, t } from "../shared/i18n.js";

const NOTES_DEBOUNCE = 1000; // notes are saved this long after the last keystroke, and on blur
import "./day_words.js";
import { contactFacts, gradeBadge, said } from "./profile.js";
import { catalog, store } from "./store.js";
import { WrapupForm } from "./wrapup.js";

/** A chat message's identity: its seq (from the server), else an older message's id. */
export function messageKey(m) {
  return m.seq != null ? `s${m.seq}` : m.id ?? `${m.from}|${m.at}|${m.text}`;
}

export function recordName(record) {
  return record.customer?.customer?.name || record.contact.from || `#${record.id}`;
}

export class ContactView {
  /** handlers: onEnd, onSend, onNotes, onNotesSave, onWrapup, onDraft, onOpenRecord, onDismiss,
   * onTransfer (record, queue) -> false when it could not be sent */
  constructor(record, handlers) {
    this.record = record;
    this.handlers = handlers;
    this.channel = record.contact.channel === "chat" ? "chat" : "voice";
    this.phase = null;
    this.seen = new Set();

    this.statusEl = h("span", { class: "ph-status" });
    this.timerEl = h("span", { class: "ph-timer num" });
    this.endBtn = h(
      "button",
      { class: "btn btn-danger-solid contact-end", type: "button", onclick: () => this.end() },
      icon(this.channel === "chat" ? "x" : "phone", 16),
      tx(`contact.end.${this.channel}`),
    );
    // Transfer: a button beside "End" that opens a small queue picker under it.
    this.transferBtn = h(
      "button",
      { class: "btn contact-transfer", type: "button", "aria-haspopup": "dialog", "aria-expanded": "false", onclick: () => this.toggleTransfer() },
      icon("route", 16),
      tx("transfer.button"),
    );
    this.transferPop = h("div", { class: "transfer-pop card", role: "dialog", hidden: true });
    setAttrText(this.transferPop, "aria-label", "transfer.title");
    this.transferPop.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.stopPropagation();
        this.closeTransfer(true);
      }
    });
    const value = record.customer?.value;
    this.header = h(
      "header",
      { class: "panel-head" },
      h("span", { class: `ph-icon ch-${this.channel}` }, icon(this.channel === "chat" ? "chat" : "phone", 18)),
      h(
        "div",
        { class: "ph-title" },
        (this.titleLine = h("div", { class: "ph-line" }, h("h2", { class: "ph-name", text: recordName(record) }), value ? gradeBadge(value.grade, said(value, "grade_reason")) : null)),
        h("div", { class: "ph-sub" }, this.statusEl, record.contact.from ? [h("span", { class: "sep", text: "·" }), h("span", { text: record.contact.from })] : null),
      ),
      h("div", { class: "ph-right" }, this.timerEl, this.transferBtn, this.endBtn, this.transferPop),
    );

    // chat
    this.log = h("ol", { class: "chat-log", "aria-live": "polite" });
    setAttrText(this.log, "aria-label", "chat.log");
    this.emptyEl = h("li", { class: "chat-empty faint", i18n: "chat.empty" });
    this.log.append(this.emptyEl);
    this.composer = h("textarea", { class: "chat-input", rows: 2, maxlength: 4000 });
    setAttrText(this.composer, "placeholder", "chat.placeholder");
    setAttrText(this.composer, "aria-label", "chat.placeholder");
    this.composer.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.send();
      }
    });
    this.sendBtn = h("button", { class: "btn btn-primary", type: "button", onclick: () => this.send() }, tx("chat.send"));
    // The customer typing (shown a few seconds after each hint), and the agent's own typing
    // told to the customer at most every 2 s.
    this.typingEl = h("p", { class: "chat-typing faint", hidden: true }, h("span", { class: "typing-dots", "aria-hidden": "true" }, h("i"), h("i"), h("i")), tx("chat.customer_typing"));
    this.typingSent = 0;
    this.composer.addEventListener("input", () => {
      const now = Date.now();
      if (this.composer.value.trim() && now - this.typingSent > 2000) {
        this.typingSent = now;
        this.handlers.onTyping?.(this.record);
      }
    });
    this.cannedRow = h("div", { class: "chat-canned" });
    this.renderCanned();
    this.composerRow = h("div", { class: "chat-compose-wrap" }, this.cannedRow, h("div", { class: "chat-compose" }, this.composer, this.sendBtn));
    this.chatBox = h("div", { class: "chat" }, h("h3", { class: "sr-only", i18n: "chat.log" }), this.log, this.typingEl, this.composerRow);

    // voice
    this.callBox = h(
      "div",
      { class: "call-live" },
      h("span", { class: "call-pulse" }, icon("phone", 22)),
      h("div", {}, h("strong", { i18n: "contact.connected.voice" }), h("p", { class: "muted", i18n: "contact.phone_hint" })),
    );

    // notes as you go
    const notesId = `notes-${record.id}`;
    this.notes = h("textarea", { id: notesId, class: "notes", rows: 5, maxlength: 10000 });
    setAttrText(this.notes, "placeholder", "contact.notes_placeholder");
    this.notes.value = record.notes || "";
    this.notesTimer = null;
    this.notes.addEventListener("input", () => {
      record.notes = this.notes.value;
      handlers.onNotes(record);
      clearTimeout(this.notesTimer);
      this.notesTimer = setTimeout(() => this.saveNotes(), NOTES_DEBOUNCE);
    });
    this.notes.addEventListener("blur", () => this.saveNotes());
    this.notesHint = h("span", { class: "hint faint notes-saved", role: "status", "aria-live": "polite" });
    this.notesBox = h(
      "div",
      { class: "field notes-box" },
      h("label", { for: notesId, i18n: "contact.notes" }),
      this.notes,
      h("span", { class: "hint faint", i18n: "contact.notes_hint" }),
      this.notesHint,
    );
    if (record.notesSavedAt && record.notes === record.notesSaved) this.notesSaved(record.notesSavedAt);

    this.details = h(
      "details",
      { class: "contact-details", open: true },
      h("summary", { i18n: "contact.details" }),
      contactFacts(record.contact, record.explanation),
    );

    this.body = h("div", { class: "panel-body" });
    this.el = h(
      "section",
      { class: `contact-panel ch-${this.channel}`, role: "tabpanel", "data-contact-id": record.id, id: `panel-${record.id}` },
      this.header,
      this.body,
    );
    for (const m of record.messages || []) this.renderMessage(m);
    this.update();
  }

  /** Send the notes to the server (notes.save) when they changed since it last saved them. */
  saveNotes() {
    clearTimeout(this.notesTimer);
    this.notesTimer = null;
    const r = this.record;
    if (r.phase !== "live" || (r.notes || "") === (r.notesSaved ?? "")) return;
    if (this.handlers.onNotesSave?.(r) === false) return;
    setText(this.notesHint, "contact.notes_saving");
  }

  /** The server confirmed the notes (notes.saved): a small "saved" hint. */
  notesSaved(savedAt) {
    setText(this.notesHint, "contact.notes_saved", { t: { $date: savedAt || new Date().toISOString(), style: "time" } });
  }

  /** Notes the server holds (contact.assigned after a reconnect or restart) into the box. */
  setNotes(text) {
    this.record.notes = text;
    if (this.notes.value !== text) this.notes.value = text;
    if (this.form?.notes && this.form.notes.value !== text) this.form.notes.value = text;
  }

  /** Redraw what the server wrote (grade reason, routing explanation), e.g. after the server
   * re-sent the contact in another language; typed text and the phase stay as they are. */
  refresh() {
    const r = this.record;
    const value = r.customer?.value;
    fill(this.titleLine, h("h2", { class: "ph-name", text: recordName(r) }), value ? gradeBadge(value.grade, said(value, "grade_reason")) : null);
    fill(this.details, h("summary", { i18n: "contact.details" }), contactFacts(r.contact, r.explanation));
  }

  /** Re-render for the record's phase (live / wrapup / saved); keeps typed text. */
  update() {
    const r = this.record;
    if (this.phase === r.phase) return;
    this.phase = r.phase;
    this.el.dataset.phase = r.phase;
    this.endBtn.hidden = r.phase !== "live";
    this.endBtn.disabled = false;
    this.transferBtn.hidden = r.phase !== "live" || !this.handlers.onTransfer;
    this.transferBtn.disabled = false;
    if (r.phase !== "live") this.closeTransfer(false);
    this.composerRow.hidden = r.phase !== "live";
    if (r.phase === "live") {
      setText(this.statusEl, `contact.connected.${this.channel}`);
      fill(
        this.body,
        this.channel === "chat" ? this.chatBox : this.callBox,
        h("div", { class: "panel-grid" }, this.notesBox, this.details),
      );
    } else if (r.phase === "wrapup") {
      setText(this.statusEl, "wrapup.title");
      this.form = this.form || new WrapupForm(r, { onChange: this.handlers.onDraft, onSubmit: this.handlers.onWrapup, onExtend: this.handlers.onExtend });
      this.form.notes.value = r.notes || "";
      this.endedNote = h(
        "p",
        { class: "ended-note" },
        r.endedBy && r.endedBy !== "agent" ? tx(r.endReason === "abandoned" ? "contact.ended_abandoned" : "contact.ended_by_customer") : null,
      );
      this.acwEl = h("p", { class: "acw-line", "aria-live": "off" });
      const transcript =
        this.channel === "chat"
          ? h("details", { class: "contact-details" }, h("summary", { i18n: "chat.log" }), this.chatBox)
          : null;
      fill(
        this.body,
        h(
          "div",
          { class: "wrapup-card" },
          h("div", { class: "wu-head" }, h("h3", { i18n: "wrapup.title", id: `wu-title-${r.id}` }), this.acwEl),
          this.endedNote,
          this.form.el,
        ),
        transcript,
        this.details,
      );
      this.details.open = false;
    } else if (r.phase === "saved") {
      setText(this.statusEl, "wrapup.saved");
      const s = r.saved || {};
      fill(
        this.body,
        h(
          "div",
          { class: "saved-card", role: "status", "data-interaction-id": s.interaction_id ?? "", "data-complaint-id": s.complaint_id ?? "" },
          h("span", { class: "saved-icon" }, icon("check", 22)),
          h(
            "div",
            { class: "saved-text" },
            h("h3", { i18n: "wrapup.saved" }),
            s.interaction_id != null ? h("p", { i18n: "wrapup.saved_interaction", args: { id: s.interaction_id } }) : null,
            s.complaint_id != null ? h("p", { i18n: "wrapup.saved_complaint", args: { id: s.complaint_id } }) : null,
            h(
              "div",
              { class: "saved-actions" },
              r.customer?.customer
                ? h("button", { class: "btn", type: "button", onclick: () => this.handlers.onOpenRecord(r.customer.customer.id) }, tx("wrapup.open_record"))
                : null,
              h("button", { class: "btn btn-primary saved-done", type: "button", onclick: () => this.handlers.onDismiss(r) }, tx("wrapup.done")),
            ),
          ),
        ),
      );
    }
    this.tick();
  }

  tick() {
    const r = this.record;
    if (r.phase === "live") {
      this.timerEl.textContent = clock((Date.now() - r.startedAt) / 1000);
    } else if (r.phase === "wrapup") {
      this.timerEl.textContent = r.endedAt ? clock((r.endedAt - r.startedAt) / 1000) : "";
      if (this.acwEl) {
        if (r.wrapupUntil) {
          const left = (Date.parse(r.wrapupUntil) - Date.now()) / 1000;
          this.acwEl.classList.toggle("acw-over", left <= 0);
          if (left > 0) setText(this.acwEl, "wrapup.left", { t: clock(left) });
          else setText(this.acwEl, "wrapup.overdue");
        } else {
          this.acwEl.textContent = "";
        }
      }
    } else {
      this.timerEl.textContent = "";
    }
  }

  /** The queues a live contact can go to: every other queue, with how many wait there. */
  toggleTransfer() {
    if (!this.transferPop.hidden) return this.closeTransfer(true);
    const current = this.record.contact.queue;
    const waiting = new Map((store.waiting || []).map((q) => [q.name, q.waiting]));
    const queues = [...store.queues.values()].filter((q) => q.name !== current);
    const id = `transfer-q-${this.record.id}`;
    if (!queues.length) {
      fill(this.transferPop, h("p", { class: "faint", i18n: "transfer.none" }));
    } else {
      const select = h(
        "select",
        { id, class: "transfer-select" },
        queues.map((q) => {
          const opt = h("option", { value: q.name, label: catalog.queue(q.name) });
          if (waiting.has(q.name)) opt.textContent += ` · ${t("transfer.waiting", { n: waiting.get(q.name) })}`;
          return opt;
        }),
      );
      const go = h(
        "button",
        {
          class: "btn btn-primary transfer-go",
          type: "button",
          onclick: () => {
            if (this.handlers.onTransfer(this.record, select.value) === false) return;
            this.transferBtn.disabled = true;
            this.endBtn.disabled = true;
            this.closeTransfer(false);
          },
        },
        tx("transfer.go"),
      );
      fill(
        this.transferPop,
        h("h3", { class: "transfer-title", i18n: "transfer.title" }),
        h("label", { for: id, i18n: "transfer.queue" }),
        h("div", { class: "transfer-row" }, select, go),
      );
    }
    this.transferPop.hidden = false;
    this.transferBtn.setAttribute("aria-expanded", "true");
    // A click anywhere else closes the picker.
    this.outside = (e) => {
      if (!this.transferPop.contains(e.target) && !this.transferBtn.contains(e.target)) this.closeTransfer(false);
    };
    document.addEventListener("pointerdown", this.outside, true);
    this.transferPop.querySelector("select, button")?.focus();
  }

  closeTransfer(refocus) {
    if (this.transferPop.hidden) return;
    this.transferPop.hidden = true;
    document.removeEventListener("pointerdown", this.outside, true);
    this.transferBtn.setAttribute("aria-expanded", "false");
    if (refocus) this.transferBtn.focus();
  }

  /** The transfer was refused: the buttons come back. */
  transferFailed() {
    this.transferBtn.disabled = false;
    this.endBtn.disabled = false;
  }

  end() {
    if (this.record.phase !== "live") return;
    if (this.handlers.onEnd(this.record) === false) return;
    this.endBtn.disabled = true;
  }

  send() {
    const text = this.composer.value.trim();
    if (!text || this.record.phase !== "live") return;
    if (this.handlers.onSend(this.record, text) === false) return;
    this.lastSent = text;
    this.composer.value = "";
    this.composer.focus();
  }

  /** Add a chat message (once: by its seq, else by id). Returns false when already shown.
   * Messages stand in seq order, whether they came pushed or in a history. */
  renderMessage(m) {
    const key = messageKey(m);
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    const from = ["customer", "agent", "system"].includes(m.from) ? m.from : "system";
    const item = h(
      "li",
      { class: `msg msg-${from}`, dataset: { seq: m.seq ?? "" } },
      h(
        "div",
        { class: "msg-meta" },
        tx(`chat.from.${from}`),
        m.at ? h("time", { datetime: m.at, dataset: { fmt: "time" }, text: formatDate(m.at, "time") }) : null,
        from === "agent" && m.seq != null ? h("span", { class: "msg-state", i18n: `chat.state.${m.state || "sent"}` }) : null,
      ),
      h("div", { class: "msg-text", text: m.text }),
    );
    this.emptyEl.remove();
    const later = m.seq == null ? null : [...this.log.querySelectorAll("li.msg[data-seq]")].find((li) => li.dataset.seq && Number(li.dataset.seq) > m.seq);
    this.log.insertBefore(item, later || null);
    if (from === "customer") this.typingEl.hidden = true; // what they were typing has come
    if (this.receipt) this.setReceipt(this.receipt);
    this.log.scrollTop = this.log.scrollHeight;
    return true;
  }

  /** How far the customer got with the agent's messages (chat.receipt). */
  setReceipt(receipt) {
    this.receipt = receipt;
    for (const li of this.log.querySelectorAll("li.msg-agent[data-seq]")) {
      const seq = Number(li.dataset.seq);
      const state = seq <= receipt.read_seq ? "read" : seq <= receipt.delivered_seq ? "delivered" : null;
      const label = li.querySelector(".msg-state");
      if (state && label) setText(label, `chat.state.${state}`);
    }
  }

  /** The customer is typing: a hint for a few seconds. */
  showTyping() {
    if (this.record.phase !== "live") return;
    this.typingEl.hidden = false;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => (this.typingEl.hidden = true), 5000);
  }

  /** Canned replies (config/chat.yaml, from hello): a click puts one in the reply box, in the
   * console's language, for the agent to adjust and send. */
  renderCanned() {
    const replies = store.hello?.canned_replies || [];
    this.cannedRow.hidden = !replies.length;
    fill(
      this.cannedRow,
      replies.map((reply) => {
        const text = () => (document.documentElement.lang.startsWith("zh") ? reply.zh : reply.en) || reply.en;
        const chip = h("button", { class: "canned-chip", type: "button", title: text(), dataset: { labelEn: reply.en, labelZh: reply.zh } }, text());
        chip.addEventListener("click", () => {
          const box = this.composer;
          box.value = box.value.trim() ? `${box.value.trim()} ${text()}` : text();
          box.focus();
          box.setSelectionRange(box.value.length, box.value.length);
        });
        return chip;
      }),
    );
  }

  /** chat.send was refused: give the agent their text back. */
  sendFailed() {
    if (this.lastSent && !this.composer.value) this.composer.value = this.lastSent;
    this.lastSent = null;
  }

  /** The control the agent needs next: the reply box or the notes of a live contact, the
   * wrap-up form, or "Done" once it is saved (never the page body). */
  focus() {
    const phase = this.record.phase;
    if (phase === "wrapup") this.form?.focus();
    else if (phase === "live") (this.channel === "chat" ? this.composer : this.notes).focus();
    else if (phase === "saved") this.el.querySelector(".saved-done")?.focus();
  }
}
