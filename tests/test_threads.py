"""Same seed, same bytes, on any machine: outputs do not depend on the BLAS thread count.

numpy's bundled OpenBLAS splits a dot product of more than 10,000 elements over its threads,
and the partial sums change the last bits with their number. A run's daily path has more
vintages than that from about 800 firms on, so the test runs 1,280 firms (1,200 drawn) for
two months twice, with one and with two BLAS threads, in fresh interpreters (the thread
count is read when numpy loads).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

RUN = """
import sys
import abm
from abm.scenario import load_scenario

base = load_scenario("baseline_2026")
groups = base.to_dict()["population"]["groups"]
drawn = sum(group["count"] for group in groups)
for group in groups:
    group["count"] = round(group["count"] * 1200 / drawn)
scenario = load_scenario(
    base.to_dict(), {"population.groups": groups, "run.end_date": "2026-02-28"}
)
result = abm.run(scenario, seed=1)
assert result.firms["firm_id"].nunique() >= 1200
result.model.to_pickle(sys.argv[1])
"""


def model_table(tmp_path: Path, blas_threads: int) -> pd.DataFrame:
    out = tmp_path / f"model_{blas_threads}.pkl"
    env = os.environ | {"OPENBLAS_NUM_THREADS": str(blas_threads)}
    subprocess.run([sys.executable, "-c", RUN, str(out)], env=env, check=True, timeout=600)
    return pd.read_pickle(out)


@pytest.mark.slow
def test_a_large_run_is_bit_identical_with_one_or_two_blas_threads(tmp_path):
    one, two = model_table(tmp_path, 1), model_table(tmp_path, 2)
    assert one["hashrate_eh"].notna().all()
    pd.testing.assert_frame_equal(one, two, check_exact=True)
