"""Tester routes (role tester or admin): simulated walks through the real pipeline, with plots."""

from __future__ import annotations

import asyncio
import math
import statistics
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, Field, model_validator

from navigator import api
from navigator.keys import MAP, PLOTS, SETTINGS
from navigator.mapstate import MapState
from navigator.routeplan import resolve_point
from navigator.schemas import RouteRequest
from navigator.simulation import SimulationResult, WalkOptions, run_simulation
from routing.geojson import route_geometry
from routing.paths import RoutingError

routes = api.RouteTable("tester")
TESTER = "tester"
KEPT_PLOTS = 64
T = TypeVar("T")


class SimulationPool:
    """Simulations run on threads of their own, at most ``workers`` at a time; one more is
    refused at once (503 with Retry-After), never queued.

    Reported: six slow walks on the shared default executor (six threads on two cores) made
    every /health, route and key lookup wait 71 s behind them.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.running = 0
        self._executor = ThreadPoolExecutor(max_workers=workers,
                                            thread_name_prefix="simulation")
        self._recent_s: deque[float] = deque([10.0], maxlen=8)

    def retry_after_s(self) -> int:
        """A guess at when a worker is free: how long recent simulations took."""
        return max(1, math.ceil(statistics.median(self._recent_s)))

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await self.start(fn, *args)

    def start(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Take a worker now (503 at once when none is free) and run ``fn`` on it: a caller
        that streams what ``fn`` reports learns it is busy before it has answered anything."""
        if self.running >= self.workers:
            wait = self.retry_after_s()
            raise api.ApiError(503, "simulations_busy",
                               f"{self.workers} simulations are running; try again in {wait} s",
                               headers={"Retry-After": str(wait)})
        self.running += 1
        return asyncio.ensure_future(self._on_worker(fn, *args))

    async def _on_worker(self, fn: Callable[..., T], *args: Any) -> T:
        t0 = time.monotonic()
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        finally:
            self.running -= 1
            self._recent_s.append(time.monotonic() - t0)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


SIMULATIONS = web.AppKey("simulations", SimulationPool)


async def simulations_ctx(app: web.Application) -> AsyncIterator[None]:
    """Own the simulation workers (``BLINDPILOT_SIMULATIONS`` of them)."""
    app[SIMULATIONS] = SimulationPool(app[SETTINGS].simulation_workers)
    yield
    app[SIMULATIONS].close()


class SimulationRequest(RouteRequest):
    """The options of ``blindpilot simulate``, as JSON: a route request plus the world's."""

    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    #: ideal: the positioner's own law (noise_db, dropout, dead apply); harsh: the honest radio
    #: world, drawn by the seed (README "Radio world").
    radio: Literal["ideal", "harsh"] = "ideal"
    gnss: bool = False
    noise_db: float = Field(default=4.0, ge=0, le=20)
    dropout: float = Field(default=0.1, ge=0, le=0.95)
    dead: float = Field(default=0.0, ge=0, le=1)
    speed_mps: float = Field(default=1.2, gt=0.2, le=3)
    wrong_turn_at_m: float | None = Field(default=None, ge=0)
    outage_from_m: float | None = Field(default=None, ge=0)
    outage_to_m: float | None = Field(default=None, ge=0)
    #: The walker waits when told to wait and slows down when told to (``WalkOptions.heeds``).
    heeds: bool = False
    plot: bool = True
    #: The walk itself for a replay (the console's timeline): truth, fixes and what was said.
    trace: bool = False

    @model_validator(mode="after")
    def _outage(self) -> SimulationRequest:
        a, b = self.outage_from_m, self.outage_to_m
        if (a is None) != (b is None) or (a is not None and b is not None and b <= a):
            raise ValueError("give both outage_from_m and outage_to_m, with to > from")
        return self


class SimulationMetrics(BaseModel):
    arrived: bool
    mean_error_m: float | None
    p90_error_m: float | None
    fixes: int
    off_route_events: int
    location_unavailable_events: int
    instructions: list[dict[str, Any]]
    duration_s: float
    silenced_beacons: int
    world: dict[str, Any]
    guidance: dict[str, Any]


