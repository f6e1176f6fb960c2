"""Opening a database: the URL, the engine, the schema migrations, and :class:`Database`, the
transactions every storage job runs in.

SQLite (WAL) is the embedded default; the same code runs on PostgreSQL. The schema is owned by the
alembic migrations in ``navigator/migrations``; :meth:`Database.migrate` brings any database to
head.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from navigator.storage.errors import StorageError

log = logging.getLogger(__name__)

#: The newest migration in ``navigator/migrations/versions`` (a test keeps the two in step).
SCHEMA_HEAD = "0013_beacon_cache"
MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


def normalise_url(url: str) -> str:
    """Accept ``sqlite:///file``, ``postgresql://...`` (psycopg 3); reject every other scheme."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme in ("sqlite", "sqlite+pysqlite"):
        return url
    if scheme in ("postgres", "postgresql", "postgresql+psycopg"):
        return "postgresql+psycopg:" + url.split(":", 1)[1]
    raise StorageError(
        f"unsupported database URL scheme {scheme or url!r}: use sqlite:///FILE or postgresql://..."
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for a normalised URL; SQLite gets WAL, foreign keys and a busy timeout."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def alembic_config(url: str) -> Any:
    """An alembic Config pointing at the packaged migrations and the given database."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


class Database:
    """One engine, and the transactions each storage job (a subclass) runs its SQL in.

    Writes are serialised by a process-wide lock so SQLite never sees two writers from one
    process; PostgreSQL additionally relies on row-level conditions (``revision``) for races
    between processes.
    """

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self._write_lock = threading.Lock()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: committed whole or rolled back whole."""
        with self._write_lock, self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read_snapshot(self) -> Iterator[Connection]:
        """A connection whose reads all see one committed state of the database.

        The map is read in several queries; between two of them another writer (an import
        in this or another process) may commit, and nodes from before it with edges from after
        it make a torn map. pysqlite starts a transaction only before a write, so SQLite gets an
        explicit BEGIN (its snapshot is taken at the first read); PostgreSQL reads at
        REPEATABLE READ.
        """
        with self.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN")
            else:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            yield conn

    def migrate(self) -> None:
        """Bring the schema to the newest alembic revision (creates it on an empty database).

        A database already at :data:`SCHEMA_HEAD` is left alone without loading alembic and its
        scripts (a tenth of a second of every start).
        """
        if self.schema_version() == SCHEMA_HEAD:
            return
        from alembic import command

        command.upgrade(alembic_config(self.url), "head")

    def schema_version(self) -> str | None:
        """The alembic revision this database is at; None before the first migration."""
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except sa.exc.SQLAlchemyError:
            log.exception("database ping failed")
            return False

    def count(self, table: type[SQLModel]) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
