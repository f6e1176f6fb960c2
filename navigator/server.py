"""Running the app under a real socket, with a friendly first message for a new user."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from typing import TextIO

from aiohttp import web

from navigator.app import LoadedService, create_app
from navigator.collector import collect_fully_less_often
from navigator.keys import MAP
from navigator.pipeline import warm_positioner
from navigator.settings import Settings

#: Connections waiting to be accepted (a city's phones reconnecting after a restart come at once).
BACKLOG = 2048


def first_curl_example(base: str, mapstate: object) -> str:
    """A route request between two real places of the loaded map, ready to paste."""
    found = getattr(mapstate, "places", {})
    # MapState.places is keyed by place id: index the values, not the dict (KeyError: 0).
    places = list(found.values()) if isinstance(found, dict) else list(found)
    if len(places) >= 2:
        a, b = places[0], places[len(places) // 2]
        body = f'{{"from": {{"place": {a.id}}}, "to": {{"place": {b.id}}}, "lang": "en"}}'
        hint = f"# from {a.name} to {b.name}\n"
    else:
        body = '{"from": {"lat": 49.4447, "lon": 7.7690}, "to": {"lat": 49.4432, "lon": 7.7717}}'
        hint = ""
    return (f"{hint}curl -s -X POST {base}/v1/routes -H 'Content-Type: application/json' "
            f"-d '{body}'")


def print_banner(base: str, mapstate: object, out: TextIO | None = None) -> None:
    """Print the URL and a first request to try, in one write. A worker's stdout is the
    supervisor's file too, and unbuffered (``PYTHONUNBUFFERED``) ``print`` writes a line's end
    apart from its text: the supervisor's "worker_died" log line once landed between the two,
    on the banner's line, where a reader of the JSON log lines could not find it (and a worker
    killed between them leaves its line unended)."""
    stream = out or sys.stdout
    stream.write(f"Blind Pilot is serving on {base}  (companion app for walkers: {base}/app/, "
                 f"health: {base}/health)\n{first_curl_example(base, mapstate)}\n")
    stream.flush()


def make_runner(app: web.Application, settings: Settings) -> web.AppRunner:
    """The app's runner with the connection timeouts of ``settings``.

    aiohttp closes a connection that has not sent a whole request head within its keep-alive
    timeout of opening (or of its last response), whatever trickles in meanwhile: so that is
    the header timeout (without it, 2,000 silent or half-header sockets stayed open 100 s+).
    Bodies are timed by :func:`navigator.api.read_body`, and a body a handler leaves unread is
    drained for at most ``lingering_time``.
    """
    return web.AppRunner(app, access_log=None, handle_signals=False,
                         keepalive_timeout=settings.header_timeout_s,
                         lingering_time=min(10.0, settings.body_timeout_s))


async def serve_app(settings: Settings, loaded: LoadedService | None = None,
                    sock: socket.socket | None = None, announce: bool = True,
                    worker: int = 0) -> None:
    """Serve until SIGINT/SIGTERM, on ``sock`` (worker ``worker``'s inherited listening socket)
    or on the settings' host and port; with ``announce``, print the URL once the port answers."""
    collect_fully_less_often()
    app = create_app(settings, loaded, worker)
    runner = make_runner(app, settings)
    await runner.setup()
    site = (web.SockSite(runner, sock, backlog=BACKLOG) if sock is not None
            else web.TCPSite(runner, settings.host, settings.port, backlog=BACKLOG))
    await site.start()
    # numba's start and the positioner's cached machine code, in a thread: once the port
    # answers (started with the app, its import took the GIL from the worker's start and
    # delayed its first /health), yet before the first walker's scan would wait for it
    warm_positioner()
    if announce:
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        print_banner(f"http://{host}:{settings.port}", app[MAP])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
