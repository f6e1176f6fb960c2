"""Scenario files: a YAML suite of simulated walks with the expectations each must meet.

```yaml
- name: station to market, noisy
  from: [49.43666, 7.76797]
  to: [49.4432, 7.7717]
  profile: blind_cane      # optional, as are the simulation options below
  seed: 3
  noise_db: 6
  expect: {arrived: true, max_mean_error_m: 2.0, max_p90_error_m: 4.0, max_off_route_events: 0}
```
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from navigator.mapstate import MapState
from navigator.tester import SimulationRequest, simulate


class Expectation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    arrived: bool | None = None
    max_mean_error_m: float | None = None
    max_p90_error_m: float | None = None
    max_off_route_events: int | None = None
    min_off_route_events: int | None = None
    min_location_unavailable_events: int | None = None


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str
    from_: tuple[float, float] = Field(alias="from")
    to: tuple[float, float]
    options: dict[str, Any] = Field(default_factory=dict)
    expect: Expectation = Field(default_factory=Expectation)


def load_scenarios(text: str) -> list[Scenario]:
    """Parse a suite; the simulation options sit beside name/from/to/expect. Raises
    ``yaml.YAMLError``, or ``ValueError`` naming what is wrong on one line."""
    try:
        raw = yaml.safe_load(text)
    except RecursionError:  # the YAML parser recurses per level: 64 KiB of "[" is too deep
        raise ValueError("nested too deeply for a scenario file") from None
    if not isinstance(raw, list):
        raise ValueError("a scenario file is a YAML list of walks")
    known = {"name", "from", "to", "expect"}
    items = [{**{k: v for k, v in item.items() if k in known},
              "options": {k: v for k, v in item.items() if k not in known}}
             for item in raw if isinstance(item, dict)]
    if len(items) != len(raw):
        raise ValueError("every scenario must be a mapping with name, from and to")
    try:
        return TypeAdapter(list[Scenario]).validate_python(items)
    except ValidationError as err:
        raise ValueError(reasons(err)) from None


def reasons(err: ValidationError) -> str:
    """A validation error on one line: where, and what is wrong there."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'walk'}: {e['msg']}"
                     for e in err.errors())


def scenario_request(sc: Scenario) -> SimulationRequest:
    """The simulation a scenario asks for (its options checked as the API checks them)."""
    return SimulationRequest.model_validate({
        "from": {"lat": sc.from_[0], "lon": sc.from_[1]},
        "to": {"lat": sc.to[0], "lon": sc.to[1]}, "plot": False, **sc.options})


def missed_expectations(e: Expectation, metrics: dict[str, Any]) -> list[str]:
    """What a walk's metrics miss of its expectations, one sentence each (none: it passed)."""
    problems = []
    if e.arrived is not None and metrics["arrived"] != e.arrived:
        problems.append(f"arrived is {metrics['arrived']}, expected {e.arrived}")
    for field, key, worse in (("max_mean_error_m", "mean_error_m", "above"),
                              ("max_p90_error_m", "p90_error_m", "above"),
                              ("max_off_route_events", "off_route_events", "above"),
                              ("min_off_route_events", "off_route_events", "below"),
                              ("min_location_unavailable_events",
                               "location_unavailable_events", "below")):
        bound, value = getattr(e, field), metrics[key]
        if bound is None:
            continue
        if value is None or (value > bound if worse == "above" else value < bound):
            problems.append(f"{key} = {value} is {worse} {bound}")
    return problems


def run_scenario(mapstate: MapState, sc: Scenario) -> tuple[list[str], dict[str, Any]]:
    """Run one walk; return the expectations it missed (empty when it passed) and its metrics."""
    metrics, _ = simulate(mapstate, scenario_request(sc))
    return missed_expectations(sc.expect, metrics), metrics
