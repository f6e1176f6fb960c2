"""Overlapping imports must never tear the live map (hardening issue, item 1).

Reported: an import of a 100k-node city, then an import of the default city ~2.5 s after the
first committed, left ``/health`` at 100,000 nodes while the database held 1,383, every route
failing and map sync failing for good on "edge 1 references a missing node". Causes: the map was
read in several queries that another import could commit between, and two reloads swapped in
their maps in whatever order they finished, the older one last.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import os
import shutil
import sqlite3
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from navigator.mapstate import MapState
from navigator.storage import MapEditor, MapSnapshot, Storage, mapread
from routing.model import EdgeRecord, MapExtract, NodeRecord
from tests.navigator.test_crash_safety import BIN, END, START, Server, client_of_worker
from tests.navigator.test_storage import small_extract


def grid_extract(side: int, first_id: int = 1) -> MapExtract:
    """A ``side`` x ``side`` grid of footways ~10 m apart around Kaiserslautern."""
    nodes = [NodeRecord(first_id + r * side + c, 49.43 + r * 9e-5, 7.76 + c * 1.4e-4)
             for r in range(side) for c in range(side)]
    edges = []
    for r in range(side):
        for c in range(side):
            here = first_id + r * side + c
            if c + 1 < side:
                edges.append(EdgeRecord(len(edges) + 1, here, here + 1, 10.0))
            if r + 1 < side:
                edges.append(EdgeRecord(len(edges) + 1, here, here + side, 10.0))
    return MapExtract(nodes, edges, [])


def assert_whole(snapshot: MapSnapshot, sizes: set[int]) -> None:
    """Every edge names nodes of the same snapshot, and it is one of the imported maps."""
    ids = {n.id for n in snapshot.nodes}
    assert len(snapshot.nodes) in sizes
    missing = [e.id for e in snapshot.edges if e.u not in ids or e.v not in ids]
    assert not missing, f"edges {missing[:5]} reference nodes of another import"


def test_map_is_read_in_one_snapshot_while_an_import_commits(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import commits between the read of the graph and the rest: the rest is still read as
    of the graph's state, not half of each."""
    store = Storage(db_url)
    store.migrate()
    store.replace_map(small_extract(), actor="t", source="first")  # 3 nodes, 1 place
    read_graph = mapread._read_graph

    def graph_then_import(conn):  # type: ignore[no-untyped-def]
        graph = read_graph(conn)
        other = threading.Thread(target=store.replace_map, args=(grid_extract(5, 500),),
                                 kwargs={"actor": "t", "source": "second"})
        other.start()
        other.join()  # committed by another connection while this read goes on
        return graph

    monkeypatch.setattr(mapread, "_read_graph", graph_then_import)
    snapshot = store.load_map()
    monkeypatch.undo()
    assert len(snapshot.nodes) == 3 and len(snapshot.places) == 1
    assert_whole(store.load_map(), {25})
    assert store.load_map().revision == snapshot.revision + 1
    store.close()


def test_a_reload_swaps_in_the_newest_state_and_skips_edits_it_already_holds(
    db_url: str,
) -> None:
    store = Storage(db_url)
    store.migrate()
    store.replace_map(small_extract(), actor="t", source="first")
    mapstate = MapState(store.load_map())
    # an edit commits, then an import replaces the map before the edit reaches the live map
    editor_change = MapEditor(store).delete("edge", 1, None, "m")
    store.replace_map(grid_extract(5, first_id=500), actor="t", source="second")
    held = mapstate.reload(store.load_map)
    assert max(held) == store.load_map().revision
    mapstate.apply(editor_change, store.load_beacons, store.load_closures)
    assert mapstate.graph.number_of_nodes() == 25  # the edit's older state was not laid over it
    assert set(mapstate.graph.nodes) == {n.id for n in store.load_map().nodes}
    store.close()


GRID_SIDE = 180  # 32,400 nodes: big enough to take seconds to import, parse and reload


