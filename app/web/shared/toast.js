// Calm notices in the corner: errors stay a little longer, none shout.
import { h, setText } from "./dom.js";
import { t } from "./i18n.js";

let region;

function container() {
  if (!region) {
    region = h("div", { class: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(region);
  }
  return region;
}

/**
 * toast({kind: "error"|"info"|"success", title: key, titleArgs, text: key, args, raw: string})
 * `title` and `text` are i18n keys; `raw` is text from the server shown as it is.
 */
export function toast({ kind = "info", title, titleArgs, text, args, raw, timeout } = {}) {
  const box = h("div", { class: `toast toast-${kind}` });
  const body = h("div", { class: "toast-body" });
  if (title) body.append(setText(h("strong", { class: "toast-title" }), title, titleArgs));
  if (text) body.append(setText(h("div", { class: "toast-text" }), text, args));
  if (raw) body.append(h("div", { class: "toast-text", text: raw }));
  const close = h("button", {
    class: "toast-close",
    type: "button",
    "aria-label": t("common.close"),
    text: "×",
    onclick: () => dismiss(),
  });
  box.append(body, close);
  container().append(box);
  const list = container().children;
  while (list.length > 4) list[0].remove();
  const ms = timeout ?? (kind === "error" ? 9000 : 5000);
  let timer = setTimeout(dismiss, ms);
  box.addEventListener("mouseenter", () => clearTimeout(timer));
  box.addEventListener("mouseleave", () => {
    timer = setTimeout(dismiss, 2500);
  });
  function dismiss() {
    clearTimeout(timer);
    box.classList.add("toast-leaving");
    setTimeout(() => box.remove(), 180);
  }
  return dismiss;
}

/** An error from the server (ApiError or a websocket `error` message) as a toast. */
export function errorToast(err) {
  if (err?.code === "network" || err?.status === 0) {
    return toast({ kind: "error", title: "err.title.default", text: "err.network" });
  }
  const code = err?.code;
  const known = ["conflict", "not_found", "invalid", "forbidden"];
  const title = known.includes(code) ? `err.title.${code}` : "err.title.default";
  return toast({ kind: "error", title, raw: err?.detail || err?.message || String(err) });
}
