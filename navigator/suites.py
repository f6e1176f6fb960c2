"""Tester route for a scenario suite: the YAML file ``blindpilot simulate --scenarios`` replays,
sent as it is, each walk run through the real pipeline and judged against its expectations.

The whole result comes as one JSON body; a client that asks for ``application/x-ndjson`` gets
it line by line instead, each walk's verdict as soon as that walk has run (a suite of 20 walks
takes minutes, and a tester should see it move).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import yaml
from aiohttp import web
from pydantic import BaseModel, ValidationError

from navigator import api
from navigator.keys import MAP
from navigator.mapstate import MapState
from navigator.scenarios import (
    Scenario,
    load_scenarios,
    missed_expectations,
    reasons,
    scenario_request,
)
from navigator.tester import SIMULATIONS, TESTER, SimulationRequest, simulate
from routing.paths import RoutingError

log = logging.getLogger(__name__)
routes = api.RouteTable("tester")
NDJSON = "application/x-ndjson"
#: A suite holds one slot of the simulation workers while it runs, walk after walk: this many
#: walks keep that under a couple of minutes.
MAX_WALKS = 20
MAX_SUITE_BYTES = 64 * 1024


class WalkVerdict(BaseModel):
    name: str
    passed: bool
    problems: list[str]
    metrics: dict[str, Any] | None


class SuiteResult(BaseModel):
    passed: int
    failed: int
    walks: list[WalkVerdict]


def _invalid(why: str) -> api.ApiError:
    return api.ApiError(422, "invalid_scenarios", why)


def parse_suite(raw: bytes) -> list[tuple[Scenario, SimulationRequest]]:
    """Every walk of a suite with the simulation it asks for, or 422 naming what is wrong (and
    which walk), before any walk runs."""
    try:
        scenarios = load_scenarios(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _invalid("a scenario file is UTF-8 text") from None
    except yaml.YAMLError as err:
        raise _invalid(f"not YAML: {err}") from None
    except ValueError as err:
        raise _invalid(str(err)) from None
    if not scenarios:
        raise _invalid("the suite has no walks")
    if len(scenarios) > MAX_WALKS:
        raise _invalid(f"{len(scenarios)} walks; a suite holds at most {MAX_WALKS}")
    out = []
    for number, sc in enumerate(scenarios, 1):
        try:
            out.append((sc, scenario_request(sc)))
        except ValidationError as err:
            raise _invalid(f"walk {number} ({sc.name}): {reasons(err)}") from None
    return out


Verdict = dict[str, Any]


def run_suite(mapstate: MapState, walks: list[tuple[Scenario, SimulationRequest]],
              on_walk: Callable[[Verdict], None] | None = None) -> dict[str, Any]:
    """Run the walks in order, each verdict also given to ``on_walk`` as soon as it is known; a
    walk that cannot start (no route, an unknown place) fails with the reason, and the rest still
    run."""
    verdicts: list[Verdict] = []
    for sc, req in walks:
        verdicts.append(_verdict(mapstate, sc, req))
        if on_walk is not None:
            on_walk(verdicts[-1])
    passed = sum(v["passed"] for v in verdicts)
    return {"passed": passed, "failed": len(verdicts) - passed, "walks": verdicts}


def _verdict(mapstate: MapState, sc: Scenario, req: SimulationRequest) -> Verdict:
    try:
        metrics, _ = simulate(mapstate, req)
    except (RoutingError, api.ApiError) as err:
        return {"name": sc.name, "passed": False, "problems": [str(err)], "metrics": None}
    problems = missed_expectations(sc.expect, metrics)
    return {"name": sc.name, "passed": not problems, "problems": problems, "metrics": metrics}


@routes.route("POST", "/v1/simulations/suite", role=TESTER, raw_body="application/yaml",
              response=SuiteResult, errors=(413, 422, 503),
              summary="Run a YAML scenario suite (the CLI's format); pass or fail per walk")
async def simulation_suite(request: web.Request) -> web.StreamResponse:
    app = request.app
    walks = parse_suite(await api.read_body(request, MAX_SUITE_BYTES))
    if NDJSON in request.headers.get("Accept", ""):
        return await _stream_suite(request, walks)
    return api.json_response(await app[SIMULATIONS].run(run_suite, app[MAP], walks))


async def _stream_suite(request: web.Request, walks: list[tuple[Scenario, SimulationRequest]]
                        ) -> web.StreamResponse:
    """The suite as NDJSON: ``start`` (the walks' names), one ``walk`` line per walk as it
    ends, then ``done`` with the whole result (the JSON body's fields), or ``error`` if the
    suite broke off (the status, 200, was sent with the first line). Busy is still a 503."""
    app, loop = request.app, asyncio.get_running_loop()
    ended: asyncio.Queue[Verdict | None] = asyncio.Queue()  # None: the suite is over
    suite = app[SIMULATIONS].start(run_suite, app[MAP], walks,
                                   lambda v: loop.call_soon_threadsafe(ended.put_nowait, v))
    suite.add_done_callback(lambda _: ended.put_nowait(None))  # after every verdict's put
    response = web.StreamResponse(headers={"Content-Type": NDJSON, "Cache-Control": "no-store"})
    await response.prepare(request)

    async def line(data: dict[str, Any]) -> None:
        await response.write(json.dumps(data, separators=(",", ":")).encode() + b"\n")

    total, index = len(walks), 0
    await line({"type": "start", "total": total, "names": [sc.name for sc, _ in walks]})
    while (verdict := await ended.get()) is not None:
        index += 1
        await line({"type": "walk", "index": index, "total": total, **verdict})
    try:
        last = {"type": "done", **await suite}
    except Exception:  # a fault in the walks' code: the status has long been sent
        log.exception("scenario suite broke off")
        last = {"type": "error", "error": {"code": "internal_error",
                                           "message": "the suite broke off; see the log"}}
    await line(last)
    await response.write_eof()
    return response
