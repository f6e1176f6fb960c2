// Live guidance: one session's socket, the scans sent to it once a (simulated) second, and what
// its answers mean for the walker. Focus is never moved from here: the walk is heard, not seen.

import { demoBeacons } from "./api.js";
import { DemoRadio, DemoWalker } from "./demo.js";
import { fromGeoJSON } from "./geo.js";
import { num, t } from "./i18n.js";
import { LiveConnection } from "./live.js";

/** Positions older than this are not sent as GNSS: the walker has moved on since. */
const GNSS_FRESH_S = 10;

export class Guidance {
  /**
   * @param {object} o
   * @param {{session_id: string, token: string, ws_url: string}} o.session   the POST /v1/sessions answer
   * @param {object} o.route        the previewed route (POST /v1/routes answer)
   * @param {string} o.mode         gps | demo-walk | demo-gps
   * @param {number} o.speed        simulated seconds per real second (1 outside tests and demos)
   * @param {import("./positions.js").GpsWatch | null} o.gps
   * @param {import("./announcer.js").Announcer} o.announcer
   * @param {import("./map.js").CompanionMap} o.map
   * @param {{now: HTMLElement, history: HTMLElement, conn: HTMLElement, pos: HTMLElement,
   *          pause: HTMLElement}} o.els
   * @param {{arrived: Function, gone: Function}} o.on
   */
  constructor(o) {
    Object.assign(this, o);
    this.connection = new LiveConnection(o.session.session_id, o.session.token, o.session.ws_url, {
      message: (m) => this.handle(m),
      state: (s) => this.connectionState(s),
    });
    this.gnss = o.mode !== "demo-walk";
    this.paused = false;
    this.finished = false;
    this.lastSaid = null;
    this.lastId = null;
    this.lost = false;
    this.timer = null;
  }

  async start() {
    const points = fromGeoJSON(this.route.geometry);
    this.map.setRoute(points);
    this.map.setPosition(null);
    this.els.now.textContent = t("now_waiting");
    this.els.history.replaceChildren();
    this.els.pos.textContent = t("position_unknown");
    if (this.mode !== "gps") {
      const world = await demoBeacons(this.route.geometry);
      this.radio = new DemoRadio(world.radio, parseInt(this.session.session_id.slice(0, 8), 16));
      this.radio.add(world.beacons);
      if (this.mode === "demo-walk") this.walker = new DemoWalker(points, world.radio.speed_mps);
    }
    this.t0 = performance.now();
    this.lastT = 0;
    this.connection.open();
    this.timer = setInterval(() => this.tick(), 1000 / this.speed);
  }

  /** Seconds since the start, on the clock the scans carry (sped up in demos and tests). */
  clock() {
    return Math.round(((performance.now() - this.t0) * this.speed) / 10) / 100;
  }

  /** One scan: the demo walker's or the phone's position, as readings and/or GNSS. */
  tick() {
    const now = this.clock();
    const dt = now - this.lastT;
    this.lastT = now;
    if (this.paused || this.finished) return;
    this.walker?.advance(dt);
    const fix = this.gps?.latest();
    const point = this.walker ? this.walker.position() : fix?.point;
    const message = { type: "scan", t: now, readings: point && this.radio ? this.radio.readingsAt(point) : [] };
    const age = fix ? ((performance.now() - fix.receivedAt) / 1000) * this.speed : Infinity;
    if (this.gnss && fix && age <= GNSS_FRESH_S) {
      message.gnss = {
        lat: fix.point[0], lon: fix.point[1], accuracy_m: fix.accuracy, t: Math.max(0, now - age),
        accuracy_kind: "w3c95", // the W3C Geolocation API's accuracy is a 95 % radius
      };
      if (fix.heading !== null) message.gnss.heading_deg = fix.heading;
      if (fix.speed !== null) message.gnss.speed_mps = fix.speed;
      if (fix.heading !== null) message.heading_deg = fix.heading;
    }
    this.connection.send(message);
  }

  // ---- what the server says

