// The supervisor wallboard: sign-in, the /ws/supervisor feed (docs/supervisor.md) and what
// it shows — queue tiles, the agent grid, who waits and who gave up today, value at risk.
// The server sends a snapshot, then updates; this page keeps the picture and redraws it.
import { api, post, session, wsUrl } from "../shared/api.js";
import { fill, h, setText, tx } from "../shared/dom.js";
import { clock, formatMoney, formatNumber, getLang, hasKey, onLangChange, t } from "../shared/i18n.js";
import { endSession, resumeSession, setupSignIn, signOut } from "../shared/signin.js";
import { errorToast, toast } from "../shared/toast.js";
import { AgentSocket } from "../console/socket.js";
import "./words.js";

const $ = (id) => document.getElementById(id);
const SUPERVISING = ["supervisor", "admin"];
const STATES = ["available", "offered", "busy", "wrapup", "break", "offline"];
const RAISE_POINTS = 20; // what one click on "raise priority" adds (a key customer's boost is 30)

// The picture, as the feed describes it. `seq` is the last event it reflects; a reconnect
// hands it back with `stream` to get only what changed meanwhile.
const board = {
  stream: null,
  seq: null,
  skew: 0, // server clock minus ours, seconds
  settings: { service_level_goal: 0.8, at_risk_share: 0.8, value_grades: ["vip", "key"] },
  names: {},
  breakReasons: [],
  queues: new Map(),
  agents: new Map(),
  contacts: new Map(),
  abandoned: [],
  doctrine: null, // overdue promises and late complaints (docs/promises.md)
  floor: null,
};

let socket = null;
let ticker = null;
let drawPending = false;

// --- the socket: the console's, with the resume point in the auth message -----------------

/** The console's socket (reconnect, backoff, heartbeat), whose first message — the auth —
 * also says where this page's picture stands, so a reconnect gets what it missed. */
class FeedSocket extends AgentSocket {
  connect() {
    super.connect();
    const ws = this.ws;
    if (!ws) return;
    const send = ws.send.bind(ws);
    ws.send = (data) => {
      ws.send = send;
      const message = JSON.parse(data);
      if (message.type === "auth") {
        message.batch = true; // updates that pile up come in one frame (docs/supervisor.md)
        if (board.stream && board.seq != null) {
          message.after = board.seq;
          message.stream = board.stream;
        }
      }
      send(JSON.stringify(message));
    };
  }
}

function now() {
  return Date.now() / 1000 + board.skew;
}

function onMessage(m) {
  if (m.type === "batch") {
    for (const one of m.messages || []) onMessage(one);
    return;
  }
  if (typeof m.at === "number") board.skew = m.at - Date.now() / 1000;
  switch (m.type) {
    case "snapshot":
      board.stream = m.stream;
      board.seq = m.seq;
      board.settings = m.settings || board.settings;
      board.names = m.names || {};
      board.breakReasons = m.break_reasons || [];
      board.queues = new Map(m.queues.map((q) => [q.name, q]));
      board.agents = new Map(m.agents.map((a) => [a.id, a]));
      board.contacts = new Map(m.contacts.map((c) => [c.id, c]));
      board.abandoned = m.abandoned || [];
      board.floor = m.floor;
      board.doctrine = m.doctrine || null;
      break;
    case "doctrine":
      // Promises past due and late complaints (docs/promises.md).
      board.doctrine = { overdue_promises: m.overdue_promises, complaints: m.complaints };
      break;
    case "resume":
      board.seq = Math.max(board.seq ?? 0, m.seq);
      break;
    case "queue.update":
      board.queues.set(m.queue.name, m.queue);
      board.floor = m.floor;
      break;
    case "agent.update":
      board.agents.set(m.agent.id, m.agent);
      break;
    case "contact.update":
      if (m.contact) board.contacts.set(m.contact_id, m.contact);
      else board.contacts.delete(m.contact_id);
      if (m.abandoned) {
        // A new abandon goes on top; one listed already is replaced (a callback was made).
        const i = board.abandoned.findIndex((a) => a.id === m.abandoned.id);
        if (i >= 0) board.abandoned[i] = m.abandoned;
        else board.abandoned.unshift(m.abandoned);
      }
      break;
    default:
      return;
  }
  if (typeof m.seq === "number" && m.type !== "snapshot" && m.type !== "resume") {
    board.seq = Math.max(board.seq ?? 0, m.seq);
  }
  scheduleDraw();
}

