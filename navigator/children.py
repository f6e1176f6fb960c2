"""Helper ``python`` processes that run code of this source tree (start-up, map imports).

A plain ``python -c`` child, not multiprocessing: spawn would re-run the caller's main module,
which for a script without a ``__main__`` guard means a second server.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parents[1]


def child_command(code: str, *args: str) -> list[str]:
    """The argv of a child interpreter running ``code`` (``args`` become its ``sys.argv[1:]``)."""
    return [sys.executable, "-c", code, *args]


def child_env() -> dict[str, str]:
    """This process's environment, with this source tree first on the import path."""
    path = os.pathsep.join(filter(None, [str(SOURCE_ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}
