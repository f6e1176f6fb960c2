"""All SQL of Blind Pilot: the :class:`Storage` gateway over the tables in :mod:`.tables`.

SQLite (WAL) is the embedded default; the same code runs on PostgreSQL. The schema is owned by the
alembic migrations in ``navigator/migrations``; :meth:`Storage.migrate` brings any database to head.
Times are unix seconds (``*_ts``), lengths metres, power dBm.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import logging
import pickle
import secrets
import sys
import threading
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from beacons.layout import BeaconLayout
from beacons.model import BeaconKind, BeaconPlacement
from navigator.storage.tables import (
    API_KEYS,
    BEACONS,
    CLOSURES,
    EDGES,
    LANDMARKS,
    LIVE_SESSIONS,
    META,
    NODES,
    REVISIONS,
    TRACKS,
    ApiKey,
    Beacon,
    Closure,
    Edge,
    Landmark,
    LiveSessionRecord,
    MapRevision,
    Meta,
    Node,
    Track,
    table_of,
)
from routing.model import EdgeRecord, MapExtract, NodeRecord, PlaceRecord

log = logging.getLogger(__name__)

ROLES = ("pedestrian", "mapper", "tester", "admin")
#: The newest migration in ``navigator/migrations/versions`` (a test keeps the two in step).
SCHEMA_HEAD = "0003"
MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
#: How many audit-log ids below the newest may still be in flight (PostgreSQL hands ids out
#: before commit): map sync re-examines this many, and a snapshot lists this many.
REVISION_WINDOW = 200


class StorageError(ValueError):
    """A storage request that cannot be served as asked (bad URL, map already present, ...)."""


# --------------------------------------------------------------------------- conversions

#: Edge columns in :class:`EdgeRecord` field order, so a selected row builds one positionally.
EDGE_RECORD_FIELDS: tuple[str, ...] = EdgeRecord._fields
_BEACON_KINDS = {k.value: k for k in BeaconKind}


@dataclass(frozen=True, slots=True)
class MapSnapshot:
    """Everything the live service needs from storage to build its in-memory map."""

    nodes: list[NodeRecord]
    edges: list[EdgeRecord]
    places: list[PlaceRecord]
    beacons: BeaconLayout
    closures: list[ClosureWindow]
    #: The newest audit-log id the snapshot includes (0: none), and the newest
    #: :data:`REVISION_WINDOW` ids, read in the same transaction as the map.
    revision: int = 0
    revision_ids: list[int] = dataclasses.field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ClosureWindow:
    """An edge closed from ``starts_ts`` until ``ends_ts`` (None: until reopened)."""

    edge_id: int
    starts_ts: float
    ends_ts: float | None

    def active(self, now_ts: float) -> bool:
        return self.starts_ts <= now_ts and (self.ends_ts is None or now_ts < self.ends_ts)


# --------------------------------------------------------------------------- URLs and engine


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


def hash_key(key: str) -> str:
    """API keys are stored as sha256 only (keys are 32 random bytes, so no salt is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


# --------------------------------------------------------------------------- the gateway


class Storage:
    """Synchronous gateway over one engine; the aiohttp layer calls it through a thread.

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

    # ---- schema

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

    # ---- map

    def count(self, table: type[SQLModel]) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

    def replace_map(self, extract: MapExtract, *, actor: str | None, source: str) -> None:
        """Replace nodes, edges and landmarks with an import, in one transaction.

        Closures are dropped with the edges they named; beacons stay (they hang on real poles)
        and the audit log records the import.
        """
        with self.write() as conn:
            for table in (Closure, Edge, Landmark, Node):
                conn.execute(sa.delete(table))
            _insert_many(conn, Node, ({**n._asdict(), "revision": 1} for n in extract.nodes))
            _insert_many(conn, Edge, ({**e._asdict(), "revision": 1} for e in extract.edges))
            _insert_many(
                conn,
                Landmark,
                (
                    {
                        "id": p.id,
                        "name": p.name,
                        "kind": p.kind,
                        "lat": p.lat,
                        "lon": p.lon,
                        "level": p.level,
                        "osm_id": p.osm_id,
                        "revision": 1,
                    }
                    for p in extract.places
                ),
            )
            summary = {
                "source": source,
                "nodes": len(extract.nodes),
                "edges": len(extract.edges),
                "landmarks": len(extract.places),
            }
            conn.execute(
                sa.insert(MapRevision).values(
                    entity="map",
                    action="import",
                    actor=actor,
                    at_ts=time.time(),
                    after=json.dumps(summary),
                )
            )
        log.info("map imported", extra={"event": "map_import", **summary})

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

    def load_map(self, beacons: bool = True) -> MapSnapshot:
        """Everything the live map needs, read in one consistent snapshot with column queries,
        never ORM objects (``beacons=False``: an empty layout, for a caller that reads it
        elsewhere). The snapshot names the audit-log revisions it includes."""
        with self.read_snapshot() as conn:
            revision_ids = _recent_revision_ids(conn, REVISION_WINDOW)
            nodes, edges = _read_graph(conn)
            return MapSnapshot(
                nodes=nodes,
                edges=edges,
                places=_read_places(conn),
                beacons=_read_beacons(conn) if beacons else BeaconLayout.of([]),
                closures=_read_closures(conn),
                revision=max(revision_ids, default=0),
                revision_ids=revision_ids,
            )

    def load_graph(self) -> tuple[list[NodeRecord], list[EdgeRecord]]:
        """Nodes and edges as domain records (rows built positionally: 200k edges in ~1 s)."""
        with self.read_snapshot() as conn:
            return _read_graph(conn)

    def load_places(self) -> list[PlaceRecord]:
        with self.engine.connect() as conn:
            return _read_places(conn)

    def load_beacons(self) -> BeaconLayout:
        """The beacon layout as columns (half a million beacons in well under a second)."""
        with self.engine.connect() as conn:
            return _read_beacons(conn)

    def load_closures(self) -> list[ClosureWindow]:
        with self.engine.connect() as conn:
            return _read_closures(conn)

    def replace_beacons(self, placements: Sequence[BeaconPlacement], *, actor: str | None) -> int:
        """Store a planned layout in place of the current beacons, audited as one revision (its
        id is returned)."""
        with self.write() as conn:
            conn.execute(sa.delete(Beacon))
            _insert_many(
                conn,
                Beacon,
                (
                    {
                        "kind": p.beacon.kind.value,
                        "ident": p.beacon.ident,
                        "lat": p.lat,
                        "lon": p.lon,
                        "level": p.level,
                        "measured_power": p.measured_power_dbm,
                        "revision": 1,
                    }
                    for p in placements
                ),
            )
            return _inserted_id(conn.execute(
                sa.insert(MapRevision).values(
                    entity="beacons",
                    action="plan",
                    actor=actor,
                    at_ts=time.time(),
                    after=json.dumps({"beacons": len(placements)}),
                )
            ))

    def mark_beacons_seen(
        self,
        heard: dict[str, float],
        telemetry: dict[str, tuple[int | None, float | None]] | None = None,
    ) -> None:
        """Record when beacons were last heard (live scans, surveys) and, from Eddystone-TLM
        frames in surveys, their battery (mV) and temperature (°C), for beacon health."""
        seen = (
            sa.update(Beacon)
            .where(
                BEACONS.c.ident == sa.bindparam("b_ident"),
                sa.or_(
                    BEACONS.c.last_seen_ts.is_(None), BEACONS.c.last_seen_ts < sa.bindparam("b_ts")
                ),
            )
            .values(last_seen_ts=sa.bindparam("b_ts"))
        )
        tlm = (
            sa.update(Beacon)
            .where(BEACONS.c.ident == sa.bindparam("b_ident"))
            .values(battery_mv=sa.bindparam("b_mv"), temperature_c=sa.bindparam("b_c"))
        )
        with self.write() as conn:  # one executemany each: thousands of beacons per flush
            if heard:
                conn.execute(seen, [{"b_ident": i, "b_ts": ts} for i, ts in heard.items()])
            if telemetry:
                conn.execute(
                    tlm, [{"b_ident": i, "b_mv": mv, "b_c": c} for i, (mv, c) in telemetry.items()]
                )

    # ---- keeping every process's live map in step with the database

    def recent_revision_ids(self, count: int) -> list[int]:
        """The ids of the newest ``count`` audit-log entries: what a map loaded now includes."""
        with self.engine.connect() as conn:
            return _recent_revision_ids(conn, count)

    def changes_since(
        self, after_id: int, skip: Collection[int], limit: int = 1000
    ) -> tuple[list[int], MapChange | None]:
        """Audit-log ids above ``after_id`` not in ``skip`` (oldest first, at most ``limit``) and
        one change that brings a live map to the database's *current* state of everything they
        touched, read in one go so it is consistent. Applying it twice is harmless. None instead
        of a change when one of them replaced the whole map (an import): reload it then.
        """
        with self.engine.connect() as conn:
            refs = [
                r for r in conn.execute(
                    sa.select(REVISIONS.c.id, REVISIONS.c.entity, REVISIONS.c.entity_id)
                    .where(REVISIONS.c.id > after_id).order_by(REVISIONS.c.id).limit(limit)
                ) if r.id not in skip
            ]
            ids = [r.id for r in refs]
            if any(r.entity == "map" for r in refs):
                return ids, None
            touched = [(r.entity, r.entity_id) for r in refs]
            return ids, _change_now(conn, ids[-1] if ids else after_id, "sync", None, touched)

    def beacon_health(
        self, silent_before_ts: float, *, silent_only: bool, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int, int]:
        """Beacons not heard since ``silent_before_ts`` (or never) first, then the rest, by id;
        one page of them, the number of beacons listed in all and how many of them are silent.

        Ordered and counted in SQL: a city's layout can be far bigger than one page, and a
        silent beacon must not hide behind the page limit.
        """
        silent = sa.or_(BEACONS.c.last_seen_ts.is_(None), BEACONS.c.last_seen_ts < silent_before_ts)
        where = silent if silent_only else sa.true()
        with self.engine.connect() as conn:
            total, n_silent = conn.execute(
                sa.select(sa.func.count(), sa.func.count().filter(silent)).where(where)
            ).one()
            rows = conn.execute(
                sa.select(BEACONS, silent.label("silent"))
                .where(where)
                .order_by(sa.case((silent, 0), else_=1), BEACONS.c.id)
                .limit(limit)
                .offset(offset)
            )
            return [dict(r._mapping) for r in rows], int(total), int(n_silent)

    # ---- live session descriptors (for resuming in another process)

    def save_session(self, session_id: str, request_json: str, now_ts: float) -> None:
        with self.write() as conn:
            conn.execute(
                sa.insert(LiveSessionRecord).values(
                    id=session_id, created_ts=now_ts, last_active_ts=now_ts, request=request_json
                )
            )

    def load_session(self, session_id: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(LIVE_SESSIONS.c.request).where(LIVE_SESSIONS.c.id == session_id)
            ).scalar_one_or_none()

    def touch_sessions(self, session_ids: list[str], now_ts: float) -> None:
        if session_ids:
            with self.write() as conn:
                conn.execute(
                    sa.update(LiveSessionRecord)
                    .where(LIVE_SESSIONS.c.id.in_(session_ids))
                    .values(last_active_ts=now_ts)
                )

    def delete_session(self, session_id: str, untouched_since: float | None = None) -> None:
        """Forget a session's descriptor; with ``untouched_since``, only if no process touched it
        after that (an idle copy expiring here while another process carries the walk on)."""
        query = sa.delete(LiveSessionRecord).where(LIVE_SESSIONS.c.id == session_id)
        if untouched_since is not None:
            query = query.where(LIVE_SESSIONS.c.last_active_ts <= untouched_since)
        with self.write() as conn:
            conn.execute(query)

    def delete_idle_sessions(self, before_ts: float) -> int:
        """Forget sessions no process has touched since ``before_ts`` (their process died)."""
        with self.write() as conn:
            return conn.execute(
                sa.delete(LiveSessionRecord).where(LIVE_SESSIONS.c.last_active_ts < before_ts)
            ).rowcount

    # ---- opted-in tracks

    def save_track(
        self, session_id: str, started_ts: float, ended_ts: float, points: list[list[float]]
    ) -> None:
        """Store an opted-in track, merged by time with what is already stored for the session:
        a session resumed in another process (behind a proxy) is saved by each process that
        served part of it, in any order."""
        for attempt in (1, 2):  # a concurrent first save by another process: merge into it
            try:
                with self.write() as conn:
                    self._merge_track(conn, session_id, started_ts, ended_ts, points)
                return
            except sa.exc.IntegrityError:
                if attempt == 2:
                    raise

    @staticmethod
    def _merge_track(conn: Connection, session_id: str, started_ts: float, ended_ts: float,
                     points: list[list[float]]) -> None:
        query = sa.select(TRACKS.c.started_ts, TRACKS.c.ended_ts, TRACKS.c.points).where(
            TRACKS.c.session_id == session_id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        old = conn.execute(query).first()
        if old is None:
            conn.execute(sa.insert(Track).values(session_id=session_id, started_ts=started_ts,
                                                 ended_ts=ended_ts, points=json.dumps(points)))
            return
        by_time = {p[0]: p for p in json.loads(old.points)}
        by_time.update((p[0], p) for p in points)
        conn.execute(sa.update(Track).where(TRACKS.c.session_id == session_id).values(
            started_ts=min(old.started_ts, started_ts), ended_ts=max(old.ended_ts, ended_ts),
            points=json.dumps([by_time[t] for t in sorted(by_time)])))

    def load_track(self, session_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(TRACKS.c.started_ts, TRACKS.c.ended_ts, TRACKS.c.points).where(
                    TRACKS.c.session_id == session_id
                )
            ).first()
        if row is None:
            return None
        return {"started_ts": row[0], "ended_ts": row[1], "points": json.loads(row[2])}

    # ---- meta

    def get_meta(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(META.c.value).where(META.c.key == key)
            ).scalar_one_or_none()

    def set_meta(self, key: str, value: str) -> None:
        with self.write() as conn:
            conn.execute(sa.delete(Meta).where(META.c.key == key))
            conn.execute(sa.insert(Meta).values(key=key, value=value))

    # ---- api keys

    def create_api_key(self, role: str) -> str:
        """Make a new key for a role and return it; only its hash is stored."""
        if role not in ROLES:
            raise StorageError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
        key = "bp_" + secrets.token_urlsafe(32)
        with self.write() as conn:
            conn.execute(
                sa.insert(ApiKey).values(
                    key_hash=hash_key(key), prefix=key[:10], role=role, created_ts=time.time()
                )
            )
        return key

    def role_of_key(self, key: str) -> tuple[str, str] | None:
        """(role, key prefix for audit) of a valid, unrevoked key, else None."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(API_KEYS.c.role, API_KEYS.c.prefix).where(
                    API_KEYS.c.key_hash == hash_key(key), API_KEYS.c.revoked == sa.false()
                )
            ).first()
        return (row[0], row[1]) if row else None


