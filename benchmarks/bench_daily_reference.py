"""The daily step against a per-agent Mesa reference: same results, and the speed ratio.

The reference is what a textbook Mesa model would do: each firm is a `mesa.Agent` that
loops over its own vintages and sites in Python (marginal power price, run or curtail,
hashrate, power bill, PPA resale), then the model splits the day's reward among firms.
The project's step does the same with array operations over all vintages (`Industry`).
Both start from the same model (baseline_2026 with 1x or 10x its firms, seed 1) and run
the same days (that run's spot prices and online shares, the start hashprice and BTC price,
144 blocks of 3.125 BTC a day); every firm's BTC must agree to the satoshi and its cash to
the cent, else the benchmark stops. Prints CPU time per simulated day and the ratio.
Run: .venv/bin/python benchmarks/bench_daily_reference.py [--days 60]
"""

import argparse
import math
import statistics

import mesa
import numpy as np
from common import cpu_s, machine, scaled

from abm.agents.fleet import MARKET, MachineState, Mode
from abm.markets.economics import Contract
from abm.model import MiningModel
from abm.payout import split_sat

REWARD_SAT = 144 * 312_500_000  # a day of blocks at 3.125 BTC
HOURS = 24.0


class Firm(mesa.Agent):
    """One firm: its sites and vintages as Python tuples, its cash and BTC."""

    def __init__(self, model, index: int, industry, opex_usd_per_mwh: float):
        super().__init__(model)
        s, f = industry.sites, industry.fleet
        self.index = index
        self.opex = opex_usd_per_mwh
        self.cash = float(industry.ledger.cash_usd[index])
        self.btc_sat = int(industry.ledger.btc_sat[index])
        self.sell_share = float(industry.btc_sell_share[index])
        self.sites = {
            int(k): (
                int(s.region[k]),
                int(s.contract[k]),
                float(s.contract_price_usd_per_mwh[k]),
                float(s.spot_markup_usd_per_mwh[k]),
                bool(s.resale[k]),
                float(industry.region_mean_usd_per_mwh[s.region[k]]),
                float(s.gross_mw[k]),
                s.mode[k] in (Mode.MINING, Mode.CONVERTING),
                s.mode[k] == Mode.MINING,
            )
            for k in industry.site_rows(index)
        }
        self.vintages = [
            (int(f.site[v]), float(f.th[v]), float(f.j_per_th[v]), float(f.power_mw(v)))
            for v in industry.machine_rows(index, MachineState.DEPLOYED)
        ]
        self.th_running = 0.0
        self.used_mwh: dict[int, float] = {}
        self.prices: dict[int, tuple[float, float, float]] = {}

    def operate(self, hashprice: float, spot: np.ndarray, online: np.ndarray) -> None:
        """Price each site's power, run each vintage whose margin is positive."""
        self.prices = {}
        for k, (region, contract, agreed, markup, resale, mean, *_) in self.sites.items():
            spot_k = float(spot[region])
            if contract == Contract.SPOT:
                billed = spot_k + markup
            elif contract == Contract.INDEXED:
                billed = agreed * spot_k / mean
            else:
                billed = agreed
            given_up = spot_k if resale else 0.0  # a PPA's MWh is paid for anyway
            marginal = given_up if contract == Contract.FIXED_PPA else billed
            self.prices[k] = (spot_k, billed, marginal)
        self.th_running = 0.0
        self.used_mwh = dict.fromkeys(self.sites, 0.0)
        for site, th, j_per_th, power_mw in self.vintages:
            region, *_, mining = self.sites[site]
            margin = hashprice / 1000.0 - j_per_th * 24e-6 * self.prices[site][2]
            if mining and margin > 0:
                share = float(online[region])
                self.th_running += th * share
                self.used_mwh[site] += power_mw * share * HOURS

    def get_paid(self, sat: int, price_usd: float) -> None:
        """Keep the mined satoshis, sell the firm's share of them."""
        sold = math.floor(sat * self.sell_share)
        self.btc_sat += sat - sold
        self.cash += sold * (price_usd / 1e8)

    def pay_power(self) -> None:
        """Bill each site by its contract; resell unused PPA energy where allowed."""
        bill = opex = resale = 0.0
        for k, (_, contract, *_, resells, _, gross_mw, billed_mode, _) in self.sites.items():
            spot_k, billed, _ = self.prices[k]
            used = self.used_mwh[k]
            ppa = contract == Contract.FIXED_PPA
            ppa_mwh = gross_mw * HOURS if ppa and billed_mode else 0.0
            bill += (ppa_mwh if ppa else used) * billed
            resale += max(ppa_mwh - used, 0.0) * spot_k if ppa and resells else 0.0
            opex += used * self.opex
        self.cash -= bill
        self.cash -= opex
        self.cash += resale


