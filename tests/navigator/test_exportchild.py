"""The map export made by a forked child (issue 19 #16: encoding it on a thread of the server
held the event loop back for up to ~200 ms through the GIL)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from navigator import exportchild
from navigator.mapexport import MapExport
from navigator.settings import Settings
from tests.navigator.conftest import auth, create_keys

EXPORT = "/v1/map/export.geojson"


@pytest.fixture
async def mapper(make_client, settings: Settings) -> tuple[TestClient, dict[str, str]]:
    client = await make_client(settings)
    return client, auth(create_keys(settings.database_url)["mapper"])


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the export children forked from here on."""
    pids: list[int] = []
    fork = exportchild._fork_export

    def spied(*args: object) -> int:
        pid = fork(*args)  # type: ignore[arg-type]
        pids.append(pid)
        return pid

    monkeypatch.setattr(exportchild, "_fork_export", spied)
    return pids


def reaped(pid: int) -> bool:
    """True when ``pid`` is no longer a child of this process (it ended and was waited for)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


async def test_the_export_is_the_map_as_it_was_when_it_began(mapper, children) -> None:
    client, h = mapper
    r = await client.get(EXPORT, headers=h)
    first = await r.content.readany()  # the child holds its copy: now edit the map
    added = await client.post("/v1/map/nodes", json={"lat": 49.4447, "lon": 7.7690}, headers=h)
    assert added.status == 201
    node_id = (await added.json())["id"]
    doc = json.loads(first + await r.read())
    ids = {f["properties"]["id"] for f in doc["features"] if f["properties"]["layer"] == "node"}
    assert ids and node_id not in ids
    later = await (await client.get(EXPORT, headers=h)).json()
    assert node_id in {f["properties"].get("id") for f in later["features"]}
    assert len(children) == 2 and all(map(reaped, children))


async def test_a_client_that_leaves_mid_export_ends_its_child(mapper, children,
                                                              monkeypatch) -> None:
    client, h = mapper
    monkeypatch.setattr(exportchild, "READ_BYTES", 1024)
    r = await client.get(EXPORT, headers=h)
    await r.content.readany()
    r.close()  # gone, with the child still writing (its pipe is full)
    for _ in range(100):
        if children and reaped(children[0]):
            break
        await asyncio.sleep(0.05)
    assert len(children) == 1 and reaped(children[0])
    assert (await client.get("/health")).status == 200


async def test_a_child_that_fails_cuts_the_body_off(mapper, children, monkeypatch) -> None:
    """A document that stopped half-way must not look whole: the chunked body is not ended."""
    client, h = mapper

    def failing(export: MapExport, per_chunk: int = 250) -> Iterator[bytes]:
        yield b'{"type": "FeatureCollection", "features": ['
        raise RuntimeError("the encoder broke")

    monkeypatch.setattr(exportchild, "geojson_chunks", failing)  # the child is forked with it
    r = await client.get(EXPORT, headers=h)
    assert r.status == 200
    with pytest.raises(aiohttp.ClientPayloadError):
        await r.read()
    assert len(children) == 1 and reaped(children[0])
    assert (await client.get("/health")).status == 200


async def test_no_process_for_the_export_is_503(mapper, monkeypatch) -> None:
    client, h = mapper

    def no_fork(*args: object) -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(exportchild, "_fork_export", no_fork)
    r = await client.get(EXPORT, headers=h)
    assert r.status == 503 and r.headers["Retry-After"]
    assert (await r.json())["error"]["code"] == "export_unavailable"


async def test_no_more_than_two_exports_at_once_per_process(mapper, monkeypatch) -> None:
    """Each export is a child with its own copied pages: a third at once is 503, said why."""
    client, h = mapper
    monkeypatch.setattr(exportchild, "_running", exportchild.MAX_AT_ONCE)
    r = await client.get(EXPORT, headers=h)
    assert r.status == 503 and r.headers["Retry-After"]
    body = await r.json()
    assert body["error"]["code"] == "export_unavailable"
    assert "already" in body["error"]["message"]