def write_beacon_layout(path: str) -> None:
    """Entry of the start-up helper process (see :func:`navigator.mapstate.load_map_state`):
    the database URL comes on stdin (not argv, which ``ps`` shows), the pickled layout goes to
    ``path``."""
    gc.disable()  # a short-lived process making half a million objects and no garbage
    storage = Storage(sys.stdin.readline().strip())
    try:
        layout = storage.load_beacons()
    finally:
        storage.close()
    with open(path, "wb") as out:
        pickle.dump(layout, out, protocol=pickle.HIGHEST_PROTOCOL)


def _read_graph(conn: Connection) -> tuple[list[NodeRecord], list[EdgeRecord]]:
    cols = [EDGES.c[name] for name in EDGE_RECORD_FIELDS]
    nodes = list(map(NodeRecord._make, _plain_rows(
        conn, sa.select(NODES.c.id, NODES.c.lat, NODES.c.lon, NODES.c.level)
    )))
    # through SQLAlchemy: it turns SQLite's 0/1 into the booleans the records promise
    edges = list(map(EdgeRecord._make, conn.execute(sa.select(*cols)).fetchall()))
    return nodes, edges


def _read_places(conn: Connection) -> list[PlaceRecord]:
    return [
        PlaceRecord(*row)
        for row in conn.execute(
            sa.select(
                LANDMARKS.c.id,
                LANDMARKS.c.name,
                LANDMARKS.c.kind,
                LANDMARKS.c.lat,
                LANDMARKS.c.lon,
                LANDMARKS.c.level,
                LANDMARKS.c.osm_id,
            )
        )
    ]


