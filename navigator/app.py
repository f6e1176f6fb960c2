"""The aiohttp application factory: shared state as AppKeys, resources as cleanup contexts."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial

from aiohttp import web

from navigator import api, mapsync
from navigator.bluetooth import bluetooth_ctx
from navigator.clients import FailedKeys
from navigator.handover import claims_ctx
from navigator.keys import (
    IMPORTS,
    MAP,
    MAP_SYNC,
    PLOTS,
    ROUTE_TABLES,
    SETTINGS,
    STORAGE,
    WORKER,
)
from navigator.live import inbox_ctx
from navigator.livesessions import sessions_ctx
from navigator.mapimport import ensure_default_city
from navigator.mapstate import MapState, load_map_state
from navigator.metrics import METRICS, Metrics, metrics_middleware
from navigator.routes import route_tables
from navigator.settings import Settings
from navigator.speech import voice_ctx
from navigator.storage import Storage
from navigator.tester import simulations_ctx
from navigator.transit import transit_ctx

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LoadedService:
    """What a process holds before it can serve: the storage (migrated, the default city in it)
    and the live map, with the audit-log revisions read just before the map (for map sync)."""

    storage: Storage
    mapstate: MapState
    revisions: list[int]


def load_service(settings: Settings) -> LoadedService:
    """Open the storage and load the map (seconds on a big city). ``serve --workers`` runs this
    once and forks the workers after it, so they share the map's memory."""
    storage = Storage(settings.database_url)
    try:
        storage.migrate()
        ensure_default_city(storage, settings.default_city, settings.default_beacon_spacing_m)
        t0 = time.perf_counter()
        revisions = storage.recent_revision_ids(mapsync.WINDOW)
        mapstate, phases = load_map_state(storage)
    except BaseException:
        storage.close()
        raise
    log.info("map loaded", extra={"event": "map_loaded", **mapstate.counts(),
                                  **{k: round(v, 3) for k, v in phases.items()},
                                  "seconds": round(time.perf_counter() - t0, 3)})
    return LoadedService(storage, mapstate, revisions)


async def _service_ctx(app: web.Application, loaded: LoadedService | None
                       ) -> AsyncIterator[None]:
    """The storage and the live map (loaded here unless ``loaded`` was, before a fork), and the
    task that follows other processes' map edits."""
    if loaded is None:
        loaded = await asyncio.to_thread(load_service, app[SETTINGS])
    app[STORAGE], app[MAP] = loaded.storage, loaded.mapstate
    interval = app[SETTINGS].map_sync_s
    sync = None
    if interval > 0:
        app[MAP_SYNC] = mapsync.MapSync(loaded.storage, loaded.mapstate, loaded.revisions)
        sync = asyncio.create_task(_follow_edits(app[MAP_SYNC], interval))
    yield
    if sync is not None:
        sync.cancel()
    loaded.storage.close()


async def _follow_edits(sync: mapsync.MapSync, interval_s: float) -> None:
    """Apply other processes' map edits every ``interval_s`` until cancelled."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            await asyncio.to_thread(sync.poll)
        except Exception:  # noqa: BLE001 - e.g. the database is briefly away: try again later
            log.exception("map sync failed", extra={"event": "map_sync_failed"})


async def _role_of_key(app: web.Application, key: str) -> tuple[str, str] | None:
    return await asyncio.to_thread(app[STORAGE].role_of_key, key)


def create_app(settings: Settings, loaded: LoadedService | None = None, worker: int = 0
               ) -> web.Application:
    """Build the service; resources open on startup and close on cleanup, in order. ``loaded``:
    storage and map already loaded (by :func:`load_service`, in a ``serve --workers`` parent);
    ``worker``: this process's index among the workers."""
    bucket = api.TokenBucket(settings.public_rate_per_s, settings.public_burst)
    app = web.Application(
        middlewares=[
            metrics_middleware,
            api.error_middleware,
            api.client_middleware(settings.trusted_proxies),
            api.auth_middleware(_role_of_key, bucket, FailedKeys()),
            api.rate_limit_middleware(bucket),
        ],
        client_max_size=api.MAX_BODY_BYTES,  # bodies are read by api.read_body, with limits
    )
    app[SETTINGS] = settings
    app[WORKER] = worker
    app[api.BODY_TIMEOUT_S] = settings.body_timeout_s
    app[METRICS] = Metrics()
    app[PLOTS] = OrderedDict()
    app[IMPORTS] = asyncio.Lock()
    app[ROUTE_TABLES] = route_tables()
    app.cleanup_ctx.extend([partial(_service_ctx, loaded=loaded), bluetooth_ctx, voice_ctx,
                            sessions_ctx, inbox_ctx, claims_ctx, simulations_ctx, transit_ctx])
    for table in app[ROUTE_TABLES]:
        table.add_to(app)
    return app
