"""Fixtures shared by every test package: real data paths and databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import uvloop

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
OSM_DIR = SHARED_DATA / "osm"
KAISERSLAUTERN = OSM_DIR / "kaiserslautern_cc_2013.osm.gz"
NEUKOELLN = OSM_DIR / "berlin_neukoelln_karl-marx-platz_2024-03-30.osm"
HERRENBERG = OSM_DIR / "herrenberg-minimal_2021.osm.pbf"
#: The 24 real advertisement vectors (hex + the fields they must decode to).
BLE_VECTORS = json.loads((SHARED_DATA / "ble_vectors.json").read_text())

PG_URL_ENV = "BLINDPILOT_TEST_PG_URL"
_PG_SKIP = (
    "PostgreSQL NOT AVAILABLE ({why}): the scale-out path is NOT tested in this run. "
    "`make test` starts a private server (scripts/pg.sh); run the suite through it."
)


def pytest_report_header(config: pytest.Config) -> list[str]:
    url = os.environ.get(PG_URL_ENV)
    chromium = shutil.which("chromium")
    return [f"postgresql: {url}" if url else "postgresql: NOT AVAILABLE — postgres tests will skip",
            f"chromium: {chromium}" if chromium
            else "chromium: NOT AVAILABLE — the companion app's browser tests will skip"]


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item
                                  ) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """Every async test on uvloop, the loop a serving worker runs (navigator.workers)."""
    return {"uvloop": uvloop.new_event_loop}


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the private test server, dropped afterwards."""
    admin_url = os.environ.get(PG_URL_ENV)
    if not admin_url:
        warnings.warn(_PG_SKIP.format(why=f"{PG_URL_ENV} unset"), stacklevel=1)
        pytest.skip(_PG_SKIP.format(why=f"{PG_URL_ENV} unset"))
    name = f"bp_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url.replace("postgresql:", "postgresql+psycopg:", 1),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Run a test against both supported databases."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")
