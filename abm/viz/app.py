"""The page `abm viz` serves: SolaraViz over one scenario, with inputs and live plots.

The scenario comes from the ABM_VIZ_SCENARIO environment variable (default baseline_2026);
mesa's controls give play / pause, step and reset (which rebuilds the model from the inputs).
"""

from __future__ import annotations

import os

from mesa.visualization import SolaraViz

from abm.viz.inputs import SCENARIO_ENV, DashboardModel, model_params
from abm.viz.plots import COMPONENTS

SCENARIO = os.environ.get(SCENARIO_ENV, "baseline_2026")

params = model_params(SCENARIO)
first = DashboardModel(**{k: v["value"] if isinstance(v, dict) else v for k, v in params.items()})
page = SolaraViz(
    first,
    components=COMPONENTS,
    model_params=params,
    name=f"abm: {os.path.basename(SCENARIO)}",
    play_interval=200,
    render_interval=7,
)