function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    drawAll();
  });
}

// --- words for codes ---------------------------------------------------------------------

function named(kind, code, fallback) {
  const entry = board.names?.[kind]?.[code];
  return (entry && (entry[getLang()] || entry.en)) || fallback || code || "";
}

function gradeText(grade) {
  if (!grade) return "";
  return hasKey(`grade.${grade}`) ? t(`grade.${grade}`) : named("grade", grade, grade);
}

function gradeBadge(grade) {
  if (!grade) return null;
  return h("span", { class: `badge grade-${grade}`, text: gradeText(grade) });
}

function queueName(name) {
  const q = board.queues.get(name);
  return named("queue", name, q?.display_name || name);
}

function breakReason(code) {
  const item = board.breakReasons.find((r) => r.code === code);
  if (item) return getLang() === "zh" ? item.label_zh : item.label_en;
  return named("break_reason", code, code);
}

const pct = (v) => (v == null ? "—" : `${formatNumber(v * 100, 0)}%`);
const secs = (v) => (v == null ? "—" : v < 60 ? t("wb.seconds", { n: Math.round(v) }) : clock(v));

/** ok / warn / bad for a service level against the goal. */
function slLevel(v) {
  if (v == null) return "none";
  const goal = board.settings.service_level_goal;
  if (v >= goal) return "ok";
  return v >= goal * board.settings.at_risk_share ? "warn" : "bad";
}

/** ok / warn / bad for a wait against its target. */
function waitLevel(waited, target) {
  if (!target) return "ok";
  if (waited > target) return "bad";
  return waited >= target * board.settings.at_risk_share ? "warn" : "ok";
}

/** A duration that counts on its own (the ticker redraws it every second). */
function since(epoch, target) {
  const el = h("span", { class: "since num", dataset: { since: String(epoch) } });
  if (target) el.dataset.target = String(target);
  paintSince(el);
  return el;
}

function paintSince(el) {
  const waited = now() - Number(el.dataset.since);
  el.textContent = clock(waited);
  if (el.dataset.target) el.dataset.level = waitLevel(waited, Number(el.dataset.target));
}

