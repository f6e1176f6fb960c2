"""The live sessions of this process: the registry, starting and resuming a walker's session,
ending it, and the housekeeping that expires idle ones and writes beacon sightings to storage.

A :class:`LiveSession` is the transport's view of a walker: the pure
:class:`~navigator.session.NavigationSession` and the positioner (built by
:mod:`navigator.pipeline`) plus what the WebSocket needs (rate limit, socket, opted-in track).
Sessions are per process; a descriptor in storage lets another process resume one.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from beacons.model import BeaconId
from beacons.positioning import Positioner
from navigator import api
from navigator.boarding import Boarding
from navigator.heap import release_free_heap_every
from navigator.keys import MAP, SETTINGS, STORAGE
from navigator.liveschemas import BeaconIds, SessionCreate
from navigator.logs import short_id
from navigator.pipeline import build_guidance
from navigator.routeplan import resolve_point
from navigator.session import NavigationSession
from navigator.sessiontokens import hash_token, new_token, require_token
from navigator.transit import resolve_destination
from routing.model import Route
from voice.phrases import PhraseOptions

log = logging.getLogger(__name__)


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
    #: For a trip ("line L towards H at stop X"): the pole the route ends at, said on arrival.
    boarding: Boarding | None = None
    #: The ids of the boarding stop's real-time alerts already said on the way there.
    stop_alerts_said: set[str] = field(default_factory=set)
    #: What the way ahead was last checked against (map version, closed edges, route): the
    #: check runs again only when one of them changes, not at every fix.
    blocked_checked: tuple[int, frozenset[int], Route | None] | None = None
    #: Phone time of the first of the walker's latest run of scans that came too late to use.
    late_since_t: float | None = None
    #: sha256 of the session's secret token (:mod:`navigator.sessiontokens`); "" matches none.
    token_hash: str = ""
    #: The descriptor's claim (:meth:`~navigator.storage.SessionStore.claim_session`) of the
    #: connection holding the walk here; a higher one in storage means another process took it.
    claim: int | None = None
    #: Connections here whose claim is being written (theirs may be the higher one in storage).
    claiming: int = 0
    #: The task reading :attr:`ws` (its handler): a socket taken over is closed by it.
    reader: asyncio.Task[Any] | None = None


class SessionRegistry:
    """All live sessions of this process (they are per process; see README on scale-out)."""

    def __init__(self, idle_s: float) -> None:
        self.idle_s = idle_s
        #: How often housekeeping runs: expiry, flushing sightings, touching descriptors.
        self.period_s = min(30.0, idle_s / 2)
        self.sessions: dict[str, LiveSession] = {}
        #: When each known beacon was last heard in a live scan (wall time), flushed to storage
        #: periodically. Kept by beacon, not by scan: a list of every scan's sightings made two
        #: tuples a scan that lived until the flush (30 s), which filled the collector's oldest
        #: generation and set off a full collection (~100 ms, the event loop blocked) every
        #: ~15 s at 300-500 walkers; a key updated in place makes no new object.
        self.heard: dict[str, float] = {}
        self.beacon_ids = BeaconIds()

    def expire(self, now_s: float) -> list[LiveSession]:
        """Drop sessions idle for longer than ``idle_s`` (their track only if opted in)."""
        gone = [s for s in self.sessions.values() if now_s - s.last_active_s > self.idle_s]
        for s in gone:
            del self.sessions[s.id]
        return gone

    def note_heard(self, now_ts: float, beacons: tuple[BeaconId, ...]) -> None:
        """A live scan heard these known beacons at wall time ``now_ts``."""
        heard = self.heard
        for b in beacons:
            heard[b.ident] = now_ts


SESSIONS = web.AppKey("sessions", SessionRegistry)


async def open_session(app: web.Application, body: SessionCreate,
                       start: tuple[float, float] | None
                       ) -> tuple[LiveSession, str, Route | None]:
    """Start a walker's session here and leave its descriptor in storage for other processes;
    the session, its token (given out once, here) and its route (``routing.paths.RoutingError``
    when ``start`` is given and no route exists)."""
    session_id, token = uuid.uuid4().hex, new_token()
    live, route = await _start(app, session_id, hash_token(token), body, start)
    # the descriptor lets another process resume it; it holds no position ("from" is dropped)
    await asyncio.to_thread(app[STORAGE].save_session, session_id,
                            body.model_dump_json(by_alias=True, exclude={"from_"}), time.time(),
                            live.token_hash)
    app[SESSIONS].sessions[session_id] = live
    log.info("session created", extra={"event": "session_created",
                                       "session": short_id(session_id), "profile": body.profile})
    return live, token, route



async def live_session(app: web.Application, session_id: str, token: str | None
                       ) -> LiveSession:
    """The session in this process, or one another process started (resumed from storage: the
    route is planned again at the first fix, which also re-orients the walker); 404 if neither,
    401 without its token (checked before a resume builds anything).
    """
    live = app[SESSIONS].sessions.get(session_id)
    if live is not None:
        require_token(token, live.token_hash)
        return live
    stored = await asyncio.to_thread(app[STORAGE].load_session, session_id)
    if stored is None:
        raise api.ApiError(404, "unknown_session", "no such session (ended or expired)")
    request_json, stored_hash = stored
    token_hash = require_token(token, stored_hash)
    try:
        live, _ = await _start(app, session_id, token_hash,
                               SessionCreate.model_validate_json(request_json), None)
    except (ValueError, api.ApiError):  # the map changed under it: the destination is gone
        raise api.ApiError(404, "unknown_session", "this session can no longer be resumed"
                           ) from None
    # touched now, so a copy idling in the process the walker left does not delete it
    await asyncio.to_thread(app[STORAGE].touch_sessions, [session_id], time.time())
    log.info("session resumed", extra={"event": "session_resumed",
                                       "session": short_id(session_id)})
    return app[SESSIONS].sessions.setdefault(session_id, live)


async def _start(app: web.Application, session_id: str, token_hash: str, body: SessionCreate,
                 start: tuple[float, float] | None) -> tuple[LiveSession, Route | None]:
    """Build a session's pipeline (RoutingError when ``start`` is given and no route exists)."""
    mapstate = app[MAP]
    to, boarding = await asyncio.to_thread(resolve_destination, app, body.to)
    end = resolve_point(mapstate, to, "to")
    dest = mapstate.places.get(to.place) if to.place is not None else None
    opts = PhraseOptions(verbosity=body.verbosity, clock_face=body.clock_face, verb=body.verb)
    nav, positioner, route = await asyncio.to_thread(
        build_guidance, mapstate, start, end, body.profile, body.lang,
        app[SETTINGS].guidance, opts, int(session_id[:8], 16),
        dest.name if dest else None)
    rate = app[SETTINGS].ws_messages_per_s
    live = LiveSession(session_id, nav, positioner, time.monotonic(),
                       api.TokenBucket(rate, max(1, int(rate))),
                       track=[] if body.keep_track else None, boarding=boarding,
                       token_hash=token_hash)
    return live, route



