"""What every ``blindpilot`` command module shares: help that ends with examples, bad input as
:class:`CliError`, points and files from the terminal, a progress bar, and the database and map
a command works on (:mod:`navigator.cli` and :mod:`navigator.keyscli` import it; the
commands themselves import nothing heavy until they run)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from navigator.settings import default_database_url


def examples(*lines: str) -> dict[str, Any]:
    """``add_parser`` keywords that end a command's ``--help`` with example command lines, kept
    line by line as written."""
    return {"epilog": "examples:\n" + "\n".join(f"  {line}" for line in lines),
            "formatter_class": argparse.RawDescriptionHelpFormatter}


def open_storage(db: str | None) -> Any:
    """The database of ``--db`` (or the default one), migrated to the current schema."""
    from navigator.storage import Storage

    storage = Storage(db or default_database_url())
    storage.migrate()
    return storage


class CliError(Exception):
    """Bad input from the person at the terminal: reported in one line, exit code 2."""


def parse_point(text: str) -> tuple[float, float]:
    """``"LAT,LON"`` -> (lat, lon) with range checks."""
    try:
        lat_s, lon_s = text.split(",")
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        raise CliError(f"expected LAT,LON such as 49.4447,7.7690, got {text!r}") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise CliError(f"coordinates out of range: {text!r}")
    return lat, lon


def readable_file(name: str, what: str) -> Path:
    """The path of a file the command must read, or a CliError saying it cannot."""
    path = Path(name)
    if not path.is_file() or not os.access(path, os.R_OK):
        raise CliError(f"cannot read {what} file {path}")
    return path


def progress_bar(desc: str, unit: str) -> Any:
    """A tqdm bar on stderr (hidden when stderr is not a terminal); feed it increments."""
    from tqdm import tqdm

    return tqdm(desc=desc, unit=unit, unit_scale=True, file=sys.stderr, disable=None)



def load_map(storage: Any) -> Any:
    """The live map of a storage (routing, places, beacons), as the server holds it."""
    from navigator.mapstate import MapState

    return MapState(storage.load_map())
