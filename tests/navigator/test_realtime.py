"""GTFS-Realtime from a file (never the network): a cancelled or late trip changes what is
said, a stop closure alert closes the platform edges the router would use."""

from __future__ import annotations

import asyncio
import gc
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from google.transit import gtfs_realtime_pb2 as rt

from navigator.alertclosures import AlertClosure, alert_closures
from navigator.keys import MAP, STORAGE
from navigator.mapstate import load_map_state
from navigator.realtime import (
    InformedEntity,
    RealtimeError,
    ServiceAlert,
    parse_realtime,
)
from navigator.routeplan import plan_between
from navigator.settings import Settings
from navigator.storage import MapEditor, Storage
from navigator.transit import TIMETABLE, poll_realtime
from navigator.transitfeed import StopRow
from routing.model import EdgeRecord

from .test_transit_api import FEED, HBF_A, POST, transit_client  # noqa: F401 - the fixture

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 1, 8, 3, tzinfo=BERLIN).timestamp()  # a Tuesday
START = (49.43666, 7.76797)
PLATFORM = (49.437045, 7.76639)  # on the OSM platform (way 165293430) of the Post pole


def feed_bytes(*, cancelled: tuple[str, ...] = (), delays: dict[str, int] | None = None,
               stop_delays: dict[str, tuple[str, int]] | None = None,
               closed_stops: tuple[str, ...] = (), effect: int = rt.Alert.NO_SERVICE,
               period: tuple[int, int] | None = None) -> bytes:
    msg = rt.FeedMessage()
    msg.header.gtfs_realtime_version = "2.0"
    msg.header.timestamp = int(NOW)
    for trip in cancelled:
        e = msg.entity.add(id=f"c-{trip}")
        e.trip_update.trip.trip_id = trip
        e.trip_update.trip.schedule_relationship = rt.TripDescriptor.CANCELED
    for trip, delay in (delays or {}).items():
        e = msg.entity.add(id=f"d-{trip}")
        e.trip_update.trip.trip_id = trip
        e.trip_update.delay = delay
    for trip, (stop, delay) in (stop_delays or {}).items():
        e = msg.entity.add(id=f"s-{trip}")
        e.trip_update.trip.trip_id = trip
        stu = e.trip_update.stop_time_update.add(stop_id=stop)
        stu.departure.delay = delay
    if closed_stops:
        e = msg.entity.add(id="alert")
        e.alert.effect = effect
        for stop in closed_stops:
            e.alert.informed_entity.add(stop_id=stop)
        e.alert.header_text.translation.add(text="Haltestelle gesperrt", language="de")
        if period:
            e.alert.active_period.add(start=period[0], end=period[1])
    return msg.SerializeToString()


def test_trip_updates_and_closing_alerts_are_read() -> None:
    feed = parse_realtime(feed_bytes(cancelled=("T1",), delays={"T2": 120},
                                     stop_delays={"T3": ("S9", -60)}, closed_stops=("S1",),
                                     period=(100, 200)))
    assert feed.trips["T1"].cancelled and feed.trips["T1"].delay_s is None
    assert feed.trips["T2"].delay_s == 120 and not feed.trips["T2"].cancelled
    assert feed.trips["T3"].delay_at("S9", 4) == -60 and feed.trips["T3"].delay_s == -60
    assert feed.alerts == (ServiceAlert("alert", "no_service", (InformedEntity(stop_id="S1"),),
                                        ((100.0, 200.0),), (("de", "Haltestelle gesperrt"),)),)
    assert feed.alerts[0].active(150) and not feed.alerts[0].active(200)
    assert feed.alerts[0].closed_stop_ids == ("S1",)
    assert feed.feed_ts == int(NOW)
    # a stop's alert that closes nothing (a delay notice) is kept to be said, closing nothing
    notice = parse_realtime(feed_bytes(closed_stops=("S1",),
                                       effect=rt.Alert.SIGNIFICANT_DELAYS)).alerts
    assert [(a.stop_ids, a.closed_stop_ids) for a in notice] == [(("S1",), ())]
    # one about nothing Blind Pilot can say (the agency as a whole) is not kept
    msg = rt.FeedMessage()
    msg.header.gtfs_realtime_version = "2.0"
    msg.entity.add(id="agency").alert.informed_entity.add(agency_id="vrn")
    assert parse_realtime(msg.SerializeToString()).alerts == ()


def test_bytes_that_are_no_feed_are_refused() -> None:
    with pytest.raises(RealtimeError):
        parse_realtime(b"\xff\xfe not protobuf")
    with pytest.raises(RealtimeError):
        parse_realtime(b"")


