"""Figure china_2021: the 2021 replay against the retargets Bitcoin actually made.

The replay's difficulty and daily mean block intervals across the seeds of one design
point (bands from three seeds on), with the difficulty history.
"""

from __future__ import annotations

import pandas as pd

from abm.figures.axes import draw_spread, from_zero
from abm.figures.data import FigureData, FigureError, plural
from abm.figures.style import OKABE_ITO, Drawing, new_figure

HISTORY = pd.DataFrame(  # BTC.com difficulty via CoinDesk 2021-07-03, Forkast 2021-06-14
    {
        "date": pd.to_datetime(["2021-05-13", "2021-05-29", "2021-06-13", "2021-07-03"]),
        "height": [683_424, 685_440, 687_456, 689_472],
        "difficulty_t": [25.046, 21.047, 19.933, 14.363],
    }
)


def draw(data: FigureData) -> Drawing:
    """Difficulty (model across seeds, history) and daily mean interval (model across seeds)."""
    groups = [g for g in data.groups("model") if (g.rows["scenario"] == "china_2021").all()]
    if not groups:
        raise FigureError(
            f"china_2021 needs runs of the china_2021 scenario; {data.source} has none "
            "(abm sweep experiments/china_2021.toml, or abm run china_2021)"
        )
    notes = []
    if len(groups) > 1:
        notes.append(f"the design point with most seeds of {len(groups)} is drawn")
    group = max(groups, key=lambda g: g.seeds)
    fig, axes = new_figure(2, 1, size=(7.0, 5.5), sharex=True)
    for ax, column, scale, label in (
        (axes[0], "difficulty", 1e12, "difficulty (T)"),
        (axes[1], "mean_block_interval_s", 60.0, "daily mean block interval (min)"),
    ):
        draw_spread(ax, group.rows, column, OKABE_ITO[0], scale)
        ax.set_ylabel(label)
    axes[0].step(
        HISTORY["date"],
        HISTORY["difficulty_t"],
        where="post",
        color=OKABE_ITO[3],
        lw=1.2,
        label="history",
    )
    axes[0].plot(HISTORY["date"], HISTORY["difficulty_t"], "o", color=OKABE_ITO[3], ms=3)
    axes[1].axhline(10, color="black", lw=0.8, ls="--", label="10-min target")
    for ax in axes:
        from_zero(ax)
        ax.legend(loc="lower left")
    axes[0].set_title(
        f"China 2021 replay ({plural(group.seeds, 'seed')}) against Bitcoin's retargets"
    )
    axes[1].set_xlabel("date")
    axes[1].tick_params(axis="x", labelrotation=30)
    fig.align_ylabels(axes)
    return Drawing(fig, tuple(notes))
