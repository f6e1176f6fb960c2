"""Departures over HTTP and the live socket, with the illustrative Kaiserslautern timetable over
the real OSM poles; and everything as before without a timetable."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient

from navigator.keys import MAP
from navigator.livesessions import SESSIONS
from navigator.settings import Settings
from navigator.simulation import SimulatedWalker, WalkOptions
from navigator.storage import Storage
from navigator.transit import TIMETABLE
from navigator.transitfeed import StopRow
from navigator.transitimport import import_gtfs_file
from routing.geo import haversine_m

from .test_live import scan_json, send_and_collect, walk_a_few_steps

FEED = Path(__file__).resolve().parents[1] / "data" / "gtfs" / "kaiserslautern_illustrative.zip"
CAIRNS = FEED.with_name("cairns_gtfs.zip")
BERLIN = ZoneInfo("Europe/Berlin")
HBF_A = "osm571524030"  # Hauptbahnhof, pole A: line 105 towards Rathaus starts here
POST = "osm571524037"  # Post, the pole line 105 towards Rathaus serves (2 min after Hbf A)


def at(*args: int) -> float:
    return datetime(*args, tzinfo=BERLIN).timestamp()


#: The server's clock in these tests: a Tuesday morning, so every "in N minutes" is exact.
NOW = at(2026, 12, 1, 8, 3)


@pytest.fixture
async def transit_client(make_client, settings: Settings) -> TestClient:  # noqa: ANN001
    storage = Storage(settings.database_url)
    import_gtfs_file(storage, FEED, now_ts=1.0, actor="test")
    storage.close()
    return await make_client(settings.with_(clock=lambda: NOW))


async def test_departures_say_line_headsign_platform_and_minutes(
    transit_client: TestClient,
) -> None:
    now = at(2026, 12, 1, 8, 3)  # a Tuesday
    r = await transit_client.get(f"/v1/stops/{HBF_A}/departures",
                                 params={"at": str(now), "lang": "en", "limit": "3"})
    assert r.status == 200, await r.text()
    body = await r.json()
    assert body["stop"] == {"id": HBF_A, "name": "Hauptbahnhof", "lat": 49.43666, "lon": 7.76797,
                            "platform": "A", "code": None, "wheelchair_boarding": "unknown",
                            "place_id": body["stop"]["place_id"], "lines": ["105"]}
    assert body["stop"]["place_id"] is not None
    first = body["departures"][0]
    assert {k: first[k] for k in ("line", "headsign", "platform", "scheduled_min",
                                  "realtime_min", "delay_min", "cancelled",
                                  "wheelchair_accessible")} == {
        "line": "105", "headsign": "Rathaus", "platform": "A", "scheduled_min": 17,
        "realtime_min": None, "delay_min": None, "cancelled": False,
        "wheelchair_accessible": "yes"}
    assert first["scheduled_ts"] == at(2026, 12, 1, 8, 20)
    assert body["text"] == ("Departures from Hauptbahnhof. Line 105 to Rathaus, platform A, in "
                            "17 minutes. Line 105 to Rathaus, platform A, in 37 minutes. Line 105 "
                            "to Rathaus, platform A, in 57 minutes.")
    assert body["timezone"] == "Europe/Berlin" and body["lang"] == "en"


async def test_the_night_trip_after_midnight_is_listed_in_german(
    transit_client: TestClient,
) -> None:
    r = await transit_client.get(f"/v1/stops/{HBF_A}/departures",
                                 params={"at": str(at(2026, 12, 2, 0, 30)), "minutes": "30"})
    body = await r.json()
    assert [d["scheduled_ts"] for d in body["departures"]] == [at(2026, 12, 2, 0, 40)]
    assert body["text"] == ("Abfahrten ab Hauptbahnhof. Linie 105 nach Rathaus, Steig A, in 10 "
                            "Minuten.")


#: What the Post pole towards Rathaus says at :data:`NOW` (its buses leave at 02, 22 and 42).
POST_AT_NOW = ("Departures from Post. Line 105 to Rathaus in 19 minutes. Line 105 to Rathaus in "
               "39 minutes. Line 105 to Rathaus in 59 minutes.")


@pytest.mark.parametrize(("clock", "text"), [
    (NOW, POST_AT_NOW),
    (at(2026, 12, 1, 8, 21) + 30, "Departures from Post. Line 105 to Rathaus now. Line 105 to "
                                  "Rathaus in 20 minutes. Line 105 to Rathaus in 40 minutes."),
    (at(2026, 12, 1, 8, 21), "Departures from Post. Line 105 to Rathaus in 1 minute. Line 105 "
                             "to Rathaus in 21 minutes. Line 105 to Rathaus in 41 minutes."),
])
async def test_without_a_time_asked_departures_count_from_the_servers_clock(
    make_client, settings: Settings, clock: float, text: str,  # noqa: ANN001
) -> None:
    storage = Storage(settings.database_url)
    import_gtfs_file(storage, FEED, now_ts=1.0, actor="test")
    storage.close()
    client = await make_client(settings.with_(clock=lambda: clock))
    body = await (await client.get(f"/v1/stops/{POST}/departures",
                                   params={"lang": "en", "limit": "3"})).json()
    assert body["now_ts"] == clock and body["text"] == text


async def test_unknown_stop_and_bad_queries_are_refused(transit_client: TestClient) -> None:
    r = await transit_client.get("/v1/stops/nowhere/departures")
    assert r.status == 404 and (await r.json())["error"]["code"] == "unknown_stop"
    r = await transit_client.get(f"/v1/stops/{HBF_A}/departures", params={"limit": "0"})
    assert r.status == 422


async def test_without_a_timetable_departures_are_404_and_stops_stay_places(
    client: TestClient,
) -> None:
    r = await client.get(f"/v1/stops/{HBF_A}/departures")
    assert r.status == 404
    assert (await r.json())["error"]["code"] == "no_timetable"
    r = await client.get("/v1/places", params={"q": "Hauptbahnhof"})
    assert r.status == 200 and len(await r.json()) >= 5


async def open_session_to(client: TestClient, start: tuple[float, float],
                          end: tuple[float, float]):  # noqa: ANN201
    r = await client.post("/v1/sessions", json={
        "from": {"lat": start[0], "lon": start[1]}, "to": {"lat": end[0], "lon": end[1]},
        "lang": "en"})
    assert r.status == 201, await r.text()
    ws = await client.ws_connect((await r.json())["ws_url"])
    assert (await ws.receive_json())["type"] == "session"
    return ws


async def test_asked_on_the_socket_without_a_stop_nor_a_timetable_it_says_so(
    client: TestClient,
) -> None:
    ws = await open_session_to(client, (49.43666, 7.76797), (49.43709, 7.76629))
    await ws.send_json({"type": "departures"})
    msg = await ws.receive_json(timeout=10)
    assert msg == {"type": "departures", "stop": None, "departures": [],
                   "text": "There is no timetable for this stop.", "lang": "en",
                   "audio_url": None}
    await ws.close()


async def test_the_socket_answers_departures_for_a_named_stop(transit_client: TestClient) -> None:
    ws = await open_session_to(transit_client, (49.43666, 7.76797), (49.43709, 7.76629))
    await ws.send_json({"type": "departures", "stop": POST})
    msg = await ws.receive_json(timeout=10)
    assert msg["type"] == "departures" and msg["stop"]["name"] == "Post"
    assert msg["now_ts"] == NOW and msg["text"] == POST_AT_NOW
    await ws.send_json({"type": "departures", "stop": ""})
    assert (await ws.receive_json(timeout=10))["type"] == "error"
    await ws.close()


async def walk_to(client: TestClient, start: tuple[float, float], to: dict
                  ) -> tuple[SimulatedWalker, list[dict]]:
    """Walk a session to ``to`` with simulated beacons; every message the server sent."""
    r = await client.post("/v1/sessions", json={"from": {"lat": start[0], "lon": start[1]},
                                                "to": to, "lang": "en"})
    assert r.status == 201, await r.text()
    ws = await client.ws_connect((await r.json())["ws_url"])
    assert (await ws.receive_json())["type"] == "session"
    live = next(iter(client.app[SESSIONS].sessions.values()))
    walker = SimulatedWalker(client.app[MAP], live.nav.route, WalkOptions(seed=1))
    said, t = [], 0.0
    while t <= walker.limit_s and not walker.done:
        out = await send_and_collect(ws, scan_json(walker.scan(t)))
        walker.observe(t, out)
        said.append(out)
        t += 1.0
    await ws.close()
    return walker, said


@pytest.mark.slow
async def test_arriving_at_a_stop_says_its_departures_once_before_the_fix(
    transit_client: TestClient,
) -> None:
    walker, said = await walk_to(transit_client, START, {"lat": 49.43709, "lon": 7.76629})
    assert walker.result.arrived
    boards = [(i, len(out), m) for out in said for i, m in enumerate(out)
              if m["type"] == "departures"]
    assert len(boards) == 1
    index, count, board = boards[0]
    assert index == count - 2  # just before the fix status, which stays the scan's last answer
    assert board["stop"]["id"] == POST and board["text"] == POST_AT_NOW


START = (49.43666, 7.76797)
#: A trip: to the Post pole where line 105 leaves towards Rathaus.
TRIP_TO_POST = {"stop": "Post", "line": "105", "towards": "Rathaus"}
POST_TOWARDS_HBF = "osm269385737"  # the other Post pole, across the street


def distance_m(a: tuple[float, float], b: StopRow) -> float:
    return haversine_m(a[0], a[1], b.lat, b.lon)


@pytest.mark.parametrize(("towards", "pole", "across"), [
    ("Rathaus", POST, POST_TOWARDS_HBF), ("Hauptbahnhof", POST_TOWARDS_HBF, POST)])
async def test_a_trip_destination_ends_at_the_pole_for_that_direction(
    transit_client: TestClient, towards: str, pole: str, across: str,
) -> None:
    r = await transit_client.post("/v1/routes", json={
        "from": {"lat": START[0], "lon": START[1]},
        "to": {"stop": "Post", "line": "105", "towards": towards}, "lang": "en"})
    assert r.status == 200, await r.text()
    body = await r.json()
    end = tuple(reversed(body["geometry"]["coordinates"][-1]))
    stops = transit_client.app[TIMETABLE].current().stops
    assert distance_m(end, stops[pole]) < 15 < distance_m(end, stops[across])
    arrive = body["maneuvers"][-1]
    assert arrive["kind"] == "arrive"
    assert arrive["text"].endswith(
        f" This is the stop Post for line 105 towards {towards}. Wait at the stop pole. Listen "
        f"for a vehicle stopping and its doors opening, and ask the driver whether it is line 105 "
        f"to {towards}.")


async def test_a_trip_to_a_line_that_does_not_leave_there_is_refused_with_what_does(
    transit_client: TestClient,
) -> None:
    r = await transit_client.post("/v1/routes", json={
        "from": {"lat": START[0], "lon": START[1]},
        "to": {"stop": "Post", "line": "101", "towards": "Stiftsplatz"}})
    assert r.status == 422
    assert (await r.json())["error"] == {
        "code": "no_such_line",
        "message": "to: line 101 towards Stiftsplatz does not leave from Post; there: 105 towards "
                   "Hauptbahnhof, 105 towards Rathaus"}
    r = await transit_client.post("/v1/routes", json={
        "from": {"lat": START[0], "lon": START[1]}, "to": {"stop": "Post", "line": "105"}})
    assert r.status == 422 and (await r.json())["error"]["code"] == "invalid_input"


async def test_a_trip_destination_without_a_timetable_is_refused(client: TestClient) -> None:
    r = await client.post("/v1/sessions", json={
        "from": {"lat": START[0], "lon": START[1]},
        "to": {"stop": "Post", "line": "105", "towards": "Rathaus"}})
    assert r.status == 422 and (await r.json())["error"]["code"] == "no_timetable"


@pytest.mark.slow
async def test_walking_a_trip_arrives_at_the_boarding_point_and_says_so(
    transit_client: TestClient,
) -> None:
    walker, said = await walk_to(transit_client, START, TRIP_TO_POST)
    assert walker.result.arrived
    arrived = [m for out in said for m in out if m["type"] == "arrived"]
    assert len(arrived) == 1
    assert arrived[0]["text"].endswith(
        " This is the stop Post for line 105 towards Rathaus. Wait at the stop pole. Listen for a "
        "vehicle stopping and its doors opening, and ask the driver whether it is line 105 to "
        "Rathaus.")
    boards = [m for out in said for m in out if m["type"] == "departures"]
    assert len(boards) == 1 and boards[0]["stop"]["id"] == POST
    assert boards[0]["text"] == POST_AT_NOW


@pytest.mark.parametrize("kind", ["where_am_i", "around_me"])
async def test_where_am_i_and_around_me_name_the_nearest_stops_with_their_lines(
    transit_client: TestClient, client_without_timetable: TestClient, kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # one session id for both, so both positioners draw the same particles (their seed is the
    # id's start): with random ids the two fixes after four scans differed now and then, and a
    # place at the edge of "around me" was named by one and not the other
    same = uuid.UUID(int=0x5EED)
    monkeypatch.setattr(uuid, "uuid4", lambda: same)
    texts = []
    for c in (transit_client, client_without_timetable):
        _, ws, _ = await walk_a_few_steps(c, seed=2, steps=4)
        await ws.send_json({"type": kind})
        msg = await ws.receive_json(timeout=10)
        assert msg["type"] == "instruction" and msg["kind"] == kind
        texts.append(msg["text"])
        await ws.close()
    with_timetable, without = texts
    assert with_timetable.startswith(without + " Stop Hauptbahnhof (platform ")
    assert "away: line 10" in with_timetable and "Stop " not in without


@pytest.fixture
async def client_without_timetable(make_client, city_db_template: Path, tmp_path: Path
                                   ) -> TestClient:  # noqa: ANN001
    """A second app on its own copy of the city, with no timetable."""
    from .conftest import copy_city, make_settings

    folder = tmp_path / "plain"
    folder.mkdir()
    return await make_client(make_settings(copy_city(city_db_template, folder), folder,
                                           default_city=None))


async def test_the_validation_report_lists_the_stops_that_match_no_map_stop(
    make_client, settings: Settings,  # noqa: ANN001
) -> None:
    from .conftest import auth, create_keys

    storage = Storage(settings.database_url)
    import_gtfs_file(storage, CAIRNS, now_ts=1.0, actor="test")  # Queensland on Kaiserslautern
    storage.close()
    client = await make_client(settings)
    key = create_keys(settings.database_url)["mapper"]
    report = await (await client.get("/v1/map/validation", headers=auth(key))).json()
    unmatched = report["transit_stops_unmatched"]
    assert unmatched["count"] == 416 and len(unmatched["first"]) == 100
    assert unmatched["first"][0] == {"id": "750000", "name": "Cedar Rd (Palm Cove) - Hail and "
                                     "Ride Location", "lat": -16.74359, "lon": 145.668217}


def test_the_server_never_loads_pandas_gtfs_kit_or_protobuf() -> None:
    """gtfs-kit (pandas) is for `blindpilot import-gtfs` only; protobuf only where a real-time
    feed is configured: neither slows the start of a server without them."""
    import subprocess
    import sys

    code = ("import sys, navigator.app, navigator.cli; "
            "print(sorted(m for m in ('pandas', 'gtfs_kit', 'google.protobuf') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"
