// The admin page (docs/admin.md): agents, queues and the routing policy. Plain ES modules, no
// build step; the console's shared modules for the API, words, DOM and toasts. Admins change
// things; a supervisor reads (every control disabled); an agent is sent to the console.
import { ApiError, api, get, session } from "../shared/api.js";
import { fill, h, setAttrText, setText, tx } from "../shared/dom.js";
import { formatDate, formatNumber, getLang, hasKey, humanDuration, onLangChange, t } from "../shared/i18n.js";
import { endSession, resumeSession, setupSignIn, signOut } from "../shared/signin.js";
import { errorText, errorToast, toast } from "../shared/toast.js";
import "./words.js";

const $ = (id) => document.getElementById(id);
const ROLES = ["agent", "supervisor", "admin"];
const VIEWS = ["agents", "queues", "policy", "sims"];
/** The tabs this reader has (simulations are for admins). */
const shownViews = () => VIEWS.filter((v) => !$(`tab-${v}`).hidden);

const state = {
  me: null,
  readOnly: true,
  view: "agents",
  agents: [],
  queues: [],
  policy: null,
  agentSel: null, // an agent id, "new" or null
  queueSel: null, // a queue id, "new" or null
  loaded: { agents: false, queues: false, policy: false },
  failed: { agents: false, queues: false, policy: false },
};

// --- small pieces -------------------------------------------------------------------------

/** Text from the server or the admin, never markup. */
const txt = (tag, text, cls) => h(tag, { class: cls, text: text ?? "" });

function roleBadge(role) {
  return h("span", { class: `badge adm-role adm-role-${role}`, i18n: `adm.role.${role}` });
}

function skillChips(skills, max = 4) {
  const entries = Array.isArray(skills) ? skills.map((s) => [s, null]) : Object.entries(skills || {});
  entries.sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0) || a[0].localeCompare(b[0]));
  const shown = entries.slice(0, max);
  const more = entries.length - shown.length;
  return h(
    "span",
    { class: "adm-chiplist" },
    shown.map(([s, lvl]) => h("span", { class: "adm-skill-chip", title: s }, txt("span", s, "adm-skill-name"), lvl != null ? txt("span", String(lvl), "adm-skill-lvl num") : null)),
    more > 0 ? txt("span", `+${more}`, "faint adm-more") : null,
  );
}

function knownSkills() {
  const all = new Set();
  for (const a of state.agents) for (const s of Object.keys(a.skills || {})) all.add(s);
  for (const q of state.queues) for (const s of q.skills || []) all.add(s);
  return [...all].sort();
}

function knownTeams() {
  return [...new Set(state.agents.map((a) => a.team).filter(Boolean))].sort();
}

function datalist(id, values) {
  return h("datalist", { id }, values.map((v) => h("option", { value: v })));
}

// --- forms: fields with their errors beside them ---------------------------------------------

/** A form's fields by the API's field name: {input, error, wrap}. */
class FormCtx {
  constructor() {
    this.fields = new Map();
    this.formError = h("p", { class: "adm-form-error", role: "alert" });
  }

  /** A labelled field: label, control, hint, and the line where its error goes. */
  field(name, labelKey, control, { hint, wide, id, required } = {}) {
    const cid = id || `f-${name}-${Math.random().toString(36).slice(2, 8)}`;
    const focusable = control.matches?.("input,select,textarea") ? control : control.querySelector?.("input,select,textarea");
    if (focusable && !focusable.id) focusable.id = cid;
    const errId = `${cid}-err`;
    const hintId = hint ? `${cid}-hint` : null;
    if (focusable) focusable.setAttribute("aria-describedby", [hintId, errId].filter(Boolean).join(" "));
    if (focusable && required) focusable.setAttribute("aria-required", "true");
    const error = h("p", { id: errId, class: "adm-field-error", "data-field-error": name, role: "alert" });
    // A plain control gets a <label for>; a composite one (skills, chips) is a group named by
    // its label, so a click on the words does not tick its first radio button.
    const plain = control === focusable;
    const labelId = `${cid}-label`;
    if (!plain) {
      control.setAttribute("role", control.getAttribute("role") || "group");
      control.setAttribute("aria-labelledby", labelId);
      control.setAttribute("aria-describedby", [hintId, errId].filter(Boolean).join(" "));
    }
    const wrap = h(
      "div",
      { class: `field adm-field${wide ? " adm-wide" : ""}`, "data-field": name },
      plain
        ? h("label", { id: labelId, for: focusable.id }, tx(labelKey), required ? h("span", { class: "adm-req", "aria-hidden": "true", text: " *" }) : null)
        : h("span", { id: labelId, class: "label", i18n: labelKey }),
      control,
      error, // right under what is wrong, above the hint
      hint ? h("p", { id: hintId, class: "adm-hint", i18n: hint }) : null,
    );
    this.fields.set(name, { input: focusable, error, wrap, control });
    return wrap;
  }

  clear() {
    for (const f of this.fields.values()) {
      f.error.textContent = "";
      delete f.error.dataset.i18n;
      f.input?.removeAttribute("aria-invalid");
      f.wrap.classList.remove("has-error");
    }
    this.formError.textContent = "";
    delete this.formError.dataset.i18n;
  }

  set(name, { key, raw }) {
    const f = this.fields.get(name);
    const el = f ? f.error : this.formError;
    if (key) setText(el, key);
    else {
      delete el.dataset.i18n;
      el.textContent = raw;
    }
    if (f) {
      f.input?.setAttribute("aria-invalid", "true");
      f.wrap.classList.add("has-error");
    }
    return !!f;
  }

  /** The field a `loc` names: the longest registered "a.b" prefix (synthetic.hours), else
   * its first part (skills.billing → skills). */
  nameOf(loc) {
    for (let n = loc.length; n > 1; n--) {
      const name = loc.slice(0, n).join(".");
      if (this.fields.has(name)) return name;
    }
    return typeof loc[0] === "string" ? loc[0] : null;
  }

  /** A group of fields (or any box) where the errors of `name` go, under it. */
  group(name, wrap, input) {
    const error = h("p", { class: "adm-field-error", "data-field-error": name, role: "alert" });
    wrap.append(error);
    this.fields.set(name, { input, error, wrap, control: wrap });
    return wrap;
  }

  /** Put an API error next to the field it names (or `fallbackField`, or the form). */
  show(err, fallbackField) {
    this.clear();
    if (!(err instanceof ApiError) || err.status === 0 || err.status >= 500 || err.status === 401 || err.status === 403) {
      const { key, raw } = err?.status === 0 ? { key: "err.network" } : errorText(err);
      this.set(null, { key, raw });
      return;
    }
    const items =
      err.status === 422 && Array.isArray(err.body?.detail)
        ? err.body.detail
        : [{ loc: [], msg: err.body?.message || err.message, type: err.code }];
    let first = null;
    for (const item of items) {
      const loc = (item.loc || []).filter((p) => p !== "body");
      let name = this.nameOf(loc);
      if (!name && fallbackField) name = fallbackField;
      if (name && !this.fields.has(name)) name = null;
      const placed = this.set(name, messageFor(name, item, err));
      if (placed && !first) first = this.fields.get(name);
    }
    if (first) {
      if (!this.formError.textContent) setText(this.formError, "adm.fix_fields");
      first.input?.focus();
      first.wrap.scrollIntoView({ block: "nearest" });
    }
  }
}

/** What to say about one problem: our words for the field and kind, else the server's
 * sentence on an English page, else our words for the kind. Never English on a Chinese page. */
function messageFor(field, item, err) {
  const type = err.status === 409 ? "conflict" : item.type || err.code;
  const msg = String(item.msg || "");
  if (/last active admin/.test(msg)) return { key: "adm.err.last_admin" };
  // The server's own sentence says more about a refused overflow (it names the loop).
  if (getLang() === "en" && type === "invalid" && msg) return { raw: msg };
  if (field && hasKey(`adm.err.${field}.${type}`)) return { key: `adm.err.${field}.${type}` };
  if (/cannot be null|field required/i.test(msg) || type === "missing") return { key: "adm.err.required" };
  if (getLang() === "en" && msg) return { raw: msg };
  if (hasKey(`adm.err.type.${type}`)) return { key: `adm.err.type.${type}` };
  return { key: hasKey(`err.code.${err.code}`) ? `err.code.${err.code}` : "err.code.default" };
}

// --- controls -----------------------------------------------------------------------------

/** A list of short codes as removable chips with a text box to add more (Enter or comma). */
class ChipInput {
  constructor(values, { suggestions = [], listId } = {}) {
    this.values = [...values];
    this.input = h("input", { type: "text", autocomplete: "off", spellcheck: "false", list: listId || null });
    setAttrText(this.input, "placeholder", "adm.chip.add_ph");
    this.chips = h("span", { class: "adm-chip-items" });
    this.el = h("div", { class: "adm-chips" }, this.chips, this.input, listId ? datalist(listId, suggestions) : null);
    this.el.addEventListener("click", (e) => {
      if (e.target === this.el) this.input.focus();
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === ",") {
        e.preventDefault();
        this.commit();
      } else if (e.key === "Backspace" && !this.input.value && this.values.length) {
        this.values.pop();
        this.draw();
      }
    });
    this.input.addEventListener("blur", () => this.commit());
    this.draw();
  }

  commit() {
    for (const part of this.input.value.split(/[,，\s]+/)) {
      const v = part.trim();
      if (v && !this.values.includes(v)) this.values.push(v);
    }
    this.input.value = "";
    this.draw();
  }

  draw() {
    fill(
      this.chips,
      this.values.map((v, i) =>
        h(
          "span",
          { class: "adm-chip" },
          txt("span", v),
          h("button", {
            type: "button",
            class: "adm-chip-x",
            text: "×",
            "aria-label": t("adm.chip.remove", { v }),
            disabled: this.disabled || null,
            onclick: () => {
              this.values.splice(i, 1);
              this.draw();
              this.input.focus();
            },
          }),
        ),
      ),
    );
  }

  get value() {
    this.commit();
    return [...this.values];
  }

  set disabled(on) {
    this._disabled = on;
    this.input.disabled = on;
    this.input.hidden = on; // nothing to add when nothing may change
    this.el.classList.toggle("is-disabled", on);
    this.draw();
  }

  get disabled() {
    return this._disabled;
  }
}

