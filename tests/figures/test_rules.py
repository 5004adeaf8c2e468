"""The figure rules, checked on matplotlib objects: what is drawn, pooled, marked and said."""

import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from SALib.analyze import sobol as salib_sobol

from abm.figures import FigureError, render
from abm.figures.axes import halving_dates
from abm.figures.bifurcation import outcomes
from abm.figures.data import MIN_SEEDS
from abm.metrics.bifurcation import CLASSES


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def data_axes(fig):
    """Every visible axes of a figure and of its subfigures."""
    found = [ax for ax in fig.axes if ax.get_visible()]
    for sub in fig.subfigs:
        found += data_axes(sub)
    return found


def all_zero(ax) -> bool:
    """True if every line and scatter on the axes is 0 everywhere."""
    ys = [np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()]
    ys += [np.asarray(c.get_offsets())[:, 1] for c in ax.collections if len(c.get_offsets())]
    ys = [y for y in ys if len(y) > 2]  # reference lines have two points
    return bool(ys) and all(np.allclose(y, 0) for y in ys)


def texts(fig) -> str:
    """Every title, suptitle, label and legend text of a figure, joined."""
    parts = [t.get_text() for t in fig.findobj(plt.Text)]
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("fixture", "name"),
    [
        ("smoke", "migration_timeline"),
        ("smoke", "bifurcation"),
        ("banded", "fan_charts"),
        ("single", "migration_timeline"),
        ("single", "bifurcation"),
        ("sobol", "security"),
        ("sobol", "sensitivity"),
        ("china", "china_2021"),
    ],
)
def test_no_panel_is_drawn_with_nothing_but_zeros(fixture, name, request):
    drawing = render(request.getfixturevalue(fixture), name)
    for ax in data_axes(drawing.figure):
        assert not all_zero(ax), f"{name}: panel {ax.get_ylabel()!r} is all zero"


def test_fan_charts_band_only_seeds_of_one_design_point(banded):
    drawing = render(banded, "fan_charts")
    axes = data_axes(drawing.figure)
    titles = [ax.get_title() for ax in axes if ax.get_title()]
    assert len(titles) == 2, "one column per design point"
    assert all("volatility per year" in t and "3 seeds" in t for t in titles)
    bands = [c for ax in axes for c in ax.collections if isinstance(c, PolyCollection)]
    assert bands, "bands are drawn"
    runs = banded.runs()
    for group in banded.groups("model"):
        assert group.rows["run_id"].nunique() == group.seeds == 3
        assert runs.loc[runs["run_id"].isin(group.rows["run_id"]), "point"].nunique() == 1
    assert "AI in service is 0 in every run" in " ".join(drawing.notes)
    assert all("AI in service" not in ax.get_ylabel() for ax in axes)


def test_fan_charts_refuse_points_with_one_seed_instead_of_pooling_them(smoke):
    with pytest.raises(FigureError, match=f"{MIN_SEEDS} or more seeds of one design point"):
        render(smoke, "fan_charts")


def test_axes_of_non_negative_quantities_start_at_zero(single, banded):
    for data, name in ((single, "migration_timeline"), (banded, "fan_charts")):
        for ax in data_axes(render(data, name).figure):
            assert ax.get_ylim()[0] == 0, f"{name}: {ax.get_ylabel()}"


def test_timeline_marks_the_2028_halving_and_retargets_with_a_complete_legend(single):
    fig = render(single, "migration_timeline").figure
    halving = halving_dates(single.model)
    assert len(halving) == 1 and halving[0].year == 2028 and halving[0].month == 4
    for ax in fig.axes[:4]:
        marks = [
            line
            for line in ax.get_lines()
            if line.get_linestyle() == ":" and pd.Timestamp(line.get_xdata()[0]) == halving[0]
        ]
        assert marks, "halving marked on every panel"
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    for entry in ("network hashrate", "AI in service", "retarget", "10-min target", "halving"):
        assert any(entry in label for label in legend), entry
    title = fig.axes[0].get_title()
    assert "seed 1" in title and single.experiment_hash not in title


