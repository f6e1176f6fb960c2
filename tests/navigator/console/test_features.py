"""The console's two endpoints over HTTP (who a key is; the map by bounding box), the edge
colouring, and the simulation trace the replay draws."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from navigator.bbox import parse_bbox
from navigator.consolemap import edge_features, edge_look
from navigator.edgeindex import EdgeIndex
from navigator.keys import MAP
from routing.model import EdgeRecord
from tests.navigator.conftest import auth

CENTRE = "7.7680,49.4430,7.7720,49.4460"  # a few hundred metres of Kaiserslautern's centre


async def test_me_says_the_role_and_the_map_extent(client: TestClient, api_keys) -> None:
    assert (await client.get("/v1/me")).status == 401
    assert (await client.get("/v1/me", headers=auth("bp_nonsense"))).status == 401
    for role in ("mapper", "tester", "admin", "pedestrian"):
        body = await (await client.get("/v1/me", headers=auth(api_keys[role]))).json()
        assert body["role"] == role
    west, south, east, north = body["map_bbox"]
    assert 7.7 < west < east < 7.8 and 49.4 < south < north < 49.5


async def test_features_in_a_box_are_the_edges_and_nodes_there(client: TestClient,
                                                               api_keys) -> None:
    h = auth(api_keys["tester"])
    r = await client.get("/v1/map/features", params={"bbox": CENTRE}, headers=h)
    assert r.status == 200 and r.content_type == "application/geo+json"
    doc = await r.json()
    assert "OpenStreetMap" in doc["attribution"] and doc["truncated"] is False
    edges = [f for f in doc["features"] if f["properties"]["layer"] == "edge"]
    nodes = [f for f in doc["features"] if f["properties"]["layer"] == "node"]
    assert len(edges) > 20 and len(nodes) > 20
    box = parse_bbox(CENTRE)
    assert all(box.contains(n["geometry"]["coordinates"][1], n["geometry"]["coordinates"][0])
               for n in nodes)
    graph = client.app[MAP].graph
    every = {e.id for e in EdgeIndex.of(graph).edges
             if any(box.contains(graph.nodes[n]["lat"], graph.nodes[n]["lon"])
                    for n in (e.u, e.v))}
    assert every <= {e["properties"]["id"] for e in edges}  # none with an end inside is missed
    assert all(None not in e["properties"].values() for e in edges)
    assert {"look", "closed", "highway"} <= set(edges[0]["properties"])


async def test_features_are_for_mappers_and_testers_not_walkers(client: TestClient,
                                                                 api_keys) -> None:
    """The whole graph by box is staff data: a pedestrian key is refused (403), not served."""
    for role, status in (("pedestrian", 403), ("mapper", 200), ("tester", 200), ("admin", 200)):
        r = await client.get("/v1/map/features", params={"bbox": CENTRE},
                             headers=auth(api_keys[role]))
        assert r.status == status, role
    r = await client.get("/v1/map/features", params={"bbox": CENTRE},
                         headers=auth(api_keys["pedestrian"]))
    assert (await r.json())["error"]["code"] == "forbidden"


async def test_features_follow_edits_and_closures(client: TestClient, api_keys) -> None:
    h = auth(api_keys["mapper"])
    doc = await (await client.get("/v1/map/features", params={"bbox": CENTRE},
                                  headers=h)).json()
    edge = next(f["properties"] for f in doc["features"]
                if f["properties"]["layer"] == "edge" and f["properties"]["look"] != "steps"
                and "crossing" not in f["properties"]["look"])
    row = await (await client.get(f"/v1/map/edges/{edge['id']}", headers=h)).json()
    r = await client.patch(f"/v1/map/edges/{edge['id']}", headers={**h, "If-Match": str(
        row["revision"])}, json={"crossing": "traffic_signals", "traffic_signals_sound": True})
    assert r.status == 200
    r = await client.post("/v1/map/closures", headers=h, json={"edge_id": edge["id"]})
    assert r.status == 201
    doc = await (await client.get("/v1/map/features", params={"bbox": CENTRE, "layers": "edges"},
                                  headers=h)).json()
    after = next(f["properties"] for f in doc["features"] if f["properties"]["id"] == edge["id"])
    assert after["look"] == "crossing_audible" and after["closed"] is True
    assert {f["properties"]["layer"] for f in doc["features"]} == {"edge"}


async def test_bad_boxes_and_layers_are_422_with_the_reason(client: TestClient,
                                                            api_keys) -> None:
    h = auth(api_keys["mapper"])
    assert (await client.get("/v1/map/features", params={"bbox": CENTRE})).status == 401
    for params, words in (({"bbox": "1,2,3"}, "four numbers"),
                          ({"bbox": "8,49,7,50"}, "minimum"),
                          ({"bbox": "7,49,8,nan"}, "finite"),
                          ({"bbox": CENTRE, "layers": "edges,tiles"}, "unknown layers"),
                          ({}, "bbox")):
        r = await client.get("/v1/map/features", params=params, headers=h)
        assert r.status == 422, params
        assert words in (await r.json())["error"]["message"], params


async def test_a_box_too_big_is_cut_and_says_so(client: TestClient) -> None:
    graph = client.app[MAP].graph
    index = EdgeIndex.of(graph)
    found, cut = edge_features(index, index.within(parse_bbox("-180,-90,180,90")), set(),
                               limit=10)
    assert len(found) == 10 and cut is True
    assert index.extent() is not None


def test_edges_are_coloured_by_what_a_blind_walker_needs() -> None:
    def e(**attrs: object) -> EdgeRecord:
        return EdgeRecord(1, 1, 2, 10.0, **attrs)  # type: ignore[arg-type]

    assert edge_look(e(highway="steps", step_count=4)) == "steps"
    assert edge_look(e(crossing="traffic_signals", traffic_signals_vibration=True)
                     ) == "crossing_audible"
    assert edge_look(e(crossing="traffic_signals")) == "crossing_signals"
    assert edge_look(e(footway="crossing", crossing="marked")) == "crossing"
    assert edge_look(e(tactile_paving=True)) == "tactile"
    assert edge_look(e(highway="residential")) == "road"
    assert edge_look(e()) == "unknown"
    assert edge_look(e(surface="asphalt")) == "footway"


async def test_a_simulation_trace_is_the_walk_second_by_second(client: TestClient,
                                                               api_keys) -> None:
    h = auth(api_keys["tester"])
    walk = {"from": {"lat": 49.43666, "lon": 7.76797}, "to": {"lat": 49.4432, "lon": 7.7717},
            "seed": 4, "plot": False, "wrong_turn_at_m": 60}
    plain = await (await client.post("/v1/simulations", json=walk, headers=h)).json()
    assert plain["trace"] is None
    body = await (await client.post("/v1/simulations", json={**walk, "trace": True},
                                    headers=h)).json()
    trace, metrics = body["trace"], body["metrics"]
    assert "trace" not in metrics and trace["route"]["type"] == "LineString"
    assert len(trace["truth"]) >= metrics["duration_s"] and len(trace["fixes"]) == metrics["fixes"]
    times = [t for t, _, _ in trace["truth"]]
    assert times == sorted(times)
    kinds = [e["type"] for e in trace["events"]]
    assert "fix" not in kinds and kinds.count("off_route") == metrics["off_route_events"]
    assert "rerouted" in kinds and kinds[-1] == "arrived"


async def test_the_console_is_served_with_its_leaflet_and_nothing_from_elsewhere(
        client: TestClient) -> None:
    r = await client.get("/console", allow_redirects=False)
    assert r.status == 308 and r.headers["Location"] == "/console/"
    r = await client.get("/console/")
    html = await r.text()
    assert r.status == 200 and "vendor/leaflet/leaflet.js" in html and "http" not in html
    assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert r.headers["Cache-Control"] == "no-cache"
    leaflet = await client.get("/console/vendor/leaflet/leaflet.js")
    assert leaflet.status == 200 and "Leaflet 1.9.4" in (await leaflet.text())[:300]
    licence = await client.get("/console/vendor/leaflet/LICENSE")
    assert "Volodymyr Agafonkin" in await licence.text()