  handle(m) {
    const on = {
      instruction: () => this.instruction(m.text, m.audio_url,
        { id: m.id, interrupts: m.interrupts === true }),
      session: () => this.resumed(m),
      rerouted: () => this.rerouted(m),
      off_route: () => this.instruction(m.text, m.audio_url, { urgent: true }),
      position_uncertain: () => this.instruction(m.text, m.audio_url, { urgent: true }),
      // another connection with this walk's token took it over: said at once (if that was
      // not the walker, someone else holds their walk); the close that follows ends it here
      replaced: () => this.instruction(m.text, m.audio_url, { urgent: true }),
      location_unavailable: () => this.positionLost(m),
      arrived: () => this.arrived(m),
      fix: () => this.fix(m),
      error: () => this.error(m),
    }[m.type];
    on?.(); // "stopped" (the answer to ending the walk): nothing to tell the walker
  }

  instruction(text, audioUrl,
    { urgent = false, done = false, id = null, interrupts = false } = {}) {
    if (id !== null) this.lastId = id;
    this.lastSaid = { text, audioUrl };
    this.els.now.textContent = text;
    const item = document.createElement("li");
    item.textContent = text;
    this.els.history.prepend(item);
    this.announcer.say(text, { urgent, audioUrl, done, interrupts });
  }

  /** The socket is (re)connected: an instruction sent while the network was gone is said now. */
  resumed(m) {
    const last = m.last_instruction;
    if (m.resumed && last && last.id !== this.lastId) {
      this.instruction(last.text, last.audio_url, { id: last.id });
    }
  }

  rerouted(m) {
    this.instruction(m.instruction.text, m.instruction.audio_url,
      { urgent: m.reason === "closed", id: m.instruction.id });
    const points = fromGeoJSON(m.geometry);
    this.map.setRoute(points);
    this.walker?.rejoin(points);
    if (this.radio) {
      demoBeacons(m.geometry).then((world) => this.radio.add(world.beacons)).catch(() => {});
    }
  }

  positionLost(m) {
    this.els.pos.textContent = t("position_unknown");
    this.map.setPosition(null);
    this.instruction(m.text, m.audio_url, { urgent: true });
  }

  fix(m) {
    if (!m.available) return;
    this.els.pos.textContent = t("position_fix", { error: num(m.error_m, 1) });
    this.map.setPosition(m);
  }

  error(m) {
    if (m.code === "invalid_message" && /gnss/.test(m.message) && this.gnss) {
      // a server from before GNSS positioning: send what it takes (beacon readings) from now on
      this.gnss = false;
      if (this.mode === "gps") this.instruction(t("no_gnss_server"), null, { urgent: true });
      return;
    }
    if (m.code === "rate_limited") return;
    this.instruction(m.message, null, { urgent: true });
  }

  arrived(m) {
    this.instruction(m.text, m.audio_url, { done: true });
    this.end();
    this.on.arrived(m.text);
  }

  /** Connection news: said (losing it is a safety matter), but not a route instruction. */
  connectionState(state) {
    if (state === "reconnecting" && !this.lost) {
      this.lost = true;
      this.announcer.say(t("reconnecting"), { urgent: true });
    } else if (state === "open" && this.lost) {
      this.lost = false;
      this.announcer.say(t("reconnected"));
    } else if (state === "gone" && !this.finished) {
      this.stop();
      this.on.gone();
    }
    this.els.conn.textContent = t({ connecting: "connecting", open: "connected",
      reconnecting: "reconnecting", gone: "err_session_gone" }[state]);
  }

  // ---- what the walker asks

  /** repeat | where_am_i | around_me; "repeat" works offline too (the app has the sentence). */
  command(type) {
    if (this.connection.send({ type })) return;
    if (type === "repeat" && this.lastSaid) {
      this.announcer.say(this.lastSaid.text, { audioUrl: this.lastSaid.audioUrl });
    }
  }

  togglePause() {
    this.paused = !this.paused;
    this.els.pause.setAttribute("aria-pressed", String(this.paused)); // the name stays "Pause"
    this.announcer.say(t(this.paused ? "paused" : "resumed"));
  }

  /** The walker ends the walk: the server forgets the session. */
  end() {
    this.connection.send({ type: "stop" });
    this.stop();
  }

  stop() {
    this.finished = true;
    clearInterval(this.timer);
    this.connection.close();
  }
}