def test_timeline_draws_the_median_run_and_says_so(banded):
    fig = render(banded, "migration_timeline").figure
    title = fig.axes[0].get_title()
    assert "median of 6 runs by AI MW in service" in title
    last = banded.model.sort_values("date").groupby("run_id").last()
    order = last.sort_values(["ai_mw_in_service", "hashrate_eh"], kind="stable")
    median = order.iloc[(len(order) - 1) // 2]
    drawn = fig.axes[0].get_lines()[0].get_ydata()
    assert drawn[-1] == pytest.approx(median["hashrate_eh"])


def test_timeline_draws_the_run_asked_for(banded):
    run = banded.runs().iloc[4]
    banded.timeline_run = str(run["seed"])
    try:
        title = render(banded, "migration_timeline").figure.axes[0].get_title()
    finally:
        banded.timeline_run = None
    assert f"seed {run['seed']}" in title and "the run asked for" in title


def test_bifurcation_of_one_run_leaves_out_empty_classes_and_says_natural_log(single):
    drawing = render(single, "bifurcation")
    text = texts(drawing.figure)
    assert "1 runs" not in text and "1 seeds" not in text and "in 1 seed" in text
    assert "ln(" in text
    strip = data_axes(drawing.figure)[0]
    labels = [t.get_text() for t in strip.get_xticklabels()]
    counts = [int(re.search(r"n=(\d+)", label).group(1)) for label in labels]
    assert all(n > 0 for n in counts), labels
    ended = set(outcomes(single.firms)["firm_class"])
    notes = " ".join(drawing.notes)
    for cls in CLASSES:  # a class no firm ended in is named in the notes, the others not
        assert (cls.replace("_", " ") in notes) == (cls not in ended), (cls, notes)


def test_china_with_one_seed_has_no_band_legend_entry(tmp_path):
    from abm import run
    from abm.figures import load_figure_data

    run("china_2021", seed=1).write(tmp_path / "china")
    fig = render(load_figure_data(tmp_path / "china"), "china_2021").figure
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    legend = [t.get_text() for lg in legends for t in lg.get_texts()]
    assert not any("band" in label for label in legend)
    assert any("1 seed" in label for label in legend)
    assert not any(isinstance(c, PolyCollection) for ax in fig.axes for c in ax.collections)


def test_china_with_three_seeds_draws_bands(china):
    fig = render(china, "china_2021").figure
    assert any(isinstance(c, PolyCollection) for c in fig.axes[0].collections)
    assert "3 seeds" in fig.axes[0].get_title()


def test_sensitivity_reads_stored_indices_without_salib(sobol, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("SALib called while drawing")

    monkeypatch.setattr(salib_sobol, "analyze", forbidden)
    drawing = render(sobol, "sensitivity")
    fig = drawing.figure
    assert "WARNING" in fig.get_suptitle() and "N = 2" in fig.get_suptitle()
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["btc_price_usd_end", "btc_price_usd_end: second order"]
    assert any("firms is the same in every run" in n for n in drawing.notes)
    assert any(n.startswith("warning: base sample N = 2") for n in drawing.notes)


def test_sensitivity_refuses_a_grid_sweep(smoke):
    with pytest.raises(FigureError, match="needs a Sobol sweep"):
        render(smoke, "sensitivity")


def test_security_log_axes_carry_plain_number_ticks():
    from abm.figures.axes import scale_y, short_number

    fig, ax = plt.subplots()
    values = np.array([2e5, 3e6, 8e9])
    ax.scatter([1, 2, 3], values)
    scale_y(ax, values)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert ax.get_yscale() == "log" and len(labels) >= 5
    assert all("^" not in label and "$" not in label for label in labels)
    assert short_number(2e9) == "2bn" and short_number(1500) == "1.5k"


def test_security_without_migration_is_not_drawn_and_says_why(china):
    with pytest.raises(FigureError, match="share of site MW in AI is 0 in all 3 runs"):
        render(china, "security")
