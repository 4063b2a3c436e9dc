// Tiny DOM helpers. Server data only ever goes into textContent or attributes, never innerHTML.
import { t } from "./i18n.js";

/**
 * h("button", {class: "btn", onclick: fn, i18n: "offer.accept"}, child, ...)
 * Props: class, text, i18n (key) + args, label (an {label_en, label_zh} item), dataset, style,
 * on<event> handlers, boolean attributes (true → present) and plain attributes.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = String(v);
    else if (k === "i18n") setText(el, v, props.args);
    else if (k === "args") continue;
    else if (k === "label") setLabel(el, v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style") el.style.cssText = v;
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Text that follows the language: the key (and args) are kept so a language switch redraws it. */
export function setText(el, key, args) {
  el.dataset.i18n = key;
  if (args) el.dataset.i18nArgs = JSON.stringify(args);
  else delete el.dataset.i18nArgs;
  el.textContent = t(key, args);
  return el;
}

/** A translated attribute (placeholder, aria-label, title) that follows the language. */
export function setAttrText(el, attr, key, args) {
  const map = JSON.parse(el.dataset.i18nAttr || "{}");
  map[attr] = args ? [key, args] : [key];
  el.dataset.i18nAttr = JSON.stringify(map);
  el.setAttribute(attr, t(key, args));
  return el;
}

/** A server label {label_en, label_zh, code}. */
export function setLabel(el, item) {
  el.dataset.labelEn = item?.label_en || item?.code || "";
  el.dataset.labelZh = item?.label_zh || item?.label_en || item?.code || "";
  el.textContent = document.documentElement.lang.startsWith("zh")
    ? el.dataset.labelZh
    : el.dataset.labelEn;
  return el;
}

/** <span> with translated text. */
export const tx = (key, args, cls) => h("span", { class: cls, i18n: key, args });

export function isTyping(target) {
  const el = target || document.activeElement;
  if (!el) return false;
  if (el.isContentEditable) return true;
  const tag = el.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag === "INPUT") {
    const type = (el.getAttribute("type") || "text").toLowerCase();
    return !["button", "checkbox", "radio", "submit", "reset"].includes(type);
  }
  return false;
}
