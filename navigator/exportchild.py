"""A map export made by a fresh child process that reads the database, relayed through a pipe.

Encoding a 100k-node city's export takes seconds of CPU (860k features, ~300 MB). On a thread of
the server it held the event loop back through the GIL (up to ~200 ms per ``/health``); in a
child forked from the server it still did, once: ``os.fork()`` of a ~720 MB process copies its
page tables with the GIL held, 40-70 ms of a blocked loop on a quiet machine and several times
that on a busy one. So the child is a new interpreter (spawned with ``vfork``: a few
milliseconds whatever the server's size) that reads the map from one database snapshot
(:mod:`navigator.storage.mapstream`; the live map always equals a committed state) and writes
the GeoJSON to a pipe; the loop only relays its bytes. Its first line names the snapshot's
audit-log revision, so the server answers only once the snapshot is taken (and 503 if it
could not be).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

from navigator.bbox import BBox, parse_bbox
from navigator.children import child_command, child_env, die_with_parent

#: The pipe's capacity asked for (Linux): fewer wake-ups of the loop per megabyte relayed.
PIPE_BYTES = 1 << 20
#: Bytes the loop reads from the pipe at a time (the reader pauses the child beyond twice this).
READ_BYTES = 1 << 16
#: Exports one process makes at once: each is a process with its own core's worth of work,
#: so a mapper's tool (or a stuck client) asking again and again must not multiply them.
MAX_AT_ONCE = 2
#: Seconds a child may take to start and take its snapshot (SQLite waits up to 10 s for a
#: writer's lock) before the export is given up as unavailable.
START_TIMEOUT_S = 60.0
#: The child's niceness (passed to it by the server): encoding yields the CPU to the server's
#: loop on a busy machine; the export then takes longer (at load ~15, 2-3x: 16-25 s to the
#: snapshot of the 60-block city instead of 8 s).
NICENESS = 10
_running = 0  # children of this process exporting now
_CHILD_CODE = "from navigator.exportchild import write_export; write_export()"


class ExportUnavailable(Exception):
    """No child could be made, or it ended before taking its snapshot: try again later."""


class ExportFailed(Exception):
    """The child ended without writing the whole document (its exit code or signal)."""


@dataclass(frozen=True, slots=True)
class Export:
    """A started export: the snapshot's revision and the document's bytes as they come."""

    revision: int
    chunks: AsyncIterator[bytes]


@contextlib.asynccontextmanager
async def export_bytes(database_url: str, bbox: BBox | None) -> AsyncIterator[Export]:
    """The GeoJSON export of ``bbox`` (None: everything), its snapshot already taken.

    On leaving (the client gone, the server stopping) an unfinished child is killed; it is
    always reaped. Raises :class:`ExportUnavailable` if the child could not start or take its
    snapshot; the chunks raise :class:`ExportFailed` after the child's last bytes if it did not
    finish.
    """
    global _running
    if _running >= MAX_AT_ONCE:
        raise ExportUnavailable(f"{_running} exports are being made by this process already")
    _running += 1
    try:
        async with _export_bytes(database_url, bbox) as export:
            yield export
    finally:
        _running -= 1


@contextlib.asynccontextmanager
async def _export_bytes(database_url: str, bbox: BBox | None) -> AsyncIterator[Export]:
    try:
        read_fd, write_fd = os.pipe()
    except OSError as err:
        raise ExportUnavailable(f"no pipe for the export: {err}") from err
    try:
        with contextlib.suppress(OSError):  # not Linux, or above the user's pipe limit
            fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        proc = await _spawn_export(database_url, bbox, write_fd)
    except BaseException as err:
        os.close(read_fd)
        if isinstance(err, OSError):
            raise ExportUnavailable(f"no process for the export: {err}") from err
        raise
    finally:
        os.close(write_fd)
    finished = False
    try:
        reader = asyncio.StreamReader(limit=READ_BYTES)
        pipe = os.fdopen(read_fd, "rb", buffering=0)
        transport, _ = await asyncio.get_running_loop().connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), pipe)
        try:
            revision = await _snapshot_taken(reader, proc)

            async def chunks() -> AsyncIterator[bytes]:
                nonlocal finished
                while data := await reader.read(READ_BYTES):
                    yield data
                finished = True
                if (code := await proc.wait()) != 0:
                    raise ExportFailed(f"export process ended with status {code}")

            yield Export(revision, chunks())
        finally:
            transport.close()
    finally:
        if not finished and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        # reaped even if this await is cancelled (the server stopping): shielded
        await asyncio.shield(proc.wait())


async def _spawn_export(database_url: str, bbox: BBox | None,
                        write_fd: int) -> asyncio.subprocess.Process:
    """Start the exporting interpreter, writing to ``write_fd``; the URL goes on its stdin
    (``ps`` shows argv), which it closes at once (one line: fits the pipe, never blocks).
    Started from the loop's own thread, never a pool's: the child's parent-death signal fires
    when the thread that started it ends."""
    box = "" if bbox is None else f"{bbox.min_lon},{bbox.min_lat},{bbox.max_lon},{bbox.max_lat}"
    proc = await asyncio.create_subprocess_exec(
        *child_command(_CHILD_CODE, str(os.getpid()), box, str(NICENESS)),
        stdin=asyncio.subprocess.PIPE,
        stdout=write_fd, env=child_env())
    assert proc.stdin is not None
    proc.stdin.write((database_url + "\n").encode())
    proc.stdin.close()
    return proc


async def _snapshot_taken(reader: asyncio.StreamReader,
                          proc: asyncio.subprocess.Process) -> int:
    """The revision the child's first line names, once it has taken its snapshot."""
    try:
        line = await asyncio.wait_for(reader.readline(), START_TIMEOUT_S)
        return int(json.loads(line)["revision"])
    except TimeoutError:
        reason = f"no snapshot after {START_TIMEOUT_S:.0f} s"
    except (ValueError, KeyError, TypeError):  # nothing, or not its line: it failed first
        reason = f"status {await proc.wait()}" if reader.at_eof() else "no revision line"
    raise ExportUnavailable(f"the export process ended before it began ({reason})")


def write_export() -> None:
    """Entry of the export process: argv ``parent_pid bbox niceness`` (bbox empty: everything), the
    database URL on stdin, the revision line and then the GeoJSON on stdout. Exit status 0 only
    when all of it went."""
    die_with_parent(int(sys.argv[1]))
    with contextlib.suppress(OSError):
        os.nice(int(sys.argv[3]))
    from navigator.mapexport import export_features, geojson_chunks
    from navigator.storage.mapstream import MapStreams

    bbox = parse_bbox(sys.argv[2]) if sys.argv[2] else None
    streams = MapStreams(sys.stdin.readline().strip())
    try:
        with streams.export_rows(bbox) as rows:
            _write_all(json.dumps({"revision": rows.revision}).encode() + b"\n")
            for chunk in geojson_chunks(export_features(rows)):
                _write_all(chunk)
    except BrokenPipeError:  # the server stopped reading: nobody to tell
        os._exit(1)
    finally:
        streams.close()


def _write_all(data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(sys.stdout.fileno(), view):]
