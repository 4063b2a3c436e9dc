// Customers: search by phone, e-mail or name, and the full record (profile, every contact,
// every complaint).
import { api, get, query } from "../shared/api.js";
import { fill, h, setText, tx } from "../shared/dom.js";
import { icon } from "../shared/icons.js";
import { errorToast } from "../shared/toast.js";
import { complaintList, renderProfile, section, timeline } from "./profile.js";

/** What the agent typed: an e-mail, a phone number or a name. */
export function searchKind(text) {
  const q = text.trim();
  if (q.includes("@")) return "email";
  const digits = q.replace(/\D/g, "");
  if (/^[+()\d\s.\-]+$/.test(q) && digits.length >= 5) return "phone";
  return "name";
}

const PAGE = 50; // results per page (GET /api/customers limit / offset)

export class CustomersView {
  constructor({ form, input, hint, results, record }) {
    this.form = form;
    this.input = input;
    this.hint = hint;
    this.results = results;
    this.record = record;
    this.currentId = null;
    this.seq = 0;
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.search(input.value);
    });
    input.addEventListener("input", () => {
      const q = input.value.trim();
      if (q) setText(hint, `search.by.${searchKind(q)}`);
      else hint.textContent = "";
    });
    this.showEmpty();
  }

  showEmpty() {
    fill(this.record, h("div", { class: "record-empty" }, icon("search", 28), h("p", { i18n: "record.empty" })));
  }

  async search(text) {
    const q = text.trim();
    if (!q) return;
    const kind = searchKind(q);
    setText(this.hint, `search.by.${kind}`);
    const seq = ++this.seq;
    fill(this.results, h("p", { class: "muted pad", i18n: "common.loading" }));
    let page;
    try {
      page = await get(`/api/customers${query({ [kind]: q, limit: PAGE })}`);
    } catch (err) {
      if (seq === this.seq) fill(this.results);
      errorToast(err);
      return;
    }
    if (seq !== this.seq) return;
    this.found = { kind, q, items: page.items, total: page.total };
    if (!page.items.length) {
      // No match: the customer of the previous search is not the answer to this one.
      this.currentId = null;
      this.showEmpty();
      fill(this.results, h("p", { class: "muted pad", i18n: "search.none" }));
      return;
    }
    this.renderResults();
    if (page.items.length === 1) this.open(page.items[0].id);
    else if (!page.items.some((c) => c.id === this.currentId)) {
      this.currentId = null;
      this.showEmpty();
    }
  }

  /** The next page of the same search, added under the results already shown. */
  async more() {
    const found = this.found;
    if (!found || found.items.length >= found.total) return;
    const seq = this.seq;
    this.moreBtn.disabled = true;
    let page;
    try {
      page = await get(`/api/customers${query({ [found.kind]: found.q, limit: PAGE, offset: found.items.length })}`);
    } catch (err) {
      this.moreBtn.disabled = false;
      errorToast(err);
      return;
    }
    if (seq !== this.seq || found !== this.found) return;
    const known = new Set(found.items.map((c) => c.id));
    found.items.push(...page.items.filter((c) => !known.has(c.id)));
    found.total = page.total;
    const first = found.items.length - page.items.length;
    this.renderResults();
    // Keyboard users carry on from the first new result.
    this.results.querySelectorAll(".result")[first]?.focus();
  }

  renderResults() {
    const { items, total } = this.found;
    this.moreBtn =
      items.length < total
        ? h(
            "button",
            { class: "btn btn-sm results-more", type: "button", onclick: () => this.more() },
            tx("search.more", { n: Math.min(PAGE, total - items.length) }),
          )
        : null;
    fill(
      this.results,
      h(
        "p",
        { class: "results-count faint", role: "status" },
        items.length < total ? tx("search.showing", { shown: items.length, n: total }) : tx("search.found", { n: total }),
      ),
      h(
        "ul",
        { class: "results" },
        items.map((c) =>
          h(
            "li",
            {},
            h(
              "button",
              {
                class: "result",
                type: "button",
                "data-customer-id": c.id,
                "aria-pressed": String(c.id === this.currentId),
                onclick: () => this.open(c.id),
              },
              h("span", { class: "result-name" }, h("strong", { text: c.name }), c.is_prospect ? h("span", { class: "badge grade-prospect", i18n: "profile.prospect" }) : null),
              h("span", { class: "result-sub faint", text: [...(c.phones || []), ...(c.emails || [])].join(" · ") || "—" }),
              c.company ? h("span", { class: "result-sub faint", text: c.company }) : null,
            ),
          ),
        ),
      ),
      this.moreBtn,
    );
  }

  /** Load the open record again (e.g. after a language switch: the server's words change). */
  reload() {
    if (this.currentId != null) this.open(this.currentId);
  }

  async open(customerId) {
    this.currentId = customerId;
    for (const b of this.results.querySelectorAll(".result")) {
      b.setAttribute("aria-pressed", String(Number(b.dataset.customerId) === customerId));
    }
    const seq = ++this.seq;
    fill(this.record, h("p", { class: "muted pad", i18n: "common.loading" }));
    let profile, interactions, complaints;
    try {
      [profile, interactions, complaints] = await Promise.all([
        get(`/api/customers/${customerId}/profile`),
        get(`/api/customers/${customerId}/interactions?limit=100`),
        get(`/api/complaints${query({ customer_id: customerId, limit: 100 })}`),
      ]);
    } catch (err) {
      if (seq === this.seq) this.showEmpty();
      errorToast(err);
      return;
    }
    if (seq !== this.seq) return;
    const refresh = h(
      "button",
      { class: "btn btn-sm btn-ghost", type: "button", onclick: () => this.open(customerId) },
      tx("record.refresh"),
    );
    fill(
      this.record,
      h(
        "div",
        { class: "record", "data-customer-id": customerId },
        h("div", { class: "record-head" }, renderProfile(profile, { withLists: false, onSettlePromise: (id, outcome) => this.settle(customerId, id, outcome) }), h("div", { class: "record-tools" }, refresh, this.optOuts(profile.customer))),
        h(
          "div",
          { class: "record-grid" },
          h("div", { class: "record-interactions" }, section("record.interactions", interactions.total, timeline(interactions.items, "profile.no_interactions"))),
          h("div", { class: "record-complaints" }, section("record.complaints", complaints.total, complaintList(complaints.items, "record.no_complaints"))),
        ),
      ),
    );
  }

  /** Mark a promise kept or broken (docs/promises.md), then show the record again. */
  async settle(customerId, promiseId, outcome) {
    try {
      await api("POST", `/api/promises/${promiseId}/${outcome}`, {});
    } catch (err) {
      errorToast(err);
    }
    this.open(customerId);
  }

  /** Per-channel opt-outs (docs/promises.md), edited here; the record's version guards them. */
  optOuts(c) {
    const box = (field) => {
      const input = h("input", { type: "checkbox", name: field });
      input.checked = !!c[field];
      input.addEventListener("change", async () => {
        input.disabled = true;
        try {
          await api("PATCH", `/api/customers/${c.id}`, { [field]: input.checked, version: c.version });
        } catch (err) {
          errorToast(err);
        }
        this.open(c.id);
      });
      return h("label", { class: "check" }, input, tx(`profile.${field}`));
    };
    return h("div", { class: "record-optouts" }, box("do_not_call"), box("do_not_message"));
  }

  focus() {
    this.input.focus();
    this.input.select();
  }
}
