// What the console knows: the hello catalog, the agent's state, open offers and the contacts
// the agent holds (live, in wrap-up, saved). Contacts and notes survive a page reload through
// sessionStorage; the server is still the source of truth and re-sends live work on connect.

const CONTACTS_KEY = "hotline.contacts";

export const store = {
  me: null, // the logged-in agent (from login, then hello.agent)
  hello: null,
  queues: new Map(), // name -> queue
  agent: { state: "offline", reason: null, since: null, active_contacts: 0 },
  offers: new Map(), // contact_id -> {msg, receivedAt, status}
  contacts: new Map(), // contact_id -> record (see newRecord)
  selected: null,
  connected: false,
};

/** A contact the agent holds. phase: live → wrapup → saved. */
export function newRecord(msg) {
  return {
    id: msg.contact.id,
    contact: msg.contact,
    customer: msg.customer || null,
    explanation: msg.explanation || null,
    phase: "live",
    messages: [],
    notes: "",
    notesSaved: null, // the notes as the server last confirmed them (notes.saved)
    notesSavedAt: null,
    startedAt: Date.now(),
    endedAt: null,
    wrapupUntil: null,
    endReason: null,
    endedBy: null,
    saved: null,
    confirmed: true,
  };
}

// --- catalog from hello ---------------------------------------------------------------

/**
 * A free code (queue, rule, skill, break reason, ...) as a {code, label_en, label_zh} item. The
 * words come from the server: hello's lists (dispositions, break reasons, categories), then
 * hello.names (config/names.yaml, every language), then `fallback` (e.g. a queue's display
 * name), then the code itself.
 */
export function named(kind, code, list, fallback) {
  const item = (list || []).find((x) => x.code === code);
  if (item) return item;
  const words = store.hello?.names?.[kind]?.[code] || {};
  const en = words.en || fallback || code;
  return { code, label_en: en, label_zh: words.zh || en };
}

export const catalog = {
  disposition: (code) => named("disposition", code, store.hello?.dispositions),
  breakReason: (code) => named("break_reason", code, store.hello?.break_reasons),
  category: (code) => named("complaint_category", code, store.hello?.complaint_categories),
  rule: (code) => named("rule", code),
  skill: (code) => named("skill", code),
  intent: (code) => named("intent", code),
  dispositions: () => store.hello?.dispositions || [],
  breakReasons: () => store.hello?.break_reasons || [],
  categories: () => store.hello?.complaint_categories || [],
  driftReasons: () => store.hello?.drift_reasons || [],
  queue: (name) => named("queue", name, null, store.queues.get(name)?.display_name),
};

// --- persistence ----------------------------------------------------------------------

let saveTimer = null;

export function persist() {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(persistNow, 150);
}

export function persistNow() {
  clearTimeout(saveTimer);
  const owner = store.me?.id ?? null;
  const records = [...store.contacts.values()].map((r) => ({ ...r }));
  try {
    sessionStorage.setItem(CONTACTS_KEY, JSON.stringify({ owner, records }));
  } catch {
    // Storage full or disabled: the server still re-sends live contacts.
  }
}

export function restoreContacts() {
  try {
    const data = JSON.parse(sessionStorage.getItem(CONTACTS_KEY) || "null");
    if (!data || data.owner !== (store.me?.id ?? null)) return;
    for (const r of data.records || []) {
      if (r.phase === "saved") continue;
      r.confirmed = r.phase !== "live"; // live ones wait for the server's contact.assigned
      store.contacts.set(r.id, r);
    }
  } catch {
    // Unreadable: start clean.
  }
}

export function forgetSession() {
  sessionStorage.removeItem(CONTACTS_KEY);
  store.contacts.clear();
  store.offers.clear();
  store.selected = null;
  store.hello = null;
  store.me = null;
}
