// The admin page (docs/admin.md): agents, queues and the routing policy. Plain ES modules, no
// build step; the console's shared modules for the API, words, DOM and toasts. Admins change
// things; a supervisor reads (every control disabled); an agent is sent to the console.
import { ApiError, api, get, session } from "../shared/api.js";
import { fill, h, setAttrText, setText, tx } from "../shared/dom.js";
import { formatDate, formatNumber, getLang, hasKey, onLangChange, t } from "../shared/i18n.js";
import { endSession, resumeSession, setupSignIn, signOut } from "../shared/signin.js";
import { errorText, errorToast, toast } from "../shared/toast.js";
import "./words.js";

const $ = (id) => document.getElementById(id);
const ROLES = ["agent", "supervisor", "admin"];
const VIEWS = ["agents", "queues", "policy"];

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
      let name = typeof loc[0] === "string" ? loc[0] : null;
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
      ctx.show(err, err.status === 409 && isNew ? taken : null);
      save.disabled = false;
      setText(save.querySelector("span"), isNew ? "adm.create" : "adm.save");
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
  const grades = h(
    "section",
    { class: "adm-info" },
    h("h3", { i18n: "adm.f.grade_targets" }),
    h("p", { class: "muted", i18n: "adm.f.grade_targets_body" }),
  );

  function values() {
    return {
      display_name: displayName.value.trim(),
      skills: skills.value,
      sla_seconds: intOf(sla),
      max_wait_seconds: intOf(maxWait),
      overflow_queue: overflow.value || null,
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
    for (const [k, val] of Object.entries(v)) if (!same(val, q[k])) body[k] = val;
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

// --- tabs ---------------------------------------------------------------------------------

function setView(view, { focus = false } = {}) {
  if (!VIEWS.includes(view)) view = "agents";
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
}

function installTabs() {
  for (const v of VIEWS) $(`tab-${v}`).addEventListener("click", () => setView(v));
  $("app").querySelector(".adm-tabs").addEventListener("keydown", (e) => {
    const i = VIEWS.indexOf(state.view);
    let next = null;
    if (e.key === "ArrowRight") next = VIEWS[(i + 1) % VIEWS.length];
    else if (e.key === "ArrowLeft") next = VIEWS[(i + VIEWS.length - 1) % VIEWS.length];
    else if (e.key === "Home") next = VIEWS[0];
    else if (e.key === "End") next = VIEWS[VIEWS.length - 1];
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
}

function init() {
  setupSignIn({ path: "/admin", roles: ["supervisor", "admin"], start, stop, leavingKey: "adm.login.agent" });
  onLangChange(() => {
    // Words made here follow applyI18n; the policy's labels are the server's: ask again.
    drawAgents();
    drawQueues();
    if (state.loaded.policy && state.policy) loadPolicy();
    else drawPolicy();
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
