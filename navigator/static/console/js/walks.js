// Planning a route to check an edit, and the tester's simulated walks with their replay.
/* global L */
import { post, request } from "./api.js";
import { $, fillRows, parseLatLon, show } from "./forms.js";

const line = (coords, className) => L.polyline(coords, { className, weight: 5 });
const lonLat = (geometry) => geometry.coordinates.map(([lon, lat]) => [lat, lon]);

function crossingsText(c) {
  return `${c.signalled_sound} with sound, ${c.signalled} signalled, ${c.marked} marked, `
    + `${c.unmarked} unmarked, ${c.unknown} unknown`;
}

export class RouteCheck {
  constructor({ map, say }) {
    this.map = map;
    this.say = say;
    $("route-form").addEventListener("submit", (e) => { e.preventDefault(); this.plan(); });
  }

  async plan() {
    try {
      const body = { from: parseLatLon($("r-from").value), to: parseLatLon($("r-to").value),
        profile: $("r-profile").value, lang: "en" };
      const route = await post("/v1/routes", body);
      this.map.showOverlay([line(lonLat(route.geometry), "route")]);
      const text = `Route of ${Math.round(route.length_m)} m; crossings: `
        + `${crossingsText(route.simplicity.crossings)}.`;
      $("route-result").textContent = text;
      $("route-steps").replaceChildren(...route.maneuvers.map((m) => {
        const li = document.createElement("li");
        li.textContent = m.text;
        return li;
      }));
      this.say(text);
    } catch (err) {
      $("route-result").textContent = `No route: ${err.message}`;
      this.say(`No route: ${err.message}`);
    }
  }
}

/** What a replay event says on the timeline. */
function eventText(e) {
  switch (e.type) {
    case "instruction": return `Instruction: ${e.text}`;
    case "rerouted": return `Rerouted (${e.reason}): ${e.instruction.text}`;
    case "off_route": return `Off route: ${e.text}`;
    case "arrived": return "Arrived";
    case "location_unavailable":
      return e.phase === "still" ? `Position still unavailable: ${e.text}` : "Position unavailable";
    default: return e.type.replaceAll("_", " ");
  }
}

export class Simulator {
  constructor({ map, say }) {
    this.map = map;
    this.say = say;
    this.result = null;
    $("sim-form").addEventListener("submit", (e) => { e.preventDefault(); this.run(); });
    $("timeline").addEventListener("input", () => this.scrub(Number($("timeline").value)));
    $("sim-json").addEventListener("click", () => this.download());
  }

  request() {
    const num = (id) => Number.parseFloat($(id).value);
    const body = { from: parseLatLon($("s-from").value), to: parseLatLon($("s-to").value),
      profile: $("s-profile").value, lang: $("s-lang").value, radio: $("s-radio").value,
      gnss: $("s-gnss").checked, noise_db: num("s-noise"), dropout: num("s-dropout"),
      dead: num("s-dead"), seed: Number.parseInt($("s-seed").value, 10) || 0,
      plot: true, trace: true };
    // optional numbers are left out when empty (the API says what is wrong with the rest)
    for (const [id, field] of [["s-wrong", "wrong_turn_at_m"], ["s-outage-from", "outage_from_m"],
      ["s-outage-to", "outage_to_m"]]) {
      if ($(id).value !== "") body[field] = num(id);
    }
    return body;
  }

  async run() {
    $("sim-run").disabled = true;
    $("sim-result").textContent = "Walking… (a simulation takes a few seconds)";
    try {
      this.result = await post("/v1/simulations", this.request());
      this.replay();
    } catch (err) {
      $("sim-result").textContent = `Not run: ${err.message}`;
      this.say(`Not run: ${err.message}`);
    } finally {
      $("sim-run").disabled = false;
    }
  }

  replay() {
    const { metrics, trace } = this.result;
    const text = `${metrics.arrived ? "Arrived" : "Did not arrive"} after ${metrics.duration_s} s; `
      + `${metrics.off_route_events} off-route events; mean error ${metrics.mean_error_m ?? "—"} m.`;
    $("sim-result").textContent = text;
    this.say(text);
    const last = trace.truth.at(-1)?.[0] ?? 0;
    $("timeline").max = String(last);
    $("sim-events").replaceChildren(...trace.events.map((e) => {
      const li = document.createElement("li");
      li.dataset.type = e.type;
      li.dataset.t = e.t;
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = `${e.t} s – ${eventText(e)}`;
      b.addEventListener("click", () => { $("timeline").value = e.t; this.scrub(e.t); });
      li.append(b);
      return li;
    }));
    fillRows($("sim-metrics-rows"), [
      ["arrived", metrics.arrived], ["duration (s)", metrics.duration_s],
      ["fixes", metrics.fixes], ["mean error (m)", metrics.mean_error_m],
      ["p90 error (m)", metrics.p90_error_m], ["off-route events", metrics.off_route_events],
      ["position unavailable", metrics.location_unavailable_events],
      ["instructions", metrics.instructions.length],
      ["radio world", metrics.world.radio], ["GNSS", metrics.world.gnss ? "yes" : "no"],
      ["on time (%)", metrics.guidance.on_time_pct]]);
    this.loadPlot();
    show($("replay"), true);
    const truth = trace.truth.map(([, lat, lon]) => [lat, lon]);
    this.walker = L.circleMarker(truth[0] ?? [0, 0], { radius: 7, className: "walker" });
    this.estimate = L.circleMarker(truth[0] ?? [0, 0], { radius: 6, className: "estimate" });
    const said = trace.events.filter((e) => e.type === "instruction" || e.type === "rerouted")
      .map((e) => {
        const at = this.truthAt(e.t);
        return L.circleMarker(at, { radius: 3, className: "said" }).bindTooltip(eventText(e));
      });
    this.map.showOverlay([line(lonLat(trace.route), "route"), line(truth, "truth"),
      line(trace.fixes.map(([, lat, lon]) => [lat, lon]), "fixes"), ...said,
      this.walker, this.estimate]);
    if (truth.length) this.map.map.fitBounds(L.latLngBounds(truth), { padding: [20, 20] });
    this.scrub(0);
  }

  truthAt(t) {
    const truth = this.result.trace.truth;
    const row = truth.find((r) => r[0] >= t) ?? truth.at(-1);
    return [row[1], row[2]];
  }

  scrub(t) {
    const { trace } = this.result;
    this.walker.setLatLng(this.truthAt(t));
    const fix = [...trace.fixes].reverse().find((f) => f[0] <= t);
    if (fix) this.estimate.setLatLng([fix[1], fix[2]]);
    const recent = [...trace.events].reverse().find((e) => e.t <= t);
    $("timeline-now").textContent = `${t} s: ${recent ? eventText(recent) : "start"}`
      + (fix ? `; estimate ${fix[3]} m from the truth` : "");
    for (const li of $("sim-events").children) {
      li.classList.toggle("past", Number(li.dataset.t) <= t);
    }
  }

  async loadPlot() {
    const link = $("sim-png");
    if (!this.result.plot_url) { show(link, false); return; }
    const { data } = await request("GET", this.result.plot_url, { raw: true });
    link.href = URL.createObjectURL(data);
    show(link, true);
  }

  download() {
    const blob = new Blob([JSON.stringify(this.result, null, 2)], { type: "application/json" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `simulation-${this.result.id}.json`;
    a.click();
  }
}
