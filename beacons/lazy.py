"""The compiled kernels' modules, imported on their first use and then read like any module.

Why: importing them (beacons.kernels and its siblings) starts numba, a second or more, which a
service should pay when its first walker is positioned, not when it starts. An ``import``
statement inside each function that calls them did that, but cost ~0.5 us a call, about ten
times a scan; a :class:`LazyModule`'s attribute is a dictionary look-up after the first. Callers
write ``from beacons.lazy import kernels``; type checkers see the modules themselves.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["LazyModule", "absencekernels", "kernels", "mapkernels", "readingkernels"]


class LazyModule:
    """Stands for the module ``name``: the first look-up of an attribute imports it, and each
    attribute is kept here once looked up (so later look-ups skip ``__getattr__``)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        value = getattr(importlib.import_module(self._name), attr)
        setattr(self, attr, value)  # the same value from any thread: no lock needed
        return value


if TYPE_CHECKING:
    import beacons.absencekernels as absencekernels
    import beacons.kernels as kernels
    import beacons.mapkernels as mapkernels
    import beacons.readingkernels as readingkernels
else:
    absencekernels = LazyModule("beacons.absencekernels")
    kernels = LazyModule("beacons.kernels")
    mapkernels = LazyModule("beacons.mapkernels")
    readingkernels = LazyModule("beacons.readingkernels")
