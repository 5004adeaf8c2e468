"""Results as figures read them, grouped by design point (scenario and parameter values).

Runs of one design point differ only by seed: only they may be pooled into a band or a
distribution. Runs of different points are drawn side by side, never pooled.
"""

from __future__ import annotations

import dataclasses
import numbers
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from abm.batch.results import StoredResults, read_results

MIN_SEEDS = 3  # a band needs at least this many seeds of one design point
GROUP_KEYS = ("scenario", "point")


class FigureError(ValueError):
    """The results lack what a figure needs; the message says what and how to get it."""


class Group(NamedTuple):
    """The rows of one table that belong to one design point."""

    label: str  # scenario and the point's parameter values
    seeds: int  # runs of the point
    rows: pd.DataFrame


def short_name(parameter: str) -> str:
    """A dotted scenario key as an axis or legend label: its last part, spaced."""
    return parameter.split(".")[-1].replace("_", " ")


def plural(n: int, word: str) -> str:
    """'1 run', '4 runs': counts in titles never read '1 runs'."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _value(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, numbers.Real) else str(value)


@dataclasses.dataclass
class FigureData(StoredResults):
    """Stored results with the design-point grouping every figure uses."""

    timeline_run: str | None = None  # run id or seed migration_timeline draws (None: median)

    def runs(self) -> pd.DataFrame:
        """One row per run: ids, the varied values and `group`, its design point's label."""
        source = next((t for t in (self.summary, self.model, self.firms) if not t.empty), None)
        if source is None:
            return pd.DataFrame(columns=["run_id", *GROUP_KEYS, "group"])
        varied = [p for p in self.varied if p in source]
        keep = ["run_id", *GROUP_KEYS, "replicate", "seed", *varied]
        runs = source[keep].drop_duplicates("run_id").sort_values(["point", "replicate"])

        def label(row: pd.Series) -> str:
            values = [f"{short_name(p)} {_value(row[p])}" for p in varied]
            return ", ".join([str(row["scenario"]), *values])

        return runs.assign(group=runs.apply(label, axis=1)).reset_index(drop=True)

    @property
    def n_runs(self) -> int:
        """Number of runs in the results."""
        return len(self.runs())

    def groups(self, table: str) -> list[Group]:
        """Rows of `table` per design point, in design order."""
        runs = self.runs()
        frame = getattr(self, table)
        if frame.empty:
            return []
        seeds = runs.groupby("group", sort=False)["run_id"].nunique()
        out = []
        for label, count in seeds.items():
            ids = runs.loc[runs["group"] == label, "run_id"]
            out.append(Group(str(label), int(count), frame[frame["run_id"].isin(ids)]))
        return out

    def need(self, figure: str, tables: tuple[str, ...] = (), runs: int = 1) -> None:
        """Raise FigureError unless the results hold these tables and at least `runs` runs."""
        for name in tables:
            if getattr(self, name).empty:
                raise FigureError(
                    f"{figure} needs the {name} table, which {self.source} does not keep "
                    f"(add '{name}' to the experiment's [outputs] tables)"
                )
        if self.n_runs < runs:
            raise FigureError(
                f"{figure} needs at least {plural(runs, 'run')}; {self.source} holds "
                f"{plural(self.n_runs, 'run')} (a sweep gives more: abm sweep EXPERIMENT)"
            )


def load_figure_data(path: str | Path) -> FigureData:
    """Read an `abm run` output folder or an `abm sweep` store (ResultsError if neither)."""
    return FigureData(**vars(read_results(path)))
