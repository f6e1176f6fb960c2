"""Edges grouped by the attributes that costs and turn traits look at.

A city's 200k edges share a few thousand such combinations, so what depends on them alone (a
profile's cost per metre, whether an edge is a crossing) is worked out once per group, not once
per edge (start-up of a 100k-node city would pay ~200k Python calls per rule).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np

from routing.model import EdgeRecord

#: Fields that say nothing about how an edge is walked: its identity, ends, length, OSM origin.
_NOT_ATTRIBUTES = frozenset({"id", "u", "v", "length_m", "osm_way_id"})
#: By position, not by name: a quarter faster over a city's 200k edges (0.16 s against 0.21 s).
_ATTRIBUTES = operator.itemgetter(*(i for i, f in enumerate(EdgeRecord._fields)
                                    if f not in _NOT_ATTRIBUTES))


@dataclass(frozen=True, slots=True)
class EdgeClasses:
    """Per edge, the number of its class; per class, one of its edges made 1 m long."""

    index: np.ndarray
    unit: list[EdgeRecord]


def edge_classes(edges: list[EdgeRecord], numbers: np.ndarray | None = None) -> EdgeClasses:
    """The edges' classes, numbered in the order they first appear. ``numbers``: per edge, a
    number already shared by edges of alike attributes (a start reads one with the map's copy),
    which saves hashing 200k attribute tuples (0.15 s); the classes are then those numbers."""
    if numbers is not None:
        _, first, inverse = np.unique(numbers, return_index=True, return_inverse=True)
        by_appearance = np.argsort(first)
        renumber = np.empty_like(by_appearance)
        renumber[by_appearance] = np.arange(len(first))
        return EdgeClasses(renumber[inverse.ravel()],
                           [edges[i]._replace(length_m=1.0) for i in first[by_appearance].tolist()])
    distinct: dict[tuple[object, ...], int] = {}
    index = np.fromiter((distinct.setdefault(_ATTRIBUTES(e), len(distinct)) for e in edges),
                        np.int64, len(edges))
    first_of: dict[int, EdgeRecord] = {}
    for k, e in zip(index.tolist(), edges, strict=True):
        first_of.setdefault(k, e)
    return EdgeClasses(index, [first_of[k]._replace(length_m=1.0) for k in range(len(distinct))])
