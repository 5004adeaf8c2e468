"""Figure migration_timeline: one run's network around its migration to AI.

Hashrate with AI MW in service, difficulty with its retargets, daily mean block intervals
and hashprice, halvings marked, so the difficulty lag after a migration wave and the
halving's cut to hashprice can be read off. The run is the median run by a stated
criterion, or the one asked for (`abm figures --run RUN_ID_OR_SEED`).
"""

from __future__ import annotations

import pandas as pd

from abm.figures.axes import from_zero, halving_dates, mark_halvings
from abm.figures.data import FigureData, FigureError
from abm.figures.style import OKABE_ITO, Drawing, new_figure

CRITERION = "AI MW in service on the last day (ties: hashrate on the last day)"


def pick_run(data: FigureData) -> tuple[str, str]:
    """The run to draw and why: the one asked for, else the median run by CRITERION."""
    runs = data.runs()
    if data.timeline_run is not None:
        asked = str(data.timeline_run)
        match = runs[(runs["run_id"] == asked) | (runs["seed"].astype(str) == asked)]
        if match.empty:
            raise FigureError(
                f"migration_timeline: no run {asked!r} in {data.source}; allowed a run id or "
                f"seed, e.g. {runs['run_id'].iloc[0]}"
            )
        return str(match["run_id"].iloc[0]), "the run asked for"
    if len(runs) == 1:
        return str(runs["run_id"].iloc[0]), "the only run"
    last = data.model.sort_values("date").groupby("run_id").last()
    order = last.sort_values(["ai_mw_in_service", "hashrate_eh"], kind="stable").index
    chosen = str(order[(len(order) - 1) // 2])
    return chosen, f"median of {len(order)} runs by {CRITERION}"


def draw(data: FigureData) -> Drawing:
    """Four stacked panels over the chosen run's dates."""
    data.need("migration_timeline", ("model",))
    run_id, why = pick_run(data)
    m = data.model[data.model["run_id"] == run_id].sort_values("date")
    dates = pd.to_datetime(m["date"])
    events = data.events
    retargets = events[(events["run_id"] == run_id) & (events["kind"] == "retarget")]
    notes = []
    fig, axes = new_figure(4, 1, size=(7.0, 8.5), sharex=True)
    ax = axes[0]
    ax.plot(dates, m["hashrate_eh"], color=OKABE_ITO[0], lw=1, label="network hashrate")
    ax.set_ylabel("hashrate (EH/s)")
    from_zero(ax)
    if (m["ai_mw_in_service"] > 0).any():
        twin = ax.twinx()
        twin.plot(dates, m["ai_mw_in_service"], color=OKABE_ITO[2], lw=1.5, label="AI in service")
        twin.set_ylabel("AI in service (MW IT)", color=OKABE_ITO[2])
        twin.grid(False)
        from_zero(twin)
    else:
        twin = None
        notes.append("AI in service is 0 throughout the run: its axis is left out")
    axes[1].step(dates, m["difficulty"] / 1e12, where="post", color=OKABE_ITO[3], lw=1)
    if len(retargets):
        at = pd.to_datetime(retargets["date"])
        level = m.set_index(dates)["difficulty"].reindex(at).to_numpy() / 1e12
        axes[1].plot(at, level, "o", ms=2.5, color=OKABE_ITO[3], label="retarget")
    axes[1].set_ylabel("difficulty (T)")
    axes[2].plot(dates, m["mean_block_interval_s"] / 60, color=OKABE_ITO[4], lw=0.6)
    axes[2].axhline(10, color="black", lw=0.8, ls="--", label="10-min target")
    axes[2].set_ylabel("daily mean block\ninterval (min)")
    axes[3].plot(dates, m["hashprice_usd_per_ph_day"], color=OKABE_ITO[1], lw=1)
    axes[3].set_ylabel("hashprice\n(USD/PH/day)")
    axes[3].set_xlabel("date")
    for panel in axes[1:]:
        from_zero(panel)
    halvings = halving_dates(m)
    mark_halvings(axes, halvings)
    panels = [axes[0], *([twin] if twin is not None else []), *axes[1:]]
    entries = {}
    for panel in panels:
        for handle, label in zip(*panel.get_legend_handles_labels(), strict=True):
            entries.setdefault(label, handle)
    fig.legend(entries.values(), entries.keys(), loc="outside lower center", ncols=3)
    first = m.iloc[0]
    axes[0].set_title(
        f"Migration timeline: {first['scenario']}, seed {first['seed']}\n({why})", fontsize=9
    )
    fig.align_ylabels(axes)
    return Drawing(fig, tuple(notes))
