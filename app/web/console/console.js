// The agent console: sign-in, the /ws/agent conversation, and the wiring between the parts.
import { get, revoke, session, wsUrl } from "../shared/api.js";
import { fill, h, isTyping, setText, tx } from "../shared/dom.js";
import { getLang, hasKey, onLangChange, t } from "../shared/i18n.js";
import { icon } from "../shared/icons.js";
import { endSession, resumeSession, setupSignIn } from "../shared/signin.js";
import { errorText, errorToast, toast } from "../shared/toast.js";
import { ContactView, messageKey } from "./contact.js";
import { installShortcuts } from "./keys.js";
import { customerName, OfferCard, offerKindKey } from "./offer.js";
import { CustomerColumn, renderIdle, renderTabs, tabKeys } from "./panels.js";
import { MyDay } from "./myday.js";
import * as notify from "./notify.js";
import { CustomersView } from "./search.js";
import { AgentSocket } from "./socket.js";
import { chime, setSound, soundOn, unlockAudio } from "./sound.js";
import { StateControl } from "./state.js";
import { catalog, forgetSession, newRecord, persist, persistNow, restoreContacts, store } from "./store.js";
import { draftFromServer } from "./wrapup.js";

const $ = (id) => document.getElementById(id);
const CHIME_EVERY = 5000;
const DRAFT_DEBOUNCE = 500; // the wrap-up form goes to the server this long after an edit

const cards = new Map(); // contact_id -> OfferCard
const views = new Map(); // contact_id -> ContactView
const pending = new Map(); // message id -> {type, contactId}
let socket = null;
let stateCtl = null;
let customers = null;
let ticker = null;
let reconcileRef = null;
let lostToast = null;
let customerCol = null;
const draftTimers = new Map(); // contact_id -> timer of its next wrapup.draft
let myDay = null;

// --- sign in / out ----------------------------------------------------------------------

/** The session ends (signin.js clears it and shows the form): drop what it left here. */
function stopConsole() {
  if (socket) socket.stop();
  socket = null;
  for (const timer of draftTimers.values()) clearTimeout(timer);
  draftTimers.clear();
  if ($("takeover")?.open) $("takeover").close();
  clearInterval(ticker);
  ticker = null;
  for (const c of cards.values()) c.el.remove();
  cards.clear();
  for (const v of views.values()) v.el.remove();
  views.clear();
  store.offers.clear();
  store.contacts.clear(); // kept in sessionStorage for the same agent's next sign-in
  store.selected = null;
  store.hello = null;
  myDay.stop();
  notify.clearAll();
  if (lostToast) lostToast();
  lostToast = null;
  customerCol.invalidate();
}

function logout() {
  const busy = [...store.contacts.values()].some((r) => r.phase === "live" || r.phase === "wrapup");
  if (busy) {
    toast({ kind: "error", title: "err.title.conflict", text: "err.logout_blocked" });
    return;
  }
  if (socket?.isOpen) socket.send("state.set", { state: "offline" });
  const token = session.token;
  forgetSession();
  // Give the offline message a moment to leave before the socket closes; then revoke the
  // token on the server, so it is worth nothing even if it was copied.
  setTimeout(() => {
    endSession("login.signed_out");
    revoke(token);
  }, 150);
}

// --- the console ------------------------------------------------------------------------

/** Signed in (signin.js has shown #app). Supervisors and admins never get here: they watch
 * the floor on the wallboard and run the admin page; the console is for taking contacts. */
function startConsole(agent) {
  store.me = agent;
  restoreContacts();
  $("agent-name").textContent = store.me?.display_name || store.me?.username || "";
  // Signed in: focus the state buttons (the next thing to do is to become available), not
  // the page body.
  $("go-available").focus();
  for (const r of store.contacts.values()) ensureView(r);
  if (!store.selected && store.contacts.size) store.selected = [...store.contacts.keys()][0];
  renderAll();
  get("/api/queues")
    .then((qs) => {
      for (const q of qs) store.queues.set(q.name, q);
    })
    .catch(() => {});
  // The server renders its words (explanations, reasons) in the language asked for here, and
  // in the new one after "language.set".
  socket = new AgentSocket(
    () => wsUrl("/ws/agent", { lang: getLang() }),
    () => session.token,
  );
  socket.addEventListener("status", (e) => onStatus(e.detail));
  socket.addEventListener("message", (e) => onMessage(e.detail));
  // 4403 also ends a session revoked by a new password or a sign-out elsewhere: only a
  // deactivated account "cannot use the console"; the others may sign in again.
  const deactivated = (d) => d.code === 4403 && /deactivated/.test(d.reason || "");
  socket.addEventListener("denied", (e) => endSession(deactivated(e.detail) ? "login.forbidden" : "login.expired"));
  socket.addEventListener("takenover", showTakenOver);
  socket.start();
  myDay.start();
  clearInterval(ticker);
  ticker = setInterval(tick, 1000);
}

