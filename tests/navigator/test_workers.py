"""``blindpilot serve --workers 2`` as a real process tree: a worker killed with SIGKILL is
logged and started again while the port keeps answering; a walker whose worker died resumes on
another worker; killing the supervisor takes its workers with it."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from navigator.logs import short_id
from navigator.mapstate import MapState
from navigator.routeplan import plan_between
from navigator.simulation import SimulatedWalker, WalkOptions
from navigator.storage import Storage
from tests.navigator.test_live import END, START, scan_json, send_and_collect

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent / "blindpilot"
START_TIMEOUT_S = 180.0


class Workers:
    """A ``serve --workers 2`` process tree on a copy of the city; its JSON log lines."""

    def __init__(self, db_url: str, workdir: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.log_path = workdir / "serve.log"
        env = {**os.environ, "BLINDPILOT_SPEECH": "0", "BLINDPILOT_BLUETOOTH_PROBE": "0",
               "BLINDPILOT_AUDIO_DIR": str(workdir / "audio"), "BLINDPILOT_MAP_SYNC_S": "1"}
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [str(BIN), "serve", "--port", str(self.port), "--db", db_url, "--workers", "2"],
                cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}"

    def events(self, event: str) -> list[dict[str, Any]]:
        out = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{") and f'"event": "{event}"' in line:
                out.append(json.loads(line))
        return out

    def wait_for(self, event: str, count: int = 1, timeout_s: float = START_TIMEOUT_S
                 ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = self.events(event)
            if len(found) >= count:
                return found
            assert self.proc.poll() is None, self.log_path.read_text()[-4000:]
            time.sleep(0.1)
        raise AssertionError(f"no {count} x {event} in {timeout_s} s:\n"
                             + self.log_path.read_text()[-4000:])

    def health(self) -> int:
        try:
            with urllib.request.urlopen(f"{self.base}/health", timeout=10) as r:
                return int(r.status)
        except urllib.error.HTTPError as err:
            return err.code

    def wait_ready(self) -> list[int]:
        """Both workers started and the port answering; the workers' pids."""
        started = self.wait_for("worker_started", 2)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                if self.health() == 200:
                    return [e["worker_pid"] for e in started]
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        raise AssertionError("the port never answered:\n" + self.log_path.read_text()[-4000:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is not alive
        return f.read().split(")")[-1].split()[0] != "Z"


@pytest.fixture
def workers(city_db_template: Path, tmp_path: Path) -> Iterator[Workers]:
    shutil.copy(city_db_template, tmp_path / "city.db")
    tree = Workers(f"sqlite:///{tmp_path / 'city.db'}", tmp_path)
    try:
        yield tree
    finally:
        tree.stop()


def test_a_killed_worker_is_restarted_and_logged_while_the_port_keeps_answering(
        workers: Workers) -> None:
    pids = workers.wait_ready()
    os.kill(pids[0], signal.SIGKILL)
    answers = []
    for _ in range(20):  # the other worker answers while the first is started again
        answers.append(workers.health())
        time.sleep(0.1)
    assert answers == [200] * 20
    (died,) = workers.wait_for("worker_died")
    assert died["worker_pid"] == pids[0] and died["signal"] == signal.SIGKILL
    restarted = workers.wait_for("worker_started", 3)[-1]
    assert restarted["restart"] is True and restarted["worker"] == died["worker"]
    assert restarted["worker_pid"] not in pids and alive(restarted["worker_pid"])
    assert workers.health() == 200
    os.kill(workers.proc.pid, signal.SIGKILL)  # the supervisor: the kernel kills its workers
    workers.proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(alive(p) for p in (pids[1], restarted["worker_pid"])) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(pids[1]) and not alive(restarted["worker_pid"])


def test_a_walker_whose_worker_died_resumes_on_another_worker(workers: Workers,
                                                              city_db_template: Path) -> None:
    workers.wait_ready()
    storage = Storage(f"sqlite:///{city_db_template}")
    mapstate = MapState(storage.load_map())
    storage.close()
    walker = SimulatedWalker(mapstate, plan_between(mapstate, START, END, "blind_cane"),
                             WalkOptions(seed=4))
    asyncio.run(_walk_kill_resume(workers, walker))


async def _walk_kill_resume(workers: Workers, walker: SimulatedWalker) -> None:
    async with aiohttp.ClientSession() as http:
        r = await http.post(f"{workers.base}/v1/sessions", json={
            "from": {"lat": START[0], "lon": START[1]},
            "to": {"lat": END[0], "lon": END[1]}, "lang": "en"})
        assert r.status == 201
        body = await r.json()
        ws = await http.ws_connect(f"{workers.base}{body['ws_url']}")
        assert (await ws.receive_json(timeout=30))["session_id"] == body["session_id"]
        for t in range(4):
            await _scan(ws, walker, t)
        # the worker holding the WebSocket: the one that created the session (the POST's
        # connection is usually reused), or the one that resumed it
        held = [e for e in workers.events("session_created") + workers.events("session_resumed")
                if e["session"] == short_id(body["session_id"])]
        owner = held[-1]["pid"]
        os.kill(owner, signal.SIGKILL)
        gone = await ws.receive(timeout=30)
        assert gone.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                             aiohttp.WSMsgType.ERROR)
        ws = await http.ws_connect(f"{workers.base}{body['ws_url']}")
        assert (await ws.receive_json(timeout=30))["session_id"] == body["session_id"]
        said = []
        for t in range(4, 12):
            said += await _scan(ws, walker, t)
        resumed = [e for e in workers.events("session_resumed")
                   if e["session"] == short_id(body["session_id"])]
        assert resumed and resumed[-1]["pid"] != owner, "resumed by another worker"
        assert [m for m in said if m["type"] == "fix" and m["available"]]
        instructions = [m for m in said if m["type"] == "instruction"]
        assert instructions and instructions[0]["kind"] == "depart", "re-oriented there"
        await ws.send_json({"type": "stop"})
        assert (await ws.receive_json(timeout=30))["type"] == "stopped"


async def _scan(ws: aiohttp.ClientWebSocketResponse, walker: SimulatedWalker, t: int
                ) -> list[dict[str, Any]]:
    return await send_and_collect(ws, scan_json(walker.scan(float(t))), timeout_s=30.0)


#: A supervisor of one worker that exits with code 3 at once, except the third start, which lives
#: longer than a fast death (FAST_DEATH_S lowered to 0.3 s); the fifth start stops it all (SIGTERM
#: to itself: blocked, so the supervisor takes it as an order to stop).
SUPERVISE_FAILING_WORKER = """
import json, logging, os, signal, sys, time
import navigator.workers as workers
workers.FAST_DEATH_S = 0.3
events = []
class Keep(logging.Handler):
    def emit(self, record):
        events.append({k: getattr(record, k, None)
                       for k in ("event", "exit_code", "restart_in_s", "restart")})
log = logging.getLogger("navigator.workers")
log.addHandler(Keep())
log.setLevel(logging.INFO)
starts = []
def start(index, first):
    starts.append(time.monotonic())
    if len(starts) == 5:
        os.kill(os.getpid(), signal.SIGTERM)
    pid = os.fork()
    if pid == 0:
        time.sleep(0.5 if len(starts) == 3 else 0.0)
        os._exit(3)
    return pid
code = workers.Supervisor(1, start).run()
gaps = [b - a for a, b in zip(starts, starts[1:])]
print(json.dumps({"code": code, "gaps": gaps, "events": events}))
"""


def test_a_worker_that_keeps_dying_at_start_is_restarted_ever_more_slowly() -> None:
    """Each death is logged with its exit code; a worker dying at once is started again after
    0.5 s, then 1 s (doubling up to 30 s), so a broken worker cannot spin the machine; one that
    lived is started again at once, and the doubling starts over."""
    from tests.conftest import REPO

    done = subprocess.run([sys.executable, "-c", SUPERVISE_FAILING_WORKER], cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
                          text=True, timeout=60, check=True)
    out = json.loads(done.stdout.splitlines()[-1])
    assert out["code"] == 0, "stopped by SIGTERM"
    died = [e for e in out["events"] if e["event"] == "worker_died"]
    assert [(e["exit_code"], e["restart_in_s"]) for e in died] == [
        (3, 0.5), (3, 1.0), (3, 0.0), (3, 0.5)]
    started = [e["restart"] for e in out["events"] if e["event"] == "worker_started"]
    assert started == [False, True, True, True, True]
    assert out["events"][-1]["event"] == "workers_stopping"
    lived = 0.5  # the third start's own life before it died
    for gap, least in zip(out["gaps"], [0.5, 1.0, lived, 0.5], strict=True):
        assert least <= gap < least + 1.0, out["gaps"]
