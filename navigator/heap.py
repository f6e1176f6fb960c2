"""Handing the C allocator's free pages back to the system, so a worker's memory does not creep.

Measured under ``make soak`` (#14, 400 walkers, one worker): once the walkers' own state had
stopped growing (minute 3 on), the worker's resident memory still rose 15 MiB in the next seven
minutes, and 10.4 MiB of that was glibc's *free* heap (``mallinfo2().fordblks``, 10.5 -> 20.9 MiB),
while the live Python objects stayed at 114-117 MB. Freed chunks that lie between ones in use
stay resident: glibc gives memory back by itself only from the top of an arena. Which
allocations leave them was not measured (the positioner's numpy arrays, made anew at every scan
in sizes that follow each walker's cloud, and the threads' own arenas are the likely ones).
``malloc_trim(0)`` gives back every whole free page wherever it lies (1-15 ms a call there, in a
thread, off the event loop). Freed chunks are soon used again and their pages come back (about
5 MiB within 30 s of a trim there), so a worker trims every :data:`PERIOD_S`.
"""

from __future__ import annotations

import asyncio
import ctypes
import sys
from functools import cache

#: Seconds between trims of a serving worker.
PERIOD_S = 10.0


@cache
def _glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc (musl and the other systems have no ``malloc_trim``)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None


def release_free_heap() -> bool:
    """Give glibc's free heap pages back to the system; True if any were given back (False
    also where the C library is not glibc: there is nothing to do)."""
    libc = _glibc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


async def release_free_heap_every(period_s: float = PERIOD_S) -> None:
    """:func:`release_free_heap` every ``period_s`` until cancelled (a worker's background task)."""
    while True:
        await asyncio.sleep(period_s)
        await asyncio.to_thread(release_free_heap)
