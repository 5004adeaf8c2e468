"""Figure migration_timeline: one run's network around its migration to AI.

Hashrate, difficulty with its retargets, daily mean block intervals and hashprice, with
AI MW in service, so the difficulty lag after a migration wave can be read off.
"""

from __future__ import annotations

import pandas as pd

from abm.figures.data import FigureData
from abm.figures.style import OKABE_ITO, new_figure


def pick_run(data: FigureData) -> str:
    """The run with the most AI MW in service (the clearest migration wave)."""
    peak = data.model.groupby("run_id")["ai_mw_in_service"].max()
    return str(peak.idxmax())


def draw(data: FigureData):
    """Four stacked panels over the run's dates."""
    data.need("migration_timeline", ("model",))
    run_id = pick_run(data)
    m = data.model[data.model["run_id"] == run_id]
    dates = pd.to_datetime(m["date"])
    retargets = data.events[(data.events["run_id"] == run_id) & (data.events["kind"] == "retarget")]
    fig, axes = new_figure(4, 1, size=(7.0, 8.0), sharex=True)
    ax = axes[0]
    ax.plot(dates, m["hashrate_eh"], color=OKABE_ITO[0], lw=1, label="network hashrate")
    ax.set_ylabel("hashrate (EH/s)")
    twin = ax.twinx()
    twin.plot(dates, m["ai_mw_in_service"], color=OKABE_ITO[2], lw=1.5, label="AI in service")
    twin.set_ylabel("AI in service (MW IT)", color=OKABE_ITO[2])
    twin.grid(False)
    ax.legend(loc="upper left")
    axes[1].step(dates, m["difficulty"] / 1e12, where="post", color=OKABE_ITO[3], lw=1)
    if len(retargets):
        at = pd.to_datetime(retargets["date"])
        level = m.set_index(dates)["difficulty"].reindex(at).to_numpy() / 1e12
        axes[1].plot(at, level, "o", ms=2.5, color=OKABE_ITO[3], label="retarget")
        axes[1].legend(loc="upper left")
    axes[1].set_ylabel("difficulty (T)")
    axes[2].plot(dates, m["mean_block_interval_s"] / 60, color=OKABE_ITO[4], lw=0.6)
    axes[2].axhline(10, color="black", lw=0.8, ls="--", label="10-min target")
    axes[2].set_ylabel("daily mean block\ninterval (min)")
    axes[2].legend(loc="upper left")
    axes[3].plot(dates, m["hashprice_usd_per_ph_day"], color=OKABE_ITO[1], lw=1)
    axes[3].set_ylabel("hashprice\n(USD/PH/day)")
    axes[3].set_xlabel("date")
    scenario = m["scenario"].iloc[0] if "scenario" in m else ""
    axes[0].set_title(f"Migration timeline: {scenario} (run {run_id})")
    fig.align_ylabels(axes)
    return fig
