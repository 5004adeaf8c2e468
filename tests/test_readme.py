"""The README's commands and Python snippets run as written.

Every ```bash and ```python block is run, except those right after a
`<!-- not run by tests: REASON -->` line. They run in a fresh folder that links the
repository's scenarios, experiments and .venv, so `results/` lands there, not here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"(<!-- not run by tests: [^>]*-->\n)?```(bash|python)\n(.*?)```", re.S)


def blocks() -> list[tuple[str, str, bool]]:
    """(language, code, meant to run) of every fenced bash or python block."""
    text = (REPO / "README.md").read_text()
    return [(m.group(2), m.group(3), m.group(1) is None) for m in BLOCK.finditer(text)]


def test_the_readme_marks_which_blocks_run():
    found = blocks()
    assert [(lang, runs) for lang, _, runs in found] == [
        ("bash", False),  # make run / make test
        ("bash", True),  # the tour
        ("bash", False),  # hours of runs
        ("python", True),  # From Python
        ("bash", False),  # Dask cluster
    ]


@pytest.mark.slow
def test_the_readme_tour_and_python_snippet_run_as_written(tmp_path):
    for name in ("scenarios", "experiments", ".venv"):
        (tmp_path / name).symlink_to(REPO / name)
    env = {**os.environ, "MPLBACKEND": "Agg"}
    for lang, code, runs in blocks():
        if not runs:
            continue
        if lang == "bash":
            for line in code.splitlines():
                command = line.split("  #")[0].strip()
                done = subprocess.run(
                    ["bash", "-c", command],
                    cwd=tmp_path,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=900,
                )
                assert done.returncode == 0, f"{command}\n{done.stderr}"
        else:
            script = tmp_path / "snippet.py"
            script.write_text(code)
            done = subprocess.run(
                [sys.executable, script.name],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
            )
            assert done.returncode == 0, done.stderr
            assert "hashrate_eh" in done.stdout
    assert (tmp_path / "results" / "smoke_quick" / "figures").is_dir()
