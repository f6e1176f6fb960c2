"""What the garbage collector is told about objects made at start-up that live for good.

The loaded map is frozen out of collections (:func:`navigator.mapstate.load_map_state`); what
was made in the background after it (then filterpy's filters, since removed, and the
positioner's numba kernels: ~47k container objects) was not, so the first full collection after
start scanned it all with the GIL held: 45 ms (filterpy) and 108 ms (both) of CPU measured at
load ~7, all of it a blocked event loop. In the export benchmark that collection fell during
the export and was the worst block of both runs traced (262 and 578 ms at load 8 and 11).
"""

from __future__ import annotations

import gc
from collections.abc import Callable


def warm_then_freeze(warm: Callable[[], object]) -> None:
    """Run a start-up warm-up (an import, a compilation), then move everything tracked so far
    to the permanent generation, out of every later collection."""
    warm()
    gc.freeze()
