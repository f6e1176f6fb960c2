"""ARCHITECTURE.md keeps one line per module: a module nobody described is a room nobody knows."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("navigator", "routing", "beacons", "voice")


def test_every_module_of_the_four_packages_is_named_in_architecture_md() -> None:
    named = set(re.findall(r"`([\w/]+)\.py`", (ROOT / "ARCHITECTURE.md").read_text()))
    modules = [path.relative_to(ROOT) for package in PACKAGES
               for path in sorted((ROOT / package).rglob("*.py"))
               if path.name != "__init__.py" and "migrations" not in path.parts]
    assert modules, "no modules found"
    unnamed = [str(m) for m in modules if m.stem not in {n.rsplit("/", 1)[-1] for n in named}]
    assert not unnamed, f"modules ARCHITECTURE.md does not describe: {unnamed}"


def test_no_module_of_the_four_packages_is_over_450_lines() -> None:
    """One job per module: past ~450 lines a module has taken a second one (issue 13)."""
    long = {str(path.relative_to(ROOT)): n for package in PACKAGES
            for path in (ROOT / package).rglob("*.py") if "migrations" not in path.parts
            if (n := len(path.read_text().splitlines())) > 450}
    assert not long, f"split these by job: {long}"
