"""A worker's CPU per live scan, by stage, without sockets: precomputed walks replayed through
the live path in one process.

    python -m benchmarks.replay_live --db sqlite:////tmp/ws.db --sessions 500 --rounds 30 \
        [--profile out.pstats]

Sessions are opened as the WebSocket's POST opens them (:func:`navigator.livesessions.
open_session`); then each round every session's next scan message goes through what the worker
does with it: decode (:func:`navigator.live.read_message`), answer (position and guide,
:func:`navigator.live.answer_messages`, in rounds of at most ``--round`` walkers as the inbox
cuts them), write (:func:`navigator.inbox.dumps`). The CPU seconds of each stage per scan are
printed as one JSON line, the answer split into positioning (:func:`navigator.pipeline.
position_all`) and the rest (guidance, events); what a socket costs (reading frames, aiohttp) is
not in it, the bare echo of :mod:`benchmarks.loadgen` measures that. ``--skip 0.3`` leaves out
that share of each walker's scans (drawn with a fixed seed), as an overloaded worker answers
them ``late`` without positioning them: what that costs the scans that are positioned.
``--by-walker`` plays each walker's scans in turn, all of one walker's before the next's (as
:mod:`benchmarks.positioner_ab` does), instead of round by round across all walkers (as a worker
does): the same scans either way, so the difference is what interleaving many walkers costs.
Each scan's positioning is also timed alone: ``update_us_median`` and ``update_us_p90``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import random
import sys
import time
from typing import Any

import numpy as np
from aiohttp import web

from benchmarks.loadgen import precompute_walks
from navigator import live as live_module
from navigator.app import create_app
from navigator.inbox import Delivery, dumps
from navigator.live import answer_messages, read_message
from navigator.liveschemas import SessionCreate
from navigator.livesessions import SESSIONS, LiveSession, open_session
from navigator.settings import Settings


async def _replay(args: argparse.Namespace) -> dict[str, Any]:
    app = create_app(Settings(database_url=args.db, speech=False, bluetooth_probe=False,
                              ws_messages_per_s=1000.0))
    runner = web.AppRunner(app)
    position_all = live_module.position_all
    await runner.setup()  # the first start imports the default city into ``--db``
    try:
        walks = precompute_walks(args.db, args.walks, 300.0)
        lives: list[tuple[LiveSession, tuple[str, ...]]] = []
        for i in range(args.sessions):
            walk = walks[i % len(walks)]
            body = SessionCreate.model_validate({
                "from": {"lat": walk.start[0], "lon": walk.start[1]},
                "to": {"lat": walk.end[0], "lon": walk.end[1]}, "lang": "en"})
            live, _, _ = await open_session(app, body, walk.start)
            lives.append((live, walk.messages))
        registry = app[SESSIONS]
        positioning = [0.0]
        updates: list[float] = []

        def timed_position_all(pairs: Any) -> Any:
            out = []
            for pair in pairs:  # as position_all does: one walker after another
                t = time.process_time()
                out += position_all([pair])
                took = time.process_time() - t
                positioning[0] += took
                if counted[0]:
                    updates.append(took)
            return out

        live_module.position_all = timed_position_all  # type: ignore[assignment]
        skip = random.Random(3)
        kept = [[r < len(messages) and skip.random() >= args.skip for _, messages in lives]
                for r in range(args.rounds)]  # drawn round by round in either order
        plays = ([[(i, r)] for i in range(len(lives)) for r in range(args.rounds)]
                 if args.by_walker else
                 [[(i, r) for i in range(len(lives))] for r in range(args.rounds)])
        ws: Any = None  # answers are written to bytes, not sent
        stages = {"decode": 0.0, "position": 0.0, "guide": 0.0, "write": 0.0}
        scans = 0
        counted = [False]
        start = time.monotonic()  # a walker's scans arrive a second apart, in either order
        profiler = cProfile.Profile() if args.profile else None
        for play in plays:
            r = play[0][1]
            counted[0] = r >= args.warm  # the first scans seed the clouds: not the steady state
            batch = []
            positioned = positioning[0]
            t0 = time.process_time()
            for i, r in play:
                live, messages = lives[i]
                if kept[r][i]:
                    batch.append(Delivery(live, ws, read_message(registry, live, messages[r],
                                                                 start + r)))
            t1 = time.process_time()
            if profiler:
                profiler.enable()
            replies = []
            for k in range(0, len(batch), args.round):
                replies += answer_messages(app, batch[k:k + args.round], lambda i: True)
            if profiler:
                profiler.disable()
            t2 = time.process_time()
            frames = [dumps(out) for reply in replies for out in reply]
            t3 = time.process_time()
            if counted[0]:
                stages["decode"] += t1 - t0
                stages["position"] += positioning[0] - positioned
                stages["guide"] += t2 - t1 - (positioning[0] - positioned)
                stages["write"] += t3 - t2
                scans += len(batch)
            del frames
        if profiler:
            profiler.dump_stats(args.profile)
    finally:
        live_module.position_all = position_all  # type: ignore[assignment]
        await runner.cleanup()
    total = sum(stages.values())
    return {"sessions": args.sessions, "skip": args.skip, "by_walker": args.by_walker,
            "scans": scans,
            "load_1min": os.getloadavg()[0],
            **{f"{k}_us_per_scan": round(v / max(scans, 1) * 1e6, 1) for k, v in stages.items()},
            "total_us_per_scan": round(total / max(scans, 1) * 1e6, 1),
            "update_us_median": round(float(np.median(updates)) * 1e6, 1) if updates else None,
            "update_us_p90": round(float(np.percentile(updates, 90)) * 1e6, 1) if updates else None,
            **{f"{k}_share": round(v / total, 3) for k, v in stages.items() if total}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="database URL holding the map")
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=30, help="scans per session")
    parser.add_argument("--warm", type=int, default=5, help="rounds not counted")
    parser.add_argument("--round", type=int, default=50, help="most walkers per answer call")
    parser.add_argument("--walks", type=int, default=20)
    parser.add_argument("--skip", type=float, default=0.0,
                        help="share of scans left out (answered late, not positioned)")
    parser.add_argument("--by-walker", action="store_true",
                        help="each walker's scans in turn, not round by round")
    parser.add_argument("--profile", help="write cProfile stats of the answer stage here")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(_replay(args))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
