"""Live navigation over WebSocket: session registry, message schemas, the socket handler.

The guidance rules live in :mod:`navigator.session` (pure); this module only moves messages:
scan JSON -> :class:`Scan` -> positioning -> session -> event JSON (+ audio URLs).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from aiohttp import WSMsgType, web
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from beacons.model import Fix, Reading, Scan
from beacons.positioning import InvalidScan, Positioner
from navigator import api
from navigator import app as app_mod
from navigator.guidance import blocked_ahead, build_guidance
from navigator.mapstate import MapState
from navigator.routeplan import resolve_point
from navigator.schemas import BeaconIdentity, Lang, PointIn, ProfileName
from navigator.session import Event, NavigationSession
from routing.geo import bearing_deg, haversine_m, turn_angle_deg
from routing.model import Route
from routing.paths import RoutingError
from voice import phrases
from voice.phrases import PhraseOptions

log = logging.getLogger(__name__)
routes = api.RouteTable("pedestrian")

WHERE_LANDMARK_M = 40.0
AROUND_ME_M = 60.0


# --------------------------------------------------------------------------- schemas


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    to: PointIn
    from_: PointIn | None = Field(default=None, alias="from")
    profile: ProfileName = "blind_cane"
    lang: Lang = "de"
    verbosity: Literal["brief", "normal", "detailed"] = "normal"
    clock_face: bool = False
    verb: Literal["walk", "move"] = "walk"
    #: Keep this walk's track after the session ends (off by default: nothing is stored).
    keep_track: bool = False


class SessionCreated(BaseModel):
    session_id: str
    ws_url: str
    length_m: float | None = None


class ReadingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    beacon: BeaconIdentity
    rssi: float = Field(allow_inf_nan=False)
    tx_power: float | None = Field(default=None, allow_inf_nan=False)


class ScanMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["scan"]
    t: float = Field(ge=0, allow_inf_nan=False)
    readings: list[ReadingIn] = Field(max_length=256)
    heading_deg: float | None = Field(default=None, ge=0, le=360)


class CommandMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["repeat", "where_am_i", "around_me", "stop"]


ClientMessage = TypeAdapter(
    Annotated[ScanMessage | CommandMessage, Field(discriminator="type")]
)


# --------------------------------------------------------------------------- registry


@dataclass
class LiveSession:
    """A session and its transport state; survives reconnects until it goes idle."""

    id: str
    nav: NavigationSession
    positioner: Positioner
    last_active_s: float
    bucket: api.TokenBucket
    heading_deg: float | None = None
    ws: web.WebSocketResponse | None = None
    #: [t_s, lat, lon, error_m] per fix, only when the walker opted in to keep it.
    track: list[list[float]] | None = None
    started_ts: float = field(default_factory=time.time)
    #: The live map's version when the route ahead was last checked against edits.
    map_version: int | None = None
    #: Blocked edges already acted on (replanned around, or found impossible to avoid), and the
    #: route they were found on: a later route over the same edge is checked afresh.
    blocked: tuple[Route | None, frozenset[int]] = (None, frozenset())


class SessionRegistry:
    """All live sessions of this process (they are per process; see README on scale-out)."""

    def __init__(self, idle_s: float) -> None:
        self.idle_s = idle_s
        #: How often housekeeping runs: expiry, flushing sightings, touching descriptors.
        self.period_s = min(30.0, idle_s / 2)
        self.sessions: dict[str, LiveSession] = {}
        #: Beacon idents heard in live scans, with wall time, flushed to storage periodically.
        self.heard: dict[str, float] = {}

    def expire(self, now_s: float) -> list[LiveSession]:
        """Drop sessions idle for longer than ``idle_s`` (their track only if opted in)."""
        gone = [s for s in self.sessions.values() if now_s - s.last_active_s > self.idle_s]
        for s in gone:
            del self.sessions[s.id]
        return gone


SESSIONS = web.AppKey("sessions", SessionRegistry)


async def sessions_ctx(app: web.Application) -> AsyncIterator[None]:
    """Own the registry, expire idle sessions and flush beacon sightings in the background."""
    registry = SessionRegistry(app[app_mod.SETTINGS].session_idle_s)
    app[SESSIONS] = registry

    async def housekeeping() -> None:
        while True:
            await asyncio.sleep(registry.period_s)
            try:
                for s in registry.expire(time.monotonic()):
                    log.info("session expired",
                             extra={"event": "session_expired", "session": s.id})
                    await end_session(app, s, expired=True)
                    if s.ws is not None:
                        await s.ws.close(code=4001, message=b"session expired")
                await flush_heard(app)
                await keep_descriptors_fresh(app)
            except Exception:  # noqa: BLE001 - e.g. the database is briefly away: next round
                log.exception("session housekeeping failed",
                              extra={"event": "housekeeping_failed"})

    task = asyncio.create_task(housekeeping())
    yield
    task.cancel()
    await flush_heard(app)


async def end_session(app: web.Application, live: LiveSession, expired: bool = False) -> None:
    """Forget a session; its track survives only if the walker asked for that.

    An expired copy leaves the shared descriptor alone if another process touched it since this
    one last heard from the walker: the walk goes on there (and may move on again).
    """
    untouched_since = None
    if expired:
        idle_for = time.monotonic() - live.last_active_s
        untouched_since = time.time() - idle_for + app[SESSIONS].period_s + 1.0
    await asyncio.to_thread(app[app_mod.STORAGE].delete_session, live.id, untouched_since)
    if live.track is not None:
        await asyncio.to_thread(app[app_mod.STORAGE].save_track, live.id, live.started_ts,
                                time.time(), live.track)


async def keep_descriptors_fresh(app: web.Application) -> None:
    """Mark this process's sessions heard from since the last round alive in storage (an idle
    copy is not: the walker may be carrying on in another process); drop any no process has
    touched for the idle time."""
    registry, storage = app[SESSIONS], app[app_mod.STORAGE]
    now, now_s = time.time(), time.monotonic()
    active = [s.id for s in registry.sessions.values()
              if now_s - s.last_active_s <= registry.period_s]
    await asyncio.to_thread(storage.touch_sessions, active, now)
    await asyncio.to_thread(storage.delete_idle_sessions, now - registry.idle_s)


async def flush_heard(app: web.Application) -> None:
    registry = app[SESSIONS]
    if registry.heard:
        heard, registry.heard = registry.heard, {}
        await asyncio.to_thread(app[app_mod.STORAGE].mark_beacons_seen, heard)


# --------------------------------------------------------------------------- REST


@routes.route("POST", "/v1/sessions", summary="Start live guidance; connect to ws_url next",
              body=SessionCreate, response=SessionCreated, status=201, errors=(422, 503))
async def create_session(request: web.Request, body: SessionCreate) -> web.Response:
    app = request.app
    mapstate = app[app_mod.MAP]
    start = resolve_point(mapstate, body.from_, "from") if body.from_ is not None else None
    session_id = uuid.uuid4().hex
    try:
        live, route = await _start(app, session_id, body, start)
    except RoutingError as err:
        raise api.ApiError(422, err.code, str(err)) from None
    # the descriptor lets another process resume it; it holds no position ("from" is dropped)
    await asyncio.to_thread(app[app_mod.STORAGE].save_session, session_id,
                            body.model_dump_json(by_alias=True, exclude={"from_"}), time.time())
    app[SESSIONS].sessions[session_id] = live
    log.info("session created", extra={"event": "session_created", "session": session_id,
                                       "profile": body.profile})
    return api.json_response(
        {"session_id": session_id, "ws_url": f"/v1/sessions/{session_id}/ws",
         "length_m": round(route.length_m, 1) if route else None}, status=201)


async def _start(app: web.Application, session_id: str, body: SessionCreate,
                 start: tuple[float, float] | None) -> tuple[LiveSession, Route | None]:
    """Build a session's pipeline (RoutingError when ``start`` is given and no route exists)."""
    mapstate = app[app_mod.MAP]
    end = resolve_point(mapstate, body.to, "to")
    dest = mapstate.places.get(body.to.place) if body.to.place is not None else None
    opts = PhraseOptions(verbosity=body.verbosity, clock_face=body.clock_face, verb=body.verb)
    nav, positioner, route = await asyncio.to_thread(
        build_guidance, mapstate, start, end, body.profile, body.lang,
        app[app_mod.SETTINGS].guidance, opts, int(session_id[:8], 16),
        dest.name if dest else None)
    rate = app[app_mod.SETTINGS].ws_messages_per_s
    live = LiveSession(session_id, nav, positioner, time.monotonic(),
                       api.TokenBucket(rate, max(1, int(rate))),
                       track=[] if body.keep_track else None)
    return live, route


