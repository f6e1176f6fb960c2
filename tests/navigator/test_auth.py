"""Every non-public route, taken from the router itself, refuses anonymous and wrong-role calls."""

from __future__ import annotations

import asyncio
import re

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from navigator.api import PUBLIC, ROLE_GRANTS
from navigator.clients import parse_networks
from navigator.routes import route_tables
from navigator.settings import Settings
from navigator.storage import Storage
from tests.navigator.conftest import ROLES, auth, create_keys

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


async def test_a_key_that_is_not_text_is_401_not_500(client: TestClient) -> None:
    """Reported: ``Authorization: Bearer \\xff`` was a 500 with a traceback."""
    assert client.server.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    writer.write(b"GET /v1/places?q=x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\r\n"
                 b"Connection: close\r\n\r\n")
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    assert b'"unauthorized"' in answer


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every key looked up in the database."""
    seen: list[str] = []
    original = Storage.role_of_key

    def spy(self: Storage, key: str) -> tuple[str, str] | None:
        seen.append(key)
        return original(self, key)

    monkeypatch.setattr(Storage, "role_of_key", spy)
    return seen


async def test_wrong_keys_spend_the_address_bucket_and_repeat_without_a_lookup(
    make_client, settings: Settings, api_keys: dict[str, str], lookups: list[str]
) -> None:
    """Reported: 300 wrong keys were 300 x 401 (no 429), each a database lookup."""
    client = await make_client(settings.with_(public_rate_per_s=0.5, public_burst=5))
    statuses = [(await client.get("/v1/map/nodes", headers=auth("bp_wrong"))).status
                for _ in range(20)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    assert lookups == ["bp_wrong"]
    r = await client.get("/v1/map/nodes", headers=auth(f"bp_guess{len(lookups)}"))
    assert r.status == 429 and int(r.headers["Retry-After"]) >= 1
    assert (await client.get("/v1/places", params={"q": "x"})).status == 429  # same address
    # a valid key is always looked up, and still works from that address
    for _ in range(3):
        r = await client.get("/v1/map/nodes", params={"limit": 1},
                             headers=auth(api_keys["mapper"]))
        assert r.status == 200
    assert lookups.count(api_keys["mapper"]) == 3


async def test_a_revoked_key_is_refused_at_once(client: TestClient, settings: Settings,
                                                api_keys: dict[str, str]) -> None:
    key = api_keys["mapper"]
    assert (await client.get("/v1/map/nodes", headers=auth(key))).status == 200
    engine = sa.create_engine(settings.database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE api_keys SET revoked = 1 WHERE prefix = :p"),
                     {"p": key[:10]})
    engine.dispose()
    assert (await client.get("/v1/map/nodes", headers=auth(key))).status == 401


async def test_a_peer_that_is_no_trusted_proxy_cannot_pick_its_bucket(
    make_client, settings: Settings
) -> None:
    """Behind the README's nginx every walker shared the proxy's bucket; a forwarded address
    is now believed from trusted proxies only."""
    limited = settings.with_(public_rate_per_s=0.5, public_burst=3)
    client = await make_client(limited)  # the test client's peer, 127.0.0.1, is not trusted
    statuses = [(await client.get("/health", headers={"X-Forwarded-For": f"198.51.100.{i}"})
                 ).status for i in range(6)]
    assert statuses[3:] == [429] * 3
    proxied = await make_client(limited.with_(trusted_proxies=parse_networks("127.0.0.1")))
    for i in range(6):  # one walker each, behind the proxy: all within their own bursts
        r = await proxied.get("/health", headers={"X-Forwarded-For": f"198.51.100.{i}"})
        assert r.status == 200
    spoofed = [(await proxied.get("/health", headers={
        "X-Forwarded-For": f"6.6.6.{i}, 203.0.113.9"})).status for i in range(6)]
    assert spoofed[3:] == [429] * 3  # what the client wrote left of the proxy's entry is ignored


async def test_a_revoked_key_fails_at_once_in_every_process_sharing_the_database(
    make_client, any_db_settings: Settings
) -> None:
    """Issue 19 #15: there was no way to revoke a key. Two apps on one database stand for two
    server processes: a key revoked through one is refused on the very next request by both."""
    here = await make_client(any_db_settings)
    there = await make_client(any_db_settings.with_(default_city=None))
    keys = create_keys(any_db_settings.database_url)
    mapper, admin = auth(keys["mapper"]), auth(keys["admin"])
    for app in (here, there):
        assert (await app.get("/v1/map/revisions", headers=mapper)).status == 200
    listed = await (await here.get("/v1/keys", headers=admin)).json()
    mine = next(k for k in listed if keys["mapper"].startswith(k["prefix"])
                and k["role"] == "mapper")
    assert mine["revoked"] is False and "key" not in mine and "key_hash" not in mine
    assert (await here.delete(f"/v1/keys/{mine['id']}", headers=mapper)).status == 403
    assert (await here.delete(f"/v1/keys/{mine['id']}", headers=admin)).status == 204
    for app in (there, here):
        r = await app.get("/v1/map/revisions", headers=mapper)
        assert r.status == 401, await r.text()
    listed = await (await there.get("/v1/keys", headers=admin)).json()
    assert next(k for k in listed if k["id"] == mine["id"])["revoked"] is True
    assert (await there.delete(f"/v1/keys/{mine['id']}", headers=admin)).status == 204
    r = await there.delete("/v1/keys/999999", headers=admin)
    assert r.status == 404 and (await r.json())["error"]["code"] == "not_found"
    assert (await there.get("/v1/map/revisions", headers=admin)).status == 200
