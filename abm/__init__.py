"""abm: an agent-based model of Bitcoin mining firms between block rewards and AI hosting.

Public API: `load_scenario`, `run` (returns a `RunResult` of pandas tables) and
`MiningModel` (a mesa.Model, usable with mesa's own batch_run). They are imported on first
use, so that `import abm` (and every CLI command) starts without mesa, pandas and scipy.
"""

import importlib
import sys
import types

__version__ = "0.1.0"

_API = {
    "MiningModel": "abm.model",
    "RunResult": "abm.run",
    "run": "abm.run",
    "Scenario": "abm.scenario",
    "load_scenario": "abm.scenario",
}
__all__ = ["MiningModel", "RunResult", "Scenario", "__version__", "load_scenario", "run"]


class _Package(types.ModuleType):
    """The `abm` module: imports the public API on first access.

    `run` names both a function and the submodule defining it; importing the submodule
    binds its name in the package, so the package keeps the function instead.
    """

    def __getattr__(self, name: str):
        if name not in _API:
            raise AttributeError(f"module 'abm' has no attribute {name!r}")
        value = getattr(importlib.import_module(_API[name]), name)
        setattr(self, name, value)
        return value

    def __setattr__(self, name: str, value) -> None:
        if name == "run" and isinstance(value, types.ModuleType):
            value = value.run
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
