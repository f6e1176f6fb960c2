// Editing one edge, node, beacon or landmark: presets over the API's attributes, positions typed
// (never dragged), every save sent with If-Match, and a 412 turned into a conflict view (yours
// against the server's now) to resolve.
import { ApiError, request } from "./api.js";
import {
  $, addBoolOptions, addPositionFields, changedFields, fillForm, fillRows, show,
} from "./forms.js";

const PATHS = { edge: "/v1/map/edges", node: "/v1/map/nodes", beacon: "/v1/map/beacons",
  landmark: "/v1/map/landmarks" };
const KINDS = Object.keys(PATHS);
const FORMS = KINDS.map((kind) => `${kind}-form`);

/** "Edge 12" / "Beacon 3": how messages name an object. */
const named = (kind, id) => `${kind[0].toUpperCase()}${kind.slice(1)} ${id}`;

/** The line above an object's form: what it is and the revision edited against. */
function title(kind, row) {
  switch (kind) {
    case "edge": return `Edge ${row.id} (${row.highway}${row.name ? `, ${row.name}` : ""}), revision ${row.revision}`;
    case "beacon": {
      const ident = row.uuid ? `${row.uuid} ${row.major}/${row.minor}` : `${row.namespace} ${row.instance}`;
      return `Beacon ${row.id} (${row.kind} ${ident}), revision ${row.revision}`;
    }
    case "landmark": return `Landmark ${row.id} (${row.name}, ${row.kind}), revision ${row.revision}`;
    default: return `Node ${row.id}, revision ${row.revision}`;
  }
}

/** What choosing a preset says about the edge itself. */
const PRESET_TAGS = {
  crossing: { highway: "footway", footway: "crossing" },
  footway: {},
  steps: { highway: "steps" },
};

function presetOf(row) {
  if (row.highway === "steps") return "steps";
  if (row.footway === "crossing" || row.crossing) return "crossing";
  return "footway";
}

export class Editor {
  constructor({ map, say, onSaved }) {
    this.map = map;
    this.say = say;
    this.onSaved = onSaved;
    this.kind = null;
    this.row = null;
    this.pending = null;
    addBoolOptions($("edge-form"));
    for (const kind of ["node", "beacon", "landmark"]) addPositionFields($(`${kind}-form`));
    $("preset").addEventListener("change", () => this.showPreset($("preset").value));
    for (const kind of KINDS) {
      $(`${kind}-form`).addEventListener("submit", (e) => { e.preventDefault(); this.save(); });
      $(`${kind}-delete`).addEventListener("click", () => this.remove());
    }
    for (const b of document.querySelectorAll("button[data-here]")) {
      b.addEventListener("click", () => {
        const c = this.map.centre();
        $(`${b.dataset.here}-lat`).value = c.lat.toFixed(7);
        $(`${b.dataset.here}-lon`).value = c.lng.toFixed(7);
      });
    }
    $("edge-split").addEventListener("click", () => this.split());
    $("conflict-reapply").addEventListener("click", () => this.reapply());
    $("conflict-reload").addEventListener("click", () => this.open(this.kind, this.row.id));
  }

  get form() { return $(`${this.kind}-form`); }

  /** Load the object fresh from the server (its revision is what we edit against). */
  async open(kind, id) {
    const { data } = await request("GET", `${PATHS[kind]}/${id}`);
    this.kind = kind;
    this.row = data;
    show($("edit-empty"), false);
    for (const form of FORMS) show($(form), form === `${kind}-form`);
    show($("conflict"), false);
    $("edit-result").textContent = "";
    fillForm(this.form, data);
    $(`${kind}-title`).textContent = title(kind, data);
    if (kind === "edge") {
      $("preset").value = presetOf(data);
      this.showPreset($("preset").value);
      $("c-edge").value = String(data.id);
    }
    this.map.select(kind, id);
    return data;
  }

  showPreset(preset) {
    for (const fs of $("edge-form").querySelectorAll("fieldset[data-preset]")) {
      show(fs, fs.dataset.preset.split(" ").includes(preset));
    }
  }

