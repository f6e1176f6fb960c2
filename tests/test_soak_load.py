"""`make soak` runs at 80 % of what one worker holds on the machine it runs on (issue #14)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.loadgen import CAPACITY_RESULT, DEFAULT_CAPACITY_SCANS_PER_S, soak_load


def _results(folder: Path, rows: list[dict[str, object]]) -> Path:
    path = folder / "results.json"
    path.write_text(json.dumps(rows))
    return path


def test_the_soak_runs_80_percent_of_the_capacity_the_last_bench_measured(
        tmp_path: Path) -> None:
    path = _results(tmp_path, [{"name": "other", "value": 3.0},
                               {"name": CAPACITY_RESULT, "value": 1400.0}])
    load = soak_load(None, path)
    assert (load.sessions, load.capacity_scans_per_s) == (1120, 1400.0)
    assert "results.json" in load.source


def test_without_a_measured_capacity_the_soak_says_it_uses_the_default(tmp_path: Path) -> None:
    quick_bench = _results(tmp_path, [{"name": "other", "value": 3.0}])  # no ramp row
    for missing in (tmp_path / "none.json", quick_bench,
                    _results(tmp_path, [{"name": CAPACITY_RESULT, "value": 0.0}])):
        load = soak_load(None, missing)
        assert load.capacity_scans_per_s == DEFAULT_CAPACITY_SCANS_PER_S
        assert load.sessions == round(0.8 * DEFAULT_CAPACITY_SCANS_PER_S)
        assert "default" in load.source


def test_soak_sessions_overrides_the_capacity(tmp_path: Path) -> None:
    path = _results(tmp_path, [{"name": CAPACITY_RESULT, "value": 1400.0}])
    assert soak_load(300, path).sessions == 300