function tick() {
  $("clock").textContent = new Intl.DateTimeFormat(getLang() === "zh" ? "zh-CN" : "en-GB", {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).format(new Date(now() * 1000));
  for (const el of document.querySelectorAll(".since")) paintSince(el);
  // A wait that crossed its target changes the tile's colour without any message.
  for (const tile of document.querySelectorAll(".qt")) {
    const worst = [...tile.querySelectorAll(".since[data-level]")].map((e) => e.dataset.level);
    tile.dataset.waitLevel = worst.includes("bad") ? "bad" : worst.includes("warn") ? "warn" : "ok";
  }
}

// --- drawing -----------------------------------------------------------------------------

function drawAll() {
  drawTotals();
  drawRisk();
  drawQueues();
  drawAgents();
  drawWaiting();
  drawAbandoned();
  drawDoctrine();
  tick();
}

function stat(labelKey, value, cls = "") {
  return h("div", { class: `wb-stat ${cls}` }, h("span", { class: "wb-stat-v num" }, value), tx(labelKey, null, "wb-stat-l"));
}

function drawTotals() {
  const f = board.floor;
  if (!f) return;
  fill(
    $("totals"),
    stat("wb.total.waiting", String(f.waiting), f.waiting ? "is-busy" : ""),
    stat("wb.total.longest", f.oldest_since ? since(f.oldest_since) : "—"),
    stat("wb.total.answered", String(f.answered)),
    stat("wb.total.abandoned", String(f.abandoned), f.abandoned ? "is-bad" : ""),
  );
}

function riskChip(labelKey, risk, level) {
  const has = risk && risk.count > 0;
  return h(
    "div",
    { class: `wb-risk-chip ${has ? level : "none"}` },
    tx(labelKey, null, "wb-risk-l"),
    h(
      "span",
      { class: "wb-risk-v num" },
      has ? t("wb.risk.detail", { n: risk.count, v: formatMoney(risk.value) }) : t("wb.risk.none"),
    ),
  );
}

function drawRisk() {
  const v = board.floor?.value_at_risk;
  if (!v) return;
  fill($("risk"), riskChip("wb.risk.waiting", v.waiting, "warn"), riskChip("wb.risk.abandoned", v.abandoned, "bad"));
}

function figure(labelKey, value) {
  return h("div", { class: "qt-fig" }, h("dt", { i18n: labelKey }), h("dd", { class: "num" }, value));
}

function gradeRow(grade, g) {
  const level = slLevel(g.service_level);
  const width = g.service_level == null ? 0 : Math.round(g.service_level * 100);
  return h(
    "div",
    { class: "qt-grade", dataset: { level } },
    h("span", { class: "qt-grade-name" }, grade ? gradeBadge(grade) : tx("common.unknown"), " ", h("span", { class: "faint num", text: t("wb.seconds", { n: g.target_seconds }) })),
    h("span", { class: "qt-bar", "aria-hidden": "true" }, h("span", { style: `width:${width}%` })),
    h("span", { class: "qt-grade-v num", text: pct(g.service_level) }),
  );
}

function drawQueues() {
  const tiles = [...board.queues.values()].map((q) => {
    const n = q.now;
    const d = q.today;
    const level = slLevel(d.service_level);
    const agents = STATES.filter((s) => s !== "offline" && n.agents[s]).map((s) =>
      h("span", { class: "qt-agent", dataset: { state: s } }, h("span", { class: "dot" }), `${n.agents[s]}`, " ", tx(`state.${s}`)),
    );
    const risk = q.value_at_risk.waiting;
    const grades = Object.entries(d.by_grade || {}).sort(([a], [b]) => gradeOrder(a) - gradeOrder(b));
    return h(
      "article",
      { class: "qt card", role: "listitem", dataset: { queue: q.name, level, waiting: String(n.waiting) } },
      h("header", { class: "qt-head" }, h("h3", { text: queueName(q.name) }), h("span", { class: "qt-agents" }, agents.length ? agents : tx("wb.q.none_logged_in", null, "faint"))),
      h(
        "div",
        { class: "qt-now" },
        h("div", { class: "qt-waiting" }, h("span", { class: "qt-big num", text: String(n.waiting) }), tx("wb.q.waiting", null, "qt-big-l")),
        h(
          "div",
          { class: "qt-waits" },
          h("div", {}, tx("wb.q.longest"), " ", n.oldest_since ? since(n.oldest_since, q.sla_seconds) : "—"),
          h("div", {}, tx("wb.q.oldest_vip"), " ", n.oldest_vip_since ? since(n.oldest_vip_since, q.targets?.vip || q.sla_seconds) : "—"),
          n.over_target ? h("div", { class: "qt-over", text: t("wb.q.over", { n: n.over_target }) }) : null,
        ),
        h(
          "div",
          { class: "qt-sl", dataset: { level } },
          h("span", { class: "qt-big num", text: d.service_level == null ? "—" : pct(d.service_level) }),
          tx("wb.q.sl", null, "qt-big-l"),
          h("span", { class: "faint qt-goal", text: d.offered ? t("wb.q.sl_target", { goal: pct(board.settings.service_level_goal), s: q.sla_seconds }) : t("wb.q.no_sl") }),
        ),
      ),
      h(
        "dl",
        { class: "qt-today" },
        figure("wb.q.offered", String(d.offered)),
        figure("wb.q.answered", String(d.answered)),
        figure("wb.q.abandoned", String(d.abandoned)),
        figure("wb.q.asa", secs(d.asa_seconds)),
        figure("wb.q.aht", secs(d.aht_seconds)),
        figure("wb.q.abandon_rate", pct(d.abandon_rate)),
        figure("wb.q.occupancy", pct(d.occupancy)),
        staffFigure(q.staffing),
      ),
      grades.length ? h("div", { class: "qt-grades" }, grades.map(([g, f]) => gradeRow(g, f))) : null,
      q.series ? dayChart(q) : null,
      risk.count ? h("div", { class: "qt-risk", text: t("wb.q.at_risk", { vip: risk.count, v: formatMoney(risk.value) }) }) : null,
    );
  });
  fill($("queues"), tiles);
}

/** Agents needed now (Erlang C, from the last half hour's traffic) beside those logged in:
 * red when fewer are logged in than needed. */
function staffFigure(s) {
  if (!s) return null;
  const needed = s.agents_needed;
  const short = needed != null && s.logged_in < needed;
  const title = t("wb.q.staff_title", {
    n: s.offered,
    m: Math.round(s.window_seconds / 60),
    aht: secs(s.aht_seconds),
    e: s.traffic == null ? "—" : formatNumber(s.traffic, 1),
  });
  return h(
    "div",
    { class: "qt-fig qt-staff", title, dataset: { short: short ? "yes" : "" } },
    h("dt", { i18n: "wb.q.staff" }),
    h("dd", { class: "num" }, h("span", { class: "qt-needed", text: needed == null ? "—" : String(needed) }), h("span", { class: "faint", text: ` / ${s.logged_in}` })),
  );
}

// --- charts through the day: inline SVG, drawn here (no library) ---------------------------

const SVG = "http://www.w3.org/2000/svg";
const GRADE_COLOURS = { vip: "#c28a00", key: "#2f6fdb", ordinary: "#5d6b7a", small: "#9aa5b3", prospect: "#b7bfca", "": "#b7bfca" };
const CHART_MIN_BUCKETS = 16; // at least four hours of context

function svg(tag, attrs = {}) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null) el.setAttribute(k, String(v));
  return el;
}

