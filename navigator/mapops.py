"""Mappers' operations on more than one object: an edge split, OSM import, GeoJSON export,
validation, beacon planning and beacon health. (Single map objects are edited through
:mod:`navigator.mapper`.)"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field

from beacons.coverage import beacons_far_from_edges, uncovered_decision_points
from beacons.planning import path_length_km, plan_layout
from navigator import api
from navigator.bbox import parse_bbox
from navigator.exportchild import ExportFailed, ExportUnavailable, export_bytes
from navigator.importjob import COMMIT_TIMEOUT_S, ImportFailed, ImportJob, run_import
from navigator.keys import IMPORTS, MAP, SETTINGS, STORAGE
from navigator.mapedits import commit_all, entity_id, if_match, mark_applied
from navigator.mapper import MAPPER, beacon_public
from navigator.mapschemas import Strict
from navigator.schemas import placement_json
from navigator.storage import MapEditor, Storage
from navigator.storage.importlock import RETRY_S
from navigator.transit import unmatched_stops
from routing import validation

log = logging.getLogger(__name__)
routes = api.RouteTable("mapper")


class EdgeSplit(Strict):
    fraction: float = Field(
        default=0.5, gt=0, lt=1, description="where the new node goes, from u (0) to v (1)"
    )


@routes.route(
    "POST",
    "/v1/map/edges/{id}/split",
    role=MAPPER,
    summary="Split an edge by a new node; both halves keep its tags (If-Match optional)",
    body=EdgeSplit,
    status=201,
    errors=(400, 404, 412, 422),
)
async def split_edge(request: web.Request, body: EdgeSplit) -> web.Response:
    editor = MapEditor(request.app[STORAGE])
    node, first, second, _ = await commit_all(
        request,
        editor.split_edge,
        entity_id(request),
        body.fraction,
        if_match(request, required=False),
    )
    return api.json_response(
        {"node": node.after, "edges": [first.after, second.after]}, status=201
    )


class ImportQuery(BaseModel):
    replace: bool = False


class ImportResult(BaseModel):
    nodes: int
    edges: int
    places: int


_OSM_SUFFIX = {b"\x1f\x8b": ".osm.gz", b"BZ": ".osm.bz2", b"<?": ".osm", b"<o": ".osm"}


@routes.route(
    "POST",
    "/v1/map/import",
    role=MAPPER,
    query=ImportQuery,
    raw_body="application/octet-stream",
    response=ImportResult,
    summary="Import an OSM file (.osm, .gz, .bz2, .pbf) as the map",
    errors=(409, 413, 422, 503),
)
async def import_map(request: web.Request, query: ImportQuery) -> web.Response:
    app = request.app
    storage, mapstate, settings = app[STORAGE], app[MAP], app[SETTINGS]
    data = await api.read_body(request, int(settings.import_upload_mb * 1024 * 1024))
    if not data:
        raise api.ApiError(422, "invalid_osm", "the request body must be an OSM file")
    suffix = _OSM_SUFFIX.get(data[:2], ".osm.pbf")
    # one import at a time, here and in every other process on the database: two parsing at
    # once double the memory, and they would commit in whichever order they finish parsing
    async with app[IMPORTS]:
        async with _imports_locked(storage, settings.import_timeout_s + COMMIT_TIMEOUT_S):
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"upload{suffix}"
                path.write_bytes(data)
                del data
                counts = await _run_job(request, ImportJob(
                    storage.url, str(path), query.replace, request[api.CALLER].actor,
                    settings.import_limits, settings.import_memory_mb))
        # map sync may have reloaded it already (then nothing is read again)
        held = await asyncio.to_thread(mapstate.reload, storage.load_map, [counts.pop("revision")])
    # the reload holds these: no second one from sync
    mark_applied(app, held)
    return api.json_response(counts)


async def _run_job(request: web.Request, job: ImportJob) -> dict[str, int]:
    """The import's counts, or its refusal as an API error."""
    app = request.app
    try:
        return await run_import(job, app[SETTINGS].import_timeout_s)
    except ImportFailed as err:
        if err.committing:  # cut off while committing: load whatever is stored now
            await asyncio.to_thread(app[MAP].reload, app[STORAGE].load_map)
        raise api.ApiError(err.status, err.code, str(err)) from None


@asynccontextmanager
async def _imports_locked(storage: Storage, wait_s: float) -> AsyncIterator[None]:
    """Hold the import lock of every process (:mod:`navigator.storage.importlock`), asking
    again every :data:`RETRY_S` off the event loop; 503 when another import held it ``wait_s``
    (longer than any import may take)."""
    deadline = time.monotonic() + wait_s
    while (held := await asyncio.to_thread(storage.try_lock_imports)) is None:
        if time.monotonic() >= deadline:
            raise api.ApiError(503, "import_busy", "another map import is still running",
                               headers={"Retry-After": "10"})
        await asyncio.sleep(RETRY_S)
    try:
        yield
    finally:
        await asyncio.to_thread(held.release)


class ExportQuery(BaseModel):
    bbox: str | None = Field(default=None, description="minlon,minlat,maxlon,maxlat (WGS84): "
                             "only what lies in this box, and the edges with an end in it")


