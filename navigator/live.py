"""Live guidance over WebSocket: this module only moves messages.

Scan JSON -> :class:`Scan` -> the positioner -> the :class:`NavigationSession` -> event JSON
(with audio URLs) back to the phone. The handler reads and decodes; the process's
:class:`~navigator.inbox.Inbox` answers what waits in rounds, positioning a round's scans together
and never guiding anyone with a scan that waited too long (:mod:`navigator.backpressure`). The
rules are elsewhere and pure: guidance in :mod:`navigator.session`, blocked routes in
:mod:`navigator.blocking`, where-am-I / around-me in :mod:`navigator.orientation`; the sessions
themselves live in :mod:`navigator.livesessions`, and which connection holds a walk is
:mod:`navigator.handover`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from beacons.model import Fix, Scan, Unavailable
from beacons.positioning import InvalidScan
from navigator import api
from navigator.backpressure import tell_unavailable
from navigator.blocking import blocked_ahead
from navigator.handover import HANDED_OVER, close_replaced, hand_over
from navigator.inbox import INBOX, INTERNAL_ERROR, Delivery, Inbox, Incoming, Replies, dumps
from navigator.keys import MAP, SETTINGS, STORAGE
from navigator.liveschemas import (
    ClientMessageIn,
    CommandMessage,
    DeparturesMessage,
    InvalidMessage,
    ScanIn,
    decode_client_message,
)
from navigator.livesessions import (
    SESSIONS,
    LiveSession,
    SessionRegistry,
    end_session,
    live_session,
)
from navigator.logs import short_id
from navigator.mapstate import MapState
from navigator.orientation import around_me, where_am_i
from navigator.pipeline import Position, position_all
from navigator.session import Event
from navigator.sessiontokens import SessionAccess, token_of
from navigator.speech import with_audio
from navigator.transit import (
    approach_message,
    arrival_messages,
    departures_message,
    nearby_stops_sentence,
)

log = logging.getLogger(__name__)
routes = api.RouteTable("pedestrian")


@routes.route("GET", "/v1/sessions/{id}/ws", summary="The live guidance WebSocket (ws_url, "
              "with the session's token)", query=SessionAccess, errors=(401, 404),
              messages=ClientMessageIn)
async def session_ws(request: web.Request, query: SessionAccess) -> web.StreamResponse:
    app = request.app
    live = await live_session(app, request.match_info["id"], token_of(request.headers, query))
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=256 * 1024)
    await ws.prepare(request)
    try:
        await _hold(app, live, ws)
    finally:
        _drop_heartbeat_hook(request)
    return ws


def _drop_heartbeat_hook(request: web.Request) -> None:
    """Let an ended WebSocket go by reference counting, not by a full collection.

    aiohttp (3.14) hands the connection's handler the socket's heartbeat callback, a bound
    method of the ``WebSocketResponse``, and keeps it after the connection is lost: handler ->
    socket -> request -> handler is a cycle, so every ended walk left its socket, request and
    handler (~150 objects) to the cycle collector, whose full collections a serving worker makes
    rare (:mod:`navigator.collector`): ended walks' connections piled up in the oldest generation
    between them (#14). The callback only postpones the heartbeat of an open socket.
    """
    protocol = request.protocol
    if protocol is not None and protocol._data_received_cb is not None:
        protocol._data_received_cb = None


async def _hold(app: web.Application, live: LiveSession, ws: web.WebSocketResponse) -> None:
    """Claim the walk for this connection (taking it over from another) and read its messages
    into the inbox until it ends."""
    # the connection holding the walk when this one came: taken over, even if it leaves while
    # the claim below is written
    holder = live.ws if live.ws is not None and not live.ws.closed else None
    # claimed only once the handshake is done: a failed one (no upgrade, a version the server
    # does not speak, a client gone mid-way) took the walk from its walker at the next claim
    # check although nothing took it over
    live.claiming += 1  # the claim check leaves the walk alone meanwhile: the swap decides
    try:
        claim = await asyncio.to_thread(app[STORAGE].claim_session, live.id)
    except Exception:  # the socket is open: an error response can no longer be sent
        log.exception("session claim failed", extra={"event": "session_claim_failed",
                                                     "session": short_id(live.id)})
        await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"internal error; logged")
        return
    finally:
        live.claiming -= 1
    if claim is not None and live.claim is not None and claim < live.claim:
        await hand_over(app, live, ws, None)  # a newer connection here claimed it meanwhile
        return
    live.claim = claim
    previous, previous_reader = live.ws, live.reader
    live.ws, live.reader = ws, asyncio.current_task()
    replacing = previous is not None and not previous.closed
    if replacing:
        assert previous is not None
        await hand_over(app, live, previous, previous_reader)
    took_over = replacing or holder is not None
    resumed = live.nav.last_fix is not None or live.nav.last_instruction is not None
    await ws.send_frame(dumps({
        "type": "session", "session_id": live.id, "resumed": resumed, "took_over": took_over,
        "last_instruction": _last_instruction_json(app, live)}), WSMsgType.TEXT)
    inbox, registry, loop = app[INBOX], app[SESSIONS], asyncio.get_running_loop()
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                inbox.put(live, ws, read_message(registry, live, msg.data, time.monotonic()),
                          loop.time())
            elif msg.type == WSMsgType.BINARY:
                inbox.put(live, ws, _error("invalid_message", "send JSON text messages"),
                          loop.time())
            # not kept while waiting for the walker's next message, a second away: a scan and
            # its readings living that long outlast the collector's young generations, which
            # then hold every walker's last scan (~12,000 objects at 500 walkers) and scan them
            # at each collection (navigator/collector.py)
            del msg
    except asyncio.CancelledError as stopped:
        if stopped.args != (HANDED_OVER,):
            raise
        this = asyncio.current_task()
        assert this is not None
        this.uncancel()  # handled: the close below must not be cut short
        await close_replaced(ws)
    finally:
        if live.ws is ws:
            live.ws = live.reader = None


async def inbox_ctx(app: web.Application) -> AsyncIterator[None]:
    """Own the process's inbox and the task that answers it."""
    inbox = Inbox(app[SETTINGS].scan_budget,
                  lambda batch, fresh: answer_messages(app, batch, fresh),
                  lambda delivery: answer_late(app, delivery.live, delivery.message),
                  lambda live: end_session(app, live))
    app[INBOX] = inbox
    task = asyncio.create_task(inbox.run())
    yield
    task.cancel()
    await inbox.close()


def _error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


def read_message(registry: SessionRegistry, live: LiveSession, raw: str, now_s: float
                 ) -> Incoming:
    """A client message as the inbox keeps it: decoded, or the error that answers it (too many
    messages, not JSON, not a message); never raises for bad input."""
    live.last_active_s = now_s
    if not live.bucket.allow("ws", now_s):
        return _error("rate_limited", f"more than {live.bucket.rate:g} messages per second; "
                                      "this one was dropped")
    try:
        return decode_client_message(raw, registry.beacon_ids)
    except InvalidMessage as err:
        return _error("invalid_message", str(err))


def answer_messages(app: web.Application, batch: Sequence[Delivery],
                    fresh: Callable[[int], bool]) -> list[Replies]:
    """The replies to one message of each of several walkers. Their scans are positioned in one
    call; a scan that ``fresh`` then finds too old guides nobody (:func:`answer_late`)."""
    scans = [(i, d.live.positioner, d.message.scan) for i, d in enumerate(batch)
             if isinstance(d.message, ScanIn)]
    positions = dict(zip([i for i, _, _ in scans],
                         position_all([(positioner, scan) for _, positioner, scan in scans]),
                         strict=True))
    now_ts = app[SETTINGS].clock()
    closed = app[MAP].closed_edges(now_ts) if scans else frozenset()
    out: list[Replies] = []
    for i, d in enumerate(batch):
        msg = d.message
        try:
            if isinstance(msg, dict):
                out.append([msg])
            elif not isinstance(msg, ScanIn):
                out.append(_on_command(app, d.live, msg))
            elif fresh(i):
                out.append(_gnss_refused(msg)
                           + _on_scan(app, d.live, msg.scan, positions[i], now_ts, closed))
            else:
                out.append(answer_late(app, d.live, msg))
        except Exception:  # noqa: BLE001 - one walker's bug must not cost the others theirs
            log.exception("live message failed", extra={"event": "live_message_failed",
                                                        "session": short_id(d.live.id)})
            out.append([INTERNAL_ERROR])
    return out


def answer_late(app: web.Application, live: LiveSession, msg: Incoming) -> Replies:
    """A scan that waited too long in this process: not used, and said so in its ``fix`` status;
    once the walker's scans have come late for a while, the session says the position is
    unavailable (once, as when the beacons fall silent)."""
    assert isinstance(msg, ScanIn)
    t = msg.scan.t_s
    if live.late_since_t is None:
        live.late_since_t = t
    if tell_unavailable(live.late_since_t, t, app[SETTINGS].scan_budget):
        said = [_event_json(app, e) for e in live.nav.on_position(Unavailable("late", t))]
    else:
        said = [{"type": "fix", "available": False, "reason": "late", "t": t}]
    return _gnss_refused(msg) + said


def _gnss_refused(msg: ScanIn) -> Replies:
    """A bad GNSS fix is refused on its own; the scan's readings are still used."""
    return [_error("invalid_gnss", msg.gnss_error)] if msg.gnss_error else []


def _on_command(app: web.Application, live: LiveSession,
                msg: CommandMessage | DeparturesMessage) -> Replies:
    if isinstance(msg, DeparturesMessage):
        fix = live.nav.last_fix
        where = (fix.lat, fix.lon) if fix is not None and live.nav.location_available else None
        return [departures_message(app, msg.stop, where or _route_end(app[MAP], live),
                                   live.nav.lang, app[SETTINGS].clock())]
    if msg.type == "stop":  # the inbox ends it everywhere before sending this
        app[SESSIONS].sessions.pop(live.id, None)
        return [{"type": "stopped", "session_id": live.id}]
    if msg.type == "repeat":
        last = _last_instruction_json(app, live)
        return [last] if last else [_error("nothing_to_repeat", "no instruction yet")]
    mapstate = app[MAP]
    text = (where_am_i(live.nav, mapstate.graph, mapstate.places.values())
            if msg.type == "where_am_i"
            else around_me(live.nav, mapstate.places.values(), live.heading_deg))
    fix = live.nav.last_fix
    if fix is not None and live.nav.location_available:  # and the stops near, with their lines
        text = " ".join(filter(None, (text, nearby_stops_sentence(app, fix.lat, fix.lon,
                                                                    live.nav.lang))))
    return [with_audio(app, {"type": "instruction", "id": None, "kind": msg.type,
                              "text": text, "lang": live.nav.lang, "distance_m": None})]


def _on_scan(app: web.Application, live: LiveSession, msg: Scan, pos: Position,
             now_ts: float, closed: frozenset[int]) -> Replies:
    if isinstance(pos, InvalidScan):
        return [_error("invalid_scan", str(pos))]
    live.late_since_t = None
    if msg.heading_deg is not None:
        live.heading_deg = msg.heading_deg
    if live.track is not None and isinstance(pos, Fix):
        live.track.append([pos.t_s, pos.lat, pos.lon, round(pos.error_m, 2)])
    if matched := live.positioner.matched_beacons:
        app[SESSIONS].note_heard(now_ts, matched)
    events = (_replan_if_blocked(app[MAP], live, pos, now_ts, closed) if isinstance(pos, Fix)
              else [])
    events += live.nav.on_position(pos, msg.heading_deg)
    out = [_event_json(app, e) for e in events]
    if (ahead := _boarding_ahead_m(live)) is not None and live.boarding is not None and (
            notice := approach_message(app, live.boarding, ahead, live.stop_alerts_said,
                                       live.nav.lang, now_ts)):
        out.insert(len(out) - 1 if out and out[-1]["type"] == "fix" else len(out), notice)
    arrived = next((i for i, m in enumerate(out) if m["type"] == "arrived"), None)
    if arrived is not None:  # at a stop: the boarding point said, and what leaves there, once
        out[arrived], board = arrival_messages(app, live.boarding, _route_end(app[MAP], live),
                                               out[arrived], live.nav.lang, now_ts)
        if board is not None:
            last = len(out) - 1 if out and out[-1]["type"] == "fix" else len(out)
            out.insert(last, board)  # the fix status stays the scan's last answer
    return out


def _boarding_ahead_m(live: LiveSession) -> float | None:
    """How far a trip's walker still has to its boarding stop along the route; None before the
    first fix on the route, after arrival and for a walk that is no trip."""
    nav = live.nav
    if live.boarding is None or nav.arrived or nav.line is None or nav.last_fix is None:
        return None
    return max(0.0, nav.line.length_m - nav.progress.along_m)


def _route_end(mapstate: MapState, live: LiveSession) -> tuple[float, float] | None:
    route = live.nav.route
    if route is None or not route.nodes or route.nodes[-1] not in mapstate.graph:
        return None
    node = mapstate.graph.nodes[route.nodes[-1]]
    return node["lat"], node["lon"]


def _replan_if_blocked(mapstate: MapState, live: LiveSession, pos: Fix, now_ts: float,
                       closed: frozenset[int]) -> list[Event]:
    """A closure or mapper edit since the route was planned blocks the way ahead: replan now,
    instead of guiding the walker into it (once per blocked edge, also if no way round exists).
    Checked again only when the map, the closures in force or the route changed."""
    checked = live.blocked_checked
    if (checked is not None and checked[0] == mapstate.version and checked[1] == closed
            and checked[2] is live.nav.route):
        return []
    live.blocked_checked = (mapstate.version, closed, live.nav.route)
    edited = live.map_version != mapstate.version
    live.map_version = mapstate.version
    blocked = frozenset(blocked_ahead(mapstate, live.nav, now_ts, recheck_edges=edited))
    if not live.nav.acknowledge_blocked(blocked):
        return []
    log.info("route ahead blocked", extra={"event": "route_blocked",
                                           "session": short_id(live.id), "edges": sorted(blocked)})
    return live.nav.route_blocked(pos)


def _event_json(app: web.Application, event: Event) -> dict[str, Any]:
    out = {"type": event.type, **event.data}
    if event.type == "instruction":
        out = with_audio(app, out)
    elif event.type == "rerouted":
        out["instruction"] = with_audio(app, {"type": "instruction", **out["instruction"]})
    elif "text" in out:
        out = with_audio(app, out)
    return out


def _last_instruction_json(app: web.Application, live: LiveSession) -> dict[str, Any] | None:
    last = live.nav.last_instruction
    return _event_json(app, last) if last else None
