// The mapper's other tools: closures, the validation report and the revision history.
/* global L */
import { get, post, request } from "./api.js";
import { $, fillRows, show } from "./forms.js";

const when = (ts) => (ts === null || ts === undefined ? "open-ended"
  : new Date(ts * 1000).toISOString().replace("T", " ").slice(0, 16) + " UTC");

const button = (text, onClick) => {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.addEventListener("click", onClick);
  return b;
};

const item = (text, ...buttons) => {
  const li = document.createElement("li");
  li.append(text, ...buttons.map((b) => [" ", b]).flat());
  return li;
};

/** Where an edge is: its first node (validation names edges by id only). */
async function edgeStart(id) {
  const edge = await get(`/v1/map/edges/${id}`);
  return get(`/v1/map/nodes/${edge.u}`);
}

export class MappingTools {
  constructor({ map, say, select, changed }) {
    this.map = map;
    this.say = say;
    this.select = select;
    this.changed = changed;
    $("closure-form").addEventListener("submit", (e) => { e.preventDefault(); this.addClosure(); });
    $("validate").addEventListener("click", () => this.validate());
    $("history-load").addEventListener("click", () => this.history());
  }

  // ---------------------------------------------------------------- closures

  async closures() {
    const rows = await get("/v1/map/closures?limit=1000");
    $("closure-list").replaceChildren(...rows.map((c) => item(
      `Edge ${c.edge_id}: ${c.reason || "no reason given"}, from ${when(c.starts_ts)} to ${when(c.ends_ts)}`,
      button(`Show edge ${c.edge_id}`, () => this.zoomToEdge(c.edge_id)),
      button(`Reopen edge ${c.edge_id}`, () => this.reopen(c.id)))));
    if (!rows.length) $("closure-list").replaceChildren(item("No closures."));
  }

  async addClosure() {
    const toTs = (id) => ($(id).value ? new Date($(id).value).getTime() / 1000 : null);
    const body = { edge_id: Number.parseInt($("c-edge").value, 10), reason: $("c-reason").value || null,
      ends_ts: toTs("c-end") };
    const start = toTs("c-start");
    if (start !== null) body.starts_ts = start;
    try {
      const c = await post("/v1/map/closures", body);
      this.report("closure-result", `Edge ${c.edge_id} closed.`);
      await this.closures();
      this.changed();
    } catch (err) {
      this.report("closure-result", `Not closed: ${err.message}`);
    }
  }

  async reopen(id) {
    await request("DELETE", `/v1/map/closures/${id}`);
    this.report("closure-result", "Closure removed: the edge is open again.");
    await this.closures();
    this.changed();
  }

  // ---------------------------------------------------------------- validation

  async validate() {
    $("validation-summary").textContent = "Checking…";
    const v = await get("/v1/map/validation");
    const problems = [
      ...v.disconnected_components.map((c) => ({ text: `Island of ${c.nodes} nodes cut off from the rest (node ${c.example_node})`, lat: c.lat, lon: c.lon })),
      ...v.crossings_without_signal_info.map((c) => ({ text: `Crossing edge ${c.edge}${c.name ? ` (${c.name})` : ""} lacks ${c.missing}`, edge: c.edge })),
      ...v.edges_missing_tags.first.map((c) => ({ text: `Edge ${c.edge} lacks ${c.missing.join(", ")}`, edge: c.edge })),
      ...v.decision_points_without_beacon.map((c) => ({ text: `Decision point at node ${c.node} has no beacon near (nearest ${c.nearest_beacon_m ?? "none"} m)`, lat: c.lat, lon: c.lon })),
      ...v.beacons_far_from_edges.map((c) => ({ text: `A beacon ${c.distance_m} m from any path`, lat: c.lat, lon: c.lon })),
    ];
    const summary = `${problems.length} problems listed (${v.edges_missing_tags.count} edges miss tags).`;
    this.report("validation-summary", summary);
    $("validation-list").replaceChildren(...problems.slice(0, 300).map((p) => item(p.text,
      button("Show", () => (p.edge !== undefined ? this.zoomToEdge(p.edge) : this.map.goTo(p.lat, p.lon))))));
    this.map.showOverlay(problems.filter((p) => p.lat !== undefined).map((p) =>
      L.circleMarker([p.lat, p.lon], { radius: 8, className: "problem" }).bindTooltip(p.text)));
  }

  async zoomToEdge(id) {
    const node = await edgeStart(id);
    this.map.goTo(node.lat, node.lon, 19);
    await this.select("edge", id);
  }

  // ---------------------------------------------------------------- history

  async history() {
    const rows = await get("/v1/map/revisions?limit=50");
    this.revisions = new Map(rows.map((r) => [r.id, r]));
    $("history-rows").replaceChildren(...rows.map((r) => {
      const tr = document.createElement("tr");
      for (const text of [r.id, when(r.at_ts), r.actor ?? "—",
        `${r.action} ${r.entity}${r.entity_id !== null ? ` ${r.entity_id}` : ""}`]) {
        const td = document.createElement("td");
        td.textContent = String(text);
        tr.append(td);
      }
      const actions = document.createElement("td");
      actions.append(button(`Diff of ${r.id}`, () => this.diff(r.id)), " ",
        button(`Revert ${r.id}`, () => this.revert(r.id)));
      tr.append(actions);
      return tr;
    }));
    show($("history-table"), true);
  }

  diff(id) {
    const r = this.revisions.get(id);
    const parse = (text) => (text ? JSON.parse(text) : {});
    const before = parse(r.before);
    const after = parse(r.after);
    const names = [...new Set([...Object.keys(before), ...Object.keys(after)])]
      .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    $("diff-title").textContent = `Revision ${id}: ${r.action} ${r.entity} ${r.entity_id ?? ""}`;
    fillRows($("diff-rows"), names.map((k) => [k, JSON.stringify(before[k] ?? null),
      JSON.stringify(after[k] ?? null)]));
    show($("diff"), true);
    $("diff-title").focus();
  }

  async revert(id) {
    try {
      const out = await post(`/v1/map/revisions/${id}/revert`, undefined);
      this.report("history-result", `Revision ${id} reverted (new revision ${out.revision_id}).`);
      await this.history();
      this.changed();
    } catch (err) {
      this.report("history-result", `Not reverted: ${err.message}`);
    }
  }

  report(id, text) {
    $(id).textContent = text;
    this.say(text);
  }
}
