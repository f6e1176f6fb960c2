"""Schemathesis against the generated /openapi.json: no 5xx anywhere, declared statuses only.

The app runs in-process on a real loopback port (its own event loop in a thread), so the
rate limiter can be opened up through Settings and a 500's traceback lands in this test's log.
Every operation is fuzzed twice: anonymously (staff routes must answer 401, public ones must
validate) and with an admin key (so mapper/tester/admin routes are exercised for real). Key
revocation is fuzzed against a server of its own, with a fresh admin key per case: a fuzzed id
may name any key, and revoking the shared admin key made every later case of this file a 401.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.parameters import ParameterLocation

from navigator.app import create_app
from navigator.openapi import build_openapi
from navigator.ops import VERSION
from navigator.routes import route_tables
from navigator.storage import Storage
from tests.navigator.conftest import LiveServer, copy_city, create_keys, make_settings

#: Examples per operation and caller; the whole file stays well under 90 s on two busy cores.
#: ``BLINDPILOT_FUZZ_EXAMPLES=200`` makes a longer hunt by hand.
MAX_EXAMPLES = int(os.environ.get("BLINDPILOT_FUZZ_EXAMPLES", "20"))
#: POST /v1/map/import replaces the whole map; a couple of (garbage) uploads are enough.
IMPORT_EXAMPLES = 3


@schemathesis.check
def no_undeclared_server_error(ctx: Any, response: Any, case: Any) -> None:
    """No 5xx unless the operation declares it (a text-only server's 503 for speech is the
    contract); a 500 is never declared, so every crash fails here."""
    status = response.status_code
    if status >= 500 and str(status) not in case.operation.definition.raw["responses"]:
        raise AssertionError(f"server error {status}: {response.text[:500]}")


@schemathesis.check
def invalid_input_rejected(ctx: Any, response: Any, case: Any) -> None:
    """Schemathesis' negative_data_rejection, except for unknown (or empty-named) query
    parameters and headers: like most HTTP APIs this one ignores what it does not know, and
    the OpenAPI document cannot say otherwise for query strings."""
    declared = {p["name"] for p in case.operation.definition.raw.get("parameters", [])
                if p["in"] == "query"}
    if any(name not in declared for name in case.query or {}):
        return
    meta = case.meta
    if meta is not None:
        negative = {loc for loc, info in meta.components.items() if info.mode.is_negative}
        if negative and negative <= {ParameterLocation.HEADER}:
            return
    negative_data_rejection(ctx, response, case)


CHECKS = [no_undeclared_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, invalid_input_rejected]
HYPOTHESIS = settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))

SCHEMA = schemathesis.openapi.from_dict(build_openapi(route_tables(), VERSION))
#: The WebSocket route answers 404 for unknown ids without an upgrade; fuzzing it adds nothing.
#: Revoking a key is fuzzed on its own server (REVOKE): the fuzzed id can be that of this file's
#: shared admin key (ids are small integers), and every case after it then met 401.
FUZZED = (SCHEMA.exclude(path="/v1/map/import").exclude(path_regex=r"/ws$")
          .exclude(method="DELETE", path="/v1/keys/{id}"))
REVOKE = SCHEMA.include(method="DELETE", path="/v1/keys/{id}")
IMPORT = SCHEMA.include(path="/v1/map/import")
#: get/patch/delete of one map object: random ids only ever reach the 404 branch, so these are
#: fuzzed a second time against rows that exist, with their current revision as If-Match.
ITEMS = SCHEMA.include(path_regex=r"^/v1/map/\w+/\{id\}$")


@pytest.fixture(scope="module")
def live(city_db_template: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[str, dict[str, str]]]:
    """(base URL, role -> key) of one server shared by every fuzzed operation of this file."""
    tmp = tmp_path_factory.mktemp("fuzz")
    url = copy_city(city_db_template, tmp)
    keys = create_keys(url)
    with LiveServer(create_app(make_settings(url, tmp, default_city=None))) as server:
        yield server.base_url, keys


@pytest.fixture(scope="module")
def keys_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Storage]]:
    """(base URL, its storage) of a server for key revocation alone, on an empty map: no key
    another case relies on lives in its database, whichever id a case revokes."""
    tmp = tmp_path_factory.mktemp("fuzz-keys")
    url = f"sqlite:///{tmp / 'keys.db'}"
    storage = Storage(url)
    try:
        storage.migrate()
        with LiveServer(create_app(make_settings(url, tmp, default_city=None))) as server:
            yield server.base_url, storage
    finally:
        storage.close()


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def _check(case: Any, live: tuple[str, dict[str, str]], http: requests.Session,
           role: str | None) -> requests.Response:
    base_url, keys = live
    headers = {"Authorization": f"Bearer {keys[role]}"} if role else {}
    response = case.call(base_url=base_url, session=http, headers=headers, timeout=60)
    case.validate_response(response, checks=CHECKS, headers=headers)
    if role is None and case.operation.definition.raw.get("security"):
        # 404 only when a generated path parameter made the URL match no route at all.
        assert response.status_code in (401, 404), (response.status_code, response.text)
    return response


@FUZZED.parametrize()
@HYPOTHESIS
def test_anonymous(case: Any, live: tuple[str, dict[str, str]], http: requests.Session) -> None:
    """Anonymous callers get answers or 4xx, and staff routes say 401 whatever the input."""
    _check(case, live, http, None)


@FUZZED.parametrize()
@HYPOTHESIS
def test_admin(case: Any, live: tuple[str, dict[str, str]], http: requests.Session) -> None:
    """An admin key reaches every handler; fuzzed input must never become a 5xx."""
    _check(case, live, http, "admin")


@REVOKE.parametrize()
@HYPOTHESIS
def test_revoke_anonymous(case: Any, keys_live: tuple[str, Storage],
                          http: requests.Session) -> None:
    """Revoking a key without one is 401 whatever the id."""
    _check(case, (keys_live[0], {}), http, None)


@REVOKE.parametrize()
@HYPOTHESIS
def test_revoke_admin(case: Any, keys_live: tuple[str, Storage],
                      http: requests.Session) -> None:
    """Each case revokes with an admin key made for it alone (the fuzzed id may be its own)."""
    base_url, storage = keys_live
    _check(case, (base_url, {"admin": storage.create_api_key("admin")}), http, "admin")


@REVOKE.parametrize()
@HYPOTHESIS
def test_revoke_existing_key(case: Any, keys_live: tuple[str, Storage],
                             http: requests.Session) -> None:
    """The same, aimed at a key that exists (made for the case): revocation itself is fuzzed,
    not only its 404, and a 204 leaves that key refused."""
    base_url, storage = keys_live
    caller, victim = storage.create_api_key("admin"), storage.create_api_key("mapper")
    case.path_parameters = {"id": str(next(key.id for key in storage.list_api_keys()
                                           if key.prefix == victim[:10]))}
    response = _check(case, (base_url, {"admin": caller}), http, "admin")
    if response.status_code == 204:
        refused = http.get(f"{base_url}/v1/keys", headers={"Authorization": f"Bearer {victim}"},
                           timeout=30)
        assert refused.status_code == 401, refused.text


def _aim_at_existing_row(case: Any, live: tuple[str, dict[str, str]],
                         http: requests.Session) -> dict[str, str]:
    """Point the case at a real row (chosen by Hypothesis' seeded random) and its revision."""
    base_url, keys = live
    headers = {"Authorization": f"Bearer {keys['admin']}"}
    collection = case.path.removesuffix("/{id}")
    rows = http.get(f"{base_url}{collection}", params={"limit": "50"}, headers=headers,
                    timeout=30).json()
    if rows:
        row = random.choice(rows)
        case.path_parameters = {"id": str(row["id"])}
        if row.get("revision") is not None:
            headers["If-Match"] = str(row["revision"])
    return headers


@ITEMS.parametrize()
@HYPOTHESIS
def test_admin_existing_rows(case: Any, live: tuple[str, dict[str, str]],
                             http: requests.Session) -> None:
    """Fuzzed PATCH bodies against rows that exist reach the database, and must not 500."""
    headers = _aim_at_existing_row(case, live, http)
    response = case.call(base_url=live[0], session=http, headers=headers, timeout=60)
    case.validate_response(response, checks=CHECKS, headers=headers)


@IMPORT.parametrize()
@settings(HYPOTHESIS, max_examples=IMPORT_EXAMPLES)
def test_admin_import(case: Any, live: tuple[str, dict[str, str]], http: requests.Session
                      ) -> None:
    """Garbage OSM uploads are refused with 4xx and leave the server standing."""
    _check(case, live, http, "admin")
    base_url, _ = live
    assert http.get(f"{base_url}/health", timeout=30).status_code == 200


# --------------------------------------------------------------------------- found by fuzzing


def test_regressions_found_by_fuzzing(live: tuple[str, dict[str, str]],
                                      http: requests.Session) -> None:
    """Each request below was a 500 or a hung server before it was fixed; now a clear 4xx."""
    base_url, keys = live
    h = {"Authorization": f"Bearer {keys['mapper']}"}

    def call(method: str, path: str, body: Any = None, data: str | None = None,
             **headers: str) -> requests.Response:
        return http.request(method, base_url + path, json=body, data=data,
                            headers={**h, **headers}, timeout=30)

    # Integers beyond 64 bits reached SQLite (OverflowError).
    assert call("POST", "/v1/map/edges", {"u": 2**70, "v": 1}).status_code == 422
    assert call("GET", "/v1/map/revisions?offset=" + str(2**70)).status_code == 422
    # A repeated query parameter was read as its first value and the rest ignored.
    assert call("GET", "/v1/beacons/health?silent_hours=1&silent_hours=x").status_code == 422
    assert call("GET", f"/v1/map/nodes/{2**70}").status_code == 404
    assert call("POST", "/v1/map/nodes", {"id": 2**62, "lat": 1, "lon": 1}).status_code == 422
    # JSON types are checked strictly, and NaN/Infinity are not JSON.
    assert call("POST", "/v1/map/nodes", {"lat": False, "lon": 7.7}).status_code == 422
    assert call("POST", "/v1/map/nodes", data='{"lat": NaN, "lon": 7.7}',
                **{"Content-Type": "application/json"}).status_code == 400
    # An explicit null for a NOT NULL column reached the database's constraint.
    node = call("POST", "/v1/map/nodes", {"lat": 49.44, "lon": 7.77}).json()
    for patch in ({"lat": None}, {"lon": None}):
        r = call("PATCH", f"/v1/map/nodes/{node['id']}", patch, **{"If-Match": "1"})
        assert r.status_code == 422, r.text
    edge = call("GET", "/v1/map/edges?limit=1").json()[0]
    for patch in ({"highway": None}, {"length_m": None}):
        r = call("PATCH", f"/v1/map/edges/{edge['id']}", patch,
                 **{"If-Match": str(edge["revision"])})
        assert r.status_code == 422, r.text
    assert call("PATCH", f"/v1/map/edges/{edge['id']}", {"name": None},
                **{"If-Match": str(edge["revision"])}).status_code == 200
    # A node with edges moved to the other end of the world hung the live map's grid.
    r = call("PATCH", f"/v1/map/nodes/{edge['u']}", {"lat": -89.0, "lon": -179.0},
             **{"If-Match": str(call("GET", f"/v1/map/nodes/{edge['u']}").json()["revision"])})
    assert r.status_code == 422 and r.json()["error"]["code"] == "edge_too_long", r.text
    r = call("POST", "/v1/map/edges", {"u": edge["u"], "v": node["id"]})
    assert r.status_code == 201, r.text  # near: fine
    far = call("POST", "/v1/map/nodes", {"lat": 10.0, "lon": 10.0}).json()
    r = call("POST", "/v1/map/edges", {"u": edge["u"], "v": far["id"]})
    assert r.status_code == 422 and r.json()["error"]["field"] == "v", r.text
    # Deleting a node that still has edges is a declared 422.
    assert call("DELETE", f"/v1/map/nodes/{edge['u']}").status_code == 422