async def _live(request: web.Request) -> LiveSession:
    """The session in this process, or one another process started (resumed from storage: the
    route is planned again at the first fix, which also re-orients the walker)."""
    app, session_id = request.app, request.match_info["id"]
    live = app[SESSIONS].sessions.get(session_id)
    if live is not None:
        return live
    stored = await asyncio.to_thread(app[app_mod.STORAGE].load_session, session_id)
    if stored is None:
        raise api.ApiError(404, "unknown_session", "no such session (ended or expired)")
    try:
        live, _ = await _start(app, session_id, SessionCreate.model_validate_json(stored), None)
    except (ValueError, api.ApiError):  # the map changed under it: the destination is gone
        raise api.ApiError(404, "unknown_session", "this session can no longer be resumed"
                           ) from None
    # touched now, so a copy idling in the process the walker left does not delete it
    await asyncio.to_thread(app[app_mod.STORAGE].touch_sessions, [session_id], time.time())
    log.info("session resumed", extra={"event": "session_resumed", "session": session_id})
    return app[SESSIONS].sessions.setdefault(session_id, live)


class PreviewItem(BaseModel):
    kind: str
    distance_m: float
    text: str


@routes.route("GET", "/v1/sessions/{id}/preview", summary="All instructions before starting",
              response=list[PreviewItem], errors=(404,))
