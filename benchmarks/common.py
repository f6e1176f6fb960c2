"""What every benchmark returns, so `make bench` can print one table and write results.json."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class BenchResult:
    """One figure with the baseline measured in the same run.

    ``ratio`` is baseline_value / value when lower is better (speed, error) so that > 1 means "we
    beat the baseline"; ``goal`` is human text such as "<= 1.5 m" and ``met`` whether it holds.
    """

    name: str
    value: float
    unit: str
    baseline: str | None = None
    baseline_value: float | None = None
    ratio: float | None = None
    goal: str | None = None
    met: bool | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``fn`` in milliseconds over ``repeat`` calls."""
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(samples)


def ratio_lower_better(value: float, baseline_value: float) -> float | None:
    """baseline / value (how many times better we are), None when value is zero."""
    return None if value == 0 else baseline_value / value