function onStatus({ status, previous }) {
  store.connected = status === "open";
  const conn = $("conn");
  conn.dataset.status = status;
  $("conn-retry").hidden = status !== "waiting";
  renderConn();
  if (status === "waiting" && previous === "open") {
    lostToast = toast({ kind: "error", text: "conn.lost", timeout: 60000 });
  }
  if (status === "open" && lostToast) {
    lostToast();
    lostToast = null;
  }
  renderIdleNow();
}

/** Another window of this agent is live now (close code 4409): say so; offer to take it back. */
function showTakenOver() {
  let box = $("takeover");
  if (!box) {
    // The keyboard-help dialog's look; modal, so nothing stale here is clicked meanwhile.
    box = h(
      "dialog",
      { id: "takeover", class: "keys-dialog takeover", role: "alertdialog", "aria-labelledby": "takeover-title", "aria-describedby": "takeover-body" },
      h("h2", { id: "takeover-title", i18n: "takeover.title" }),
      h("p", { id: "takeover-body", i18n: "takeover.body" }),
      h("form", { method: "dialog" }, h("button", { id: "takeover-back", class: "btn btn-primary", type: "button", onclick: takeBack }, tx("takeover.take_back"))),
    );
    box.addEventListener("cancel", (e) => e.preventDefault()); // Esc: the page stays stale
    document.body.append(box);
  }
  // Offers ringing here are answered in the other window.
  for (const id of [...store.offers.keys()]) removeOffer(id);
  renderAll();
  if (!box.open) box.showModal();
  $("takeover-back").focus();
}

/** Take the console back: simply connect again (the other window is told in its turn). */
function takeBack() {
  $("takeover").close();
  socket?.start();
  $("go-available").focus();
}

function renderConn() {
  const text = $("conn-text");
  const status = socket?.status || "closed";
  if (status === "open") setText(text, "conn.connected");
  else if (status === "waiting") setText(text, "conn.reconnecting", { s: Math.max(1, Math.ceil((socket.retryAt - Date.now()) / 1000)) });
  else if (socket?.takenOver) setText(text, "conn.taken_over");
  else setText(text, "conn.connecting");
}

function send(type, fields, meta = {}) {
  const id = socket?.send(type, fields);
  if (!id) {
    toast({ kind: "error", title: "err.title.default", text: "err.not_connected" });
    return false;
  }
  pending.set(id, { type, ...meta });
  if (pending.size > 200) pending.delete(pending.keys().next().value);
  return id;
}

function setState(state, reason = null) {
  const fields = { state };
  if (reason) fields.reason = reason;
  send("state.set", fields);
}

// --- messages from the server -------------------------------------------------------------

