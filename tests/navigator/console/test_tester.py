"""A tester's session in the browser: a simulated walk with a wrong turn, run through the real
pipeline, replayed on the map with the off-route and the re-route on its timeline; the radio
world, GNSS and an outage chosen in the form; a scenario suite with pass or fail per walk."""

from __future__ import annotations

from pathlib import Path

from tests.navigator.console.conftest import ConsolePage, ConsoleServer, OpenConsole

FROM, TO = (49.43666, 7.76797), (49.4432, 7.7717)
#: A short walk from the station (a few seconds of simulation).
NEAR = (49.4381, 7.7688)


def simulate_as_tester(open_console: OpenConsole, console_server: ConsoleServer,
                       to: tuple[float, float]) -> ConsolePage:
    """A tester's console on the Simulate view with a walk from the station typed in."""
    console = open_console()
    console.signed_in(console_server.keys["tester"])
    console.view("simulate")
    console.page.fill("#s-from", f"{FROM[0]}, {FROM[1]}")
    console.page.fill("#s-to", f"{to[0]}, {to[1]}")
    return console


def test_a_wrong_turn_shows_off_route_and_reroute_on_the_timeline(
        open_console: OpenConsole, console_server: ConsoleServer) -> None:
    console = simulate_as_tester(open_console, console_server, TO)
    page = console.page
    page.select_option("#s-lang", "en")
    page.fill("#s-wrong", "60")
    page.fill("#s-seed", "4")
    page.click("#sim-run")
    page.wait_for_selector("#replay:not([hidden])", timeout=60_000)
    assert (page.text_content("#sim-result") or "").startswith("Arrived")
    off = page.locator("#sim-events li[data-type=off_route]")
    rerouted = page.locator("#sim-events li[data-type=rerouted]")
    assert off.count() >= 1 and rerouted.count() >= 1
    t_off = float(off.first.get_attribute("data-t") or "nan")
    t_reroute = float(rerouted.first.get_attribute("data-t") or "nan")
    assert t_off <= t_reroute
    # scrub to the re-route, from the keyboard: the timeline says what happened there
    rerouted.first.get_by_role("button").click()
    assert page.input_value("#timeline") == str(int(t_reroute))
    assert "Rerouted" in (page.text_content("#timeline-now") or "")
    page.focus("#timeline")
    page.keyboard.press("Home")
    assert (page.text_content("#timeline-now") or "").startswith("0 s")
    # true path, estimated path, instructions on the map; metrics; the PNG to download
    for cls in ("truth", "fixes", "route", "said"):
        assert page.locator(f"#map path.{cls}").count() >= 1, cls
    assert page.locator("#sim-metrics-rows tr").count() >= 8
    page.wait_for_function("() => document.getElementById('sim-png').href.startsWith('blob:')")
    with page.expect_download() as download:
        page.click("#sim-json")
    assert download.value.suggested_filename.startswith("simulation-")
    assert console.axe_violations() == []
    console.shot("console-tester-replay")


def test_radio_world_gnss_and_outage_reach_the_simulation(open_console: OpenConsole,
                                                          console_server: ConsoleServer) -> None:
    console = simulate_as_tester(open_console, console_server, NEAR)
    page = console.page
    page.select_option("#s-radio", "harsh")
    page.check("#s-gnss")
    # half an outage is refused by the API, and the form says why
    page.fill("#s-outage-from", "20")
    page.click("#sim-run")
    page.wait_for_selector("#sim-result:has-text('Not run')")
    assert "outage_to_m" in (page.text_content("#sim-result") or "")
    page.fill("#s-outage-to", "60")
    with page.expect_response("**/v1/simulations") as answer:
        page.click("#sim-run")
    sent = answer.value.request.post_data_json
    assert (sent["radio"], sent["gnss"], sent["outage_from_m"], sent["outage_to_m"]) == (
        "harsh", True, 20, 60)
    world = answer.value.json()["metrics"]["world"]
    assert (world["radio"], world["gnss"]) == ("harsh", True) and "channel" in world
    page.wait_for_selector("#replay:not([hidden])")
    rows = {row.locator("th").text_content(): row.locator("td").text_content()
            for row in page.locator("#sim-metrics-rows tr").all()}
    assert (rows["radio world"], rows["GNSS"]) == ("harsh", "yes")
    assert console.axe_violations() == []


