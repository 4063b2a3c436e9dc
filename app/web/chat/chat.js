// The customer's chat page (docs/chat.md). Plain ES module, no build step, no inline script.
//
// Nothing lost, nothing doubled: every message the customer writes gets a client id and stays
// in an outbox (kept in localStorage) until the server says it is stored ("sent"); on
// reconnect the page resumes from the last seq it has and sends the outbox again — the server
// stores a repeated client id once. Messages are kept by seq, so a replay shows nothing twice.
import "./storage.js"; // first: the shared modules read localStorage as they load
import { applyI18n, getLang, setLang, t } from "../shared/i18n.js";
import { h } from "../shared/dom.js";
import "./words.js";

const STORE = "hotline.chat";
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const hash = new URLSearchParams(location.hash.slice(1));
// A signed identity comes in the fragment (never sent to a server, so never in a log).
const identity = hash.get("identity") || null;
if (hash.has("identity")) history.replaceState(null, "", location.pathname + location.search);

const state = {
  config: null,
  ws: null,
  conv: null, // {id, token, lastSeq, outbox: [{client_id, text}], status}
  messages: new Map(), // seq → {el, msg}
  pendingEls: new Map(), // client_id → element of a message not yet stored
  agentName: null,
  canEmail: false, // the welcome said the transcript may be e-mailed
  status: null,
  marks: { delivered: 0, read: 0 },
  retry: 0,
  heard: 0,
  typingSent: 0,
  typingTimer: null,
  rating: 0,
  place: null,
};

// --- storage -------------------------------------------------------------------------------
function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORE) || "null");
    if (saved && saved.id && saved.token) return { outbox: [], lastSeq: 0, ...saved };
  } catch {
    /* a broken entry is as good as none */
  }
  return null;
}
function save() {
  if (state.conv) localStorage.setItem(STORE, JSON.stringify(state.conv));
  else localStorage.removeItem(STORE);
}

// --- views ---------------------------------------------------------------------------------
function show(view) {
  $("form-view").hidden = view !== "form";
  $("conv-view").hidden = view !== "conv";
}

function setSub(key, args, live = false) {
  const sub = $("head-sub");
  sub.dataset.i18n = key;
  if (args) sub.dataset.i18nArgs = JSON.stringify(args);
  else delete sub.dataset.i18nArgs;
  sub.textContent = t(key, args);
  sub.classList.toggle("live", live);
}

function banner(key) {
  const b = $("banner");
  b.hidden = !key;
  if (key) {
    b.dataset.i18n = key;
    b.textContent = t(key);
  }
}

// While waiting: the place in the queue and the estimated wait, in a strip under the header.
function renderWait() {
  const box = $("wait");
  box.hidden = !(state.status === "waiting" && state.place);
  if (box.hidden) return;
  const [n, wait] = state.place;
  const minutes = Math.round(wait / 60);
  $("wait-place").textContent = t("chat.place_short", { n });
  $("wait-time").textContent = t("chat.wait_about", { wait: minutes < 1 ? t("chat.wait_under") : t("chat.wait_min", { n: minutes }) });
}

function renderHeader() {
  renderWait();
  const avatar = $("head-avatar");
  const ended = state.status === "ended" || state.status === "offline";
  $("end").hidden = !state.conv || ended || state.status == null;
  $("composer").hidden = !state.conv || ended;
  if (state.agentName && state.status === "active") {
    avatar.textContent = state.agentName.slice(0, 1).toUpperCase();
    avatar.classList.add("agent");
    setSub("chat.with", { name: state.agentName }, true);
  } else {
    avatar.textContent = "";
    avatar.classList.remove("agent");
    if (state.status === "waiting") setSub("chat.waiting");
    else if (state.status === "offline") setSub("chat.offline_title");
    else if (ended) setSub("chat.ended");
    else setSub("chat.online");
  }
}

// --- the log -------------------------------------------------------------------------------
function stateWord(s) {
  return t(`chat.state.${s}`);
}

