"""Print pip constraints that pin every dependency to the lowest version pyproject allows.

CI installs the package with these in a separate venv and runs the quick suite, so the
floors in pyproject.toml are versions that really work, not guesses.
"""

import re
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]
requirements = [*project["dependencies"], *project["optional-dependencies"]["test"]]
requirements += project["optional-dependencies"]["dask"]
for requirement in requirements:
    found = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[([a-z,]+)\])?\s*>=\s*([0-9.]+).*", requirement)
    if found is None:
        raise SystemExit(f"no lower bound in {requirement!r}")
    name, _, extras, floor = found.groups()
    print(f"{name}=={floor}")
    for extra in (extras or "").split(","):
        if extra == "distributed":  # released together with dask, same version number
            print(f"distributed=={floor}")
