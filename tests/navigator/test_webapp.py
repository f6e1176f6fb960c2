"""The companion app's server side: its files, their headers, and the demo's beacons.

What the app does in a browser is tested in ``tests/webapp`` (Chromium driven by Playwright).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from aiohttp.test_utils import TestClient

from beacons.layout import near_path
from beacons.pathloss import PathLossModel
from navigator.keys import MAP
from navigator.routeplan import plan_between
from navigator.simulation import WalkOptions
from navigator.webapp import DEMO_RANGE_M, STATIC_DIR

REPO = Path(__file__).resolve().parents[2]
START, END = (49.43666, 7.76797), (49.4432, 7.7717)


def app_files() -> set[str]:
    return {p.relative_to(STATIC_DIR).as_posix() for p in STATIC_DIR.rglob("*") if p.is_file()}


async def test_the_app_is_served_at_app_with_its_cache_and_security_headers(client: TestClient
                                                                           ) -> None:
    r = await client.get("/app", allow_redirects=False)
    assert r.status == 308 and r.headers["Location"] == "/app/"
    page = await client.get("/app/")
    assert page.status == 200 and page.content_type == "text/html"
    assert '<html lang="de">' in await page.text()
    assert page.headers["Cache-Control"] == "no-cache" and page.headers["ETag"]
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    script = await client.get("/app/js/main.js")
    assert script.status == 200 and "javascript" in script.content_type
    again = await client.get("/app/js/main.js", headers={"If-None-Match": script.headers["ETag"]})
    assert again.status == 304, "revalidation is cheap: the shell is never served stale"
    icon = await client.get("/app/icons/icon-192.png")
    assert icon.headers["Cache-Control"].startswith("public, max-age=")
    manifest = await client.get("/app/manifest.webmanifest")
    assert manifest.content_type == "application/manifest+json"


async def test_nothing_outside_the_app_folder_is_served(client: TestClient) -> None:
    for path in ("/app/../app.py", "/app/%2e%2e/app.py", "/app/nope.js", "/app/js/"):
        r = await client.get(path)
        assert r.status in (403, 404), path
        assert "Content-Security-Policy" not in r.headers
    assert "Content-Security-Policy" not in (await client.get("/health")).headers


def test_the_service_worker_caches_exactly_the_app_shell() -> None:
    """Its list names every file of the app (so all of it works offline) and nothing else: no
    API answer, which could hold a position, is ever cached."""
    sw = (STATIC_DIR / "sw.js").read_text()
    listed = set(re.findall(r'^\s+"([^"]+)",$', sw, re.MULTILINE))
    assert listed == (app_files() - {"index.html", "sw.js"}) | {"./"}
    assert "/v1/" not in sw.split("const SHELL")[1].split("];")[0]


def test_every_app_file_is_package_data() -> None:
    """A wheel must carry the app: every file matches a package-data pattern."""
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["navigator"]
    package = STATIC_DIR.parents[1]
    matched = {p.relative_to(STATIC_DIR).as_posix() for pattern in patterns
               for p in package.glob(pattern) if p.is_file() and STATIC_DIR in p.parents}
    assert matched == app_files()


async def test_demo_beacons_are_those_within_reach_of_the_route(client: TestClient) -> None:
    mapstate = client.app[MAP]
    route = plan_between(mapstate, START, END, "blind_cane")
    geometry = {"type": "LineString",
                "coordinates": [[lon, lat] for lat, lon in route.coordinates]}
    r = await client.post("/v1/demo/beacons", json={"geometry": geometry})
    assert r.status == 200, await r.text()
    body = await r.json()
    walk = WalkOptions()
    assert body["radio"] == {"path_loss_exponent": PathLossModel().exponent,
                             "noise_db": walk.noise_db, "dropout": walk.dropout,
                             "range_m": DEMO_RANGE_M, "speed_mps": walk.speed_mps}
    beacons = body["beacons"]
    assert 20 < len(beacons) < len(mapstate.beacons) / 4
    expected = near_path(mapstate.beacons, route.coordinates, DEMO_RANGE_M)  # exact: see its test
    assert [b["beacon"] for b in beacons] == [p.beacon.to_json() for p in expected]
    assert [(b["lat"], b["lon"], b["measured_power"]) for b in beacons] == [
        (p.lat, p.lon, p.measured_power_dbm) for p in expected]


async def test_demo_beacons_refuse_what_is_not_a_line_of_positions(client: TestClient) -> None:
    for geometry in ({"type": "Point", "coordinates": [[7.7, 49.4]]},
                     {"type": "LineString", "coordinates": []},
                     {"type": "LineString", "coordinates": [[7.7]]},
                     {"type": "LineString", "coordinates": [[49.4, 197.7]]},
                     {"type": "LineString", "coordinates": [[7.7, 49.4]] * 5001}):
        r = await client.post("/v1/demo/beacons", json={"geometry": geometry})
        assert r.status == 422, geometry
    far = {"type": "LineString", "coordinates": [[0.0, 0.0], [0.001, 0.0]]}
    r = await client.post("/v1/demo/beacons", json={"geometry": far})
    assert r.status == 200 and (await r.json())["beacons"] == []
