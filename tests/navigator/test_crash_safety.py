"""Crash safety: SIGKILL the real server mid-stream of mapper edits; nothing acknowledged is lost.

A 2xx to a mapper edit is a promise to the mapper standing at the kerb. This test starts
``blindpilot serve`` as a subprocess on a copy of the city database, fires 1,000 audited edits
from several concurrent clients (client-chosen ids for created nodes and landmarks, PATCHes of
edges with If-Match), kills the process with SIGKILL while edits are in flight, restarts it on
the same file and checks: every acknowledged edit is there with its audit revision; every edit
in flight at the kill is all there (row and revision) or not there at all; the map validates,
/health counts match the database and routing still works.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent / "blindpilot"
EDITS = 1000
WORKERS = 6
EDGES_PER_WORKER = 4
#: Node/landmark ids far above the city's OSM ids, so each edit names its own row.
ID_BASE = 9_000_000_000_000
START_TIMEOUT_S = 60.0
START = {"lat": 49.43666, "lon": 7.76797}  # Hauptbahnhof
END = {"lat": 49.4432, "lon": 7.7717}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """One ``blindpilot serve`` subprocess; ``kill`` is SIGKILL, no goodbye."""

    db_url: str
    workdir: Path
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)
    #: ``serve --workers``; None: the command's default.
    workers: int | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.port = _free_port()
        log = (self.workdir / f"serve-{self.port}.log").open("wb")
        workers = [] if self.workers is None else ["--workers", str(self.workers)]
        self.proc = subprocess.Popen(
            [str(BIN), "serve", "--port", str(self.port), "--db", self.db_url, *workers],
            cwd=self.workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"server did not open its port in {START_TIMEOUT_S} s:\n{self.log()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def log(self) -> str:
        text = "".join(p.read_text(errors="replace") for p in self.workdir.glob("serve-*.log"))
        return text[-4000:]


@contextlib.asynccontextmanager
async def client_of_worker(base: str, worker: int) -> AsyncIterator[aiohttp.ClientSession]:
    """A client of ``serve --workers`` whose one kept-alive connection the kernel gave to worker
    ``worker`` (its /health says so): what it sends next goes to that worker."""
    for _ in range(200):
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1),
                                     timeout=aiohttp.ClientTimeout(total=300))
        try:
            async with http.get(f"{base}/health") as r:
                if (await r.json())["worker"] == worker:
                    yield http
                    return
        finally:
            await http.close()
    raise AssertionError(f"no connection reached worker {worker} in 200 tries")


@pytest.fixture
def server(city_db_template: Path, tmp_path: Path) -> Iterator[Server]:
    db = tmp_path / "city.db"
    shutil.copy(city_db_template, db)
    env = {**os.environ, "BLINDPILOT_SPEECH": "0", "BLINDPILOT_BLUETOOTH_PROBE": "0",
           "BLINDPILOT_AUDIO_DIR": str(tmp_path / "audio")}
    env.pop("BLINDPILOT_DATABASE_URL", None)
    srv = Server(f"sqlite:///{db}", tmp_path, env=env)
    try:
        yield srv
    finally:
        srv.kill()


def create_key(srv: Server) -> str:
    out = subprocess.run([str(BIN), "keys", "create", "--role", "mapper", "--db", srv.db_url],
                         cwd=srv.workdir, env=srv.env, capture_output=True, text=True,
                         timeout=60, check=True)
    return out.stdout.strip().splitlines()[-1]


# --------------------------------------------------------------------------- the edit stream


@dataclass
class Edit:
    """One mapper edit and what became of it (acked: 2xx seen; sent: the request left)."""

    index: int
    kind: str  # node | landmark | edge
    body: dict[str, Any]
    target: int  # node/landmark id, or the edge id
    sent: bool = False
    acked: bool = False
    revision: int | None = None  # the revision the edit produced (ETag / body)


def plan_edits(edges: dict[int, list[int]], rng: random.Random) -> dict[int, list[Edit]]:
    """Per worker, a sequence of creates and If-Match PATCHes of that worker's own edges."""
    plans: dict[int, list[Edit]] = {w: [] for w in range(WORKERS)}
    for i in range(EDITS):
        w = i % WORKERS
        kind = ("node", "landmark", "edge")[rng.randrange(3)]
        lat = 49.43 + rng.random() * 0.02
        lon = 7.76 + rng.random() * 0.02
        if kind == "node":
            body: dict[str, Any] = {"id": ID_BASE + i, "lat": lat, "lon": lon}
            target = ID_BASE + i
        elif kind == "landmark":
            body = {"id": ID_BASE + i, "name": f"crash test {i}", "kind": "other",
                    "lat": lat, "lon": lon}
            target = ID_BASE + i
        else:
            target = edges[w][len(plans[w]) % len(edges[w])]
            body = {"name": f"Crash-Test-Weg {i}", "width_m": round(0.5 + rng.random() * 5, 2)}
        plans[w].append(Edit(i, kind, body, target))
    return plans


