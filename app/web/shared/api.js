// REST calls with the bearer token kept in sessionStorage (one login per browser tab).

const TOKEN_KEY = "hotline.token";
const AGENT_KEY = "hotline.agent";

export class ApiError extends Error {
  constructor(status, body) {
    // `message` is the one readable line every error has (a 422's `detail` is a list).
    const detail = (body && (body.message || body.detail)) || `HTTP ${status}`;
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
    this.status = status;
    this.code = body?.code || codeFor(status);
    this.body = body;
  }
}

function codeFor(status) {
  return (
    { 0: "network", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict", 422: "invalid" }[
      status
    ] || "error"
  );
}

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  get agent() {
    try {
      return JSON.parse(sessionStorage.getItem(AGENT_KEY) || "null");
    } catch {
      return null;
    }
  },
  save(token, agent) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(AGENT_KEY, JSON.stringify(agent));
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(AGENT_KEY);
  },
};

/** Called with the ApiError when the server says the token is no longer good (401). */
let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

export async function api(method, path, body) {
  // Server-made words (reasons, routing explanations) come in the page's language.
  const headers = { Accept: "application/json", "Accept-Language": document.documentElement.lang || "en" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { detail: "network", code: "network" });
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text };
  }
  if (!response.ok) {
    const err = new ApiError(response.status, data);
    if (response.status === 401 && session.token && !path.endsWith("/auth/login")) {
      onUnauthorized(err);
    }
    throw err;
  }
  return data;
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body ?? {});

/** A query string from an object, skipping empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, v);
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export async function login(username, password) {
  const data = await api("POST", "/api/auth/login", { username, password });
  session.save(data.access_token, data.agent);
  return data;
}

/** Revoke a token on the server: every session of the account ends (best effort). */
export async function revoke(token) {
  if (!token) return;
  try {
    await fetch("/api/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${token}` } });
  } catch {
    // Offline: the token still expires on its own.
  }
}

/** ws:// or wss:// URL on this server. No token in it: URLs end up in logs; the socket sends
 * the token in its first message (socket.js). */
export function wsUrl(path, params = {}) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}${path}${query(params)}`;
}
