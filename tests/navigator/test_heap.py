"""Free memory in the middle of glibc's heap stays resident until the worker trims it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from navigator import heap

MIB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]

#: In a fresh interpreter (a long test session's heap has holes of its own that would take the
#: chunks): 1,600 chunks of 64 KiB (below glibc's mmap threshold: from the heap, not mappings of
#: their own), touched, then every other one freed; resident bytes after each step.
_SCENARIO = """
import ctypes, json, os
from navigator import heap
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
chunks = [libc.malloc(64 * 1024) for _ in range(1600)]
for p in chunks:
    ctypes.memset(p, 1, 64 * 1024)
in_use = rss()
for p in chunks[::2]:
    libc.free(p)
freed = rss()
heap.release_free_heap()
print(json.dumps([in_use, freed, rss()]))
"""


@pytest.mark.skipif(heap._glibc() is None, reason="the C library is not glibc")
def test_freed_chunks_between_live_ones_stay_resident_until_released() -> None:
    """What the soak's worker did (#14): chunks freed between ones still in use are kept by
    glibc (it gives memory back by itself only from the top of the heap), so resident memory
    stays where it was; :func:`heap.release_free_heap` gives their pages back."""
    out = subprocess.run([sys.executable, "-c", _SCENARIO], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=True)
    in_use, freed, released = json.loads(out.stdout.splitlines()[-1])
    assert freed > in_use - 10 * MIB, "glibc gave the freed chunks back by itself"
    assert released < freed - 40 * MIB, f"{(freed - released) / MIB:.0f} MiB of 50 given back"


#: A big block freed (glibc then raises its mmap threshold to its size), then 64 blocks of
#: 256 KiB, touched, and all but the last freed (it keeps them off the heap's top); resident
#: bytes while they are in use and after. "default": glibc's own thresholds; "tuned": fixed
#: (:func:`heap.fix_thresholds`) before the big block; "tuned_after": fixed after it, as a
#: serving process does once its map is loaded.
_BIG_THEN_MEDIUM = """
import ctypes, json, os, sys
from navigator import heap
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
assert heap.cap_arenas()
if sys.argv[1] == "tuned":
    assert heap.fix_thresholds()
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.free(libc.malloc(4 * 1024 * 1024))
if sys.argv[1] == "tuned_after":
    assert heap.fix_thresholds()
blocks = [libc.malloc(256 * 1024) for _ in range(64)]
for p in blocks:
    ctypes.memset(p, 1, 256 * 1024)
in_use = rss()
for p in blocks[:-1]:
    libc.free(p)
print(json.dumps([in_use, rss()]))
"""


@pytest.mark.skipif(heap._glibc() is None, reason="the C library is not glibc")
def test_a_serving_process_gives_freed_large_blocks_back_at_once() -> None:
    """glibc raises its mmap threshold to the size of a large block freed, so later blocks
    below it come from the heap and stay resident when freed (16 MiB here); a serving process
    fixes the threshold (:func:`heap.fix_thresholds`), and they go back at once, also when it
    fixes it only after such a block was freed (it does so once its map is loaded)."""
    freed = {}
    for mode in ("default", "tuned", "tuned_after"):
        out = subprocess.run([sys.executable, "-c", _BIG_THEN_MEDIUM, mode], cwd=ROOT,
                             capture_output=True, text=True, timeout=60, check=True)
        in_use, after = json.loads(out.stdout.splitlines()[-1])
        freed[mode] = in_use - after
    assert freed["default"] < 2 * MIB, "glibc gave the blocks back by itself"
    for mode in ("tuned", "tuned_after"):
        assert freed[mode] > 14 * MIB, f"{mode}: {freed[mode] / MIB:.1f} MiB of 15.75 given back"