/** An agent's skills: one row per skill with a 1–5 proficiency, and a box to add one. */
class SkillsEditor {
  constructor(skills, readOnly) {
    this.skills = Object.entries(skills || {}).sort((a, b) => a[0].localeCompare(b[0]));
    this.readOnly = readOnly;
    this.rows = h("div", { class: "adm-skill-rows" });
    this.newName = h("input", { type: "text", autocomplete: "off", spellcheck: "false", list: "dl-skills", class: "adm-skill-new" });
    setAttrText(this.newName, "placeholder", "adm.f.skill_new_ph");
    setAttrText(this.newName, "aria-label", "adm.f.skill_name");
    this.newName.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        this.add();
      }
    });
    this.addBtn = h("button", { type: "button", class: "btn btn-sm", onclick: () => this.add() }, tx("adm.f.skill_add"));
    this.el = h(
      "div",
      { class: "adm-skills" },
      this.rows,
      readOnly ? null : h("div", { class: "adm-skill-add" }, this.newName, this.addBtn, datalist("dl-skills", knownSkills())),
    );
    this.draw();
  }

  add() {
    const name = this.newName.value.trim();
    if (!name) {
      this.newName.focus();
      return;
    }
    const found = this.skills.find(([s]) => s === name);
    if (!found) this.skills.push([name, 3]);
    this.newName.value = "";
    this.draw();
    this.rows.querySelector(`[data-skill="${CSS.escape(name)}"] input:checked`)?.focus();
  }

  draw() {
    if (!this.skills.length) {
      fill(this.rows, h("p", { class: "adm-hint adm-skill-none", i18n: "adm.f.no_skills" }));
      return;
    }
    fill(
      this.rows,
      this.skills.map(([skill, level], i) => {
        const group = h("div", { class: "adm-levels", role: "radiogroup" });
        setAttrText(group, "aria-label", "adm.f.skill_level", { skill });
        const radioName = `lvl-${i}-${Math.random().toString(36).slice(2, 7)}`;
        for (let n = 1; n <= 5; n++) {
          const input = h("input", { type: "radio", name: radioName, value: n, checked: n === level, disabled: this.readOnly });
          input.addEventListener("change", () => {
            this.skills[i][1] = n;
          });
          group.append(h("label", { class: "adm-level", title: t(`adm.level.${n}`) }, input, h("span", { text: n })));
        }
        return h(
          "div",
          { class: "adm-skill-row", dataset: { skill } },
          txt("span", skill, "adm-skill-label"),
          group,
          this.readOnly
            ? null
            : h("button", {
                type: "button",
                class: "btn btn-sm btn-ghost adm-x",
                text: "×",
                "aria-label": t("adm.f.skill_remove", { skill }),
                onclick: () => {
                  this.skills.splice(i, 1);
                  this.draw();
                },
              }),
        );
      }),
    );
  }

  get value() {
    // A name typed but not added yet counts: the admin meant it.
    if (this.newName.value.trim()) this.add();
    return Object.fromEntries(this.skills);
  }
}

const GRADES = ["vip", "key", "ordinary", "small", "prospect"];

function numberInput(value, min, max) {
  return h("input", { type: "number", inputmode: "numeric", min, max, step: 1, value: value ?? "" });
}

function textInput(value, extra = {}) {
  return h("input", { type: "text", autocomplete: "off", spellcheck: "false", value: value ?? "", ...extra });
}

/** The number in a number box: an integer, null when empty, the text itself when not a number
 * (the API then says what is wrong, next to the field). */
function intOf(input) {
  const raw = input.value.trim();
  if (raw === "") return null;
  const n = Number(raw);
  return Number.isInteger(n) ? n : raw;
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sortedObj(o) {
  return Object.fromEntries(Object.entries(o || {}).sort((a, b) => a[0].localeCompare(b[0])));
}

// --- agents -------------------------------------------------------------------------------

async function loadAgents() {
  try {
    state.agents = await get("/api/agents");
    state.failed.agents = false;
  } catch (err) {
    state.failed.agents = true;
    if (err.status !== 401) errorToast(err);
  }
  state.loaded.agents = true;
  drawAgents();
}

function agentMatches(a, q) {
  if (!q) return true;
  const hay = [a.username, a.display_name, a.team || "", ...Object.keys(a.skills || {}), a.sip_uri || ""].join(" ").toLowerCase();
  return q
    .toLowerCase()
    .split(/\s+/)
    .every((w) => hay.includes(w));
}

function drawAgents() {
  const q = $("agent-filter").value.trim();
  const showInactive = $("agent-inactive").checked;
  const rows = state.agents
    .filter((a) => (showInactive || a.active || a.id === state.agentSel) && agentMatches(a, q))
    .sort((a, b) => Number(b.active) - Number(a.active) || a.display_name.localeCompare(b.display_name, getLang() === "zh" ? "zh-CN" : "en"));
  if (state.loaded.agents) setText($("agents-count"), "adm.agents.count", { n: rows.length, total: state.agents.length });
  else $("agents-count").textContent = "";
  const empty = $("agents-empty");
  empty.hidden = rows.length > 0 || !state.loaded.agents;
  if (state.failed.agents) setText(empty, "adm.load_failed");
  else setText(empty, state.agents.length ? "adm.agents.no_match" : "adm.agents.empty");
  if (!state.loaded.agents) {
    fill($("agents"), h("tr", {}, h("td", { colspan: 5, class: "faint", i18n: "adm.loading" })));
    return;
  }
  fill(
    $("agents"),
    rows.map((a) => {
      const selected = a.id === state.agentSel;
      return h(
        "tr",
        {
          class: `${selected ? "is-selected" : ""}${a.active ? "" : " is-inactive"}`,
          dataset: { id: a.id, username: a.username },
          onclick: (e) => {
            if (e.target.closest("button") === null) selectAgent(a.id);
          },
        },
        h(
          "td",
          { class: "adm-name-cell" },
          h(
            "button",
            { type: "button", class: "adm-row-btn", "aria-current": selected ? "true" : null, title: a.display_name, onclick: () => selectAgent(a.id) },
            txt("span", a.display_name, "adm-name"),
            a.senior ? h("span", { class: "badge adm-senior", i18n: "adm.senior" }) : null,
          ),
          txt("div", a.username, "adm-sub"),
        ),
        h("td", {}, roleBadge(a.role)),
        h("td", { class: "adm-ellipsis", title: a.team || "" }, a.team || h("span", { class: "faint", text: t("adm.none") })),
        h("td", {}, Object.keys(a.skills || {}).length ? skillChips(a.skills, 3) : h("span", { class: "faint", text: t("adm.none") })),
        h(
          "td",
          {},
          h("span", { class: `adm-status ${a.active ? "on" : "off"}` }, h("span", { class: "dot", "aria-hidden": "true" }), tx(a.active ? "adm.status.active" : "adm.status.inactive")),
        ),
      );
    }),
  );
}

/** Whether the editor in `box` may be left: nothing unsaved, or the admin says to discard it. */
async function mayLeave(box) {
  if (!box.isDirty?.()) return true;
  return confirmDialog("adm.unsaved.title", null, "adm.unsaved.body", "adm.discard");
}

async function selectAgent(id) {
  if (state.agentSel === id) return;
  if (!(await mayLeave($("agent-editor")))) return;
  state.agentSel = id;
  drawAgents();
  drawAgentEditor();
  $("agent-editor").querySelector("input:not([disabled]),select:not([disabled])")?.focus();
}

function placeholder(key) {
  return h("div", { class: "adm-placeholder" }, h("p", { class: "muted", i18n: key }));
}

function drawAgentEditor() {
  const box = $("agent-editor");
  const isNew = state.agentSel === "new";
  const agent = isNew ? null : state.agents.find((a) => a.id === state.agentSel);
  box.isDirty = null;
  if (!isNew && !agent) {
    fill(box, placeholder("adm.agents.pick"));
    return;
  }
  const ro = state.readOnly;
  const ctx = new FormCtx();
  const a = agent || { role: "agent", skills: {}, languages: ["zh"], team: null, senior: false, chat_capacity: 3, sip_uri: null, active: true };

  const username = textInput("", { autocapitalize: "none", maxlength: 64 });
  const displayName = textInput(a.display_name, { maxlength: 200 });
  const password = h("input", { type: "password", autocomplete: "new-password" });
  const role = h("select", {}, ROLES.map((r) => h("option", { value: r, selected: r === a.role, i18n: `adm.role.${r}` })));
  const senior = h("input", { type: "checkbox", checked: a.senior });
  const skills = new SkillsEditor(a.skills, ro);
  const languages = new ChipInput(a.languages || []);
  const team = textInput(a.team, { list: "dl-teams", maxlength: 64 });
  const chat = numberInput(a.chat_capacity, 0, 20);
  const sip = textInput(a.sip_uri, { maxlength: 255, placeholder: ro ? null : "sip:1001@pbx.example.com" });
  for (const el of [displayName, role, senior, team, chat, sip, username, password]) el.disabled = ro;
  languages.disabled = ro;

  const extra = isNew
    ? []
    : [
        h("button", { type: "button", class: "btn btn-sm", id: "agent-reset-pw", onclick: () => openPasswordDialog(a) }, tx("adm.agent.reset_pw")),
        a.active
          ? h("button", { type: "button", class: "btn btn-sm btn-danger", id: "agent-deactivate", onclick: () => deactivate(a, ctx) }, tx("adm.agent.deactivate"))
          : h("button", { type: "button", class: "btn btn-sm btn-ok", id: "agent-reactivate", onclick: () => reactivate(a, ctx) }, tx("adm.agent.reactivate")),
        a.active ? null : reassignControl(a, ctx),
      ];
  const head = h(
    "header",
    { class: "adm-ed-head" },
    h(
      "div",
      { class: "adm-ed-title" },
      isNew ? h("h2", { i18n: "adm.agent.new_title" }) : h("h2", { text: a.display_name, title: a.display_name }),
      isNew
        ? null
        : h(
            "div",
            { class: "adm-ed-sub" },
            txt("span", a.username, "adm-mono"),
            roleBadge(a.role),
            a.active ? null : h("span", { class: "badge tag-danger", i18n: "adm.status.inactive" }),
            h("span", { class: "faint adm-since", i18n: "adm.agent.since", args: { date: { $date: a.created_at, style: "date" } } }),
          ),
    ),
    // What is done to the account itself, apart from the form's fields.
    isNew || ro ? null : h("div", { class: "adm-ed-tools" }, extra),
  );

  const account = h(
    "fieldset",
    { class: "adm-fieldset" },
    h("legend", { i18n: "adm.section.account" }),
    h(
      "div",
      { class: "adm-grid" },
      isNew ? ctx.field("username", "adm.f.username", username, { hint: "adm.f.username_hint", required: true }) : null,
      ctx.field("display_name", "adm.f.display_name", displayName, { required: true }),
      isNew ? ctx.field("password", "adm.f.password", password, { hint: "adm.f.password_hint", required: true }) : null,
      ctx.field("role", "adm.f.role", role),
      h("div", { class: "field adm-field adm-wide" }, h("label", { class: "check adm-check" }, senior, tx("adm.f.senior"))),
    ),
  );
  // The senior field's label is the checkbox's own; the field label above it names the section.
  const routing = h(
    "fieldset",
    { class: "adm-fieldset" },
    h("legend", { i18n: "adm.section.routing" }),
    h(
      "div",
      { class: "adm-grid" },
      ctx.field("skills", "adm.f.skills", skills.el, { hint: "adm.f.skills_hint", wide: true }),
      ctx.field("languages", "adm.f.languages", languages.el, { hint: "adm.f.languages_hint" }),
      ctx.field("team", "adm.f.team", team),
      ctx.field("chat_capacity", "adm.f.chat_capacity", chat, { hint: "adm.f.chat_capacity_hint" }),
      ctx.field("sip_uri", "adm.f.sip_uri", sip, { hint: "adm.f.sip_uri_hint" }),
      datalist("dl-teams", knownTeams()),
    ),
  );

  function values() {
    return {
      display_name: displayName.value.trim(),
      role: role.value,
      senior: senior.checked,
      skills: skills.value,
      languages: languages.value,
      team: team.value.trim() || null,
      chat_capacity: intOf(chat),
      sip_uri: sip.value.trim() || null,
    };
  }

  const save = h("button", { type: "submit", class: "btn btn-primary", id: "agent-save" }, tx(isNew ? "adm.create" : "adm.save"));
  const discard = h("button", { type: "button", class: "btn", onclick: () => (isNew ? selectAgentNone() : drawAgentEditor()) }, tx(isNew ? "common.cancel" : "adm.discard"));
  const form = h(
    "form",
    { class: "adm-form", novalidate: true, id: "agent-form" },
    h(
      "div",
      { class: "adm-ed-body" },
      head,
      !isNew && !a.active ? h("p", { class: "adm-inactive-note", i18n: "adm.agent.inactive_note" }) : null,
      account,
      routing,
    ),
    ro ? null : h("footer", { class: "adm-ed-actions" }, ctx.formError, h("div", { class: "adm-actions-row" }, save, discard)),
  );
  /** What to send: the whole new agent, or only the fields that changed. */
  function changes() {
    const v = values();
    if (isNew) {
      const body = { username: username.value.trim(), password: password.value, ...v };
      if (body.chat_capacity === null) delete body.chat_capacity;
      return body;
    }
    const before = { ...a, skills: sortedObj(a.skills) };
    const body = {};
    for (const [k, val] of Object.entries(v)) {
      const cmp = k === "skills" ? sortedObj(val) : val;
      if (!same(cmp, before[k])) body[k] = val;
    }
    return body;
  }
  box.isDirty = () =>
    !ro && (isNew ? !!(username.value.trim() || displayName.value.trim() || password.value) : Object.keys(changes()).length > 0);
  onEditorSubmit(form, {
    ctx,
    save,
    isNew,
    changes,
    path: isNew ? "/api/agents" : `/api/agents/${a.id}`,
    done: isNew ? "adm.agent.created" : "adm.agent.saved",
    taken: "username",
    saved: (out) => {
      upsert(state.agents, out);
      state.agentSel = out.id;
    },
    redraw: () => {
      drawAgents();
      drawAgentEditor();
    },
  });
  fill(box, form);
}

function selectAgentNone() {
  $("agent-editor").isDirty = null; // "Cancel" is the admin's own choice to discard
  state.agentSel = null;
  drawAgents();
  drawAgentEditor();
}

/** An editor's "Save" (agents, queues): only what changed (a new one: all of it) goes to `path`;
 * then `saved(out)` keeps the answer, a toast says `done` and `redraw()` draws list and editor.
 * An error is said next to its field; a 409 on a new one is the name `taken`. */
function onEditorSubmit(form, { ctx, save, isNew, changes, path, done, taken, saved, redraw }) {
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    ctx.clear();
    const body = changes();
    if (!isNew && !Object.keys(body).length) {
      setText(ctx.formError, "adm.no_changes");
      return;
    }
    save.disabled = true;
    setText(save.querySelector("span"), "adm.saving");
    try {
      const out = await api(isNew ? "POST" : "PATCH", path, body);
      saved(out);
      toast({ kind: "success", text: done, args: { name: out.display_name } });
      redraw();
    } catch (err) {
      if (err.status === 401) return;
      // The button first, the errors last: showing them moves the focus to the first field
      // named, and nothing may take it back (a focused button being re-enabled or fixed up).
      save.disabled = false;
      setText(save.querySelector("span"), isNew ? "adm.create" : "adm.save");
      ctx.show(err, err.status === 409 && isNew ? taken : null);
    }
  });
}