async def preview(request: web.Request) -> web.Response:
    return api.json_response((await _live(request)).nav.preview())


class TrackOut(BaseModel):
    started_ts: float
    ended_ts: float
    points: list[list[float]]


@routes.route("GET", "/v1/sessions/{id}/track", summary="A finished walk's track, if opted in",
              response=TrackOut, errors=(404,))
async def track(request: web.Request) -> web.Response:
    kept = await asyncio.to_thread(request.app[app_mod.STORAGE].load_track,
                                   request.match_info["id"])
    if kept is None:
        raise api.ApiError(404, "no_track", "no track kept for this session (not opted in, "
                                            "or the session has not ended)")
    return api.json_response(kept)


# --------------------------------------------------------------------------- WebSocket


@routes.route("GET", "/v1/sessions/{id}/ws", summary="The live guidance WebSocket",
              errors=(404,))
async def session_ws(request: web.Request) -> web.StreamResponse:
    live = await _live(request)
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=256 * 1024)
    await ws.prepare(request)
    previous, live.ws = live.ws, ws
    if previous is not None and not previous.closed:
        await previous.close(code=4000, message=b"replaced by a newer connection")
    resumed = live.nav.last_fix is not None or live.nav.last_instruction is not None
    await ws.send_json({"type": "session", "session_id": live.id, "resumed": resumed,
                        "last_instruction": _last_instruction_json(request.app, live)})
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                outs = handle_message(request.app, live, msg.data, time.monotonic())
                ended = live.id not in request.app[SESSIONS].sessions
                if ended:  # forgotten everywhere before the walker hears "stopped"
                    await end_session(request.app, live)
                for out in outs:
                    await ws.send_json(out)
                if ended:
                    await ws.close(code=1000, message=b"session ended")
            elif msg.type == WSMsgType.BINARY:
                await ws.send_json(_error("invalid_message", "send JSON text messages"))
    finally:
        if live.ws is ws:
            live.ws = None
    return ws


def _error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


def handle_message(app: web.Application, live: LiveSession, raw: str, now_s: float
                   ) -> list[dict[str, Any]]:
    """One client message in, the messages to send back out; never raises for bad input."""
    live.last_active_s = now_s
    if not live.bucket.allow("ws", now_s):
        return [_error("rate_limited", f"more than {live.bucket.rate:g} messages per second; "
                                       "this one was dropped")]
    try:
        # Strict like HTTP bodies: ``"t": false`` is not a time, ``"rssi": true`` not a level.
        msg = ClientMessage.validate_python(api.decode_json(raw), strict=True)
    except (ValueError, ValidationError) as err:
        text = (api.describe_validation_error(err) if isinstance(err, ValidationError)
                else str(err))
        return [_error("invalid_message", text)]
    if isinstance(msg, ScanMessage):
        return _on_scan(app, live, msg)
    if msg.type == "repeat":
        last = _last_instruction_json(app, live)
        return [last] if last else [_error("nothing_to_repeat", "no instruction yet")]
    if msg.type == "stop":
        app[SESSIONS].sessions.pop(live.id, None)
        return [{"type": "stopped", "session_id": live.id}]
    text = (_where_am_i(app[app_mod.MAP], live) if msg.type == "where_am_i"
            else _around_me(app[app_mod.MAP], live))
    return [_with_audio(app, {"type": "instruction", "id": None, "kind": msg.type,
                              "text": text, "lang": live.nav.lang, "distance_m": None})]


