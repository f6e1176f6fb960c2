"""Map imports of the HTTP API, run in a child process bounded in time and memory.

libosmium parses holding the GIL: run in a thread of the server, a 1 MB gzip of 1 GB of
whitespace stalled every other thread, the event loop with it, for the whole parse (7-15 s
measured). In a child process the server only waits on a pipe. The child parses, checks the
limits, loads the map once as a start-up would (see :func:`navigator.mapimport.prepare_import`)
and commits it itself, so the parsed map never has to be copied back into the server.

The child says ``committing`` before it writes: up to then the server may kill it at the
deadline and nothing is stored; a kill during the commit rolls the transaction back.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import resource
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from navigator.children import child_command, child_env
from navigator.mapimport import limit_message, prepare_import
from navigator.storage import Storage, StorageError
from routing.limits import ImportLimits, LimitExceeded
from routing.osm import OsmImportError

log = logging.getLogger(__name__)

COMMITTING = "committing"
#: Time a child that has started to commit gets to finish (a kill then rolls it back).
COMMIT_TIMEOUT_S = 120.0


@dataclass(frozen=True, slots=True)
class ImportJob:
    """Everything the child needs (sent on its stdin, so the database URL is not in ``ps``)."""

    database_url: str
    path: str
    replace: bool
    actor: str | None
    limits: ImportLimits
    memory_mb: float


class ImportFailed(Exception):
    """The import was refused or failed; nothing was stored unless ``committing`` is True (it
    was cut off while committing: the database then holds the old map or, rarely, the new)."""

    def __init__(self, status: int, code: str, message: str, committing: bool = False) -> None:
        super().__init__(message)
        self.status, self.code, self.committing = status, code, committing


async def run_import(job: ImportJob, timeout_s: float) -> dict[str, int]:
    """Import in a child process: node, edge and place counts and the import's audit-log id
    (``revision``), or :class:`ImportFailed`."""
    with tempfile.TemporaryFile() as err:
        proc = await asyncio.create_subprocess_exec(
            *child_command("from navigator.importjob import main; main()"),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=err,
            env=child_env())
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(dataclasses.asdict(job)).encode())
        proc.stdin.close()
        committing = False
        try:
            async with asyncio.timeout(timeout_s):
                line = await proc.stdout.readline()
            if line.strip() == COMMITTING.encode():
                committing = True
                async with asyncio.timeout(COMMIT_TIMEOUT_S):
                    line = await proc.stdout.readline()
        except TimeoutError:
            raise ImportFailed(422, "import_timeout",
                               f"the import took longer than {timeout_s:g} s "
                               "(setting BLINDPILOT_IMPORT_TIMEOUT_S)", committing) from None
        finally:
            if proc.returncode is None:
                proc.kill()
            code = await proc.wait()
        if not line:
            err.seek(0)
            log.warning("import process failed", extra={
                "event": "import_failed", "exit_code": code,
                "stderr": err.read().decode(errors="replace")[-2000:]})
            raise ImportFailed(500 if code > 0 else 422, "import_failed",
                               f"the import process ended without an answer (exit code {code}"
                               f"{'; killed, perhaps out of memory' if code < 0 else ''})",
                               committing)
    answer: dict[str, Any] = json.loads(line)
    if "error" in answer:
        raise ImportFailed(**answer["error"])
    return answer


# --------------------------------------------------------------------------- the child


def main() -> None:
    """Entry of the child: the job on stdin, ``committing`` and then one JSON line on stdout."""
    raw = json.loads(sys.stdin.read())
    job = ImportJob(**{**raw, "limits": ImportLimits(**raw["limits"])})
    storage = Storage(job.database_url)
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    # data, not address space: libosmium's threads reserve gigabytes they never touch; only
    # the soft limit, so that there is room again to answer after a MemoryError
    resource.setrlimit(resource.RLIMIT_DATA, (int(job.memory_mb * 1024 * 1024), hard))
    try:
        answer = _import(job, storage)
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))
        storage.close()
    print(json.dumps(answer), flush=True)


def _import(job: ImportJob, storage: Storage) -> dict[str, Any]:
    path = Path(job.path)
    try:
        extract = prepare_import(storage, path, replace=job.replace, limits=job.limits)
        print(COMMITTING, flush=True)
        revision = storage.replace_map(extract, actor=job.actor, source=path.name)
    except LimitExceeded as err:
        status = 413 if err.limit == "max_decompressed_bytes" else 422
        return _error(status, "import_too_large", limit_message(err))
    except MemoryError:
        return _error(422, "import_too_large",
                      f"importing this file needs more than {job.memory_mb:g} MB of memory "
                      "(setting BLINDPILOT_IMPORT_MEMORY_MB)")
    except OsmImportError as err:
        return _error(422, "invalid_osm", str(err))
    except StorageError as err:
        return _error(409, "map_exists", str(err))
    return {"nodes": len(extract.nodes), "edges": len(extract.edges),
            "places": len(extract.places), "revision": revision}


def _error(status: int, code: str, message: str) -> dict[str, Any]:
    return {"error": {"status": status, "code": code, "message": message}}
