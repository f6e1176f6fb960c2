"""A tester's session in the browser: a simulated walk with a wrong turn, run through the real
pipeline, replayed on the map with the off-route and the re-route on its timeline."""

from __future__ import annotations

from tests.navigator.console.conftest import ConsoleServer, OpenConsole

FROM, TO = (49.43666, 7.76797), (49.4432, 7.7717)


def test_a_wrong_turn_shows_off_route_and_reroute_on_the_timeline(
        open_console: OpenConsole, console_server: ConsoleServer) -> None:
    console = open_console()
    page = console.page
    console.signed_in(console_server.keys["tester"])
    console.view("simulate")
    page.fill("#s-from", f"{FROM[0]}, {FROM[1]}")
    page.fill("#s-to", f"{TO[0]}, {TO[1]}")
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