def test_an_alert_closes_platform_and_elevator_edges_near_the_stop_only() -> None:
    stop = StopRow(1, "S1", "Post", 49.0, 7.0, 0, None, None, 0, None)
    near, far = (49.0001, 7.0), (49.001, 7.0)  # 11 m and 111 m
    positions = {1: near, 2: near, 3: far, 4: far}
    edges = [EdgeRecord(10, 1, 2, 5.0, highway="platform"),
             EdgeRecord(11, 1, 2, 5.0, highway="footway"),
             EdgeRecord(12, 3, 4, 5.0, highway="platform"),
             EdgeRecord(13, 1, 3, 100.0, highway="elevator")]
    alerts = [ServiceAlert("lift", "accessibility_issue", (InformedEntity(stop_id="S1"),),
                           ((100.0, 200.0),), (("de", "Aufzug defekt"),))]
    closures = alert_closures(alerts, {"S1": stop}, {}, edges, positions, 150.0)
    reason = "GTFS-Realtime accessibility_issue: Aufzug defekt"
    assert closures == [AlertClosure(10, 100.0, 200.0, reason, "gtfs-rt:lift"),
                        AlertClosure(13, 100.0, 200.0, reason, "gtfs-rt:lift")]
    # a period not yet begun is kept (it closes when it begins); one that is over is not
    assert alert_closures(alerts, {"S1": stop}, {}, edges, positions, 50.0) == closures
    assert alert_closures(alerts, {"S1": stop}, {}, edges, positions, 250.0) == []
    # about one line at that stop: the stop stays open for the other lines
    line_only = [ServiceAlert("l", "no_service", (InformedEntity("105", None, "S1"),), ())]
    assert alert_closures(line_only, {"S1": stop}, {}, edges, positions, 150.0) == []


async def test_a_cancelled_and_a_late_trip_change_what_is_said(
    transit_client: TestClient, tmp_path: Path,  # noqa: F811 - the fixture
) -> None:
    path = tmp_path / "rt.pb"
    path.write_bytes(feed_bytes(cancelled=("105-0-weekday-082000",),
                                delays={"105-0-weekday-084000": 120}))
    await poll_realtime(transit_client.app, str(path), NOW)
    r = await transit_client.get(f"/v1/stops/{HBF_A}/departures",
                                 params={"at": str(NOW), "lang": "en", "limit": "3"})
    body = await r.json()
    assert body["text"] == (
        "Departures from Hauptbahnhof. Line 105 to Rathaus at 8:20 is cancelled. Line 105 to "
        "Rathaus, platform A, in 39 minutes, 2 minutes late. Line 105 to Rathaus, platform A, "
        "in 57 minutes.")
    assert [(d["cancelled"], d["delay_min"], d["realtime_min"]) for d in body["departures"]] == [
        (True, None, None), (False, 2, 39), (False, None, None)]
    r = await transit_client.get(f"/v1/stops/{HBF_A}/departures",
                                 params={"at": str(NOW), "limit": "1"})
    assert (await r.json())["text"] == ("Abfahrten ab Hauptbahnhof. Linie 105 nach Rathaus um "
                                        "8:20 Uhr fällt aus.")


async def test_a_late_bus_scheduled_before_now_is_still_said_as_coming(
    transit_client: TestClient, tmp_path: Path,  # noqa: F811 - the fixture
) -> None:
    path = tmp_path / "rt.pb"
    path.write_bytes(feed_bytes(delays={"105-0-weekday-080000": 300}))  # 08:00, 5 min late
    await poll_realtime(transit_client.app, str(path), NOW)
    r = await transit_client.get(f"/v1/stops/{HBF_A}/departures",
                                 params={"at": str(NOW), "lang": "en", "limit": "1"})
    assert (await r.json())["text"] == ("Departures from Hauptbahnhof. Line 105 to Rathaus, "
                                        "platform A, in 2 minutes, 5 minutes late.")


async def test_a_stop_closure_alert_closes_its_platform_for_the_router_until_it_is_gone(
    transit_client: TestClient, tmp_path: Path,  # noqa: F811 - the fixture
) -> None:
    app = transit_client.app
    mapstate = app[MAP]
    before = plan_between(mapstate, START, PLATFORM, "blind_cane", now_ts=NOW)
    path = tmp_path / "rt.pb"
    path.write_bytes(feed_bytes(closed_stops=(POST,), period=(int(NOW) - 60, int(NOW) + 3600)))
    await poll_realtime(app, str(path), NOW)
    closed = mapstate.closed_edges(NOW)
    assert closed and set(before.edges) & closed  # the platform the walk used is closed now
    after = plan_between(mapstate, START, PLATFORM, "blind_cane", now_ts=NOW)
    assert not set(after.edges) & closed
    path.write_bytes(feed_bytes())
    await poll_realtime(app, str(path), NOW)
    assert mapstate.closed_edges(NOW) == frozenset()


