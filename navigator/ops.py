"""Ops routes: health, Prometheus metrics and the generated OpenAPI document."""

from __future__ import annotations

import asyncio
import functools
import json
from importlib.metadata import PackageNotFoundError, version
from typing import Literal

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from navigator import api
from navigator.keys import BLUETOOTH, MAP, ROUTE_TABLES, STORAGE, WORKER
from navigator.metrics import METRICS
from navigator.openapi import build_openapi
from navigator.speech import speech_engine_name

routes = api.RouteTable("ops")

try:
    VERSION = version("blindpilot")
except PackageNotFoundError:  # running from a source tree without install
    VERSION = "0.0.0+source"


class GraphCounts(BaseModel):
    nodes: int
    edges: int
    places: int
    beacons: int


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    db: Literal["ok", "error"]
    tts: str
    bluetooth: str
    graph: GraphCounts
    version: str
    worker: int = Field(description="the worker process that answered: 0..N-1 under "
                        "`serve --workers N` (each holds its own copy of the map)")


@routes.route("GET", "/health", summary="Service health, speech engine, Bluetooth and map size",
              response=Health)
async def health(request: web.Request) -> web.Response:
    app = request.app
    db_ok = await asyncio.to_thread(app[STORAGE].ping)
    body = Health(
        status="ok" if db_ok else "degraded",
        db="ok" if db_ok else "error",
        tts=speech_engine_name(app),
        bluetooth=app[BLUETOOTH],
        graph=GraphCounts(**app[MAP].counts()),
        version=VERSION,
        worker=app[WORKER],
    )
    return api.json_response(body, status=200 if db_ok else 503)


@routes.route("GET", "/metrics", summary="Prometheus metrics")
async def metrics(request: web.Request) -> web.Response:
    data = generate_latest(request.app[METRICS].registry)
    return web.Response(body=data, headers={"Content-Type": CONTENT_TYPE_LATEST})


@routes.route("GET", "/openapi.json", summary="This API's OpenAPI 3.1 description")
async def openapi(request: web.Request) -> web.Response:
    tables: list[api.RouteTable] = request.app[ROUTE_TABLES]
    return web.Response(body=openapi_document(tuple(tables)), content_type="application/json")


@functools.cache
def openapi_document(tables: tuple[api.RouteTable, ...]) -> bytes:
    """Built once per app's route tables: they never change while the process runs, and
    building it takes ~30 ms of CPU (eight clients fetching it in a loop slowed live sessions
    100-fold)."""
    return json.dumps(build_openapi(list(tables), VERSION)).encode()
