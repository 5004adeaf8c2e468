"""What `abm analyze` adds for the figures: S2, a small-sample warning, constant outputs."""

import numpy as np
from SALib.test_functions import Ishigami

from abm.batch import indices
from abm.batch.analyze import sample_warning
from abm.batch.design import problem, sobol

BOUNDS = [(-np.pi, np.pi)] * 3
NAMES = ["x1", "x2", "x3"]


def ishigami(n: int, second_order: bool = False):
    X = sobol(BOUNDS, n, seed=0, second_order=second_order)
    Y = Ishigami.evaluate(X)
    return indices("sobol", problem(NAMES, BOUNDS), X, Y, second_order=second_order)


def test_second_order_ishigami_pair_x1_x3_is_recovered():
    """Ishigami's only interaction: S13 = 0.2437 (Saltelli et al. 2008, 4.4)."""
    table = ishigami(4096, second_order=True).set_index("parameter")
    assert abs(table.loc["x1", "S2_x3"] - 0.2437) < 0.05
    assert abs(table.loc["x1", "S2_x2"]) < 0.05 and np.isnan(table.loc["x3", "S2_x1"])


def test_small_samples_are_flagged_and_large_ones_are_not():
    assert sample_warning("sobol", ishigami(4096), 4096) is None
    text = sample_warning("sobol", ishigami(8), 8)
    assert text.startswith("base sample N = 8 is too small")


def test_an_output_that_does_not_vary_has_no_indices_and_no_warning():
    X = sobol(BOUNDS, 8, seed=0)
    table = indices("sobol", problem(NAMES, BOUNDS), X, np.ones(len(X)))
    assert table.drop(columns="parameter").isna().all().all()
    assert sample_warning("sobol", table, 8) is None
