"""A map export made by a child process forked from the server, read back through a pipe.

Encoding a 100k-node city's export is ~13 s of CPU (860k features, 298 MB). Made on a worker
thread of the serving process, a few hundred features at a time, it still held the event loop
back: every time the loop gave up the GIL for a system call (a socket read, the thread pool's
wake-up, SQLite) it waited up to a switch interval (5 ms) to get it back from the busy thread
(the GIL "convoy"), so one ``/health`` took up to 190-199 ms during an export. A forked child
holds the map as it was at the fork (taken under the map's lock: edits after it do not show),
copy-on-write, and encodes it on its own GIL and core; the loop only relays its bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import gc
import os
import signal
import sys
import traceback
from collections.abc import AsyncIterator

from navigator.bbox import BBox
from navigator.children import die_with_parent
from navigator.mapexport import geojson_chunks, take_export
from navigator.mapstate import MapState

#: The pipe's capacity asked for (Linux): fewer wake-ups of the loop per megabyte relayed.
PIPE_BYTES = 1 << 20
#: Bytes the loop reads from the pipe at a time (the reader pauses the child beyond twice this).
READ_BYTES = 1 << 16
#: Exports one process makes at once: each child's copied pages cost ~200 MB on a 100k-node
#: city, so a mapper's tool (or a stuck client) asking again and again must not multiply them.
MAX_AT_ONCE = 2
_running = 0  # children of this process exporting now


class ExportUnavailable(Exception):
    """No child could be made (no pipe or process left): try again later."""


class ExportFailed(Exception):
    """The child ended without writing the whole document (its exit code or signal)."""


@contextlib.asynccontextmanager
async def export_bytes(mapstate: MapState, bbox: BBox | None
                       ) -> AsyncIterator[AsyncIterator[bytes]]:
    """The GeoJSON export of ``bbox`` (None: everything) as the child writes it.

    On leaving (the client gone, the server stopping) an unfinished child is killed; it is
    always reaped. The iterator raises :class:`ExportFailed` after the child's last bytes if
    the child did not finish; :class:`ExportUnavailable` before that if it could not start.
    """
    global _running
    if _running >= MAX_AT_ONCE:
        raise ExportUnavailable(f"{_running} exports are being made by this process already")
    _running += 1
    try:
        async with _export_bytes(mapstate, bbox) as chunks:
            yield chunks
    finally:
        _running -= 1


@contextlib.asynccontextmanager
async def _export_bytes(mapstate: MapState, bbox: BBox | None
                        ) -> AsyncIterator[AsyncIterator[bytes]]:
    loop = asyncio.get_running_loop()
    try:
        read_fd, write_fd = os.pipe()
    except OSError as err:
        raise ExportUnavailable(f"no pipe for the export: {err}") from err
    try:
        with contextlib.suppress(OSError):  # not Linux, or above the user's pipe limit
            fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        pid = await asyncio.to_thread(_fork_export, mapstate, bbox, write_fd)
    except BaseException as err:
        os.close(read_fd)
        if isinstance(err, OSError):
            raise ExportUnavailable(f"no process for the export: {err}") from err
        raise
    finally:
        os.close(write_fd)
    reader = asyncio.StreamReader(limit=READ_BYTES)
    pipe = os.fdopen(read_fd, "rb", buffering=0)
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader),
                                                pipe)
    exited: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        while data := await reader.read(READ_BYTES):
            yield data
        exited.append(await asyncio.to_thread(_reap, pid))
        if exited[0] != 0:
            raise ExportFailed(f"export process ended with status {exited[0]}")

    try:
        yield chunks()
    finally:
        transport.close()
        if not exited:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            # the thread reaps it even if this await is cancelled (the server stopping)
            await asyncio.to_thread(_reap, pid)


def _fork_export(mapstate: MapState, bbox: BBox | None, write_fd: int) -> int:
    """Fork the exporting child while holding the map's lock (a few milliseconds); its pid."""
    parent = os.getpid()
    with mapstate.lock:
        pid = os.fork()
        if pid == 0:
            _export_in_child(mapstate, bbox, write_fd, parent)
    return pid


def _export_in_child(mapstate: MapState, bbox: BBox | None, write_fd: int,
                     parent: int) -> None:
    """In the child: write the export to ``write_fd`` and exit, 0 only when all of it went."""
    code = 1
    try:
        die_with_parent(parent)
        # the server's handlers (stop the loop) and sockets are not the child's: a SIGTERM
        # ends it, and a connection the server closes is not kept open by a copy here
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        os.closerange(3, write_fd)
        os.closerange(write_fd + 1, os.sysconf("SC_OPEN_MAX"))
        # no collections: they would run finalizers of the server's objects (connections) here
        # and copy pages they only read; what the export makes is freed by reference counts
        gc.disable()
        export = take_export(mapstate.graph, mapstate.places.values(), mapstate.beacons, bbox)
        for chunk in geojson_chunks(export):
            _write_all(write_fd, chunk)
        code = 0
    except BrokenPipeError:  # the server stopped reading: nobody to tell
        pass
    except BaseException:  # noqa: BLE001 - the child must never return into the server's code
        traceback.print_exc(file=sys.stderr)
    finally:
        os._exit(code)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _reap(pid: int) -> int:
    """Wait for the child; its exit code (minus the signal that killed it)."""
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)
