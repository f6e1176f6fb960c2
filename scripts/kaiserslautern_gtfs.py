"""Write the ILLUSTRATIVE GTFS feed for the shipped Kaiserslautern map.

The stops are real: the OSM bus stops of navigator/data/kaiserslautern_cc_2013.osm.gz, each at
its OSM position, with its OSM ``ref`` (the pole letter at Hauptbahnhof and Rathaus) as
``platform_code``. The lines, trips and times are made up: a timetable to test and demonstrate
with, not the real one (that is the VRN's), and the feed says so in agency.txt and feed_info.txt.

    python scripts/kaiserslautern_gtfs.py [OUT.zip]

(default OUT: tests/data/gtfs/kaiserslautern_illustrative.zip).

The output is byte-for-byte the same on every run (sorted rows, fixed zip timestamps).
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from pathlib import Path

import osmium

ROOT = Path(__file__).resolve().parents[1]
OSM = ROOT / "navigator" / "data" / "kaiserslautern_cc_2013.osm.gz"
OUT = ROOT / "tests" / "data" / "gtfs" / "kaiserslautern_illustrative.zip"

#: Two made-up lines over real poles (OSM node ids), each one way; the way back uses the pole
#: across the street where the map has a pair.
LINES = {
    "105": [
        ("Rathaus", [571524030, 571524037, 271151772, 271151770, 271151768, 271151767,
                     271151786, 571499626]),
        ("Hauptbahnhof", [571499626, 271151786, 572653239, 271151768, 271151770, 271151772,
                          269385737, 571524033]),
    ],
    "101": [
        ("Stiftsplatz", [1710115680, 271151771, 571524026, 571524049, 571512080, 571512078,
                         266140278, 625967285]),
        ("Hauptbahnhof", [625967285, 266140278, 571512078, 571512080, 571524051, 571524026,
                          271151771, 1710115676]),
    ],
}
MINUTES_BETWEEN_STOPS = 2
#: Every 20 minutes from 05:00; the last trips leave after midnight (times past 24:00, as GTFS
#: writes a night trip of the day before).
FIRST_S, LAST_S, HEADWAY_S = 5 * 3600, 24 * 3600 + 40 * 60, 20 * 60
SERVICES = {"weekday": (1, 1, 1, 1, 1, 0, 0), "weekend": (0, 0, 0, 0, 0, 1, 1)}


def osm_stops() -> dict[int, tuple[str, float, float, str, str]]:
    """``{node id: (name, lat, lon, ref, wheelchair)}`` of the extract's named bus stops."""
    found: dict[int, tuple[str, float, float, str, str]] = {}

    class Stops(osmium.SimpleHandler):
        def node(self, n: osmium.osm.Node) -> None:
            if n.tags.get("highway") == "bus_stop" and n.tags.get("name"):
                found[n.id] = (n.tags["name"], n.location.lat, n.location.lon,
                               n.tags.get("ref", ""), n.tags.get("wheelchair", ""))

    Stops().apply_file(str(OSM))
    return found


def hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def tables() -> dict[str, list[list[str]]]:
    stops = osm_stops()
    used = sorted({node for runs in LINES.values() for _, nodes in runs for node in nodes})
    wheelchair = {"yes": "1", "limited": "1", "no": "2"}
    out: dict[str, list[list[str]]] = {
        "agency.txt": [["agency_id", "agency_name", "agency_url", "agency_timezone",
                        "agency_lang"],
                       ["illustrative", "ILLUSTRATIVE timetable (not a real one) for Blind Pilot",
                        "https://example.invalid/", "Europe/Berlin", "de"]],
        "feed_info.txt": [["feed_publisher_name", "feed_publisher_url", "feed_lang",
                           "feed_version"],
                          ["Blind Pilot test data: ILLUSTRATIVE lines and times over the real "
                           "OSM stops (ODbL, (c) OpenStreetMap contributors)",
                           "https://example.invalid/", "de", "illustrative-1"]],
        "stops.txt": [["stop_id", "stop_name", "stop_lat", "stop_lon", "platform_code",
                       "wheelchair_boarding"]] + [
            [f"osm{n}", stops[n][0], f"{stops[n][1]:.7f}", f"{stops[n][2]:.7f}", stops[n][3],
             wheelchair.get(stops[n][4], "0")] for n in used],
        "routes.txt": [["route_id", "agency_id", "route_short_name", "route_long_name",
                        "route_type"]] + [
            [line, "illustrative", line, f"{runs[0][0]} - {runs[1][0]}", "3"]
            for line, runs in sorted(LINES.items())],
        "calendar.txt": [["service_id", "monday", "tuesday", "wednesday", "thursday", "friday",
                          "saturday", "sunday", "start_date", "end_date"]] + [
            [sid, *map(str, days), "20260101", "20271231"] for sid, days in SERVICES.items()],
        "trips.txt": [["route_id", "service_id", "trip_id", "trip_headsign", "direction_id",
                       "wheelchair_accessible"]],
        "stop_times.txt": [["trip_id", "arrival_time", "departure_time", "stop_id",
                            "stop_sequence"]],
    }
    for line, runs in sorted(LINES.items()):
        for direction, (headsign, nodes) in enumerate(runs):
            for sid in SERVICES:
                for start in range(FIRST_S, LAST_S + 1, HEADWAY_S):
                    trip = f"{line}-{direction}-{sid}-{hms(start).replace(':', '')}"
                    out["trips.txt"].append([line, sid, trip, headsign, str(direction), "1"])
                    for seq, node in enumerate(nodes, start=1):
                        t = hms(start + (seq - 1) * MINUTES_BETWEEN_STOPS * 60)
                        out["stop_times.txt"].append([trip, t, t, f"osm{node}", str(seq)])
    return out


def write_zip(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, rows in sorted(tables().items()):
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows(rows)
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 28, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())


if __name__ == "__main__":
    write_zip(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
