"""A mapper's beacon and data tools in the browser: a planned layout previewed, then applied;
beacon health as a sortable list; beacons and landmarks edited and moved; an OSM upload with
progress; the GeoJSON download."""

from __future__ import annotations

import json
from pathlib import Path

from navigator.settings import DEFAULT_CITY_FILE
from tests.navigator.console.conftest import ConsoleServer, OpenConsole


def test_plan_preview_apply_and_health(open_console: OpenConsole,
                                       console_server: ConsoleServer) -> None:
    console = open_console()
    page = console.page
    console.signed_in(console_server.keys["mapper"])
    console.view("beacons")
    page.select_option("#p-mode", "decision-points")
    page.click("#plan-form button[type=submit]")
    page.wait_for_selector("#plan-result:has-text('Preview:')")
    planned = page.locator("#map path.planned").count()
    assert planned > 10 and f"{planned} beacons" in (page.text_content("#plan-result") or "")
    assert console.axe_violations() == []
    console.shot("console-mapper-beacons")
    page.click("#plan-apply")
    page.wait_for_selector("#plan-result:has-text('Stored:')")
    assert page.is_disabled("#plan-apply")
    page.click("#health-load")
    page.wait_for_selector("#health-rows tr")
    assert f"{planned} beacons" in (page.text_content("#health-summary") or "")
    header = page.locator("th", has=page.locator("button[data-sort=battery_mv]"))
    page.click("button[data-sort=battery_mv]")
    assert header.get_attribute("aria-sort") == "descending"
    page.click("button[data-sort=battery_mv]")
    assert header.get_attribute("aria-sort") == "ascending"
    assert console.axe_violations() == []


def test_edit_move_and_delete_a_beacon_and_a_landmark(open_console: OpenConsole,
                                                      console_server: ConsoleServer) -> None:
    """Beacons and landmarks edited like edges: found on the map's list (a beacon by the identity
    the map knows it by), moved by typed coordinates, each save checked in the API and the live
    map; a 412 on a landmark shown as a conflict and resolved."""
    console = open_console()
    page = console.page
    console.signed_in(console_server.keys["mapper"])
    beacon = console_server.api("GET", "/v1/map/beacons?limit=1")[0]
    loads = console.map_loads()
    page.fill("#goto-lat", str(beacon["lat"]))
    page.fill("#goto-lon", str(beacon["lon"]))
    page.press("#goto-lon", "Enter")
    console.wait_map_load(loads)
    page.click("#in-view summary")
    ident = (f"{beacon['uuid']}:{beacon['major']}:{beacon['minor']}" if "uuid" in beacon
             else f"{beacon['namespace']}:{beacon['instance']}")
    page.locator("#in-view-list button", has_text=ident).first.click()
    page.wait_for_selector(f"#beacon-title:has-text('Beacon {beacon['id']} (')")
    assert page.input_value("#b-power") == f"{beacon['measured_power']:g}"

    # move it 2 m north by typing, and give it a weaker calibrated power
    lat = round(beacon["lat"] + 0.00002, 7)
    page.fill("#b-lat", f"{lat:.7f}")
    page.fill("#b-power", "-65")
    page.focus("#beacon-save")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#edit-result:has-text('Beacon {beacon['id']} saved')")
    stored = console_server.api("GET", f"/v1/map/beacons/{beacon['id']}")
    assert (stored["lat"], stored["lon"], stored["measured_power"]) == (
        lat, beacon["lon"], -65)
    assert stored["revision"] == beacon["revision"] + 1
    box = f"{beacon['lon'] - 1e-4},{lat - 1e-4},{beacon['lon'] + 1e-4},{lat + 1e-4}"
    live = [f for f in console_server.api("GET", f"/v1/map/features?bbox={box}&layers=beacons")
            ["features"] if f["properties"]["ident"] == ident]
    assert live and live[0]["geometry"]["coordinates"][1] == lat  # the live map moved it too
    assert live[0]["properties"]["measured_power"] == -65
    assert console.axe_violations() == []
    console.shot("console-mapper-beacon-edit")

    # a landmark by its id: renamed and moved, while someone else changes it meanwhile (412)
    landmark = console_server.api("GET", "/v1/map/landmarks?limit=1")[0]
    page.select_option("#select-kind", "landmark")
    page.fill("#select-id", str(landmark["id"]))
    page.press("#select-id", "Enter")
    page.wait_for_selector(f"#landmark-title:has-text('Landmark {landmark['id']} (')")
    theirs = "tourism" if landmark["kind"] != "tourism" else "shop"
    console_server.api("PATCH", f"/v1/map/landmarks/{landmark['id']}", {"kind": theirs},
                       if_match=landmark["revision"])
    page.fill("#l-name", "Bakery at the corner")
    page.fill("#l-lon", f"{landmark['lon'] + 0.00003:.7f}")
    page.click("#landmark-save")
    page.wait_for_selector("#conflict:not([hidden])")
    rows = {row.locator("th").text_content(): row.locator("td").all_text_contents()
            for row in page.locator("#conflict-rows tr").all()}
    assert rows["name"] == ["Bakery at the corner", landmark["name"]]
    assert rows["kind"][1] == theirs and rows["kind"][0].endswith("(not changed by you)")
    assert console.axe_violations() == []
    console.shot("console-mapper-landmark-conflict")
    page.click("#conflict-reapply")
    page.wait_for_selector(f"#edit-result:has-text('Landmark {landmark['id']} saved')")
    stored = console_server.api("GET", f"/v1/map/landmarks/{landmark['id']}")
    assert (stored["name"], stored["kind"]) == ("Bakery at the corner", theirs)  # both kept
    assert stored["lon"] == round(landmark["lon"] + 0.00003, 7)
    assert stored["revision"] == landmark["revision"] + 2

    # the beacon, opened again by id, is deleted
    page.select_option("#select-kind", "beacon")
    page.fill("#select-id", str(beacon["id"]))
    page.press("#select-id", "Enter")
    page.wait_for_selector(f"#beacon-title:has-text('revision {beacon['revision'] + 1}')")
    page.click("#beacon-delete")
    page.wait_for_selector(f"#edit-result:has-text('Beacon {beacon['id']} deleted')")
    assert console_server.status(f"/v1/map/beacons/{beacon['id']}") == 404


