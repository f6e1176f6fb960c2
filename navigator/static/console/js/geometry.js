// Changing the graph's shape without dragging: a node added at typed coordinates (or a
// Shift+click), two nodes connected by a new footway whose length the server computes.
import { post } from "./api.js";
import { $, parseLatLon } from "./forms.js";

export class GeometryTools {
  constructor({ say, select, changed }) {
    this.say = say;
    this.select = select;
    this.changed = changed;
    $("add-node-form").addEventListener("submit", (e) => { e.preventDefault(); this.addNode(); });
    $("connect-form").addEventListener("submit", (e) => { e.preventDefault(); this.connect(); });
  }

  async addNode() {
    let node;
    try {
      node = await post("/v1/map/nodes", parseLatLon($("g-pos").value));
    } catch (err) {
      this.report(`Node not added: ${err.message}`);
      return;
    }
    // the new node is the next end to connect
    $($("g-from").value ? "g-to" : "g-from").value = String(node.id);
    this.report(`Node ${node.id} added.`);
    this.changed();
    await this.select("node", node.id);
  }

  async connect() {
    const [u, v] = ["g-from", "g-to"].map((id) => Number($(id).value.trim()));
    if (![u, v].every((n) => Number.isSafeInteger(n) && n > 0)) {
      this.report("Type the ids of both nodes as whole numbers.");
      return;
    }
    let edge;
    try {
      edge = await post("/v1/map/edges", { u, v });
    } catch (err) {
      this.report(`Not connected: ${err.message}`);
      return;
    }
    $("g-from").value = "";
    $("g-to").value = "";
    this.report(`Edge ${edge.id} connects node ${u} to node ${v} (${Math.round(edge.length_m)} m).`);
    this.changed();
    await this.select("edge", edge.id);
  }

  report(text) {
    $("geometry-result").textContent = text;
    this.say(text);
  }
}
