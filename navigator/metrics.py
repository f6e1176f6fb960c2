"""Prometheus metrics of the HTTP layer: the instruments of one app and the middleware that
feeds them."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram

from navigator import api
from navigator.api import Handler


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


METRICS = web.AppKey("metrics", Metrics)


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count every request and time it, labelled by the route's canonical path."""
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