/** One line per run of buckets with a figure (a gap where nothing counted); a lone point is
 * a short tick the width of its bucket, so it still shows. */
function slPath(values, first, bw, height) {
  let d = "";
  let run = [];
  const flush = () => {
    if (run.length === 1) {
      const [x, y] = run[0];
      d += `M${x - bw * 0.35},${y}H${x + bw * 0.35}`;
    } else if (run.length > 1) {
      d += run.map(([x, y], i) => `${i ? "L" : "M"}${x},${y}`).join("");
    }
    run = [];
  };
  for (let i = first; i < values.length; i++) {
    const v = values[i];
    if (v == null) flush();
    else run.push([(i - first + 0.5) * bw, height - v * height]);
  }
  flush();
  return d;
}

/** The queue's day: bars for the most contacts waiting at once in each quarter hour, a line
 * per grade for the service level of the contacts answered or abandoned in it (each against
 * its own target), and the goal as a dashed line. */
function dayChart(q) {
  // The feed leaves out the quarter hours before the first with traffic (`first`): put
  // them back, empty, so that index i is quarter hour i of the day again.
  const s = q.series;
  const skip = s.first || 0;
  const pad = (values, empty) => Array(skip).fill(empty).concat(values || []);
  const waits = pad(s.waiting, 0);
  const sl = pad(s.service_level, null);
  const byGrade = Object.fromEntries(Object.entries(s.by_grade || {}).map(([g, v]) => [g, pad(v, null)]));
  const last = waits.length - 1;
  if (last < 0) return null;
  const used = (i) => waits[i] > 0 || sl[i] != null;
  let firstUsed = waits.findIndex((_, i) => used(i));
  if (firstUsed < 0) {
    // Nobody has called yet today: a flat chart would say nothing.
    return h("figure", { class: "qt-chart qt-chart-empty" }, h("figcaption", { class: "faint", text: t("wb.chart.empty") }));
  }
  const first = Math.max(0, Math.min(firstUsed, last - CHART_MIN_BUCKETS + 1));
  const n = last - first + 1;
  const W = 300;
  const H = 60;
  const bw = W / n;
  const peak = Math.max(1, ...waits.slice(first));
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", class: "qt-chart-svg", "aria-hidden": "true" });
  for (const frac of [0.5, 1]) chart.append(svg("line", { x1: 0, x2: W, y1: H - frac * H + 0.5, y2: H - frac * H + 0.5, class: "qt-chart-grid" }));
  for (let i = first; i <= last; i++) {
    const v = waits[i];
    if (!v) continue;
    const bh = (v / peak) * H * 0.92;
    chart.append(svg("rect", { x: (i - first) * bw + bw * 0.12, y: H - bh, width: bw * 0.76, height: bh, class: i === last ? "qt-chart-bar now" : "qt-chart-bar" }));
  }
  const goal = board.settings.service_level_goal;
  chart.append(svg("line", { x1: 0, x2: W, y1: H - goal * H, y2: H - goal * H, class: "qt-chart-goal" }));
  const grades = [];
  for (const g of Object.keys(byGrade).sort((a, b) => gradeOrder(a) - gradeOrder(b))) {
    const d = slPath(byGrade[g], first, bw, H);
    if (!d) continue; // nothing counted for it yet (only short abandons): no line, no key
    chart.append(svg("path", { d, class: "qt-chart-line", stroke: GRADE_COLOURS[g] || "#5d6b7a" }));
    grades.push(g);
  }
  const time = new Intl.DateTimeFormat(getLang() === "zh" ? "zh-CN" : "en-GB", { hour: "2-digit", minute: "2-digit" });
  const at = (i) => time.format(new Date((s.start + i * s.bucket_seconds) * 1000));
  const legend = grades.map((g) =>
    h("span", { class: "qt-key" }, h("span", { class: "qt-swatch", style: `background:${GRADE_COLOURS[g] || "#5d6b7a"}` }), g ? gradeText(g) : t("common.unknown")),
  );
  return h(
    "figure",
    { class: "qt-chart", "aria-label": t("wb.chart.label", { queue: queueName(q.name) }) },
    h(
      "figcaption",
      { class: "qt-chart-head" },
      h("span", { class: "qt-key" }, h("span", { class: "qt-swatch bar" }), t("wb.chart.waiting", { n: Math.max(0, ...waits.slice(first)) })),
      legend.length ? h("span", { class: "qt-key faint", text: t("wb.chart.sl") }) : null,
      legend,
    ),
    h("div", { class: "qt-chart-plot" }, chart, h("span", { class: "qt-chart-goal-l num", style: `bottom:${goal * 100}%`, text: pct(goal) })),
    h("div", { class: "qt-chart-axis num faint" }, h("span", { text: at(first) }), h("span", { text: at(Math.floor((first + last + 1) / 2)) }), h("span", { text: t("wb.chart.now") })),
  );
}

