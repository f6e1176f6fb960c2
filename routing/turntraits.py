"""What a turn-expanded arc looks at of the edges it joins, as small integers per edge.

Kept per edge slot in the compiled graph as a numpy array, computed before a server forks its
workers: a worker building the arcs then reads only arrays, never the shared map's edge records
(reading a record writes its reference count, which made ~150 MiB of shared pages a worker's
own).
"""

from __future__ import annotations

import numpy as np

from routing.edgeclasses import EdgeClasses
from routing.model import EdgeRecord
from routing.simplicity import CROSSING_TYPES, crossing_type
from routing.tags import is_crossing

#: Columns of a traits array: crossing (0/1), crossing kind (index in CROSSING_TYPES, 0 off
#: crossings), tactile paving (0/1), street name id (-1: no name).
CROSSING, KIND, TACTILE, NAME = range(4)
NO_TRAITS = (0, 0, 0, -1)


def edge_traits(edge: EdgeRecord, names: dict[str, int]) -> tuple[int, int, int, int]:
    """One edge's traits; a name not seen before gets the next id in ``names``."""
    crossing = is_crossing(edge)
    kind = CROSSING_TYPES.index(crossing_type(edge)) if crossing else 0
    name = names.setdefault(edge.name, len(names)) if edge.name else -1
    return int(crossing), kind, int(bool(edge.tactile_paving)), name


def traits_of(classes: EdgeClasses, names: dict[str, int]) -> np.ndarray:
    """Every edge's traits (rows in the order of ``classes.index``), each class's found once."""
    table = np.array([edge_traits(e, names) for e in classes.unit], np.int64).reshape(-1, 4)
    return table[classes.index]
