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

Trimming does not reach everything (measured under ``make soak`` since, #14, a probe thread in
the worker reading ``malloc_info`` per arena and ``/proc/self/smaps``): glibc's main heap still
grew 5.6 MiB resident and its free part 1.2 -> 12.4 MiB over ten minutes, and the threads'
arenas (a worker's database and route-planning threads get up to eight of their own) held
22.7 -> 25.8 MiB. glibc raises its mmap threshold to the size of each large block freed (up to
32 MiB), so later blocks of that size come from the heaps and stay, and ``malloc_trim`` does not
shorten a thread arena's top. :func:`fix_thresholds` fixes both thresholds at glibc's default
and :func:`cap_arenas` lets the threads share :data:`ARENA_MAX` arenas: with them the main
heap's free part stayed at 0.3-2.0 MiB and the threads' arenas at 13.0-14.0 MiB through the
same soak.

A serving process caps its arenas first but fixes the thresholds only once its map is loaded,
before it forks the workers (#14): with them fixed while loading, every temporary array of
128 KiB or more was a mapping of its own, faulted in page by page and unmapped again: 0.3-0.4 s
more system CPU in each start of the 101k-node city (0.78-0.86 s against 0.45-0.59 s). Fixed
afterwards they hold from then on (glibc stops moving the threshold once it is set), and
:func:`release_free_heap` gives back what loading freed.
"""

from __future__ import annotations

import asyncio
import ctypes
import sys
from functools import cache

#: Seconds between trims of a serving worker.
PERIOD_S = 10.0

#: Arenas the threads of a serving process share (glibc's default: eight per core).
ARENA_MAX = 2
#: Blocks from this size up are mapped on their own and unmapped when freed; glibc's default
#: start, kept fixed (setting it stops glibc raising it); also the free top of a heap that is
#: given back as soon as a free leaves that much.
THRESHOLD_BYTES = 128 * 1024

# mallopt's parameters (glibc's malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8


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


def cap_arenas() -> bool:
    """Let the threads share :data:`ARENA_MAX` arenas (see above), in a serving process before
    it starts threads; True if glibc took it (False also where the C library is not glibc)."""
    return _mallopt(((_M_ARENA_MAX, ARENA_MAX),))


def fix_thresholds() -> bool:
    """Fix glibc's mmap and trim thresholds (see above), in a serving process once its map is
    loaded; True if glibc took both (False also where the C library is not glibc)."""
    return _mallopt(((_M_MMAP_THRESHOLD, THRESHOLD_BYTES), (_M_TRIM_THRESHOLD, THRESHOLD_BYTES)))


def _mallopt(settings: tuple[tuple[int, int], ...]) -> bool:
    libc = _glibc()
    if libc is None:
        return False
    return all(libc.mallopt(param, value) == 1 for param, value in settings)


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
