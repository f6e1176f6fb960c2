"""A scenario suite over HTTP: the CLI's YAML sent as it is, pass or fail per walk, and clear
422s for a suite that cannot run."""

from __future__ import annotations

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