const handlers = {
  hello(m) {
    const firstHello = !store.hello;
    store.hello = m;
    store.me = { ...(store.me || {}), ...m.agent };
    $("agent-name").textContent = store.me.display_name || store.me.username;
    stateCtl.setReasons();
    for (const v of views.values()) {
      v.form?.fillOptions();
      v.renderCanned();
    }
    // Right after hello the server re-sends the state, open offers, contacts in hand and
    // contacts awaiting wrap-up. Forget stale offers; records not re-sent by the time the
    // pong to this ping arrives have ended elsewhere (or the server restarted).
    for (const id of [...store.offers.keys()]) removeOffer(id);
    for (const r of store.contacts.values()) if (r.phase !== "saved") r.confirmed = false;
    reconcileRef = socket.send("ping");
    if (!firstHello) toast({ kind: "success", text: "conn.restored", timeout: 3000 });
  },

  state(m) {
    const before = store.agent;
    // The time in a state is counted here: `state` carries no start time.
    const changed = before.state !== m.state || before.reason !== m.reason;
    store.agent = { ...m, since: m.since || (changed || !before.since ? new Date().toISOString() : before.since) };
    if (m.state === "wrapup" && m.wrapup_until) {
      // Its end moves when the wrap-up is extended (here or in another window).
      for (const r of store.contacts.values()) if (r.phase === "wrapup") r.wrapupUntil = m.wrapup_until;
      for (const v of views.values()) v.tick();
    }
    if (m.state === "break" && m.reason === "missed offers" && changed) {
      toast({ kind: "error", text: "state.missed_offers" });
    }
    stateCtl.render();
    renderIdleNow();
  },

  offer(m) {
    const id = m.contact?.id;
    if (id == null) return;
    const known = store.offers.get(id);
    if (known && known.status === "open" && cards.has(id)) {
      refreshOffer(known, m); // the same offer again (e.g. in another language): no new alert
      return;
    }
    removeOffer(id);
    const entry = { msg: m, receivedAt: Date.now(), status: "open", lastChime: Date.now() };
    store.offers.set(id, entry);
    const card = new OfferCard(entry, { onAccept: acceptOffer, onReject: rejectOffer });
    cards.set(id, card);
    $("offers").prepend(card.el);
    setView("work");
    chime();
    notify.offerArrived(m, { name: customerName(m) || t("offer.new_customer") });
    const value = m.customer?.value;
    const grade = value ? t(`grade.${value.grade}`) : "";
    $("announcer").textContent = t("offer.announce", {
      kind: t(offerKindKey(m.contact)),
      name: customerName(m) || t("offer.new_customer"),
      grade,
    });
    if (!isTyping()) card.acceptBtn.focus();
    renderAll();
  },

  "offer.cancelled"(m) {
    const entry = store.offers.get(m.contact_id);
    removeOffer(m.contact_id);
    if (entry && m.cause && m.cause !== "rejected") {
      // Worded from what the server says happened (cause, and its reason in the page's
      // language), never a guess such as "went to another agent".
      const key = hasKey(`offer.cancelled.${m.cause}`) ? `offer.cancelled.${m.cause}` : "offer.cancelled.other";
      toast({ kind: "info", text: key, args: { reason: m.reason || t("common.unknown") } });
    }
    renderAll();
  },

  "contact.assigned"(m) {
    const id = m.contact?.id;
    if (id == null) return;
    const offer = store.offers.get(id);
    let r = store.contacts.get(id);
    const isNew = !r;
    if (r) {
      r.contact = m.contact;
      r.customer = m.customer || r.customer;
      r.explanation = m.explanation || r.explanation;
      r.confirmed = true;
      if (r.phase !== "live") r.phase = "live";
    } else {
      r = newRecord(m);
      r.explanation = m.explanation || offer?.msg.explanation || null;
      store.contacts.set(id, r);
      // A new contact clears the saved ones the agent has not dismissed.
      for (const other of [...store.contacts.values()]) if (other.phase === "saved") dropRecord(other.id);
    }
    removeOffer(id);
    takeServerNotes(r, m.contact?.notes);
    const view = ensureView(r);
    for (const msg of m.messages || m.transcript || []) addChat(r, msg);
    if (r.contact.channel === "chat") catchUpChat(r);
    view.update();
    if (!isNew) view.refresh();
    view.setNotes(r.notes || "");
    if (r.phase === "live" && (r.notes || "") !== (r.notesSaved ?? "")) view.saveNotes();
    if (isNew) {
      store.selected = id;
      setView("work"); // accepted while reading a record: the contact is what matters now
      if (!isTyping()) setTimeout(() => view.focus(), 0);
    }
    persist();
    renderAll();
  },

  "contact.ended"(m) {
    let r = store.contacts.get(m.contact_id);
    if (!r) {
      // Re-sent on connect for a contact awaiting wrap-up that this page did not know
      // (another tab, a fresh browser): rebuild it from the contact and its customer's profile.
      if (!m.contact) return;
      r = newRecord({ contact: m.contact, customer: null });
      r.startedAt = m.contact.answered_at ? Date.parse(m.contact.answered_at) : Date.now();
      store.contacts.set(r.id, r);
      loadProfile(r);
    }
    const again = r.phase === "wrapup";
    r.confirmed = true;
    if (m.draft && !r.draftDirty) {
      // The form as last kept on the server (perhaps from another window) wins over ours,
      // unless we have edits it has not seen yet.
      const form = views.get(r.id)?.form;
      if (form) form.setDraft(m.draft, m.contact?.notes);
      else {
        r.draft = draftFromServer(m.draft);
        if (typeof m.contact?.notes === "string") r.notes = m.contact.notes;
      }
    }
    if (again) {
      r.wrapupUntil = m.wrapup_until || r.wrapupUntil;
      views.get(r.id)?.update();
      persist();
      renderAll();
      return;
    }
    r.phase = "wrapup";
    r.endedAt = Date.now();
    r.wrapupUntil = m.wrapup_until || null;
    r.endReason = m.end_reason || null;
    r.endedBy = m.ended_by || null;
    const view = ensureView(r);
    view.update();
    store.selected = r.id;
    if (r.endedBy && r.endedBy !== "agent" && r.endedBy !== store.me?.username && r.endedBy !== `agent:${store.me?.id}`) {
      toast({ kind: "info", text: r.endReason === "abandoned" ? "contact.ended_abandoned" : "contact.ended_by_customer" });
    }
    if (!isTyping()) setTimeout(() => view.focus(), 0);
    persist();
    renderAll();
  },

  "chat.message"(m) {
    const r = store.contacts.get(m.contact_id);
    if (!r || !m.message) return;
    if (addChat(r, m.message) && m.message.from === "customer" && store.selected !== r.id) {
      r.unread = (r.unread || 0) + 1;
      renderTabs($("contact-tabs"), views, selectContact);
    }
    if (m.message.from === "customer") chatReceipt(r);
    persist();
  },

  "chat.sent"(m) {
    const r = store.contacts.get(m.contact_id);
    if (!r || !m.message) return;
    r.outbox = (r.outbox || []).filter((o) => o.client_id !== m.client_id);
    addChat(r, m.message);
    persist();
  },

  "chat.history"(m) {
    const r = store.contacts.get(m.contact_id);
    if (!r) return;
    for (const msg of m.messages || []) addChat(r, msg);
    chatReceipt(r);
    persist();
  },

  "chat.typing"(m) {
    views.get(m.contact_id)?.showTyping();
  },

  "chat.receipt"(m) {
    const r = store.contacts.get(m.contact_id);
    if (!r) return;
    r.receipt = { delivered_seq: m.delivered_seq, read_seq: m.read_seq };
    views.get(r.id)?.setReceipt(r.receipt);
    persist();
  },

  "notes.saved"(m) {
    const r = store.contacts.get(m.contact_id);
    if (!r) return;
    r.notesSaved = typeof m.notes === "string" ? m.notes : (r.notesSending ?? r.notes);
    r.notesSavedAt = m.saved_at || new Date().toISOString();
    r.notesSending = null;
    const view = views.get(r.id);
    if (r.notes === r.notesSaved) view?.notesSaved(r.notesSavedAt);
    else view?.saveNotes(); // typed on while the save was on its way
    persist();
  },

  "wrapup.saved"(m) {
    const r = store.contacts.get(m.contact_id);
    if (!r) return;
    clearTimeout(draftTimers.get(r.id));
    draftTimers.delete(r.id);
    r.phase = "saved";
    r.saved = { interaction_id: m.interaction_id, complaint_id: m.complaint_id ?? null };
    views.get(r.id)?.update();
    if (m.auto) {
      // The wrap-up time ran out: the server saved the form as it was last kept.
      const text = m.defaulted_disposition ? "wrapup.auto_saved_default" : "wrapup.auto_saved";
      toast({ kind: "info", text, args: { outcome: { $label: catalog.disposition(m.disposition) } }, timeout: 15000 });
      if (m.left_out?.length) toast({ kind: "info", text: "wrapup.auto_left_out", timeout: 15000 });
    } else toast({ kind: "success", text: "wrapup.saved", timeout: 3000 });
    // The save button is gone: on to "Done" (unless the agent already works elsewhere).
    if (store.selected === r.id && !isTyping()) views.get(r.id)?.focus();
    loadProfile(r); // the record now holds this interaction (and complaint)
    persist();
    renderAll();
  },

  "wrapup.draft_saved"(m) {
    const r = store.contacts.get(m.contact_id);
    const form = views.get(m.contact_id)?.form;
    if (!r || !form) return;
    if (r.draftSending === JSON.stringify(form.draftPayload())) r.draftDirty = false;
    r.draftSending = null;
    form.draftSaved(m.saved_at);
  },

  "wrapup.extended"(m) {
    for (const r of store.contacts.values()) {
      if (r.phase !== "wrapup") continue;
      r.wrapupUntil = m.wrapup_until;
      views.get(r.id)?.form?.setCanExtend(m.can_extend);
      views.get(r.id)?.tick();
    }
    toast({ kind: "success", text: "wrapup.extended", timeout: 2500 });
  },

  error(m) {
    const req = m.ref_id ? pending.get(m.ref_id) : null;
    if (req) pending.delete(m.ref_id);
    const type = req?.type || m.ref;
    const contactId = req?.contactId;
    if ((type === "offer.accept" || type === "offer.reject") && contactId != null) {
      const card = cards.get(contactId);
      if (m.code === "not_found") removeOffer(contactId);
      else card?.reopen();
    } else if (type === "wrapup" && contactId != null) {
      views.get(contactId)?.form?.failed(errorText({ code: m.code, detail: m.detail, ref: type }));
    } else if (type === "chat.send" && contactId != null) {
      views.get(contactId)?.sendFailed();
    } else if (type === "wrapup.draft") {
      return; // kept again on the next edit; the wrap-up itself sends the whole form
    } else if (type === "wrapup.extend") {
      for (const v of views.values()) v.form?.setCanExtend(m.code !== "conflict");
    } else if (type === "notes.save" && contactId != null) {
      const r = store.contacts.get(contactId);
      if (r) r.notesSending = null;
      return; // saved again on the next keystroke or blur; the wrap-up sends the notes anyway
    } else if (type === "contact.transfer" && contactId != null) {
      views.get(contactId)?.transferFailed();
    } else if (type === "contact.end" && contactId != null) {
      const v = views.get(contactId);
      if (v) v.endBtn.disabled = false;
    }
    errorToast({ code: m.code, detail: m.detail, ref: type });
    renderAll();
  },

  "contact.transferred"(m) {
    const r = store.contacts.get(m.contact_id);
    const queue = r ? catalog.queue(r.transferTo || "") : null;
    toast({ kind: "success", text: "transfer.done", args: { q: queue ? { $label: queue } : "" }, timeout: 4000 });
  },

  pong() {},
};