async def end_session(app: web.Application, live: LiveSession, expired: bool = False) -> None:
    """Forget a session; its track survives only if the walker asked for that.

    An expired copy leaves the shared descriptor alone if another process touched it since this
    one last heard from the walker: the walk goes on there (and may move on again).
    """
    untouched_since = None
    if expired:
        idle_for = time.monotonic() - live.last_active_s
        untouched_since = time.time() - idle_for + app[SESSIONS].period_s + 1.0
    await asyncio.to_thread(app[STORAGE].delete_session, live.id, untouched_since)
    await save_track_part(app, live)


async def save_track_part(app: web.Application, live: LiveSession) -> None:
    """Store what this process saw of an opted-in track (merged with other processes' parts)."""
    if live.track is not None:
        await asyncio.to_thread(app[STORAGE].save_track, live.id, live.started_ts,
                                time.time(), live.track, live.token_hash)



async def sessions_ctx(app: web.Application) -> AsyncIterator[None]:
    """Own the registry; in the background expire idle sessions, flush beacon sightings and give
    the C allocator's free pages back to the system."""
    registry = SessionRegistry(app[SETTINGS].session_idle_s)
    app[SESSIONS] = registry

    async def housekeeping() -> None:
        while True:
            await asyncio.sleep(registry.period_s)
            try:
                for s in registry.expire(time.monotonic()):
                    log.info("session expired",
                             extra={"event": "session_expired", "session": short_id(s.id)})
                    await end_session(app, s, expired=True)
                    if s.ws is not None:
                        await s.ws.close(code=4001, message=b"session expired")
                await flush_heard(app)
                await keep_descriptors_fresh(app)
            except Exception:  # noqa: BLE001 - e.g. the database is briefly away: next round
                log.exception("session housekeeping failed",
                              extra={"event": "housekeeping_failed"})

    task, trim = asyncio.create_task(housekeeping()), asyncio.create_task(release_free_heap_every())
    yield
    task.cancel()
    trim.cancel()
    await flush_heard(app)



async def keep_descriptors_fresh(app: web.Application) -> None:
    """Mark this process's sessions heard from since the last round alive in storage (an idle
    copy is not: the walker may be carrying on in another process); drop any no process has
    touched for the idle time."""
    registry, storage = app[SESSIONS], app[STORAGE]
    now, now_s = time.time(), time.monotonic()
    active = [s.id for s in registry.sessions.values()
              if now_s - s.last_active_s <= registry.period_s]
    await asyncio.to_thread(storage.touch_sessions, active, now)
    await asyncio.to_thread(storage.delete_idle_sessions, now - registry.idle_s)



async def flush_heard(app: web.Application) -> None:
    """Write when beacons were last heard in live scans (beacon health), in a worker thread."""
    registry, storage = app[SESSIONS], app[STORAGE]
    if registry.heard:
        heard, registry.heard = registry.heard, {}
        await asyncio.to_thread(storage.mark_beacons_seen, heard)