SUITE = """\
- name: station, a short walk
  from: [49.43666, 7.76797]
  to: [49.4381, 7.7688]
  seed: 3
  expect: {arrived: true, max_off_route_events: 0}
- name: expects a detour that never comes
  from: [49.43666, 7.76797]
  to: [49.4381, 7.7688]
  seed: 3
  expect: {min_off_route_events: 1}
"""


#: Records, at every change of the suite's progress text, that text and each row's state, and
#: everything said through the status region.
WATCH_PROGRESS = """() => {
  window.__suite = []; window.__said = [];
  new MutationObserver(() => window.__suite.push([
    document.getElementById("suite-progress-text").textContent,
    [...document.querySelectorAll("#suite-rows tr")].map((tr) => tr.dataset.state).join(" ")]))
    .observe(document.getElementById("suite-progress-text"), { childList: true });
  new MutationObserver(() => window.__said.push(document.getElementById("status").textContent))
    .observe(document.getElementById("status"), { childList: true, characterData: true,
                                                  subtree: true });
}"""


def test_a_scenario_suite_runs_from_a_file_with_pass_or_fail_per_walk(
        open_console: OpenConsole, console_server: ConsoleServer, tmp_path: Path) -> None:
    console = open_console()
    page = console.page
    console.signed_in(console_server.keys["tester"])
    console.view("suite")
    page.fill("#suite-yaml", "- name: [unclosed")
    page.click("#suite-run")
    page.wait_for_selector("#suite-result:has-text('Not run: not YAML')")
    suite = tmp_path / "walks.yaml"
    suite.write_text(SUITE)
    page.set_input_files("#suite-file", str(suite))
    page.wait_for_function("() => document.getElementById('suite-yaml').value.includes('detour')")
    page.evaluate(WATCH_PROGRESS)
    page.focus("#suite-run")
    with page.expect_request("**/v1/simulations/suite") as sent:
        page.keyboard.press("Enter")
    assert sent.value.headers["accept"] == "application/x-ndjson"
    page.wait_for_selector("#suite-rows tr[data-state=running]")
    console.shot("console-tester-suite-running")
    page.wait_for_selector("#suite-result:has-text('2 walks: 1 passed, 1 failed.')",
                           timeout=60_000)
    # each walk's row filled in as it ended, the next one running meanwhile, and said
    assert page.evaluate("window.__suite") == [
        ["0 of 2 walks done", "running waiting"],
        ["1 of 2 walks done", "done running"],
        ["2 of 2 walks done", "done done"]]
    # messages take turns in the status region (each stays a moment): the summary comes last
    page.wait_for_function("() => window.__said.includes('2 walks: 1 passed, 1 failed.')")
    said = page.evaluate("window.__said")
    assert said.index("Walk 1 of 2, station, a short walk: passed.") < said.index(
        "Walk 2 of 2, expects a detour that never comes: failed.") < said.index(
        "2 walks: 1 passed, 1 failed.")
    assert page.locator("#suite-progress").get_attribute("value") == "2"
    rows = page.locator("#suite-rows tr")
    assert [r.get_attribute("data-passed") for r in rows.all()] == ["true", "false"]
    assert rows.nth(0).locator("th").text_content() == "station, a short walk"
    assert rows.nth(1).locator("td").nth(1).text_content() == "off_route_events = 0 is below 1"
    assert (rows.nth(0).locator("td").last.text_content() or "").startswith("arrived; mean error")
    assert console.axe_violations() == []
    console.shot("console-tester-suite")
