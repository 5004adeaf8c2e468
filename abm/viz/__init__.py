"""`abm viz`: an interactive Mesa SolaraViz dashboard of one scenario (the `viz` extra).

Modules: `inputs` (the dashboard's parameters as scenario overrides, and the model it
builds), `plots` (live plots and the firm table), `app` (the page Solara serves), `cli`
(the subcommand). Only the public model surface is used: `MiningModel(scenario, seed,
**overrides)`, `step`, `running`, `model_table`, `firm_table`, `event_table`.
"""
