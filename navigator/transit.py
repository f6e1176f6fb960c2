"""Public transport for walkers: ``GET /v1/stops/{id}/departures`` and the ``departures``
message of the live socket (asked for, and once on arrival at a stop). Thin: the rules are in
:mod:`navigator.departures` and :mod:`voice.transit`, the data in :mod:`navigator.timetable`."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from navigator import api
from navigator.alertclosures import AlertClosure, alert_closures
from navigator.boarding import Boarding, BoardingError, choose_boarding, stops_named
from navigator.departures import Departure, minutes_until
from navigator.keys import MAP, SETTINGS, STORAGE
from navigator.mapedits import mark_applied
from navigator.schemas import Lang, PointIn
from navigator.speech import with_audio
from navigator.timetable import Timetable, TimetableSnapshot
from navigator.transitfeed import StopRow
from routing.graph import edge_records
from voice.transit import (
    SPOKEN,
    NearbyStop,
    SpokenAlert,
    SpokenDeparture,
    SpokenStopAlert,
    phrase_boarding,
    phrase_departures,
    phrase_nearby_stops,
    phrase_no_timetable,
    phrase_stop_alert,
)

log = logging.getLogger(__name__)
routes = api.RouteTable("pedestrian")
TIMETABLE = web.AppKey("timetable", Timetable)

#: A walker this close to a stop (or a route ending this close to one) is "at" it.
AT_STOP_M = 30.0
DEFAULT_HORIZON_MIN = 60
#: A trip's boarding stop's alerts are said when the walker is this far from it along the route.
ALERT_AHEAD_M = 60.0
#: "Where am I" / "around me" name this many stops within this distance, with their lines.
NEARBY_STOPS = 2
NEARBY_STOP_M = 150.0
REALTIME_TIMEOUT_S = 10.0
REALTIME_MAX_BYTES = 16 * 1024 * 1024


async def transit_ctx(app: web.Application) -> AsyncIterator[None]:
    """The timetable over storage (empty until a feed is imported), and the GTFS-Realtime
    poller when ``BLINDPILOT_GTFS_RT`` names a source (without one, closures an earlier feed's
    alerts left are removed)."""
    app[TIMETABLE] = Timetable(app[STORAGE])
    settings = app[SETTINGS]
    task = None
    if settings.gtfs_rt:
        task = asyncio.create_task(_follow_realtime(app, settings.gtfs_rt, settings.gtfs_rt_s,
                                                    settings.clock))
    elif removed := await _sync_alert_closures(app, [], settings.clock()):
        # a feed configured before left them; without one no poll would ever remove them
        log.info("alert closures removed: no GTFS-Realtime feed is configured",
                 extra={"event": "gtfs_rt_closures_removed", "changes": removed})
    yield
    if task is not None:
        task.cancel()


async def _follow_realtime(app: web.Application, source: str, interval_s: float,
                           clock: Callable[[], float]) -> None:
    while True:
        try:
            await poll_realtime(app, source, clock())
        except Exception:  # noqa: BLE001 - a bad or absent feed: keep the last one, try again
            log.exception("GTFS-Realtime poll failed", extra={"event": "gtfs_rt_failed",
                                                              "source": source})
        await asyncio.sleep(interval_s)


async def _read_source(source: str) -> bytes:
    if source.startswith(("http://", "https://")):
        timeout = aiohttp.ClientTimeout(total=REALTIME_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as http, http.get(source) as r:
            r.raise_for_status()
            data = await r.content.read(REALTIME_MAX_BYTES + 1)
    else:
        data = await asyncio.to_thread(Path(source).read_bytes)
    if len(data) > REALTIME_MAX_BYTES:
        raise ValueError(f"{source}: more than {REALTIME_MAX_BYTES} bytes")
    return data


async def poll_realtime(app: web.Application, source: str, now_ts: float) -> None:
    """Read the real-time feed once: trip updates and line alerts change the departures said;
    closing alerts become stored closures (every process's live map gets them, a restart keeps
    them), removed when a poll no longer has them or their period is over."""
    # protobuf is loaded only where a real-time feed is configured, not at every start
    from navigator.realtime import parse_realtime

    feed = await asyncio.to_thread(parse_realtime, await _read_source(source))
    timetable, mapstate = app[TIMETABLE], app[MAP]

    def wanted() -> list[AlertClosure]:  # a walk over the whole graph: not on the event loop
        snapshot = timetable.current()
        if not any(a.closed_stop_ids for a in feed.alerts):
            return []
        with mapstate.lock:
            graph = mapstate.graph
            positions = {n: (d["lat"], d["lon"]) for n, d in graph.nodes(data=True)}
            return alert_closures(feed.alerts, snapshot.stops, snapshot.children,
                                  list(edge_records(graph)), positions, now_ts)

    closures = await asyncio.to_thread(wanted)
    changed = await _sync_alert_closures(app, closures, now_ts)
    timetable.set_realtime(feed.trips, feed.alerts)
    log.info("GTFS-Realtime read", extra={"event": "gtfs_rt", "trips": len(feed.trips),
                                          "alerts": len(feed.alerts),
                                          "alert_closures": len(closures),
                                          "closures_changed": changed})


async def _sync_alert_closures(app: web.Application, closures: list[AlertClosure],
                               now_ts: float) -> int:
    """Store ``closures`` as the alert closures in effect and bring the live map to them; how
    many closures that created or deleted."""
    storage, mapstate = app[STORAGE], app[MAP]
    synced = await asyncio.to_thread(storage.sync_alert_closures, closures, now_ts)
    if synced is None:
        return 0
    revisions, change = synced
    await asyncio.to_thread(mapstate.apply, change, storage.load_beacons, storage.load_closures)
    mark_applied(app, revisions)
    return len(revisions)


class DeparturesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(default=10, ge=1, le=50)
    minutes: int = Field(default=DEFAULT_HORIZON_MIN, ge=1, le=24 * 60)
    lang: Lang = "de"
    #: Unix seconds to ask for instead of now (a timetable question: "what leaves at 8?").
    at: float | None = Field(default=None, ge=0, le=2**33)


class StopOut(BaseModel):
    id: str
    name: str
    lat: float
    lon: float
    platform: str | None
    code: str | None
    wheelchair_boarding: str
    place_id: int | None
    lines: list[str]


class DepartureAlertOut(BaseModel):
    id: str
    effect: str
    scope: str
    header: str | None


class DepartureOut(BaseModel):
    line: str
    headsign: str
    stop_id: str
    platform: str | None
    scheduled_ts: float
    scheduled_min: int
    realtime_ts: float | None
    realtime_min: int | None
    delay_min: int | None
    cancelled: bool
    wheelchair_accessible: str
    trip_id: str
    route_type: int
    alerts: list[DepartureAlertOut]


class StopAlertOut(BaseModel):
    id: str
    effect: str
    header: str | None


class DeparturesOut(BaseModel):
    stop: StopOut
    now_ts: float
    timezone: str
    stop_alerts: list[StopAlertOut]
    departures: list[DepartureOut]
    text: str
    lang: str
    audio_url: str | None


_WHEELCHAIR = {1: "yes", 2: "no"}


def stop_json(snapshot: TimetableSnapshot, stop: StopRow) -> dict[str, Any]:
    lines = sorted({line for s in snapshot.boarding_stops(stop)
                    for line in snapshot.lines.get(s.id, ())})
    return {"id": stop.gtfs_id, "name": stop.name, "lat": stop.lat, "lon": stop.lon,
            "platform": stop.platform_code, "code": stop.code,
            "wheelchair_boarding": _WHEELCHAIR.get(stop.wheelchair, "unknown"),
            "place_id": stop.place_id, "lines": lines}


def spoken(d: Departure, now_ts: float, timezone: str, lang: str) -> SpokenDeparture:
    delay = None if d.realtime_ts is None else round((d.realtime_ts - d.scheduled_ts) / 60)
    clock = datetime.fromtimestamp(d.scheduled_ts, ZoneInfo(timezone))
    alerts = tuple(SpokenAlert(a.alert.alert_id, a.alert.header(lang), a.scope == "trip")
                   for a in d.alerts)
    return SpokenDeparture(d.line, d.headsign, d.platform, minutes_until(d.expected_ts, now_ts),
                           delay, d.cancelled, f"{clock.hour}:{clock.minute:02d}", alerts)


def departures_body(timetable: Timetable, snapshot: TimetableSnapshot, stop: StopRow,
                    now_ts: float, *, lang: str, limit: int = 10,
                    horizon_min: int = DEFAULT_HORIZON_MIN) -> dict[str, Any]:
    """The departures answer (HTTP and socket alike), without audio; blocking (storage) unless
    the snapshot holds the departures index."""
    found = timetable.departures(snapshot, snapshot.boarding_stops(stop), now_ts,
                                 horizon_s=horizon_min * 60, limit=limit)
    alerts = timetable.alerts_at(snapshot, stop, now_ts)
    text = phrase_departures(stop.name,
                             [spoken(d, now_ts, snapshot.timezone, lang) for d in found[:SPOKEN]],
                             horizon_min, lang,
                             [SpokenStopAlert(a.effect, a.header(lang)) for a in alerts])
    return {"stop": stop_json(snapshot, stop), "now_ts": now_ts, "timezone": snapshot.timezone,
            "stop_alerts": [{"id": a.alert_id, "effect": a.effect, "header": a.header(lang)}
                            for a in alerts],
            "departures": [d.to_json(now_ts, lang) for d in found], "text": text, "lang": lang}


@routes.route("GET", "/v1/stops/{id}/departures",
              summary="Next departures at a stop (GTFS stop_id), scheduled and real time",
              query=DeparturesQuery, response=DeparturesOut, errors=(404,))
async def departures(request: web.Request, query: DeparturesQuery) -> web.Response:
    timetable = request.app[TIMETABLE]
    # Each hop to a thread is a wake-up that waits for a core on a busy machine: none when the
    # feed check holds and the departures are in memory (a fraction of a millisecond of CPU).
    snapshot = timetable.fresh()
    if snapshot is None:
        snapshot = await asyncio.to_thread(timetable.current)
    if not snapshot.loaded:
        raise api.ApiError(404, "no_timetable", "no timetable is imported (an operator runs "
                                                "`blindpilot import-gtfs FEED.zip`)")
    stop = snapshot.stops.get(request.match_info["id"])
    if stop is None:
        raise api.ApiError(404, "unknown_stop", "no stop with this GTFS stop_id in the timetable")
    now_ts = query.at if query.at is not None else request.app[SETTINGS].clock()
    answer = functools.partial(departures_body, timetable, snapshot, stop, now_ts,
                               lang=query.lang, limit=query.limit, horizon_min=query.minutes)
    body = answer() if snapshot.index is not None else await asyncio.to_thread(answer)
    return api.json_response(with_audio(request.app, body))


# --------------------------------------------------------------------------- live socket


def stop_at(snapshot: TimetableSnapshot, lat: float, lon: float) -> StopRow | None:
    """The boarding stop within :data:`AT_STOP_M` of a point, nearest first."""
    near = snapshot.stops_near(lat, lon, AT_STOP_M)
    return near[0][1] if near else None


def departures_message(app: web.Application, stop_id: str | None, where: tuple[float, float]
                       | None, lang: str, now_ts: float) -> dict[str, Any]:
    """The socket's ``departures`` message for ``stop_id``, or for the stop at ``where``; says
    "no timetable" when there is no feed or no stop there. Blocking (a storage read)."""
    timetable = app[TIMETABLE]
    snapshot = timetable.current()
    stop = (snapshot.stops.get(stop_id) if stop_id is not None
            else stop_at(snapshot, *where) if where is not None else None)
    if stop is None:
        return with_audio(app, {"type": "departures", "stop": None, "departures": [],
                                 "text": phrase_no_timetable(lang), "lang": lang})
    return with_audio(app, {"type": "departures",
                             **departures_body(timetable, snapshot, stop, now_ts, lang=lang,
                                               limit=5)})


def nearby_stops_sentence(app: web.Application, lat: float, lon: float, lang: str) -> str:
    """The :data:`NEARBY_STOPS` nearest stops within :data:`NEARBY_STOP_M` with their lines, for
    "where am I" and "around me"; empty without a timetable. Blocking (a storage read)."""
    snapshot = app[TIMETABLE].current()
    near = [NearbyStop(s.name, s.platform_code, d, snapshot.lines.get(s.id, ()))
            for d, s in snapshot.stops_near(lat, lon, NEARBY_STOP_M)]
    return phrase_nearby_stops([s for s in near if s.lines][:NEARBY_STOPS], lang)


def unmatched_stops(app: web.Application, first: int = 100) -> dict[str, Any]:
    """For the mappers' validation report: the timetable's poles and platforms that match no
    stop of the map (none matched at import, or the map changed since). Blocking."""
    snapshot, places = app[TIMETABLE].current(), app[MAP].places
    lost = [s for s in snapshot.stops.values()
            if s.location_type == 0 and (s.place_id is None or s.place_id not in places)]
    return {"count": len(lost), "first": [{"id": s.gtfs_id, "name": s.name, "lat": s.lat,
                                           "lon": s.lon} for s in lost[:first]]}


# --------------------------------------------------------------------------- trips


def resolve_destination(app: web.Application, point: PointIn) -> tuple[PointIn, Boarding | None]:
    """A ``{"stop", "line", "towards"}`` destination as the map place (or position) of the pole
    where that line leaves in that direction; other points as they are. Blocking (storage);
    422 ``no_timetable``, ``unknown_stop`` or ``no_such_line``."""
    if point.stop is None or point.line is None or point.towards is None:
        return point, None
    timetable = app[TIMETABLE]
    snapshot = timetable.current()
    if not snapshot.loaded:
        raise api.ApiError(422, "no_timetable", "a stop with a line needs a timetable; none is "
                                                "imported")
    candidates = stops_named(snapshot.stops, snapshot.children, point.stop)
    served = timetable.storage.lines_towards([c.id for c in candidates]) if candidates else []
    try:
        boarding = choose_boarding(candidates, served, point.stop, point.line, point.towards)
    except BoardingError as err:
        raise api.ApiError(422, err.code, f"to: {err}") from None
    stop = boarding.stop
    if stop.place_id is not None and stop.place_id in app[MAP].places:
        return PointIn(place=stop.place_id), boarding
    return PointIn(lat=stop.lat, lon=stop.lon), boarding


def boarding_sentence(boarding: Boarding, lang: str) -> str:
    """Said with the arrival at the boarding point."""
    stop = boarding.stop
    return phrase_boarding(stop.name, stop.platform_code, boarding.line, boarding.headsign, lang)


def approach_message(app: web.Application, boarding: Boarding, ahead_m: float, said: set[str],
                     lang: str, now_ts: float) -> dict[str, Any] | None:
    """Within :data:`ALERT_AHEAD_M` of a trip's boarding stop: its alerts in effect not yet in
    ``said`` (the walker's, updated) as one ``instruction``, or None. Blocking (a storage read
    at most once a second)."""
    if ahead_m > ALERT_AHEAD_M:
        return None
    timetable = app[TIMETABLE]
    stop = boarding.stop
    alerts = [a for a in timetable.alerts_at(timetable.current(), stop, now_ts)
              if a.alert_id not in said]
    if not alerts:
        return None
    said.update(a.alert_id for a in alerts)
    text = " ".join(phrase_stop_alert(stop.name, SpokenStopAlert(a.effect, a.header(lang)), lang)
                    for a in alerts)
    return with_audio(app, {"type": "instruction", "id": None, "kind": "stop_alert",
                             "text": text, "lang": lang, "distance_m": round(ahead_m, 1)})


def arrival_messages(app: web.Application, boarding: Boarding | None,
                     end: tuple[float, float] | None, arrived: dict[str, Any], lang: str,
                     now_ts: float) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The ``arrived`` message (with the boarding point said, for a trip) and the departures to
    say after it, or None when the walk did not end at a stop. Blocking (storage)."""
    if boarding is not None:
        text = f"{arrived['text']} {boarding_sentence(boarding, lang)}"
        arrived = with_audio(app, {**arrived, "text": text})
        board = departures_message(app, boarding.stop.gtfs_id, None, lang, now_ts)
    elif end is not None:
        board = departures_message(app, None, end, lang, now_ts)
    else:
        return arrived, None
    return arrived, board if board["stop"] is not None else None
