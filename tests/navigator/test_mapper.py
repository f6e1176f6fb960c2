"""Mappers' edits: validated, audited, revertible, race-safe, live in routing without a restart."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

import pytest
from aiohttp.test_utils import TestClient

from navigator.keys import MAP
from navigator.mapexport import CHUNK_FEATURES
from navigator.settings import Settings
from routing.graph import edge_by_id
from tests.conftest import NEUKOELLN
from tests.navigator.conftest import auth, create_keys

HBF = {"lat": 49.43666, "lon": 7.76797}
CENTRE = {"lat": 49.4447, "lon": 7.7690}


@pytest.fixture
async def mapper(make_client, any_db_settings: Settings) -> tuple[TestClient, dict[str, str]]:
    client = await make_client(any_db_settings)  # starts the app: migrates, loads the city
    keys = create_keys(any_db_settings.database_url)
    return client, auth(keys["mapper"])


async def test_create_node_and_edge_then_route_uses_them_without_restart(mapper) -> None:
    client, h = mapper
    nodes = await (await client.get("/v1/map/nodes", params={"limit": 1000}, headers=h)).json()
    southmost = min(nodes, key=lambda n: n["lat"])
    far = {"lat": southmost["lat"] - 0.0015, "lon": southmost["lon"]}  # ~170 m outside the map
    r = await client.post("/v1/routes", json={"from": far, "to": CENTRE})
    assert r.status == 422 and (await r.json())["error"]["code"] == "too_far_from_network"
    n_new = await (await client.post("/v1/map/nodes", json=far, headers=h)).json()
    r = await client.post("/v1/map/edges", json={"u": n_new["id"], "v": southmost["id"],
                                                 "highway": "footway", "surface": "asphalt"},
                          headers=h)
    assert r.status == 201, await r.text()
    edge = await r.json()
    assert 150 < edge["length_m"] < 190  # computed from the node coordinates
    r = await client.post("/v1/routes", json={"from": far, "to": CENTRE})
    assert r.status == 200, await r.text()


async def test_patch_needs_the_current_revision(mapper) -> None:
    client, h = mapper
    edge = (await (await client.get("/v1/map/edges", params={"limit": 1}, headers=h)).json())[0]
    url = f"/v1/map/edges/{edge['id']}"
    r = await client.patch(url, json={"tactile_paving": True}, headers=h)
    assert r.status == 428
    r = await client.patch(url, json={"tactile_paving": True},
                           headers={**h, "If-Match": str(edge["revision"])})
    assert r.status == 200 and (await r.json())["revision"] == edge["revision"] + 1
    assert r.headers["ETag"] == f'"{edge["revision"] + 1}"'
    r = await client.patch(url, json={"tactile_paving": False},
                           headers={**h, "If-Match": str(edge["revision"])})
    assert r.status == 412
    assert (await r.json())["error"]["code"] == "stale_revision"


async def test_a_crossings_push_button_is_stored_and_reaches_the_live_map(mapper) -> None:
    client, h = mapper
    edge = (await (await client.get("/v1/map/edges", params={"limit": 1}, headers=h)).json())[0]
    url = f"/v1/map/edges/{edge['id']}"
    r = await client.patch(url, json={"button_operated": "maybe"},
                           headers={**h, "If-Match": str(edge["revision"])})
    assert r.status == 422
    r = await client.patch(url, json={"button_operated": True},
                           headers={**h, "If-Match": str(edge["revision"])})
    assert r.status == 200 and (await r.json())["button_operated"] is True
    assert (await (await client.get(url, headers=h)).json())["button_operated"] is True
    live = edge_by_id(client.app[MAP].graph, edge["id"])
    assert live.button_operated is True


async def test_concurrent_edits_exactly_one_wins_nothing_lost(mapper) -> None:
    client, h = mapper
    edge = (await (await client.get("/v1/map/edges", params={"limit": 1}, headers=h)).json())[0]
    url = f"/v1/map/edges/{edge['id']}"
    hdr = {**h, "If-Match": str(edge["revision"])}
    r1, r2 = await asyncio.gather(client.patch(url, json={"surface": "asphalt"}, headers=hdr),
                                  client.patch(url, json={"surface": "sett"}, headers=hdr))
    assert sorted([r1.status, r2.status]) == [200, 412]
    winner = "asphalt" if r1.status == 200 else "sett"
    now = await (await client.get(url, headers=h)).json()
    assert now["surface"] == winner and now["revision"] == edge["revision"] + 1
    revs = await (await client.get("/v1/map/revisions", headers=h)).json()
    assert sum(1 for r in revs if r["entity"] == "edge" and r["entity_id"] == edge["id"]) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"u": 1, "v": 2}, "u"),
        ({"u": "NODE", "v": "NODE", "length_m": -3}, "length_m"),
        ({"u": "NODE", "v": "NODE2", "kerb": "wobbly"}, "kerb"),
        ({"u": "NODE", "v": "NODE2", "highway": "motorway"}, "highway"),
        ({"u": "NODE", "v": "NODE2", "step_count": 0}, "step_count"),
        ({"u": "NODE", "v": "NODE"}, "v"),
    ],
)
async def test_bad_edges_are_422_naming_the_field(mapper, body: dict, field: str) -> None:
    client, h = mapper
    nodes = await (await client.get("/v1/map/nodes", params={"limit": 2}, headers=h)).json()
    body = {k: nodes[0]["id"] if v == "NODE" else nodes[1]["id"] if v == "NODE2" else v
            for k, v in body.items()}
    before = len(await (await client.get("/v1/map/revisions", headers=h)).json())
    r = await client.post("/v1/map/edges", json=body, headers=h)
    assert r.status == 422, await r.text()
    err = (await r.json())["error"]
    assert field in err.get("field", "") or field in err["message"]
    assert len(await (await client.get("/v1/map/revisions", headers=h)).json()) == before


async def test_a_flight_of_steps_has_at_least_one_step(mapper) -> None:
    """step_count is declared once, in storage's EdgeAttributes, for create and patch alike: a
    count of 0 is refused (no steps is no count, or not steps), 1 and more are kept."""
    client, h = mapper
    nodes = await (await client.get("/v1/map/nodes", params={"limit": 2}, headers=h)).json()
    steps = {"u": nodes[0]["id"], "v": nodes[1]["id"], "highway": "steps"}
    r = await client.post("/v1/map/edges", json={**steps, "step_count": 0}, headers=h)
    assert r.status == 422 and "step_count" in (await r.json())["error"]["message"]
    r = await client.post("/v1/map/edges", json={**steps, "step_count": 1}, headers=h)
    assert r.status == 201, await r.text()
    edge = await r.json()
    assert edge["step_count"] == 1
    url, hdr = f"/v1/map/edges/{edge['id']}", {**h, "If-Match": str(edge["revision"])}
    r = await client.patch(url, json={"step_count": 0}, headers=hdr)
    assert r.status == 422 and "step_count" in (await r.json())["error"]["message"]
    r = await client.patch(url, json={"step_count": 12}, headers=hdr)
    assert r.status == 200 and (await r.json())["step_count"] == 12


async def test_deleting_a_node_with_edges_would_dangle_and_is_refused(mapper) -> None:
    client, h = mapper
    edge = (await (await client.get("/v1/map/edges", params={"limit": 1}, headers=h)).json())[0]
    r = await client.delete(f"/v1/map/nodes/{edge['u']}", headers=h)
    assert r.status == 422 and (await r.json())["error"]["field"] == "id"


async def test_revert_and_revert_of_revert(mapper) -> None:
    client, h = mapper
    edge = (await (await client.get("/v1/map/edges", params={"limit": 1}, headers=h)).json())[0]
    url = f"/v1/map/edges/{edge['id']}"
    old_name = edge["name"]
    r = await client.patch(url, json={"name": "Neue Gasse"},
                           headers={**h, "If-Match": str(edge["revision"])})
    assert r.status == 200
    rev = (await (await client.get("/v1/map/revisions", headers=h)).json())[0]
    assert rev["action"] == "update" and rev["actor"]
    undo = await (await client.post(f"/v1/map/revisions/{rev['id']}/revert", headers=h)).json()
    assert (await (await client.get(url, headers=h)).json())["name"] == old_name
    r = await client.post(f"/v1/map/revisions/{undo['revision_id']}/revert", headers=h)
    assert r.status == 200
    assert (await (await client.get(url, headers=h)).json())["name"] == "Neue Gasse"


async def test_delete_and_revert_restores_a_landmark(mapper) -> None:
    client, h = mapper
    lm = await (await client.post("/v1/map/landmarks", json={
        "name": "Bäckerei Test", "kind": "shop", **CENTRE}, headers=h)).json()
    assert (await client.get("/v1/places", params={"q": "backerei test"})).status == 200
    assert await (await client.get("/v1/places", params={"q": "backerei test"})).json()
    assert (await client.delete(f"/v1/map/landmarks/{lm['id']}", headers=h)).status == 204
    assert await (await client.get("/v1/places", params={"q": "backerei test"})).json() == []
    rev = (await (await client.get("/v1/map/revisions", headers=h)).json())[0]
    assert (await client.post(f"/v1/map/revisions/{rev['id']}/revert", headers=h)).status == 200
    assert await (await client.get("/v1/places", params={"q": "Bäckerei Test"})).json()


async def edge_mid_route(client: TestClient, h: dict[str, str], route: dict) -> dict:
    """The edge starting nearest the middle of a route (closing it changes the route)."""
    edges = await (await client.get("/v1/map/edges", params={"limit": 1000}, headers=h)).json()
    mid = route["geometry"]["coordinates"][len(route["geometry"]["coordinates"]) // 2]
    nodes = {n["id"]: n for n in await (await client.get(
        "/v1/map/nodes", params={"limit": 1000}, headers=h)).json()}

    def dist(e: dict) -> float:
        a = nodes.get(e["u"])
        return 1e9 if a is None else (a["lon"] - mid[0]) ** 2 + (a["lat"] - mid[1]) ** 2

    return min(edges, key=dist)


async def test_closures_are_honoured_at_query_time(mapper) -> None:
    client, h = mapper
    body = {"from": HBF, "to": CENTRE}
    before = await (await client.post("/v1/routes", json=body)).json()
    target = await edge_mid_route(client, h, before)
    past = {"edge_id": target["id"], "starts_ts": time.time() - 7200,
            "ends_ts": time.time() - 3600, "reason": "was a market"}
    assert (await client.post("/v1/map/closures", json=past, headers=h)).status == 201
    same = await (await client.post("/v1/routes", json=body)).json()
    assert same["length_m"] == before["length_m"]
    now = {"edge_id": target["id"], "reason": "building site"}
    assert (await client.post("/v1/map/closures", json=now, headers=h)).status == 201
    after = await (await client.post("/v1/routes", json=body)).json()
    assert after["geometry"] != before["geometry"]


async def test_a_one_way_edge_is_validated_and_routed_only_its_way(mapper) -> None:
    """``oneway`` is relative to the edge's u -> v: exactly one of "yes" and "-1" keeps the
    route that walks the edge, live, without a restart."""
    client, h = mapper
    body = {"from": HBF, "to": CENTRE}
    before = await (await client.post("/v1/routes", json=body)).json()
    edge = await edge_mid_route(client, h, before)
    url = f"/v1/map/edges/{edge['id']}"
    r = await client.patch(url, json={"oneway": "both"},
                           headers={**h, "If-Match": str(edge["revision"])})
    assert r.status == 422 and "oneway" in json.dumps(await r.json())
    kept = []
    for rule in ("yes", "-1"):
        now = await (await client.get(url, headers=h)).json()
        r = await client.patch(url, json={"oneway": rule},
                               headers={**h, "If-Match": str(now["revision"])})
        assert r.status == 200 and (await r.json())["oneway"] == rule
        route = await (await client.post("/v1/routes", json=body)).json()
        kept.append(route["geometry"] == before["geometry"])
    assert sorted(kept) == [False, True]
    now = await (await client.get(url, headers=h)).json()
    r = await client.patch(url, json={"oneway": None}, headers={**h, "If-Match": str(
        now["revision"])})
    assert r.status == 200 and (await r.json())["oneway"] is None
    assert (await (await client.post("/v1/routes", json=body)).json())["geometry"] == before[
        "geometry"]


async def test_split_keeps_the_route_and_the_tags_and_is_audited_step_by_step(mapper) -> None:
    client, h = mapper
    body = {"from": HBF, "to": CENTRE}
    before = await (await client.post("/v1/routes", json=body)).json()
    edge = await edge_mid_route(client, h, before)
    url = f"/v1/map/edges/{edge['id']}/split"
    stale = {**h, "If-Match": str(edge["revision"] + 1)}
    assert (await client.post(url, json={}, headers=stale)).status == 412
    assert (await client.post(url, json={"fraction": 1}, headers=h)).status == 422
    r = await client.post(url, json={"fraction": 0.25},
                          headers={**h, "If-Match": str(edge["revision"])})
    assert r.status == 201, await r.text()
    out = await r.json()
    node, (first, second) = out["node"], out["edges"]
    assert (first["u"], first["v"], second["u"], second["v"]) == (
        edge["u"], node["id"], node["id"], edge["v"])
    assert first["length_m"] == pytest.approx(edge["length_m"] * 0.25, abs=0.05)
    assert first["length_m"] + second["length_m"] == pytest.approx(edge["length_m"], abs=0.05)
    keep = ("highway", "name", "surface", "crossing", "tactile_paving", "osm_way_id")
    assert all(half[k] == edge[k] for half in (first, second) for k in keep)
    assert (await client.get(f"/v1/map/edges/{edge['id']}", headers=h)).status == 404
    after = await (await client.post("/v1/routes", json=body)).json()
    assert after["length_m"] == pytest.approx(before["length_m"], abs=0.1)  # live, no restart
    log = (await (await client.get("/v1/map/revisions", headers=h)).json())[:4]
    assert [(r["action"], r["entity"]) for r in log] == [
        ("delete", "edge"), ("create", "edge"), ("create", "edge"), ("create", "node")]
    # a closed edge is not split (which half the closure blocks is the mapper's call)
    closed = first["id"]
    assert (await client.post("/v1/map/closures", json={"edge_id": closed},
                              headers=h)).status == 201
    r = await client.post(f"/v1/map/edges/{closed}/split", json={}, headers=h)
    assert r.status == 422 and (await r.json())["error"]["field"] == "id"


async def test_beacons_crud_and_health(mapper) -> None:
    client, h = mapper
    body = {"uuid": "f7826da6-4fa2-4e98-8024-bc5b71e0893e", "major": 7, "minor": 9,
            "measured_power": -61, **CENTRE}
    r = await client.post("/v1/map/beacons", json=body, headers=h)
    assert r.status == 201
    assert (await client.post("/v1/map/beacons", json=body, headers=h)).status == 409
    bad = {**body, "minor": 70000}
    assert (await client.post("/v1/map/beacons", json=bad, headers=h)).status == 422
    health = await (await client.get("/v1/beacons/health", headers=h)).json()
    mine = [b for b in health if b.get("major") == 7 and b.get("minor") == 9]
    assert mine and mine[0]["silent"] is True and mine[0]["last_seen"] is None


async def test_a_beacon_is_found_by_the_identity_the_map_shows(mapper) -> None:
    """The map's features name a beacon by ``ident``: that finds its stored row (and id)."""
    client, h = mapper
    body = {"namespace": "edd1ebeac04e5defa017", "instance": "0000000000c3", **CENTRE}
    made = await (await client.post("/v1/map/beacons", json=body, headers=h)).json()
    r = await client.get("/v1/map/beacons", params={"ident": "edd1ebeac04e5defa017:0000000000c3"},
                         headers=h)
    assert r.status == 200
    assert [b["id"] for b in await r.json()] == [made["id"]]
    r = await client.get("/v1/map/beacons", params={"ident": "0000:0001"}, headers=h)
    assert await r.json() == []
    assert len(await (await client.get("/v1/map/beacons", params={"limit": 3},
                                       headers=h)).json()) == 3  # no ident: every beacon, paged
    for bad in ("", "Not-Lowercase:HEX", "x" * 81):
        r = await client.get("/v1/map/beacons", params={"ident": bad}, headers=h)
        assert r.status == 422, bad


