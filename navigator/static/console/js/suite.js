// The tester's scenario suite: the YAML file the CLI replays, run by the server walk after walk,
// and each walk's verdict with what it missed.
import { request } from "./api.js";
import { $, show } from "./forms.js";

const cell = (text, className) => {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "—" : String(text);
  if (className) td.className = className;
  return td;
};

/** One walk's metrics in words: arrived or not, the mean error, the off-route events. */
function howItWent(m) {
  if (!m) return "did not start";
  return `${m.arrived ? "arrived" : "did not arrive"}; mean error ${m.mean_error_m ?? "—"} m; `
    + `${m.off_route_events} off-route events`;
}

export class Suite {
  constructor({ say }) {
    this.say = say;
    $("suite-form").addEventListener("submit", (e) => { e.preventDefault(); this.run(); });
    $("suite-file").addEventListener("change", () => this.load());
  }

  async load() {
    const file = $("suite-file").files[0];
    if (file) $("suite-yaml").value = await file.text();
  }

  report(text) {
    $("suite-result").textContent = text;
    this.say(text);
  }

  async run() {
    const text = $("suite-yaml").value;
    if (!text.trim()) { this.report("Open a scenario file or type the walks first."); return; }
    $("suite-run").disabled = true;
    this.report("Walking the suite… (each walk takes a few seconds)");
    try {
      const { data } = await request("POST", "/v1/simulations/suite", { yaml: text });
      this.draw(data);
    } catch (err) {
      show($("suite-table"), false);
      this.report(`Not run: ${err.message}`);
    } finally {
      $("suite-run").disabled = false;
    }
  }

  draw({ passed, failed, walks }) {
    $("suite-rows").replaceChildren(...walks.map((w) => {
      const tr = document.createElement("tr");
      const name = document.createElement("th");
      name.scope = "row";
      name.textContent = w.name;
      tr.append(name, cell(w.passed ? "passed" : "failed", w.passed ? "" : "failed"),
        cell(w.problems.join("; ") || "nothing"), cell(howItWent(w.metrics)));
      tr.dataset.passed = String(w.passed);
      return tr;
    }));
    show($("suite-table"), true);
    this.report(`${walks.length} walks: ${passed} passed, ${failed} failed.`);
  }
}