@routes.route(
    "GET",
    "/v1/map/export.geojson",
    role=MAPPER,
    query=ExportQuery,
    errors=(422, 503),
    summary="The map as GeoJSON (nodes, edges with attributes, landmarks, beacons), streamed; "
            "all of it or one bbox",
)
async def export_map(request: web.Request, query: ExportQuery) -> web.StreamResponse:
    try:
        bbox = parse_bbox(query.bbox) if query.bbox is not None else None
    except ValueError as err:
        raise api.ApiError(422, "invalid_input", f"bbox: {err}") from None
    response = web.StreamResponse(headers={"Content-Type": "application/geo+json"})
    response.enable_chunked_encoding()
    try:
        # made by a child process (its own core and GIL) from one database snapshot and written
        # as it comes: while the client is behind, the child waits too, so memory stays bounded
        async with export_bytes(request.app[STORAGE].url, bbox) as export:
            response.headers["X-Map-Revision"] = str(export.revision)
            await response.prepare(request)
            async for chunk in export.chunks:
                await response.write(chunk)
            await response.write_eof()
    except ExportUnavailable as err:
        raise api.ApiError(503, "export_unavailable", str(err),
                           headers={"Retry-After": "10"}) from err
    except ConnectionResetError:  # the client left mid-way: nothing more to send, no bug
        log.info("export abandoned by the client", extra={"event": "client_disconnected",
                                                          "path": request.path})
    except ExportFailed as err:
        log.error("export failed", extra={"event": "export_failed", "error": str(err)})
        if request.transport is not None:  # cut off, not ended: the client sees it failed
            request.transport.close()
    return response


@routes.route(
    "GET",
    "/v1/map/validation",
    role=MAPPER,
    summary="What to fix: islands, missing tags, unknown signals, beacon coverage",
)
async def validate_map(request: web.Request) -> web.Response:
    app = request.app
    mapstate = app[MAP]

    def run() -> dict[str, Any]:
        with mapstate.lock:
            graph, pmap = mapstate.graph, mapstate.positioning_map()
            missing_count, missing = validation.edges_missing_tags(graph)
            report = {
                "disconnected_components": validation.disconnected_components(graph),
                "edges_missing_tags": {"count": missing_count, "first": missing},
                "crossings_without_signal_info": validation.crossings_without_signal_info(graph),
                "beacons_far_from_edges": beacons_far_from_edges(pmap),
                "decision_points_without_beacon": uncovered_decision_points(graph, pmap),
            }
        return {**report, "transit_stops_unmatched": unmatched_stops(app)}

    return api.json_response(await asyncio.to_thread(run))


class BeaconPlanRequest(Strict):
    mode: Literal["dense", "decision-points"] = "dense"
    spacing_m: float = Field(default=10.0, ge=1, le=200)
    measured_power: float = Field(default=-59.0, ge=-127, le=20)
    apply: bool = False


@routes.route(
    "POST",
    "/v1/map/beacon-plan",
    role=MAPPER,
    body=BeaconPlanRequest,
    summary="Propose (or store, with apply) a beacon layout",
)
async def beacon_plan(request: web.Request, body: BeaconPlanRequest) -> web.Response:
    app = request.app
    mapstate, storage = app[MAP], app[STORAGE]

    def plan() -> tuple[list[Any], float]:
        with mapstate.lock:
            return (plan_layout(mapstate.graph, body.mode, body.spacing_m,
                                list(mapstate.places.values()), body.measured_power),
                    path_length_km(mapstate.graph))

    layout, path_km = await asyncio.to_thread(plan)
    if body.apply:
        revision = await asyncio.to_thread(storage.replace_beacons, layout,
                                           actor=request[api.CALLER].actor)
        mapstate.set_beacons(layout)
        mark_applied(app, [revision])
    return api.json_response(
        {
            "applied": body.apply,
            "mode": body.mode,
            "count": len(layout),
            "path_km": round(path_km, 2),
            "per_km": round(len(layout) / path_km, 1) if path_km else None,
            "beacons": [placement_json(p) for p in layout],
        }
    )


class HealthQuery(BaseModel):
    silent_hours: float = Field(default=24.0, gt=0, le=24 * 365)
    silent_only: bool = False
    limit: int = Field(default=10_000, ge=1, le=10_000)
    offset: int = Field(default=0, ge=0, le=2**31)


@routes.route(
    "GET",
    "/v1/beacons/health",
    role=MAPPER,
    query=HealthQuery,
    summary="Last seen, battery and temperature per beacon; silent ones first. Paged by "
            "limit/offset; X-Total-Count and X-Silent-Count give the totals",
)
async def beacons_health(request: web.Request, query: HealthQuery) -> web.Response:
    now = time.time()
    rows, total, silent = await asyncio.to_thread(
        request.app[STORAGE].beacon_health, now - query.silent_hours * 3600,
        silent_only=query.silent_only, limit=query.limit, offset=query.offset)
    out = []
    for row in rows:
        seen = row["last_seen_ts"]
        item = beacon_public(row)
        item["silent"] = bool(row["silent"])
        item["silent_for_h"] = None if seen is None else round((now - seen) / 3600, 2)
        out.append(item)
    return api.json_response(out, headers={"X-Total-Count": str(total),
                                           "X-Silent-Count": str(silent)})
