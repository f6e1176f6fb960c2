"""POST /v1/routes with alternatives: up to three routes, each trade-off in words."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from tests.navigator.test_app import HAUPTBAHNHOF, STIFTSKIRCHE_AREA

SENTENCE = re.compile(
    r"^(about as long|(\d+) m (longer|shorter)), (as many turns|(\d+) (fewer|more) turns?), "
    r"(no crossings|only signalled crossings|\d+ crossings? without traffic light)$")


async def test_alternatives_come_with_their_tradeoffs_in_words(client: TestClient) -> None:
    r = await client.post("/v1/routes", json={"from": HAUPTBAHNHOF, "to": STIFTSKIRCHE_AREA,
                                              "lang": "en", "alternatives": 2})
    assert r.status == 200, await r.text()
    best = await r.json()
    assert best["tradeoff"].startswith("the simplest route, ")
    others = best["alternatives"]
    assert 1 <= len(others) <= 2
    ids = {best["route_id"], *(o["route_id"] for o in others)}
    assert len(ids) == len(others) + 1
    for other in others:
        m = SENTENCE.match(other["tradeoff"])
        assert m, other["tradeoff"]
        diff = other["length_m"] - best["length_m"]
        if m.group(2):
            assert int(m.group(2)) == round(abs(diff), -1) and (diff > 0) == (
                m.group(3) == "longer")
        turns = other["simplicity"]["turns"] - best["simplicity"]["turns"]
        assert turns == (0 if m.group(5) is None else int(m.group(5)) * (
            1 if m.group(6) == "more" else -1))
        assert other["geometry"] != best["geometry"] and other["maneuvers"]
    # the first alternative is the route by edge costs alone: shorter, with more turns here
    assert others[0]["length_m"] < best["length_m"]
    assert others[0]["simplicity"]["turns"] > best["simplicity"]["turns"]


async def test_german_tradeoffs_and_none_unless_asked(client: TestClient) -> None:
    plain = await (await client.post("/v1/routes", json={"from": HAUPTBAHNHOF,
                                                         "to": STIFTSKIRCHE_AREA})).json()
    assert plain["alternatives"] == [] and plain["tradeoff"] is None
    r = await client.post("/v1/routes", json={"from": HAUPTBAHNHOF, "to": STIFTSKIRCHE_AREA,
                                              "lang": "de", "alternatives": 1})
    body = await r.json()
    assert body["tradeoff"].startswith("die einfachste Route, ") and len(body["alternatives"]) == 1
    assert re.match(r"^(etwa gleich lang|\d+ m (länger|kürzer)), ", body["alternatives"][0][
        "tradeoff"])
    too_many = await client.post("/v1/routes", json={"from": HAUPTBAHNHOF,
                                                     "to": STIFTSKIRCHE_AREA, "alternatives": 3})
    assert too_many.status == 422


async def test_openapi_describes_alternatives(client: TestClient) -> None:
    doc = await (await client.get("/openapi.json")).json()
    schemas = doc["components"]["schemas"]
    asked = schemas["RouteRequest"]["properties"]["alternatives"]
    assert (asked["minimum"], asked["maximum"], asked["default"]) == (0, 2, 0)
    listed = schemas["RouteOut"]["properties"]["alternatives"]["items"]
    assert listed == {"$ref": "#/components/schemas/AlternativeOut"}
    assert "tradeoff" in schemas["AlternativeOut"]["properties"]
    assert "alternatives" not in schemas["AlternativeOut"]["properties"]