def _read_beacons(conn: Connection) -> BeaconLayout:
    rows = _plain_rows(
        conn,
        sa.select(
            BEACONS.c.kind,
            BEACONS.c.ident,
            BEACONS.c.lat,
            BEACONS.c.lon,
            BEACONS.c.level,
            BEACONS.c.measured_power,
        ).order_by(BEACONS.c.id),
    )
    if not rows:
        return BeaconLayout([], [], [], [], [], [])
    columns = [[row[c] for row in rows] for c in range(6)]
    kinds, idents, lat, lon, level, power = columns
    return BeaconLayout([_BEACON_KINDS[k] for k in kinds], idents, lat, lon, level, power)


def _read_closures(conn: Connection) -> list[ClosureWindow]:
    return [
        ClosureWindow(*r)
        for r in conn.execute(
            sa.select(CLOSURES.c.edge_id, CLOSURES.c.starts_ts, CLOSURES.c.ends_ts)
        )
    ]


def _recent_revision_ids(conn: Connection, count: int) -> list[int]:
    return list(conn.execute(
        sa.select(REVISIONS.c.id).order_by(REVISIONS.c.id.desc()).limit(count)
    ).scalars())


def _plain_rows(conn: Connection, query: sa.Select[Any]) -> list[tuple[Any, ...]]:
    """A parameterless query's rows straight from the DB-API cursor, skipping SQLAlchemy's
    row objects (a third of the time on 500k rows). Only for columns the driver already returns
    as the right Python type: ints, floats, text (not SQLite's 0/1 booleans)."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(query.compile(dialect=conn.dialect)))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _insert_many(
    conn: Connection, table: type[SQLModel], rows: Iterable[dict[str, Any]], chunk: int = 5000
) -> None:
    """Bulk insert in chunks (executemany through SQLAlchemy core, no ORM objects)."""
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            conn.execute(sa.insert(table), batch)
            batch = []
    if batch:
        conn.execute(sa.insert(table), batch)


def alembic_config(url: str) -> Any:
    """An alembic Config pointing at the packaged migrations and the given database."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


