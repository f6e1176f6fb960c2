"""The application's shared state, as typed ``web.AppKey``\\s (aiohttp's own pattern).

Only keys live here, so every module can import them without importing the factory that imports
every route module. The factory (:mod:`navigator.app`) and its cleanup contexts fill them at
start-up. Keys with one owner live next to it: ``METRICS`` in :mod:`navigator.metrics`,
``SESSIONS`` in :mod:`navigator.livesessions`.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any

from aiohttp import web

from navigator.api import RouteTable
from navigator.mapstate import MapState
from navigator.mapsync import MapSync
from navigator.settings import Settings
from navigator.storage import Storage
from voice.service import VoiceService

SETTINGS = web.AppKey("settings", Settings)
STORAGE = web.AppKey("storage", Storage)
MAP = web.AppKey("map", MapState)
#: ``"not_probed"``, ``"available"`` or ``"no_bluetooth"``, as ``/health`` reports it.
BLUETOOTH = web.AppKey("bluetooth", str)
VOICE = web.AppKey("voice", VoiceService)
#: Background tasks (speech pre-warming) cancelled at shutdown.
BACKGROUND = web.AppKey("background", set[asyncio.Task[Any]])
#: PNG plots of recent simulations, by id (kept in memory, newest last).
PLOTS = web.AppKey("plots", OrderedDict)
#: Held by a running map import: imports are parsed and swapped in one at a time.
IMPORTS = web.AppKey("imports", asyncio.Lock)
#: Present when following other processes' map edits (``map_sync_s`` > 0).
MAP_SYNC = web.AppKey("map_sync", MapSync)
#: Which worker process this is: 0..N-1 under ``serve --workers N``, 0 for a lone process.
WORKER = web.AppKey("worker", int)
#: Every area's route table, for the generated OpenAPI document.
ROUTE_TABLES = web.AppKey("route_tables", list[RouteTable])
