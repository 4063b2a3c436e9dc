// Calm notices in the corner: errors stay a little longer, none shout.
import { h, setText } from "./dom.js";
import { getLang, hasKey, t } from "./i18n.js";

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

/**
 * What to tell the agent about an error from the server (an ApiError, or a websocket `error`
 * message {code, detail, ref}), as {key} (an i18n key) or {raw} (the server's own sentence).
 * The server writes its error sentences in English; they are matched by their stable fields
 * instead: `err.<ref>.<code>` (what was asked and how it failed, e.g. err.state.set.conflict),
 * else `err.code.<code>`. Only an English page may show the server's sentence as it is, when
 * no key says more; every other language gets a sentence of its own, never raw English.
 */
export function errorText(err) {
  const code = err?.code || "default";
  const ref = err?.ref;
  if (ref && hasKey(`err.${ref}.${code}`)) return { key: `err.${ref}.${code}` };
  const sentence =
    typeof err?.body?.message === "string" ? err.body.message : typeof err?.detail === "string" ? err.detail : null;
  if (sentence && getLang() === "en") return { raw: sentence };
  return { key: hasKey(`err.code.${code}`) ? `err.code.${code}` : "err.code.default" };
}

const TITLED = ["conflict", "not_found", "invalid", "forbidden"];

/** An error from the server (ApiError or a websocket `error` message) as a toast. */
export function errorToast(err) {
  if (err?.code === "network" || err?.status === 0) {
    return toast({ kind: "error", title: "err.title.default", text: "err.network" });
  }
  const title = TITLED.includes(err?.code) ? `err.title.${err.code}` : "err.title.default";
  const { key, raw } = errorText(err);
  return toast({ kind: "error", title, text: key, raw });
}