async def test_beacon_health_pages_with_totals(mapper) -> None:
    client, h = mapper
    r = await client.get("/v1/beacons/health", params={"limit": 5, "offset": 10}, headers=h)
    page = await r.json()
    total = int(r.headers["X-Total-Count"])
    assert len(page) == 5 and total > 3000  # the shipped layout, never heard here: all silent
    assert int(r.headers["X-Silent-Count"]) == total and all(b["silent"] for b in page)
    first = await (await client.get("/v1/beacons/health", params={"limit": 15},
                                    headers=h)).json()
    assert [b["id"] for b in first[10:]] == [b["id"] for b in page]
    for bad in ({"limit": 0}, {"limit": 10_001}, {"offset": -1}, {"silent_only": "maybe"}):
        assert (await client.get("/v1/beacons/health", params=bad, headers=h)).status == 422


async def test_validation_lists_what_to_fix(mapper) -> None:
    client, h = mapper
    report = await (await client.get("/v1/map/validation", headers=h)).json()
    assert set(report) == {"disconnected_components", "edges_missing_tags",
                           "crossings_without_signal_info", "beacons_far_from_edges",
                           "decision_points_without_beacon", "transit_stops_unmatched"}
    # the 2013 Kaiserslautern data has no accessibility tags at all
    assert report["edges_missing_tags"]["count"] > 1000
    # the shipped layout covers every decision point
    assert report["decision_points_without_beacon"] == []
    # no timetable imported: no stop of one to match
    assert report["transit_stops_unmatched"] == {"count": 0, "first": []}