async def run_worker(http: aiohttp.ClientSession, base: str, headers: dict[str, str],
                     edits: list[Edit], revisions: dict[int, int]) -> None:
    """Send this worker's edits one by one until the server goes away."""
    for edit in edits:
        edit.sent = True
        try:
            if edit.kind == "edge":
                hdrs = {**headers, "If-Match": str(revisions[edit.target])}
                resp = await http.patch(f"{base}/v1/map/edges/{edit.target}", json=edit.body,
                                        headers=hdrs)
            else:
                resp = await http.post(f"{base}/v1/map/{edit.kind}s", json=edit.body,
                                       headers=headers)
            async with resp:
                body = await resp.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError):
            return  # the server died with this edit in flight
        assert 200 <= resp.status < 300, (edit, resp.status, body)
        edit.acked = True
        edit.revision = body["revision"]
        if edit.kind == "edge":
            revisions[edit.target] = body["revision"]


async def edit_until_killed(srv: Server, key: str, rng: random.Random
                            ) -> tuple[dict[int, list[Edit]], dict[int, int]]:
    """Fire the edits from WORKERS clients; SIGKILL the server after a random number of acks."""
    headers = {"Authorization": f"Bearer {key}"}
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        async with http.get(f"{srv.base}/v1/map/edges", params={"limit": "200"},
                            headers=headers) as resp:
            assert resp.status == 200, await resp.text()
            listed = await resp.json()
        pool = rng.sample(listed, WORKERS * EDGES_PER_WORKER)
        edges = {w: [e["id"] for e in pool[w::WORKERS]] for w in range(WORKERS)}
        start_revisions = {e["id"]: e["revision"] for e in pool}
        revisions = dict(start_revisions)
        plans = plan_edits(edges, rng)
        kill_after = rng.randrange(EDITS * 2 // 5, EDITS * 7 // 10)

        async def killer() -> None:
            while sum(e.acked for p in plans.values() for e in p) < kill_after:
                await asyncio.sleep(0.005)
            srv.kill()

        kill_task = asyncio.create_task(killer())
        await asyncio.wait_for(
            asyncio.gather(*(run_worker(http, srv.base, headers, plans[w], revisions)
                             for w in range(WORKERS))), timeout=120)
        await asyncio.wait_for(kill_task, timeout=10)
    return plans, start_revisions


# --------------------------------------------------------------------------- verification


async def fetch(http: aiohttp.ClientSession, url: str, **kw: Any) -> tuple[int, Any]:
    async with http.get(url, **kw) as resp:
        return resp.status, await resp.json(content_type=None)


def check_created(edit: Edit, status: int, row: Any) -> bool:
    """True if the created row is fully there, False if fully absent; anything else fails."""
    if status == 404:
        return False
    assert status == 200, (edit, status, row)
    for name, value in edit.body.items():
        assert row[name] == value, (edit, row)
    return True


def test_sigkill_mid_stream_loses_no_acknowledged_edit(server: Server) -> None:
    rng = random.Random(int(os.environ.get("BLINDPILOT_CRASH_SEED", "8")))
    key = create_key(server)
    server.start()
    plans, start_revisions = asyncio.run(edit_until_killed(server, key, rng))
    edits = [e for plan in plans.values() for e in plan]
    acked = [e for e in edits if e.acked]
    in_flight = [e for e in edits if e.sent and not e.acked]
    assert 0 < len(acked) < EDITS, "the kill must land mid-stream"
    assert server.proc is not None and server.proc.returncode == -signal.SIGKILL

    assert len(in_flight) <= WORKERS

    server.start()  # same database file, after the crash
    present = asyncio.run(verify(server, key, plans, start_revisions))
    rest = asyncio.run(finish_stream(server, key, plans))
    print(f"acked {len(acked)} of {EDITS} before the kill, {len(in_flight)} in flight "
          f"({sum(present.get(e.index, False) for e in in_flight)} creates committed), "
          f"{rest} more after the restart")


async def verify(srv: Server, key: str, plans: dict[int, list[Edit]],
                 start_revisions: dict[int, int]) -> dict[int, bool]:
    """Check every edit against the restarted server; returns which creates are present."""
    headers = {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60),
                                     headers=headers) as http:
        revisions = await all_revisions(http, srv.base)
        audited = {(r["entity"], r["entity_id"], r["action"],
                    json.loads(r["after"]).get("revision") if r["after"] else None)
                   for r in revisions}
        present: dict[int, bool] = {}
        for plan in plans.values():
            for edit in plan:
                if edit.kind == "edge" or not edit.sent:
                    continue
                status, row = await fetch(http, f"{srv.base}/v1/map/{edit.kind}s/{edit.target}")
                present[edit.index] = check_created(edit, status, row)
                assert present[edit.index] or not edit.acked, f"acknowledged edit lost: {edit}"
                assert ((edit.kind, edit.target, "create", 1) in audited) == present[edit.index], (
                    f"row and audit revision disagree: {edit}")
            for edge_id in {e.target for e in plan if e.kind == "edge"}:
                await verify_edge(http, srv.base, edge_id,
                                  [e for e in plan if e.kind == "edge" and e.target == edge_id],
                                  start_revisions[edge_id], audited)
        never_sent = [e for p in plans.values() for e in p if not e.sent and e.kind != "edge"]
        for edit in never_sent[:50]:
            status, _ = await fetch(http, f"{srv.base}/v1/map/{edit.kind}s/{edit.target}")
            assert status == 404, edit
        await verify_map(http, srv)
    return present


