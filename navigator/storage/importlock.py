"""One whole-map import at a time across every process that shares the database.

Two imports that overlap in different processes (two ``serve --workers``, or ``import-osm`` beside
a server) would otherwise commit in whichever order their parses finish: the one asked for last
could be overwritten by a bigger one asked for first. An import holds this lock from before it
parses until it has committed, so imports commit one after another, in the order they took it.

The lock dies with its holder: on SQLite it is an ``flock`` on a file beside the database (all
processes of an SQLite database share one machine), on PostgreSQL a transaction-level advisory
lock on a connection kept for the import. An in-memory SQLite database has one process, so a
lock of that process does.
"""

from __future__ import annotations

import fcntl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa

from navigator.storage.engine import Database
from navigator.storage.errors import StorageError

#: PostgreSQL advisory-lock key of map imports ("BlPilot" and 1).
ADVISORY_KEY = 0x426C_5069_6C6F_7401
#: How often a waiting import asks again.
RETRY_S = 0.1
_IN_MEMORY = threading.Lock()


@dataclass(frozen=True, slots=True)
class HeldImportLock:
    """The lock, held until :meth:`release` (or until its holder dies)."""

    release: Callable[[], None]


class ImportLocks(Database):
    """Taking the import lock: at once or not at all (:meth:`try_lock_imports`, for an event
    loop that waits between tries), or waiting (:meth:`imports_locked`, for the CLI)."""

    def try_lock_imports(self) -> HeldImportLock | None:
        """The lock if no other import holds it now; None if one does."""
        if self.dialect == "postgresql":
            return self._try_advisory()
        database = self.engine.url.database
        if not database or database == ":memory:":
            return HeldImportLock(_IN_MEMORY.release) if _IN_MEMORY.acquire(False) else None
        lock_file = open(f"{database}.import-lock", "ab")  # noqa: SIM115 - closed by release
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            return None
        return HeldImportLock(lock_file.close)  # closing the file releases the flock

    def _try_advisory(self) -> HeldImportLock | None:
        conn = self.engine.connect()
        try:
            conn.begin()
            got = conn.execute(sa.select(sa.func.pg_try_advisory_xact_lock(ADVISORY_KEY))).scalar()
        except BaseException:
            conn.close()
            raise
        if not got:
            conn.close()
            return None
        return HeldImportLock(conn.close)  # the rollback on close releases the lock

    @contextmanager
    def imports_locked(self, timeout_s: float) -> Iterator[None]:
        """Hold the lock for the block, waiting up to ``timeout_s`` for another import."""
        deadline = time.monotonic() + timeout_s
        while (held := self.try_lock_imports()) is None:
            if time.monotonic() >= deadline:
                raise StorageError(f"another map import is running (waited {timeout_s:g} s)")
            time.sleep(RETRY_S)
        try:
            yield
        finally:
            held.release()