function onMessage(msg) {
  const fn = handlers[msg.type];
  if (fn) fn(msg);
  myDay.onMessage(msg);
  if (msg.type === "pong" && msg.ref_id && msg.ref_id === reconcileRef) {
    reconcileRef = null;
    reconcile();
  }
  if (msg.ref_id && msg.type !== "error") pending.delete(msg.ref_id);
}

/** After a (re)connect: what the server did not re-send is no longer the agent's work. */
function reconcile() {
  for (const r of [...store.contacts.values()]) {
    if (r.phase !== "saved" && !r.confirmed) dropRecord(r.id);
  }
  persist();
  renderAll();
}

/**
 * Notes the server holds for a contact (contact.assigned after a reconnect or a restart). They
 * replace the local ones unless the agent typed something the server has not saved yet.
 */
function takeServerNotes(r, notes) {
  if (typeof notes !== "string") return;
  const unsaved = (r.notes || "") !== (r.notesSaved ?? "") && (r.notes || "") !== notes;
  if (!unsaved || !r.notes) {
    r.notes = notes;
    r.notesSaved = notes;
  }
}

/** The same offer re-sent (e.g. in the agent's new language): redraw its card in place. */
function refreshOffer(entry, m) {
  const old = cards.get(m.contact.id);
  const hadFocus = old.el.contains(document.activeElement);
  entry.msg = m;
  entry.receivedAt = Date.now();
  const card = new OfferCard(entry, { onAccept: acceptOffer, onReject: rejectOffer });
  cards.set(m.contact.id, card);
  old.el.replaceWith(card.el);
  if (hadFocus) card.acceptBtn.focus();
  customerCol.invalidate();
  renderAll();
}

