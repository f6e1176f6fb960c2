"""``blindpilot import-gtfs``: real feeds in, bad feeds refused whole, never half a timetable."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from navigator.cli import main
from navigator.storage import Storage
from navigator.storage import transit as transit_storage
from navigator.storage.transittables import TRANSIT_STOP_TIMES, TRANSIT_STOPS, TRANSIT_TRIPS
from navigator.transitfeed import GtfsImportError
from navigator.transitimport import import_gtfs_file, read_gtfs

DATA = Path(__file__).resolve().parents[1] / "data" / "gtfs"
CAIRNS = DATA / "cairns_gtfs.zip"
KAISERSLAUTERN = DATA / "kaiserslautern_illustrative.zip"

GOOD = {
    "agency.txt": "agency_name,agency_url,agency_timezone\nA,https://a.invalid,Europe/Berlin\n",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\nS1,Eins,49.44,7.76\nS2,Zwei,49.45,7.77\n",
    "routes.txt": "route_id,route_short_name,route_type\nR1,105,3\n",
    "trips.txt": "route_id,service_id,trip_id,trip_headsign\nR1,WD,T1,Zwei\nR1,WD,T2,Zwei\n",
    "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                      "T1,08:00:00,08:00:00,S1,1\nT1,08:05:00,08:05:00,S2,2\n"
                      "T2,24:50:00,25:10:00,S1,1\nT2,25:15:00,25:15:00,S2,2\n",
    "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
                    "start_date,end_date\nWD,1,1,1,1,1,0,0,20260101,20261231\n",
}


def feed_zip(folder: Path, **changes: str | None) -> Path:
    """GOOD with files replaced (text) or left out (None)."""
    files = {**GOOD, **{k.replace("_txt", ".txt"): v for k, v in changes.items()}}
    path = folder / "feed.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            if text is not None:
                zf.writestr(name, text)
    return path


@pytest.fixture
def store(db_url: str) -> Storage:
    """A store (SQLite and PostgreSQL) already holding the illustrative Kaiserslautern feed, so
    every import here replaces one."""
    s = Storage(db_url)
    s.migrate()
    import_gtfs_file(s, KAISERSLAUTERN, now_ts=1.0, actor="test")
    yield s
    s.close()


def rows(store: Storage, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_the_real_cairns_feed_imports_whole_with_night_trips_and_precise_warnings(
    store: Storage,
) -> None:
    feed = import_gtfs_file(store, CAIRNS, now_ts=1.0, actor="test")
    assert (len(feed.stops), len(feed.routes), len(feed.trips)) == (416, 22, 1339)
    assert len(feed.stop_times) == 37790 == rows(store, TRANSIT_STOP_TIMES)
    assert feed.warnings == (
        "65 stop_times without a time (not timepoints) get one interpolated between their "
        "trip's neighbouring times",
        "1408 stop_times are past 24:00; they run after midnight and are kept on the service "
        "day their trip started",
    )
    info = store.feed_info()
    assert info is not None and info.timezone == "Australia/Brisbane"
    with store.engine.connect() as conn:
        latest = conn.execute(sa.select(sa.func.max(TRANSIT_STOP_TIMES.c.departure_s))).scalar()
    assert latest > 24 * 3600  # kept as seconds past 24 h, not wrapped to the morning


def test_the_illustrative_kaiserslautern_feed_matches_every_stop_to_its_osm_pole(
    city_db_url: str,
) -> None:
    store = Storage(city_db_url)
    feed = import_gtfs_file(store, KAISERSLAUTERN, now_ts=1.0, actor="test")
    places = {p.id: p for p in store.load_places()}
    assert feed.unmatched == ()
    for stop in feed.stops:
        place = places[stop.place_id]
        assert place.name == stop.name and f"osm{place.osm_id}" == stop.gtfs_id
    store.close()


def test_the_kaiserslautern_poles_with_a_letter_are_matched_by_it_the_rest_by_name(
    city_db_url: str,
) -> None:
    store = Storage(city_db_url)
    places = {p.osm_id: p for p in store.load_places() if p.kind == "stop"}
    assert (places[571524030].ref, places[1710115676].ref) == ("A", "E")  # stored with the map
    feed = read_gtfs(KAISERSLAUTERN, list(places.values()))
    lettered = [s.gtfs_id for s in feed.stops if s.platform_code]
    assert lettered == ["osm571499626", "osm571524030", "osm571524033", "osm1710115676",
                        "osm1710115680"]
    assert feed.matched_by == (("name", 16), ("platform", 5))
    store.close()


def test_a_stop_code_is_stored_and_matches_the_pole_with_that_ref(
    city_db_url: str, tmp_path: Path
) -> None:
    store = Storage(city_db_url)
    # pole E of Hauptbahnhof (49.43659, 7.76729) as another survey puts it, 15 m north, under
    # another name: only the code says which pole it is
    stops = ("stop_id,stop_code,stop_name,stop_lat,stop_lon\n"
             "S1,E,Kaiserslautern Hbf,49.43672,7.76729\nS2,,Zwei,49.45,7.77\n")
    feed = import_gtfs_file(store, feed_zip(tmp_path, stops_txt=stops), now_ts=1.0, actor="t")
    assert feed.matched_by == (("ref", 1),)
    (s1,) = [s for s in store.load_transit_stops() if s.gtfs_id == "S1"]
    assert (s1.code, s1.place_id) == ("E", 2 * 1710115676)
    store.close()


def test_cairns_on_the_kaiserslautern_map_reports_every_stop_unmatched(city_db_url: str) -> None:
    store = Storage(city_db_url)
    feed = read_gtfs(CAIRNS, store.load_places())
    assert len(feed.unmatched) == 416
    assert feed.warnings[-1] == ("416 of 416 stops match no stop or platform of the map "
                                 "(first: 750000 'Cedar Rd (Palm Cove) - Hail and Ride Location')")
    store.close()


def test_times_past_midnight_are_seconds_of_the_service_day(tmp_path: Path) -> None:
    feed = read_gtfs(feed_zip(tmp_path), [])
    t2 = [st for st in feed.stop_times if st.trip_id == 2]
    assert [(st.arrival_s, st.departure_s, st.boards) for st in t2] == [
        (24 * 3600 + 50 * 60, 25 * 3600 + 10 * 60, True), (25 * 3600 + 15 * 60,) * 2 + (False,)]


def test_a_stop_without_a_time_gets_one_between_its_neighbours(tmp_path: Path) -> None:
    stop_times = ("trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                  "T1,08:00:00,08:00:00,S1,1\nT1,,,S2,2\nT1,,,S1,3\nT1,08:09:00,08:09:00,S2,4\n"
                  "T2,09:00:00,09:00:00,S2,1\nT2,09:04:00,09:04:00,S1,2\n")
    feed = read_gtfs(feed_zip(tmp_path, stop_times_txt=stop_times), [])
    assert [(st.trip_id, st.seq, st.departure_s) for st in feed.stop_times] == [
        (1, 1, 8 * 3600), (1, 2, 8 * 3600 + 180), (1, 3, 8 * 3600 + 360), (1, 4, 8 * 3600 + 540),
        (2, 1, 9 * 3600), (2, 2, 9 * 3600 + 240)]
    assert feed.warnings[0].startswith("2 stop_times without a time")


@pytest.mark.parametrize(("changes", "message"), [
    ({"stops_txt": None}, "feed.zip: stops.txt is missing or empty"),
    ({"calendar_txt": None},
     "feed.zip: neither calendar.txt nor calendar_dates.txt: no day on which any trip runs"),
    ({"stop_times_txt": "trip_id,stop_id,stop_sequence\nT1,S1,1\n"},
     "feed.zip: stop_times.txt lacks the column(s) arrival_time, departure_time"),
    ({"stops_txt": GOOD["stops.txt"] + "S1,Doppelt,49.0,7.0\n"},
     "feed.zip: stops.txt repeats stop_id 'S1' (1 duplicate(s))"),
    ({"trips_txt": GOOD["trips.txt"] + "R9,WD,T3,Nirgendwo\n"},
     "feed.zip: trips.txt names 1 route_id(s) not in routes.txt (first: 'R9')"),
    ({"stop_times_txt": GOOD["stop_times.txt"] + "T1,08:09:00,08:09:00,S7,3\n"},
     "feed.zip: stop_times.txt names 1 stop_id(s) not in stops.txt (first: 'S7')"),
    ({"stop_times_txt": GOOD["stop_times.txt"] + "T1,8:61:00,8:61:00,S1,3\n"},
     "feed.zip: stop_times.txt: arrival_time '8:61:00' is not H:MM:SS (1 such row(s))"),
    ({"stop_times_txt": GOOD["stop_times.txt"] + "T1,250:00:00,250:00:00,S1,3\n"},
     "feed.zip: stop_times.txt: arrival_time '250:00:00' is more than 48 hours into the "
     "service day"),
    ({"stop_times_txt": GOOD["stop_times.txt"] + "T1,08:09:00,08:09:00,S1,2\n"},
     "feed.zip: stop_times.txt repeats stop_sequence 2 of trip 'T1'"),
    ({"stop_times_txt": GOOD["stop_times.txt"] + "T1,,,S1,3\n"},
     "feed.zip: stop_times.txt: trip 'T1' has no time at its first or last stop (GTFS requires "
     "both)"),
    ({"agency_txt": "agency_name,agency_url,agency_timezone\nA,https://a.invalid,Mars/Olympus\n"},
     "feed.zip: agency.txt: unknown time zone 'Mars/Olympus'"),
])
def test_a_bad_feed_is_refused_in_one_line_and_the_previous_timetable_stays(
    store: Storage, tmp_path: Path, changes: dict[str, str | None], message: str,
) -> None:
    before = (rows(store, TRANSIT_STOPS), rows(store, TRANSIT_TRIPS),
              rows(store, TRANSIT_STOP_TIMES))
    bad = tmp_path / "bad"
    bad.mkdir()
    with pytest.raises(GtfsImportError) as err:
        import_gtfs_file(store, feed_zip(bad, **changes), now_ts=2.0, actor="test")
    assert str(err.value) == message
    assert (rows(store, TRANSIT_STOPS), rows(store, TRANSIT_TRIPS),
            rows(store, TRANSIT_STOP_TIMES)) == before


def test_a_failure_while_storing_leaves_the_previous_timetable_whole(
    store: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = transit_storage._insert_rows

    def fail_on_stop_times(conn, table, rows_, tick):  # noqa: ANN001 - the patched signature
        if table is TRANSIT_STOP_TIMES:
            raise RuntimeError("disk full")
        real(conn, table, rows_, tick)

    monkeypatch.setattr(transit_storage, "_insert_rows", fail_on_stop_times)
    with pytest.raises(RuntimeError):
        import_gtfs_file(store, feed_zip(tmp_path), now_ts=2.0, actor="test")
    assert rows(store, TRANSIT_STOP_TIMES) == 3840
    assert store.feed_info().source == "kaiserslautern_illustrative.zip"


def test_the_cli_imports_with_warnings_and_refuses_a_bad_feed_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    db = f"sqlite:///{tmp_path / 't.db'}"
    assert main(["import-gtfs", "--db", db, str(feed_zip(tmp_path))]) == 0
    out, err = capsys.readouterr()
    assert out == "imported 2 stops, 1 routes, 2 trips, 4 stop times from feed.zip (0 stops " \
                  "not matched to the map)\n"
    assert "warning: 2 stop_times are past 24:00" in err
    not_zip = tmp_path / "feed.txt"
    not_zip.write_text("hello")
    assert main(["import-gtfs", "--db", db, str(not_zip)]) == 2
    assert capsys.readouterr().err == ("blindpilot: error: feed.txt: not a zip file (a GTFS feed "
                                       "is a .zip of .txt files)\n")


def test_a_running_server_takes_a_new_feed_within_the_check_interval(store: Storage) -> None:
    from navigator import timetable as timetable_module

    clock = [100.0]
    timetable = timetable_module.Timetable(store, clock=lambda: clock[0])
    assert "osm571524030" in timetable.current().stops  # the Kaiserslautern feed
    import_gtfs_file(store, CAIRNS, now_ts=2.0, actor="test")  # another process imports
    clock[0] += timetable_module.FEED_CHECK_S / 2
    assert "osm571524030" in timetable.current().stops  # not asked again yet
    clock[0] += timetable_module.FEED_CHECK_S
    assert "750000" in timetable.current().stops