function gradeOrder(g) {
  const order = ["vip", "key", "ordinary", "small", "prospect", ""];
  const i = order.indexOf(g);
  return i < 0 ? order.length : i;
}

function agentStateText(a) {
  if (a.state === "break" && a.reason) return `${t("state.break")} · ${breakReason(a.reason)}`;
  return t(`state.${a.state}`);
}

function drawAgents() {
  const agents = [...board.agents.values()].sort(
    (a, b) => STATES.indexOf(a.state) - STATES.indexOf(b.state) || a.name.localeCompare(b.name),
  );
  const counts = {};
  for (const a of agents) counts[a.state] = (counts[a.state] || 0) + 1;
  fill(
    $("agent-counts"),
    STATES.filter((s) => counts[s]).map((s) =>
      h("span", { class: "qt-agent", dataset: { state: s } }, h("span", { class: "dot" }), `${counts[s]}`, " ", tx(`state.${s}`)),
    ),
  );
  if (!agents.length) {
    fill($("agents"), h("p", { class: "wb-empty", i18n: "wb.a.none" }));
    return;
  }
  fill(
    $("agents"),
    agents.map((a) => {
      const c = a.contact;
      const figs = [t("wb.a.today", { n: a.contacts_today })];
      if (a.aht_seconds != null) figs.push(t("wb.a.aht", { t: secs(a.aht_seconds) }));
      if (a.average_rating != null) figs.push(t("wb.a.rating", { r: formatNumber(a.average_rating, 1) }));
      if (a.occupancy != null) figs.push(t("wb.a.occ", { p: pct(a.occupancy) }));
      return h(
        "div",
        { class: "ag", role: "listitem", dataset: { state: a.state } },
        h(
          "div",
          { class: "ag-head" },
          h("span", { class: "ag-name", text: a.name, title: a.name }),
          a.state === "offline" ? null : since(a.since),
          a.state === "offline"
            ? null
            : h("button", {
                class: "wb-act ag-menu-btn",
                type: "button",
                text: "⋯",
                title: t("wb.act.agent", { name: a.name }),
                "aria-label": t("wb.act.agent", { name: a.name }),
                "aria-haspopup": "menu",
                onclick: (e) => openAgentMenu(a, e.currentTarget),
              }),
        ),
        h("div", { class: "ag-state", text: agentStateText(a) }),
        c
          ? h("div", { class: "ag-contact" }, h("span", { class: "ag-cust", text: c.customer_name || t("wb.c.unknown", { id: c.id }) }), gradeBadge(c.grade))
          : null,
        h("div", { class: "ag-figs faint num", text: figs.join(" · ") }),
      );
    }),
  );
}

