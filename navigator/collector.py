"""What the garbage collector is told about objects made at start-up that live for good.

The loaded map is frozen out of collections (:func:`navigator.mapstate.load_map_state`); what
was made in the background after it (then filterpy's filters, since removed, and the
positioner's numba kernels: ~47k container objects) was not, so the first full collection after
start scanned it all with the GIL held: 45 ms (filterpy) and 108 ms (both) of CPU measured at
load ~7, all of it a blocked event loop. In the export benchmark that collection fell during
the export and was the worst block of both runs traced (262 and 578 ms at load 8 and 11).

What a serving worker makes per walker matters too (#14, a watchdog in a worker at 300-500
walkers x 1 scan/s): every collection blocks the event loop, and CPython 3.11 starts a young
collection when the tracked objects made minus those freed (of any age) pass 700, so when each
walker's objects of one scan are freed at its next one, the youngest generation fills with
every walker's last second (10,000-17,000 objects at 500 walkers: 3-6 ms a collection, twice a
second), and what lives a second is moved on to the oldest generation, whose full collections
(every object of every session, ~200 a walker: 63-84 ms of CPU at 300 walkers) come the sooner
the more it gets. So nothing per scan is kept longer than its answer needs: the sightings are
kept by beacon (:mod:`navigator.livesessions`), the socket's reader drops the message it put in
the inbox, a positioner keeps its last scan's beacons but not the readings. And a serving worker
makes full collections rarer (:func:`collect_fully_less_often`): with CPython's defaults one
came every 20-60 s at 500 walkers and was the longest block of the loop in every run watched
(107-168 ms of CPU at load 3-5), while it found next to no garbage (0-365 objects: cycles die
young, in the younger generations).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def warm_then_freeze(warm: Callable[[], object]) -> None:
    """Run a start-up warm-up (an import, a compilation), then move everything tracked so far
    to the permanent generation, out of every later collection."""
    warm()
    gc.freeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No collections meanwhile: for a burst of objects that live for good and leave no
    garbage, such as ``serve``'s imports (#14: their ~1M objects made CPython collect again and
    again for nothing, 0.1-0.15 s of the 1.45-1.6 s of CPU they take)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


#: A full collection waits for this many collections of the middle generation (CPython: 10).
FULL_AFTER_MIDDLE = 100


def collect_fully_less_often() -> None:
    """In a serving worker, let a full collection (every live object scanned, the event loop
    held 0.2-0.4 ms per walker at load 3-5) come only after :data:`FULL_AFTER_MIDDLE`
    collections of the middle generation instead of 10: at 500 walkers every few minutes
    instead of every 20-60 s. The younger generations keep CPython's thresholds."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_AFTER_MIDDLE)
