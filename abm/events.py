"""The run's event log: dated discrete events (retargets, bankruptcies, trades, leases).

Every event has a date, a kind and a firm (-1 for none); its details come from one fixed
schema, so the events table has the same columns, with the same types, in every run
(missing details are nulls, integer ids stay integers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DETAILS = {  # every detail an event may carry, and its (nullable) column type
    "height": "Int64",  # retarget, halving
    "old_bits": "Int64",
    "new_bits": "Int64",
    "timespan_s": "Int64",
    "time_s": "Float64",
    "site": "Int64",  # site row: upgrades, conversions, leases, auctions
    "buyer_id": "Int64",  # auction: the buying firm, -1 for the secondary market
    "generation": "Int64",  # machines: ASIC generation index
    "old_pool": "Int64",
    "new_pool": "Int64",
    "tenant": "Int64",  # lease: tenant type index
    "term_months": "Int64",
    "region": "Int64",  # site builds: power region index
    "lead_months": "Int64",  # site builds: months from decision to energization
    "on_time": "boolean",  # conversion finished by the date promised
    "usd": "Float64",
    "cash_usd": "Float64",
    "btc": "Float64",
    "th": "Float64",
    "mw": "Float64",
    "readiness": "Float64",
    "price_usd_per_kw_month": "Float64",
    "rate": "Float64",  # financing: coupon or interest rate per year
    "price_to_nav": "Float64",  # equity raised: issue price over net worth per share
    "shares": "Float64",  # equity raised: new shares over those outstanding before
}


class EventLog:
    """Dated discrete events with details from `DETAILS`."""

    def __init__(self, date_of_step):
        self._date_of_step = date_of_step
        self.rows: list[dict] = []
        self.step = 0
        self._dated = (None, None)  # (step, its date) of the last event: most share a step

    def add(self, kind: str, firm_id: int = -1, **details) -> None:
        """Record an event of `kind` at the current step.

        Raises:
            KeyError: a detail the schema does not declare (add it to DETAILS).
        """
        if not details.keys() <= DETAILS.keys():  # no set built per event
            unknown = sorted(details.keys() - DETAILS.keys())
            raise KeyError(f"event details not in abm.events.DETAILS: {unknown}")
        step, date = self._dated
        if step != self.step:
            step = self.step
            date = self._date_of_step(step)
            self._dated = step, date
        self.rows.append({"date": date, "kind": kind, "firm_id": firm_id, **details})

    def frame(self) -> pd.DataFrame:
        """All events: date, kind, firm_id, then every detail column of the schema.

        Built column by column in one pass over the rows, each detail as a masked array
        (null where an event lacks it, or gives None or NaN): a frame of the dicts,
        converted column by column, costs four times as much.
        """
        n = len(self.rows)
        given: dict[str, tuple[list[int], list]] = {name: ([], []) for name in DETAILS}
        dates, kinds, firms = [], [], []
        for i, row in enumerate(self.rows):
            for name, value in row.items():
                if name == "date":
                    dates.append(value)
                elif name == "kind":
                    kinds.append(value)
                elif name == "firm_id":
                    firms.append(value)
                elif value is not None and value == value:
                    rows, values = given[name]
                    rows.append(i)
                    values.append(value)
        columns = {
            "date": np.array(dates, dtype="datetime64[D]").astype("datetime64[s]"),
            "kind": pd.array(kinds, dtype=str),
            "firm_id": np.array(firms, dtype=np.int64),
        }
        for name, dtype in DETAILS.items():
            columns[name] = _nullable(n, *given[name], dtype)
        return pd.DataFrame(columns)


_NULLABLE = {  # column type -> (numpy type of its values, the masked array holding them)
    "Float64": (np.float64, pd.arrays.FloatingArray),
    "Int64": (np.int64, pd.arrays.IntegerArray),
    "boolean": (np.bool_, pd.arrays.BooleanArray),
}


def _nullable(
    n: int, rows: list[int], values: list, dtype: str
) -> pd.api.extensions.ExtensionArray:
    """A nullable array of `dtype` and length `n` holding `values` at `rows`, null elsewhere."""
    kind, array_type = _NULLABLE[dtype]
    data = np.zeros(n, dtype=kind)
    data[rows] = values
    missing = np.ones(n, dtype=bool)
    missing[rows] = False
    return array_type(data, missing)
