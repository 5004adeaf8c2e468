"""Run outputs recorded as they happen: the daily model series and the event log.

The model series is preallocated (one numpy array per column, one row per step) so that
recording costs no Python allocation on the daily hot path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


class ModelSeries:
    """Preallocated per-step columns; `row(i)[name] = value` style writes via `set`."""

    def __init__(self, n_steps: int, float_columns: tuple[str, ...], int_columns: tuple[str, ...]):
        self.n_steps = n_steps
        self.columns = {name: np.full(n_steps, np.nan) for name in float_columns}
        self.columns.update({name: np.zeros(n_steps, dtype=np.int64) for name in int_columns})

    def set(self, i: int, **values: float) -> None:
        """Write the values of step `i`."""
        for name, value in values.items():
            self.columns[name][i] = value

    def frame(self, dates: np.ndarray, n_done: int) -> pd.DataFrame:
        """The recorded steps as a DataFrame with `date` and `step` first."""
        data = {"date": dates[:n_done], "step": np.arange(n_done)}
        data.update({name: values[:n_done] for name, values in self.columns.items()})
        return pd.DataFrame(data)


class EventLog:
    """Dated discrete events (retargets, bankruptcies, trades) with free-form details."""

    def __init__(self, date_of_step):
        self._date_of_step = date_of_step
        self.rows: list[dict] = []
        self.step = 0

    def add(self, kind: str, firm_id: int = -1, **details) -> None:
        """Record an event of `kind` at the current step."""
        self.rows.append(
            {"date": self._date_of_step(self.step), "kind": kind, "firm_id": firm_id, **details}
        )

    def frame(self) -> pd.DataFrame:
        """All events as a DataFrame (columns: date, kind, firm_id, then details)."""
        if not self.rows:
            return pd.DataFrame(
                {
                    "date": pd.Series(dtype="datetime64[s]"),
                    "kind": pd.Series(dtype=str),
                    "firm_id": pd.Series(dtype=np.int64),
                }
            )
        return pd.DataFrame(self.rows)
