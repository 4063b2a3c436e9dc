// The /ws/agent connection: JSON messages, reconnect with backoff, a heartbeat that notices
// a dead link, and ids on what we send so replies and errors can be matched (ref_id).

const BACKOFF = [500, 1000, 2000, 4000, 8000, 15000];
const PING_EVERY = 20000;
const SILENCE_LIMIT = 45000;

export class AgentSocket extends EventTarget {
  /** `urlFn` gives the URL (no token in it), `tokenFn` the bearer token sent first. */
  constructor(urlFn, tokenFn) {
    super();
    this.urlFn = urlFn;
    this.tokenFn = tokenFn;
    this.ws = null;
    this.attempt = 0;
    this.status = "idle"; // idle | connecting | open | waiting | closed
    this.retryAt = 0;
    this.stopped = true;
    this.seq = 0;
    this.timers = {};
    this.everOpened = false;
  }

  start() {
    this.stopped = false;
    this.takenOver = false;
    this.connect();
  }

  /** Close for good (logout): no reconnect. */
  stop() {
    this.stopped = true;
    this.clearTimers();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000, "bye");
    }
    this.setStatus("closed");
  }

  /** Reconnect now instead of waiting for the backoff. */
  retryNow() {
    if (this.stopped || this.status === "open" || this.status === "connecting") return;
    clearTimeout(this.timers.retry);
    this.connect();
  }

  get isOpen() {
    return this.ws?.readyState === WebSocket.OPEN && this.status === "open";
  }

  /** Send a message; returns its id, or null when not connected (nothing is queued). */
  send(type, fields = {}) {
    if (!this.isOpen) return null;
    const id = `c${++this.seq}`;
    this.ws.send(JSON.stringify({ type, id, ...fields }));
    return id;
  }

  connect() {
    this.clearTimers();
    this.setStatus("connecting");
    let ws;
    try {
      ws = new WebSocket(this.urlFn());
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      // Authenticate with the first message, not the URL (URLs end up in logs); the server
      // answers with `hello`, or closes with 4401.
      ws.send(JSON.stringify({ type: "auth", token: this.tokenFn() || "" }));
      this.lastHeard = Date.now();
      this.setStatus("open");
      this.attempt = 0;
      this.timers.ping = setInterval(() => this.heartbeat(), PING_EVERY);
    };
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      this.lastHeard = Date.now();
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch {
        return;
      }
      if (msg && typeof msg.type === "string") {
        this.dispatchEvent(new CustomEvent("message", { detail: msg }));
      }
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.clearTimers();
      if (event.code === 4409) {
        // The agent opened the console in another window, which is live now: no reconnect
        // (it would take the console back), until the agent asks for it (start()).
        this.stopped = true;
        this.takenOver = true;
        this.setStatus("closed");
        this.dispatchEvent(new CustomEvent("takenover", { detail: { reason: event.reason } }));
        return;
      }
      if (event.code === 4401 || event.code === 4403) {
        this.stopped = true;
        this.setStatus("closed");
        this.dispatchEvent(new CustomEvent("denied", { detail: { code: event.code, reason: event.reason } }));
        return;
      }
      if (this.stopped) {
        this.setStatus("closed");
        return;
      }
      this.scheduleRetry();
    };
    ws.onerror = () => {}; // onclose follows and decides
  }

  heartbeat() {
    if (!this.isOpen) return;
    if (Date.now() - this.lastHeard > SILENCE_LIMIT) {
      // Nothing heard for too long: the link is dead even if the browser has not noticed.
      this.ws.close(4000, "silent");
      return;
    }
    this.send("ping");
  }

  scheduleRetry() {
    const base = BACKOFF[Math.min(this.attempt, BACKOFF.length - 1)];
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    this.setStatus("waiting");
    this.timers.retry = setTimeout(() => this.connect(), delay);
  }

  clearTimers() {
    clearInterval(this.timers.ping);
    clearTimeout(this.timers.retry);
    this.timers = {};
  }

  setStatus(status) {
    const previous = this.status;
    this.status = status;
    if (status === "open") this.everOpened = true;
    this.dispatchEvent(new CustomEvent("status", { detail: { status, previous } }));
  }
}
