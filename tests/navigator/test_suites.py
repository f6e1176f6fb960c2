"""A scenario suite over HTTP: the CLI's YAML sent as it is, pass or fail per walk, and clear
422s for a suite that cannot run."""

from __future__ import annotations

import json

from aiohttp.test_utils import TestClient

from navigator.suites import MAX_WALKS
from tests.navigator.conftest import auth

YAML = {"Content-Type": "application/yaml"}
#: Two short walks from the station: the first meets its expectations, the second cannot (a
#: clean walk with at least one off-route event), and a third starts where no path is.
SUITE = """
- name: station, a short walk
  from: [49.43666, 7.76797]
  to: [49.4381, 7.7688]
  seed: 3
  expect: {arrived: true, max_mean_error_m: 3.0, max_off_route_events: 0}
- name: expects a detour that never comes
  from: [49.43666, 7.76797]
  to: [49.4381, 7.7688]
  seed: 3
  radio: ideal
  expect: {min_off_route_events: 1}
- name: far from any path
  from: [49.40, 7.70]
  to: [49.4381, 7.7688]
"""


async def test_a_suite_says_pass_or_fail_per_walk(client: TestClient, api_keys) -> None:
    r = await client.post("/v1/simulations/suite", data=SUITE,
                          headers={**auth(api_keys["tester"]), **YAML})
    assert r.status == 200, await r.text()
    body = await r.json()
    assert (body["passed"], body["failed"]) == (1, 2)
    ok, detour, far = body["walks"]
    assert (ok["name"], ok["passed"], ok["problems"]) == ("station, a short walk", True, [])
    assert ok["metrics"]["arrived"] is True
    assert detour["passed"] is False
    assert detour["problems"] == ["off_route_events = 0 is below 1"]
    assert detour["metrics"]["mean_error_m"] == ok["metrics"]["mean_error_m"]  # the same walk
    assert far["passed"] is False and far["metrics"] is None
    assert "from" in far["problems"][0]


async def test_a_suite_that_cannot_run_is_422_naming_why(client: TestClient, api_keys) -> None:
    h = {**auth(api_keys["tester"]), **YAML}
    walk = "- {name: w, from: [49.43666, 7.76797], to: [49.4381, 7.7688]}\n"
    for data, words in ((b"- name: [unclosed", "not YAML"),
                        (b"name: not a list", "YAML list"),
                        (b"", "YAML list"),
                        (b"- {name: w, from: [1, 2]}", "to"),
                        (walk.replace("}", ", dropout: 2}").encode(), "walk 1 (w): dropout"),
                        (walk.replace("}", ", expect: {arrive: true}}").encode(), "arrive"),
                        ((walk * (MAX_WALKS + 1)).encode(), f"at most {MAX_WALKS}"),
                        (b"\xff\xfe- x", "UTF-8"),
                        (b"[" * 30_000, "nested too deeply"),
                        (b"[]", "no walks")):
        r = await client.post("/v1/simulations/suite", data=data, headers=h)
        assert r.status == 422, (data, await r.text())
        error = (await r.json())["error"]
        assert error["code"] in ("invalid_scenarios", "invalid_input"), data
        assert words in error["message"], (data, error)


async def test_a_suite_asked_for_as_ndjson_reports_each_walk_as_it_ends(
        make_client, settings, api_keys) -> None:
    """Line by line: the walks' names, then one verdict per walk in order (the first read while
    the suite still runs: another suite is refused busy then), then the same result the JSON
    body gives."""
    client = await make_client(settings.with_(simulation_workers=1))
    h = {**auth(api_keys["tester"]), **YAML}
    whole = await (await client.post("/v1/simulations/suite", data=SUITE, headers=h)).json()
    r = await client.post("/v1/simulations/suite", data=SUITE,
                          headers={**h, "Accept": "application/x-ndjson"})
    assert r.status == 200 and r.headers["Content-Type"] == "application/x-ndjson"
    lines, busy_meanwhile = [], []
    while line := await r.content.readline():
        lines.append(json.loads(line))
        if lines[-1]["type"] == "walk" and lines[-1]["index"] == 1:  # the suite holds its slot
            busy = await client.post("/v1/simulations/suite", data=SUITE, headers=h)
            busy_meanwhile.append((busy.status, (await busy.json())["error"]["code"]))
    start, *walks, done = lines
    assert start == {"type": "start", "total": 3, "names": [
        "station, a short walk", "expects a detour that never comes", "far from any path"]}
    assert [(w["type"], w["index"], w["total"]) for w in walks] == [
        ("walk", 1, 3), ("walk", 2, 3), ("walk", 3, 3)]
    assert [w["passed"] for w in walks] == [True, False, False]
    verdicts = [{k: v for k, v in w.items() if k not in ("type", "index", "total")}
                for w in walks]
    assert done == {"type": "done", **whole} and done["walks"] == verdicts
    assert busy_meanwhile == [(503, "simulations_busy")]


async def test_a_streamed_suite_is_refused_as_a_plain_error_before_any_line(
        client: TestClient, api_keys) -> None:
    r = await client.post("/v1/simulations/suite", data=b"[]", headers={
        **auth(api_keys["tester"]), **YAML, "Accept": "application/x-ndjson"})
    assert r.status == 422 and (await r.json())["error"]["code"] == "invalid_scenarios"
