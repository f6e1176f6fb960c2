"""Write the ILLUSTRATIVE GTFS-Realtime service alerts for the illustrative Kaiserslautern feed.

A ``FeedMessage`` shaped like the alerts German agencies publish (full dataset, an agency and a
stop per informed entity, cause, effect, German header and description with an English
translation on some, active periods, a URL), about the real OSM poles of
``kaiserslautern_illustrative.zip`` in its first week of December 2026. The alerts are made up:

- ``post-ersatzhaltestelle``: the Post pole towards Rathaus moved 50 m (``STOP_MOVED``),
  German and English;
- ``rathaus-aufzug``: an elevator at Rathaus out of order (``ACCESSIBILITY_ISSUE``: it also
  closes the platform there), German only;
- ``stiftsplatz-veranstaltung``: not every trip stops at Stiftsplatz (``REDUCED_SERVICE``),
  German and English;
- ``hbf-a-verlegt``: the Hauptbahnhof pole A moved in November, over before December: never
  said.

    python scripts/kaiserslautern_gtfs_rt.py [OUT.pb]

(default OUT: tests/data/gtfs/kaiserslautern_alerts.pb). The output is byte-for-byte the same on
every run (deterministic serialisation, fixed times).
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from google.transit import gtfs_realtime_pb2 as rt

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "gtfs" / "kaiserslautern_alerts.pb"
AGENCY = "illustrative"
BERLIN = ZoneInfo("Europe/Berlin")


def _ts(*args: int) -> int:
    return int(datetime(*args, tzinfo=BERLIN).timestamp())


#: id, cause, effect, stop, (start, end) or None per end, {lang: (header, description)}
ALERTS = [
    ("post-ersatzhaltestelle", rt.Alert.CONSTRUCTION, rt.Alert.STOP_MOVED, "osm571524037",
     (_ts(2026, 11, 30, 4, 0), _ts(2026, 12, 11, 23, 0)),
     {"de": ("Ersatzhaltestelle 50 m weiter in Fahrtrichtung",
             "Wegen Bauarbeiten halten die Busse Richtung Rathaus an einer Ersatzhaltestelle "
             "50 m weiter in Fahrtrichtung."),
      "en": ("Temporary stop 50 m further on in the direction of travel",
             "Because of construction work, buses towards Rathaus stop at a temporary stop "
             "50 m further on in the direction of travel.")}),
    ("rathaus-aufzug", rt.Alert.TECHNICAL_PROBLEM, rt.Alert.ACCESSIBILITY_ISSUE, "osm571499626",
     (None, _ts(2026, 12, 5, 18, 0)),
     {"de": ("Aufzug an der Haltestelle Rathaus außer Betrieb",
             "Der Aufzug zwischen Rathausplatz und Haltestelle ist defekt.")}),
    ("stiftsplatz-veranstaltung", rt.Alert.OTHER_CAUSE, rt.Alert.REDUCED_SERVICE, "osm625967285",
     (_ts(2026, 12, 1, 6, 0), _ts(2026, 12, 1, 20, 0)),
     {"de": ("Wegen einer Veranstaltung hält nicht jede Fahrt hier",
             "Wegen des Weihnachtsmarkts halten nur die Fahrten zur vollen Stunde."),
      "en": ("Because of an event, not every trip stops here",
             "Because of the Christmas market, only the trips on the hour stop here.")}),
    ("hbf-a-verlegt", rt.Alert.MAINTENANCE, rt.Alert.STOP_MOVED, "osm571524030",
     (_ts(2026, 11, 2, 4, 0), _ts(2026, 11, 20, 23, 0)),
     {"de": ("Steig A vorübergehend verlegt", "Steig A ist an Steig B verlegt.")}),
]


def feed() -> rt.FeedMessage:
    msg = rt.FeedMessage()
    msg.header.gtfs_realtime_version = "2.0"
    msg.header.incrementality = rt.FeedHeader.FULL_DATASET
    msg.header.timestamp = _ts(2026, 12, 1, 8, 0)
    for alert_id, cause, effect, stop, (start, end), texts in ALERTS:
        alert = msg.entity.add(id=alert_id).alert
        alert.cause, alert.effect = cause, effect
        alert.informed_entity.add(agency_id=AGENCY, stop_id=stop)
        period = alert.active_period.add()
        if start is not None:
            period.start = start
        period.end = end
        for lang, (header, description) in texts.items():
            alert.header_text.translation.add(text=header, language=lang)
            alert.description_text.translation.add(text=description, language=lang)
        alert.url.translation.add(text=f"https://example.invalid/stoerungen/{alert_id}",
                                  language="de")
    return msg


def write(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(feed().SerializeToString(deterministic=True))


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