function upsert(list, item) {
  const i = list.findIndex((x) => x.id === item.id);
  if (i >= 0) list[i] = item;
  else list.push(item);
}

/** A yes/no question in a modal dialog; resolves true for yes. */
function confirmDialog(titleKey, args, bodyKey, okKey) {
  const dlg = $("confirm-dialog");
  setText($("confirm-title"), titleKey, args);
  setText($("confirm-body"), bodyKey, args);
  setText($("confirm-ok"), okKey);
  dlg.returnValue = "";
  dlg.showModal();
  $("confirm-ok").focus();
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "ok"), { once: true });
  });
}

async function deactivate(a, ctx) {
  if (!(await confirmDialog("adm.deact.title", { name: a.display_name }, "adm.deact.body", "adm.deact.confirm"))) return;
  await patchActive(a, false, ctx, "adm.agent.deactivated");
}

async function reactivate(a, ctx) {
  await patchActive(a, true, ctx, "adm.agent.reactivated");
}

/** A leaving agent's customers, complaints, promises and callbacks, moved in one audited
 * action (docs/promises.md) to an active agent or dealt over a team. */
function reassignControl(a, ctx) {
  const others = state.agents.filter((x) => x.active && x.id !== a.id);
  const teams = [...new Set(others.map((x) => x.team).filter(Boolean))].sort();
  const select = h(
    "select",
    { id: "agent-reassign-to", "aria-label": "" },
    others.map((x) => h("option", { value: `agent:${x.id}`, text: x.display_name })),
    teams.map((team) => h("option", { value: `team:${team}` }, tx("adm.reassign.team", { team }))),
  );
  setAttrText(select, "aria-label", "adm.reassign.to");
  const go = async () => {
    const [kind, value] = select.value.split(/:(.*)/s);
    if (!value) return;
    const body = kind === "team" ? { to_team: value } : { to_agent_id: Number(value) };
    try {
      const out = await api("POST", `/api/agents/${a.id}/reassign`, body);
      toast({ kind: "success", text: "adm.reassign.done", args: { name: a.display_name, customers: out.customers, complaints: out.complaints, promises: out.promises, callbacks: out.callbacks } });
    } catch (err) {
      if (err.status !== 401) ctx.show(err, null);
    }
  };
  return h("span", { class: "adm-reassign" }, select, h("button", { type: "button", class: "btn btn-sm", id: "agent-reassign", onclick: go }, tx("adm.reassign.button")));
}

async function patchActive(a, active, ctx, doneKey) {
  try {
    const out = await api("PATCH", `/api/agents/${a.id}`, { active });
    upsert(state.agents, out);
    toast({ kind: "success", text: doneKey, args: { name: out.display_name } });
    drawAgents();
    drawAgentEditor();
  } catch (err) {
    if (err.status !== 401) ctx.show(err, null);
  }
}

// --- reset password -------------------------------------------------------------------------

const PW_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

function generatePassword(length = 16) {
  const out = [];
  const bytes = new Uint32Array(length);
  crypto.getRandomValues(bytes);
  for (const b of bytes) out.push(PW_ALPHABET[b % PW_ALPHABET.length]);
  return out.join("");
}

let pwAgent = null;

function openPasswordDialog(a) {
  pwAgent = a;
  const dlg = $("pw-dialog");
  setText($("pw-title"), "adm.pw.title", { name: a.display_name });
  $("pw-choose").hidden = false;
  $("pw-shown").hidden = true;
  $("pw-new").value = "";
  $("pw-generated").value = "";
  $("pw-new-error").textContent = "";
  $("pw-error").textContent = "";
  $("pw-new").removeAttribute("aria-invalid");
  dlg.querySelector('input[value="type"]').checked = true;
  syncPwMode();
  dlg.showModal();
  $("pw-new").focus();
}

function pwMode() {
  return $("pw-dialog").querySelector('input[name="pw-mode"]:checked').value;
}

function syncPwMode() {
  const generate = pwMode() === "generate";
  $("pw-type-field").hidden = generate;
  setText($("pw-submit"), generate ? "adm.pw.generate_set" : "adm.pw.set");
}