def test_a_412_on_a_beacon_is_shown_as_a_conflict_and_resolved_by_reloading(
        open_console: OpenConsole, console_server: ConsoleServer) -> None:
    """The beacon's own conflict view (the landmark's is re-applied above): my move against the
    revision I opened, while someone else recalibrated it; the server's version reloaded, then
    my move saved on top of theirs."""
    console = open_console()
    page = console.page
    console.signed_in(console_server.keys["mapper"])
    beacon = console_server.api("GET", "/v1/map/beacons?limit=5")[-1]
    page.select_option("#select-kind", "beacon")
    page.fill("#select-id", str(beacon["id"]))
    page.press("#select-id", "Enter")
    page.wait_for_selector(f"#beacon-title:has-text('revision {beacon['revision']}')")
    theirs = console_server.api("PATCH", f"/v1/map/beacons/{beacon['id']}",
                                {"measured_power": -71, "level": 1},
                                if_match=beacon["revision"])
    lat = f"{beacon['lat'] + 0.00002:.7f}"
    page.fill("#b-lat", lat)
    page.focus("#beacon-save")
    page.keyboard.press("Enter")
    page.wait_for_selector("#conflict:not([hidden])")
    assert console.active() == "conflict-title"
    rows = {row.locator("th").text_content(): row.locator("td").all_text_contents()
            for row in page.locator("#conflict-rows tr").all()}
    assert rows["lat"] == [str(float(lat)), str(beacon["lat"])]
    assert rows["measured_power"][0].endswith("(not changed by you)")
    assert (rows["measured_power"][1], rows["level"][1]) == ("-71", "1")
    assert console_server.api("GET", f"/v1/map/beacons/{beacon['id']}") == theirs, \
        "nothing of mine was stored"
    assert console.axe_violations() == []
    console.shot("console-mapper-beacon-conflict")

    page.click("#conflict-reload")
    page.wait_for_selector(f"#beacon-title:has-text('revision {theirs['revision']}')")
    assert not page.is_visible("#conflict")
    assert (page.input_value("#b-power"), page.input_value("#b-level"),
            page.input_value("#b-lat")) == ("-71", "1", str(beacon["lat"]))
    page.fill("#b-lat", lat)
    page.click("#beacon-save")
    page.wait_for_selector(f"#edit-result:has-text('Beacon {beacon['id']} saved')")
    stored = console_server.api("GET", f"/v1/map/beacons/{beacon['id']}")
    assert (stored["lat"], stored["measured_power"], stored["level"]) == (float(lat), -71, 1)
    assert stored["revision"] == theirs["revision"] + 1


def test_a_stored_value_the_form_does_not_offer_survives_another_edit(
        open_console: OpenConsole, console_server: ConsoleServer) -> None:
    """Reported: an imported surface the select did not list showed as "unknown", so saving the
    width sent ``surface: null`` and erased it."""
    console = open_console()
    page = console.page
    console.signed_in(console_server.keys["mapper"])
    edge = console_server.api("GET", "/v1/map/edges?limit=50")[-1]
    edge = console_server.api("PATCH", f"/v1/map/edges/{edge['id']}",
               {"highway": "footway", "surface": "unhewn_cobblestone"}, if_match=edge["revision"])
    page.fill("#select-id", str(edge["id"]))
    page.press("#select-id", "Enter")
    page.wait_for_selector(f"#edge-title:has-text('Edge {edge['id']} ')")
    page.select_option("#preset", "footway")
    assert page.input_value("#f-surface") == "unhewn_cobblestone"
    page.fill("#f-width", "2.5")
    page.click("#edge-save")
    page.wait_for_selector(f"#edit-result:has-text('Edge {edge['id']} saved')")
    stored = console_server.api("GET", f"/v1/map/edges/{edge['id']}")
    assert (stored["surface"], stored["width_m"]) == ("unhewn_cobblestone", 2.5)


def test_import_with_progress_and_export(open_console: OpenConsole,
                                         console_server: ConsoleServer, tmp_path: Path) -> None:
    console = open_console()
    page = console.page
    console.signed_in(console_server.keys["mapper"])
    console.view("data")
    page.set_input_files("#import-file", str(DEFAULT_CITY_FILE))
    page.check("#import-replace")
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-result:has-text('Imported')", timeout=120_000)
    assert page.eval_on_selector("#import-progress", "p => p.value") == 100
    assert console.axe_violations() == []
    console.shot("console-mapper-data")
    with page.expect_download() as download:
        page.click("#export")
    path = tmp_path / "map.geojson"
    download.value.save_as(path)
    doc = json.loads(path.read_text())
    assert doc["type"] == "FeatureCollection" and "OpenStreetMap" in doc["attribution"]
    assert {f["properties"]["layer"] for f in doc["features"]} >= {"node", "edge"}
