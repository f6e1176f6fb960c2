// The console's shell: sign-in with a key kept for this tab, tools shown by the key's role
// (exactly what the API lets it do), and the views switched from one tab bar.
import { ApiError, forgetKey, get, saveKey, savedKey } from "./api.js";
import { BeaconTools } from "./beacons.js";
import { Editor } from "./editor.js";
import { $, parseLatLon, show } from "./forms.js";
import { GeometryTools } from "./geometry.js";
import { ConsoleMap } from "./map.js";
import { MappingTools } from "./mapping.js";
import { Suite } from "./suite.js";
import { RouteCheck, Simulator } from "./walks.js";

/** Which tool groups (data-role) a role may use, as the API's role grants say. */
const TOOLS = { mapper: ["mapper"], tester: ["tester"], admin: ["mapper", "tester"] };

// Messages take turns in the status region, each left there a moment before the next: two said
// in one breath (a suite's last verdict and its summary) were otherwise one change of the region,
// and a screen reader (and the test watching it) heard only the second.
const SAY_DWELL_MS = 250;
let saying = Promise.resolve();
const say = (text) => {
  saying = saying.then(() => new Promise((said) => {
    const status = $("status");
    status.textContent = "";
    setTimeout(() => {
      status.textContent = text;
      setTimeout(said, SAY_DWELL_MS);
    }, 50);
  }));
};

function signedOut(message = "") {
  show($("view-signin"), true);
  show($("workspace"), false);
  show($("who"), false);
  show($("sign-out"), false);
  $("signin-error").textContent = message;
  document.body.dataset.signedInAs = "";
}

function whyRefused(err) {
  if (err instanceof ApiError && err.status === 401) {
    return "This API key is not valid. Check that you copied all of it, or ask an admin for a new one.";
  }
  if (err instanceof ApiError && err.status === 429) return `Too many tries: ${err.message}`;
  return `Could not sign in: ${err.message}`;
}

