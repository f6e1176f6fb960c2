"""The map export made by a fresh child process reading one database snapshot (issue 19 #16:
encoding it on a thread of the server held the event loop back for up to ~200 ms through the
GIL; forking the ~720 MB server for it still held the loop 40-70 ms)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from navigator import exportchild
from navigator.keys import MAP
from navigator.settings import Settings
from routing.graph import edge_records
from tests.navigator.conftest import auth, create_keys

EXPORT = "/v1/map/export.geojson"


@pytest.fixture(autouse=True)
def nearly_full_priority(monkeypatch: pytest.MonkeyPatch) -> None:
    """Children one step nicer than this process, not ten: what these tests check does not
    depend on it, and on a loaded machine a child at niceness 10 took 2-3x as long to start
    (each start is a second of imports; they were most of this file's minutes)."""
    monkeypatch.setattr(exportchild, "NICENESS", 1)


@pytest.fixture
async def mapper(make_client, settings: Settings) -> tuple[TestClient, dict[str, str]]:
    client = await make_client(settings)
    return client, auth(create_keys(settings.database_url)["mapper"])


@pytest.fixture
async def any_db_mapper(make_client, any_db_settings: Settings
                        ) -> tuple[TestClient, dict[str, str]]:
    client = await make_client(any_db_settings)
    return client, auth(create_keys(any_db_settings.database_url)["mapper"])


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[asyncio.subprocess.Process]:
    """The export children started from here on."""
    procs: list[asyncio.subprocess.Process] = []
    spawn = exportchild._spawn_export

    async def spied(*args: Any) -> asyncio.subprocess.Process:
        proc = await spawn(*args)
        procs.append(proc)
        return proc

    monkeypatch.setattr(exportchild, "_spawn_export", spied)
    return procs


def reaped(pid: int) -> bool:
    """True when ``pid`` is no longer a child of this process (it ended and was waited for)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


async def ended(proc: asyncio.subprocess.Process) -> bool:
    """True once the server has waited for ``proc`` (within 5 s)."""
    for _ in range(100):
        if proc.returncode is not None:
            return reaped(proc.pid)
        await asyncio.sleep(0.05)
    return False


def features(doc: dict[str, Any]) -> set[str]:
    return {json.dumps(f, sort_keys=True) for f in doc["features"]}


def live_features(client: TestClient) -> set[str]:
    """The live map's nodes, edges, landmarks and beacons, as the export writes them."""
    mapstate = client.app[MAP]
    graph = mapstate.graph
    found = [_point(d["lat"], d["lon"], {"layer": "node", "id": n, "level": d["level"]})
             for n, d in graph.nodes(data=True)]
    for e in edge_records(graph):
        (alat, alon), (blat, blon) = ((graph.nodes[n]["lat"], graph.nodes[n]["lon"])
                                      for n in (e.u, e.v))
        found.append({"type": "Feature", "geometry": {
            "type": "LineString", "coordinates": [[alon, alat], [blon, blat]]},
            "properties": {"layer": "edge", **e._asdict()}})
    found += [_point(p.lat, p.lon, {"layer": "landmark", "id": p.id, "name": p.name,
                                    "kind": p.kind}) for p in mapstate.places.values()]
    found += [_point(b.lat, b.lon, {"layer": "beacon", "kind": b.beacon.kind.value,
                                    "ident": b.beacon.ident,
                                    "measured_power": b.measured_power_dbm})
              for b in mapstate.beacons]
    return {json.dumps(f, sort_keys=True) for f in found}


def _point(lat: float, lon: float, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": props}


async def newest_revision(client: TestClient, h: dict[str, str]) -> int:
    newest = await (await client.get("/v1/map/revisions", params={"limit": 1},
                                     headers=h)).json()
    return max((e["id"] for e in newest), default=0)


async def test_the_export_is_the_map_as_it_was_when_it_began(mapper, children) -> None:
    """An edit made while an export streams is not in it; the next export is the live map,
    feature for feature, and names the revision it holds. (One test for both: each export
    starts an interpreter, the slow part of this file.)"""
    client, h = mapper
    before = await newest_revision(client, h)
    r = await client.get(EXPORT, headers=h)
    assert r.status == 200 and int(r.headers["X-Map-Revision"]) == before
    first = await r.content.readany()  # the child holds its snapshot: now edit the map
    added = await client.post("/v1/map/nodes", json={"lat": 49.4447, "lon": 7.7690}, headers=h)
    assert added.status == 201
    node_id = (await added.json())["id"]
    doc = json.loads(first + await r.read())
    ids = {f["properties"]["id"] for f in doc["features"] if f["properties"]["layer"] == "node"}
    assert ids and node_id not in ids
    r = await client.get(EXPORT, headers=h)
    later = await r.json()
    assert node_id in {f["properties"].get("id") for f in later["features"]}
    assert features(later) == live_features(client)
    assert int(r.headers["X-Map-Revision"]) == await newest_revision(client, h) > before
    assert len(children) == 2 and all([await ended(p) for p in children])


def _split_seen(doc: dict[str, Any], edge_id: int, halves: set[int]) -> bool | None:
    """True: the split is wholly in the export; False: wholly out; None: torn."""
    edges = {f["properties"]["id"] for f in doc["features"]
             if f["properties"]["layer"] == "edge"}
    if edge_id in edges and not halves & edges:
        return False
    if edge_id not in edges and halves <= edges:
        return True
    return None


async def test_an_edit_committed_during_an_export_is_wholly_in_or_wholly_out(
        any_db_mapper, monkeypatch) -> None:
    """An edge split (one node and two edges added, one edge deleted, one commit) sent while
    exports start (the child needs ~1 s to take its snapshot) and stream: each export shows all
    of it or none of it; none once the export has begun."""
    client, h = any_db_mapper
    monkeypatch.setattr(exportchild, "READ_BYTES", 4096)  # the child waits on a full pipe
    edges = [e.id for e in edge_records(client.app[MAP].graph)][:4]
    seen = []
    for edge_id, delay_s in zip(edges, (None, 0.0, 0.5, 1.0), strict=True):
        export = asyncio.create_task(client.get(EXPORT, headers=h))
        if delay_s is None:
            await export  # its headers came: the snapshot is taken
        else:
            await asyncio.sleep(delay_s)
        split = await client.post(f"/v1/map/edges/{edge_id}/split", json={}, headers=h)
        assert split.status == 201
        halves = {e["id"] for e in (await split.json())["edges"]}
        seen.append(_split_seen(await (await export).json(), edge_id, halves))
    assert None not in seen and seen[0] is False
    after = await (await client.get(EXPORT, headers=h)).json()
    assert all(_split_seen(after, edge_id, set()) is True for edge_id in edges)


async def test_a_client_that_leaves_mid_export_ends_its_child(mapper, children,
                                                              monkeypatch) -> None:
    client, h = mapper
    monkeypatch.setattr(exportchild, "READ_BYTES", 1024)
    r = await client.get(EXPORT, headers=h)
    await r.content.readany()
    r.close()  # gone, with the child still writing (its pipe is full)
    assert len(children) == 1 and await ended(children[0])
    assert (await client.get("/health")).status == 200


async def test_a_child_killed_mid_export_cuts_the_body_off(mapper, children,
                                                           monkeypatch) -> None:
    """A document that stopped half-way must not look whole, nor the request hang."""
    client, h = mapper
    monkeypatch.setattr(exportchild, "READ_BYTES", 1024)
    r = await client.get(EXPORT, headers=h)
    assert r.status == 200
    await r.content.readany()
    with open(f"/proc/{children[0].pid}/stat") as stat:  # the niceness the server chose
        assert int(stat.read().rsplit(")", 1)[1].split()[16]) == min(os.nice(0) + 1, 19)
    os.kill(children[0].pid, signal.SIGKILL)
    with pytest.raises(aiohttp.ClientPayloadError):
        await asyncio.wait_for(r.read(), 10)
    assert await ended(children[0])
    assert (await client.get("/health")).status == 200


async def test_a_child_that_fails_cuts_the_body_off(mapper, children, monkeypatch) -> None:
    client, h = mapper
    monkeypatch.setattr(exportchild, "_CHILD_CODE", (
        "import sys; sys.stdout.buffer.write(b'{\"revision\": 0}\\n{\"type\": "
        "\"FeatureCollection\", \"features\": ['); sys.stdout.flush(); sys.exit(1)"))
    r = await client.get(EXPORT, headers=h)
    assert r.status == 200
    with pytest.raises(aiohttp.ClientPayloadError):
        await r.read()
    assert len(children) == 1 and await ended(children[0])
    assert (await client.get("/health")).status == 200


async def test_a_child_that_fails_before_its_snapshot_is_503(mapper, children,
                                                             monkeypatch) -> None:
    """E.g. the database away: nothing was sent yet, so the client is told to try later."""
    client, h = mapper
    monkeypatch.setattr(exportchild, "_CHILD_CODE", "import sys; sys.exit(3)")
    r = await client.get(EXPORT, headers=h)
    assert r.status == 503 and r.headers["Retry-After"]
    error = (await r.json())["error"]
    assert error["code"] == "export_unavailable" and "status 3" in error["message"]
    assert len(children) == 1 and await ended(children[0])


async def test_no_process_for_the_export_is_503(mapper, monkeypatch) -> None:
    client, h = mapper

    async def no_process(*args: object) -> asyncio.subprocess.Process:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(exportchild, "_spawn_export", no_process)
    r = await client.get(EXPORT, headers=h)
    assert r.status == 503 and r.headers["Retry-After"]
    assert (await r.json())["error"]["code"] == "export_unavailable"


async def test_no_more_than_two_exports_at_once_per_process(mapper, monkeypatch) -> None:
    """Each export is a child with a core's worth of work: a third at once is 503, said why."""
    client, h = mapper
    monkeypatch.setattr(exportchild, "_running", exportchild.MAX_AT_ONCE)
    r = await client.get(EXPORT, headers=h)
    assert r.status == 503 and r.headers["Retry-After"]
    body = await r.json()
    assert body["error"]["code"] == "export_unavailable"
    assert "already" in body["error"]["message"]