async def verify_edge(http: aiohttp.ClientSession, base: str, edge_id: int, edits: list[Edit],
                      start_revision: int, audited: set[tuple[Any, ...]]) -> None:
    """An edge ends as its last acknowledged PATCH left it, or with the in-flight one applied."""
    status, row = await fetch(http, f"{base}/v1/map/edges/{edge_id}")
    assert status == 200, row
    acked = [e for e in edits if e.acked]
    in_flight = [e for e in edits if e.sent and not e.acked]
    assert len(in_flight) <= 1
    expected_rev = acked[-1].revision if acked else start_revision
    for i, edit in enumerate(acked):
        assert edit.revision == start_revision + i + 1, edit
        assert ("edge", edge_id, "update", edit.revision) in audited, f"no revision for {edit}"
    candidates = [(expected_rev, acked[-1].body if acked else None)]
    if in_flight:
        candidates.append((expected_rev + 1, in_flight[0].body))
    matches = [rev for rev, body in candidates if row["revision"] == rev
               and (body is None or all(row[k] == v for k, v in body.items()))]
    assert matches, f"edge {edge_id} is {row}; expected one of {candidates}"
    if in_flight and matches[0] == expected_rev + 1:
        assert ("edge", edge_id, "update", expected_rev + 1) in audited


async def finish_stream(srv: Server, key: str, plans: dict[int, list[Edit]]) -> int:
    """The restarted server takes the rest of the stream, If-Match revisions and all."""
    headers = {"Authorization": f"Bearer {key}"}
    rest = {w: [e for e in plan if not e.sent] for w, plan in plans.items()}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        revisions = {}
        for edge_id in {e.target for p in plans.values() for e in p if e.kind == "edge"}:
            status, row = await fetch(http, f"{srv.base}/v1/map/edges/{edge_id}",
                                      headers=headers)
            assert status == 200, row
            revisions[edge_id] = row["revision"]
        await asyncio.wait_for(asyncio.gather(*(
            run_worker(http, srv.base, headers, rest[w], revisions) for w in rest)), timeout=120)
        for edit in (e for p in rest.values() for e in p):
            assert edit.acked, f"the restarted server dropped {edit}"
            if edit.kind != "edge":
                status, row = await fetch(
                    http, f"{srv.base}/v1/map/{edit.kind}s/{edit.target}", headers=headers)
                assert check_created(edit, status, row), edit
    return sum(len(r) for r in rest.values())


async def all_revisions(http: aiohttp.ClientSession, base: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        status, page = await fetch(http, f"{base}/v1/map/revisions",
                                   params={"limit": "1000", "offset": str(len(out))})
        assert status == 200, page
        out.extend(page)
        if len(page) < 1000:
            return out


async def verify_map(http: aiohttp.ClientSession, srv: Server) -> None:
    """The restarted map is whole: it validates, /health matches the file, routes are found."""
    status, report = await fetch(http, f"{srv.base}/v1/map/validation")
    assert status == 200, report
    status, health = await fetch(http, f"{srv.base}/health")
    assert status == 200 and health["db"] == "ok", health
    path = srv.db_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        counts = {name: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                  for name, table in (("nodes", "nodes"), ("edges", "edges"),
                                      ("places", "landmarks"), ("beacons", "beacons"))}
    assert health["graph"] == counts, (health["graph"], counts)
    async with http.post(f"{srv.base}/v1/routes",
                         json={"from": START, "to": END, "lang": "en"}) as resp:
        body = await resp.json()
        assert resp.status == 200, body
        assert body["length_m"] > 0 and body["maneuvers"][-1]["kind"] == "arrive"
