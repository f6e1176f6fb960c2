"""Helper ``python`` processes that run code of this source tree (start-up, map imports), and
what a child (a forked worker, an export) asks of the kernel.

A plain ``python -c`` child, not multiprocessing: spawn would re-run the caller's main module,
which for a script without a ``__main__`` guard means a second server.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parents[1]


def child_command(code: str, *args: str) -> list[str]:
    """The argv of a child interpreter running ``code`` (``args`` become its ``sys.argv[1:]``).

    ``-P``: ``python -c`` would put the working directory first on the import path, so a server
    started inside another checkout ran that checkout's code in its children (benchmarks
    serving ``--code`` did: their export children ran the benchmark's own tree)."""
    return [sys.executable, "-P", "-c", code, *args]


def child_env() -> dict[str, str]:
    """This process's environment, with this source tree first on the import path."""
    path = os.pathsep.join(filter(None, [str(SOURCE_ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def die_with_parent(parent: int) -> None:
    """Ask the kernel to kill this forked process when ``parent`` dies, even by SIGKILL (Linux;
    elsewhere the parent's SIGTERM still stops it); exit now if it already has."""
    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux
        pass
    if os.getppid() != parent:  # it died before we asked
        os._exit(1)