class ReferenceModel(mesa.Model):
    """The per-agent reference: one Firm agent per firm of `industry`."""

    def __init__(self, industry):
        super().__init__(rng=1)
        opex = industry.finance.nonpower_opex_usd_per_mwh
        self.firms = [Firm(self, i, industry, opex) for i in range(industry.n_firms)]

    def day(self, hashprice: float, price_usd: float, spot, online) -> None:
        """Every firm operates, the model splits the reward, every firm pays its power."""
        for firm in self.firms:
            firm.operate(hashprice, spot, online)
        sat = split_sat(REWARD_SAT, np.array([firm.th_running for firm in self.firms]))
        for firm, paid in zip(self.firms, sat.tolist(), strict=True):
            firm.get_paid(paid, price_usd)
        for firm in self.firms:
            firm.pay_power()


def project_day(model: MiningModel, i: int) -> None:
    """The project's daily operations (step 2 and 4 of MiningModel.step) on day `i`."""
    industry = model.industry
    online = None if model.all_online[i] else model.online_share[i]
    th_running = industry.operate_today(model.spot, i, online)
    industry.pay_rewards(REWARD_SAT, th_running)
    industry.bill_power_today(1)


def month_end_reads(industry) -> None:
    """What a month end reads first: the days booked are posted (part of the daily cost)."""
    industry.ledger.cash_usd  # noqa: B018
    industry.month_costs_usd  # noqa: B018


def compare(firm_factor: int, days: int, rounds: int) -> float:
    """Check equal results, then return the median CPU ratio reference / project."""
    model = MiningModel(scaled("baseline_2026", firm_factor, 5), seed=1)
    industry, r = model.industry, model.readings
    assert (industry.sites.firm != MARKET).all(), "the start has no unowned sites"
    reference = ReferenceModel(industry)
    hashprice, price = r.hashprice_usd_per_ph_day, r.btc_price_usd
    ratios = []
    for _ in range(rounds):
        started = cpu_s()
        for i in range(days):
            project_day(model, i)
            if i % 30 == 29:  # a month end reads the ledger: the days booked are posted
                month_end_reads(industry)
        month_end_reads(industry)
        project = cpu_s() - started
        started = cpu_s()
        for i in range(days):
            reference.day(hashprice, price, model.spot[i], model.online_share[i])
        ratios.append((cpu_s() - started) / project)
    ledger = industry.ledger
    btc = np.array([firm.btc_sat for firm in reference.firms])
    cash = np.array([firm.cash for firm in reference.firms])
    assert (btc == ledger.btc_sat).all(), "BTC differs by at least one satoshi"
    assert np.abs(cash - ledger.cash_usd).max() < 0.01, "cash differs by a cent or more"
    vintages = sum(len(firm.vintages) for firm in reference.firms)
    per_day_us = 1e6 * project / days
    print(
        f"{industry.n_firms:>6} firms {vintages:>7} vintages: project {per_day_us:7.0f} us/day, "
        f"reference {per_day_us * statistics.median(ratios):8.0f} us/day, "
        f"ratio {statistics.median(ratios):5.1f}x (rounds: "
        + " ".join(f"{x:.1f}" for x in ratios)
        + "); BTC equal to the satoshi, cash to the cent"
    )
    return statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(machine())
    for factor in (1, 10):
        compare(factor, args.days, args.rounds)


if __name__ == "__main__":
    main()