def _on_scan(app: web.Application, live: LiveSession, msg: ScanMessage) -> list[dict[str, Any]]:
    readings = tuple(Reading(r.beacon.beacon_id(), r.rssi, r.tx_power, msg.t)
                     for r in msg.readings)
    if msg.heading_deg is not None:
        live.heading_deg = msg.heading_deg
    try:
        pos = live.positioner.update(Scan(readings, msg.t, msg.heading_deg))
    except InvalidScan as err:
        return [_error("invalid_scan", str(err))]
    if live.track is not None and isinstance(pos, Fix):
        live.track.append([pos.t_s, pos.lat, pos.lon, round(pos.error_m, 2)])
    now = time.time()
    rows = live.positioner.map.layout.rows_of([r.beacon for r in readings])
    for r, row in zip(readings, rows, strict=True):
        if row is not None:
            app[SESSIONS].heard[r.beacon.ident] = now
    events = _replan_if_blocked(app[app_mod.MAP], live, pos, now) if isinstance(pos, Fix) else []
    events += live.nav.on_position(pos, msg.heading_deg)
    return [_event_json(app, e) for e in events]


def _replan_if_blocked(mapstate: MapState, live: LiveSession, pos: Fix, now: float
                       ) -> list[Event]:
    """A closure or mapper edit since the route was planned blocks the way ahead: replan now,
    instead of guiding the walker into it (once per blocked edge, also if no way round exists)."""
    edited = live.map_version != mapstate.version
    live.map_version = mapstate.version
    blocked = frozenset(blocked_ahead(mapstate, live.nav, now, recheck_edges=edited))
    route, known = live.blocked
    if route is not live.nav.route:
        known = frozenset()
    if not blocked - known:
        return []
    live.blocked = (live.nav.route, known | blocked)
    log.info("route ahead blocked", extra={"event": "route_blocked", "session": live.id,
                                           "edges": sorted(blocked)})
    return live.nav.route_blocked(pos)


def _event_json(app: web.Application, event: Event) -> dict[str, Any]:
    out = {"type": event.type, **event.data}
    if event.type == "instruction":
        out = _with_audio(app, out)
    elif event.type == "rerouted":
        out["instruction"] = _with_audio(app, {"type": "instruction", **out["instruction"]})
    elif "text" in out:
        out = _with_audio(app, out)
    return out


def _with_audio(app: web.Application, out: dict[str, Any]) -> dict[str, Any]:
    voice = app_mod.voice_of(app)
    out["audio_url"] = app_mod.audio_url(voice, out["text"], out["lang"]) if voice else None
    return out


def _last_instruction_json(app: web.Application, live: LiveSession) -> dict[str, Any] | None:
    last = live.nav.last_instruction
    return _event_json(app, last) if last else None


# --------------------------------------------------------------------------- orientation


def _where_am_i(mapstate: MapState, live: LiveSession) -> str:
    fix, lang = live.nav.last_fix, live.nav.lang
    if fix is None or not live.nav.location_available:
        return phrases.phrase_where_am_i(None, None, None, lang)
    edge = mapstate.graph.graph["edges"].get(fix.edge)
    street = edge.name if edge is not None else None
    near = _nearby_places(mapstate, fix, WHERE_LANDMARK_M)
    landmark = near[0][1].name if near else None
    return phrases.phrase_where_am_i(street, landmark, live.nav.next_maneuver(), lang)


def _around_me(mapstate: MapState, live: LiveSession) -> str:
    """Named places within reach, per quadrant relative to the walker's heading."""
    fix, lang = live.nav.last_fix, live.nav.lang
    if fix is None or not live.nav.location_available:
        return phrases.phrase_where_am_i(None, None, None, lang)
    heading = live.heading_deg if live.heading_deg is not None else _route_heading(live)
    quadrants: dict[str, list[str]] = {q: [] for q in phrases.QUADRANTS}
    for _, place in _nearby_places(mapstate, fix, AROUND_ME_M)[:8]:
        rel = turn_angle_deg(heading, bearing_deg(fix.lat, fix.lon, place.lat, place.lon))
        quadrants[quadrant_of(rel)].append(place.name)
    return phrases.phrase_around_me(quadrants, lang)


def quadrant_of(relative_deg: float) -> str:
    """ahead/right/behind/left for a bearing relative to the heading (-180..180, + = right)."""
    a = abs(relative_deg)
    if a <= 45:
        return "ahead"
    if a >= 135:
        return "behind"
    return "right" if relative_deg > 0 else "left"


def _route_heading(live: LiveSession) -> float:
    nav = live.nav
    if nav.line is None:
        return 0.0
    fix = nav.last_fix
    assert fix is not None
    return nav.line.project(fix.lat, fix.lon, nav.progress.along_m)[2]


def _nearby_places(mapstate: MapState, fix: Fix, radius_m: float) -> list[tuple[float, Any]]:
    found = [(haversine_m(fix.lat, fix.lon, p.lat, p.lon), p) for p in mapstate.places.values()]
    return sorted((t for t in found if t[0] <= radius_m), key=lambda t: t[0])
