"""abm: an agent-based model of Bitcoin mining firms between block rewards and AI hosting.

Public API: `load_scenario`, `run` (returns a `RunResult` of pandas tables) and
`MiningModel` (a mesa.Model, usable with mesa's own batch_run). They load on first use
(see `abm.lazy`), so the command line starts fast.
"""

from abm.lazy import make_lazy

__version__ = "0.1.0"  # the only place the version is written (pyproject.toml reads it)

__all__ = [
    "MiningModel",
    "ParamError",
    "RunResult",
    "Scenario",
    "__version__",
    "load_scenario",
    "run",
]

make_lazy(
    __name__,
    {
        "MiningModel": "abm.model",
        "ParamError": "abm.params",
        "RunResult": "abm.run",
        "run": "abm.run",
        "Scenario": "abm.scenario",
        "load_scenario": "abm.scenario",
    },
)