async def test_an_alert_closure_is_stored_survives_a_restart_and_goes_with_the_alert(
    transit_client: TestClient, tmp_path: Path,  # noqa: F811 - the fixture
) -> None:
    app = transit_client.app
    storage, start, end = app[STORAGE], int(NOW) - 60, int(NOW) + 3600
    path = tmp_path / "rt.pb"
    path.write_bytes(feed_bytes(closed_stops=(POST,), period=(start, end)))
    await poll_realtime(app, str(path), NOW)
    closed = app[MAP].closed_edges(NOW)
    stored = [c for c in storage.load_closures() if c.edge_id in closed]
    assert closed and {(c.starts_ts, c.ends_ts) for c in stored} == {(start, end)}
    rows = MapEditor(storage).list_rows("closure", 100, 0)
    assert {(r["created_by"], r["reason"]) for r in rows} == {
        ("gtfs-rt:alert", "GTFS-Realtime no_service: Haltestelle gesperrt")}
    assert {r["edge_id"] for r in rows} == closed
    revisions = len(storage.recent_revision_ids(1000))
    await poll_realtime(app, str(path), NOW + 30)  # the same feed again: nothing to write
    assert len(storage.recent_revision_ids(1000)) == revisions
    restarted, _ = load_map_state(storage)  # a restart, or another server process
    gc.unfreeze()
    assert restarted.closed_edges(NOW) == closed
    assert restarted.closed_edges(end) == frozenset()  # the alert's period is its window
    path.write_bytes(feed_bytes())
    await poll_realtime(app, str(path), NOW + 60)
    assert storage.load_closures() == [] and app[MAP].closed_edges(NOW) == frozenset()


async def test_the_server_polls_the_configured_file(
    make_client, settings: Settings, tmp_path: Path,  # noqa: ANN001
) -> None:
    from navigator.storage import Storage
    from navigator.transitimport import import_gtfs_file

    storage = Storage(settings.database_url)
    import_gtfs_file(storage, FEED, now_ts=1.0, actor="test")
    storage.close()
    path = tmp_path / "rt.pb"
    path.write_bytes(feed_bytes(cancelled=("105-0-weekday-082000",)))
    client = await make_client(settings.with_(gtfs_rt=str(path), gtfs_rt_s=0.05))
    for _ in range(100):
        if client.app[TIMETABLE].realtime:
            break
        await asyncio.sleep(0.05)
    assert client.app[TIMETABLE].realtime["105-0-weekday-082000"].cancelled


def test_alert_closures_sync_once_between_processes_and_leave_mappers_closures(
    db_url: str,
) -> None:
    from tests.navigator.test_storage import small_extract

    first, second = Storage(db_url), Storage(db_url)  # two server processes, one database
    first.migrate()
    first.replace_map(small_extract(), actor="t", source="test")
    MapEditor(first).create("closure", {"edge_id": 1, "reason": "building site",
                                        "starts_ts": 0.0}, "mapper")
    wanted = [AlertClosure(2, None, 500.0, "GTFS-Realtime no_service", "gtfs-rt:a")]
    with ThreadPoolExecutor(2) as pool:  # both poll the same feed at once
        synced = list(pool.map(lambda s: s.sync_alert_closures(wanted, 100.0), (first, second)))
    assert sum(s is not None for s in synced) == 1
    assert sorted((c.edge_id, c.starts_ts, c.ends_ts) for c in first.load_closures()) == [
        (1, 0.0, None), (2, 100.0, 500.0)]
    assert second.sync_alert_closures(wanted, 200.0) is None  # unchanged: nothing written
    moved = [AlertClosure(2, 300.0, 500.0, "GTFS-Realtime no_service", "gtfs-rt:a")]
    revisions, change = second.sync_alert_closures(moved, 200.0) or ([], None)
    assert len(revisions) == 2 and change is not None and change.closures_changed
    assert second.sync_alert_closures([], 200.0) is not None
    assert [(c.edge_id, c.ends_ts) for c in first.load_closures()] == [(1, None)]
    first.close()
    second.close()