function drawWaiting() {
  const rows = [...board.contacts.values()].sort((a, b) => a.arrived_at - b.arrived_at);
  $("waiting-count").textContent = rows.length ? String(rows.length) : "";
  $("waiting-empty").hidden = rows.length > 0;
  fill(
    $("waiting"),
    rows.map((c) => {
      const rule = named("rule", c.rule, c.rule);
      const agent = c.agent_id ? board.agents.get(c.agent_id) : null;
      return h(
        "tr",
        { dataset: { grade: c.grade || "", status: c.status } },
        h(
          "td",
          {},
          h(
            "div",
            { class: "wb-cust" },
            h("span", { class: "wb-cust-name", text: who(c) }),
            gradeBadge(c.grade),
            c.callback_of ? h("span", { class: "wb-cb-tag", text: t("wb.c.callback"), title: t("wb.c.callback_of", { id: c.callback_of }) }) : null,
          ),
          h("div", { class: "faint wb-queue", text: queueName(c.queue) }),
        ),
        h("td", { class: "r" }, since(c.arrived_at, c.target_seconds)),
        h(
          "td",
          { class: "wb-rule" },
          h("div", { text: c.steps ? t("wb.c.step", { rule, step: c.step, steps: c.steps }) : rule }),
          c.status === "offered"
            ? h("div", { class: "wb-ringing", text: t("wb.c.offered_to", { name: agent?.name || c.agent_id }) })
            : c.step_label
              ? h("div", { class: "faint", text: c.step_label })
              : null,
        ),
        h("td", { class: "wb-act-col" }, contactActions(c, agent)),
      );
    }),
  );
}

function drawDoctrine() {
  const d = board.doctrine || { overdue_promises: [], complaints: { first_answer_late: 0, resolution_late: 0 } };
  const rows = d.overdue_promises || [];
  $("promises-count").textContent = rows.length ? String(rows.length) : "";
  $("promises-empty").hidden = rows.length > 0;
  const c = d.complaints || {};
  $("complaints-late").textContent = `${t("wb.complaints.first_late", { n: c.first_answer_late ?? 0 })} · ${t("wb.complaints.resolution_late", { n: c.resolution_late ?? 0 })}`;
  fill(
    $("promises"),
    rows.map((p) =>
      h(
        "li",
        { class: "wb-promise is-bad", dataset: { promiseId: String(p.promise_id) } },
        h("div", { class: "wb-cust" }, h("span", { class: "wb-cust-name", text: p.customer_name || `#${p.customer_id}` }), h("span", { class: "faint", text: ` · ${p.owner_name || ""}` })),
        h("div", { class: "faint", text: p.text }),
        h("div", { class: "num", text: t("wb.promises.late", { d: clock(Math.max(0, now() - p.due_at)) }) }),
      ),
    ),
  );
}

function drawAbandoned() {
  const rows = board.abandoned;
  $("abandoned-count").textContent = rows.length ? String(rows.length) : "";
  $("abandoned-empty").hidden = rows.length > 0;
  const time = new Intl.DateTimeFormat(getLang() === "zh" ? "zh-CN" : "en-GB", { hour: "2-digit", minute: "2-digit" });
  fill(
    $("abandoned"),
    rows.map((a) =>
      h(
        "tr",
        { dataset: { grade: a.grade || "" } },
        h(
          "td",
          {},
          h("div", { class: "wb-cust" }, h("span", { class: "wb-cust-name", text: a.customer_name || t("wb.c.unknown", { id: a.id }) }), gradeBadge(a.grade)),
          h("div", { class: "faint wb-queue" }, a.phone ? h("span", { class: "num wb-phone", text: a.phone }) : null, a.phone ? " · " : null, queueName(a.queue)),
        ),
        h("td", { class: "r num" }, clock(a.waited), a.timed_out ? h("div", { class: "faint", text: t("wb.c.timed_out") }) : null),
        h("td", { class: "r num", text: time.format(new Date(a.at * 1000)) }),
        h("td", { class: "wb-act-col" }, callbackAction(a)),
      ),
    ),
  );
}

