"""A crossing's push button reaches the walker (#16, #18): on real data (Berlin-Neukölln, where
the lights of Karl-Marx-Straße are tagged ``button_operated=yes`` and those of Karl-Marx-Platz
``=no``) the live guidance says to press the button at the one crossing and not at the other, at
every verbosity; a button a mapper tags is in the route preview (``POST /v1/routes``, the list the
companion app reads) in German and English."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from navigator.keys import MAP
from navigator.mapstate import MapState
from navigator.routeplan import plan_between
from navigator.settings import Settings
from navigator.simulation import WalkOptions, run_simulation
from routing.graph import edge_by_id
from routing.tags import is_crossing
from tests.conftest import NEUKOELLN
from tests.navigator.conftest import auth, create_keys, dense_map
from voice.phrases import PhraseOptions

#: 92 m: a landmark, the lights over Karl-Marx-Platz (no button), then a turn into
#: Karl-Marx-Straße and its lights (button) at one corner, a slight right 5 m on, arrival.
START, END = (52.4743, 13.4406), (52.47366, 13.44050)
BUTTON = {"en": "Press the button for green.", "de": "Drücken Sie den Taster für Grün."}
HBF, POSTBANK = {"lat": 49.43666, "lon": 7.76797}, {"lat": 49.4372, "lon": 7.76773}


@pytest.fixture(scope="module")
def neukoelln() -> MapState:
    return dense_map(NEUKOELLN)


@pytest.mark.parametrize(("verbosity", "lang"), [
    ("brief", "en"), ("normal", "en"), ("detailed", "en"), ("decision_points", "en"),
    ("normal", "de")])
def test_the_walker_is_told_to_press_the_button_where_there_is_one(
        neukoelln: MapState, verbosity: str, lang: str) -> None:
    result = run_simulation(neukoelln, START, END, "blind_cane", lang, WalkOptions(seed=1),
                            opts=PhraseOptions(verbosity=verbosity))  # type: ignore[arg-type]
    assert result.arrived
    street = {"en": "cross Karl-Marx-Straße at the traffic light with sound and vibration "
                    "signal.", "de": "überqueren Sie die Karl-Marx-Straße an der Ampel mit "
                                     "Signalton und Vibrationssignal."}[lang]
    square = {"en": "Karl-Marx-Platz at the traffic light", "de": "den Karl-Marx-Platz an"}[lang]
    said = [i["text"] for i in result.instructions if i["phase"] != "reassurance"]
    at_street = [t for t in said if street in t]
    assert at_street and all(f"{street} {BUTTON[lang]}" in t for t in at_street), said
    at_square = [t for t in said if square in t]
    assert at_square and not any(BUTTON[lang] in t for t in at_square), said


async def test_a_push_button_tagged_by_a_mapper_is_in_the_route_preview(
        client: TestClient, settings: Settings) -> None:
    async def crossing_texts(lang: str) -> list[str]:
        r = await client.post("/v1/routes", json={"from": HBF, "to": POSTBANK, "lang": lang})
        assert r.status == 200
        return [m["text"] for m in (await r.json())["maneuvers"] if m["kind"] == "cross"]

    before = {lang: await crossing_texts(lang) for lang in ("en", "de")}
    assert before["en"] == ["Cross Logenstraße at a silent traffic light."]
    route = plan_between(client.app[MAP], (HBF["lat"], HBF["lon"]),
                         (POSTBANK["lat"], POSTBANK["lon"]), "blind_cane")
    crossing = [e for e in route.edges if is_crossing(edge_by_id(client.app[MAP].graph, e))]
    assert crossing, "the preview's route crosses Logenstraße"
    h = auth(create_keys(settings.database_url)["mapper"])
    for edge_id in crossing:
        url = f"/v1/map/edges/{edge_id}"
        revision = (await (await client.get(url, headers=h)).json())["revision"]
        r = await client.patch(url, json={"button_operated": True},
                               headers={**h, "If-Match": str(revision)})
        assert r.status == 200
    assert await crossing_texts("en") == [
        "Cross Logenstraße at a silent traffic light. Press the button for "
        "green."]
    assert await crossing_texts("de") == [
        "Überqueren Sie die Logenstraße an der Ampel ohne Signalton. Drücken Sie den Taster für "
        "Grün."]