def line_alert_bytes(*headers: tuple[str, str], trip: str | None = None) -> bytes:
    msg = rt.FeedMessage()
    msg.header.gtfs_realtime_version = "2.0"
    msg.header.timestamp = int(NOW)
    e = msg.entity.add(id="works-105")
    e.alert.effect = rt.Alert.DETOUR
    selector = e.alert.informed_entity.add(route_id="105")
    if trip is not None:
        selector.trip.trip_id = trip
    for lang, text in headers:
        e.alert.header_text.translation.add(text=text, language=lang)
    e.alert.active_period.add(start=int(NOW) - 3600, end=int(NOW) + 2 * 3600)
    return msg.SerializeToString()


async def test_a_line_alert_is_said_with_the_lines_departures_in_the_walkers_language(
    transit_client: TestClient, tmp_path: Path,  # noqa: F811 - the fixture
) -> None:
    path = tmp_path / "rt.pb"
    path.write_bytes(line_alert_bytes(("de", "Umleitung wegen Bauarbeiten am Rathaus"),
                                      ("en", "Diverted because of works at Rathaus")))
    await poll_realtime(transit_client.app, str(path), NOW)

    async def said(stop: str, lang: str, limit: int = 2) -> dict:
        r = await transit_client.get(f"/v1/stops/{stop}/departures",
                                     params={"at": str(NOW), "lang": lang, "limit": str(limit)})
        assert r.status == 200, await r.text()
        return await r.json()

    body = await said(HBF_A, "en")
    assert body["text"] == (
        "Departures from Hauptbahnhof. Line 105 to Rathaus, platform A, in 17 minutes. Line 105: "
        "Diverted because of works at Rathaus. Line 105 to Rathaus, platform A, in 37 minutes.")
    assert body["departures"][0]["alerts"] == [{"id": "works-105", "effect": "detour",
                                                "scope": "line",
                                                "header": "Diverted because of works at Rathaus"}]
    assert (await said(HBF_A, "de", 1))["text"] == (
        "Abfahrten ab Hauptbahnhof. Linie 105 nach Rathaus, Steig A, in 17 Minuten. Linie 105: "
        "Umleitung wegen Bauarbeiten am Rathaus.")
    # line 101 leaves from pole C: not concerned
    assert all(not d["alerts"] for d in (await said("osm1710115680", "en", 5))["departures"])
    # no English header in the feed: the generic sentence
    path.write_bytes(line_alert_bytes(("de", "Umleitung wegen Bauarbeiten am Rathaus")))
    await poll_realtime(transit_client.app, str(path), NOW)
    assert (await said(HBF_A, "en", 1))["text"] == (
        "Departures from Hauptbahnhof. Line 105 to Rathaus, platform A, in 17 minutes. Line 105: "
        "disruption, departures may differ from the timetable.")
    # about one trip: said with that trip only, named by its time
    path.write_bytes(line_alert_bytes(trip="105-0-weekday-084000"))
    await poll_realtime(transit_client.app, str(path), NOW)
    assert (await said(HBF_A, "de"))["text"] == (
        "Abfahrten ab Hauptbahnhof. Linie 105 nach Rathaus, Steig A, in 17 Minuten. Linie 105 "
        "nach Rathaus, Steig A, in 37 Minuten. Linie 105 nach Rathaus um 8:40 Uhr: Störung, "
        "Abweichungen vom Fahrplan möglich.")
    # gone from the feed: nothing more is said
    path.write_bytes(feed_bytes())
    await poll_realtime(transit_client.app, str(path), NOW)
    assert "Linie 105:" not in (await said(HBF_A, "de"))["text"]


async def test_a_server_started_without_a_feed_removes_the_closures_an_earlier_feed_left(
    make_client, settings: Settings, tmp_path: Path,  # noqa: ANN001
) -> None:
    """An operator who stops configuring BLINDPILOT_GTFS_RT must not be left with a platform
    closed for ever: no poll would remove its alert's closure any more."""
    from navigator.transitimport import import_gtfs_file

    storage = Storage(settings.database_url)
    import_gtfs_file(storage, FEED, now_ts=1.0, actor="test")
    storage.close()
    path = tmp_path / "rt.pb"
    path.write_bytes(feed_bytes(closed_stops=(POST,), period=(int(NOW) - 60, int(NOW) + 3600)))
    with_feed = await make_client(settings.with_(gtfs_rt=str(path), gtfs_rt_s=0.05))
    for _ in range(100):
        if with_feed.app[STORAGE].load_closures():
            break
        await asyncio.sleep(0.05)
    assert with_feed.app[STORAGE].load_closures()
    await with_feed.close()
    without = await make_client(settings)
    assert without.app[STORAGE].load_closures() == []
    assert without.app[MAP].closed_edges(NOW) == frozenset()
