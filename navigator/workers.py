"""``blindpilot serve --workers N``: every core of a machine behind one port.

One process opens the storage and loads the map (the seconds a big city takes), opens the
listening socket, and only then forks the workers. They inherit the socket, so the kernel hands
each new connection to whichever worker accepts it first (a busy one is slower to), and they share
the loaded map's memory copy-on-write (the collector was told to leave it alone:
:func:`navigator.mapstate.load_map_state` freezes it), so start-up and memory stay nearly flat in
N. Each worker then opens its own database connections, follows the other workers' map edits
through the audit log (as separate ``serve`` processes do) and runs its own event loop, on
uvloop (a bare WebSocket echo costs a seventh less CPU a message on it than on asyncio's own
loop): live sessions, the inbox, housekeeping. A WebSocket stays on the worker that accepted
it; if that worker dies, the phone's reconnect lands on another one, which resumes the session
from its descriptor in the database.

The first process stays as the supervisor: it does nothing but wait for signals. A worker that
dies is logged and started again (from the map as loaded at start; the audit log brings it up to
date within a map-sync interval); one that keeps dying at once is started again more and more
slowly. SIGTERM or SIGINT stops the workers (each finishes its requests) and then the supervisor;
if the supervisor itself is killed, the kernel kills the workers too.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import uvloop

from navigator.app import LoadedService, load_service
from navigator.children import die_with_parent
from navigator.heap import cap_arenas, fix_thresholds, release_free_heap
from navigator.server import BACKLOG, serve_app
from navigator.settings import Settings

log = logging.getLogger(__name__)

SIGNALS = {signal.SIGCHLD, signal.SIGTERM, signal.SIGINT}
#: A worker that dies sooner than this after starting counts as failing at start.
FAST_DEATH_S = 10.0
MAX_BACKOFF_S = 30.0
STOP_TIMEOUT_S = 30.0


def default_workers() -> int:
    """The cores this process may run on (all of the machine's where that cannot be asked)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def serve_workers(settings: Settings, workers: int) -> int:
    """Load once, fork ``workers`` workers on one listening socket, keep them running until
    SIGTERM/SIGINT; the exit code."""
    cap_arenas()  # before any thread starts (navigator.heap)
    loaded = load_service(settings)
    fix_thresholds()  # only now: while loading, they made each big temporary array a mapping
    release_free_heap()  # what loading freed
    loaded.storage.engine.dispose()  # each worker opens its own connections
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.create_server((settings.host, settings.port), family=family, backlog=BACKLOG)
    sock.setblocking(False)
    log.info("workers starting", extra={"event": "workers_starting", "workers": workers,
                                        "port": settings.port})
    return Supervisor(workers, lambda index, first: _fork_worker(
        settings, sock, loaded, index, announce=first and index == 0)).run()


def _fork_worker(settings: Settings, sock: socket.socket, loaded: LoadedService, index: int,
                 announce: bool) -> int:
    """Start worker ``index``; its pid (in the worker this never returns)."""
    parent = os.getpid()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        die_with_parent(parent)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)
        uvloop.run(serve_app(settings, loaded, sock=sock, announce=announce, worker=index))
        code = 0
    except BaseException:  # noqa: BLE001 - a worker reports its end and exits, whatever it was
        log.exception("worker failed", extra={"event": "worker_failed", "worker": index})
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


@dataclass
class _Worker:
    index: int
    pid: int
    started_s: float


class Supervisor:
    """Keeps ``count`` workers running; ``start(index, first)`` forks one and returns its pid.

    Signals are taken synchronously (blocked, then waited for), so no handler runs between a
    fork and the bookkeeping of its pid.
    """

    def __init__(self, count: int, start: Callable[[int, bool], int],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.count = count
        self._start_worker = start
        self._clock = clock
        self.workers: dict[int, _Worker] = {}  # by pid
        self._fast_deaths = [0] * count
        self._restart_at: dict[int, float] = {}  # worker index -> when to start it again

    def run(self) -> int:
        signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
        for index in range(self.count):
            self._start(index, first=True)
        while True:
            timeout = max(0.0, min(self._restart_at.values(), default=self._clock() + 3600.0)
                          - self._clock())
            info = signal.sigtimedwait(SIGNALS, timeout)
            if info is not None and info.si_signo in (signal.SIGTERM, signal.SIGINT):
                return self._stop()
            self._reap()
            now = self._clock()
            for index, at in list(self._restart_at.items()):
                if at <= now:
                    del self._restart_at[index]
                    self._start(index, first=False)

    def _start(self, index: int, first: bool) -> None:
        pid = self._start_worker(index, first)
        self.workers[pid] = _Worker(index, pid, self._clock())
        log.info("worker started", extra={"event": "worker_started", "worker": index,
                                          "worker_pid": pid, "restart": not first})

    def _reap(self) -> None:
        """Note every worker that exited and when to start it again."""
        while self.workers:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            worker = self.workers.pop(pid, None)
            if worker is None:
                continue
            lived_s = self._clock() - worker.started_s
            fast = lived_s < FAST_DEATH_S
            self._fast_deaths[worker.index] = self._fast_deaths[worker.index] + 1 if fast else 0
            delay = (min(MAX_BACKOFF_S, 0.5 * 2 ** (self._fast_deaths[worker.index] - 1))
                     if fast else 0.0)
            self._restart_at[worker.index] = self._clock() + delay
            log.warning("worker died; starting it again", extra={
                "event": "worker_died", "worker": worker.index, "worker_pid": pid,
                **_exit_of(status), "lived_s": round(lived_s, 1),
                "restart_in_s": round(delay, 1)})

    def _stop(self) -> int:
        """SIGTERM every worker, wait for them (SIGKILL after a while), exit 0."""
        log.info("workers stopping", extra={"event": "workers_stopping"})
        for pid in self.workers:
            _signal(pid, signal.SIGTERM)
        deadline = self._clock() + STOP_TIMEOUT_S
        while self.workers and self._clock() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid:
                self.workers.pop(pid, None)
            else:
                time.sleep(0.05)
        for pid in self.workers:
            _signal(pid, signal.SIGKILL)
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        return 0


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _exit_of(status: int) -> dict[str, int]:
    if os.WIFSIGNALED(status):
        return {"signal": os.WTERMSIG(status)}
    return {"exit_code": os.waitstatus_to_exitcode(status)}
