"""Service fixtures: a database holding the real default city, apps and keyed clients."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import pytest
import uvloop
from aiohttp import web
from aiohttp.test_utils import TestClient

from beacons.layout import BeaconLayout
from beacons.planning import plan_beacons, plan_decision_beacons
from navigator.app import create_app
from navigator.mapimport import ensure_default_city
from navigator.mapstate import MapState
from navigator.settings import DEFAULT_CITY_FILE, Settings
from navigator.storage import ROLES, MapSnapshot, Storage
from routing.graph import build_graph
from routing.osm import read_osm

T = TypeVar("T")


def dense_map(osm: Path, decision_points: bool = False) -> MapState:
    """The live map of an OSM file with a beacon every 10 m of path (simulated walks), or with
    beacons at decision points only (the street world's layout)."""
    extract = read_osm(osm)
    graph = build_graph(extract.nodes, extract.edges)
    layout = (plan_decision_beacons(graph, extract.places) if decision_points
              else plan_beacons(graph, spacing_m=10.0))
    return MapState(MapSnapshot(extract.nodes, extract.edges, extract.places,
                                BeaconLayout.of(layout), []))


@pytest.fixture(scope="session")
def city_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file with Kaiserslautern and its planned beacons, copied per test."""
    path = tmp_path_factory.mktemp("city") / "city.db"
    storage = Storage(f"sqlite:///{path}")
    storage.migrate()
    ensure_default_city(storage, DEFAULT_CITY_FILE, 10.0)
    storage.close()
    return path


@pytest.fixture
def city_db_url(city_db_template: Path, tmp_path: Path) -> str:
    return copy_city(city_db_template, tmp_path)


def copy_city(template: Path, folder: Path) -> str:
    """A private copy of the city database in ``folder``, as a database URL."""
    dst = folder / "city.db"
    shutil.copy(template, dst)
    return f"sqlite:///{dst}"


def make_settings(url: str, tmp_path: Path, **overrides: object) -> Settings:
    base = Settings(database_url=url, speech=False, bluetooth_probe=False,
                    audio_dir=tmp_path / "audio", public_rate_per_s=10_000, public_burst=10_000,
                    ws_messages_per_s=10_000)
    return base.with_(**overrides)


@pytest.fixture
def settings(city_db_url: str, tmp_path: Path) -> Settings:
    return make_settings(city_db_url, tmp_path, default_city=None)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """The default city on SQLite (copied) or imported into a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return make_settings(request.getfixturevalue("city_db_url"), tmp_path, default_city=None)
    return make_settings(request.getfixturevalue("pg_url"), tmp_path)


@pytest.fixture
def api_keys(settings: Settings) -> dict[str, str]:
    return create_keys(settings.database_url)


def create_keys(url: str) -> dict[str, str]:
    storage = Storage(url)
    storage.migrate()
    keys = {role: storage.create_api_key(role) for role in ROLES}
    storage.close()
    return keys


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


ClientFactory = Callable[[Settings], Awaitable[TestClient]]


@pytest.fixture
def make_client(aiohttp_client) -> ClientFactory:  # type: ignore[no-untyped-def]
    async def make(settings: Settings) -> TestClient:
        return await aiohttp_client(create_app(settings))

    return make


@pytest.fixture
async def client(make_client: ClientFactory, settings: Settings) -> TestClient:
    return await make_client(settings)


class LiveServer:
    """The real app on 127.0.0.1:<free port>, served by a loop in a daemon thread (for clients
    that are not asyncio: requests, schemathesis, a browser driven by Playwright). Everything
    runs on that thread's loop, so the caller's thread may hold a loop of its own."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.loop = uvloop.new_event_loop()  # as a serving worker's (navigator.workers)
        self.runner = web.AppRunner(app, access_log=None)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.base_url = ""

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        self.run(self.runner.setup())
        self.run(web.TCPSite(self.runner, "127.0.0.1", 0).start())
        host, port = self.runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.run(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()
