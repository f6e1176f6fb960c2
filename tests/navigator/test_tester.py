"""Testers' simulations over HTTP: metrics from the real pipeline, a plot, clear errors."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp.test_utils import TestClient

from navigator import simulation
from navigator.keys import MAP
from navigator.routeplan import plan_between
from navigator.simulation import WalkOptions
from routing.geo import haversine_m
from tests.navigator.conftest import auth

WALK = {"from": {"lat": 49.43666, "lon": 7.76797}, "to": {"lat": 49.4432, "lon": 7.7717},
        "seed": 4}


async def test_simulation_returns_metrics_and_a_plot(client: TestClient, api_keys) -> None:
    h = auth(api_keys["tester"])
    r = await client.post("/v1/simulations", json=WALK, headers=h)
    assert r.status == 200, await r.text()
    body = await r.json()
    m = body["metrics"]
    assert m["arrived"] is True and m["mean_error_m"] < 1.5 and m["p90_error_m"] < 3.0
    assert m["off_route_events"] == 0
    assert m["world"] == {"radio": "ideal", "gnss": False}
    g = m["guidance"]
    assert g["arrived_pct"] == 100.0 and g["decision_points"] >= 10 and g["confident_wrong"] == 0
    first = m["instructions"][0]
    assert first["kind"] == "depart" and {"t", "text", "true_lat", "true_lon"} <= set(first)
    png = await client.get(body["plot_url"], headers=h)
    assert png.status == 200 and png.content_type == "image/png"
    assert (await png.read())[:8] == b"\x89PNG\r\n\x1a\n"


async def test_simulated_outage_and_wrong_turn_are_reported(client: TestClient, api_keys
                                                            ) -> None:
    h = auth(api_keys["admin"])
    body = {**WALK, "wrong_turn_at_m": 60, "outage_from_m": 300, "outage_to_m": 420,
            "plot": False}
    m = (await (await client.post("/v1/simulations", json=body, headers=h)).json())["metrics"]
    assert m["off_route_events"] >= 1 and m["location_unavailable_events"] >= 1
    assert m["silenced_beacons"] > 0


async def test_a_heeding_walker_slows_down_when_told_to(client: TestClient, api_keys) -> None:
    """``heeds``: the simulated walker does what it is told; this walk hears "location
    uncertain, slow down" and its true track goes at 0.6 m/s from there."""
    body = {**WALK, "heeds": True, "plot": False, "trace": True}
    r = await client.post("/v1/simulations", json=body, headers=auth(api_keys["tester"]))
    assert r.status == 200, await r.text()
    trace = (await r.json())["trace"]
    told = next(e["t"] for e in trace["events"] if e["type"] == "position_uncertain")
    at = {t: (lat, lon) for t, lat, lon in trace["truth"]}
    assert haversine_m(*at[told], *at[told + 1]) == pytest.approx(0.6, abs=0.01)


async def test_bad_simulation_requests_are_422(client: TestClient, api_keys) -> None:
    h = auth(api_keys["tester"])
    for bad, code in (({**WALK, "dropout": 1.5}, "invalid_input"),
                      ({**WALK, "radio": "perfect"}, "invalid_input"),
                      ({**WALK, "outage_from_m": 10}, "invalid_input"),
                      ({**WALK, "from": {"lat": 49.40, "lon": 7.70}}, "too_far_from_network")):
        r = await client.post("/v1/simulations", json=bad, headers=h)
        assert r.status == 422 and (await r.json())["error"]["code"] == code


async def test_outage_silences_exactly_the_beacons_near_the_stretch(client: TestClient) -> None:
    mapstate = client.app[MAP]
    route = plan_between(mapstate, (49.43666, 7.76797), (49.4432, 7.7717), "blind_cane")
    walk = WalkOptions(seed=1, outage_from_m=80.0, outage_to_m=180.0)
    kept, silenced = simulation._silence(mapstate.beacons, route, walk)  # noqa: SLF001
    stretch = simulation._points_between(route, 80.0, 180.0)  # noqa: SLF001
    near = {p.beacon for p in mapstate.beacons
            if min(haversine_m(p.lat, p.lon, a, b) for a, b in stretch) <= walk.outage_radius_m}
    assert silenced == len(near) > 0
    assert len(kept) + silenced == len(mapstate.beacons)
    assert not near & {p.beacon for p in kept}


async def test_simulations_beyond_the_pool_are_refused_while_everyone_else_is_served(
    make_client, settings, api_keys
) -> None:
    """Reported: six slow walks made /health, routes and every keyed request wait 71 s."""
    client = await make_client(settings.with_(simulation_workers=2))
    tester, mapper = auth(api_keys["tester"]), auth(api_keys["mapper"])
    slow = {**WALK, "plot": False}
    walks = [asyncio.create_task(client.post("/v1/simulations", json=slow, headers=tester))
             for _ in range(6)]
    latencies = []
    while not all(w.done() for w in walks):
        for request in (client.get("/health"),
                        client.post("/v1/routes", json={"from": WALK["from"], "to": WALK["to"]}),
                        client.get("/v1/map/nodes", params={"limit": 1}, headers=mapper)):
            t = time.perf_counter()
            assert (await request).status == 200
            latencies.append(time.perf_counter() - t)
        await asyncio.sleep(0.05)
    answers = [await w for w in walks]
    statuses = sorted(r.status for r in answers)
    assert statuses == [200, 200, 503, 503, 503, 503]
    busy = next(r for r in answers if r.status == 503)
    assert int(busy.headers["Retry-After"]) >= 1
    assert (await busy.json())["error"]["code"] == "simulations_busy"
    assert len(latencies) >= 9 and max(latencies) < 1.0, latencies