# --------------------------------------------------------------------------- audited map edits


class NotFound(StorageError):
    code, status = "not_found", 404


class StaleRevision(StorageError):
    code, status = "stale_revision", 412


class InvalidEdit(StorageError):
    """An edit that would break the map (dangling edge, unknown node); names the field."""

    code, status = "invalid_edit", 422

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class EdgeTooLong(InvalidEdit):
    """A segment longer than :data:`MAX_EDGE_M`: a typo (a node moved to another continent)."""

    code = "edge_too_long"


#: The longest walkable segment an edit may make. Longer ones are mistakes, and the live map's
#: snapping grid would have to cover the whole box between their ends.
MAX_EDGE_M = 10_000.0


class EditConflict(StorageError):
    code, status = "conflict", 409


ENTITY_TABLES: dict[str, type[SQLModel]] = {
    "node": Node,
    "edge": Edge,
    "beacon": Beacon,
    "landmark": Landmark,
    "closure": Closure,
}
_ASSIGNED_IDS = (Node, Edge, Landmark)  # ids follow OSM; new ones are max + 1


@dataclass
class MapChange:
    """What one committed edit changed, for the live map to apply without a reload."""

    revision_id: int
    entity: str
    after: dict[str, Any] | None
    nodes: list[NodeRecord]
    edges: list[EdgeRecord]
    places: list[PlaceRecord]
    deleted_nodes: list[int]
    deleted_edges: list[int]
    deleted_places: list[int]
    beacons_changed: bool = False
    closures_changed: bool = False


