"""A mapper's beacon and data tools in the browser: a planned layout previewed, then applied;
beacon health as a sortable list; an OSM upload with progress; the GeoJSON download."""

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
