"""The service as an app sees it: health, OpenAPI, places, routes and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from navigator.settings import Settings

HAUPTBAHNHOF = {"lat": 49.43666, "lon": 7.76797}
STIFTSKIRCHE_AREA = {"lat": 49.4447, "lon": 7.7690}


async def test_health_reports_db_speech_bluetooth_and_graph_counts(client: TestClient) -> None:
    r = await client.get("/health")
    assert r.status == 200
    body = await r.json()
    assert body["status"] == "ok" and body["db"] == "ok"
    assert body["tts"] == "text-only"
    assert body["bluetooth"] == "not_probed"
    assert body["graph"]["nodes"] > 1000 and body["graph"]["edges"] > 1000
    assert body["graph"]["beacons"] > 100


async def test_first_start_on_empty_db_loads_the_default_city(make_client, sqlite_url, tmp_path
                                                              ) -> None:
    from tests.navigator.conftest import make_settings

    client = await make_client(make_settings(sqlite_url, tmp_path))
    body = await (await client.get("/health")).json()
    assert body["graph"]["nodes"] > 1000 and body["graph"]["beacons"] > 100


async def test_on_an_empty_map_routes_sessions_and_simulations_are_503_map_empty(
    make_client, sqlite_url, tmp_path
) -> None:
    from tests.navigator.conftest import auth, create_keys, make_settings

    client = await make_client(make_settings(sqlite_url, tmp_path, default_city=None))
    assert (await (await client.get("/health")).json())["graph"]["nodes"] == 0
    walk = {"from": {"lat": 49.43666, "lon": 7.76797}, "to": {"lat": 49.4432, "lon": 7.7717}}
    tester = auth(create_keys(sqlite_url)["tester"])
    for path, headers in (("/v1/routes", {}), ("/v1/sessions", {}),
                          ("/v1/simulations", tester)):
        r = await client.post(path, json=walk, headers=headers)
        assert r.status == 503, (path, await r.text())
        error = (await r.json())["error"]
        assert error["code"] == "map_empty" and "POST /v1/map/import" in error["message"]


async def test_openapi_is_generated_from_every_declared_route(client: TestClient) -> None:
    from navigator.routes import route_tables

    doc = await (await client.get("/openapi.json")).json()
    assert doc["openapi"].startswith("3.1")
    declared = {(ep.path, ep.method.lower()) for t in route_tables() for ep in t.endpoints}
    documented = {(p, m) for p, ops in doc["paths"].items() for m in ops}
    assert declared == documented
    body = doc["paths"]["/v1/routes"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/RouteRequest")


async def test_openapi_publishes_the_websocket_client_messages_with_gnss(client: TestClient
                                                                        ) -> None:
    doc = await (await client.get("/openapi.json")).json()
    messages = doc["paths"]["/v1/sessions/{id}/ws"]["get"]["x-websocket-client-messages"]
    assert messages["discriminator"]["mapping"]["scan"].endswith("/ScanMessage")
    schemas = doc["components"]["schemas"]
    scan = schemas["ScanMessage"]
    assert scan["required"] == ["type", "t"] and "gnss" in scan["properties"]
    gnss = schemas["GnssIn"]
    assert gnss["required"] == ["lat", "lon", "accuracy_m", "t"]
    assert gnss["properties"]["accuracy_m"]["exclusiveMinimum"] == 0
    assert schemas["AccuracyKind"]["enum"] == ["w3c95", "android68", "ios_rms"]


#: Every HTTP route as (method, path, area, role): the public contract, pinned so that moving
#: handlers between modules cannot add, drop or re-tag one unnoticed.
ROUTES = [
    ('DELETE', '/v1/keys/{id}', 'admin', 'admin'),
    ('DELETE', '/v1/map/beacons/{id}', 'mapper', 'mapper'),
    ('DELETE', '/v1/map/closures/{id}', 'mapper', 'mapper'),
    ('DELETE', '/v1/map/edges/{id}', 'mapper', 'mapper'),
    ('DELETE', '/v1/map/landmarks/{id}', 'mapper', 'mapper'),
    ('DELETE', '/v1/map/nodes/{id}', 'mapper', 'mapper'),
    ('GET', '/health', 'ops', 'public'),
    ('GET', '/metrics', 'ops', 'public'),
    ('GET', '/openapi.json', 'ops', 'public'),
    ('GET', '/v1/audio/{key}.wav', 'pedestrian', 'public'),
    ('GET', '/v1/beacons/health', 'mapper', 'mapper'),
    ('GET', '/v1/keys', 'admin', 'admin'),
    ('GET', '/v1/map/beacons', 'mapper', 'mapper'),
    ('GET', '/v1/map/beacons/{id}', 'mapper', 'mapper'),
    ('GET', '/v1/map/closures', 'mapper', 'mapper'),
    ('GET', '/v1/map/closures/{id}', 'mapper', 'mapper'),
    ('GET', '/v1/map/edges', 'mapper', 'mapper'),
    ('GET', '/v1/map/edges/{id}', 'mapper', 'mapper'),
    ('GET', '/v1/map/export.geojson', 'mapper', 'mapper'),
    ('GET', '/v1/map/features', 'console', 'mapper_or_tester'),
    ('GET', '/v1/map/landmarks', 'mapper', 'mapper'),
    ('GET', '/v1/map/landmarks/{id}', 'mapper', 'mapper'),
    ('GET', '/v1/map/nodes', 'mapper', 'mapper'),
    ('GET', '/v1/map/nodes/{id}', 'mapper', 'mapper'),
    ('GET', '/v1/map/revisions', 'mapper', 'mapper'),
    ('GET', '/v1/map/validation', 'mapper', 'mapper'),
    ('GET', '/v1/me', 'console', 'pedestrian'),
    ('GET', '/v1/places', 'pedestrian', 'public'),
    ('GET', '/v1/sessions/{id}/preview', 'pedestrian', 'public'),
    ('GET', '/v1/sessions/{id}/track', 'pedestrian', 'public'),
    ('GET', '/v1/sessions/{id}/ws', 'pedestrian', 'public'),
    ('GET', '/v1/simulations/{id}/plot.png', 'tester', 'tester'),
    ('GET', '/v1/stops/{id}/departures', 'pedestrian', 'public'),
    ('PATCH', '/v1/map/beacons/{id}', 'mapper', 'mapper'),
    ('PATCH', '/v1/map/edges/{id}', 'mapper', 'mapper'),
    ('PATCH', '/v1/map/landmarks/{id}', 'mapper', 'mapper'),
    ('PATCH', '/v1/map/nodes/{id}', 'mapper', 'mapper'),
    ('POST', '/v1/demo/beacons', 'pedestrian', 'public'),
    ('POST', '/v1/keys', 'admin', 'admin'),
    ('POST', '/v1/map/beacon-plan', 'mapper', 'mapper'),
    ('POST', '/v1/map/beacons', 'mapper', 'mapper'),
    ('POST', '/v1/map/closures', 'mapper', 'mapper'),
    ('POST', '/v1/map/edges', 'mapper', 'mapper'),
    ('POST', '/v1/map/edges/{id}/split', 'mapper', 'mapper'),
    ('POST', '/v1/map/import', 'mapper', 'mapper'),
    ('POST', '/v1/map/landmarks', 'mapper', 'mapper'),
    ('POST', '/v1/map/nodes', 'mapper', 'mapper'),
    ('POST', '/v1/map/revisions/{id}/revert', 'mapper', 'mapper'),
    ('POST', '/v1/routes', 'pedestrian', 'public'),
    ('POST', '/v1/sessions', 'pedestrian', 'public'),
    ('POST', '/v1/simulations', 'tester', 'tester'),
    ('POST', '/v1/simulations/suite', 'tester', 'tester'),
    ('POST', '/v1/speech', 'pedestrian', 'public'),
]


async def test_openapi_lists_exactly_the_pinned_routes_with_their_areas_and_roles(
    client: TestClient,
) -> None:
    from navigator.routes import route_tables

    declared = sorted((ep.method, ep.path, t.area, ep.role)
                      for t in route_tables() for ep in t.endpoints)
    assert declared == ROUTES
    doc = await (await client.get("/openapi.json")).json()
    documented = sorted((m.upper(), p, op["tags"][0], "security" in op)
                        for p, ops in doc["paths"].items() for m, op in ops.items())
    assert documented == [(m, p, area, role != "public") for m, p, area, role in ROUTES]


def test_the_contract_in_docs_names_every_route() -> None:
    """docs/API.md is the project's contract: no route may exist without being named there."""
    from navigator.routes import route_tables

    doc = (Path(__file__).resolve().parents[2] / "docs" / "API.md").read_text()
    # a CRUD item route is named with its collection ("CRUD on /v1/map/nodes ... GET .../{id}")
    missing = sorted({ep.path for t in route_tables() for ep in t.endpoints
                      if ep.path not in doc and ep.path.removesuffix("/{id}") not in doc})
    assert missing == []


