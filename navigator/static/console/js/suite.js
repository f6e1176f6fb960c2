// The tester's scenario suite: the YAML file the CLI replays, run by the server walk after walk.
// The answer streams in (NDJSON): each walk's row fills in, the bar moves and the verdict is
// said as soon as that walk has run, so a 20-walk suite is never minutes of silence.
import { stream } from "./api.js";
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

/** A walk's row: its name, then what is known of it so far. */
function row(name, ...cells) {
  const tr = document.createElement("tr");
  const th = document.createElement("th");
  th.scope = "row";
  th.textContent = name;
  tr.append(th, ...cells);
  return tr;
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
    show($("suite-table"), false);
    show($("suite-progress-line"), false);
    this.report("Sending the suite…");
    let started = false;
    let result = null;
    try {
      await stream("POST", "/v1/simulations/suite", { yaml: text }, (line) => {
        if (line.type === "start") { started = true; this.begin(line); }
        if (line.type === "walk") this.walked(line);
        if (line.type === "done") result = line;
        if (line.type === "error") throw new Error(line.error.message);
      });
      if (!result) throw new Error("the answer ended before the last walk");
      this.finish(result);
    } catch (err) {
      if (!started) show($("suite-table"), false);
      this.report(`${started ? "Stopped" : "Not run"}: ${err.message}`);
    } finally {
      $("suite-run").disabled = false;
    }
  }

  /** Every walk gets its row at once ("waiting"); the first is running. */
  begin({ total, names }) {
    $("suite-rows").replaceChildren(...names.map((name, i) => {
      const tr = row(name, cell(i ? "waiting" : "running…"), cell("—"), cell("—"));
      tr.dataset.state = i ? "waiting" : "running";
      return tr;
    }));
    show($("suite-table"), true);
    this.progress(0, total);
    this.report(`Walking ${total} walks, one after another…`);
  }

  progress(done, total) {
    const bar = $("suite-progress");
    bar.max = total;
    bar.value = done;
    $("suite-progress-text").textContent = `${done} of ${total} walks done`;
    show($("suite-progress-line"), true);
  }

  /** One walk has run: its row says how, the next row is running, and the verdict is said. */
  walked(w) {
    const rows = $("suite-rows").rows;
    const tr = row(w.name, cell(w.passed ? "passed" : "failed", w.passed ? "" : "failed"),
      cell(w.problems.join("; ") || "nothing"), cell(howItWent(w.metrics)));
    tr.dataset.passed = String(w.passed);
    tr.dataset.state = "done";
    rows[w.index - 1].replaceWith(tr);
    if (w.index < w.total) {
      rows[w.index].dataset.state = "running";
      rows[w.index].cells[1].textContent = "running…";
    }
    this.progress(w.index, w.total);
    this.report(`Walk ${w.index} of ${w.total}, ${w.name}: ${w.passed ? "passed" : "failed"}.`);
  }

  finish({ passed, failed, walks }) {
    this.report(`${walks.length} walks: ${passed} passed, ${failed} failed.`);
  }
}