class SimulationTrace(BaseModel):
    """One walk second by second: ``truth`` ``[t, lat, lon]``, ``fixes`` ``[t, lat, lon,
    error_m]``, ``events`` (instructions, off-route, re-routes, arrival) with their ``t``."""

    route: dict[str, Any]
    truth: list[list[float]]
    fixes: list[list[float]]
    events: list[dict[str, Any]]


class SimulationOut(BaseModel):
    id: str
    metrics: SimulationMetrics
    plot_url: str | None
    trace: SimulationTrace | None = None


def walk_trace(result: SimulationResult) -> dict[str, Any]:
    """The body of ``trace``: positions rounded to ~1 cm, fix events kept as positions only."""
    fixes = [e for e in result.events if e["type"] == "fix" and e["available"]]
    return {
        "route": route_geometry(result.route),
        "truth": [[t, round(la, 7), round(lo, 7)]
                  for t, (la, lo) in zip(result.truth_t, result.truth, strict=True)],
        "fixes": [[e["t"], round(e["lat"], 7), round(e["lon"], 7), round(err, 2)]
                  for e, err in zip(fixes, result.errors_m, strict=True)],
        "events": [e for e in result.events if e["type"] != "fix"],
    }


def simulate(mapstate: MapState, req: SimulationRequest) -> tuple[dict[str, Any], bytes | None]:
    """Run one walk and return (metrics, PNG or None); the CLI and the API share this.
    With ``req.trace`` the metrics carry the walk under ``"trace"`` (see :func:`walk_trace`)."""
    # imported only to draw: matplotlib adds a second to the start of every process otherwise
    from navigator.plotting import plot_simulation

    start = resolve_point(mapstate, req.from_, "from")
    end = resolve_point(mapstate, req.to, "to")
    walk = WalkOptions(seed=req.seed, radio=req.radio, gnss=req.gnss, noise_db=req.noise_db,
                       dropout=req.dropout, dead=req.dead, speed_mps=req.speed_mps,
                       wrong_turn_at_m=req.wrong_turn_at_m, outage_from_m=req.outage_from_m,
                       outage_to_m=req.outage_to_m, heeds=req.heeds)
    result = run_simulation(mapstate, start, end, req.profile, req.lang, walk)
    png = (plot_simulation(result, mapstate.graph, f"{req.profile}, seed {req.seed}")
           if req.plot else None)
    metrics = result.metrics()
    if req.trace:
        metrics["trace"] = walk_trace(result)
    return metrics, png


@routes.route("POST", "/v1/simulations", role=TESTER, body=SimulationRequest,
              response=SimulationOut, summary="Simulate a walk through the real pipeline",
              errors=(422, 503))
async def create_simulation(request: web.Request, body: SimulationRequest) -> web.Response:
    app = request.app
    try:
        metrics, png = await app[SIMULATIONS].run(simulate, app[MAP], body)
    except RoutingError as err:
        raise api.ApiError(422, err.code, str(err)) from None
    sim_id = uuid.uuid4().hex
    plot_url = None
    if png is not None:
        plots = app[PLOTS]
        plots[sim_id] = png
        while len(plots) > KEPT_PLOTS:
            plots.popitem(last=False)
        plot_url = f"/v1/simulations/{sim_id}/plot.png"
    trace = metrics.pop("trace", None)
    return api.json_response({"id": sim_id, "metrics": metrics, "plot_url": plot_url,
                              "trace": trace}, status=200)


@routes.route("GET", "/v1/simulations/{id}/plot.png", role=TESTER,
              summary="The PNG plot of a recent simulation", errors=(404,))
async def simulation_plot(request: web.Request) -> web.Response:
    png = request.app[PLOTS].get(request.match_info["id"])
    if png is None:
        raise api.ApiError(404, "unknown_simulation", "no recent simulation with this id")
    return web.Response(body=png, content_type="image/png")