async def test_export_geojson_has_all_layers(mapper) -> None:
    client, h = mapper
    r = await client.get("/v1/map/export.geojson", headers=h)
    assert r.status == 200 and r.content_type == "application/geo+json"
    doc = await r.json()
    layers = {f["properties"]["layer"] for f in doc["features"]}
    assert layers == {"node", "edge", "landmark", "beacon"}
    assert "OpenStreetMap" in doc["attribution"]
    graph = (await (await client.get("/health")).json())["graph"]
    counted = Counter(f["properties"]["layer"] for f in doc["features"])
    assert (counted["node"], counted["edge"], counted["landmark"], counted["beacon"]) == (
        graph["nodes"], graph["edges"], graph["places"], graph["beacons"])


async def test_export_is_streamed_in_bounded_chunks_and_others_are_served_meanwhile(
        mapper) -> None:
    """Issue 19 #16: the export was built whole (77 MB and 2.8 s with the loop and the map
    held on a 100k-node city). Now it is sent in pieces as it is made; a client reading slowly
    holds neither the map nor the loop."""
    client, h = mapper
    r = await client.get("/v1/map/export.geojson", headers=h)
    assert r.headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in r.headers
    first = await r.content.readany()  # and then this client stops reading for a while
    for _ in range(3):
        health = await asyncio.wait_for(client.get("/health"), timeout=5)
        assert health.status == 200
        route = await asyncio.wait_for(client.post("/v1/routes", json={"from": HBF,
                                                                       "to": CENTRE}), 5)
        assert route.status == 200
    body = first + await r.read()
    doc = json.loads(body)
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) > 2 * CHUNK_FEATURES