function bubble(msg, pending = false) {
  const mine = msg.from === "customer";
  const meta = h("div", { class: "msg-meta" });
  const time = msg.at ? new Date(msg.at) : new Date();
  meta.append(
    h("time", { datetime: time.toISOString(), text: time.toLocaleTimeString(getLang() === "zh" ? "zh-CN" : "en-GB", { hour: "2-digit", minute: "2-digit" }) }),
  );
  if (mine) meta.append(h("span", { class: "msg-state", text: stateWord(pending ? "pending" : msg.state || "sent") }));
  return h(
    "li",
    { class: `msg ${mine ? "msg-me" : "msg-them"}${pending ? " msg-pending" : ""}`, dataset: { seq: msg.seq ?? "" } },
    h("div", { class: "msg-bubble", text: msg.text }),
    meta,
  );
}

function notice(key, args) {
  const li = h("li", { class: "msg-notice" }, h("span", { i18n: key, args }));
  $("log").append(li);
  scrollDown();
}

function scrollDown() {
  const log = $("log");
  log.scrollTop = log.scrollHeight;
}

function addMessage(msg) {
  if (state.messages.has(msg.seq)) return; // a replay of what is shown: once only
  const pending = msg.from === "customer" ? state.pendingEls.get(msg.client_id) : null;
  const el = bubble(msg);
  if (pending) {
    pending.replaceWith(el);
    state.pendingEls.delete(msg.client_id);
  } else {
    // Kept in seq order even when a replay and a live message cross.
    const after = [...state.messages.keys()].filter((s) => s > msg.seq).sort((a, b) => a - b)[0];
    const before = after != null ? state.messages.get(after).el : null;
    const firstPending = [...state.pendingEls.values()][0];
    $("log").insertBefore(el, before || firstPending || null);
  }
  state.messages.set(msg.seq, { el, msg });
  if (msg.seq > (state.conv?.lastSeq || 0)) {
    state.conv.lastSeq = msg.seq;
    save();
  }
  if (msg.from !== "customer") receipt();
  applyMarks();
  scrollDown();
}

function applyMarks() {
  for (const { el, msg } of state.messages.values()) {
    if (msg.from !== "customer") continue;
    const s = msg.seq <= state.marks.read ? "read" : msg.seq <= state.marks.delivered ? "delivered" : msg.state === "read" || msg.state === "delivered" ? msg.state : "sent";
    const label = el.querySelector(".msg-state");
    if (label) label.textContent = stateWord(s);
    el.classList.toggle("msg-read", s === "read");
  }
}

// The agent's messages reached the page (and are read when the page is in view).
function receipt() {
  const last = Math.max(0, ...[...state.messages.values()].filter((m) => m.msg.from !== "customer").map((m) => m.msg.seq));
  if (!last) return;
  send({ type: document.visibilityState === "visible" ? "read" : "ack", seq: last });
}
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") receipt();
});

// --- the socket ----------------------------------------------------------------------------
function send(frame) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.ws.send(JSON.stringify(frame));
    return true;
  }
  return false;
}