/** One click calls an abandoned customer back: a callback contact joins the queue. Once made,
 * the row says so (every wallboard's, from the feed) and cannot make a second one. */
function callbackAction(a) {
  if (a.callback_id) {
    const waiting = board.contacts.has(a.callback_id);
    return h("span", { class: "wb-cb-done", text: t(waiting ? "wb.cb.queued" : "wb.cb.made") });
  }
  const name = a.customer_name || t("wb.c.unknown", { id: a.id });
  return h("button", {
    class: "wb-act wb-act-cb",
    type: "button",
    text: t("wb.cb.button"),
    title: a.phone ? t("wb.cb.title", { phone: a.phone }) : t("wb.cb.title_nophone"),
    "aria-label": `${t("wb.cb.button")}: ${name}`,
    disabled: !a.phone,
    onclick: async (e) => {
      const button = e.currentTarget;
      button.disabled = true; // one click, one callback (the server is idempotent too)
      try {
        await post(`/api/supervisor/abandoned/${a.id}/callback`);
        toast({ kind: "success", text: "wb.cb.done", args: { name } });
      } catch (err) {
        button.disabled = false;
        errorToast(err);
      }
    },
  });
}

// --- actions (docs/supervisor.md, "Actions") -----------------------------------------------

function who(c) {
  return c.customer_name || t("wb.c.unknown", { id: c.id });
}

async function act(call, done) {
  try {
    await call();
    if (done) toast({ kind: "success", ...done });
  } catch (err) {
    errorToast(err);
  }
}

function contactActions(c, agent) {
  const raise = h("button", {
    class: "wb-act",
    type: "button",
    text: "⇧",
    title: t("wb.act.raise", { n: RAISE_POINTS }),
    "aria-label": `${t("wb.act.raise", { n: RAISE_POINTS })}: ${who(c)}`,
    onclick: () =>
      act(() => post(`/api/supervisor/contacts/${c.id}/priority`, { points: RAISE_POINTS }), {
        text: "wb.act.raised",
        args: { name: who(c) },
      }),
  });
  const more = h("button", {
    class: "wb-act",
    type: "button",
    text: "⋯",
    title: t("wb.act.more"),
    "aria-label": `${t("wb.act.more")}: ${who(c)}`,
    "aria-haspopup": "menu",
    onclick: (e) => openContactMenu(c, e.currentTarget),
  });
  if (c.status !== "offered") return [raise, more];
  const withdraw = h("button", {
    class: "wb-act wb-act-withdraw",
    type: "button",
    text: "✕",
    title: t("wb.act.withdraw"),
    "aria-label": `${t("wb.act.withdraw")}: ${who(c)}`,
    onclick: () =>
      act(() => post(`/api/supervisor/contacts/${c.id}/withdraw-offer`), {
        text: "wb.act.withdrawn",
        args: { name: agent?.name || c.agent_id },
      }),
  });
  return [raise, withdraw, more];
}

function closeAgentMenu() {
  const menu = $("agent-menu");
  if (menu.hidden) return;
  menu.hidden = true;
  menu.replaceChildren();
}

/** A menu of `entries` ({label, run, disabled} or {heading}) beside `button`. */
function openMenu(button, entries) {
  const menu = $("agent-menu");
  fill(
    menu,
    entries.map((e) =>
      e.heading
        ? h("div", { class: "menu-heading", role: "presentation", text: e.heading })
        : h("button", {
            class: "menu-item",
            type: "button",
            role: "menuitem",
            text: e.label,
            disabled: Boolean(e.disabled),
            onclick: () => {
              closeAgentMenu();
              e.run();
            },
          }),
    ),
  );
  const box = button.getBoundingClientRect();
  menu.hidden = false;
  const width = menu.offsetWidth;
  const height = menu.offsetHeight;
  menu.style.left = `${Math.max(8, Math.min(box.right - width, innerWidth - width - 8))}px`;
  menu.style.top = `${Math.max(8, box.bottom + height + 8 > innerHeight ? box.top - height - 4 : box.bottom + 4)}px`;
  menu.querySelector("button:not([disabled])")?.focus();
}