  /** The changes the form holds against the loaded row (the preset's own tags included). */
  changes() {
    const out = changedFields(this.form, this.row);
    if (this.kind === "edge") {
      const form = this.form;
      for (const [k, v] of Object.entries(PRESET_TAGS[$("preset").value])) {
        if (this.row[k] !== v) out[k] = v;
      }
      // fields of presets not shown are not the mapper's edit
      for (const fs of form.querySelectorAll("fieldset[data-preset]")) {
        if (!fs.hidden) continue;
        for (const el of fs.querySelectorAll("[data-field]")) delete out[el.dataset.field];
      }
    }
    return out;
  }

  async save() {
    let body;
    try {
      body = this.changes();
    } catch (err) {
      $("edit-result").textContent = err.message;
      return;
    }
    if (!Object.keys(body).length) {
      $("edit-result").textContent = "Nothing changed.";
      return;
    }
    await this.send(body, this.row.revision);
  }

  async send(body, revision) {
    try {
      const { data } = await request("PATCH", `${PATHS[this.kind]}/${this.row.id}`,
        { body, ifMatch: revision });
      this.row = data;
      fillForm(this.form, data);
      $(`${this.kind}-title`).textContent = title(this.kind, data);
      show($("conflict"), false);
      const what = `${named(this.kind, data.id)} saved (revision ${data.revision}).`;
      $("edit-result").textContent = what;
      this.say(what);
      this.onSaved(this.kind, data);
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) return this.conflict(body);
      $("edit-result").textContent = `Not saved: ${err.message}`;
      this.say(`Not saved: ${err.message}`);
    }
  }

  /** Delete what is open, against the revision we showed (a 412 means it changed meanwhile). */
  async remove() {
    const { kind, row } = this;
    const name = named(kind, row.id);
    try {
      await request("DELETE", `${PATHS[kind]}/${row.id}`, { ifMatch: row.revision });
    } catch (err) {
      const why = err instanceof ApiError && err.status === 412
        ? "someone changed it since you opened it; reload it and look again" : err.message;
      $("edit-result").textContent = `${name} not deleted: ${why}`;
      this.say(`${name} not deleted: ${why}`);
      return;
    }
    this.row = null;
    for (const id of [...FORMS, "conflict"]) show($(id), false);
    show($("edit-empty"), true);
    $("edit-result").textContent = `${name} deleted.`;
    this.say(`${name} deleted.`);
    this.onSaved(kind, null);
  }

  /** Put a node on the open edge: two edges with its tags replace it (the API's split). */
  async split() {
    const fraction = Number.parseFloat($("split-at").value.replace(",", "."));
    const id = this.row.id;
    try {
      const { data } = await request("POST", `${PATHS.edge}/${id}/split`,
        { body: { fraction }, ifMatch: this.row.revision });
      const [a, b] = data.edges.map((e) => e.id);
      const what = `Edge ${id} split by node ${data.node.id} into edges ${a} and ${b}.`;
      this.onSaved("edge", null);
      await this.open("node", data.node.id);
      $("edit-result").textContent = what;
      this.say(what);
    } catch (err) {
      $("edit-result").textContent = `Edge ${id} not split: ${err.message}`;
      this.say(`Edge ${id} not split: ${err.message}`);
    }
  }

  /** The server moved on: show what we meant to change next to what it holds now. */
  async conflict(body) {
    const { data } = await request("GET", `${PATHS[this.kind]}/${this.row.id}`);
    this.pending = { body, server: data };
    // what I changed, then what they changed (that I did not): both sides of each
    const theirs = Object.keys(data).filter((k) => !(k in body) && k !== "revision"
      && JSON.stringify(data[k]) !== JSON.stringify(this.row[k]));
    fillRows($("conflict-rows"), [
      ...Object.entries(body).map(([k, v]) => [k, v, data[k]]),
      ...theirs.map((k) => [k, `${this.row[k] ?? "—"} (not changed by you)`, data[k]])]);
    show($("conflict"), true);
    $("edit-result").textContent = "";
    $("conflict-title").focus();
    this.say("Conflict: the server has a newer version. Re-apply your changes or reload.");
  }

  async reapply() {
    const { body, server } = this.pending;
    this.row = server;
    await this.send(body, server.revision);
  }
}