def test_export_chunks_are_bounded_and_join_into_one_document() -> None:
    from navigator.mapexport import geojson_chunks

    def line(i: int) -> dict[str, object]:
        return {"type": "Feature", "properties": {"layer": "edge", "id": i, "name": "Straße"},
                "geometry": {"type": "LineString", "coordinates": [[7.77, 49.44 + i * 1e-5],
                                                                   [7.77, 49.44 + i * 2e-5]]}}

    points = [{"type": "Feature", "properties": {"layer": "node", "id": i, "level": None},
               "geometry": {"type": "Point", "coordinates": [7.77, 49.44 + i * 1e-5]}}
              for i in range(1001)]
    chunks = list(geojson_chunks(points + [line(i) for i in range(1000)], per_chunk=100))
    assert len(chunks) == 2 + 2001 // 100 + 1
    assert max(len(c) for c in chunks) < 100 * 1000
    doc = json.loads(b"".join(chunks))
    assert len(doc["features"]) == 2001 and doc["features"][-1]["properties"]["name"] == "Straße"
    assert json.loads(b"".join(geojson_chunks([])))["features"] == []


async def test_export_of_a_bbox_holds_what_lies_in_it(mapper) -> None:
    client, h = mapper
    whole = await (await client.get("/v1/map/export.geojson", headers=h)).json()
    box = "7.765,49.436,7.770,49.440"
    r = await client.get("/v1/map/export.geojson", params={"bbox": box}, headers=h)
    assert r.status == 200
    part = (await r.json())["features"]
    west, south, east, north = map(float, box.split(","))

    def inside(lon: float, lat: float) -> bool:
        return west <= lon <= east and south <= lat <= north

    points = [f for f in part if f["geometry"]["type"] == "Point"]
    lines = [f for f in part if f["geometry"]["type"] == "LineString"]
    assert points and lines and len(part) < len(whole["features"]) / 2
    assert all(inside(*f["geometry"]["coordinates"]) for f in points)
    assert all(any(inside(*c) for c in f["geometry"]["coordinates"]) for f in lines)
    expected = [f for f in whole["features"] if f["geometry"]["type"] == "Point"
                and inside(*f["geometry"]["coordinates"])
                or f["geometry"]["type"] == "LineString"
                and any(inside(*c) for c in f["geometry"]["coordinates"])]
    assert sorted(map(json.dumps, part)) == sorted(map(json.dumps, expected))


