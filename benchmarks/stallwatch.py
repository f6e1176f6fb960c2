"""What blocks a worker's event loop: ``blindpilot serve`` with a heartbeat on its loop and the
garbage collector timed, for a load from :mod:`benchmarks.loadgen` (#14 stalls).

    python -m benchmarks.stallwatch --out /tmp/stalls.jsonl -- serve --db sqlite:///x.db \\
        --port 8080 --workers 1 &
    python -m benchmarks.loadgen --url http://127.0.0.1:8080 --db sqlite:///x.db \\
        --plan 500x1 --seconds 60
    python -m benchmarks.stallwatch --summary /tmp/stalls.jsonl

Each worker's loop gets a callback every 5 ms; one that comes more than 30 ms late is written
with the loop thread's CPU time over the gap (about the gap: the loop was busy; far less: the
thread was not running, i.e. the machine was busy). Every collection is timed by the thread's
CPU time. Every 5 s a line with the messages put in the inbox so far, the collections by
generation and their CPU. ``--summary`` gives, for the steady part of the run (5 s windows at
>= 85 % of the top message rate), collections and GC CPU per 10,000 messages and the late beats.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

BEAT_S = 0.005
LATE_S = 0.030
WINDOW_S = 5.0


class Watch:
    """A worker's late beats and collections, written to ``out`` every :data:`WINDOW_S`."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.messages = 0
        self._late: list[dict[str, float]] = []
        self._gcs: list[tuple[int, float]] = []
        self._gc_cpu0 = 0.0

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        clock = time.pthread_getcpuclockid(threading.get_ident())
        last = [time.perf_counter(), time.clock_gettime(clock)]

        def beat() -> None:
            now, cpu = time.perf_counter(), time.clock_gettime(clock)
            late = now - last[0] - BEAT_S
            if late > LATE_S:
                self._late.append({"t": round(now, 3), "late_ms": round(late * 1000, 1),
                                   "loop_cpu_ms": round((cpu - last[1]) * 1000, 1)})
            last[:] = [now, cpu]
            loop.call_later(BEAT_S, beat)

        def write() -> None:
            late, gcs, self._late, self._gcs = self._late, self._gcs, [], []
            record = {"t": round(time.perf_counter(), 3), "messages": self.messages,
                      "loop_cpu_s": round(time.clock_gettime(clock), 4), "late": late,
                      "collections": [sum(g == k for g, _ in gcs) for k in range(3)],
                      "gc_cpu_ms": [round(sum(ms for g, ms in gcs if g == k), 2)
                                    for k in range(3)],
                      "full_ms": [ms for g, ms in gcs if g == 2]}
            with self.out.open("a") as f:
                f.write(json.dumps(record) + "\n")
            loop.call_later(WINDOW_S, write)

        gc.callbacks.append(self._on_gc)
        loop.call_soon(beat)
        loop.call_later(WINDOW_S, write)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_cpu0 = time.thread_time()
        else:
            self._gcs.append((info["generation"],
                              round((time.thread_time() - self._gc_cpu0) * 1000, 2)))


def serve_watched(out: Path, argv: list[str]) -> int:
    """``blindpilot`` with ``argv``, each serving worker watched (appending to ``out``)."""
    import navigator.inbox as inbox
    import navigator.server as server
    import navigator.workers as workers
    from navigator.cli import main

    watch = Watch(out)
    serve_app, put = server.serve_app, inbox.Inbox.put

    async def watched(*args: Any, **kwargs: Any) -> None:
        watch.start(asyncio.get_running_loop())
        await serve_app(*args, **kwargs)

    def counted(self: inbox.Inbox, *args: Any, **kwargs: Any) -> None:
        watch.messages += 1
        put(self, *args, **kwargs)

    server.serve_app = workers.serve_app = watched  # type: ignore[assignment]
    inbox.Inbox.put = counted  # type: ignore[method-assign]
    return main(argv)


def summary(path: Path) -> dict[str, Any]:
    """The steady part of a watched run: per 10,000 messages, and the late beats."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line]
    pairs = list(zip(rows, rows[1:], strict=False))
    rates = [(b["messages"] - a["messages"]) / (b["t"] - a["t"]) for a, b in pairs]
    steady = [(a, b) for (a, b), r in zip(pairs, rates, strict=True) if r >= 0.85 * max(rates)]
    messages = sum(b["messages"] - a["messages"] for a, b in steady)
    seconds = sum(b["t"] - a["t"] for a, b in steady)
    cpu_s = sum(b["loop_cpu_s"] - a["loop_cpu_s"] for a, b in steady)
    late = [x for _, b in steady for x in b["late"]]
    gc_ms = [sum(b["gc_cpu_ms"][k] for _, b in steady) for k in range(3)]
    per = 1e4 / messages
    return {
        "steady_s": round(seconds), "messages_per_s": round(messages / seconds),
        "loop_cpu_ms_per_message": round(cpu_s * 1000 / messages, 3),
        "collections_per_10k": [round(sum(b["collections"][k] for _, b in steady) * per, 1)
                                for k in range(3)],
        "gc_cpu_ms_per_10k": [round(ms * per) for ms in gc_ms],
        "gc_share_of_loop_cpu_pct": round(sum(gc_ms) / 10 / cpu_s, 1),
        "full_collections_ms": sorted(ms for _, b in steady for ms in b["full_ms"]),
        "late_beats_per_10k": {f">{ms}ms": round(sum(x["late_ms"] > ms for x in late) * per, 1)
                               for ms in (30, 50, 100)},
        "worst_late": sorted(late, key=lambda x: -x["late_ms"])[:5],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, help="serve, writing the watch here")
    parser.add_argument("--summary", type=Path, help="summarise a watched run")
    parser.add_argument("serve", nargs=argparse.REMAINDER, help="-- blindpilot's arguments")
    args = parser.parse_args(argv)
    if args.summary:
        print(json.dumps(summary(args.summary), indent=1))
        return 0
    if not args.out:
        parser.error("--out FILE -- serve ... (or --summary FILE)")
    return serve_watched(args.out, [a for a in args.serve if a != "--"])


if __name__ == "__main__":
    sys.exit(main())