async function submitPassword(e) {
  e.preventDefault();
  const a = pwAgent;
  if (!a) return;
  const generate = pwMode() === "generate";
  const password = generate ? generatePassword() : $("pw-new").value;
  const fieldErr = $("pw-new-error");
  fieldErr.textContent = "";
  $("pw-error").textContent = "";
  $("pw-new").removeAttribute("aria-invalid");
  $("pw-submit").disabled = true;
  try {
    await api("PATCH", `/api/agents/${a.id}`, { password });
    if (a.id === state.me?.id) {
      // Our own sessions ended with the change: sign in again with the new password.
      $("pw-dialog").close();
      endSession("login.expired");
      return;
    }
    if (generate) {
      setText($("pw-title"), "adm.pw.done_title", { name: a.display_name });
      $("pw-choose").hidden = true;
      $("pw-shown").hidden = false;
      $("pw-generated").value = password;
      $("pw-generated").select();
      $("pw-copy").focus();
    } else {
      $("pw-dialog").close();
      toast({ kind: "success", text: "adm.pw.changed", args: { name: a.display_name } });
    }
  } catch (err) {
    if (err.status === 401) return;
    const item = err.status === 422 && Array.isArray(err.body?.detail) ? err.body.detail[0] : { msg: err.message, type: err.code };
    const where = (item?.loc || []).includes("password") && !generate ? fieldErr : $("pw-error");
    const { key, raw } = err.status === 0 ? { key: "err.network" } : messageFor("password", item || {}, err);
    if (key) setText(where, key);
    else where.textContent = raw;
    if (where === fieldErr) {
      $("pw-new").setAttribute("aria-invalid", "true");
      $("pw-new").focus();
    }
  } finally {
    $("pw-submit").disabled = false;
  }
}

async function copyPassword() {
  const input = $("pw-generated");
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    input.select();
    document.execCommand("copy");
  }
  setText($("pw-copy"), "adm.pw.copied");
  setTimeout(() => setText($("pw-copy"), "adm.pw.copy"), 2000);
}

function closePasswordDialog() {
  $("pw-generated").value = ""; // shown once: gone with the dialog
  $("pw-new").value = "";
  pwAgent = null;
  $("pw-dialog").close();
}

// --- queues -------------------------------------------------------------------------------

async function loadQueues() {
  try {
    state.queues = await get("/api/queues");
    state.failed.queues = false;
  } catch (err) {
    state.failed.queues = true;
    if (err.status !== 401) errorToast(err);
  }
  state.loaded.queues = true;
  drawQueues();
}

function queueLabel(name) {
  const q = state.queues.find((x) => x.name === name);
  return q ? q.display_name : name;
}

function overflowChain(q) {
  const chain = [];
  let cur = q.overflow_queue;
  while (cur && !chain.includes(cur) && chain.length < 10) {
    chain.push(cur);
    cur = state.queues.find((x) => x.name === cur)?.overflow_queue;
  }
  return chain;
}

function drawQueues() {
  const rows = [...state.queues].sort((a, b) => a.name.localeCompare(b.name));
  $("queues-count").textContent = state.loaded.queues ? formatNumber(rows.length) : "";
  const empty = $("queues-empty");
  empty.hidden = rows.length > 0 || !state.loaded.queues;
  setText(empty, state.failed.queues ? "adm.load_failed" : "adm.queues.empty");
  if (!state.loaded.queues) {
    fill($("queues"), h("tr", {}, h("td", { colspan: 5, class: "faint", i18n: "adm.loading" })));
    return;
  }
  fill(
    $("queues"),
    rows.map((q) => {
      const selected = q.id === state.queueSel;
      const chain = overflowChain(q);
      return h(
        "tr",
        {
          class: selected ? "is-selected" : "",
          dataset: { id: q.id, name: q.name },
          onclick: (e) => {
            if (e.target.closest("button") === null) selectQueue(q.id);
          },
        },
        h(
          "td",
          { class: "adm-name-cell" },
          h("button", { type: "button", class: "adm-row-btn", "aria-current": selected ? "true" : null, title: q.display_name, onclick: () => selectQueue(q.id) }, txt("span", q.display_name, "adm-name")),
          txt("div", q.name, "adm-sub"),
        ),
        h("td", {}, q.skills.length ? skillChips(q.skills, 3) : h("span", { class: "faint", text: t("adm.none") })),
        h("td", { class: "r num", i18n: "adm.seconds", args: { n: q.sla_seconds } }),
        h("td", { class: "r num", i18n: "adm.seconds", args: { n: q.max_wait_seconds } }),
        h("td", { class: "adm-ellipsis", title: chain.join(" → ") }, chain.length ? chain.map((n, i) => [i ? txt("span", " → ", "faint") : null, txt("span", queueLabel(n))]) : h("span", { class: "faint", text: t("adm.none") })),
      );
    }),
  );
}

async function selectQueue(id) {
  if (state.queueSel === id) return;
  if (!(await mayLeave($("queue-editor")))) return;
  state.queueSel = id;
  drawQueues();
  drawQueueEditor();
  $("queue-editor").querySelector("input:not([disabled]),select:not([disabled])")?.focus();
}

function drawQueueEditor() {
  const box = $("queue-editor");
  const isNew = state.queueSel === "new";
  const queue = isNew ? null : state.queues.find((q) => q.id === state.queueSel);
  box.isDirty = null;
  if (!isNew && !queue) {
    fill(box, placeholder("adm.queues.pick"));
    return;
  }
  const ro = state.readOnly;
  const ctx = new FormCtx();
  const q = queue || { skills: [], sla_seconds: 20, max_wait_seconds: 600, overflow_queue: null };
  const name = textInput("", { autocapitalize: "none", maxlength: 64 });
  const displayName = textInput(q.display_name, { maxlength: 200 });
  const skills = new ChipInput(q.skills, { suggestions: knownSkills(), listId: "dl-queue-skills" });
  const sla = numberInput(q.sla_seconds, 1, 86400);
  const maxWait = numberInput(q.max_wait_seconds, 1, 86400);
  const overflow = h(
    "select",
    {},
    h("option", { value: "", i18n: "adm.f.overflow_none" }),
    state.queues
      .filter((o) => o.id !== q.id)
      .sort((x, y) => x.name.localeCompare(y.name))
      .map((o) => h("option", { value: o.name, selected: o.name === q.overflow_queue, text: `${o.display_name} (${o.name})` })),
  );
  for (const el of [name, displayName, sla, maxWait, overflow]) el.disabled = ro;
  skills.disabled = ro;

  const head = h(
    "header",
    { class: "adm-ed-head" },
    h(
      "div",
      { class: "adm-ed-title" },
      isNew ? h("h2", { i18n: "adm.queue.new_title" }) : h("h2", { text: q.display_name, title: q.display_name }),
      isNew ? null : h("div", { class: "adm-ed-sub" }, txt("span", q.name, "adm-mono")),
    ),
  );
  const fields = h(
    "div",
    { class: "adm-fieldset" },
    h(
      "div",
      { class: "adm-grid" },
      isNew ? ctx.field("name", "adm.f.name", name, { hint: "adm.f.name_hint", required: true }) : null,
      ctx.field("display_name", "adm.f.queue_display", displayName, { wide: !isNew, required: true }),
      ctx.field("skills", "adm.f.queue_skills", skills.el, { hint: "adm.f.queue_skills_hint", wide: true }),
      ctx.field("sla_seconds", "adm.f.sla", sla, { hint: "adm.f.sla_hint" }),
      ctx.field("max_wait_seconds", "adm.f.max_wait", maxWait, { hint: "adm.f.max_wait_hint" }),
      ctx.field("overflow_queue", "adm.f.overflow", overflow, { wide: true }),
    ),
  );
  // The queue's own target per customer grade (sla_by_grade); an empty box takes the
  // default of config/supervisor.yaml, else the queue's own target.
  const ownTargets = q.sla_by_grade || {};
  const gradeInputs = GRADES.map((g) => {
    const input = numberInput(ownTargets[g], 1, 86400);
    input.id = `queue-grade-${g}`;
    input.placeholder = "—";
    input.disabled = ro;
    return [g, input];
  });
  const grades = h(
    "section",
    { class: "adm-fieldset" },
    h("h3", { class: "adm-sub-head", i18n: "adm.f.grade_targets" }),
    h("p", { class: "muted adm-hint-line", i18n: "adm.f.grade_targets_body" }),
    h(
      "div",
      { class: "adm-grid adm-grid-grades" },
      gradeInputs.map(([g, input]) => ctx.field(`sla_by_grade.${g}`, `grade.${g}`, input)),
    ),
  );

  function gradeTargets() {
    const out = {};
    for (const [g, input] of gradeInputs) {
      const v = intOf(input);
      if (v !== null) out[g] = v;
    }
    return sortedObj(out);
  }

  function values() {
    return {
      display_name: displayName.value.trim(),
      skills: skills.value,
      sla_seconds: intOf(sla),
      max_wait_seconds: intOf(maxWait),
      overflow_queue: overflow.value || null,
      sla_by_grade: gradeTargets(),
    };
  }

  const save = h("button", { type: "submit", class: "btn btn-primary", id: "queue-save" }, tx(isNew ? "adm.create" : "adm.save"));
  const discard = h("button", { type: "button", class: "btn", onclick: () => (isNew ? selectQueueNone() : drawQueueEditor()) }, tx(isNew ? "common.cancel" : "adm.discard"));
  const form = h(
    "form",
    { class: "adm-form", novalidate: true, id: "queue-form" },
    h("div", { class: "adm-ed-body" }, head, fields, grades),
    ro ? null : h("footer", { class: "adm-ed-actions" }, ctx.formError, h("div", { class: "adm-actions-row" }, save, discard)),
  );
  /** What to send: the whole new queue, or only the fields that changed. */
  function changes() {
    const v = values();
    if (isNew) {
      const body = { name: name.value.trim(), ...v };
      for (const k of ["sla_seconds", "max_wait_seconds", "overflow_queue"]) if (body[k] === null) delete body[k];
      return body;
    }
    const body = {};
    for (const [k, val] of Object.entries(v)) {
      const was = k === "sla_by_grade" ? sortedObj(q.sla_by_grade) : q[k];
      if (!same(val, was)) body[k] = val;
    }
    return body;
  }
  box.isDirty = () => !ro && (isNew ? !!(name.value.trim() || displayName.value.trim()) : Object.keys(changes()).length > 0);
  onEditorSubmit(form, {
    ctx,
    save,
    isNew,
    changes,
    path: isNew ? "/api/queues" : `/api/queues/${q.id}`,
    done: isNew ? "adm.queue.created" : "adm.queue.saved",
    taken: "name",
    saved: (out) => {
      upsert(state.queues, out);
      state.queueSel = out.id;
    },
    redraw: () => {
      drawQueues();
      drawQueueEditor();
    },
  });
  fill(box, form);
}

