// Beacons (a planned layout previewed before it is stored, health as a sortable list) and the
// map's import and export.
/* global L */
import { post, request, savedKey } from "./api.js";
import { $, show } from "./forms.js";

const seen = (ts) => (ts === null ? "never" : new Date(ts * 1000).toISOString().slice(0, 16).replace("T", " "));

export class BeaconTools {
  constructor({ map, say, changed, select }) {
    this.map = map;
    this.say = say;
    this.changed = changed;
    this.select = select;
    this.rows = [];
    this.sort = { key: "silent_for_h", descending: true };
    $("plan-form").addEventListener("submit", (e) => { e.preventDefault(); this.plan(false); });
    $("plan-apply").addEventListener("click", () => this.plan(true));
    $("health-load").addEventListener("click", () => this.health());
    for (const b of document.querySelectorAll("[data-sort]")) {
      b.addEventListener("click", () => this.sortBy(b.dataset.sort));
    }
    $("import-form").addEventListener("submit", (e) => { e.preventDefault(); this.upload(); });
    $("export").addEventListener("click", () => this.download());
  }

  report(id, text) {
    $(id).textContent = text;
    this.say(text);
  }

  async plan(apply) {
    const body = { mode: $("p-mode").value, spacing_m: Number($("p-spacing").value), apply };
    try {
      const out = await post("/v1/map/beacon-plan", body);
      this.report("plan-result", `${out.applied ? "Stored" : "Preview"}: ${out.count} beacons, `
        + `${out.per_km ?? "—"} per km of ${out.path_km} km of path (${out.mode}).`);
      this.map.showOverlay(out.beacons.map((b) =>
        L.circleMarker([b.lat, b.lon], { radius: 4, className: out.applied ? "beacon" : "planned" })));
      $("plan-apply").disabled = out.applied;
      if (out.applied) this.changed();
    } catch (err) {
      this.report("plan-result", `No plan: ${err.message}`);
    }
  }

  async health() {
    const { data, headers } = await request("GET", "/v1/beacons/health?limit=500");
    this.rows = data;
    const total = Number(headers.get("X-Total-Count"));
    const listed = total > data.length ? ` (the ${data.length} most silent listed)` : "";
    this.report("health-summary", `${total} beacons, ${headers.get("X-Silent-Count")} silent `
      + `for a day or more${listed}.`);
    show($("health-table"), true);
    this.draw();
  }

  sortBy(key) {
    this.sort = { key, descending: this.sort.key === key ? !this.sort.descending : true };
    this.draw();
  }

  draw() {
    const { key, descending } = this.sort;
    const value = (r) => (key === "id" ? r.id : r[key] ?? -Infinity);
    const rows = [...this.rows].sort((a, b) => (value(a) > value(b) ? 1 : value(a) < value(b) ? -1 : 0)
      * (descending ? -1 : 1));
    for (const b of document.querySelectorAll("[data-sort]")) {
      b.parentElement.setAttribute("aria-sort",
        b.dataset.sort === key ? (descending ? "descending" : "ascending") : "none");
    }
    $("health-rows").replaceChildren(...rows.slice(0, 200).map((r) => {
      const tr = document.createElement("tr");
      const name = r.uuid ? `${r.kind} ${r.major}/${r.minor}` : `${r.kind} ${r.instance ?? r.id}`;
      for (const text of [name, r.silent_for_h ?? "never heard", r.battery_mv ?? "—", seen(r.last_seen)]) {
        const td = document.createElement("td");
        td.textContent = String(text);
        tr.append(td);
      }
      const where = document.createElement("td");
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = `Show and edit beacon ${r.id}`;
      b.addEventListener("click", () => this.select("beacon", r.id, true));
      where.append(b);
      tr.append(where);
      return tr;
    }));
  }

  /** Upload with progress: fetch cannot report an upload's progress, XMLHttpRequest can. */
  upload() {
    const file = $("import-file").files[0];
    if (!file) { this.report("import-result", "Choose an OSM file first."); return; }
    const xhr = new XMLHttpRequest();
    const replace = $("import-replace").checked;
    xhr.open("POST", `/v1/map/import${replace ? "?replace=true" : ""}`);
    xhr.setRequestHeader("Authorization", `Bearer ${savedKey()}`);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) $("import-progress").value = Math.round((100 * e.loaded) / e.total);
    });
    xhr.upload.addEventListener("load", () => this.report("import-result", "Uploaded; importing…"));
    xhr.addEventListener("load", () => {
      const body = JSON.parse(xhr.responseText || "null");
      if (xhr.status === 200) {
        this.report("import-result", `Imported ${body.nodes} nodes, ${body.edges} edges, ${body.places} places.`);
        this.changed();
      } else {
        this.report("import-result", `Not imported: ${body?.error?.message ?? xhr.statusText}`);
      }
    });
    xhr.addEventListener("error", () => this.report("import-result", "Not imported: the upload failed."));
    xhr.send(file);
  }

  async download() {
    this.report("export-result", "Preparing the GeoJSON…");
    const { data } = await request("GET", "/v1/map/export.geojson", { raw: true });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(data);
    a.download = "blindpilot-map.geojson";
    a.click();
    this.report("export-result", `Downloaded ${Math.round(data.size / 1024)} KiB of GeoJSON.`);
  }
}
