"""Getting a city into storage: OSM import (CLI, API, first start) and the default beacon plan."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from beacons.planning import plan_beacons
from navigator.storage import Node, Storage, StorageError
from routing.graph import build_graph
from routing.model import MapExtract
from routing.osm import read_osm

log = logging.getLogger(__name__)


def import_osm_file(
    storage: Storage,
    path: Path,
    *,
    replace: bool,
    actor: str | None,
    progress: Callable[[int], None] | None = None,
) -> MapExtract:
    """Parse an OSM file and store it as the map, all or nothing.

    Without ``replace`` an existing map is never overwritten: merging two cities silently would
    leave a graph nobody has reviewed.
    """
    existing = storage.count(Node)
    if existing and not replace:
        raise StorageError(
            f"the database already holds a map ({existing} nodes); pass --replace to replace it"
        )
    extract = read_osm(path, progress=progress)
    storage.replace_map(extract, actor=actor, source=Path(path).name)
    return extract


def ensure_default_city(
    storage: Storage, city_file: Path | None, spacing_m: float,
    progress: Callable[[int], None] | None = None,
) -> bool:
    """On an empty database, import the embedded city and plan its beacons; True if it did."""
    if city_file is None or storage.count(Node) > 0:
        return False
    log.info("loading the default city", extra={"event": "default_city", "file": str(city_file)})
    extract = import_osm_file(storage, city_file, replace=False, actor="system", progress=progress)
    graph = build_graph(extract.nodes, extract.edges)
    storage.replace_beacons(plan_beacons(graph, spacing_m=spacing_m), actor="system")
    return True
