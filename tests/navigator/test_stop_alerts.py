"""Real-time alerts about a stop that do not (only) close it — moved, an elevator out of order,
reduced service — said with the stop's departures and as a trip's walker nears the boarding
stop; from the illustrative GTFS-Realtime feed of ``tests/data/gtfs`` at the fixed clock."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from navigator.departures import stop_alerts_at
from navigator.keys import MAP
from navigator.realtime import InformedEntity, ServiceAlert, parse_realtime
from navigator.timetable import TimetableSnapshot
from navigator.transit import ALERT_AHEAD_M, poll_realtime
from navigator.transitfeed import StopRow

from .test_transit_api import (  # noqa: F401 - the fixture
    FEED,
    HBF_A,
    NOW,
    POST,
    POST_AT_NOW,
    START,
    TRIP_TO_POST,
    at,
    transit_client,
    walk_to,
)

ALERTS = FEED.with_name("kaiserslautern_alerts.pb")
RATHAUS = "osm571499626"
STIFTSPLATZ = "osm625967285"


async def said(client: TestClient, stop: str, lang: str, when: float = NOW) -> dict:
    r = await client.get(f"/v1/stops/{stop}/departures",
                         params={"at": str(when), "lang": lang, "limit": "2"})
    assert r.status == 200, await r.text()
    return await r.json()


@pytest.fixture
async def alerted(transit_client: TestClient) -> TestClient:  # noqa: F811 - the fixture
    await poll_realtime(transit_client.app, str(ALERTS), NOW)
    return transit_client


def test_the_feeds_stop_alerts_are_kept_whatever_their_effect() -> None:
    feed = parse_realtime(ALERTS.read_bytes())
    assert [(a.alert_id, a.effect, a.stop_ids, a.closed_stop_ids) for a in feed.alerts] == [
        ("post-ersatzhaltestelle", "stop_moved", (POST,), ()),
        ("rathaus-aufzug", "accessibility_issue", (RATHAUS,), (RATHAUS,)),
        ("stiftsplatz-veranstaltung", "reduced_service", (STIFTSPLATZ,), ()),
        ("hbf-a-verlegt", "stop_moved", (HBF_A,), ())]


async def test_a_stop_alert_is_said_after_the_stop_before_its_departures(
    alerted: TestClient,
) -> None:
    body = await said(alerted, POST, "en")
    assert body["text"] == (
        "Departures from Post. Stop Post: Temporary stop 50 m further on in the direction of "
        "travel. Line 105 to Rathaus in 19 minutes. Line 105 to Rathaus in 39 minutes.")
    assert body["stop_alerts"] == [{
        "id": "post-ersatzhaltestelle", "effect": "stop_moved",
        "header": "Temporary stop 50 m further on in the direction of travel"}]
    assert (await said(alerted, POST, "de"))["text"] == (
        "Abfahrten ab Post. Haltestelle Post: Ersatzhaltestelle 50 m weiter in Fahrtrichtung. "
        "Linie 105 nach Rathaus in 19 Minuten. Linie 105 nach Rathaus in 39 Minuten.")
    body = await said(alerted, STIFTSPLATZ, "en")
    assert body["text"] == (
        "Departures from Stiftsplatz. Stop Stiftsplatz: Because of an event, not every trip "
        "stops here. Line 101 to Hauptbahnhof in 17 minutes. Line 101 to Hauptbahnhof in 37 "
        "minutes.")
    assert (await said(alerted, STIFTSPLATZ, "de"))["text"] == (
        "Abfahrten ab Stiftsplatz. Haltestelle Stiftsplatz: Wegen einer Veranstaltung hält "
        "nicht jede Fahrt hier. Linie 101 nach Hauptbahnhof in 17 Minuten. Linie 101 nach "
        "Hauptbahnhof in 37 Minuten.")


async def test_an_elevator_alert_in_german_only_is_said_generically_in_english_and_still_closes(
    alerted: TestClient,
) -> None:
    assert (await said(alerted, RATHAUS, "en"))["text"] == (
        "Departures from Rathaus. Stop Rathaus: an elevator or ramp is out of order. Line 105 to "
        "Hauptbahnhof, platform A, in 17 minutes. Line 105 to Hauptbahnhof, platform A, in 37 "
        "minutes.")
    assert (await said(alerted, RATHAUS, "de"))["text"] == (
        "Abfahrten ab Rathaus. Haltestelle Rathaus: Aufzug an der Haltestelle Rathaus außer "
        "Betrieb. Linie 105 nach Hauptbahnhof, Steig A, in 17 Minuten. Linie 105 nach "
        "Hauptbahnhof, Steig A, in 37 Minuten.")
    assert alerted.app[MAP].closed_edges(NOW)  # its platform is closed as before


async def test_an_alert_out_of_its_period_is_not_said(alerted: TestClient) -> None:
    body = await said(alerted, HBF_A, "en")  # moved in November: over
    assert body["stop_alerts"] == [] and "Stop " not in body["text"]
    evening = at(2026, 12, 1, 20, 3)  # the event at Stiftsplatz ended at 20:00
    body = await said(alerted, STIFTSPLATZ, "en", evening)
    assert body["stop_alerts"] == [] and body["text"].startswith(
        "Departures from Stiftsplatz. Line 101 to Hauptbahnhof in ")


async def test_the_socket_says_a_stops_alert_with_its_departures(alerted: TestClient) -> None:
    from .test_transit_api import open_session_to

    ws = await open_session_to(alerted, START, (49.43709, 7.76629))
    await ws.send_json({"type": "departures", "stop": POST})
    msg = await ws.receive_json(timeout=10)
    assert msg["text"] == POST_AT_NOW.replace(
        "Departures from Post.", "Departures from Post. Stop Post: Temporary stop 50 m further "
                                 "on in the direction of travel.")
    await ws.close()


async def test_the_boarding_stops_alert_is_said_once_within_reach_in_german(
    alerted: TestClient,
) -> None:
    from navigator.boarding import Boarding
    from navigator.transit import TIMETABLE, approach_message

    app = alerted.app
    boarding = Boarding(app[TIMETABLE].current().stops[POST], "105", "Rathaus")
    said_ids: set[str] = set()
    assert approach_message(app, boarding, ALERT_AHEAD_M + 1, said_ids, "de", NOW) is None
    msg = approach_message(app, boarding, 42.04, said_ids, "de", NOW)
    assert msg == {"type": "instruction", "id": None, "kind": "stop_alert", "lang": "de",
                   "text": "Haltestelle Post: Ersatzhaltestelle 50 m weiter in Fahrtrichtung.",
                   "distance_m": 42.0, "audio_url": None}
    assert approach_message(app, boarding, 20.0, said_ids, "de", NOW) is None  # said once


@pytest.mark.slow
async def test_nearing_the_boarding_stop_of_a_trip_says_its_alert_once(
    alerted: TestClient,
) -> None:
    walker, out = await walk_to(alerted, START, TRIP_TO_POST)
    messages = [m for scan in out for m in scan]
    assert walker.result.arrived
    notices = [i for i, m in enumerate(messages) if m.get("kind") == "stop_alert"]
    assert len(notices) == 1
    notice = messages[notices[0]]
    assert notice["text"] == ("Stop Post: Temporary stop 50 m further on in the direction of "
                              "travel.")
    assert ALERT_AHEAD_M - 5 <= notice["distance_m"] <= ALERT_AHEAD_M
    arrived = next(i for i, m in enumerate(messages) if m["type"] == "arrived")
    assert notices[0] < arrived
    board = next(m for m in messages if m["type"] == "departures")
    assert board["text"].startswith("Departures from Post. Stop Post: Temporary stop 50 m "
                                    "further on in the direction of travel. Line 105 ")


def test_a_stations_alert_concerns_its_platforms_and_a_platforms_its_station() -> None:
    station = StopRow(1, "S", "Hauptbahnhof", 49.0, 7.0, 1, None, None, 0, None)
    one, two = (StopRow(i, f"S:{i}", "Hauptbahnhof", 49.0, 7.0, 0, 1, str(i), 0, None)
                for i in (2, 3))
    snapshot = TimetableSnapshot(1.0, "Europe/Berlin", {s.gtfs_id: s for s in (station, one, two)},
                                 {1: (one, two)}, by_id={s.id: s for s in (station, one, two)})
    assert snapshot.alert_stop_ids(station) == {"S", "S:2", "S:3"}
    assert snapshot.alert_stop_ids(one) == {"S:2", "S"}
    about_station = ServiceAlert("a", "stop_moved", (InformedEntity(stop_id="S"),), ())
    about_two = ServiceAlert("b", "reduced_service", (InformedEntity(stop_id="S:3"),),
                             ((100.0, 200.0),))
    about_line = ServiceAlert("c", "detour", (InformedEntity("105", None, "S:2"),), ())
    alerts = [about_station, about_two, about_line]
    assert stop_alerts_at(alerts, snapshot.alert_stop_ids(one), 150.0) == [about_station]
    assert stop_alerts_at(alerts, snapshot.alert_stop_ids(station), 150.0) == [
        about_station, about_two]
    assert stop_alerts_at(alerts, snapshot.alert_stop_ids(station), 250.0) == [about_station]


def test_the_alerts_fixture_is_what_its_script_writes(tmp_path) -> None:  # noqa: ANN001
    import runpy

    script = runpy.run_path(str(FEED.parents[3] / "scripts" / "kaiserslautern_gtfs_rt.py"))
    script["write"](tmp_path / "alerts.pb")
    assert (tmp_path / "alerts.pb").read_bytes() == ALERTS.read_bytes()
