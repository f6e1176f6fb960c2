"""Helper interpreters run this source tree, wherever the server was started."""

from __future__ import annotations

import subprocess
from pathlib import Path

from navigator.children import SOURCE_ROOT, child_command, child_env


def test_a_child_runs_this_tree_not_the_working_directorys(tmp_path: Path) -> None:
    """``python -c`` puts the working directory first on the import path: a server started in
    another checkout ran that checkout's navigator in its children."""
    (tmp_path / "navigator").mkdir()
    (tmp_path / "navigator" / "__init__.py").write_text("raise SystemExit('wrong tree')\n")
    out = subprocess.run(child_command("import navigator; print(navigator.__file__)"),
                         cwd=tmp_path, env=child_env(), capture_output=True, text=True,
                         timeout=60, check=True)
    assert Path(out.stdout.strip()).parent.parent == SOURCE_ROOT