@pytest.mark.parametrize("box, words", [("1,2,3", "four numbers"), ("7.8,49,7.7,50", "minimum"),
                                        ("7,95,8,96", "latitudes"), ("nan,0,1,1", "finite")])
async def test_export_refuses_a_bad_bbox_with_the_reason(mapper, box: str, words: str) -> None:
    client, h = mapper
    r = await client.get("/v1/map/export.geojson", params={"bbox": box}, headers=h)
    assert r.status == 422
    error = (await r.json())["error"]
    assert error["code"] == "invalid_input" and words in error["message"]


async def test_osm_upload_replaces_the_map(mapper) -> None:
    client, h = mapper
    data = NEUKOELLN.read_bytes()
    r = await client.post("/v1/map/import", data=data, headers=h)
    assert r.status == 409  # a map exists; replacing must be explicit
    r = await client.post("/v1/map/import", params={"replace": "true"}, data=data, headers=h)
    assert r.status == 200, await r.text()
    counts = await r.json()
    health = await (await client.get("/health")).json()
    assert health["graph"]["nodes"] == counts["nodes"]
    r = await client.post("/v1/map/import", params={"replace": "true"}, data=b"<osm garbage",
                          headers=h)
    assert r.status == 422
    assert (await (await client.get("/health")).json())["graph"]["nodes"] == counts["nodes"]


