"""Free memory in the middle of glibc's heap stays resident until the worker trims it."""

from __future__ import annotations

import ctypes
import os

import pytest

from navigator import heap

CHUNK = 64 * 1024  # below glibc's mmap threshold: from the heap, not a mapping of its own
CHUNKS = 800  # 50 MiB
MIB = 1024 * 1024


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(heap._glibc() is None, reason="the C library is not glibc")
def test_freed_chunks_between_live_ones_stay_resident_until_released() -> None:
    """What the soak's worker did (#14): chunks freed between ones still in use are kept by
    glibc (it gives memory back only from the top of the heap), so resident memory stays where
    it was; :func:`heap.release_free_heap` gives their pages back."""
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    big, pins = [], []
    try:
        for _ in range(CHUNKS):
            big.append(libc.malloc(CHUNK))
            ctypes.memset(big[-1], 1, CHUNK)  # touched: resident
            pins.append(libc.malloc(64))  # stays, so the freed chunk is not the heap's top
        in_use = _rss_bytes()
        for p in big:
            libc.free(p)
        big.clear()
        freed = _rss_bytes()
        heap.release_free_heap()
        released = _rss_bytes()
    finally:
        for p in big + pins:
            libc.free(p)
    assert freed > in_use - 10 * MIB, "glibc gave the freed chunks back by itself"
    assert released < freed - 40 * MIB, (
        f"{(freed - released) / MIB:.0f} MiB given back of {CHUNKS * CHUNK / MIB:.0f}")
