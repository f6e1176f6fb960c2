"""What every ``blindpilot`` command module shares: help that ends with examples, and the
database a command works on (:mod:`navigator.cli` and :mod:`navigator.keyscli` import it; the
commands themselves import nothing heavy until they run)."""

from __future__ import annotations

import argparse
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