/** The page's language changed: the server re-renders its words for us. */
function onLanguage(code) {
  if (socket?.isOpen) socket.send("language.set", { language: code });
  // Contacts the server does not re-send (in wrap-up, saved): fetch their profile again.
  for (const r of store.contacts.values()) if (r.phase !== "live") loadProfile(r);
  customers?.reload?.();
}

/** (Re)load a record's customer profile over REST. */
async function loadProfile(r) {
  const customerId = r.contact.customer_id ?? r.customer?.customer?.id;
  if (customerId == null) return;
  const hadProfile = !!r.customer;
  try {
    r.customer = await get(`/api/customers/${customerId}/profile`);
  } catch {
    return;
  }
  const v = views.get(r.id);
  if (v && !hadProfile) {
    // The header was drawn without the customer's name and grade: draw the view again.
    v.el.remove();
    views.delete(r.id);
    ensureView(r);
  } else v?.refresh();
  customerCol.invalidate();
  persist();
  renderAll();
}

function addChat(r, message) {
  const key = messageKey(message);
  if (!r.messages.some((x) => messageKey(x) === key)) r.messages.push(message);
  return views.get(r.id)?.renderMessage(message) ?? false;
}

/** The highest chat seq this console holds of a chat. */
function lastSeq(r) {
  return Math.max(0, ...r.messages.map((x) => x.seq ?? 0));
}

