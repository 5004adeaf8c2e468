"""Figure hindcast: the 2026 history scenario across seeds against what happened.

Four panels: hashrate, difficulty with each 2026 retarget, hashprice by month, and miners'
AI IT load signed and delivered. Model: median with 50 % and 90 % bands across seeds of
the one scenario; history: points with the values the hindcast table holds it to.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from abm.figures.axes import draw_spread, from_zero
from abm.figures.style import OKABE_ITO, STYLE, new_figure

# 2026 retargets: date, new difficulty in T (research notes section 2a; sources in
# scenarios/history_2026.toml and abm/hindcast.py)
HISTORY_RETARGETS_T = (
    ("2026-01-08", 146.47),
    ("2026-01-22", 141.67),
    ("2026-02-07", 125.86),
    ("2026-02-20", 144.40),
    ("2026-03-20", 133.79),
    ("2026-04-18", 135.59),
    ("2026-05-01", 132.47),
    ("2026-05-29", 138.96),
    ("2026-06-13", 124.93),
    ("2026-06-26", 133.87),
)
HISTORY_HASHRATE_EH = (  # dated readings: JPMorgan Jan mean, Fern trough, recoveries
    ("2026-01-16", 981.0),
    ("2026-01-25", 663.0),
    ("2026-01-28", 814.0),
    ("2026-03-31", 970.0),
    ("2026-06-13", 886.0),
    ("2026-06-26", 984.0),
)
HISTORY_HASHPRICE = (39.4, 32.4, 31.3, 34.1, 36.6, 30.4)  # monthly means, Jan-Jun (derived)


def _stacked(runs: list, columns: list[str]) -> pd.DataFrame:
    return pd.concat(
        [run.model[["date", *columns]].assign(run_id=k) for k, run in enumerate(runs)],
        ignore_index=True,
    )


def _history(ax, points, label: str, scale: float = 1.0) -> None:
    dates = pd.to_datetime([d for d, _ in points])
    ax.scatter(
        dates, np.array([v for _, v in points]) / scale, color="black", s=14, zorder=5, label=label
    )


def draw_hindcast(runs: list, table: pd.DataFrame):
    """The four panels for `runs` (full runs of the history scenario)."""
    with plt.rc_context(STYLE):
        fig, axes = new_figure(2, 2, size=(10.0, 6.6), sharex=False)
        rows = _stacked(
            runs,
            [
                "hashrate_eh",
                "difficulty",
                "hashprice_usd_per_ph_day",
                "ai_mw_in_service",
                "ai_mw_converting",
            ],
        )
        rows["ai_mw_signed"] = rows["ai_mw_in_service"] + rows["ai_mw_converting"]
        ax = axes[0, 0]
        draw_spread(ax, rows, "hashrate_eh", OKABE_ITO[0])
        _history(ax, HISTORY_HASHRATE_EH, "history")
        ax.set_ylabel("network hashrate (EH/s)")
        ax.set_title("Hashrate (Winter Storm Fern, 23-27 Jan)")
        from_zero(ax)
        ax.legend(loc="lower left", fontsize=7)

        ax = axes[0, 1]
        draw_spread(ax, rows, "difficulty", OKABE_ITO[1], scale=1e12)
        _history(ax, HISTORY_RETARGETS_T, "history: each retarget")
        ax.set_ylabel("difficulty (T)")
        ax.set_title("Difficulty and the 2026 retargets")
        ax.legend(loc="lower left", fontsize=7)

        ax = axes[1, 0]
        monthly = (
            rows.assign(month=pd.to_datetime(rows["date"]).dt.to_period("M"))
            .groupby(["run_id", "month"])["hashprice_usd_per_ph_day"]
            .mean()
            .unstack("run_id")
        )
        q = np.nanpercentile(monthly.to_numpy(), [5, 50, 95], axis=1)
        x = np.arange(len(monthly))
        ax.bar(x, q[1], color=OKABE_ITO[2], alpha=0.6, label="model median")
        ax.errorbar(
            x,
            q[1],
            yerr=[q[1] - q[0], q[2] - q[1]],
            fmt="none",
            color="0.2",
            lw=1,
            label="model 90 % range",
        )
        ax.scatter(
            np.arange(len(HISTORY_HASHPRICE)),
            HISTORY_HASHPRICE,
            color="black",
            s=18,
            zorder=5,
            label="history (from prices and difficulty)",
        )
        ax.set_xticks(x, [str(m)[5:] for m in monthly.index.astype(str)])
        ax.set_xlabel("month of 2026")
        ax.set_ylabel("hashprice (USD/PH/day)")
        ax.set_title("Hashprice, monthly mean")
        from_zero(ax)
        ax.legend(loc="lower left", fontsize=7)

        ax = axes[1, 1]
        draw_spread(ax, rows, "ai_mw_signed", OKABE_ITO[3], scale=1000.0)
        draw_spread(ax, rows, "ai_mw_in_service", OKABE_ITO[4], scale=1000.0)
        signed = table.set_index("target").loc["ai_signed_jun_gw", "history"]
        delivered = table.set_index("target").loc["ai_delivered_jun_gw", "history"]
        _history(ax, (("2026-06-30", signed),), "history: signed")
        ax.scatter(
            pd.to_datetime(["2026-06-30"]),
            [delivered],
            marker="s",
            color="black",
            s=16,
            label="history: delivered",
        )
        ax.set_ylabel("AI IT load (GW)")
        ax.set_title("Miners' AI leases: signed (upper) and in service (lower)")
        from_zero(ax)
        handles, labels = ax.get_legend_handles_labels()
        keep = [i for i, label in enumerate(labels) if label.startswith("history") or i < 3]
        ax.legend(
            [handles[i] for i in keep], [labels[i] for i in keep], loc="center left", fontsize=7
        )
        for ax in axes.flat[[0, 1, 3]]:
            ax.tick_params(axis="x", labelrotation=30)
        held = table["strict"].sum()
        within = (table["strict"] & table["within"]).sum()
        fig.suptitle(
            f"Hindcast of 2026: {len(runs)} seeds of history_2026; "
            f"{within} of {held} held targets within tolerance",
            fontsize=10,
        )
    return fig
