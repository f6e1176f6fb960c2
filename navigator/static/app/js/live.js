// The live session's WebSocket: reconnects after a network drop and resumes the same session
// (the server keeps it; see navigator/live.py), and tells when it cannot.

import { sessionExists } from "./api.js";

const RETRY_MS = [300, 1000, 2000, 4000, 8000];
/** Close codes after which reconnecting is pointless: ended, taken over by another connection
 *  with the session's token (another tab or device), expired. */
const FINAL_CODES = new Set([1000, 4000, 4001]);

export class LiveConnection {
  /**
   * @param {string} sessionId
   * @param {string} token the session's secret (POST /v1/sessions), asked for on every call
   * @param {string} wsPath the session's ws_url (a path on this origin, the token included)
   * @param {{message: Function, state: Function}} on  state: connecting | open | reconnecting | gone
   */
  constructor(sessionId, token, wsPath, on) {
    this.sessionId = sessionId;
    this.token = token;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.url = `${scheme}//${location.host}${wsPath}`;
    this.on = on;
    this.ws = null;
    this.closing = false;
    this.replaced = false;
    this.attempt = 0;
    this.timer = null;
  }

  open() {
    this.on.state(this.attempt === 0 ? "connecting" : "reconnecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.on.state("open");
    };
    ws.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      // taken over: final however the close that follows arrives (a connection dropped
      // right after it reads as 1006, which alone would mean "reconnect")
      if (message.type === "replaced") this.replaced = true;
      this.on.message(message);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws || this.closing) return;
      this.ws = null;
      if (FINAL_CODES.has(event.code) || this.replaced) {
        this.on.state("gone");
      } else {
        this.retry();
      }
    };
  }

  /** Try again after a growing pause, unless the server no longer knows the session. */
  retry() {
    const delay = RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)];
    this.attempt += 1;
    this.on.state("reconnecting");
    this.timer = setTimeout(async () => {
      let exists = true;
      try {
        exists = await sessionExists(this.sessionId, this.token);
      } catch {
        // still offline: try the socket anyway, it fails fast
      }
      if (this.closing) return;
      if (exists) this.open();
      else this.on.state("gone");
    }, delay);
  }

  /** Send a message now; false when the socket is not open (the message is dropped: a
   *  position that could not be sent is stale by the time the connection is back). */
  send(message) {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  close() {
    this.closing = true;
    clearTimeout(this.timer);
    this.ws?.close(1000);
    this.ws = null;
  }
}
