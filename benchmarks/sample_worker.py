"""One worker served in this process with a stack sampler on its event loop: where its CPU goes
under a real load, without py-spy (not in the venv).

    python -m benchmarks.sample_worker --db sqlite:///ws.db --port 18731 --out samples.json &
    python -m benchmarks.loadgen --url http://127.0.0.1:18731 --db sqlite:///ws.db \
        --plan 500x1 --seconds 40 --server-pid <pid>
    kill -USR1 <pid>   # once the load generator's sessions have started: counts start afresh
    kill -TERM <pid>   # stops the worker and writes the counts

A thread reads the loop thread's stack every ``--every-ms`` (the interpreter's switch interval
is cut to 0.5 ms so it gets its turn); each function on the stack is counted once per sample
(inclusive), and the innermost one again as ``SELF``. The positioner's compiled kernels release
the GIL, so their time is counted at the line that called them. Shares are of samples; the
worker runs on uvloop, as a serving one does: its loop is C, so its idle time and the
transport's reads and writes all show as ``SELF .../asyncio/runners.py:run``.
"""

from __future__ import annotations

import argparse
import collections
import json
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

import uvloop


class Sampler:
    """Counts of the functions on one thread's stack, sampled from another thread."""

    def __init__(self, thread_id: int, every_s: float) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.samples = 0
        self._thread_id, self._every_s = thread_id, every_s
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.wait(self._every_s):
            frame: FrameType | None = sys._current_frames().get(self._thread_id)  # noqa: SLF001
            if frame is None:
                continue
            self.samples += 1
            seen: set[str] = set()
            self.counts["SELF " + _name(frame)] += 1
            while frame is not None:
                name = _name(frame)
                if name not in seen:
                    seen.add(name)
                    self.counts[name] += 1
                frame = frame.f_back

    def reset(self) -> None:
        self.counts.clear()
        self.samples = 0

    def stop(self) -> None:
        self._stop.set()

    def report(self) -> dict[str, Any]:
        return {"samples": self.samples, "counts": self.counts.most_common(400)}


def _name(frame: FrameType) -> str:
    path = frame.f_code.co_filename
    return f"{path.split('site-packages/')[-1]}:{frame.f_code.co_name}"


def main(argv: list[str] | None = None) -> int:
    from navigator.server import serve_app
    from navigator.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="database URL (the default city is imported)")
    parser.add_argument("--port", type=int, default=18731)
    parser.add_argument("--out", required=True, help="JSON file for the counts")
    parser.add_argument("--every-ms", type=float, default=2.0)
    args = parser.parse_args(argv)
    sys.setswitchinterval(0.0005)
    sampler = Sampler(threading.get_ident(), args.every_ms / 1000.0)
    signal.signal(signal.SIGUSR1, lambda *_: sampler.reset())
    threading.Thread(target=sampler.run, name="sampler", daemon=True).start()
    settings = Settings(database_url=args.db, port=args.port, speech=False,
                        bluetooth_probe=False)
    started = time.monotonic()
    try:
        uvloop.run(serve_app(settings))  # as a worker runs it (navigator.workers)
    finally:
        sampler.stop()
        Path(args.out).write_text(json.dumps({**sampler.report(),
                                              "seconds": time.monotonic() - started}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
