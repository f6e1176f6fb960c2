"""The positioner of this tree against another revision's, on the same walks, in one run.

``python -m benchmarks.positioner_ab [--base main]`` exports ``--base`` with ``git archive`` and
runs the same measurement in both trees, one process each, one after the other: per radio world
(a subset of bench_positioning's, from the ideal one to the harshest), bench_positioning's
``world_walks`` figures on its quick walks (three per extract on the dense layouts): the fixes'
mean and p90 error, the share beyond the reported ``error_m`` ("over"), the share > 10 m off
("lost") and the share of scans with a fix; and the per-scan cost (its median of per-scan best
of 3). A few minutes where
``--only positioning`` takes half an hour: for checking that a faster positioner lost nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORLD_ARGS = (  # (exponent, phone offset dB, shadowing dB, body loss dB)
    (2.0, 0.0, 0.0, 0.0),
    (1.8, -8.0, 0.0, 0.0),
    (2.7, 8.0, 5.0, 7.0),
    (3.5, 0.0, 5.0, 7.0),
)


def measure() -> dict[str, dict[str, float]]:
    """This tree's figures (imported here: run in the tree to be measured)."""
    from benchmarks.bench_positioning import per_scan_cost_ms, world_walks
    from benchmarks.worlds import RadioWorld

    out: dict[str, dict[str, float]] = {}
    for exponent, offset, shadow, body in WORLD_ARGS:
        world = RadioWorld(exponent=exponent, offset_db=offset, shadow_db=shadow, body_db=body)
        out[world.name] = world_walks(world, quick=True)
    best, median = per_scan_cost_ms(quick=True)
    out["cost"] = {"best_of_3_median_ms": best, "plain_median_ms": median,
                   "load_1min": os.getloadavg()[0]}
    return out


def _run_in(tree: Path) -> dict[str, dict[str, float]]:
    code = "import json; from benchmarks.positioner_ab import measure; print(json.dumps(measure()))"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-c", code], cwd=tree, env=env, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="main", help="git revision to compare against")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        base.mkdir()
        # the data is found next to the repository (bench_positioning.DATA)
        (Path(tmp) / "shared").symlink_to(ROOT.parent / "shared")
        archive = subprocess.run(["git", "archive", args.base], cwd=ROOT, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        # the base tree may predate this script: give it this one (it only imports the
        # benchmarks' public helpers, unchanged)
        (base / "benchmarks" / "positioner_ab.py").write_text(Path(__file__).read_text())
        results = {"base": _run_in(base), "this": _run_in(ROOT)}
    for world in results["this"]:
        print(world)
        for key in results["this"][world]:
            print(f"  {key:22s} {args.base}: {results['base'][world][key]:9.3f}"
                  f"   this tree: {results['this'][world][key]:9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
