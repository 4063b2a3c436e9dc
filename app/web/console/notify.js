// An offer while the console's tab is hidden: one desktop notification per offer (Notification
// API) and the tab title blinking until the agent looks. Never spammy: permission is asked once,
// on a click of the agent's (going available, or the switch in "My day"), never on page load;
// nothing is shown while the tab is in view (the card, the chime and the title are enough); a
// re-sent offer (reconnect, language switch) does not notify again; a notification closes as
// soon as its offer is answered, withdrawn or the agent looks at the tab.
import { t } from "../shared/i18n.js";
import { offerKindKey } from "./offer.js";

const ASKED_KEY = "hotline.notify.asked";
const BLINK_MS = 1000;

const shown = new Map(); // contact id -> Notification
const notified = new Set(); // contact ids already notified (a re-sent offer stays quiet)
let blinkTimer = null;
let blinkText = "";
let baseTitle = "";

const supported = () => typeof Notification !== "undefined";

/** "granted", "denied", "default" or "unsupported". */
export function permission() {
  return supported() ? Notification.permission : "unsupported";
}

/**
 * Ask for permission, from a user gesture only. With `once`, ask only if this browser was
 * never asked (the first "Available" of the agent's first shift); the switch asks whenever
 * the answer is still open. Resolves to the permission.
 */
export async function askPermission({ once = false } = {}) {
  if (!supported() || Notification.permission !== "default") return permission();
  if (once && localStorage.getItem(ASKED_KEY)) return permission();
  localStorage.setItem(ASKED_KEY, "1");
  try {
    return await Notification.requestPermission();
  } catch {
    return permission();
  }
}

const hidden = () => document.visibilityState === "hidden";

/** A new offer: notify (once) and blink the title if the tab is hidden. */
export function offerArrived(msg, { name }) {
  const id = msg.contact?.id;
  if (id == null || notified.has(id)) return;
  notified.add(id);
  if (notified.size > 500) notified.delete(notified.values().next().value);
  if (!hidden()) return;
  const kind = t(offerKindKey(msg.contact));
  // The title flips between "● Incoming call · Hotline" (renderAll's) and who is calling.
  startBlink(`☎ ${name}`);
  if (permission() !== "granted") return;
  try {
    const n = new Notification(kind, {
      body: t("notify.offer_body", { name }),
      tag: `hotline-offer-${id}`,
      // The chime already sounds (when on); the notification is for the eyes.
      silent: true,
    });
    n.onclick = () => {
      window.focus();
      n.close();
    };
    shown.set(id, n);
  } catch {
    // Some browsers only allow notifications from a service worker: the title still blinks.
  }
}

/** The offer left (accepted, rejected, withdrawn): its notification goes too, and the
 * title rests once no offer is left (`openOffers`). */
export function offerGone(id, openOffers) {
  shown.get(id)?.close();
  shown.delete(id);
  if (openOffers === 0) stopBlink();
}

function startBlink(text) {
  blinkText = text;
  if (blinkTimer) return;
  baseTitle = document.title;
  let on = false;
  blinkTimer = setInterval(() => {
    on = !on;
    // renderAll() rewrites the title on every render; take the latest as the resting one.
    if (document.title !== blinkText) baseTitle = document.title;
    document.title = on ? blinkText : baseTitle;
  }, BLINK_MS);
}

function stopBlink() {
  if (!blinkTimer) return;
  clearInterval(blinkTimer);
  blinkTimer = null;
  if (document.title === blinkText) document.title = baseTitle;
}

/** The agent looks at the tab: the title rests and the notifications close. */
export function installVisibility() {
  document.addEventListener("visibilitychange", () => {
    if (hidden()) return;
    stopBlink();
    for (const n of shown.values()) n.close();
    shown.clear();
  });
}

/** Signed out: nothing of this session stays on the desktop. */
export function clearAll() {
  for (const n of shown.values()) n.close();
  shown.clear();
  notified.clear();
  stopBlink();
}
