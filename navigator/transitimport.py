"""Reading a GTFS feed (``blindpilot import-gtfs FEED.zip``) through gtfs-kit, checking it and
turning it into the rows :meth:`navigator.storage.Storage.replace_feed` stores in one transaction.

gtfs-kit (and pandas under it) costs a second and a half to import, so it is imported here, inside
the function that reads a feed, and nowhere else: the server never pays for it. gtfs-kit reads the
files with the right column types but validates nothing, so the checks that would otherwise end in
half a timetable are here: missing files and columns, duplicate ids, broken references, times that
do not parse. Times past 24:00 are legal GTFS (a trip after midnight still belongs to the
service day it started on) and are kept as seconds past 24 h; stops a trip passes without a time
(not timepoints) get one interpolated between its timed neighbours.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from navigator.transitfeed import (
    FeedExtract,
    GtfsImportError,
    RouteRow,
    ServiceDateRow,
    ServiceRow,
    StopRow,
    StopTimeRow,
    TripRow,
    UnmatchedStop,
)
from routing.model import PlaceRecord
from routing.stopmatch import StopToMatch, match_stops

if TYPE_CHECKING:
    import pandas as pd

    from navigator.storage import Storage

#: The files (and their columns) without which a feed is no timetable.
REQUIRED = {
    "agency": ("agency_timezone",),
    "stops": ("stop_id", "stop_name"),
    "routes": ("route_id",),
    "trips": ("route_id", "service_id", "trip_id"),
    "stop_times": ("trip_id", "stop_id", "stop_sequence", "arrival_time", "departure_time"),
}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: Longer than any real trip: a time past this is a typo (e.g. 250:00:00), not a night bus.
MAX_TIME_S = 48 * 3600


def read_gtfs(
    path: Path, places: list[PlaceRecord], progress: Callable[[int], None] | None = None
) -> FeedExtract:
    """The checked rows of the feed at ``path``, its stops matched to the map's ``places``;
    :class:`GtfsImportError` (one line naming the file) when it cannot be imported."""
    feed = _read_tables(path)
    name = path.name
    tick = progress or (lambda _n: None)
    warnings: list[str] = []
    timezone = _timezone(name, feed["agency"])
    stops, stop_ids = _stops(name, feed["stops"])
    tick(len(stops))
    routes, route_ids = _routes(name, feed["routes"])
    services, service_dates, service_ids = _services(name, feed["calendar"],
                                                     feed["calendar_dates"])
    trips, trip_ids = _trips(name, feed["trips"], route_ids, service_ids)
    tick(len(trips))
    stop_times = _stop_times(name, feed["stop_times"], trip_ids, stop_ids, warnings)
    tick(len(stop_times))
    boarding = {st.stop_id for st in stop_times}
    candidates = [StopToMatch(s.gtfs_id, s.name, s.lat, s.lon, s.code, s.platform_code)
                  for s in stops if s.location_type == 0 and s.id in boarding]
    matched = match_stops(candidates, places)
    stops = [s._replace(place_id=m.place_id if (m := matched.get(s.gtfs_id)) else None)
             for s in stops]
    # no map yet: nothing to match, and nothing to report
    unmatched = tuple(UnmatchedStop(c.key, c.name, c.lat, c.lon) for c in candidates
                      if c.key not in matched) if places else ()
    if unmatched:
        warnings.append(f"{len(unmatched)} of {len(candidates)} stops match no stop or platform "
                        f"of the map (first: {unmatched[0].gtfs_id} {unmatched[0].name!r})")
    rules = Counter(m.by for m in matched.values())
    return FeedExtract(name, timezone, stops, routes, services, service_dates, trips, stop_times,
                       tuple(warnings), unmatched, tuple(sorted(rules.items())))


def _read_tables(path: Path) -> dict[str, pd.DataFrame | None]:
    if not zipfile.is_zipfile(path):
        raise GtfsImportError(f"{path.name}: not a zip file (a GTFS feed is a .zip of .txt files)")
    import gtfs_kit

    try:
        feed = gtfs_kit.read_feed(path, dist_units="m")
    except (ValueError, TypeError, UnicodeDecodeError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise GtfsImportError(f"{path.name}: a file cannot be read as GTFS ({first})") from None
    tables: dict[str, pd.DataFrame | None] = {
        t: getattr(feed, t) for t in (*REQUIRED, "calendar", "calendar_dates")
    }
    for table, columns in REQUIRED.items():
        df = tables[table]
        if df is None:
            raise GtfsImportError(f"{path.name}: {table}.txt is missing or empty")
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise GtfsImportError(f"{path.name}: {table}.txt lacks the column(s) "
                                  f"{', '.join(missing)}")
    if tables["calendar"] is None and tables["calendar_dates"] is None:
        raise GtfsImportError(f"{path.name}: neither calendar.txt nor calendar_dates.txt: "
                              "no day on which any trip runs")
    return tables


def _timezone(name: str, agency: Any) -> str:
    zones = set(agency["agency_timezone"].dropna())
    if len(zones) != 1:
        raise GtfsImportError(f"{name}: agency.txt must name one agency_timezone, "
                              f"found {sorted(zones) or 'none'}")
    zone = zones.pop()
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise GtfsImportError(f"{name}: agency.txt: unknown time zone {zone!r}") from None
    return str(zone)


def _unique_ids(name: str, df: Any, column: str, table: str) -> dict[str, int]:
    """``{gtfs id: our id}`` (1, 2, …); refuses empty or repeated ids."""
    ids = df[column]
    if ids.isna().any():
        row = int(ids.isna().to_numpy().argmax()) + 2
        raise GtfsImportError(f"{name}: {table}.txt line {row} has no {column}")
    dup = ids[ids.duplicated()]
    if len(dup):
        raise GtfsImportError(f"{name}: {table}.txt repeats {column} {dup.iloc[0]!r} "
                              f"({len(dup)} duplicate(s))")
    return {gtfs_id: i for i, gtfs_id in enumerate(ids, start=1)}


def _broken(name: str, df: Any, column: str, known: dict[str, int], table: str,
            target: str) -> None:
    bad = df[column][~df[column].isin(list(known))]
    if len(bad):
        raise GtfsImportError(f"{name}: {table}.txt names {len(bad)} {column}(s) not in "
                              f"{target}.txt (first: {bad.iloc[0]!r})")


def _text(value: Any) -> str | None:
    """A cell as text; None when empty (pandas' NA or NaN)."""
    import pandas as pd

    return None if value is None or pd.isna(value) else str(value)


def _int(value: Any, default: int) -> int:
    text = _text(value)
    return int(text) if text is not None else default


def _stops(name: str, df: Any) -> tuple[list[StopRow], dict[str, int]]:
    ids = _unique_ids(name, df, "stop_id", "stops")
    if "parent_station" in df.columns:
        parents = df[df["parent_station"].notna()]
        _broken(name, parents, "parent_station", ids, "stops", "stops")
    rows = []
    for r in df.to_dict("records"):
        location_type = _int(r.get("location_type"), 0)
        lat, lon = r.get("stop_lat"), r.get("stop_lon")
        if _text(lat) is None or _text(lon) is None:
            if location_type in (0, 1):
                raise GtfsImportError(f"{name}: stops.txt: stop {r['stop_id']!r} has no position")
            lat = lon = 0.0
        if not (-90 <= float(lat) <= 90 and -180 <= float(lon) <= 180):
            raise GtfsImportError(f"{name}: stops.txt: stop {r['stop_id']!r} is off the globe")
        parent = _text(r.get("parent_station"))
        rows.append(StopRow(
            ids[r["stop_id"]], r["stop_id"], _text(r.get("stop_name")) or r["stop_id"],
            float(lat), float(lon), location_type, ids[parent] if parent else None,
            _text(r.get("platform_code")), _int(r.get("wheelchair_boarding"), 0), None,
            _text(r.get("stop_code"))))
    return rows, ids


def _routes(name: str, df: Any) -> tuple[list[RouteRow], dict[str, int]]:
    ids = _unique_ids(name, df, "route_id", "routes")
    rows = [RouteRow(ids[r["route_id"]], r["route_id"], _text(r.get("route_short_name")) or "",
                     _text(r.get("route_long_name")) or "", _int(r.get("route_type"), 3))
            for r in df.to_dict("records")]
    return rows, ids


def _date(name: str, table: str, value: Any) -> int:
    text = _text(value) or ""
    if len(text) != 8 or not text.isdigit():
        raise GtfsImportError(f"{name}: {table}.txt: date {value!r} is not YYYYMMDD")
    return int(text)


def _services(
    name: str, calendar: Any, dates: Any
) -> tuple[list[ServiceRow], list[ServiceDateRow], dict[str, int]]:
    rows: list[ServiceRow] = []
    ids: dict[str, int] = {}
    if calendar is not None:
        ids = _unique_ids(name, calendar, "service_id", "calendar")
        for r in calendar.to_dict("records"):
            weekdays = sum(1 << i for i, day in enumerate(_WEEKDAYS) if _int(r.get(day), 0) == 1)
            rows.append(ServiceRow(ids[r["service_id"]], r["service_id"], weekdays,
                                   _date(name, "calendar", r.get("start_date")),
                                   _date(name, "calendar", r.get("end_date"))))
    exceptions: dict[tuple[int, int], ServiceDateRow] = {}
    if dates is not None:
        for r in dates.to_dict("records"):
            gtfs_id = _text(r.get("service_id"))
            if gtfs_id is None:
                raise GtfsImportError(f"{name}: calendar_dates.txt has a row without service_id")
            if gtfs_id not in ids:  # a service that runs only on listed dates
                ids[gtfs_id] = len(ids) + 1
                rows.append(ServiceRow(ids[gtfs_id], gtfs_id, 0, None, None))
            kind = _int(r.get("exception_type"), 0)
            if kind not in (1, 2):
                raise GtfsImportError(f"{name}: calendar_dates.txt: exception_type {kind} for "
                                      f"{gtfs_id!r} (1 added, 2 removed)")
            date = _date(name, "calendar_dates", r.get("date"))
            exceptions[(ids[gtfs_id], date)] = ServiceDateRow(ids[gtfs_id], date, kind == 1)
    return rows, list(exceptions.values()), ids


def _trips(
    name: str, df: Any, route_ids: dict[str, int], service_ids: dict[str, int]
) -> tuple[list[TripRow], dict[str, int]]:
    ids = _unique_ids(name, df, "trip_id", "trips")
    _broken(name, df, "route_id", route_ids, "trips", "routes")
    _broken(name, df, "service_id", service_ids, "trips", "calendar")
    rows = []
    for r in df.to_dict("records"):
        direction = _text(r.get("direction_id"))
        rows.append(TripRow(ids[r["trip_id"]], r["trip_id"], route_ids[r["route_id"]],
                            service_ids[r["service_id"]], _text(r.get("trip_headsign")) or "",
                            int(direction) if direction is not None else None,
                            _int(r.get("wheelchair_accessible"), 0)))
    return rows, ids


def _seconds(name: str, times: Any, column: str) -> Any:
    """``H:MM:SS`` (hours may pass 24) as integer seconds; NA stays NA."""
    import pandas as pd

    text = times.str.strip()
    parts = text.str.extract(r"^(\d{1,3}):([0-5]\d):([0-5]\d)$")
    bad = text.notna() & parts[0].isna()
    if bad.any():
        raise GtfsImportError(f"{name}: stop_times.txt: {column} {text[bad].iloc[0]!r} is not "
                              f"H:MM:SS ({int(bad.sum())} such row(s))")
    seconds = (parts[0].astype("Int64") * 3600 + parts[1].astype("Int64") * 60
               + parts[2].astype("Int64"))
    over = (seconds > MAX_TIME_S).fillna(False)
    if over.any():
        raise GtfsImportError(f"{name}: stop_times.txt: {column} {text[over].iloc[0]!r}"
                              f" is more than {MAX_TIME_S // 3600} hours into the service day")
    return pd.Series(seconds, index=times.index)


def _stop_times(name: str, df: Any, trip_ids: dict[str, int], stop_ids: dict[str, int],
                warnings: list[str]) -> list[StopTimeRow]:
    _broken(name, df, "trip_id", trip_ids, "stop_times", "trips")
    _broken(name, df, "stop_id", stop_ids, "stop_times", "stops")
    if df["stop_sequence"].isna().any():
        raise GtfsImportError(f"{name}: stop_times.txt has a row without stop_sequence")
    dup = df.duplicated(["trip_id", "stop_sequence"])
    if dup.any():
        first = df[dup].iloc[0]
        raise GtfsImportError(f"{name}: stop_times.txt repeats stop_sequence "
                              f"{first['stop_sequence']} of trip {first['trip_id']!r}")
    table = df.assign(arr=_seconds(name, df["arrival_time"], "arrival_time"),
                      dep=_seconds(name, df["departure_time"], "departure_time"))
    table = table.sort_values(["trip_id", "stop_sequence"], kind="stable")
    arrival, departure = table["arr"], table["dep"]
    table["arr"], table["dep"] = arrival.fillna(departure), departure.fillna(arrival)
    first = ~table["trip_id"].duplicated(keep="first")
    last = ~table["trip_id"].duplicated(keep="last")
    untimed_end = (first | last) & table["dep"].isna()
    if untimed_end.any():
        trip = table[untimed_end].iloc[0]["trip_id"]
        raise GtfsImportError(f"{name}: stop_times.txt: trip {trip!r} has no time at its first "
                              "or last stop (GTFS requires both)")
    untimed = int(table["dep"].isna().sum())
    if untimed:
        # ends are timed, so interpolating the sorted column never crosses from trip to trip
        for column in ("arr", "dep"):
            table[column] = table[column].astype("Float64").interpolate().round()
        warnings.append(f"{untimed} stop_times without a time (not timepoints) get one "
                        "interpolated between their trip's neighbouring times")
    past = int((table["dep"] >= 24 * 3600).sum())
    if past:
        warnings.append(f"{past} stop_times are past 24:00; they run after midnight and are "
                        "kept on the service day their trip started")
    no_pickup = (table["pickup_type"].fillna(0) == 1) if "pickup_type" in table.columns else False
    boards = ~(last | no_pickup)
    return [
        StopTimeRow(trip_ids[t], int(seq), stop_ids[s], int(a), int(d), bool(b))
        for t, seq, s, a, d, b in zip(table["trip_id"], table["stop_sequence"],
                                      table["stop_id"], table["arr"], table["dep"], boards,
                                      strict=True)
    ]


def import_gtfs_file(storage: Storage, path: Path, *, now_ts: float, actor: str | None,
                     progress: Callable[[int], None] | None = None) -> FeedExtract:
    """Read, check and store a feed in place of the previous one, all or nothing."""
    extract = read_gtfs(path, storage.load_places(), progress)
    storage.replace_feed(extract, now_ts=now_ts, actor=actor, progress=progress)
    return extract
