"""Tester route for a scenario suite: the YAML file ``blindpilot simulate --scenarios`` replays,
sent as it is, each walk run through the real pipeline and judged against its expectations."""

from __future__ import annotations

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

routes = api.RouteTable("tester")
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


def run_suite(mapstate: MapState, walks: list[tuple[Scenario, SimulationRequest]]
              ) -> dict[str, Any]:
    """Run the walks in order; a walk that cannot start (no route, an unknown place) fails with
    the reason, and the rest still run."""
    verdicts: list[dict[str, Any]] = []
    for sc, req in walks:
        try:
            metrics, _ = simulate(mapstate, req)
        except (RoutingError, api.ApiError) as err:
            verdicts.append({"name": sc.name, "passed": False, "problems": [str(err)],
                             "metrics": None})
            continue
        problems = missed_expectations(sc.expect, metrics)
        verdicts.append({"name": sc.name, "passed": not problems, "problems": problems,
                         "metrics": metrics})
    passed = sum(v["passed"] for v in verdicts)
    return {"passed": passed, "failed": len(verdicts) - passed, "walks": verdicts}


@routes.route("POST", "/v1/simulations/suite", role=TESTER, raw_body="application/yaml",
              response=SuiteResult, errors=(413, 422, 503),
              summary="Run a YAML scenario suite (the CLI's format); pass or fail per walk")
async def simulation_suite(request: web.Request) -> web.Response:
    app = request.app
    walks = parse_suite(await api.read_body(request, MAX_SUITE_BYTES))
    return api.json_response(await app[SIMULATIONS].run(run_suite, app[MAP], walks))
