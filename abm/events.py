"""The run's event log: dated discrete events (retargets, bankruptcies, trades, leases).

Every event has a date, a kind and a firm (-1 for none); its details come from one fixed
schema, so the events table has the same columns, with the same types, in every run
(missing details are nulls, integer ids stay integers).
"""

from __future__ import annotations

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

    def add(self, kind: str, firm_id: int = -1, **details) -> None:
        """Record an event of `kind` at the current step.

        Raises:
            KeyError: a detail the schema does not declare (add it to DETAILS).
        """
        unknown = set(details) - set(DETAILS)
        if unknown:
            raise KeyError(f"event details not in abm.events.DETAILS: {sorted(unknown)}")
        self.rows.append(
            {"date": self._date_of_step(self.step), "kind": kind, "firm_id": firm_id, **details}
        )

    def frame(self) -> pd.DataFrame:
        """All events: date, kind, firm_id, then every detail column of the schema."""
        rows = pd.DataFrame(self.rows, columns=["date", "kind", "firm_id", *DETAILS])
        columns = {
            "date": pd.to_datetime(rows["date"]).astype("datetime64[s]"),
            "kind": rows["kind"].astype(str),
            "firm_id": rows["firm_id"].astype("int64"),
        }
        columns |= {name: rows[name].astype(dtype) for name, dtype in DETAILS.items()}
        return pd.DataFrame(columns)
