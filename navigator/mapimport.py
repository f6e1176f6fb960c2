"""Getting a city into storage: OSM import (CLI, API, first start) and the default beacon plan."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from beacons.planning import plan_beacons
from beacons.positioning import PositioningMap
from navigator.settings import IMPORT_LIMIT_SETTINGS
from navigator.storage import Node, Storage, StorageError
from routing.graph import build_graph
from routing.limits import DEFAULT_LIMITS, ImportLimits, LimitExceeded
from routing.model import MapExtract
from routing.osm import OsmImportError, read_osm
from routing.paths import Router

log = logging.getLogger(__name__)


def prepare_import(
    storage: Storage,
    path: Path,
    *,
    replace: bool,
    limits: ImportLimits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
) -> MapExtract:
    """Parse and check an OSM file for :func:`import_osm_file`; nothing is stored yet.

    Without ``replace`` an existing map is never overwritten: merging two cities silently would
    leave a graph nobody has reviewed. The parsed map is then loaded as every start-up loads it
    (graph, router, positioning index): a map that cannot be loaded must never be stored, or
    every later start would fail on it.
    """
    existing = storage.count(Node)
    if existing and not replace:
        raise StorageError(
            f"the database already holds a map ({existing} nodes); pass --replace to replace it"
        )
    extract = read_osm(path, progress=progress, limits=limits)
    try:
        graph = build_graph(extract.nodes, extract.edges)
        Router(graph)
        PositioningMap(graph, [])
    except ValueError as err:
        raise OsmImportError(f"{Path(path).name}: the map cannot be loaded ({err})") from None
    return extract


def import_osm_file(
    storage: Storage,
    path: Path,
    *,
    replace: bool,
    actor: str | None,
    limits: ImportLimits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
) -> MapExtract:
    """Parse, check and store an OSM file as the map, all or nothing."""
    extract = prepare_import(storage, path, replace=replace, limits=limits, progress=progress)
    storage.replace_map(extract, actor=actor, source=Path(path).name)
    return extract


#: How long the CLI and a first start wait for another process's import to finish.
IMPORT_WAIT_S = 600.0


def limit_message(err: LimitExceeded) -> str:
    """The refusal with the setting that raises the limit, if it has one."""
    setting = IMPORT_LIMIT_SETTINGS.get(err.limit)
    return f"{err} (setting {setting})" if setting else str(err)


def ensure_default_city(
    storage: Storage, city_file: Path | None, spacing_m: float,
    progress: Callable[[int], None] | None = None,
) -> bool:
    """On an empty database, import the embedded city and plan its beacons; True if it did.

    Under the import lock, so that servers started together on one empty database load the city
    once (the others find it there)."""
    if city_file is None or storage.count(Node) > 0:
        return False
    with storage.imports_locked(IMPORT_WAIT_S):
        if storage.count(Node) > 0:
            return False
        log.info("loading the default city",
                 extra={"event": "default_city", "file": str(city_file)})
        extract = import_osm_file(storage, city_file, replace=False, actor="system",
                                  progress=progress)
        graph = build_graph(extract.nodes, extract.edges)
        storage.replace_beacons(plan_beacons(graph, spacing_m=spacing_m), actor="system")
    return True
