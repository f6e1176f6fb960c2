"""The ``blindpilot`` command line (see docs/API.md for the contract).

Exit codes: 0 success, 2 bad input (one line on stderr, never a traceback), 1 an internal error
(one line too; ``BLINDPILOT_DEBUG=1`` shows the traceback).

Each command imports what it needs inside itself, on purpose: ``blindpilot decode`` or ``speak``
should not pay seconds of start-up for the map, SQL, routing and plotting stacks it never uses.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import logging
import os
import socket
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from navigator import cliparts
from navigator.cliparts import CliError, parse_point
from navigator.collector import collector_paused
from navigator.settings import Settings, default_database_url
from navigator.walkcommands import cmd_simulate

log = logging.getLogger("blindpilot")


# --------------------------------------------------------------------------- commands


def cmd_serve(args: argparse.Namespace) -> int:
    with collector_paused():
        from navigator.workers import default_workers, serve_workers

    settings = Settings(database_url=args.db or default_database_url(), host=args.host,
                        port=args.port)
    workers = default_workers() if args.workers is None else args.workers
    if not 1 <= workers <= 256:
        raise CliError(f"--workers must be 1..256, got {workers}")
    if workers > 1 and settings.map_sync_s <= 0:
        raise CliError("workers follow each other's map edits through map sync: "
                       "BLINDPILOT_MAP_SYNC_S must be above 0 with --workers above 1")
    _check_port_free(args.host, args.port)
    cliparts.open_storage(settings.database_url).close()  # fail fast (exit 2) on a bad URL
    return serve_workers(settings, workers)


def _check_port_free(host: str, port: int) -> None:
    if not 0 < port < 65536:
        raise CliError(f"port must be 1..65535, got {port}")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise CliError(f"port {port} on {host} is already in use") from None
            raise CliError(f"cannot listen on {host}:{port}: {err.strerror}") from None


def cmd_import_osm(args: argparse.Namespace) -> int:
    from navigator.mapimport import IMPORT_WAIT_S, import_osm_file

    path = cliparts.readable_file(args.file, "OSM")
    storage = cliparts.open_storage(args.db)
    with (storage.imports_locked(IMPORT_WAIT_S),
          cliparts.progress_bar(f"importing {path.name}", "obj") as bar):
        extract = import_osm_file(storage, path, replace=args.replace, actor="cli",
                                  limits=Settings().import_limits, progress=bar.update)
    print(f"imported {len(extract.nodes)} nodes, {len(extract.edges)} edges, "
          f"{len(extract.places)} places from {path.name}")
    return 0


def cmd_import_gtfs(args: argparse.Namespace) -> int:
    from navigator.transitimport import import_gtfs_file

    path = cliparts.readable_file(args.file, "GTFS")
    storage = cliparts.open_storage(args.db)
    with cliparts.progress_bar(f"importing {path.name}", "row") as bar:
        feed = import_gtfs_file(storage, path, now_ts=time.time(), actor="cli",
                                progress=bar.update)
    for warning in feed.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"imported {len(feed.stops)} stops, {len(feed.routes)} routes, {len(feed.trips)} trips, "
          f"{len(feed.stop_times)} stop times from {path.name} "
          f"({len(feed.unmatched)} stops not matched to the map)")
    return 0


def cmd_route(args: argparse.Namespace) -> int:
    from navigator.routeplan import PointIn, RouteRequest, plan_route_body

    storage = cliparts.open_storage(args.db)
    mapstate = cliparts.load_map(storage)
    (flat, flon), (tlat, tlon) = parse_point(args.from_), parse_point(args.to)
    request = RouteRequest.model_validate({
        "from": PointIn(lat=flat, lon=flon), "to": PointIn(lat=tlat, lon=tlon),
        "profile": args.profile, "lang": args.lang,
    })
    body = plan_route_body(mapstate, request)
    if args.json:
        print(json.dumps(body, ensure_ascii=False, indent=2))
        return 0
    print(f"{body['length_m']:.0f} m, about {body['duration_s'] / 60:.0f} min "
          f"({body['profile']})")
    for i, m in enumerate(body["maneuvers"], 1):
        print(f"{i:3d}. [{m['kind']:8s}] {m['distance_m']:6.0f} m  {m['text']}")
    for w in body["warnings"]:
        print(f"warning: {w}")
    return 0


def cmd_plan_beacons(args: argparse.Namespace) -> int:
    from beacons.planning import path_length_km, plan_layout

    if not 1.0 <= args.spacing_m <= 200.0:
        raise CliError("--spacing-m must be between 1 and 200 metres")
    storage = cliparts.open_storage(args.db)
    mapstate = cliparts.load_map(storage)
    placements = plan_layout(mapstate.graph, args.mode, args.spacing_m,
                             list(mapstate.places.values()))
    if args.apply:
        storage.replace_beacons(placements, actor="cli")
    if args.json:
        from navigator.schemas import placement_json

        print(json.dumps([placement_json(p) for p in placements], indent=2))
    verb = "stored" if args.apply else "proposed (use --apply to store)"
    how = f"spacing <= {args.spacing_m:g} m" if args.mode == "dense" else "at decision points"
    km = path_length_km(mapstate.graph)
    print(f"{len(placements)} beacons {verb}, {how}: {len(placements) / max(km, 1e-9):.1f} per km "
          f"of path ({km:.1f} km)", file=sys.stderr if args.json else sys.stdout)
    return 0


def cmd_decode(args: argparse.Namespace) -> int:
    from beacons.frames import InvalidFrame, decode_hex, frame_to_json

    try:
        frame = decode_hex(args.hex, args.format)
    except InvalidFrame as err:
        raise CliError(f"invalid frame: {err.reason}") from None
    data = frame_to_json(frame)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        for key, value in data.items():
            print(f"{key}: {value}")
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    from beacons.bleak_source import NoBluetooth, scan_once

    if not 0 < args.seconds <= 300:
        raise CliError("--seconds must be in (0, 300]")
    storage = cliparts.open_storage(args.db)
    known = {p.beacon.ident for p in storage.load_beacons()}
    try:
        heard = asyncio.run(scan_once(args.seconds))
    except NoBluetooth as err:
        raise CliError(f"no Bluetooth: {err}") from None
    rows = [{**h, "known": h["beacon_id"] in known} for h in heard]
    now = time.time()
    storage.mark_beacons_seen(
        {r["beacon_id"]: now for r in rows if r["known"]},
        {r["beacon_id"]: (r["battery_mv"], r["temperature_c"]) for r in rows
         if r["known"] and r["battery_mv"] is not None})
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for r in rows:
            battery = f"  battery {r['battery_mv']} mV" if r["battery_mv"] is not None else ""
            print(f"{r['beacon_id']}  {r['rssi']} dBm  "
                  f"{'known' if r['known'] else 'unknown'}{battery}")
        print(f"{len(rows)} beacons heard in {args.seconds:g} s "
              f"({sum(r['known'] for r in rows)} known to the map)")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from beacons.calibration import calibrate, model_to_json

    try:
        model = calibrate(args.survey, args.anchors, args.receiver_z_m)
    except (OSError, KeyError) as err:
        raise CliError(f"cannot calibrate from {args.survey}: {err}") from None
    print(json.dumps(model_to_json(model), indent=2))
    return 0


def cmd_speak(args: argparse.Namespace) -> int:
    from voice.service import InvalidSpeechRequest, build_voice_service
    from voice.speaker import SpeechUnavailable

    async def run() -> bytes:
        service = build_voice_service(Settings().audio_dir, speech=True)
        return await service.speak(args.text, args.lang)

    try:
        wav = asyncio.run(run())
    except InvalidSpeechRequest as err:
        raise CliError(str(err)) from None
    except SpeechUnavailable as err:
        raise CliError(f"no speech engine available: {err}") from None
    Path(args.output).write_bytes(wav)
    print(f"wrote {len(wav)} bytes to {args.output}")
    return 0


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    from navigator.keyscli import add_keys_parser
    from navigator.storage import ROLES

    p = argparse.ArgumentParser(prog="blindpilot", description=__doc__.splitlines()[0])
    p.add_argument("--log-level", default=os.environ.get("BLINDPILOT_LOG_LEVEL", "INFO"))
    sub = p.add_subparsers(dest="command", required=True)

    def add(name: str, fn: Callable[[argparse.Namespace], int], help_: str, *,
            examples: Sequence[str], db: bool = True) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_, description=help_, **cliparts.examples(*examples))
        sp.set_defaults(func=fn)
        if db:
            sp.add_argument("--db", help="database URL (default: BLINDPILOT_DATABASE_URL or "
                                         "sqlite:///blindpilot.db)")
        return sp

    sp = add("serve", cmd_serve, "serve the HTTP and WebSocket API", examples=[
        "blindpilot serve --host 0.0.0.0 --port 8080 --db sqlite:///blindpilot.db",
        "blindpilot serve --workers 4   # four processes behind one port"])
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--port", type=int, default=8080)
    sp.add_argument("--workers", type=int, metavar="N",
                    help="processes serving the port, sharing one loaded map "
                         "(default: the number of cores)")

    sp = add("import-osm", cmd_import_osm,
             "import an OSM file (.osm, .osm.gz, .osm.bz2, .osm.pbf)", examples=[
                 "blindpilot import-osm kaiserslautern_cc_2013.osm.gz --replace"])
    sp.add_argument("file")
    sp.add_argument("--replace", action="store_true", help="replace the map already stored")

    sp = add("import-gtfs", cmd_import_gtfs,
             "import a GTFS timetable (.zip) in place of the previous one; all or nothing",
             examples=["blindpilot import-gtfs tests/data/gtfs/kaiserslautern_illustrative.zip"])
    sp.add_argument("file")

    sp = add("route", cmd_route, "plan a route and print its maneuvers", examples=[
        "blindpilot route --from 49.43666,7.76797 --to 49.4432,7.7717 --lang en"])
    sp.add_argument("--from", dest="from_", required=True, metavar="LAT,LON")
    sp.add_argument("--to", required=True, metavar="LAT,LON")
    sp.add_argument("--profile", default="blind_cane")
    sp.add_argument("--lang", default="de")
    sp.add_argument("--json", action="store_true")

    sp = add("plan-beacons", cmd_plan_beacons, "propose (or store) a beacon layout", examples=[
        "blindpilot plan-beacons --spacing-m 12 --apply",
        "blindpilot plan-beacons --mode decision-points"])
    sp.add_argument("--mode", choices=["dense", "decision-points"], default="dense",
                    help="dense: every decision point and no gap over --spacing-m; "
                         "decision-points: only where the walker must be told something")
    sp.add_argument("--spacing-m", type=float, default=10.0)
    sp.add_argument("--apply", action="store_true")
    sp.add_argument("--json", action="store_true")

    sp = add("simulate", cmd_simulate, "walk a route with simulated beacons (real pipeline)",
             examples=["blindpilot simulate --from 49.43666,7.76797 --to 49.4432,7.7717 "
                       "--seed 1 --plot walk.png",
                       "blindpilot simulate --from 49.43666,7.76797 --to 49.4432,7.7717 "
                       "--radio harsh --gnss --json",
                       "blindpilot simulate --scenarios scenarios/kaiserslautern.yaml"])
    sp.add_argument("--from", dest="from_", metavar="LAT,LON")
    sp.add_argument("--to", metavar="LAT,LON")
    sp.add_argument("--profile", default="blind_cane")
    sp.add_argument("--lang", default="de")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--radio", choices=["ideal", "harsh"], default="ideal",
                    help="ideal: the positioner's own law (--noise-db, --dropout, --dead); "
                         "harsh: real radio's effects, drawn by the seed")
    sp.add_argument("--gnss", action="store_true", help="scans carry simulated phone GNSS")
    sp.add_argument("--noise-db", type=float, default=4.0)
    sp.add_argument("--dropout", type=float, default=0.1)
    sp.add_argument("--dead", type=float, default=0.0)
    sp.add_argument("--heeds", action="store_true",
                    help="the walker waits when told to wait and slows down when told to "
                         "(default: it walks on whatever it is told)")
    sp.add_argument("--plot", metavar="FILE.png")
    sp.add_argument("--scenarios", metavar="FILE.yaml", help="replay a suite of walks")
    sp.add_argument("--json", action="store_true")

    sp = add("calibrate", cmd_calibrate, "fit path-loss parameters from survey data", db=False,
             examples=["blindpilot calibrate survey.csv",
                       "blindpilot calibrate calibration_df.csv --anchors anchors.csv"])
    sp.add_argument("survey", help="CSV: beacon,distance_m,rssi_dbm or x,y,rssi_<id> (+anchors)")
    sp.add_argument("--anchors", help="CSV of anchor coordinates id,x,y,z for a wide survey")
    sp.add_argument("--receiver-z-m", type=float, default=0.0)

    sp = add("decode", cmd_decode, "decode one BLE advertisement", db=False, examples=[
        "blindpilot decode 0201061aff4c0002154142434445464748494041424344454600010002f8",
        "blindpilot decode --format manufacturer "
        "4c000215426c7565436861726d426561636f6e730efe1355c5",
        "blindpilot decode --format service aafe20000bfe1c000000070800003e7c"])
    sp.add_argument("hex", help="the bytes as hex (spaces, colons and a leading 0x are allowed)")
    sp.add_argument("--format", default="adv_data", choices=["adv_data", "manufacturer",
                                                             "service"],
                    help="adv_data (default): raw advertising data, AD structures (length, "
                         "type, data) as in an HCI report. manufacturer: the 2-byte company id "
                         "little-endian, then the bytes of bleak's manufacturer_data[company_id] "
                         "(Apple 0x004C: 4c00...). service: the 16-bit service UUID "
                         "little-endian, then the bytes of bleak's service_data[uuid] "
                         "(Eddystone 0000feaa-...: aafe...)")
    sp.add_argument("--json", action="store_true")

    sp = add("scan", cmd_scan, "scan for beacons with the local Bluetooth adapter", examples=[
        "blindpilot scan --seconds 5 --json"])
    sp.add_argument("--seconds", type=float, default=10.0)
    sp.add_argument("--json", action="store_true")

    sp = add("speak", cmd_speak, "synthesize speech to a WAV file", db=False, examples=[
        'blindpilot speak "Biegen Sie links ab." --lang de -o turn.wav'])
    sp.add_argument("text")
    sp.add_argument("--lang", default="de")
    sp.add_argument("-o", "--output", required=True, metavar="FILE.wav")

    add_keys_parser(sub, ROLES)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``blindpilot`` console script."""
    from navigator.logs import setup_logging

    with collector_paused():  # the parser imports the storage stack
        parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.log_level.upper(), json_lines=args.command == "serve")
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # noqa: BLE001 - the contract is one line, never a traceback
        code, message = _classify(err)
        print(f"blindpilot: error: {message}", file=sys.stderr)
        if os.environ.get("BLINDPILOT_DEBUG"):
            traceback.print_exc()
        return code


def _classify(err: Exception) -> tuple[int, str]:
    """Bad input (exit 2) versus our own failure (exit 1)."""
    from pydantic import ValidationError

    from navigator.api import ApiError, describe_validation_error
    from navigator.mapimport import limit_message
    from navigator.storage import StorageError, cannot_open_reason
    from navigator.transitfeed import GtfsImportError
    from routing.limits import LimitExceeded
    from routing.osm import OsmImportError
    from routing.paths import RoutingError

    if isinstance(err, CliError | StorageError | OsmImportError | GtfsImportError):
        return 2, str(err)
    if isinstance(err, LimitExceeded):
        return 2, limit_message(err)
    if isinstance(err, RoutingError | ApiError):
        return 2, f"{err.code}: {err}"
    if isinstance(err, ValidationError):
        return 2, describe_validation_error(err)
    if (reason := cannot_open_reason(err)) is not None:
        return 2, f"cannot open the database: {reason}"
    if isinstance(err, ValueError):  # domain code rejects bad values with ValueError
        return 2, str(err)
    return 1, f"internal error: {type(err).__name__}: {err}"


if __name__ == "__main__":
    sys.exit(main())