function openAgentMenu(a, button) {
  const set = (body) => () => act(() => api("PUT", `/api/supervisor/agents/${a.id}/state`, body));
  const entries = [{ label: t("state.available"), run: set({ state: "available" }), disabled: a.state === "available" }];
  for (const r of board.breakReasons) {
    if (r.code === "not_ready") continue; // the agent's own first state, not a supervisor's
    entries.push({
      label: t("wb.act.break_with", { reason: breakReason(r.code) }),
      run: set({ state: "break", reason: r.code }),
      disabled: a.state === "break" && a.reason === r.code,
    });
  }
  entries.push({ label: t("state.offline"), run: set({ state: "offline" }) });
  openMenu(button, entries);
}

/** Offer a waiting contact to an agent who is free now, or move it to another queue. */
function openContactMenu(c, button) {
  const entries = [{ heading: t("wb.act.offer_to") }];
  const free = [...board.agents.values()].filter((a) => a.state === "available");
  free.sort((x, y) => x.name.localeCompare(y.name));
  for (const a of free) {
    entries.push({
      label: a.name,
      run: () =>
        act(() => post(`/api/supervisor/contacts/${c.id}/offer`, { agent_id: Number(a.id) }), {
          text: "wb.act.offered",
          args: { name: who(c), agent: a.name },
        }),
    });
  }
  if (!free.length) entries.push({ label: t("wb.act.nobody_free"), run: () => {}, disabled: true });
  entries.push({ heading: t("wb.act.move_to") });
  for (const q of board.queues.values()) {
    if (q.name === c.queue) continue;
    entries.push({
      label: queueName(q.name),
      run: () =>
        act(() => post(`/api/supervisor/contacts/${c.id}/move`, { queue: q.name }), {
          text: "wb.act.moved",
          args: { name: who(c), queue: queueName(q.name) },
        }),
    });
  }
  openMenu(button, entries);
}

// --- connection status -------------------------------------------------------------------

function drawConn() {
  const status = socket?.status || "connecting";
  const conn = $("conn");
  conn.dataset.status = status;
  const key = status === "open" ? "conn.connected" : status === "connecting" ? "conn.connecting" : "wb.conn.stale";
  setText($("conn-text"), key);
  document.body.dataset.stale = status === "open" ? "" : "yes";
}

// --- sign in / out -----------------------------------------------------------------------

/** The session ends (signin.js clears it and shows the form): drop the feed and its place. */
function stop() {
  if (socket) socket.stop();
  socket = null;
  clearInterval(ticker);
  ticker = null;
  board.stream = null;
  board.seq = null;
}

/** Signed in as a supervisor or an admin (signin.js sends an agent to the console). */
function start(me) {
  $("me").textContent = me.display_name || me.username || "";
  socket = new FeedSocket(
    () => wsUrl("/ws/supervisor", { lang: getLang() }),
    () => session.token,
  );
  socket.addEventListener("message", (e) => onMessage(e.detail));
  socket.addEventListener("status", drawConn);
  socket.addEventListener("denied", (e) => endSession(e.detail.code === 4403 ? "wb.login.forbidden" : "login.expired"));
  socket.start();
  drawConn();
  clearInterval(ticker);
  ticker = setInterval(tick, 1000);
}

function init() {
  setupSignIn({ path: "/wallboard", roles: SUPERVISING, start, stop });
  onLangChange((code) => {
    // Step labels are the server's words: it sends the picture again in the new language.
    if (socket?.isOpen) socket.send("language.set", { language: code });
    drawAll();
    drawConn();
  });
  $("logout").addEventListener("click", signOut);
  document.addEventListener("pointerdown", (e) => {
    if (!$("agent-menu").contains(e.target) && !e.target.closest?.("[aria-haspopup=menu]")) closeAgentMenu();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") closeAgentMenu();
  });
  resumeSession();
}

init();