function selectQueueNone() {
  $("queue-editor").isDirty = null;
  state.queueSel = null;
  drawQueues();
  drawQueueEditor();
}

// --- routing policy -----------------------------------------------------------------------

async function loadPolicy() {
  try {
    state.policy = await get("/api/routing/policy");
    state.failed.policy = false;
  } catch (err) {
    state.failed.policy = true;
    state.policyError = err;
  }
  state.loaded.policy = true;
  drawPolicy();
}

function named(kind, values) {
  return values.map((v) => (hasKey(`${kind}.${v}`) ? t(`${kind}.${v}`) : v)).join(" · ");
}

function condChip(labelKey, args, value) {
  return h("span", { class: "adm-cond" }, h("span", { class: "adm-cond-k", i18n: labelKey, args }), value != null ? txt("span", value, "adm-cond-v") : null);
}

function conditionChips(w) {
  const out = [];
  if (w.grade) out.push(condChip("adm.cond.grade", null, named("grade", w.grade)));
  if (w.lifecycle) out.push(condChip("adm.cond.lifecycle", null, named("lifecycle", w.lifecycle)));
  if (w.churn_risk_at_least != null) out.push(condChip("adm.cond.churn", { v: w.churn_risk_at_least }));
  if (w.open_complaint != null) out.push(condChip(w.open_complaint ? "adm.cond.complaint_yes" : "adm.cond.complaint_no"));
  if (w.repeat_within_hours != null) out.push(condChip("adm.cond.repeat", { h: formatNumber(w.repeat_within_hours, w.repeat_within_hours % 1 ? 1 : 0) }));
  if (w.language) out.push(condChip("adm.cond.language", null, w.language.join(" · ")));
  if (w.intent) out.push(condChip("adm.cond.intent", null, w.intent.join(" · ")));
  if (w.queue) out.push(condChip("adm.cond.queue", null, w.queue.map(queueLabel).join(" · ")));
  if (w.channel) out.push(condChip("adm.cond.channel", null, named("channel", w.channel)));
  for (const [k, vs] of Object.entries(w.attributes || {})) out.push(condChip("adm.cond.attr", { k }, vs.join(" · ")));
  if (w.any?.length) {
    out.push(
      h(
        "span",
        { class: "adm-cond-any" },
        h("span", { class: "adm-cond-k", i18n: "adm.policy.any_of" }),
        w.any.map((alt) => h("span", { class: "adm-cond-alt" }, conditionChips(alt))),
      ),
    );
  }
  return out;
}

function skillsText(skills) {
  return Object.entries(skills)
    .map(([s, l]) => (l > 1 ? `${s} ≥ ${l}` : s))
    .join(" · ");
}

function ruleCard(rule, fallback = false) {
  const conds = conditionChips(rule.when);
  return h(
    "li",
    { class: `card adm-rule${fallback ? " adm-rule-fallback" : ""}`, dataset: { rule: rule.name } },
    h(
      "header",
      { class: "adm-rule-head" },
      fallback ? null : txt("span", String(rule.position), "adm-rule-pos num"),
      h("h4", {}, fallback ? tx("adm.policy.fallback") : txt("span", rule.title)),
      fallback ? null : txt("code", rule.name, "adm-mono faint"),
      rule.priority_boost ? h("span", { class: "badge tag-warn adm-boost", i18n: "adm.policy.boost", args: { n: formatNumber(rule.priority_boost) } }) : null,
    ),
    h(
      "div",
      { class: "adm-rule-body" },
      h(
        "dl",
        { class: "adm-rule-facts" },
        fallback ? null : [h("dt", { i18n: "adm.policy.when" }), h("dd", { class: "adm-conds" }, conds.length ? conds : h("span", { class: "muted", i18n: "adm.policy.always" }))],
        [h("dt", { i18n: "adm.policy.skills" }), h("dd", {}, rule.skills ? txt("span", skillsText(rule.skills) || t("adm.none")) : h("span", { class: "muted", i18n: "adm.policy.queue_skills" }))],
        rule.preferred.length ? [h("dt", { i18n: "adm.policy.preferred" }), h("dd", { text: rule.preferred.join(" · ") })] : null,
      ),
      h(
        "ol",
        { class: "adm-steps", "aria-label": t("adm.policy.steps") },
        rule.steps.map((s) =>
          h(
            "li",
            { class: `adm-step adm-step-${s.target}` },
            txt("span", String(s.number), "adm-step-n num"),
            h(
              "div",
              { class: "adm-step-main" },
              h(
                "div",
                { class: "adm-step-title" },
                txt("strong", s.label),
                s.target === "overflow" ? null : h("span", { class: "faint" }, s.timeout_seconds != null ? tx("adm.policy.step_for", { n: formatNumber(s.timeout_seconds) }) : tx("adm.policy.step_last")),
              ),
              s.target === "overflow"
                ? h("div", { class: "adm-step-elig muted", i18n: "adm.policy.moves" })
                : h("div", { class: "adm-step-elig muted", i18n: "adm.policy.eligible", args: { who: s.eligible.join(" + ") } }),
            ),
          ),
        ),
      ),
    ),
  );
}

function drawPolicy() {
  const box = $("policy");
  if (!state.loaded.policy) {
    fill(box, h("p", { class: "muted adm-pad", i18n: "adm.loading" }));
    return;
  }
  if (state.failed.policy) {
    const { key, raw } = errorText(state.policyError);
    fill(
      box,
      h(
        "div",
        { class: "card adm-pol-head" },
        h("p", { class: "adm-form-error", i18n: "adm.load_failed" }),
        key ? h("p", { class: "muted", i18n: key }) : txt("p", raw, "muted"),
        h("button", { type: "button", class: "btn btn-sm", onclick: reloadPolicy }, tx("adm.retry")),
      ),
    );
    return;
  }
  const p = state.policy;
  const perMin = p.aging.points_per_second * 60;
  const setting = (labelKey, value) => h("div", { class: "adm-setting" }, h("dt", { i18n: labelKey }), value);
  fill(
    box,
    h(
      "section",
      { class: "card adm-pol-head", "aria-labelledby": "policy-title" },
      h(
        "div",
        { class: "adm-pol-title" },
        h("h2", { id: "policy-title", i18n: "adm.policy.title" }),
        h("span", { id: "policy-status", class: `badge ${p.valid ? "tag-ok" : "tag-danger"}`, i18n: p.valid ? "adm.policy.valid" : "adm.policy.invalid" }),
        h("span", { class: "adm-spacer" }),
        h("button", { type: "button", class: "btn btn-sm", id: "policy-reload", onclick: reloadPolicy }, tx("adm.policy.reload")),
      ),
      h("p", { class: "muted", i18n: "adm.policy.file", args: { file: p.file } }),
      p.error
        ? h("div", { class: "adm-pol-error", role: "alert" }, h("p", { i18n: "adm.policy.error_title" }), h("pre", { id: "policy-error", text: p.error }))
        : null,
      p.restart_needed ? h("p", { class: "adm-pol-restart", role: "note", i18n: "adm.policy.restart" }) : null,
      h(
        "dl",
        { class: "adm-settings" },
        setting("adm.policy.aging", h("dd", { i18n: "adm.policy.aging_v", args: { n: formatNumber(p.aging.points_per_second, 2), m: formatNumber(perMin, perMin % 1 ? 1 : 0) } })),
        setting("adm.policy.offer_timeout", h("dd", { i18n: "adm.seconds", args: { n: formatNumber(p.offers.timeout_seconds) } })),
        setting("adm.policy.max_missed", h("dd", { class: "num", text: formatNumber(p.offers.max_missed) })),
        setting("adm.policy.cooldown", h("dd", { i18n: "adm.seconds", args: { n: formatNumber(p.offers.reoffer_cooldown_seconds) } })),
        setting("adm.policy.wrapup", h("dd", { i18n: "adm.policy.wrapup_v", args: { t: formatNumber(p.wrapup.timeout_seconds), e: formatNumber(p.wrapup.extend_seconds), m: formatNumber(p.wrapup.max_seconds) } })),
      ),
    ),
    h(
      "section",
      { class: "adm-rules-sec", "aria-labelledby": "rules-title" },
      h("div", { class: "adm-rules-head" }, h("h3", { id: "rules-title", i18n: "adm.policy.rules" }), h("p", { class: "muted", i18n: "adm.policy.rules_hint" })),
      p.rules.length ? h("ol", { class: "adm-rules", id: "policy-rules" }, p.rules.map((r) => ruleCard(r))) : h("p", { class: "adm-empty", i18n: "adm.policy.no_rules" }),
      h("ol", { class: "adm-rules" }, ruleCard(p.fallback, true)),
    ),
  );
}

function reloadPolicy() {
  state.loaded.policy = false;
  drawPolicy();
  loadPolicy();
}

// --- simulations ----------------------------------------------------------------------------
// A candidate policy against the one in force (docs/simulator.md): the form that starts a run
// beside the runs the server keeps, polled every second while one is going. The report is the
// server's page; it needs the bearer token, so it is fetched and opened from a blob.

const SIM_POLICY_KEY = "hotline.sim.policy"; // the candidate being written survives a reload
const MAX_POLICY_BYTES = 200_000;
const MAX_ROSTER_BYTES = 1_000_000;
const SIM_EXAMPLE = `# A candidate: VIPs go to senior agents after 10 s instead of 30 s.
# Only the rules given here apply (copy the others from config/routing.yaml to keep them);
# queues, aging, offers and wrap-up are those in force.
rules:
  - name: vip
    when: {grade: vip}
    priority_boost: 60
    preferred: [account_manager]
    steps:
      - {target: preferred, timeout: 10}
      - {target: senior, timeout: 60}
      - {target: skilled, timeout: 240}
      - {target: overflow}
  - name: default
    steps:
      - {target: skilled, timeout: 600}
`;
// The overall figures shown for a finished run: name, unit, which way is better (+1 up, -1
// down, 0 neither).
const HEADLINE = [
  ["service level", "%", 1],
  ["ASA", "s", -1],
  ["abandon rate", "%", -1],
  ["longest wait", "s", -1],
  ["longest VIP wait", "s", -1],
  ["served by preferred agent", "%", 1],
  ["occupancy", "%", 0],
];