class Console {
  constructor(me) {
    this.role = me.role;
    this.tools = TOOLS[me.role] ?? [];
    for (const el of document.querySelectorAll("main [data-role]")) {
      if (!this.tools.includes(el.dataset.role)) el.remove();
    }
    this.map = new ConsoleMap($("map"), (kind, id) => this.select(kind, id),
      (ident) => this.selectBeacon(ident));
    const mapper = this.tools.includes("mapper");
    const changed = () => { this.map.load(); if (this.view === "route") this.route.plan(); };
    if (mapper) {
      this.editor = new Editor({ map: this.map, say, onSaved: changed });
      this.mapping = new MappingTools({ map: this.map, say, changed,
        select: (kind, id) => this.select(kind, id) });
      this.beacons = new BeaconTools({ map: this.map, say, changed,
        select: (kind, id) => this.select(kind, id) });
      this.geometry = new GeometryTools({ say, changed,
        select: (kind, id) => this.select(kind, id) });
    }
    this.route = new RouteCheck({ map: this.map, say });
    if (this.tools.includes("tester")) {
      this.simulator = new Simulator({ map: this.map, say });
      this.suite = new Suite({ say });
    }
    for (const b of document.querySelectorAll("button[data-view]")) {
      b.addEventListener("click", () => this.open(b.dataset.view));
    }
    this.pickTarget = null;
    for (const b of document.querySelectorAll("[data-pick]")) {
      $(b.dataset.pick).addEventListener("focus", () => { this.pickTarget = b.dataset.pick; });
      b.addEventListener("click", () => {
        const c = this.map.centre();
        $(b.dataset.pick).value = `${c.lat.toFixed(6)}, ${c.lng.toFixed(6)}`;
      });
    }
    this.map.onPick = (latlng) => {
      if (this.pickTarget) $(this.pickTarget).value = `${latlng.lat.toFixed(6)}, ${latlng.lng.toFixed(6)}`;
    };
    $("goto-form").addEventListener("submit", (e) => {
      e.preventDefault();
      try {
        const p = parseLatLon(`${$("goto-lat").value}, ${$("goto-lon").value}`);
        this.map.goTo(p.lat, p.lon);
      } catch (err) { say(err.message); }
    });
    $("select-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.select($("select-kind").value, Number.parseInt($("select-id").value, 10), true);
    });
    this.map.map.on("graphdrawn", () => this.listInView());
    if (me.map_bbox) this.map.fit(me.map_bbox);
    this.open(mapper ? "edit" : "route");
  }

  open(view) {
    this.view = view;
    for (const b of document.querySelectorAll("button[data-view]")) {
      b.setAttribute("aria-pressed", String(b.dataset.view === view));
    }
    for (const s of document.querySelectorAll(".view")) show(s, s.id === `view-${view}`);
    if (view === "closures") this.mapping.closures();
    document.body.dataset.currentView = view;
  }

  /** A feature chosen on the map, in the list or by id: mappers edit it, testers read it. */
  async select(kind, id, zoom = false) {
    if (!Number.isFinite(id)) { say("Type a whole number as the id."); return; }
    if (!this.editor) {
      const edge = this.map.edges.find((e) => e.id === id);
      say(edge ? `Edge ${id}: ${edge.look.replaceAll("_", " ")}` : `${kind} ${id}`);
      return;
    }
    this.open("edit");
    try {
      const row = await this.editor.open(kind, id);
      if (zoom) {
        const at = kind === "edge" ? await get(`/v1/map/nodes/${row.u}`) : row;
        this.map.goTo(at.lat, at.lon, 19);
      }
      say(`${kind} ${id} selected`);
    } catch (err) {
      say(`Cannot open ${kind} ${id}: ${err.message}`);
    }
  }

  /** A beacon chosen on the map, where the map knows it by its identity, not its stored id. */
  async selectBeacon(ident) {
    if (!this.editor) { say(`Beacon ${ident}`); return; }
    try {
      const [row] = await get(`/v1/map/beacons?ident=${encodeURIComponent(ident)}`);
      if (row) await this.select("beacon", row.id);
      else say(`Beacon ${ident} is no longer stored.`);
    } catch (err) {
      say(`Cannot open beacon ${ident}: ${err.message}`);
    }
  }

  listInView() {
    const entry = (text, onClick) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = text;
      b.addEventListener("click", onClick);
      li.append(b);
      return li;
    };
    const edges = this.map.edges.slice(0, 200).map((e) => entry(
      `Edge ${e.id}: ${e.highway}${e.name ? ` ${e.name}` : ""}, ${e.look.replaceAll("_", " ")}${e.closed ? ", closed" : ""}`,
      () => this.select("edge", e.id)));
    const points = this.map.points.slice(0, 100).map((p) => (p.layer === "landmark"
      ? entry(`Landmark ${p.id}: ${p.name} (${p.kind})`, () => this.select("landmark", p.id))
      : entry(`Beacon ${p.kind} ${p.ident}`, () => this.selectBeacon(p.ident))));
    $("in-view-list").replaceChildren(...points, ...edges);
  }
}

async function signIn(key) {
  saveKey(key);
  try {
    const me = await get("/v1/me");
    if (!TOOLS[me.role]) {
      forgetKey();
      signedOut(`This key has the role ${me.role}, which has no console tools. Sign in with a mapper or tester key.`);
      return;
    }
    show($("view-signin"), false);
    show($("workspace"), true);
    $("who").textContent = `Signed in as ${me.role}`;
    show($("who"), true);
    show($("sign-out"), true);
    document.body.dataset.signedInAs = me.role;
    window.consoleApp = new Console(me);
    await window.consoleApp.map.load();
  } catch (err) {
    forgetKey();
    signedOut(whyRefused(err));
    $("key").focus();
  }
}

$("signin-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const key = $("key").value.trim();
  if (!key) { $("signin-error").textContent = "Type or paste your API key."; return; }
  $("key").value = "";
  signIn(key);
});
$("sign-out").addEventListener("click", () => { forgetKey(); window.location.reload(); });

if (savedKey()) await signIn(savedKey()); else signedOut();
document.body.dataset.ready = "true";
