"""The testers' commands: ``blindpilot simulate`` (one walk through the real pipeline, or a YAML
suite of them), kept apart from the service's commands in :mod:`navigator.cli`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from navigator.cliparts import CliError, load_map, open_storage, parse_point


def cmd_simulate(args: argparse.Namespace) -> int:
    from navigator.tester import SimulationRequest, simulate

    if args.scenarios:
        return run_scenarios(args)
    if not (args.from_ and args.to):
        raise CliError("give --from and --to, or --scenarios FILE.yaml")
    (flat, flon), (tlat, tlon) = parse_point(args.from_), parse_point(args.to)
    req = SimulationRequest.model_validate({
        "from": {"lat": flat, "lon": flon}, "to": {"lat": tlat, "lon": tlon},
        "profile": args.profile, "lang": args.lang, "seed": args.seed, "radio": args.radio,
        "gnss": args.gnss, "noise_db": args.noise_db, "heeds": args.heeds,
        "dropout": args.dropout, "dead": args.dead, "plot": bool(args.plot)})
    mapstate = load_map(open_storage(args.db))
    metrics, png = simulate(mapstate, req)
    if png is not None:
        Path(args.plot).write_bytes(png)
    if args.json:
        print(json.dumps({"metrics": metrics, "plot": args.plot}, ensure_ascii=False, indent=2))
        return 0
    for ins in metrics["instructions"]:
        print(f"t={ins['t']:6.0f}s  [{ins['kind']:8s} {ins['phase']:12s}] {ins['text']}")
    print(f"arrived={metrics['arrived']}  mean error={metrics['mean_error_m']} m  "
          f"p90={metrics['p90_error_m']} m  off-route={metrics['off_route_events']}  "
          f"duration={metrics['duration_s']} s" + (f"  plot={args.plot}" if png else ""))
    g = metrics["guidance"]
    print(f"decision points {g['decision_points']}: on time (3-10 m before) {g['on_time']}, "
          f"early {g['early']}, short {g['short']}, late {g['late']}, missed {g['missed']}  "
          f"confident but wrong {g['confident_wrong']} fixes  truly arrived {g['arrived_pct']} %")
    return 0


def run_scenarios(args: argparse.Namespace) -> int:
    """Replay a YAML suite of walks; exit 1 when any walk misses its expectations."""
    import yaml

    from navigator.scenarios import load_scenarios, run_scenario

    try:
        scenarios = load_scenarios(Path(args.scenarios).read_text())
    except (OSError, yaml.YAMLError, ValueError) as err:
        raise CliError(f"cannot read scenarios {args.scenarios}: {err}") from None
    mapstate = load_map(open_storage(args.db))
    failed = 0
    for sc in scenarios:
        problems, metrics = run_scenario(mapstate, sc)
        failed += bool(problems)
        verdict = "ok  " if not problems else "FAIL"
        print(f"{verdict} {sc.name}: arrived={metrics['arrived']} "
              f"mean={metrics['mean_error_m']} m off-route={metrics['off_route_events']}"
              + "".join(f"\n     - {p}" for p in problems))
    print(f"{len(scenarios) - failed} passed, {failed} failed")
    return 1 if failed else 0