const sims = {
  list: [],
  loaded: false,
  failed: null,
  timer: 0,
  items: new Map(), // id → {el, status, update}
  seen: new Map(), // id → status at the last look (to say when a run ends)
  reports: new Map(), // id → blob: URL of its report
  form: null, // {ctx, run, busyNote, ...}
  roster: null, // {name, text}
};

function simDay(iso) {
  if (!iso) return "";
  const d = new Date(`${iso}T00:00:00Z`);
  const loc = getLang() === "zh" ? "zh-CN" : "en-GB";
  return new Intl.DateTimeFormat(loc, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" }).format(d);
}

const plainNumber = (n) => formatNumber(n, Number.isInteger(n) ? 0 : 1);

function simTraffic(s) {
  const tr = s.traffic;
  const parts = [];
  if (tr.kind === "synthetic") {
    const x = tr.synthetic;
    parts.push(t("adm.sim.synthetic", { rate: plainNumber(x.rate_per_hour), aht: plainNumber(x.aht_seconds), hours: plainNumber(x.hours) }));
    parts.push(x.agents != null ? t("adm.sim.agents_n", { n: formatNumber(x.agents) }) : t("adm.sim.agents_erlang"));
    if (x.patience_seconds != null) parts.push(t("adm.sim.patience", { n: plainNumber(x.patience_seconds) }));
  } else {
    const one = !tr.to || tr.to === tr.from;
    parts.push(t(one ? "adm.sim.recorded_one" : "adm.sim.recorded_span", { from: simDay(tr.from), to: simDay(tr.to) }));
  }
  if (tr.roster) parts.push(t("adm.sim.roster_file"));
  if (tr.seed !== 1) parts.push(t("adm.sim.seed", { n: tr.seed }));
  return parts.join(" · ");
}

function simSeconds(v) {
  return t("adm.seconds", { n: formatNumber(v, Math.abs(v) < 100 ? 1 : 0) });
}

function simFigure(unit, v) {
  if (v == null) return "—";
  return unit === "%" ? `${formatNumber(v * 100, 1)} %` : simSeconds(v);
}

/** Candidate − current, with whether it is better: {text, cls}. */
function simChange(unit, better, a, b) {
  if (a == null || b == null) return { text: "—", cls: "" };
  const d = b - a;
  const small = unit === "%" ? Math.abs(d) < 0.0005 : Math.abs(d) < 0.05;
  if (small) return { text: "±0", cls: "same" };
  const sign = d > 0 ? "+" : "−";
  const text = unit === "%" ? t("adm.sim.pts", { sign, n: formatNumber(Math.abs(d) * 100, 1) }) : sign + simSeconds(Math.abs(d));
  const cls = better === 0 ? "" : Math.sign(d) === better ? "better" : "worse";
  return { text, cls };
}

function simFigures(s) {
  const byName = new Map(s.headline.map((f) => [f.figure, f]));
  const shown = HEADLINE.filter(([name]) => byName.has(name));
  const cell = (text, cls) => h("td", { class: `num ${cls || ""}`.trim(), text });
  return h(
    "table",
    { class: "adm-sim-figs" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col", class: "adm-sim-corner", i18n: "adm.sim.col.figure" }),
        shown.map(([name]) => {
          const th = h("th", { scope: "col", i18n: `adm.sim.fig.${name}` });
          if (hasKey(`adm.sim.fig_title.${name}`)) setAttrText(th, "title", `adm.sim.fig_title.${name}`);
          return th;
        }),
      ),
    ),
    h(
      "tbody",
      {},
      h("tr", { class: "adm-sim-cur" }, h("th", { scope: "row", i18n: "adm.sim.row.current" }), shown.map(([name, unit]) => cell(simFigure(unit, byName.get(name).current)))),
      h("tr", { class: "adm-sim-cand" }, h("th", { scope: "row", i18n: "adm.sim.row.candidate" }), shown.map(([name, unit]) => cell(simFigure(unit, byName.get(name).candidate)))),
      h(
        "tr",
        { class: "adm-sim-chg" },
        h("th", { scope: "row", i18n: "adm.sim.row.change" }),
        shown.map(([name, unit, better]) => {
          const f = byName.get(name);
          const c = simChange(unit, better, f.current, f.candidate);
          const td = cell(c.text, c.cls);
          if (c.cls === "better" || c.cls === "worse") setAttrText(td, "title", `adm.sim.${c.cls}`);
          return td;
        }),
      ),
    ),
  );
}

function simMeta(s) {
  const created = new Date(s.created_at);
  const today = created.toDateString() === new Date().toDateString();
  const parts = [t("adm.sim.meta", { when: formatDate(s.created_at, today ? "time" : "datetime"), who: s.requested_by })];
  parts.push(t("adm.sim.contacts", { n: formatNumber(s.contacts) }));
  if (s.finished_at) {
    const sec = (new Date(s.finished_at) - created) / 1000;
    parts.push(t("adm.sim.took", { dur: sec < 60 ? t("adm.seconds", { n: formatNumber(Math.max(sec, 0.1), sec < 10 ? 1 : 0) }) : humanDuration(sec) }));
  }
  return parts.join(" · ");
}