/** A chat (re)appears (accepted, or re-sent after a reconnect or restart): ask for what came
 * after the last message held, and send again what the agent wrote that the server never
 * confirmed — the same client id is stored once. */
function catchUpChat(r) {
  if (!socket) return;
  const id = socket.send("chat.history", { contact_id: r.id, after: lastSeq(r) });
  if (id) pending.set(id, { type: "chat.history", contactId: r.id });
  for (const item of r.outbox || []) {
    send("chat.send", { contact_id: r.id, text: item.text, client_id: item.client_id }, { contactId: r.id });
  }
}

/** The customer's messages reached this console: read when the chat is on screen. */
function chatReceipt(r) {
  if (r.phase !== "live" || !socket) return;
  const last = Math.max(0, ...r.messages.filter((x) => x.from === "customer").map((x) => x.seq ?? 0));
  if (!last) return;
  const seen = store.selected === r.id && document.visibilityState === "visible" && !$("view-work").hidden;
  const kind = seen ? "chat.read" : "chat.delivered";
  if ((seen ? r.readSent : r.deliveredSent) >= last) return;
  if (seen) r.readSent = last;
  r.deliveredSent = Math.max(r.deliveredSent || 0, last);
  socket.send(kind, { contact_id: r.id, seq: last });
}

document.addEventListener("visibilitychange", () => {
  const r = store.contacts.get(store.selected);
  if (r && document.visibilityState === "visible") chatReceipt(r);
});

function newClientId() {
  const rnd = crypto.getRandomValues(new Uint32Array(2));
  return `a-${Date.now().toString(36)}-${rnd[0].toString(36)}${rnd[1].toString(36)}`;
}

// --- actions ----------------------------------------------------------------------------

function acceptOffer(entry) {
  const id = entry.msg.contact.id;
  if (send("offer.accept", { contact_id: id }, { contactId: id }) === false) return false;
  entry.status = "accepting";
  return true;
}

function rejectOffer(entry, reason) {
  const id = entry.msg.contact.id;
  if (send("offer.reject", { contact_id: id, reason }, { contactId: id }) === false) return false;
  entry.status = "rejecting";
  return true;
}

function removeOffer(id) {
  store.offers.delete(id);
  notify.offerGone(id, store.offers.size);
  const card = cards.get(id);
  if (card) {
    const hadFocus = card.el.contains(document.activeElement);
    card.el.remove();
    cards.delete(id);
    if (hadFocus) views.get(store.selected)?.focus();
  }
}

