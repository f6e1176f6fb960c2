"""The aiohttp application factory: shared state as AppKeys, resources as cleanup contexts."""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator

from aiohttp import web

from navigator import api, mapsync
from navigator.bluetooth import bluetooth_ctx
from navigator.keys import IMPORTS, MAP, MAP_SYNC, PLOTS, ROUTE_TABLES, SETTINGS, STORAGE
from navigator.live import inbox_ctx
from navigator.livesessions import sessions_ctx
from navigator.mapimport import ensure_default_city
from navigator.mapstate import load_map_state
from navigator.metrics import METRICS, Metrics, metrics_middleware
from navigator.routes import route_tables
from navigator.settings import Settings
from navigator.speech import voice_ctx
from navigator.storage import Storage

log = logging.getLogger(__name__)


async def _storage_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    storage = Storage(settings.database_url)
    await asyncio.to_thread(storage.migrate)
    await asyncio.to_thread(
        ensure_default_city, storage, settings.default_city, settings.default_beacon_spacing_m
    )
    app[STORAGE] = storage
    yield
    storage.close()


async def _map_ctx(app: web.Application) -> AsyncIterator[None]:
    t0 = time.perf_counter()
    storage = app[STORAGE]
    loaded = await asyncio.to_thread(storage.recent_revision_ids, mapsync.WINDOW)
    mapstate, phases = await asyncio.to_thread(load_map_state, storage)
    app[MAP] = mapstate
    log.info("map loaded", extra={"event": "map_loaded", **mapstate.counts(),
                                  **{k: round(v, 3) for k, v in phases.items()},
                                  "seconds": round(time.perf_counter() - t0, 3)})
    # the RSSI filters' library, imported after start so it does not delay it
    warm = asyncio.create_task(asyncio.to_thread(importlib.import_module, "filterpy.kalman"))
    interval = app[SETTINGS].map_sync_s
    sync = None
    if interval > 0:
        app[MAP_SYNC] = mapsync.MapSync(storage, mapstate, loaded)
        sync = asyncio.create_task(_follow_edits(app[MAP_SYNC], interval))
    yield
    if sync is not None:
        sync.cancel()
    await warm


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


def create_app(settings: Settings) -> web.Application:
    """Build the service; resources open on startup and close on cleanup, in order."""
    app = web.Application(
        middlewares=[
            metrics_middleware,
            api.error_middleware,
            api.auth_middleware(_role_of_key),
            api.rate_limit_middleware(api.TokenBucket(settings.public_rate_per_s,
                                                      settings.public_burst)),
        ],
        client_max_size=api.MAX_BODY_BYTES * 64,
    )
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    app[PLOTS] = OrderedDict()
    app[IMPORTS] = asyncio.Lock()
    app[ROUTE_TABLES] = route_tables()
    app.cleanup_ctx.extend([_storage_ctx, _map_ctx, bluetooth_ctx, voice_ctx, sessions_ctx,
                            inbox_ctx])
    for table in app[ROUTE_TABLES]:
        table.add_to(app)
    return app
