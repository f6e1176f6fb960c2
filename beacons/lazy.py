"""A module imported on its first use, then read like any module.

Why: importing the compiled kernels (beacons.kernels and its siblings) starts numba, a second or
more, which a service should pay when its first walker is positioned, not when it starts. An
``import`` statement inside each function did that, but cost ~0.5 us a call, about ten times a
scan; a :class:`LazyModule`'s attribute is a dictionary look-up after the first.
"""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """Stands for the module ``name``: the first look-up of an attribute imports it, and each
    attribute is kept here once looked up (so later look-ups skip ``__getattr__``)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        value = getattr(importlib.import_module(self._name), attr)
        setattr(self, attr, value)  # the same value from any thread: no lock needed
        return value
