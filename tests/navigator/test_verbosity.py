"""The walker's verbosity over the API (#15): ``"verbosity": "decision_points"`` on a session says
only decision points, safety messages and arrival; published in the OpenAPI schema."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from navigator.keys import MAP
from navigator.routeplan import plan_between
from navigator.simulation import SimulatedWalker, WalkOptions
from tests.navigator.test_live import END, START, open_session, scan_json, send_and_collect


async def test_a_decision_points_session_says_no_landmark_and_no_reassurance(client: TestClient
                                                                            ) -> None:
    route = plan_between(client.app[MAP], START, END, "blind_cane")
    assert any(m.kind.value == "landmark" for m in route.maneuvers)
    walker = SimulatedWalker(client.app[MAP], route, WalkOptions(seed=3))
    _, ws = await open_session(client, verbosity="decision_points")
    t = 0.0
    while t <= walker.limit_s and not walker.done:
        walker.observe(t, await send_and_collect(ws, scan_json(walker.scan(t))))
        t += 1.0
    await ws.close()
    said = walker.result.instructions
    assert walker.result.arrived
    assert {i["kind"] for i in said} >= {"depart", "turn"}
    assert [i for i in said if i["kind"] == "landmark" or i["phase"] == "reassurance"] == []


async def test_an_unknown_verbosity_is_refused(client: TestClient) -> None:
    r = await client.post("/v1/sessions", json={
        "from": {"lat": START[0], "lon": START[1]}, "to": {"lat": END[0], "lon": END[1]},
        "verbosity": "chatty"})
    assert r.status == 422
    assert (await r.json())["error"]["code"] == "invalid_input"


async def test_the_openapi_schema_names_every_verbosity(client: TestClient) -> None:
    doc = await (await client.get("/openapi.json")).json()
    prop = doc["components"]["schemas"]["SessionCreate"]["properties"]["verbosity"]
    assert prop["enum"] == ["brief", "normal", "detailed", "decision_points"]
    assert prop["default"] == "normal"