def _row(
    conn: Connection, table: type[SQLModel], entity_id: int, lock: bool = False
) -> dict[str, Any] | None:
    query = sa.select(table_of(table)).where(table_of(table).c[_pk(table)] == entity_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    return dict(row._mapping) if row else None


def _inserted_id(result: Any) -> int:
    """The primary key a single-row INSERT produced."""
    key = result.inserted_primary_key
    assert key is not None  # every table here has a primary key
    return int(key[0])


def _pk(table: type[SQLModel]) -> str:
    return table_of(table).primary_key.columns.keys()[0]


def node_record(row: dict[str, Any]) -> NodeRecord:
    return NodeRecord(row["id"], row["lat"], row["lon"], row["level"])


def edge_record(row: dict[str, Any]) -> EdgeRecord:
    return EdgeRecord(**{c: row[c] for c in EDGE_RECORD_FIELDS})


def place_record(row: dict[str, Any]) -> PlaceRecord:
    return PlaceRecord(
        id=row["id"],
        name=row["name"],
        kind=row["kind"],
        lat=row["lat"],
        lon=row["lon"],
        level=row["level"],
        osm_id=row["osm_id"],
    )


class MapEditor:
    """Audited create/update/delete/revert of map entities, each in one transaction.

    Every method returns a :class:`MapChange`; the caller applies it to the live map after the
    commit, so what the router sees is always what the database holds.
    """

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    # ---- reads

    def list_rows(self, entity: str, limit: int, offset: int) -> list[dict[str, Any]]:
        table = table_of(ENTITY_TABLES[entity])
        with self.storage.engine.connect() as conn:
            rows = conn.execute(
                sa.select(table)
                .order_by(table.c[_pk(ENTITY_TABLES[entity])])
                .limit(limit)
                .offset(offset)
            )
            return [dict(r._mapping) for r in rows]

    def get(self, entity: str, entity_id: int) -> dict[str, Any]:
        with self.storage.engine.connect() as conn:
            row = _row(conn, ENTITY_TABLES[entity], entity_id)
        if row is None:
            raise NotFound(f"{entity} {entity_id} does not exist")
        return row

    def revisions(self, limit: int, offset: int) -> list[dict[str, Any]]:
        table = table_of(MapRevision)
        with self.storage.engine.connect() as conn:
            rows = conn.execute(
                sa.select(table).order_by(table.c.id.desc()).limit(limit).offset(offset)
            )
            return [dict(r._mapping) for r in rows]

    # ---- writes

    def create(self, entity: str, values: dict[str, Any], actor: str | None) -> MapChange:
        table = ENTITY_TABLES[entity]
        with self.storage.write() as conn:
            values = dict(values)
            if table in _ASSIGNED_IDS and values.get("id") is None:
                values["id"] = (
                    int(
                        conn.execute(
                            sa.select(sa.func.coalesce(sa.func.max(table_of(table).c.id), 0))
                        ).scalar_one()
                    )
                    + 1
                )
            self._check_references(conn, entity, values)
            if entity == "edge":
                span = _edge_length(conn, values["u"], values["v"])
                values["length_m"] = values.get("length_m") or span
            try:
                new_id = _inserted_id(conn.execute(sa.insert(table).values(**values)))
            except sa.exc.IntegrityError as err:
                raise EditConflict(f"{entity} conflicts with an existing one: {err.orig}") from None
            after = _row(conn, table, new_id)
            return self._finish(conn, entity, "create", None, after, actor)

    def update(
        self,
        entity: str,
        entity_id: int,
        changes: dict[str, Any],
        expected_revision: int | None,
        actor: str | None,
    ) -> MapChange:
        table = ENTITY_TABLES[entity]
        with self.storage.write() as conn:
            before = self._current(conn, table, entity, entity_id, expected_revision)
            merged = {**before, **changes}
            self._check_references(conn, entity, merged)
            if entity == "edge" and {"u", "v"} & changes.keys():
                span = _edge_length(
                    conn, merged["u"], merged["v"], field="v" if "v" in changes else "u"
                )
                changes = {"length_m": span, **changes}
            self._guarded_update(conn, table, entity_id, before, changes)
            if entity == "node" and ({"lat", "lon"} & changes.keys()):
                _refresh_incident_lengths(conn, entity_id)
            after = _row(conn, table, entity_id)
            return self._finish(conn, entity, "update", before, after, actor)

    def delete(
        self, entity: str, entity_id: int, expected_revision: int | None, actor: str | None
    ) -> MapChange:
        table = ENTITY_TABLES[entity]
        with self.storage.write() as conn:
            before = self._current(conn, table, entity, entity_id, expected_revision)
            if entity == "node":
                n = conn.execute(
                    sa.select(sa.func.count())
                    .select_from(Edge)
                    .where(sa.or_(EDGES.c.u == entity_id, EDGES.c.v == entity_id))
                ).scalar_one()
                if n:
                    raise InvalidEdit(
                        f"node {entity_id} still has {n} edge(s); delete them first", "id"
                    )
            if entity == "edge":
                conn.execute(sa.delete(Closure).where(CLOSURES.c.edge_id == entity_id))
            conn.execute(sa.delete(table).where(table_of(table).c[_pk(table)] == entity_id))
            return self._finish(conn, entity, "delete", before, None, actor)

    def revert(self, revision_id: int, actor: str | None) -> MapChange:
        """Undo one revision by applying its inverse (a revert of a revert redoes the edit)."""
        with self.storage.write() as conn:
            rev = _row(conn, MapRevision, revision_id)
            if rev is None:
                raise NotFound(f"revision {revision_id} does not exist")
            entity = rev["entity"]
            if entity not in ENTITY_TABLES:
                raise InvalidEdit(
                    f"a {rev['action']} of the whole {entity} cannot be reverted; "
                    "import the previous data instead",
                    "id",
                )
            table = ENTITY_TABLES[entity]
            before_rev = json.loads(rev["before"]) if rev["before"] else None
            entity_id = rev["entity_id"]
            current = _row(conn, table, entity_id, lock=True)
            if before_rev is None:  # undo a create
                if current is None:
                    raise EditConflict(f"{entity} {entity_id} is already gone")
                if (
                    entity == "node"
                    and conn.execute(
                        sa.select(sa.func.count())
                        .select_from(Edge)
                        .where(sa.or_(EDGES.c.u == entity_id, EDGES.c.v == entity_id))
                    ).scalar_one()
                ):
                    raise InvalidEdit(f"node {entity_id} has edges now; delete them first", "id")
                if entity == "edge":
                    conn.execute(sa.delete(Closure).where(CLOSURES.c.edge_id == entity_id))
                conn.execute(sa.delete(table).where(table_of(table).c[_pk(table)] == entity_id))
                after = None
            elif current is None:  # undo a delete
                self._check_references(conn, entity, before_rev)
                conn.execute(sa.insert(table).values(**{**before_rev, "revision": 1}))
                after = _row(conn, table, entity_id)
            else:  # undo an update
                changes = {k: v for k, v in before_rev.items() if k not in ("id", "revision")}
                self._check_references(conn, entity, {**current, **changes})
                self._guarded_update(conn, table, entity_id, current, changes)
                if entity == "node":
                    _refresh_incident_lengths(conn, entity_id)
                after = _row(conn, table, entity_id)
            return self._finish(
                conn,
                entity,
                "revert",
                current,
                after,
                actor,
                reverts_id=revision_id,
                entity_id=entity_id,
            )

    # ---- helpers

    def _current(
        self,
        conn: Connection,
        table: type[SQLModel],
        entity: str,
        entity_id: int,
        expected_revision: int | None,
    ) -> dict[str, Any]:
        row = _row(conn, table, entity_id, lock=True)
        if row is None:
            raise NotFound(f"{entity} {entity_id} does not exist")
        if expected_revision is not None and row.get("revision") != expected_revision:
            raise StaleRevision(
                f"{entity} {entity_id} is at revision {row.get('revision')}, not "
                f"{expected_revision}; reload it and apply your edit again"
            )
        return row

    @staticmethod
    def _guarded_update(
        conn: Connection,
        table: type[SQLModel],
        entity_id: int,
        before: dict[str, Any],
        changes: dict[str, Any],
    ) -> None:
        cols = table_of(table).c
        query = sa.update(table).where(cols[_pk(table)] == entity_id)
        values = dict(changes)
        if "revision" in cols:
            query = query.where(cols.revision == before["revision"])
            values["revision"] = before["revision"] + 1
        try:
            updated = conn.execute(query.values(**values)).rowcount
        except sa.exc.IntegrityError as err:
            raise EditConflict(f"the edit conflicts with an existing object: {err.orig}") from None
        if updated != 1:
            raise StaleRevision("the object changed while this edit was applied; retry")

    @staticmethod
    def _check_references(conn: Connection, entity: str, values: dict[str, Any]) -> None:
        refs: dict[str, tuple[tuple[str, type[SQLModel], str], ...]] = {
            "edge": (("u", Node, "node"), ("v", Node, "node")),
            "closure": (("edge_id", Edge, "edge"),),
        }
        for field, table, noun in refs.get(entity, ()):
            if _row(conn, table, values[field]) is None:
                raise InvalidEdit(f"{field} = {values[field]} names no existing {noun}", field)
        if entity == "edge" and values["u"] == values["v"]:
            raise InvalidEdit("an edge must join two different nodes", "v")

    def _finish(
        self,
        conn: Connection,
        entity: str,
        action: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        actor: str | None,
        reverts_id: int | None = None,
        entity_id: int | None = None,
    ) -> MapChange:
        row = after or before or {}
        pk = _pk(ENTITY_TABLES[entity])
        rev_id = _inserted_id(
            conn.execute(
                sa.insert(MapRevision).values(
                    entity=entity,
                    entity_id=entity_id if entity_id is not None else row.get(pk),
                    action=action,
                    actor=actor,
                    at_ts=time.time(),
                    before=json.dumps(before) if before is not None else None,
                    after=json.dumps(after) if after is not None else None,
                    reverts_id=reverts_id,
                )
            )
        )
        return _change_now(conn, rev_id, entity, after, [(entity, int(row[pk]))])


def _change_now(
    conn: Connection,
    revision_id: int,
    entity: str,
    after: dict[str, Any] | None,
    touched: Sequence[tuple[str, int | None]],
) -> MapChange:
    """What a live map must apply to match the database's current state of the ``touched``
    (entity, id) pairs (a node brings its incident edges along; what is gone is deleted). One
    reader for an edit just made and for edits other processes made (map sync)."""
    change = MapChange(revision_id, entity, after, [], [], [], [], [], [])
    nodes, edges, places = (
        {i for e, i in touched if e == kind and i is not None}
        for kind in ("node", "edge", "landmark")
    )
    found = {r.id: node_record(dict(r._mapping)) for r in conn.execute(
        sa.select(NODES).where(NODES.c.id.in_(nodes)))} if nodes else {}
    change.nodes.extend(found.values())
    change.deleted_nodes.extend(nodes - found.keys())
    near = sa.or_(EDGES.c.id.in_(edges), EDGES.c.u.in_(list(found)), EDGES.c.v.in_(list(found)))
    live = {r.id: edge_record(dict(r._mapping)) for r in conn.execute(
        sa.select(EDGES).where(near))} if edges or found else {}
    change.edges.extend(live.values())
    change.deleted_edges.extend(edges - live.keys())
    kept = {r.id: place_record(dict(r._mapping)) for r in conn.execute(
        sa.select(LANDMARKS).where(LANDMARKS.c.id.in_(places)))} if places else {}
    change.places.extend(kept.values())
    change.deleted_places.extend(places - kept.keys())
    change.beacons_changed = any(e in ("beacon", "beacons") for e, _ in touched)
    # deleting an edge deletes its closures
    change.closures_changed = bool(change.deleted_edges) or any(e == "closure" for e, _ in touched)
    return change


def _edge_length(conn: Connection, u: int, v: int, field: str = "v") -> float:
    """The straight length between two stored nodes; refuses spans over :data:`MAX_EDGE_M`."""
    from routing.geo import haversine_m

    a, b = _row(conn, Node, u), _row(conn, Node, v)
    assert a is not None and b is not None  # checked by _check_references
    length = haversine_m(a["lat"], a["lon"], b["lat"], b["lon"])
    if length > MAX_EDGE_M:
        raise EdgeTooLong(
            f"this edit would make an edge {length / 1000:.1f} km long (nodes {u} "
            f"and {v}); check the coordinates",
            field,
        )
    return max(0.01, length)


def _refresh_incident_lengths(conn: Connection, node_id: int) -> None:
    """A moved node changes the length of every edge that touches it."""
    for e in conn.execute(
        sa.select(EDGES.c.id, EDGES.c.u, EDGES.c.v).where(
            sa.or_(EDGES.c.u == node_id, EDGES.c.v == node_id)
        )
    ).all():
        conn.execute(
            sa.update(Edge)
            .where(EDGES.c.id == e.id)
            .values(
                length_m=_edge_length(conn, e.u, e.v, field="lat"), revision=EDGES.c.revision + 1
            )
        )