async def test_beacon_plan_proposes_then_applies(mapper) -> None:
    client, h = mapper
    before = (await (await client.get("/health")).json())["graph"]["beacons"]
    r = await client.post("/v1/map/beacon-plan", json={"spacing_m": 25}, headers=h)
    plan = await r.json()
    assert r.status == 200 and plan["applied"] is False and 0 < plan["count"] < before
    assert (await (await client.get("/health")).json())["graph"]["beacons"] == before
    r = await client.post("/v1/map/beacon-plan", json={"spacing_m": 25, "apply": True}, headers=h)
    assert (await r.json())["applied"] is True
    assert (await (await client.get("/health")).json())["graph"]["beacons"] == plan["count"]
    bad = await client.post("/v1/map/beacon-plan", json={"spacing_m": 0}, headers=h)
    assert bad.status == 422


async def test_beacon_plan_decision_points_mode_reports_per_km(mapper) -> None:
    client, h = mapper
    dense = await (await client.post("/v1/map/beacon-plan", json={}, headers=h)).json()
    r = await client.post("/v1/map/beacon-plan", json={"mode": "decision-points"}, headers=h)
    sparse = await r.json()
    assert r.status == 200 and dense["mode"] == "dense" and sparse["mode"] == "decision-points"
    assert 0 < sparse["count"] <= 0.25 * dense["count"] == 0.25 * len(dense["beacons"])
    assert sparse["path_km"] == dense["path_km"] > 0
    assert sparse["per_km"] == round(sparse["count"] / sparse["path_km"], 1)
    bad = await client.post("/v1/map/beacon-plan", json={"mode": "sparse"}, headers=h)
    assert bad.status == 422


async def test_a_closure_must_end_after_it_starts_and_names_its_maker(mapper) -> None:
    """Issue 19 #11: an end before the (default, current) start was accepted, a closure that
    never applied; ``created_by`` was always null, in the closure and in the audit log."""
    client, h = mapper
    edge = (await (await client.get("/v1/map/edges", params={"limit": 1}, headers=h)).json())[0]
    for bad in ({"edge_id": edge["id"], "ends_ts": time.time() - 60},
                {"edge_id": edge["id"], "starts_ts": 2000.0, "ends_ts": 1000.0},
                {"edge_id": edge["id"], "starts_ts": 2000.0, "ends_ts": 2000.0}):
        r = await client.post("/v1/map/closures", json=bad, headers=h)
        assert r.status == 422, bad
        assert "ends_ts" in (await r.json())["error"]["message"]
    assert await (await client.get("/v1/map/closures", headers=h)).json() == []
    r = await client.post("/v1/map/closures", json={"edge_id": edge["id"],
                                                    "ends_ts": time.time() + 3600}, headers=h)
    assert r.status == 201
    closure = await r.json()
    prefix = h["Authorization"].removeprefix("Bearer ")[:10]
    assert closure["created_by"] == prefix
    stored = await (await client.get(f"/v1/map/closures/{closure['id']}", headers=h)).json()
    assert stored["created_by"] == prefix
    logged = (await (await client.get("/v1/map/revisions", headers=h)).json())[0]
    assert logged["entity"] == "closure" and logged["actor"] == prefix
    assert json.loads(logged["after"])["created_by"] == prefix
