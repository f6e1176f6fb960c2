"""Live guidance over WebSocket: this module only moves messages.

Scan JSON -> :class:`Scan` -> the positioner -> the :class:`NavigationSession` -> event JSON
(with audio URLs) back to the phone. The rules are elsewhere and pure: guidance in
:mod:`navigator.session`, blocked routes in :mod:`navigator.blocking`, where-am-I / around-me in
:mod:`navigator.orientation`; the sessions themselves live in :mod:`navigator.livesessions`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from aiohttp import WSMsgType, web
from pydantic import ValidationError

from beacons.model import Fix, Reading, Scan
from beacons.positioning import InvalidScan
from navigator import api
from navigator.blocking import blocked_ahead
from navigator.keys import MAP
from navigator.liveschemas import ClientMessageIn, ScanMessage, parse_client_message
from navigator.livesessions import SESSIONS, LiveSession, end_session, live_session
from navigator.logs import short_id
from navigator.mapstate import MapState
from navigator.orientation import around_me, where_am_i
from navigator.session import Event
from navigator.sessiontokens import SessionAccess, token_of
from navigator.speech import audio_url, voice_of
from voice.phrases import phrase_session_replaced

log = logging.getLogger(__name__)
routes = api.RouteTable("pedestrian")
#: Close code of a connection another one with the session's token took the walk over from.
REPLACED = 4000


@routes.route("GET", "/v1/sessions/{id}/ws", summary="The live guidance WebSocket (ws_url, "
              "with the session's token)", query=SessionAccess, errors=(401, 404),
              messages=ClientMessageIn)
async def session_ws(request: web.Request, query: SessionAccess) -> web.StreamResponse:
    live = await live_session(request.app, request.match_info["id"],
                              token_of(request.headers, query))
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=256 * 1024)
    await ws.prepare(request)
    previous, live.ws = live.ws, ws
    took_over = previous is not None and not previous.closed
    if previous is not None and took_over:
        await _hand_over(request.app, live, previous)
    resumed = live.nav.last_fix is not None or live.nav.last_instruction is not None
    await ws.send_json({"type": "session", "session_id": live.id, "resumed": resumed,
                        "took_over": took_over,
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


async def _hand_over(app: web.Application, live: LiveSession, previous: web.WebSocketResponse
                     ) -> None:
    """A newer connection with the token resumes the walk: the older one is told in words
    (the walker hears it: if it was not them, someone else holds the walk) and closed."""
    text = phrase_session_replaced(live.nav.lang)
    try:
        await previous.send_json(_with_audio(app, {"type": "replaced", "text": text,
                                                   "lang": live.nav.lang}))
    except (ConnectionError, RuntimeError):  # it was already going away: nobody to tell
        pass
    await previous.close(code=REPLACED, message=b"replaced by a newer connection")


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
        msg, bad_gnss = parse_client_message(api.decode_json(raw))
    except (ValueError, ValidationError) as err:
        text = (api.describe_validation_error(err) if isinstance(err, ValidationError)
                else str(err))
        return [_error("invalid_message", text)]
    if isinstance(msg, ScanMessage):
        refused = ([_error("invalid_gnss", api.describe_validation_error(bad_gnss))]
                   if bad_gnss else [])
        return refused + _on_scan(app, live, msg)
    if msg.type == "repeat":
        last = _last_instruction_json(app, live)
        return [last] if last else [_error("nothing_to_repeat", "no instruction yet")]
    if msg.type == "stop":
        app[SESSIONS].sessions.pop(live.id, None)
        return [{"type": "stopped", "session_id": live.id}]
    mapstate = app[MAP]
    text = (where_am_i(live.nav, mapstate.graph, mapstate.places.values())
            if msg.type == "where_am_i"
            else around_me(live.nav, mapstate.places.values(), live.heading_deg))
    return [_with_audio(app, {"type": "instruction", "id": None, "kind": msg.type,
                              "text": text, "lang": live.nav.lang, "distance_m": None})]


def _on_scan(app: web.Application, live: LiveSession, msg: ScanMessage) -> list[dict[str, Any]]:
    readings = tuple(Reading(r.beacon.beacon_id(), r.rssi, r.tx_power, msg.t)
                     for r in msg.readings)
    if msg.heading_deg is not None:
        live.heading_deg = msg.heading_deg
    gnss = msg.gnss.fix() if msg.gnss else None
    try:
        pos = live.positioner.update(Scan(readings, msg.t, msg.heading_deg, gnss))
    except InvalidScan as err:
        return [_error("invalid_scan", str(err))]
    if live.track is not None and isinstance(pos, Fix):
        live.track.append([pos.t_s, pos.lat, pos.lon, round(pos.error_m, 2)])
    now = time.time()
    for beacon in live.positioner.matched_beacons:
        app[SESSIONS].heard[beacon.ident] = now
    events = _replan_if_blocked(app[MAP], live, pos, now) if isinstance(pos, Fix) else []
    events += live.nav.on_position(pos, msg.heading_deg)
    return [_event_json(app, e) for e in events]


def _replan_if_blocked(mapstate: MapState, live: LiveSession, pos: Fix, now: float
                       ) -> list[Event]:
    """A closure or mapper edit since the route was planned blocks the way ahead: replan now,
    instead of guiding the walker into it (once per blocked edge, also if no way round exists)."""
    edited = live.map_version != mapstate.version
    live.map_version = mapstate.version
    blocked = frozenset(blocked_ahead(mapstate, live.nav, now, recheck_edges=edited))
    if not live.nav.acknowledge_blocked(blocked):
        return []
    log.info("route ahead blocked", extra={"event": "route_blocked",
                                           "session": short_id(live.id), "edges": sorted(blocked)})
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
    voice = voice_of(app)
    out["audio_url"] = audio_url(voice, out["text"], out["lang"]) if voice else None
    return out


def _last_instruction_json(app: web.Application, live: LiveSession) -> dict[str, Any] | None:
    last = live.nav.last_instruction
    return _event_json(app, last) if last else None
