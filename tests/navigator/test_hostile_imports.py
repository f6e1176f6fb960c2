"""Hostile map imports against a served process (hardening issue #19, items 2 and 3).

Reported: a 5 MB gzip holding 5 GB of whitespace inside ``<osm>`` blocked ``/health`` for 15 s
(libosmium parses holding the GIL); one way of 100k nodes cost +335 MB, and a 208-byte file with
one 57 km segment +285 MB of the server's memory. Now the import runs in a child process bounded
in decompressed size, time and memory, and the map is refused before anything is committed.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from navigator.importjob import ImportFailed, ImportJob, run_import
from routing.limits import ImportLimits
from tests.navigator.test_crash_safety import Server, create_key

pytestmark = pytest.mark.slow

CITY_NODES = 1383
#: How long /health may take while an import runs (it took 15 s).
HEALTH_BOUND_S = 1.0


def whitespace_bomb(path: Path, gigabytes: int) -> None:
    """``<osm>`` holding gigabytes of spaces: one 64 MB member compressed once, repeated."""
    spaces = gzip.compress(b" " * (64 << 20), compresslevel=9)
    with path.open("wb") as out:
        out.write(gzip.compress(b'<?xml version="1.0"?>\n<osm version="0.6">'))
        for _ in range(gigabytes * 16):
            out.write(spaces)
        out.write(gzip.compress(b"</osm>\n"))


def one_way(path: Path, points: list[tuple[float, float]]) -> None:
    nodes = "".join(f'<node id="{i}" lat="{lat:.7f}" lon="{lon:.7f}"/>'
                    for i, (lat, lon) in enumerate(points, 1))
    refs = "".join(f'<nd ref="{i}"/>' for i in range(1, len(points) + 1))
    path.write_bytes(gzip.compress(
        f'<osm version="0.6">{nodes}<way id="1">{refs}<tag k="highway" v="footway"/></way></osm>'
        .encode()))


@pytest.fixture(scope="module")
def served(city_db_template: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[Server, str]]:
    tmp = tmp_path_factory.mktemp("hostile_imports")
    shutil.copy(city_db_template, tmp / "city.db")
    env = {**os.environ, "BLINDPILOT_SPEECH": "0", "BLINDPILOT_BLUETOOTH_PROBE": "0",
           "BLINDPILOT_AUDIO_DIR": str(tmp / "audio"),
           "BLINDPILOT_IMPORT_MAX_DECOMPRESSED_MB": "64"}
    env.pop("BLINDPILOT_DATABASE_URL", None)
    # one worker: /health is probed and memory measured on the process that imports
    srv = Server(f"sqlite:///{tmp / 'city.db'}", tmp, env=env, workers=1)
    key = create_key(srv)
    srv.start()
    try:
        yield srv, key
    finally:
        srv.kill()


async def import_while_probing(base: str, key: str, body: bytes
                               ) -> tuple[int, dict, list[float]]:
    """POST the import and time /health every 50 ms until it is answered."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as http:
        headers = {"Authorization": f"Bearer {key}"}
        task = asyncio.create_task(http.post(f"{base}/v1/map/import?replace=true", data=body,
                                             headers=headers))
        latencies = []
        while not task.done():
            t = time.perf_counter()
            async with http.get(f"{base}/health") as r:
                assert r.status == 200
            latencies.append(time.perf_counter() - t)
            await asyncio.sleep(0.05)
        async with await task as resp:
            return resp.status, await resp.json(), latencies


def rss_mb(pid: int) -> float:
    """Resident memory of ``serve``: its supervisor and the worker it forked (serve forks its
    workers even for one, and the worker is where an import would cost memory)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return sum(_own_rss_mb(p) for p in [pid, *map(int, children)])


def _own_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_a_whitespace_bomb_is_refused_while_health_answers(served: tuple[Server, str],
                                                            tmp_path: Path) -> None:
    srv, key = served
    bomb = tmp_path / "bomb.osm.gz"
    whitespace_bomb(bomb, gigabytes=5)
    assert bomb.stat().st_size < 6_000_000
    status, body, latencies = asyncio.run(import_while_probing(srv.base, key, bomb.read_bytes()))
    assert status == 413, body
    assert body["error"]["code"] == "import_too_large"
    assert "BLINDPILOT_IMPORT_MAX_DECOMPRESSED_MB" in body["error"]["message"]
    assert len(latencies) >= 5 and max(latencies) < HEALTH_BOUND_S, latencies


@pytest.mark.parametrize(("name", "points", "limit"), [
    ("one 57 km segment", [(49.0, 7.0), (49.4, 7.5)], "57.4 km"),
    ("one way of 100k nodes", [(49.40 + (i % 100) * 1e-5, 7.70 + (i // 100) * 1e-5)
                               for i in range(100_000)], "100000 nodes"),
])
def test_a_map_too_big_to_load_is_refused_before_commit_at_no_cost_to_the_server(
    served: tuple[Server, str], tmp_path: Path, name: str, points: list, limit: str
) -> None:
    srv, key = served
    assert srv.proc is not None
    path = tmp_path / "map.osm.gz"
    one_way(path, points)
    before = rss_mb(srv.proc.pid)
    status, body, latencies = asyncio.run(import_while_probing(srv.base, key, path.read_bytes()))
    assert status == 422 and body["error"]["code"] == "import_too_large", body
    assert limit in body["error"]["message"]
    assert rss_mb(srv.proc.pid) - before < 30, f"{name}: the server grew"
    assert max(latencies) < HEALTH_BOUND_S
    with sqlite3.connect(srv.db_url.removeprefix("sqlite:///")) as conn:
        assert conn.execute("SELECT count(*) FROM nodes").fetchone()[0] == CITY_NODES


async def test_an_import_past_its_time_is_killed_and_nothing_is_stored(tmp_path: Path,
                                                                       city_db_url: str) -> None:
    bomb = tmp_path / "bomb.osm.gz"
    whitespace_bomb(bomb, gigabytes=5)
    job = ImportJob(city_db_url, str(bomb), True, "t",
                    ImportLimits(max_decompressed_bytes=10 << 30), memory_mb=3072)
    t = time.perf_counter()
    with pytest.raises(ImportFailed) as info:
        await run_import(job, timeout_s=2.0)
    assert time.perf_counter() - t < 10
    assert info.value.code == "import_timeout" and not info.value.committing
    assert "BLINDPILOT_IMPORT_TIMEOUT_S" in str(info.value)
    with sqlite3.connect(city_db_url.removeprefix("sqlite:///")) as conn:
        assert conn.execute("SELECT count(*) FROM nodes").fetchone()[0] == CITY_NODES


async def test_an_import_over_its_memory_is_refused(tmp_path: Path, city_db_url: str) -> None:
    city = Path(__file__).resolve().parents[2] / "navigator" / "data" / (
        "kaiserslautern_cc_2013.osm.gz")
    job = ImportJob(city_db_url, str(city), True, "t", ImportLimits(), memory_mb=1)
    with pytest.raises(ImportFailed) as info:
        await run_import(job, timeout_s=120)
    assert info.value.code == "import_too_large" and "BLINDPILOT_IMPORT_MEMORY_MB" in str(
        info.value)