function ensureView(r) {
  let v = views.get(r.id);
  if (!v) {
    v = new ContactView(r, {
      onEnd: (rec) => send("contact.end", { contact_id: rec.id }, { contactId: rec.id }),
      onSend: (rec, text) => {
        const item = { client_id: newClientId(), text };
        if (send("chat.send", { contact_id: rec.id, ...item }, { contactId: rec.id }) === false) return false;
        // Kept until the server confirms it (chat.sent): sent again after a reconnect.
        rec.outbox = [...(rec.outbox || []), item];
        persist();
        return true;
      },
      onTyping: (rec) => socket?.send("chat.typing", { contact_id: rec.id }),
      onNotes: () => persist(),
      onNotesSave: (rec) => {
        // Quietly: no "not connected" toast for a save made as the agent types.
        const id = socket?.send("notes.save", { contact_id: rec.id, notes: rec.notes || "" });
        if (!id) return false;
        pending.set(id, { type: "notes.save", contactId: rec.id });
        rec.notesSending = rec.notes || "";
        return true;
      },
      onDraft: (rec) => {
        persist();
        scheduleDraft(rec);
      },
      onExtend: () => send("wrapup.extend", {}),
      onWrapup: (rec, payload) => send("wrapup", payload, { contactId: rec.id }),
      onOpenRecord: (customerId) => openRecord(customerId),
      onTransfer: (rec, queue) => {
        rec.transferTo = queue;
        return send("contact.transfer", { contact_id: rec.id, queue }, { contactId: rec.id });
      },
      onDismiss: (rec) => {
        dropRecord(rec.id);
        renderAll();
      },
    });
    views.set(r.id, v);
    $("contact-panels").append(v.el);
  }
  return v;
}

/** The wrap-up form to the server a moment after the agent's last edit (wrapup.draft): when
 * the wrap-up time ends unsaved, the server saves it as it was last kept. */
function scheduleDraft(rec) {
  rec.draftDirty = true;
  clearTimeout(draftTimers.get(rec.id));
  draftTimers.set(
    rec.id,
    setTimeout(() => {
      draftTimers.delete(rec.id);
      const form = views.get(rec.id)?.form;
      if (!form || rec.phase !== "wrapup") return;
      const payload = form.draftPayload();
      // Quietly: no "not connected" toast for a save made as the agent types.
      const id = socket?.send("wrapup.draft", payload);
      if (!id) return;
      pending.set(id, { type: "wrapup.draft", contactId: rec.id });
      rec.draftSending = JSON.stringify(payload);
    }, DRAFT_DEBOUNCE),
  );
}

function dropRecord(id) {
  store.contacts.delete(id);
  views.get(id)?.el.remove();
  views.delete(id);
  if (store.selected === id) store.selected = [...store.contacts.keys()].at(-1) ?? null;
  persistNow();
}

function openRecord(customerId) {
  setView("customers");
  customers.open(customerId);
}

// --- rendering -----------------------------------------------------------------------------

function renderAll() {
  renderTabs($("contact-tabs"), views, selectContact);
  renderIdleNow();
  customerCol.render();
  stateCtl.render();
  const offer = [...store.offers.values()].at(-1);
  document.title = offer ? `● ${t(offerKindKey(offer.msg.contact))} · Hotline` : `Hotline · ${t("app.console")}`;
  document.body.classList.toggle("has-offer", store.offers.size > 0);
  // A dot on "Workspace" while the agent looks at a customer and work is waiting there.
  const waiting = [...store.contacts.values()].some((r) => r.phase === "live" || r.phase === "wrapup");
  $("nav-work").classList.toggle("attention", waiting);
}

function selectContact(id) {
  store.selected = String(id);
  const r = store.contacts.get(store.selected);
  if (r) r.unread = 0;
  if (r?.contact.channel === "chat") chatReceipt(r);
  renderAll();
  views.get(store.selected)?.focus();
}

function renderIdleNow() {
  const connecting = !!socket && socket.status !== "open" && !store.hello;
  const onAvailable = () => {
    notify.askPermission({ once: true });
    setState("available");
  };
  renderIdle($("idle"), { connecting, onAvailable });
}

const VIEWS = ["work", "customers", "day"];

