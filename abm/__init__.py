"""abm: an agent-based model of Bitcoin mining firms between block rewards and AI hosting.

Public API: `load_scenario`, `run` (returns a `RunResult` of pandas tables) and
`MiningModel` (a mesa.Model, usable with mesa's own batch_run).
"""

__version__ = "0.1.0"

from abm.model import MiningModel
from abm.run import RunResult, run
from abm.scenario import Scenario, load_scenario

__all__ = ["MiningModel", "RunResult", "Scenario", "__version__", "load_scenario", "run"]