function simItem(s) {
  const statusCls = { running: "tag-warn", done: "tag-ok", failed: "tag-danger" }[s.status] || "";
  const what = simTraffic(s);
  const meta = h("div", { class: "adm-sim-meta faint", text: simMeta(s) });
  const el = h(
    "li",
    { class: `adm-sim is-${s.status}`, dataset: { id: s.id, status: s.status } },
    h(
      "div",
      { class: "adm-sim-head" },
      h("span", { class: `badge adm-sim-status ${statusCls}`, i18n: `adm.sim.status.${s.status}` }),
      h("strong", { class: "adm-sim-what", text: what, title: what }),
    ),
    meta,
  );
  let update = () => {};
  if (s.status === "running") {
    const bar = h("span", { class: "adm-progress-bar" });
    const prog = h("div", { class: "adm-progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100 }, bar);
    setAttrText(prog, "aria-label", "adm.sim.progress_label");
    const text = h("span", { class: "adm-progress-text num" });
    el.append(h("div", { class: "adm-sim-progress" }, prog, text));
    update = (now) => {
      const pct = Math.max(0, Math.min(100, now.progress * 100));
      bar.style.width = `${pct}%`; // CSSOM, not a style attribute: the page's CSP allows it
      prog.setAttribute("aria-valuenow", String(Math.round(pct)));
      setText(text, "adm.sim.progress", { p: `${formatNumber(pct, 0)} %` });
      meta.textContent = simMeta(now);
    };
    update(s);
  } else if (s.status === "done") {
    const report = h("button", { type: "button", class: "btn btn-sm btn-primary adm-sim-report", onclick: (e) => openReport(s, e.currentTarget) }, tx("adm.sim.open_report"), h("span", { "aria-hidden": "true", text: "↗" }));
    setAttrText(report, "title", "adm.sim.open_report_title");
    const csv = h("button", { type: "button", class: "btn btn-sm adm-sim-csv", onclick: (e) => downloadCsv(s, e.currentTarget) }, h("span", { "aria-hidden": "true", text: "⤓" }), tx("adm.sim.download_csv"));
    el.append(h("div", { class: "adm-sim-figs-wrap" }, simFigures(s)), h("div", { class: "adm-sim-actions" }, report, csv));
  } else {
    el.append(h("div", { class: "adm-sim-error" }, h("p", { i18n: "adm.sim.error_title" }), h("pre", { text: s.error || "" })));
  }
  return { el, status: s.status, update };
}

async function loadSims() {
  clearTimeout(sims.timer);
  if (!state.me || state.readOnly) return;
  try {
    sims.list = await get("/api/simulations");
    sims.failed = null;
  } catch (err) {
    if (err.status === 401) return;
    sims.failed = err;
  }
  sims.loaded = true;
  for (const s of sims.list) {
    const before = sims.seen.get(s.id);
    if (before === "running" && s.status === "done") toast({ kind: "success", text: "adm.sim.finished" });
    if (before === "running" && s.status === "failed") toast({ kind: "error", text: "adm.sim.failed_toast" });
    sims.seen.set(s.id, s.status);
  }
  drawSims();
  const running = sims.list.some((s) => s.status === "running");
  // Every second while a run is going (slower in a hidden tab); after a failed look, again soon.
  if (running || sims.failed) sims.timer = setTimeout(loadSims, !running ? 5000 : document.hidden ? 3000 : 1000);
}

function drawSims(rebuild = false) {
  const box = $("sims");
  const running = sims.list.some((s) => s.status === "running");
  $("tab-sims").classList.toggle("is-busy", running);
  if (sims.form) {
    sims.form.run.disabled = running || sims.form.sending;
    sims.form.busyNote.hidden = !running;
  }
  if (sims.loaded && sims.list.length) setText($("sims-count"), "adm.sims.count", { n: sims.list.length });
  else $("sims-count").textContent = "";
  const empty = $("sims-empty");
  empty.hidden = !sims.loaded || (sims.list.length > 0 && !sims.failed);
  if (sims.failed && !sims.list.length) setText(empty, "adm.sims.load_failed");
  else setText(empty, "adm.sims.empty");
  if (!sims.loaded) {
    fill(box, h("li", { class: "adm-pad faint", i18n: "adm.loading" }));
    sims.items.clear();
    return;
  }
  if (rebuild) sims.items.clear();
  // Items are kept while their state is the same (a running one only moves its bar), so a
  // poll every second neither flickers nor takes the focus from a button.
  const els = sims.list.map((s) => {
    let item = sims.items.get(s.id);
    if (item && item.status === s.status) item.update(s);
    else {
      item = simItem(s);
      sims.items.set(s.id, item);
    }
    return item.el;
  });
  for (const id of [...sims.items.keys()]) if (!sims.list.some((s) => s.id === id)) sims.items.delete(id);
  const same = els.length === box.children.length && els.every((el, i) => box.children[i] === el);
  if (!same) fill(box, els);
}

/** A text answer of the API (the report, the CSV) with the session's token. */
async function fetchText(path) {
  let r;
  try {
    r = await fetch(path, { headers: { Authorization: `Bearer ${session.token}`, "Accept-Language": document.documentElement.lang || "en" } });
  } catch {
    throw new ApiError(0, { detail: "network", code: "network" });
  }
  const text = await r.text();
  if (!r.ok) {
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = { detail: text };
    }
    if (r.status === 401) endSession("login.expired");
    throw new ApiError(r.status, body);
  }
  return text;
}

/** The report as a page of this origin, kept while the admin page is open. */
async function reportUrl(id) {
  if (sims.reports.has(id)) return sims.reports.get(id);
  const html = await fetchText(`/api/simulations/${encodeURIComponent(id)}/report`);
  const url = URL.createObjectURL(new Blob([reportPage(html)], { type: "text/html;charset=utf-8" }));
  sims.reports.set(id, url);
  return url;
}

/** The report page for a blob: URL. A blob page has no headers of its own: the report's
 * policy goes in a <meta> (no script, nothing fetched). Chromium gives it the policy of the
 * page that made it as well (this one's: style-src 'self'), where the report's inline <style>
 * is refused; its rules come from report.css here instead. */
function reportPage(html) {
  const css = `${location.origin}/web/admin/report.css`;
  const head =
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${css}; img-src data:; base-uri 'none'; form-action 'none'">` +
    `<link rel="stylesheet" href="${css}">`;
  return html.replace(/<style>[\s\S]*?<\/style>/i, "").replace(/<head>/i, `<head>${head}`);
}

async function openReport(s, btn) {
  // The tab opens now, in the click (a popup blocker allows that), and shows the report when
  // it has come.
  const win = window.open("", "_blank");
  if (win) {
    try {
      win.document.title = t("adm.sim.report_loading");
      win.document.body.textContent = t("adm.sim.report_loading");
    } catch {
      // not ours to write into: it shows the report in a moment anyway
    }
  }
  btn.disabled = true;
  try {
    const url = await reportUrl(s.id);
    if (win && !win.closed) win.location.replace(url);
    else h("a", { href: url, target: "_blank", rel: "noopener" }).click();
  } catch (err) {
    win?.close();
    if (err.status !== 401) errorToast(err);
  } finally {
    btn.disabled = false;
  }
}

async function downloadCsv(s, btn) {
  btn.disabled = true;
  try {
    const text = await fetchText(`/api/simulations/${encodeURIComponent(s.id)}/report?format=csv`);
    const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
    const a = h("a", { href: url, download: `simulation-${s.id}.csv`, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 30_000);
  } catch (err) {
    if (err.status !== 401) errorToast(err);
  } finally {
    btn.disabled = false;
  }
}

/** A number box's value: a number, null when empty, the text itself when not a number. */
function numOf(input) {
  const raw = input.value.trim();
  if (raw === "") return null;
  const n = Number(raw);
  return Number.isFinite(n) ? n : raw;
}

/** Read a file the admin chose: its text, or null (and a word on the form) when it cannot be. */
async function readChosen(input, maxBytes, ctx, field) {
  const file = input.files?.[0];
  input.value = ""; // the same file may be chosen again after a change on disk
  if (!file) return null;
  if (file.size > maxBytes) {
    ctx.set(field, { key: "adm.sim.file_too_big" });
    setText(ctx.fields.get(field).error, "adm.sim.file_too_big", { n: formatNumber(maxBytes / 1_000_000, maxBytes < 1_000_000 ? 1 : 0) });
    return null;
  }
  try {
    return { name: file.name, text: await file.text() };
  } catch {
    ctx.set(field, { key: "adm.sim.file_unreadable" });
    return null;
  }
}

/** Select line `line` (1-based) of a textarea and scroll it into view. */
function selectLine(area, line) {
  const lines = area.value.split("\n");
  if (line < 1 || line > lines.length) return;
  let start = 0;
  for (let i = 0; i < line - 1; i++) start += lines[i].length + 1;
  area.focus();
  area.setSelectionRange(start, start + lines[line - 1].length);
  const lh = parseFloat(getComputedStyle(area).lineHeight) || 18;
  area.scrollTop = Math.max(0, (line - 3) * lh);
}

/** The API's words about the candidate or the roster, with the line: our lead in the page's
 * language, then the message as the checker words it (it names the rule and the line). */
function showFileError(ctx, err, field, area) {
  const item = (Array.isArray(err.body?.detail) ? err.body.detail : []).find((d) => (d.loc || []).filter((p) => p !== "body")[0] === field);
  const f = ctx.fields.get(field);
  if (!item || !f) return;
  const line = Number.isInteger(err.body?.line) ? err.body.line : null;
  const msg = String(item.msg || "").replace(/^(candidate policy|roster)( line \d+)?: /, "");
  delete f.error.dataset.i18n;
  delete f.error.dataset.i18nArgs;
  fill(
    f.error,
    h("span", { class: "adm-err-lead", i18n: line ? `adm.sim.err.${field}_line` : `adm.sim.err.${field}`, args: line ? { line } : null }),
    " ",
    h("code", { class: "adm-err-msg", text: msg }),
  );
  if (line && area) selectLine(area, line);
}

function buildSimForm() {
  const box = $("sim-editor");
  const ctx = new FormCtx();

  // The candidate.
  const policy = h("textarea", { class: "adm-yaml", rows: 12, spellcheck: "false", autocomplete: "off", autocapitalize: "none", wrap: "off", maxlength: MAX_POLICY_BYTES });
  policy.placeholder = "rules:\n  - name: vip\n    when: {grade: vip}\n    steps:\n      - {target: senior, timeout: 10}\n      - {target: skilled}";
  try {
    policy.value = localStorage.getItem(SIM_POLICY_KEY) || "";
  } catch {
    policy.value = "";
  }
  const keep = () => {
    try {
      if (policy.value) localStorage.setItem(SIM_POLICY_KEY, policy.value);
      else localStorage.removeItem(SIM_POLICY_KEY);
    } catch {
      // full or refused: the text stays in the box
    }
  };
  policy.addEventListener("input", keep);
  const policyFile = h("input", { type: "file", accept: ".yaml,.yml,text/yaml,text/plain", hidden: true });
  policyFile.addEventListener("change", async () => {
    const got = await readChosen(policyFile, MAX_POLICY_BYTES, ctx, "policy");
    if (!got) return;
    policy.value = got.text;
    keep();
    policy.focus();
  });
  const example = h("button", { type: "button", class: "btn btn-sm btn-ghost", id: "sim-example" }, tx("adm.sim.example"));
  example.addEventListener("click", async () => {
    const text = policy.value.trim();
    if (text && text !== SIM_EXAMPLE.trim() && !(await confirmDialog("adm.sim.example_replace", null, "adm.sim.example_replace_body", "adm.sim.example"))) return;
    policy.value = SIM_EXAMPLE;
    keep();
    policy.focus();
  });
  const openFile = h("button", { type: "button", class: "btn btn-sm btn-ghost", onclick: () => policyFile.click() }, tx("adm.sim.open_file"));

  // The traffic.
  const modeName = `sim-mode-${Math.random().toString(36).slice(2, 7)}`;
  const modeRadio = (value) => h("input", { type: "radio", name: modeName, value, checked: value === "recorded" });
  const recordedRadio = modeRadio("recorded");
  const syntheticRadio = modeRadio("synthetic");
  const modes = h(
    "div",
    { class: "adm-seg", role: "radiogroup" },
    h("label", { class: "adm-seg-opt" }, recordedRadio, tx("adm.sim.mode.recorded")),
    h("label", { class: "adm-seg-opt" }, syntheticRadio, tx("adm.sim.mode.synthetic")),
  );
  setAttrText(modes, "aria-label", "adm.sim.mode");
  const yesterday = new Date(Date.now() - 86_400_000);
  const isoDay = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  const from = h("input", { type: "date", value: isoDay(yesterday), max: isoDay(new Date()) });
  const to = h("input", { type: "date", max: isoDay(new Date()) });
  const recordedPanel = h(
    "div",
    { class: "adm-sim-panel" },
    h("div", { class: "adm-grid" }, ctx.field("from", "adm.sim.f.from", from, { required: true }), ctx.field("to", "adm.sim.f.to", to, { hint: "adm.sim.f.to_hint" })),
    h("p", { class: "adm-hint", i18n: "adm.sim.f.recorded_hint" }),
  );
  const num = (value, min, max, step, ph) => {
    const input = h("input", { type: "number", inputmode: "decimal", min, max, step, value: value ?? "" });
    if (ph) setAttrText(input, "placeholder", ph);
    return input;
  };
  const synth = {
    rate_per_hour: num(600, 1, 100000, "any"),
    aht_seconds: num(180, 1, 86400, "any"),
    hours: num(8, 0.5, 72, "any"),
    agents: num(null, 1, 5000, 1, "adm.sim.f.agents_ph"),
    patience_seconds: num(240, 1, 86400, "any", "adm.sim.f.patience_ph"),
  };
  const syntheticPanel = h(
    "div",
    { class: "adm-sim-panel" },
    h(
      "div",
      { class: "adm-grid adm-grid-3" },
      ctx.field("synthetic.rate_per_hour", "adm.sim.f.rate", synth.rate_per_hour, { required: true }),
      ctx.field("synthetic.aht_seconds", "adm.sim.f.aht", synth.aht_seconds, { required: true }),
      ctx.field("synthetic.hours", "adm.sim.f.hours", synth.hours),
      ctx.field("synthetic.agents", "adm.sim.f.agents", synth.agents, { hint: "adm.sim.f.agents_hint" }),
      ctx.field("synthetic.patience_seconds", "adm.sim.f.patience", synth.patience_seconds, { hint: "adm.sim.f.patience_hint" }),
    ),
    h("p", { class: "adm-hint", i18n: "adm.sim.f.synthetic_hint" }),
  );
  ctx.group("synthetic", syntheticPanel, synth.rate_per_hour);
  const syncMode = () => {
    const synthetic = syntheticRadio.checked;
    syntheticPanel.hidden = !synthetic;
    recordedPanel.hidden = synthetic;
  };
  recordedRadio.addEventListener("change", syncMode);
  syntheticRadio.addEventListener("change", syncMode);
  syncMode();

  // Roster and options.
  const rosterFile = h("input", { type: "file", accept: ".csv,text/csv,text/plain", hidden: true });
  const rosterChoose = h("button", { type: "button", class: "btn btn-sm", id: "sim-roster-choose", onclick: () => rosterFile.click() }, tx("adm.sim.f.roster_choose"));
  const rosterState = h("span", { class: "adm-roster-state" });
  const rosterBox = h("div", { class: "adm-roster" }, rosterChoose, rosterState);
  const drawRoster = () => {
    const r = sims.roster;
    if (!r) {
      fill(rosterState, h("span", { class: "faint", i18n: "adm.sim.f.roster_none" }));
      return;
    }
    const lines = r.text.split(/\r?\n/).filter((l) => l.trim()).length;
    const remove = h("button", {
      type: "button",
      class: "btn btn-sm btn-ghost adm-x",
      text: "×",
      onclick: () => {
        sims.roster = null;
        drawRoster();
        rosterChoose.focus();
      },
    });
    setAttrText(remove, "aria-label", "adm.sim.f.roster_remove");
    setAttrText(remove, "title", "adm.sim.f.roster_remove");
    fill(rosterState, h("span", { class: "adm-file", i18n: "adm.sim.f.roster_file", args: { name: r.name, n: lines } }), remove);
  };
  rosterFile.addEventListener("change", async () => {
    const got = await readChosen(rosterFile, MAX_ROSTER_BYTES, ctx, "roster");
    if (!got) return;
    sims.roster = got;
    drawRoster();
  });
  drawRoster();
  const seed = h("input", { type: "number", inputmode: "numeric", min: 0, max: 2147483648, step: 1, value: 1 });

  const run = h("button", { type: "submit", class: "btn btn-primary", id: "sim-run" }, tx("adm.sim.run"));
  const busyNote = h("p", { class: "adm-hint adm-busy-note", i18n: "adm.sim.busy_note", hidden: true });
  const form = h(
    "form",
    { class: "adm-form", novalidate: true, id: "sim-form" },
    h(
      "div",
      { class: "adm-ed-body" },
      h("header", { class: "adm-ed-head" }, h("div", { class: "adm-ed-title" }, h("h2", { i18n: "adm.sim.new_title" }), h("p", { class: "muted adm-sim-sub", i18n: "adm.sim.new_sub" }))),
      h(
        "fieldset",
        { class: "adm-fieldset" },
        h("legend", { i18n: "adm.sim.section.policy" }),
        ctx.field("policy", "adm.sim.f.policy", policy, { hint: "adm.sim.f.policy_hint", required: true }),
        h("div", { class: "adm-yaml-tools" }, example, openFile, policyFile),
      ),
      h("fieldset", { class: "adm-fieldset" }, h("legend", { i18n: "adm.sim.section.traffic" }), modes, recordedPanel, syntheticPanel),
      h(
        "fieldset",
        { class: "adm-fieldset" },
        h("legend", { i18n: "adm.sim.section.options" }),
        h(
          "div",
          { class: "adm-grid" },
          ctx.field("roster", "adm.sim.f.roster", rosterBox, { hint: "adm.sim.f.roster_hint", wide: true }),
          ctx.field("seed", "adm.sim.f.seed", seed, { hint: "adm.sim.f.seed_hint" }),
        ),
        rosterFile,
      ),
    ),
    h("footer", { class: "adm-ed-actions" }, ctx.formError, busyNote, h("div", { class: "adm-actions-row" }, run)),
  );
  ctx.fields.get("roster").input = rosterChoose;
  sims.form = { ctx, run, busyNote, sending: false };

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    ctx.clear();
    const body = { policy: policy.value, seed: intOf(seed) ?? 1 };
    if (!policy.value.trim()) {
      ctx.set("policy", { key: "adm.err.required" });
      setText(ctx.formError, "adm.fix_fields");
      policy.focus();
      return;
    }
    if (syntheticRadio.checked) {
      body.synthetic = {};
      for (const [k, input] of Object.entries(synth)) {
        const v = numOf(input);
        if (v !== null) body.synthetic[k] = v;
      }
    } else {
      if (!from.value) {
        ctx.set("from", { key: "adm.err.required" });
        setText(ctx.formError, "adm.fix_fields");
        from.focus();
        return;
      }
      body.from = from.value;
      if (to.value) body.to = to.value;
    }
    if (sims.roster) body.roster = sims.roster.text;
    const mine = sims.form; // gone if the session ends meanwhile
    mine.sending = true;
    run.disabled = true;
    setText(run.querySelector("span"), "adm.sim.starting");
    try {
      const out = await api("POST", "/api/simulations", body);
      sims.seen.set(out.id, out.status);
      toast({ kind: "success", text: "adm.sim.started", args: { n: formatNumber(out.contacts) } });
      mine.sending = false;
      await loadSims();
    } catch (err) {
      if (err.status === 401) return;
      if (err.status === 409) {
        setText(ctx.formError, "adm.sim.busy");
        loadSims();
      } else {
        ctx.show(err);
        if (err.status === 422) {
          showFileError(ctx, err, "roster", null);
          showFileError(ctx, err, "policy", policy);
        }
      }
    } finally {
      mine.sending = false;
      setText(run.querySelector("span"), "adm.sim.run");
      if (sims.form === mine) drawSims();
    }
  });
  fill(box, form);
}

