"""Run every ``benchmarks/bench_*.py`` module's ``run()``, print one table, write results.json.

Each module exposes ``run(quick: bool) -> list[BenchResult]``. ``--only NAME`` runs one module.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import traceback
from pathlib import Path

from benchmarks.common import BenchResult

HERE = Path(__file__).resolve().parent


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3g}" if abs(x) < 100 else f"{x:,.0f}"


def print_table(results: list[BenchResult]) -> None:
    """Print the results as one aligned text table."""
    header = ("benchmark", "value", "unit", "baseline", "baseline value", "ratio", "goal", "met")
    rows = [
        (
            r.name,
            _fmt(r.value),
            r.unit,
            r.baseline or "-",
            _fmt(r.baseline_value),
            _fmt(r.ratio),
            r.goal or "-",
            {True: "yes", False: "NO", None: "-"}[r.met],
        )
        for r in results
    ]
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
    for line in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="run only benchmarks/bench_<ONLY>.py")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--out", default=str(HERE / "results.json"))
    args = parser.parse_args(argv)
    names = sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))
    # Start-up first. It times allocating a whole city's map; on a VM that hands freed memory
    # back to its host (as this sandbox does) the first allocations after another benchmark freed
    # gigabytes fault slowly for a few seconds (measured: 2.6 s becomes 3.0-4.5 s), which is the
    # machine recovering, not the service starting.
    names.sort(key=lambda n: n != "bench_startup")
    if args.only:
        names = [n for n in names if n == f"bench_{args.only}"]
    results: list[BenchResult] = []
    failed = []
    for name in names:
        print(f"== {name}", file=sys.stderr, flush=True)
        try:
            results.extend(importlib.import_module(f"benchmarks.{name}").run(quick=args.quick))
        except Exception:  # a broken benchmark must not hide the others' figures
            traceback.print_exc()
            failed.append(name)
    print_table(results)
    Path(args.out).write_text(json.dumps([r.as_json() for r in results], indent=2) + "\n")
    print(f"\nwrote {args.out}" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
