"""The run's event log: dated discrete events (retargets, bankruptcies, trades, leases)."""

from __future__ import annotations

import numpy as np
import pandas as pd


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
