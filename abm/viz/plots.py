"""Live dashboard plots and the firm table, each a function of the model.

SolaraViz calls them again after every rendered step. They read only `model_table`,
`firm_table` and `event_table`.
"""

from __future__ import annotations

import pandas as pd
import solara
from matplotlib.dates import DateFormatter, YearLocator
from matplotlib.figure import Figure

from abm.figures.style import CLASS_COLOURS, OKABE_ITO, STYLE

FIRM_COLUMNS = {  # firm panel column: table heading
    "name": "firm",
    "group": "group",
    "firm_class": "class",
    "hashrate_eh": "hashrate EH/s",
    "mw_mining": "MW mining",
    "ai_mw_contracted": "AI MW signed",
    "ai_mw_delivered": "AI MW delivered",
    "cash_usd": "cash USD",
    "debt_usd": "debt USD",
    "net_worth_usd": "net worth USD",
    "leverage": "leverage",
}


def _figure(title: str) -> tuple[Figure, object]:
    import matplotlib

    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(5.0, 2.8), layout="constrained")
        ax = fig.add_subplot()
    ax.set_title(title, fontsize=10)
    return fig, ax


def _show(fig: Figure, ax, model) -> solara.Element:
    ax.set_xlim(model.dates[0], model.dates[-1])
    ax.xaxis.set_major_locator(YearLocator())
    ax.xaxis.set_major_formatter(DateFormatter("%Y"))
    ax.set_ylim(bottom=0)
    ax.tick_params(labelsize=8)
    return solara.FigureMatplotlib(fig, format="png")


def hashrate(model) -> solara.Element:
    """Network hashrate (EH/s)."""
    t = model.model_table()
    fig, ax = _figure("Network hashrate (EH/s)")
    ax.plot(t["date"], t["hashrate_eh"], color=OKABE_ITO[0], lw=1)
    return _show(fig, ax, model)


def difficulty(model) -> solara.Element:
    """Difficulty (T) with a dot at each retarget."""
    t, events = model.model_table(), model.event_table()
    fig, ax = _figure("Difficulty (T) and retargets")
    ax.step(t["date"], t["difficulty"] / 1e12, where="post", color=OKABE_ITO[3], lw=1)
    if not events.empty:
        at = pd.to_datetime(events.loc[events["kind"] == "retarget", "date"])
        level = t.set_index(pd.to_datetime(t["date"]))["difficulty"].reindex(at) / 1e12
        ax.plot(at, level, "o", ms=3, color=OKABE_ITO[3], label=f"retarget ({len(at)})")
        ax.legend(loc="lower left", fontsize=8)
    return _show(fig, ax, model)


def block_intervals(model) -> solara.Element:
    """Daily mean and longest block interval (min), against the 10-minute target."""
    t = model.model_table()
    fig, ax = _figure("Block intervals (min)")
    ax.plot(
        t["date"],
        t["max_block_interval_s"] / 60,
        color=OKABE_ITO[5],
        lw=0.6,
        label="longest of the day",
    )
    ax.plot(
        t["date"], t["mean_block_interval_s"] / 60, color=OKABE_ITO[4], lw=0.8, label="daily mean"
    )
    ax.axhline(10, color="black", lw=0.8, ls="--", label="10-min target")
    ax.legend(loc="upper left", fontsize=8, ncols=3)
    return _show(fig, ax, model)


def hashprice(model) -> solara.Element:
    """Hashprice (USD/PH/day)."""
    t = model.model_table()
    fig, ax = _figure("Hashprice (USD/PH/day)")
    ax.plot(t["date"], t["hashprice_usd_per_ph_day"], color=OKABE_ITO[1], lw=1)
    return _show(fig, ax, model)


def ai_mw(model) -> solara.Element:
    """AI MW signed (firms' contracts, monthly) and in service (daily)."""
    t, firms = model.model_table(), model.firm_table()
    fig, ax = _figure("AI hosting (MW IT)")
    if not firms.empty:
        signed = firms.groupby("date")["ai_mw_contracted"].sum()
        ax.step(
            signed.index,
            signed.to_numpy(),
            where="post",
            color=OKABE_ITO[5],
            lw=1.2,
            label="signed",
        )
    ax.plot(t["date"], t["ai_mw_in_service"], color=OKABE_ITO[2], lw=1.5, label="in service")
    ax.legend(loc="upper left", fontsize=8)
    return _show(fig, ax, model)


def firm_classes(model) -> solara.Element:
    """Firms by class at each month end (bankrupt included)."""
    firms = model.firm_table()
    fig, ax = _figure("Firms by class (monthly)")
    if not firms.empty:
        counts = firms.groupby(["date", "firm_class"]).size().unstack(fill_value=0)
        classes = [c for c in CLASS_COLOURS if c in counts]
        ax.stackplot(
            counts.index,
            [counts[c] for c in classes],
            labels=[c.replace("_", " ") for c in classes],
            colors=[CLASS_COLOURS[c] for c in classes],
        )
        ax.legend(loc="lower left", fontsize=8, ncols=2)
    return _show(fig, ax, model)


@solara.component
def FirmTable(model):
    """The firms at the latest month end, sorted by a chosen column."""
    sort_by, set_sort_by = solara.use_state("net worth USD")
    descending, set_descending = solara.use_state(True)
    firms = model.firm_table()
    with solara.Card("Firms at the latest month end"):
        if firms.empty:
            solara.Text("No month has ended yet: step on to fill the table.")
            return
        latest = firms[firms["date"] == firms["date"].max()]
        table = latest[list(FIRM_COLUMNS)].rename(columns=FIRM_COLUMNS)
        with solara.Row():
            solara.Select(
                "sort by", value=sort_by, values=list(table.columns), on_value=set_sort_by
            )
            solara.Checkbox(label="descending", value=descending, on_value=set_descending)
        table = table.sort_values(sort_by, ascending=not descending).round(3)
        solara.DataFrame(table.reset_index(drop=True), items_per_page=10)


COMPONENTS = [hashrate, difficulty, block_intervals, hashprice, ai_mw, firm_classes, FirmTable]
