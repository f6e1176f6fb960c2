"""The web console for mappers and testers at ``/console/``: its static files, who a key belongs
to, and the map by bounding box.

The console is a client of the mapper and tester API like any other (it edits through
``/v1/map/...`` with ``If-Match`` and simulates through ``/v1/simulations``); the two endpoints
here are the ones it needs that no other client did: the role of the key it was given, and the
map in pieces small enough for a browser on a 100k-node city.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from pydantic import BaseModel, Field, field_validator

from navigator import api
from navigator.bbox import BBox, parse_bbox
from navigator.consolemap import (
    beacon_features,
    edge_features,
    landmark_features,
    node_features,
)
from navigator.edgeindex import EdgeIndex
from navigator.keys import MAP
from navigator.mapexport import ATTRIBUTION
from navigator.mapstate import MapState
from navigator.webapp import SHELL_CACHE, add_site

STATIC_DIR = Path(__file__).resolve().parent / "static" / "console"
PREFIX = "/console/"
#: Any valid key may ask who it is (a pedestrian key learns it has no console tools).
ANY_KEY = "pedestrian"
LAYERS = frozenset({"edges", "nodes", "landmarks", "beacons"})


class EdgeIndexCache:
    """The edge index of the live map: built once per whole map, then brought up to date by the
    edits applied since (a rebuild took 0.3-1.5 s on a 101k-node city, after every edit)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: (map generation, edits applied to it, the index of that state)
        self._built: tuple[int, int, EdgeIndex] | None = None

    def get(self, mapstate: MapState) -> EdgeIndex:
        """Call with ``mapstate.lock`` held (the graph must not change while it is read)."""
        generation, count = mapstate.generation, mapstate.edit_count
        with self._lock:
            built = self._built
            if built is None or built[0] != generation:
                index = EdgeIndex.of(mapstate.graph)
            elif built[1] == count:
                return built[2]
            else:
                changes = mapstate.edits_since(built[1])
                if changes is None:
                    index = EdgeIndex.of(mapstate.graph)
                else:
                    index = built[2]
                    index.follow(mapstate.graph, changes)
            self._built = (generation, count, index)
            return index


EDGE_INDEX = web.AppKey("console_edge_index", EdgeIndexCache)


class ConsoleRoutes(api.RouteTable):
    """The console's JSON endpoints (declared like every API route) plus its static files."""

    def add_to(self, app: web.Application) -> None:
        super().add_to(app)
        app[EDGE_INDEX] = EdgeIndexCache()
        # the companion app's policy: revalidate every file, load nothing from elsewhere
        add_site(app, PREFIX, STATIC_DIR, "console", lambda path: SHELL_CACHE)


routes = ConsoleRoutes("console")


class Me(BaseModel):
    role: str
    map_bbox: list[float] | None


@routes.route("GET", "/v1/me", role=ANY_KEY, response=Me,
              summary="The role of the key sent (so a client shows only what it may do) and "
                      "the map's extent (where a client's map opens)")
async def me(request: web.Request) -> web.Response:
    app = request.app

    def extent() -> list[float] | None:
        with app[MAP].lock:
            return app[EDGE_INDEX].get(app[MAP]).extent()

    return api.json_response({"role": request[api.CALLER].role,
                              "map_bbox": await asyncio.to_thread(extent)})


class FeaturesQuery(BaseModel):
    bbox: str = Field(description="minlon,minlat,maxlon,maxlat")
    layers: str = Field(default="edges,nodes",
                        description="comma-separated: edges, nodes, landmarks, beacons")

    @field_validator("bbox")
    @classmethod
    def _box(cls, text: str) -> str:
        parse_bbox(text)
        return text

    @field_validator("layers")
    @classmethod
    def _layers(cls, text: str) -> str:
        unknown = set(text.split(",")) - LAYERS
        if unknown:
            raise ValueError(f"unknown layers {sorted(unknown)}; choose from {sorted(LAYERS)}")
        return text


@routes.route("GET", "/v1/map/features", role=api.MAPPER_OR_TESTER, query=FeaturesQuery,
              summary="The map inside a bounding box as GeoJSON (edges coloured by what a "
                      "blind walker needs, closures marked), at most 5000 edges and nodes",
              errors=(422,))
async def map_features(request: web.Request, query: FeaturesQuery) -> web.Response:
    app = request.app
    box, layers = parse_bbox(query.bbox), frozenset(query.layers.split(","))
    doc = await asyncio.to_thread(features_in_box, app[MAP], app[EDGE_INDEX], box, layers,
                                  time.time())
    # orjson: a view is ~1000 features, which the standard library takes 15 ms to write
    return web.Response(body=orjson.dumps(doc), content_type="application/geo+json")


def features_in_box(mapstate: MapState, cache: EdgeIndexCache, box: BBox,
                    layers: frozenset[str], now_ts: float) -> dict[str, Any]:
    """One FeatureCollection of the chosen layers; ``truncated`` when a limit cut one off."""
    features: list[dict[str, Any]] = []
    truncated = False
    with mapstate.lock:
        graph = mapstate.graph
        index = cache.get(mapstate)
        hits = index.within(box)
        if "edges" in layers:
            found, cut = edge_features(index, hits, mapstate.closed_edges(now_ts))
            features += found
            truncated |= cut
        if "nodes" in layers:
            found, cut = node_features(graph, index, hits, box)
            features += found
            truncated |= cut
        if "landmarks" in layers:
            features += landmark_features(list(mapstate.places.values()), box)
        if "beacons" in layers:
            found, cut = beacon_features(mapstate.beacons, box)
            features += found
            truncated |= cut
    return {"type": "FeatureCollection", "attribution": ATTRIBUTION, "truncated": truncated,
            "features": features}
