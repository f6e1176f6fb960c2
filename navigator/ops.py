"""Ops routes: health, Prometheus metrics and the generated OpenAPI document."""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Literal

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from navigator import api
from navigator import app as app_mod
from navigator.openapi import build_openapi

routes = api.RouteTable("ops")


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


@routes.route("GET", "/health", summary="Service health, speech engine, Bluetooth and map size",
              response=Health)
async def health(request: web.Request) -> web.Response:
    app = request.app
    db_ok = await asyncio.to_thread(app[app_mod.STORAGE].ping)
    body = Health(
        status="ok" if db_ok else "degraded",
        db="ok" if db_ok else "error",
        tts=app_mod.speech_engine_name(app),
        bluetooth=app[app_mod.BLUETOOTH],
        graph=GraphCounts(**app[app_mod.MAP].counts()),
        version=app_mod.VERSION,
    )
    return api.json_response(body, status=200 if db_ok else 503)


@routes.route("GET", "/metrics", summary="Prometheus metrics")
async def metrics(request: web.Request) -> web.Response:
    data = generate_latest(request.app[app_mod.METRICS].registry)
    return web.Response(body=data, headers={"Content-Type": CONTENT_TYPE_LATEST})


@routes.route("GET", "/openapi.json", summary="This API's OpenAPI 3.1 description")
async def openapi(request: web.Request) -> web.Response:
    return web.Response(body=openapi_document(), content_type="application/json")


@functools.cache
def openapi_document() -> bytes:
    """Built once: the routes never change while the process runs, and building it takes
    ~30 ms of CPU (eight clients fetching it in a loop slowed live sessions 100-fold)."""
    return json.dumps(build_openapi(app_mod.route_tables(), app_mod.VERSION)).encode()