function stopSims() {
  clearTimeout(sims.timer);
  for (const url of sims.reports.values()) URL.revokeObjectURL(url);
  sims.reports.clear();
  sims.items.clear();
  sims.seen.clear();
  sims.list = [];
  sims.loaded = false;
  sims.failed = null;
  sims.form = null;
  sims.roster = null;
  $("sim-editor").replaceChildren();
  $("sims").replaceChildren();
}

// --- tabs ---------------------------------------------------------------------------------

function setView(view, { focus = false } = {}) {
  if (!shownViews().includes(view)) view = "agents";
  state.view = view;
  for (const v of VIEWS) {
    const tab = $(`tab-${v}`);
    const on = v === view;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    $(`view-${v}`).hidden = !on;
  }
  if (focus) $(`tab-${view}`).focus();
  if (location.hash.slice(1) !== view) history.replaceState(null, "", `#${view}`);
  if (view === "policy" && !state.loaded.policy) loadPolicy();
  if (view === "sims" && !sims.loaded) loadSims();
}

function installTabs() {
  for (const v of VIEWS) $(`tab-${v}`).addEventListener("click", () => setView(v));
  $("app").querySelector(".adm-tabs").addEventListener("keydown", (e) => {
    const views = shownViews();
    const i = views.indexOf(state.view);
    let next = null;
    if (e.key === "ArrowRight") next = views[(i + 1) % views.length];
    else if (e.key === "ArrowLeft") next = views[(i + views.length - 1) % views.length];
    else if (e.key === "Home") next = views[0];
    else if (e.key === "End") next = views[views.length - 1];
    if (next) {
      e.preventDefault();
      setView(next, { focus: true });
    }
  });
  window.addEventListener("hashchange", () => setView(location.hash.slice(1)));
}

// --- sign in / out ------------------------------------------------------------------------

/** The session ends (signin.js clears it and shows the form): close and forget what was open. */
function stop() {
  for (const d of document.querySelectorAll("dialog[open]")) d.close();
  state.agents = [];
  state.queues = [];
  state.policy = null;
  state.agentSel = null;
  state.queueSel = null;
  state.loaded = { agents: false, queues: false, policy: false };
  stopSims();
}

/** Signed in as an admin, or a supervisor who reads (signin.js sends an agent to the console:
 * this page is not theirs, and the API refuses them too). */
function start(me) {
  state.me = me;
  state.readOnly = me.role !== "admin";
  document.body.dataset.readonly = state.readOnly ? "yes" : "";
  $("readonly-note").hidden = !state.readOnly;
  $("me-readonly").hidden = !state.readOnly;
  $("agent-new").hidden = state.readOnly;
  $("queue-new").hidden = state.readOnly;
  $("tab-sims").hidden = state.readOnly; // the API runs simulations for admins only
  $("me").textContent = me.display_name || me.username || "";
  $("me").title = me.username || "";
  setView(location.hash.slice(1) || "agents");
  drawAgents();
  drawAgentEditor();
  drawQueues();
  drawQueueEditor();
  // Queues first: the agents' and the policy's words use their display names.
  loadQueues().then(() => {
    drawQueueEditor();
    if (state.loaded.policy) drawPolicy();
  });
  loadAgents().then(() => drawAgentEditor());
  if (!state.readOnly) {
    buildSimForm();
    loadSims(); // a run going on (from another tab) is followed from the start
  }
}

function init() {
  setupSignIn({ path: "/admin", roles: ["supervisor", "admin"], start, stop, leavingKey: "adm.login.agent" });
  onLangChange(() => {
    // Words made here follow applyI18n; the policy's labels are the server's: ask again.
    drawAgents();
    drawQueues();
    if (state.loaded.policy && state.policy) loadPolicy();
    else drawPolicy();
    if (sims.form) drawSims(true); // figures and dates in the other language's format
  });
  $("logout").addEventListener("click", signOut);
  installTabs();
  $("agent-new").addEventListener("click", () => selectAgent("new"));
  $("queue-new").addEventListener("click", () => selectQueue("new"));
  $("agent-filter").addEventListener("input", drawAgents);
  $("agent-inactive").addEventListener("change", drawAgents);
  $("pw-form").addEventListener("submit", submitPassword);
  $("pw-cancel").addEventListener("click", closePasswordDialog);
  $("pw-done").addEventListener("click", closePasswordDialog);
  $("pw-copy").addEventListener("click", copyPassword);
  $("pw-dialog").addEventListener("close", () => {
    $("pw-generated").value = "";
  });
  for (const r of document.querySelectorAll('input[name="pw-mode"]')) r.addEventListener("change", syncPwMode);
  window.addEventListener("beforeunload", (e) => {
    if (session.token && ($("agent-editor").isDirty?.() || $("queue-editor").isDirty?.())) e.preventDefault();
  });
  resumeSession();
}

init();