async def test_openapi_is_built_once_per_process(client: TestClient,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Reported: 30 ms of CPU per anonymous GET /openapi.json, unlimited."""
    from navigator import ops

    first = await (await client.get("/openapi.json")).read()
    monkeypatch.setattr(ops, "build_openapi", lambda *a: pytest.fail("built again"))
    assert await (await client.get("/openapi.json")).read() == first


async def test_metrics_are_prometheus_text(client: TestClient) -> None:
    await client.get("/health")
    r = await client.get("/metrics")
    assert r.status == 200
    assert "blindpilot_http_requests_total" in await r.text()


@pytest.mark.parametrize("query", ["hauptbahnhof", "HAUPTBAHNHOF", "Hauptbahnhof"])
async def test_place_search_is_case_insensitive(client: TestClient, query: str) -> None:
    places = await (await client.get("/v1/places", params={"q": query})).json()
    assert places and all("hauptbahnhof" in p["name"].lower() for p in places)


async def test_place_search_is_umlaut_insensitive(client: TestClient) -> None:
    with_umlaut = await (await client.get("/v1/places", params={"q": "Straße"})).json()
    spelled = await (await client.get("/v1/places", params={"q": "strasse"})).json()
    assert with_umlaut == spelled


async def test_route_between_real_points_has_geometry_and_spoken_maneuvers(client: TestClient
                                                                          ) -> None:
    r = await client.post("/v1/routes", json={"from": HAUPTBAHNHOF, "to": STIFTSKIRCHE_AREA,
                                              "lang": "en"})
    assert r.status == 200, await r.text()
    body = await r.json()
    assert body["profile"] == "blind_cane"
    assert 300 < body["length_m"] < 3000
    assert body["duration_s"] > body["length_m"] / 2
    assert body["geometry"]["type"] == "LineString" and len(body["geometry"]["coordinates"]) > 2
    kinds = [m["kind"] for m in body["maneuvers"]]
    assert kinds[0] == "depart" and kinds[-1] == "arrive"
    assert all(m["text"] for m in body["maneuvers"])
    assert all(m["audio_url"] is None for m in body["maneuvers"])  # text-only engine
    simple = body["simplicity"]
    turns = [m for m in body["maneuvers"] if m["kind"] == "turn" and abs(m["angle_deg"]) > 40]
    assert simple["turns"] == len(turns)
    assert simple["turns_per_km"] == pytest.approx(len(turns) / body["length_m"] * 1000, rel=0.02)
    assert simple["decision_points"] >= simple["turns"] + sum(simple["crossings"].values())
    assert 0 <= simple["tactile_share"] <= 1 and set(simple["unknown_m"]) >= {"surface"}


async def test_route_from_a_place_id(client: TestClient) -> None:
    places = await (await client.get("/v1/places", params={"q": "Hauptbahnhof"})).json()
    r = await client.post("/v1/routes", json={"from": {"place": places[0]["id"]},
                                              "to": STIFTSKIRCHE_AREA})
    assert r.status == 200


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"from": {"lat": 49.40, "lon": 7.70}, "to": STIFTSKIRCHE_AREA}, 422,
         "too_far_from_network"),
        ({"from": {"place": 1}, "to": STIFTSKIRCHE_AREA}, 422, "unknown_place"),
        ({"from": {"lat": 99, "lon": 7.7}, "to": STIFTSKIRCHE_AREA}, 422, "invalid_input"),
        ({"from": HAUPTBAHNHOF, "to": STIFTSKIRCHE_AREA, "profile": "rocket"}, 422,
         "invalid_input"),
        ({"from": HAUPTBAHNHOF, "to": STIFTSKIRCHE_AREA, "lang": "fr"}, 422, "invalid_input"),
        ({"from": HAUPTBAHNHOF}, 422, "invalid_input"),
        ([1, 2], 422, "invalid_input"),
    ],
)
async def test_bad_route_requests_get_a_clear_4xx(client: TestClient, body: object, status: int,
                                                  code: str) -> None:
    r = await client.post("/v1/routes", json=body)
    assert r.status == status
    err = (await r.json())["error"]
    assert err["code"] == code and err["message"]


async def test_malformed_json_is_400_not_500(client: TestClient) -> None:
    r = await client.post("/v1/routes", data=b"{nope", headers={"Content-Type": "application/json"})
    assert r.status == 400 and (await r.json())["error"]["code"] == "invalid_json"


async def test_unknown_path_is_json_404(client: TestClient) -> None:
    r = await client.get("/v1/nothing-here")
    assert r.status == 404 and (await r.json())["error"]["code"] == "not_found"


async def test_anonymous_callers_are_rate_limited(make_client, settings: Settings) -> None:
    client = await make_client(settings.with_(public_rate_per_s=1.0, public_burst=3))
    statuses = [(await client.get("/v1/places", params={"q": "a"})).status for _ in range(6)]
    assert statuses[:3] == [200, 200, 200] and 429 in statuses[3:]


@pytest.mark.parametrize("path", ["/openapi.json", "/health", "/metrics", "/no/such/path"])
async def test_every_anonymous_path_is_rate_limited(make_client, settings: Settings,
                                                    api_keys: dict[str, str], path: str) -> None:
    client = await make_client(settings.with_(public_rate_per_s=1.0, public_burst=3))
    statuses = [(await client.get(path)).status for _ in range(5)]
    assert 429 not in statuses[:3] and statuses[3:] == [429, 429]
    keyed = await client.get(path, headers={"Authorization": f"Bearer {api_keys['tester']}"})
    assert keyed.status != 429
