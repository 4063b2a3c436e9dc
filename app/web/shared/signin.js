// The sign-in form and the session of a page (the console, the wallboard, the admin page):
// the same form on each (#login, #login-form, #login-user, #login-pass, #login-error,
// #login-submit, then #app), the token kept per browser tab (api.js: sessionStorage), and
// each role sent to its own page: agents → /console, supervisors → /wallboard, admins → /admin.
import { ApiError, login, revoke, session, setUnauthorizedHandler } from "./api.js";
import { setText } from "./dom.js";
import { applyI18n, getLang, setLang } from "./i18n.js";
import { errorText } from "./toast.js";

const $ = (id) => document.getElementById(id);

/** Each role's own page. */
export const HOME = { agent: "/console", supervisor: "/wallboard", admin: "/admin" };

let page = null; // the options given to setupSignIn

/**
 * Wire the page's shell: its words, the language buttons, the sign-in form, and the end of a
 * session the server no longer accepts (401). Call resumeSession() once the page is ready.
 *   path: this page's address ("/console"); roles: who this page is for — anyone else is sent
 *     to their own page (HOME; an unknown role to /console);
 *   start(agent): draw the page for the signed-in agent (the form is hidden, #app shown);
 *   stop(): drop what the page holds (sockets, timers, data) when the session ends;
 *   beforeSubmit(): runs first on a submit (the console unlocks its sound there);
 *   leavingKey: words on the form while the browser leaves for the agent's own page.
 */
export function setupSignIn(options) {
  page = options;
  applyI18n(document);
  for (const btn of document.querySelectorAll(".lang-toggle")) {
    btn.addEventListener("click", () => setLang(getLang() === "zh" ? "en" : "zh"));
  }
  $("login-form").addEventListener("submit", onLoginSubmit);
  setUnauthorizedHandler(() => endSession("login.expired"));
}

/** Signed in already in this tab: straight to the page; otherwise the form. */
export function resumeSession() {
  if (session.token) enter();
  else showLogin();
}

export function showLogin(messageKey) {
  $("app").hidden = true;
  $("login").hidden = false;
  const err = $("login-error");
  if (messageKey) setText(err, messageKey);
  else err.textContent = "";
  $("login-pass").value = "";
  $("login-user").focus();
}

/** The session is over (signed out, expired, refused): the page lets go, then the form. */
export function endSession(messageKey) {
  page.stop?.();
  session.clear();
  showLogin(messageKey);
}

/** Sign out here, then revoke the token on the server so a copy of it is worth nothing. */
export function signOut() {
  const token = session.token;
  endSession("login.signed_out");
  revoke(token);
}

function enter() {
  const agent = session.agent;
  const role = agent?.role;
  const home = HOME[role] || HOME.agent;
  if (!page.roles.includes(role) && home !== page.path) {
    // Not this page's work: each role lands on its own page.
    if (page.leavingKey) setText($("login-error"), page.leavingKey);
    location.replace(home);
    return;
  }
  $("login").hidden = true;
  $("app").hidden = false;
  page.start(agent);
}

async function onLoginSubmit(e) {
  e.preventDefault();
  page.beforeSubmit?.();
  const user = $("login-user").value.trim();
  const pass = $("login-pass").value;
  const err = $("login-error");
  if (!user || !pass) {
    setText(err, "login.failed");
    return;
  }
  const btn = $("login-submit");
  btn.disabled = true;
  setText(btn, "login.signing_in");
  try {
    await login(user, pass);
    err.textContent = "";
    enter();
  } catch (ex) {
    if (ex instanceof ApiError && (ex.status === 401 || ex.status === 422)) setText(err, "login.failed");
    else if (ex instanceof ApiError && ex.status === 0) setText(err, "err.network");
    else {
      // Never the server's English sentence in another language: see errorText.
      const { key, raw } = errorText(ex);
      if (key) setText(err, key);
      else {
        delete err.dataset.i18n;
        err.textContent = raw;
      }
    }
  } finally {
    btn.disabled = false;
    setText(btn, "login.submit");
  }
}
