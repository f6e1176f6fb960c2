"""The aiohttp application factory: shared state as AppKeys, resources as cleanup contexts."""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram

from navigator import api, mapsync
from navigator.clients import FailedKeys
from navigator.mapimport import ensure_default_city
from navigator.mapstate import MapState, load_map_state
from navigator.settings import Settings
from navigator.storage import Storage
from voice.service import VoiceService, build_voice_service
from voice.speaker import SpeechUnavailable

log = logging.getLogger(__name__)

try:
    VERSION = version("blindpilot")
except PackageNotFoundError:  # running from a source tree without install
    VERSION = "0.0.0+source"


class Metrics:
    """Prometheus instruments of one app (own registry, so several apps can live in one test)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "blindpilot_http_requests", "HTTP requests", ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "blindpilot_http_request_seconds", "HTTP request latency", ["route"],
            registry=self.registry,
        )


SETTINGS = web.AppKey("settings", Settings)
STORAGE = web.AppKey("storage", Storage)
MAP = web.AppKey("map", MapState)
METRICS = web.AppKey("metrics", Metrics)
BLUETOOTH = web.AppKey("bluetooth", str)
VOICE = web.AppKey("voice", VoiceService)
BACKGROUND = web.AppKey("background", set[asyncio.Task[Any]])
#: PNG plots of recent simulations, by id (kept in memory, newest last).
PLOTS = web.AppKey("plots", OrderedDict)
#: Held by a running map import: imports are parsed and swapped in one at a time.
IMPORTS = web.AppKey("imports", asyncio.Lock)
#: Present when following other processes' map edits (``map_sync_s`` > 0).
MAP_SYNC = web.AppKey("map_sync", mapsync.MapSync)


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


async def _bluetooth_ctx(app: web.Application) -> AsyncIterator[None]:
    app[BLUETOOTH] = "not_probed"
    if app[SETTINGS].bluetooth_probe:
        from beacons.bleak_source import bluetooth_state

        app[BLUETOOTH] = await bluetooth_state()
    yield


async def _voice_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    service = await asyncio.to_thread(build_voice_service, settings.audio_dir,
                                      settings.audio_cache_bytes, speech=settings.speech)
    app[VOICE] = service
    app[BACKGROUND] = set()
    yield
    pending: set[asyncio.Task[Any]] = app[BACKGROUND]
    for task in list(pending):
        task.cancel()
    await asyncio.to_thread(service.close)


def mark_applied(app: web.Application, revision_ids: list[int]) -> None:
    """Tell map sync (if on) that this process already has these revisions in its live map."""
    sync = app.get(MAP_SYNC)
    if sync is not None:
        sync.mark_applied(revision_ids)


def voice_of(app: web.Application) -> VoiceService | None:
    """The voice service when it can speak; None means text-only (no audio URLs)."""
    voice = app[VOICE]
    return voice if voice.speaker.available else None


def speech_engine_name(app: web.Application) -> str:
    return app[VOICE].tts


def audio_url(voice: VoiceService, text: str, lang: str) -> str | None:
    """Where a sentence's audio will be (synthesised on first fetch if not pre-warmed)."""
    try:
        return f"/v1/audio/{voice.key_of(text, lang)}.wav"
    except (SpeechUnavailable, ValueError):
        return None


def prewarm(app: web.Application, texts: list[tuple[str, str]]) -> None:
    """Synthesise a planned route's sentences in the background, first one first."""
    voice = voice_of(app)
    if voice is None or not texts:
        return
    task = asyncio.create_task(voice.prewarm(texts))
    app[BACKGROUND].add(task)
    task.add_done_callback(app[BACKGROUND].discard)


@web.middleware
async def _metrics_middleware(request: web.Request, handler: api.Handler) -> web.StreamResponse:
    metrics = request.app[METRICS]
    route = request.match_info.route.resource
    name = route.canonical if route is not None else "unmatched"
    t0 = time.perf_counter()
    status = 500
    try:
        resp = await handler(request)
        status = resp.status
        return resp
    except asyncio.CancelledError:  # the client left and its handler was cancelled
        status = api.CLIENT_CLOSED
        raise
    finally:
        metrics.requests.labels(request.method, name, str(status)).inc()
        metrics.latency.labels(name).observe(time.perf_counter() - t0)


def route_tables() -> list[api.RouteTable]:
    """Every area's routes; the auth test walks this same list."""
    from navigator import live, mapper, ops, pedestrian, tester

    return [ops.routes, pedestrian.routes, live.routes, mapper.routes, tester.routes,
            mapper.admin_routes]


async def _role_of_key(app: web.Application, key: str) -> tuple[str, str] | None:
    return await asyncio.to_thread(app[STORAGE].role_of_key, key)


def create_app(settings: Settings) -> web.Application:
    """Build the service; resources open on startup and close on cleanup, in order."""
    bucket = api.TokenBucket(settings.public_rate_per_s, settings.public_burst)
    app = web.Application(
        middlewares=[
            _metrics_middleware,
            api.error_middleware,
            api.client_middleware(settings.trusted_proxies),
            api.auth_middleware(_role_of_key, bucket, FailedKeys()),
            api.rate_limit_middleware(bucket),
        ],
        client_max_size=api.MAX_BODY_BYTES,  # bodies are read by api.read_body, with limits
    )
    app[SETTINGS] = settings
    app[api.BODY_TIMEOUT_S] = settings.body_timeout_s
    app[METRICS] = Metrics()
    app[PLOTS] = OrderedDict()
    app[IMPORTS] = asyncio.Lock()

    from navigator.live import sessions_ctx
    from navigator.tester import simulations_ctx

    app.cleanup_ctx.extend([_storage_ctx, _map_ctx, _bluetooth_ctx, _voice_ctx,
                            sessions_ctx, simulations_ctx])
    for table in route_tables():
        table.add_to(app)
    return app