function setView(name) {
  const work = name === "work";
  if (work) queueMicrotask(() => store.contacts.get(store.selected) && chatReceipt(store.contacts.get(store.selected)));
  for (const v of VIEWS) {
    $(`view-${v}`).hidden = v !== name;
    if (v === name) $(`nav-${v}`).setAttribute("aria-current", "page");
    else $(`nav-${v}`).removeAttribute("aria-current");
  }
  if (name === "day") myDay.shown();
  // Open offers go with the agent: at the top of the work column, or pinned above the
  // customer record or My day, so one keeps ringing in view (and answerable) whatever is open.
  const offers = $("offers");
  const slot = work ? $("view-work").querySelector(".work-col") : name === "day" ? $("day-offers") : $("record-offers");
  if (offers.parentElement !== slot) {
    const hadFocus = offers.contains(document.activeElement);
    slot.prepend(offers);
    if (hadFocus) topOfferCard()?.acceptBtn.focus();
  }
}

function tick() {
  const now = Date.now();
  for (const [id, card] of cards) {
    const left = card.tick();
    const entry = card.entry;
    if (entry.status === "open" && now - entry.lastChime >= CHIME_EVERY && left > 1) {
      entry.lastChime = now;
      chime();
    }
    // The server normally cancels an expired offer; drop it ourselves if it did not.
    if (left <= -3) {
      removeOffer(id);
      renderAll();
    }
  }
  for (const v of views.values()) v.tick();
  stateCtl?.tick();
  if (socket?.status === "waiting") renderConn();
}

function renderSoundButton() {
  const btn = $("sound-toggle");
  const on = soundOn();
  btn.setAttribute("aria-pressed", String(on));
  fill(btn, icon(on ? "bell" : "bell-off", 16));
}

function topOfferCard() {
  for (const el of $("offers").children) {
    const card = [...cards.values()].find((c) => c.el === el);
    if (card && card.entry.status === "open") return card;
  }
  return null;
}

// --- start -------------------------------------------------------------------------------

function boot() {
  setupSignIn({ path: "/console", roles: ["agent"], start: startConsole, stop: stopConsole, beforeSubmit: unlockAudio });
  onLangChange((code) => {
    onLanguage(code);
    renderAll();
    renderConn();
  });
  $("logout").addEventListener("click", logout);
  $("conn-retry").addEventListener("click", () => socket?.retryNow());
  $("sound-toggle").addEventListener("click", () => {
    setSound(!soundOn());
    renderSoundButton();
    if (soundOn()) chime();
  });
  $("keys-help").addEventListener("click", () => $("keys-dialog").showModal());
  $("nav-work").addEventListener("click", () => setView("work"));
  $("nav-day").addEventListener("click", () => setView("day"));
  // Permission for desktop alerts is asked on a click, once: the first "Available".
  $("go-available").addEventListener("click", () => notify.askPermission({ once: true }));
  notify.installVisibility();
  $("nav-customers").addEventListener("click", () => {
    setView("customers");
    customers.focus();
  });
  installShortcuts({
    topCard: topOfferCard,
    isActive: () => !$("keys-dialog").open && !$("app").hidden,
    onSearch: () => {
      setView("customers");
      customers.focus();
    },
    onHelp: () => $("keys-dialog").showModal(),
  });
  tabKeys($("contact-tabs"), selectContact);
  document.addEventListener("pointerdown", unlockAudio, { passive: true });
  document.addEventListener("keydown", unlockAudio, { passive: true });
  window.addEventListener("pagehide", persistNow);

  stateCtl = new StateControl(
    {
      pill: $("state-pill"),
      text: $("state-text"),
      timer: $("state-timer"),
      available: $("go-available"),
      breakBtn: $("go-break"),
      menu: $("break-menu"),
      offline: $("go-offline"),
    },
    { onSet: setState },
  );
  customers = new CustomersView({
    form: $("search-form"),
    input: $("search-q"),
    hint: $("search-hint"),
    results: $("search-results"),
    record: $("record"),
  });
  customerCol = new CustomerColumn($("customer-col"), { onOpenRecord: openRecord });
  myDay = new MyDay(
    { strip: $("day-strip"), view: $("view-day"), nav: $("nav-day") },
    { onOpenRecord: openRecord, onShow: () => setView("day") },
  );
  renderSoundButton();
  resumeSession();
  window.hotline = { store, socket: () => socket }; // for debugging and tests
}

boot();
