"""Service fixtures: a database holding the real default city, apps and keyed clients."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from navigator.app import create_app
from navigator.mapimport import ensure_default_city
from navigator.settings import DEFAULT_CITY_FILE, Settings
from navigator.storage import ROLES, Storage


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
    dst = tmp_path / "city.db"
    shutil.copy(city_db_template, dst)
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