def write_grid_osm(path: Path, side: int) -> None:
    """An OSM file of a footway grid south-west of the shipped city."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for r in range(side):
        for c in range(side):
            lines.append(f'<node id="{1 + r * side + c}" lat="{49.40 + r * 9e-5:.7f}" '
                         f'lon="{7.70 + c * 1.4e-4:.7f}"/>')
    way = 1
    for r in range(side):
        refs = "".join(f'<nd ref="{1 + r * side + c}"/>' for c in range(side))
        lines.append(f'<way id="{way}">{refs}<tag k="highway" v="footway"/></way>')
        way += 1
    for c in range(side):
        refs = "".join(f'<nd ref="{1 + r * side + c}"/>' for r in range(side))
        lines.append(f'<way id="{way}">{refs}<tag k="highway" v="footway"/></way>')
        way += 1
    lines.append("</osm>")
    path.write_bytes(gzip.compress("\n".join(lines).encode()))


#: Longest a worker may take to serve the last import's map once both imports answered: a
#: map-sync poll (0.5 s here) and a reload of the grid and then of the city, on a loaded machine.
CONVERGE_S = 30.0


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_overlapping_imports_leave_the_served_map_equal_to_the_database(
    city_db_template: Path, tmp_path: Path, workers: int
) -> None:
    """The reported sequence against a served process: big import, then the city on top. With
    two workers each import may land on either: whatever each worker serves is a committed map
    at every moment, and every worker ends at the one imported last."""
    db = tmp_path / "city.db"
    shutil.copy(city_db_template, db)
    city_counts = _db_counts(db)
    env = {**os.environ, "BLINDPILOT_SPEECH": "0", "BLINDPILOT_BLUETOOTH_PROBE": "0",
           "BLINDPILOT_AUDIO_DIR": str(tmp_path / "audio"), "BLINDPILOT_MAP_SYNC_S": "0.5",
           # the watcher's /health calls are anonymous: not to be rate-limited
           "BLINDPILOT_PUBLIC_RATE_PER_S": "1000", "BLINDPILOT_PUBLIC_BURST": "1000"}
    env.pop("BLINDPILOT_DATABASE_URL", None)
    srv = Server(f"sqlite:///{db}", tmp_path, env=env, workers=workers)
    key = subprocess.run([str(BIN), "keys", "create", "--role", "mapper", "--db", srv.db_url],
                         capture_output=True, text=True, check=True, env=env
                         ).stdout.strip().splitlines()[-1]
    big = tmp_path / "grid.osm.gz"
    write_grid_osm(big, GRID_SIDE)
    city = Path(__file__).resolve().parents[2] / "navigator" / "data" / (
        "kaiserslautern_cc_2013.osm.gz")
    srv.start()
    try:
        seen = asyncio.run(_import_twice(srv.base, key, big.read_bytes(), city.read_bytes(),
                                         city_counts, workers))
    finally:
        srv.kill()
    assert _db_counts(db) == city_counts  # the city, imported last, is what the database holds
    committed = {city_counts, (GRID_SIDE**2, 0)}
    torn = [s for s in seen.during if s[1:] not in committed]
    assert not torn, f"served maps that were never committed: {torn[:5]}\n{srv.log()}"
    assert {w for w, *_ in seen.during} == set(range(workers)), "a worker never answered"
    assert seen.converged_s is not None, f"not every worker served the last import within " \
        f"{CONVERGE_S} s: {seen.during[-8:]}\n{srv.log()}"
    assert all(s[1:] == city_counts for s in seen.after), (seen.after, srv.log())


def _db_counts(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        return (conn.execute("SELECT count(*) FROM nodes").fetchone()[0],
                conn.execute("SELECT count(*) FROM landmarks").fetchone()[0])


@dataclass
class Seen:
    """(worker, nodes, places) of every /health answer while importing and until every worker
    served the last import; then of a last round; and how long after the imports it took."""

    during: list[tuple[int, int, int]] = field(default_factory=list)
    after: list[tuple[int, int, int]] = field(default_factory=list)
    converged_s: float | None = None


async def _import_twice(base: str, key: str, big: bytes, city: bytes,
                        final: tuple[int, int], workers: int) -> Seen:
    """The big import sent to the first worker, the city a second later to the last one (with
    one worker, both to it); /health watched throughout and until every worker serves the city."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/octet-stream"}
    url = f"{base}/v1/map/import?replace=true"
    seen = Seen()
    # a fresh connection per request: the kernel hands each to whichever worker accepts it
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True),
                                     timeout=aiohttp.ClientTimeout(total=300)) as http, \
            client_of_worker(base, 0) as first, client_of_worker(base, workers - 1) as last:

        async def post(on: aiohttp.ClientSession, worker: int, body: bytes, delay_s: float
                       ) -> int:
            await asyncio.sleep(delay_s)
            async with on.post(url, data=body, headers=headers) as r:
                status = r.status
            assert (await _health(on, base))["worker"] == worker  # it ran where it was sent
            return status

        async def health_round(into: list[tuple[int, int, int]]) -> None:
            for body in await asyncio.gather(*(_health(http, base) for _ in range(4))):
                into.append((body["worker"], body["graph"]["nodes"], body["graph"]["places"]))

        async def watch() -> None:
            while True:
                await health_round(seen.during)
                await asyncio.sleep(0.1)

        watcher = asyncio.create_task(watch())
        statuses = await asyncio.gather(post(first, 0, big, 0.0),
                                        post(last, workers - 1, city, 1.0))
        assert statuses == [200, 200]
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        while loop.time() - t0 < CONVERGE_S:
            latest = {w: (n, p) for w, n, p in seen.during[-4 * workers * 4:]}
            if len(latest) == workers and set(latest.values()) == {final}:
                seen.converged_s = loop.time() - t0
                break
            await asyncio.sleep(0.2)
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher  # raises what stopped it, if it was not the cancel
        for _ in range(3):
            await health_round(seen.after)
        for _ in range(4):
            async with http.post(f"{base}/v1/routes", json={"from": START, "to": END}) as r:
                assert r.status == 200, await r.text()
    return seen


async def _health(http: aiohttp.ClientSession, base: str) -> dict[str, Any]:
    async with http.get(f"{base}/health") as r:
        body: dict[str, Any] = await r.json()
        assert r.status == 200, body
        return body