function connect(first) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/ws/chat`);
  state.ws = ws;
  ws.onopen = () => {
    state.heard = Date.now();
    ws.send(JSON.stringify(first()));
  };
  ws.onmessage = (e) => {
    state.heard = Date.now();
    let m;
    try {
      m = JSON.parse(e.data);
    } catch {
      return;
    }
    (handlers[m.type] || (() => {}))(m);
  };
  ws.onclose = (e) => {
    if (state.ws !== ws) return;
    state.ws = null;
    if (e.code === 4403 || e.code === 4401 || e.code === 4400) return; // refused: said why
    if (!state.conv || state.status === "ended") return;
    banner("chat.reconnecting");
    const wait = Math.min(15000, 1000 * 2 ** state.retry++);
    setTimeout(resume, wait);
  };
}

function resume() {
  if (!state.conv) return;
  connect(() => ({
    type: "resume",
    conversation_id: state.conv.id,
    token: state.conv.token,
    last_seq: state.conv.lastSeq || 0,
    language: getLang(),
  }));
}

// Heartbeats: the server pings every 20 s; a page that hears nothing for 50 s assumes the
// socket is dead (half-open) and reconnects. The page pings too, so the server hears it.
setInterval(() => {
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return;
  const limit = (state.config?.heartbeat_seconds || 20) * 2.5 * 1000;
  if (Date.now() - state.heard > limit) state.ws.close();
  else send({ type: "ping" });
}, 20000);

const handlers = {
  welcome(m) {
    state.retry = 0;
    banner(null);
    if (m.token) state.conv = { id: m.conversation_id, token: m.token, lastSeq: 0, outbox: [] };
    state.conv.status = m.status;
    state.status = m.status;
    state.agentName = m.agent?.name || null;
    state.canEmail = !!m.email_transcript; // SMTP configured and an address given
    state.marks = { delivered: m.delivered_seq || 0, read: m.read_seq || 0 };
    save();
    show("conv");
    renderHeader();
    if (m.status === "offline" && !m.callback) offline(state.config && !state.config.open_now ? "closed" : "no_agent");
    if (m.status === "ended") ended({ by: null, rateable: !!m.agent });
    // What was written while away goes again: stored once whatever happens.
    for (const item of state.conv.outbox) send({ type: "message", client_id: item.client_id, text: item.text });
    $("text").focus();
  },
  message(m) {
    if (m.from === "agent") $("typing").hidden = true; // what was being typed has come
    addMessage(m);
  },
  sent(m) {
    if (!state.conv) return;
    state.conv.outbox = state.conv.outbox.filter((o) => o.client_id !== m.client_id);
    save();
  },
  queue(m) {
    state.place = [m.position, m.estimated_wait_seconds];
    renderHeader();
  },
  agent(m) {
    state.agentName = m.agent?.name || t("chat.agent");
    state.status = "active";
    notice("chat.joined", { name: state.agentName });
    renderHeader();
  },
  typing() {
    const el = $("typing");
    $("typing-text").textContent = t("chat.typing", { name: state.agentName || t("chat.agent") });
    el.hidden = false;
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(() => (el.hidden = true), 4000);
    scrollDown();
  },
  receipt(m) {
    state.marks = { delivered: m.delivered_seq, read: m.read_seq };
    applyMarks();
  },
  transferred() {
    state.status = "waiting";
    state.agentName = null;
    notice("chat.transferred");
    renderHeader();
  },
  offline(m) {
    state.status = "offline";
    renderHeader();
    offline(m.reason === "closed" ? "closed" : "no_agent");
  },
  callback(m) {
    $("offline-card").hidden = true;
    state.status = "ended";
    finish(false, m.reach ? "chat.callback_at" : "chat.callback", { reach: m.reach });
  },
  ended(m) {
    ended(m);
  },
  transcript() {
    // Asked once: the box stays ticked and says the mail is coming.
    $("r-email").checked = true;
    $("r-email").disabled = true;
    $("r-email-note").hidden = false;
  },
  rated() {
    $("rate-card").querySelector(".stars").hidden = true;
    $("rate-send").hidden = true;
    $("r-comment").closest(".field").hidden = true;
    const title = $("rate-card").querySelector("h2");
    title.dataset.i18n = "chat.rated";
    delete title.dataset.i18nArgs;
    title.textContent = t("chat.rated");
    $("rate-card").classList.add("done-card");
    $("rate-error").textContent = "";
  },
  ping() {
    send({ type: "pong" });
  },
  error(m) {
    onError(m);
  },
};

function onError(m) {
  if (m.ref === "handshake") {
    if (m.code === "not_found") {
      state.conv = null;
      save();
      startForm();
    }
    show("form");
    $("start").disabled = false;
    $("start").textContent = t("chat.start");
    $("form-error").textContent = m.message;
    return;
  }
  if (m.ref === "message" && m.client_id) {
    const item = state.conv?.outbox.find((o) => o.client_id === m.client_id);
    if (m.code === "rate_limited" && item) {
      // Sent again once the limit allows: the customer loses nothing.
      setTimeout(() => send({ type: "message", client_id: item.client_id, text: item.text }), (m.retry_after || 1) * 1000 + 50);
    } else if (item) {
      state.conv.outbox = state.conv.outbox.filter((o) => o !== item);
      save();
      const el = state.pendingEls.get(m.client_id);
      el?.remove();
      state.pendingEls.delete(m.client_id);
      if (!$("text").value) $("text").value = item.text;
    }
  }
  if (m.ref === "rate" || m.ref === "email_transcript") {
    $("rate-error").textContent = m.message;
    if (m.ref === "email_transcript") $("r-email").checked = false;
  }
  else if (m.ref === "leave_message") $("offline-error").textContent = m.message;
  else showComposerError(m.message);
}

function showComposerError(text) {
  const el = $("composer-error");
  el.textContent = text;
  clearTimeout(el._timer);
  el._timer = setTimeout(() => (el.textContent = ""), 8000);
}

function offline(why) {
  $("offline-why").textContent = t(why === "closed" ? "chat.offline_closed" : "chat.offline_no_agent");
  $("offline-why").dataset.i18n = why === "closed" ? "chat.offline_closed" : "chat.offline_no_agent";
  $("offline-card").hidden = false;
  $("composer").hidden = true;
  $("end").hidden = true;
  const reach = $("o-reach");
  if (!reach.value) reach.value = $("f-reach").value;
  $("o-text").focus();
}

function ended(m) {
  state.status = "ended";
  if (m.by) notice(m.by === "agent" ? "chat.ended_by_agent" : m.by === "customer" ? "chat.ended_by_customer" : "chat.ended");
  finish(!!m.rateable);
}

/** The chat is over: rate it (when an agent answered), or read how it ended; then a new one. */
function finish(rateable, titleKey = "chat.ended", args = undefined) {
  renderHeader();
  $("typing").hidden = true;
  $("rate-card").hidden = false;
  $("rate-card").classList.toggle("done-card", !rateable);
  for (const el of [$("stars"), $("rate-send"), $("r-comment").closest(".field")]) el.hidden = !rateable;
  // The transcript by e-mail: offered when an agent answered and the server can send it.
  $("r-email-field").hidden = !(rateable && state.canEmail);
  const title = $("rate-card").querySelector("h2");
  title.dataset.i18n = rateable ? "chat.rate_title" : titleKey;
  if (args) title.dataset.i18nArgs = JSON.stringify(args);
  else delete title.dataset.i18nArgs;
  title.textContent = t(title.dataset.i18n, args);
  state.conv = null; // the next visit starts afresh
  save();
  scrollDown();
}

// --- what the customer does ----------------------------------------------------------------
function newClientId() {
  const rnd = crypto.getRandomValues(new Uint32Array(2));
  return `c-${Date.now().toString(36)}-${rnd[0].toString(36)}${rnd[1].toString(36)}`;
}

function sendText() {
  const box = $("text");
  const text = box.value.trim();
  if (!text || !state.conv) return;
  const limit = state.config?.message_chars || 2000;
  if (text.length > limit) {
    showComposerError(getLang() === "zh" ? `消息过长：最多 ${limit} 个字符（当前 ${text.length} 个）。` : `Your message is too long: at most ${limit} characters (it has ${text.length}).`);
    return;
  }
  const item = { client_id: newClientId(), text };
  state.conv.outbox.push(item);
  save();
  const el = bubble({ from: "customer", text }, true);
  $("log").append(el);
  state.pendingEls.set(item.client_id, el);
  send({ type: "message", ...item }); // if the socket is down, the outbox goes on reconnect
  box.value = "";
  autosize();
  scrollDown();
}

function autosize() {
  const box = $("text");
  box.style.height = "auto";
  box.style.height = `${Math.min(box.scrollHeight, 120)}px`;
}

function startForm() {
  show("form");
  state.status = null;
  renderHeader();
  setSub("chat.online");
  $("f-reach").closest(".field").hidden = !!identity;
  $("f-name").closest(".field").hidden = !!identity;
  $("closed-note").hidden = !state.config || state.config.open_now;
  if (identity) $("form-error").textContent = "";
}

function renderTopics() {
  const list = $("topics");
  list.replaceChildren();
  (state.config?.topics || []).forEach((topic, i) => {
    const id = `topic-${topic.code}`;
    const input = h("input", { type: "radio", name: "topic", id, value: topic.code });
    if (i === 0) input.checked = true;
    const label = h("label", { for: id, class: "topic", dataset: { labelEn: topic.label.en || topic.code, labelZh: topic.label.zh || topic.label.en || topic.code } });
    label.textContent = getLang() === "zh" ? label.dataset.labelZh : label.dataset.labelEn;
    list.append(h("div", { class: "topic-item" }, input, label));
  });
}

$("start-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const reach = $("f-reach").value.trim();
  const topic = document.querySelector("input[name=topic]:checked")?.value;
  const error = $("form-error");
  if (!identity && !reach) {
    error.textContent = t("chat.need_reach");
    $("f-reach").focus();
    return;
  }
  if (!topic) {
    error.textContent = t("chat.need_topic");
    return;
  }
  error.textContent = "";
  $("start").disabled = true;
  $("start").textContent = t("chat.starting");
  connect(() => ({
    type: "start",
    language: getLang(),
    topic,
    name: $("f-name").value.trim() || null,
    reach: identity ? null : reach,
    identity,
  }));
});

$("send").addEventListener("click", sendText);
$("text").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    sendText();
  }
});
$("text").addEventListener("input", () => {
  autosize();
  const now = Date.now();
  if (now - state.typingSent > 2000 && $("text").value.trim()) {
    state.typingSent = now;
    send({ type: "typing" });
  }
});
$("end").addEventListener("click", () => {
  if (confirm(t("chat.end_confirm"))) send({ type: "end" });
});
$("offline-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("o-text").value.trim();
  if (!text) {
    $("o-text").focus();
    return;
  }
  $("offline-error").textContent = "";
  send({ type: "leave_message", text, reach: $("o-reach").value.trim() || null, name: $("f-name").value.trim() || null });
});

function renderStars() {
  const box = $("stars");
  box.replaceChildren();
  for (let n = 1; n <= 5; n++) {
    const star = h("button", { type: "button", class: "star", role: "radio", "aria-checked": String(n === state.rating), dataset: { n } }, "★");
    star.setAttribute("aria-label", t("chat.rate_star", { n }));
    star.classList.toggle("on", n <= state.rating);
    star.addEventListener("click", () => {
      state.rating = n;
      $("rate-send").disabled = false;
      renderStars();
    });
    box.append(star);
  }
}
// Ticking the box asks for the mail at once (an `end` of a chat already over only asks for
// it); the rating, sent later or never, is apart from it.
$("r-email").addEventListener("change", () => {
  if (!$("r-email").checked) return;
  if (!send({ type: "end", email_transcript: true })) {
    $("r-email").checked = false;
    $("rate-error").textContent = t("chat.reconnecting");
  }
});
$("rate-send").addEventListener("click", () => {
  if (!state.rating) return;
  // The socket closes a while after the end; open it again to rate if needed.
  const frame = { type: "rate", rating: state.rating, comment: $("r-comment").value.trim() };
  if (!send(frame)) $("rate-error").textContent = t("chat.reconnecting");
});
$("new-chat").addEventListener("click", () => {
  state.ws?.close();
  state.ws = null;
  state.messages.clear();
  state.pendingEls.clear();
  state.agentName = null;
  state.place = null;
  state.rating = 0;
  state.canEmail = false;
  $("r-email").checked = false;
  $("r-email").disabled = false;
  $("r-email-note").hidden = true;
  $("r-email-field").hidden = true;
  $("log").replaceChildren();
  $("rate-card").hidden = true;
  $("offline-card").hidden = true;
  $("start").disabled = false;
  $("start").textContent = t("chat.start");
  renderStars();
  startForm();
});

$("lang").addEventListener("click", () => {
  setLang(getLang() === "zh" ? "en" : "zh");
  send({ type: "language", language: getLang() });
  renderTopics();
  renderHeader();
  renderStars();
  applyMarks();
});

// --- start ---------------------------------------------------------------------------------
async function main() {
  const wanted = params.get("lang");
  if (wanted === "zh" || wanted === "en") setLang(wanted);
  if (params.get("embed") === "1" && window.parent !== window) {
    document.body.classList.add("embedded");
    $("minimise").hidden = false;
    $("minimise").addEventListener("click", () => window.parent.postMessage({ hotline: "minimise" }, "*"));
  }
  applyI18n(document);
  try {
    const r = await fetch("/api/chat/config");
    state.config = await r.json();
  } catch {
    state.config = null;
    $("form-error").textContent = t("chat.unavailable");
  }
  renderTopics();
  renderStars();
  state.conv = load();
  if (state.conv) {
    show("conv");
    // What the page wrote but the server never confirmed shows as "sending" until it does.
    for (const item of state.conv.outbox) {
      const el = bubble({ from: "customer", text: item.text }, true);
      $("log").append(el);
      state.pendingEls.set(item.client_id, el);
    }
    state.conv.lastSeq = 0; // a fresh page shows the whole conversation again
    resume();
  } else {
    startForm();
  }
  if (identity) $("closed-note").hidden = !state.config || state.config.open_now;
}

main();
