"""Helper ``python`` processes that run code of this source tree (start-up, map imports), and
what a child (a forked worker, an export) asks of the kernel.

A plain ``python -c`` child, not multiprocessing: spawn would re-run the caller's main module,
which for a script without a ``__main__`` guard means a second server. Only the standard library
here: ``serve`` starts its map-reading helper before it imports anything heavy.
"""

from __future__ import annotations

import ctypes
import logging
import os
import pickle
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger(__name__)


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


def start_map_read(url: str) -> ReadHelper | None:
    """The map (part ``map``) and then the beacon layout (``beacons``) read by a helper from
    now on: ``serve`` starts it before its imports, so reading and importing run on two cores
    (see :func:`navigator.mapstate.load_map_state`)."""
    return ReadHelper.start("map", "write_map_and_beacons", url, ("map", "beacons"))


class ReadHelper:
    """Runs one reading function of :mod:`navigator.storage` (``entry``: it takes one output
    path per part of ``parts``, the database URL on stdin, pickles each part to its path and
    then prints the part's name) in a child interpreter: its own core and its own GIL. The
    answers come back through files, not a pipe: draining tens of megabytes from a pipe needs a
    thread that the busy main thread starves of the GIL, which stalls the child. ``what`` names
    it in the warning of a failed helper.
    """

    @classmethod
    def start(cls, what: str, entry: str, url: str, parts: Sequence[str]) -> ReadHelper | None:
        """A running helper; None (the caller then reads in-process) if none can be started."""
        try:
            return cls(what, entry, url, parts)
        except (OSError, ValueError) as err:  # no interpreter to run, no temporary folder
            log.warning(f"{what} helper process not started; reading here",
                        extra={"event": f"{what}_helper_failed", "error": str(err)})
            return None

    def __init__(self, what: str, entry: str, url: str, parts: Sequence[str]) -> None:
        self.what = what
        self._dir = tempfile.TemporaryDirectory(prefix="blindpilot-start-")
        self._paths = {part: Path(self._dir.name) / f"{part}.pickle" for part in parts}
        self._done: set[str] = set()
        self._err = open(Path(self._dir.name) / "stderr", "w+b")  # noqa: SIM115 - closed in close
        self._proc = subprocess.Popen(
            child_command(f"import sys; from navigator.storage import {entry}; "
                          f"{entry}(*sys.argv[1:])", *map(str, self._paths.values())),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err, env=child_env(),
        )
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write((url + "\n").encode())  # one line: fits the pipe, never blocks
            self._proc.stdin.close()
        except BrokenPipeError:
            pass  # the child died at once: result() reports it as a failed helper

    def result(self, part: str) -> object | None:
        """One part of what the helper read (waiting for it); None, with a warning, if it
        failed."""
        assert self._proc.stdout is not None
        while part not in self._done:
            line = self._proc.stdout.readline()  # a few short lines: the child never blocks
            if not line:
                break
            self._done.add(line.decode().strip())
        if part in self._done:
            try:  # from the file: no copy of tens of megabytes in memory meanwhile
                with self._paths[part].open("rb") as answer:
                    return pickle.load(answer)
            except (OSError, pickle.UnpicklingError, EOFError) as err:
                self._err.write(repr(err).encode())
        self._proc.wait()
        self._err.seek(0)
        log.warning(f"{self.what} helper process failed; reading here",
                    extra={"event": f"{self.what}_helper_failed", "part": part,
                           "exit_code": self._proc.returncode,
                           "stderr": self._err.read().decode(errors="replace")[-2000:]})
        return None

    def close(self) -> None:
        """Stop the helper if its answer was not needed after all; remove its files."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._err.close()
        self._dir.cleanup()
