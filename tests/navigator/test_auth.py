"""Every non-public route, taken from the router itself, refuses anonymous and wrong-role calls."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from navigator.api import PUBLIC, ROLE_GRANTS
from navigator.routes import route_tables
from tests.navigator.conftest import ROLES, auth

PROTECTED = [(ep.method, ep.path, ep.role) for t in route_tables() for ep in t.endpoints
             if ep.role != PUBLIC]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_mapper_tester_and_admin_route_is_protected() -> None:
    for table in route_tables():
        for ep in table.endpoints:
            if ep.path.startswith(("/v1/map", "/v1/simulations", "/v1/keys", "/v1/beacons")):
                assert ep.role != PUBLIC, f"{ep.method} {ep.path} must need a key"


async def test_no_key_is_401_and_wrong_role_is_403_on_every_protected_route(
    client: TestClient, api_keys: dict[str, str]
) -> None:
    assert len(PROTECTED) > 20
    failures = []
    for method, path, role in PROTECTED:
        r = await client.request(method, concrete(path), json={})
        if r.status != 401 or (await r.json())["error"]["code"] != "unauthorized":
            failures.append(f"{method} {path} without key -> {r.status}")
        for wrong in (x for x in ROLES if x not in ROLE_GRANTS[role]):
            r = await client.request(method, concrete(path), json={},
                                     headers=auth(api_keys[wrong]))
            if r.status != 403:
                failures.append(f"{method} {path} as {wrong} -> {r.status}")
    assert failures == []


async def test_invalid_key_is_401_even_on_public_routes(client: TestClient) -> None:
    r = await client.get("/v1/places", params={"q": "x"}, headers=auth("bp_not-a-key"))
    assert r.status == 401


async def test_admin_creates_keys_that_work(client: TestClient, api_keys: dict[str, str]) -> None:
    r = await client.post("/v1/keys", json={"role": "mapper"}, headers=auth(api_keys["admin"]))
    assert r.status == 201
    key = (await r.json())["key"]
    r = await client.get("/v1/map/nodes", params={"limit": 1}, headers=auth(key))
    assert r.status == 200
