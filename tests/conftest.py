"""Shared fixtures: one baseline run per session, models stepped to the end, price CSVs.

The expensive runs are session-scoped so each happens once per test session:
- `baseline_result`: `abm.run("baseline_2026", seed=1)` (about 1.2 s);
- `baseline_stepped`: the same run driven through `MiningModel` directly, with the start
  state (cash, site MW and owners, leverage) captured before the first step;
- `crash_runs`: the baseline under a deterministic deep BTC crash (87,400 USD falling
  log-linearly to 25,000 USD over 2026, flat after), two years, seeds 1-8;
- `short_model`: a fresh, unstepped baseline model ending 2026-03-31 (90 steps; built in
  under 0.1 s, so each test gets its own and may change it);
- `short_stepped`: that short baseline stepped to its end (about 0.1 s).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import abm
from abm.scenario import SCENARIO_DIR

BASELINE = "baseline_2026"
BASELINE_TOML = SCENARIO_DIR / "baseline_2026.toml"
CRASH_SEEDS = tuple(range(1, 9))
CRASH_END_DATE = "2027-12-31"
CRASH_START_USD = 87_400.0
CRASH_LOW_USD = 25_000.0
SHORT_END_DATE = "2026-03-31"  # three months: 90 daily steps, three monthly panel rows


@dataclasses.dataclass
class Stepped:
    """A `MiningModel` stepped to its end date, with its state before the first step."""

    model: abm.MiningModel
    cash_start_usd: np.ndarray  # per firm
    site_mw_start: np.ndarray  # per site
    site_owner_start: np.ndarray  # per site
    site_contract_start: np.ndarray  # per site, abm.agents.fleet.Contract codes
    leverage_start: np.ndarray  # per firm, debt / assets right after construction
    table: pd.DataFrame  # model series
    firms: pd.DataFrame  # monthly firm panel
    events: pd.DataFrame


def step_to_end(scenario: str | Path = BASELINE, seed: int = 1, **overrides) -> Stepped:
    """Build `MiningModel(scenario, seed, **overrides)`, note its start state, run it out."""
    model = abm.MiningModel(scenario, seed=seed, **overrides)
    cash = model.industry.ledger.cash_usd.copy()
    mw = model.industry.sites.gross_mw.copy()
    owner = model.industry.sites.firm.copy()
    contract = model.industry.sites.contract.copy()
    leverage = np.array([m.leverage() for m in model.miners])
    for _ in range(model.n_steps):
        model.step()
    return Stepped(
        model=model,
        cash_start_usd=cash,
        site_mw_start=mw,
        site_owner_start=owner,
        site_contract_start=contract,
        leverage_start=leverage,
        table=model.model_table(),
        firms=model.firm_table(),
        events=model.event_table(),
    )


def write_price_csv(path: Path, dates: pd.DatetimeIndex, prices_usd: np.ndarray) -> Path:
    """Write a `date,price_usd` CSV that `[btc_price] path_csv` replays."""
    frame = pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "price_usd": prices_usd})
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def baseline_toml() -> Path:
    """Absolute path of the shipped baseline scenario."""
    return BASELINE_TOML


@pytest.fixture(scope="session")
def baseline_result() -> abm.RunResult:
    """The baseline, seed 1, through the public `abm.run`."""
    return abm.run(BASELINE, seed=1)


@pytest.fixture(scope="session")
def baseline_stepped() -> Stepped:
    """The baseline, seed 1, through `MiningModel` directly."""
    return step_to_end(BASELINE, seed=1)


@pytest.fixture
def short_model() -> abm.MiningModel:
    """A fresh baseline model (seed 1) ending 2026-03-31, not stepped: the test may change it."""
    return abm.MiningModel(BASELINE, seed=1, **{"run.end_date": SHORT_END_DATE})


@pytest.fixture(scope="session")
def short_stepped() -> Stepped:
    """The baseline (seed 1) ending 2026-03-31, stepped to its end."""
    return step_to_end(BASELINE, seed=1, **{"run.end_date": SHORT_END_DATE})


@pytest.fixture(scope="session")
def stepper() -> Callable[..., Stepped]:
    """`step_to_end` for tests that build their own scenario."""
    return step_to_end


@pytest.fixture(scope="session")
def price_csv() -> Callable[[Path, pd.DatetimeIndex, np.ndarray], Path]:
    """`write_price_csv` for tests that replay their own BTC price path."""
    return write_price_csv


@pytest.fixture(scope="session")
def crash_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """87,400 USD on 2026-01-01 falling log-linearly to 25,000 USD by 2027-01-01, then flat.

    It covers 2025-12-01 to 2031-12-31, wider than any run that uses it.
    """
    dates = pd.date_range("2025-12-01", "2031-12-31", freq="D")
    days = np.asarray((dates - pd.Timestamp("2026-01-01")).days, dtype=float)
    fraction = np.clip(days, 0.0, 365.0) / 365.0
    log_price = np.log(CRASH_START_USD) + fraction * np.log(CRASH_LOW_USD / CRASH_START_USD)
    path = tmp_path_factory.mktemp("prices") / "deep_crash.csv"
    return write_price_csv(path, dates, np.exp(log_price))


@pytest.fixture(scope="session")
def crash_overrides(crash_csv: Path) -> dict[str, object]:
    """Scenario overrides that replay the deep crash over a two-year horizon."""
    return {"btc_price.path_csv": str(crash_csv), "run.end_date": CRASH_END_DATE}


@pytest.fixture(scope="session")
def crash_runs(crash_overrides: dict[str, object]) -> dict[int, Stepped]:
    """The baseline under the deep crash, seeds 1-8 (about 0.5 s each)."""
    return {seed: step_to_end(BASELINE, seed, **crash_overrides) for seed in CRASH_SEEDS}
