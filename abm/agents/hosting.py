"""The monthly AI-hosting round: conversions, rent, defaults, and awards of requests.

Each month conversions finish, rent is paid, tenants may default, non-miner builds are
energized, and the month's requests go to miners' offered sites or to the non-miner
inventory. Tenants take the best readiness-adjusted offer: a site's readiness plus a bonus
for the firm's track record of MW delivered on time, against the competing non-miner supply.
Only firms that carry an AI team may bid, so a first lease is harder to win than the next.
The lease index then moves with demand against all that was available, and non-miner
builders start new MW from it.
"""

from __future__ import annotations

import math

import numpy as np

from abm.agents.capital import CapitalMarket
from abm.agents.finance import DebtTranche
from abm.agents.fleet import Cooling, Mode
from abm.agents.industry import Industry
from abm.agents.leasing import (
    ConversionParams,
    Lease,
    LeaseBook,
    LeaseStatus,
    StartLeaseParams,
    conversion_capex_usd_per_mw_it,
    conversion_lead_months,
    overrun,
)
from abm.events import EventLog
from abm.markets.ai_demand import AiDemandParams, AiMarket, LeaseRequest
from abm.markets.economics import Contract
from abm.markets.readings import MarketReadings


class AiHosting:
    """The AI lease book and per-firm AI state of one run, and what firms may do with them.

    Firms offer sites (`offer_sites`), hire an AI team (`hire_team`) and bring vacant AI
    sites back to mining (`return_to_mining`); the monthly round does the rest.
    """

    def __init__(
        self,
        industry: Industry,
        capital: CapitalMarket,
        market: AiMarket,
        ai: AiDemandParams,
        conversion: ConversionParams,
        readings: MarketReadings,
        events: EventLog,
        rng: np.random.Generator,
    ):
        self.industry = industry
        self.capital = capital
        self.market = market
        self.ai = ai
        self.params = conversion
        self.readings = readings
        self.events = events
        self.rng = rng
        self.book = LeaseBook()
        n = industry.n_firms
        self.track_mw = np.zeros(n)  # AI MW each firm delivered on time
        self.ai_team = np.zeros(n, dtype=bool)  # announced pivots: what peers see
        self.ai_book_usd = np.zeros(n)  # conversion capex at cost
        self.offered: set[int] = set()  # sites firms put up for AI tenants
        self.vacant_since: dict[int, int] = {}  # AI-ready site -> month it became vacant
        self.returning: dict[int, int] = {}  # site -> month it mines again
        self.month = 0
        self.demand_mw = 0.0
        self._typical_lease: tuple[np.datetime64, tuple[float, bool, float, float]] | None = None

    # --- per-firm views -----------------------------------------------------------------
    def mw_by_firm(self, statuses: tuple[LeaseStatus, ...]) -> np.ndarray:
        """IT MW of each firm's leases in the given statuses."""
        mw = np.zeros(len(self.ai_team))
        for lease in self.book.leases:
            if lease.status in statuses:
                mw[lease.firm] += lease.mw_it
        return mw

    def typical_lease(self, date) -> tuple[float, bool, float, float]:
        """Demand-weighted tenant terms a firm expects a request to ask for today.

        Returns (min readiness, liquid required, escalator per year, NOI margin). Kept for
        the date last asked (every firm's review asks on the same day); the tenants' terms
        never change, the era's requirements only with the date.
        """
        kept = self._typical_lease
        if kept is None or kept[0] != date:
            tenants = self.ai.tenants
            weights = np.array([t.demand_share for t in tenants])
            increment, liquid, _ = self.market.requirements(date)
            readiness = float(weights @ [t.min_readiness for t in tenants]) + increment
            escalator = float(weights @ [t.escalator_per_year for t in tenants])
            margin = float(weights @ [t.noi_margin for t in tenants])
            kept = self._typical_lease = (date, (min(readiness, 1.0), liquid, escalator, margin))
        return kept[1]

    def score(self, site: int) -> float:
        """Readiness-adjusted score tenants give a site's offer.

        Readiness, less a markdown for the site's shortfall from an ideal AI site (its
        `ai_suitability` below 1: scale, fiber, water, region), plus the firm's track record
        of MW delivered on time, plus a bonus for contracted firm power (tenants sign 10-15
        year leases on power they can count on).
        """
        s = self.industry.sites
        firm = int(s.firm[site])
        bonus = self.params.track_record_weight * math.log1p(
            self.track_mw[firm] / self.params.track_record_scale_mw
        )
        if s.contract[site] == Contract.FIXED_PPA:
            bonus += self.params.firm_power_score_bonus
        shortfall = self.params.site_shortfall_weight * (1.0 - s.ai_suitability[site])
        return float(s.readiness[site] - shortfall) + bonus

    # --- the start state -------------------------------------------------------------------
    def book_start_leases(self, firm: int, region: int, leases: tuple[StartLeaseParams, ...]):
        """Leases `firm` signed before the start, each on an AI site of its own in `region`.

        A lease whose ready date is before the start is in service (with the months it has
        already served); a later one is converting and goes into service in its ready
        month. Its capex was spent before the start and financed by project debt at the
        scenario's loan-to-cost, due at the end of the lease term.
        """
        p, r = self.params, self.readings
        names = [t.name for t in self.ai.tenants]
        for start in leases:
            ready = self.market.month_index(start.ready_date)
            in_service = ready < 0
            mode = Mode.AI_HOSTING if in_service else Mode.CONVERTING
            site = self.industry.add_ai_site(firm, region, start.mw_it / p.it_ratio, mode)
            capex = start.mw_it * start.capex_usd_per_mw_it
            term_months = round(start.term_years * 12)
            lease = Lease(
                lease_id=self.book.next_id(),
                firm=firm,
                site=site,
                tenant=names.index(start.tenant),
                mw_it=start.mw_it,
                price_usd_per_kw_month=start.price_usd_per_kw_month,
                escalator_per_year=start.escalator_per_year,
                noi_margin=start.noi_margin,
                term_months=term_months,
                signed_month=min(ready, 0),
                promised_month=ready,
                ready_month=ready,
                capex_usd=capex,
                months_paid=-ready if in_service else 0,
                status=LeaseStatus.IN_SERVICE if in_service else LeaseStatus.CONVERTING,
            )
            self.book.sign(lease, f"{start.tenant}-start-{lease.lease_id}")  # one node a lease
            self.events.add(
                "lease_at_start",
                firm,
                site=site,
                mw=lease.mw_it,
                usd=capex,
                price_usd_per_kw_month=lease.price_usd_per_kw_month,
                tenant=lease.tenant,
                term_months=term_months,
            )
            months_to_maturity = max(ready, 0) + term_months - lease.months_paid
            maturity = r.step_index + r.steps_in_years(months_to_maturity / 12.0)
            self._draw_project_debt(firm, site, p.project_loan_to_cost * capex, maturity)
            self.ai_book_usd[firm] += capex
            self.track_mw[firm] += start.mw_it if in_service else 0.0
            self.ai_team[firm] = True
        self.revalue()

    def _draw_project_debt(self, firm: int, site: int, usd: float, maturity: int) -> None:
        """Project debt against a signed lease, at the scenario's fixed rate (an event)."""
        rate = self.params.project_debt_rate
        self.industry.debt.add(firm, DebtTranche(usd, 0.0, rate, maturity))
        self.events.add("project_debt", firm, site=site, usd=usd, rate=rate)

    # --- what a firm may do ---------------------------------------------------------------
    def offer_sites(self, firm: int, sites: set[int]) -> None:
        """`sites` are the firm's offers to tenants from now on (its earlier offers lapse).

        Its earlier offers are found among the few offered sites, not among its own.
        """
        owner = self.industry.sites.firm
        self.offered = {site for site in self.offered if owner[site] != firm} | sites

    def hire_team(self, firm: int) -> None:
        """A firm hires an AI sales and delivery team: it may bid, and its peers see it."""
        if not self.ai_team[firm]:
            self.ai_team[firm] = True
            self.events.add("ai_team_hired", firm)

    def waited_months(self, site: int) -> int:
        """Months a site has been vacant (0 if it is not)."""
        return self.month - self.vacant_since.get(site, self.month)

    # --- the monthly round --------------------------------------------------------------
    def month_end(self, month_last_day: np.datetime64) -> None:
        """Finish conversions, collect rent, draw defaults, award requests, move the index.

        The index sees the month's demand against what tenants could lease before the
        awards: miners' biddable offers and the non-miner inventory, with this month's
        deliveries; builders then start new MW from the new index.
        """
        if not self.ai.enabled:
            return
        date = month_last_day
        self.month = self.market.month_index(date)
        self._finish_conversions()
        self._finish_returns()
        self._collect_rent_and_defaults(date)
        nonminer = self.market.nonminer
        nonminer.deliver(self.month)
        biddable = self._biddable()
        gross = self.industry.sites.gross_mw
        biddable_mw_it = self.params.it_ratio * float(sum(gross[site] for site in biddable))
        available = biddable_mw_it + nonminer.inventory_mw
        self._clear_requests(date, biddable)
        nonminer.start(self.market.update_index(self.month, self.demand_mw, available))
        self.revalue()

    def revalue(self) -> None:
        """Value each firm's signed leases for its balance sheet (`_lease_value_usd`).

        Summed in book order in Python floats (the sums of numpy's `+=` on elements).
        """
        value = [0.0] * len(self.ai_team)
        hazards = self._hazards_per_year()
        for lease in self.book.active():
            value[lease.firm] += self._lease_value_usd(lease, hazards)
        self.industry.ai_value_usd[:] = value

    def _hazards_per_year(self) -> list[float]:
        """Each tenant type's default hazard today, per year (higher in a credit shock).

        Asked once per revaluation: every lease of a tenant type is discounted by it.
        """
        shock = self.market.in_default_shock(self.readings.date)
        multiplier = self.ai.default_shock_multiplier if shock else 1.0
        return [t.default_hazard_per_year * multiplier for t in self.ai.tenants]

    def _lease_value_usd(self, lease: Lease, hazards_per_year: list[float] | None = None) -> float:
        """Expected PV of a signed lease's NOI, whether converting or in service.

        One valuation from signing to the end: NOI from the month rent starts, discounted
        at `lease_discount_rate` plus the tenant's default hazard today (higher in a credit
        shock), so finishing a conversion moves the value only by the months that passed.
        """
        hazard = (hazards_per_year or self._hazards_per_year())[lease.tenant]
        if lease.status == LeaseStatus.IN_SERVICE:
            months_to_rent = 0
        else:
            months_to_rent = max(lease.ready_month - self.month, 0)
        return lease.remaining_noi_value_usd(
            self.params.lease_discount_rate, hazard, months_to_rent
        )

    def site_value_usd(self, site: int) -> float:
        """Value of the leases on a site (what a bidder pays for beyond the site itself)."""
        hazards = self._hazards_per_year()
        return sum(self._lease_value_usd(x, hazards) for x in self.book.active() if x.site == site)

    def transfer_site(self, site: int, buyer: int) -> None:
        """A bankrupt firm's site changed hands: its leases follow it, or end if unsold."""
        for lease in self.book.active():
            if lease.site != site:
                continue
            self.ai_book_usd[lease.firm] -= lease.capex_usd
            if buyer >= 0:
                self.ai_book_usd[buyer] += lease.capex_usd
                self.book.transfer(lease, buyer)
            else:
                lease.status = LeaseStatus.TERMINATED
        self.offered.discard(site)
        if buyer < 0:
            self.vacant_since.pop(site, None)
            self.returning.pop(site, None)

    def _finish_conversions(self) -> None:
        for lease in self.book.leases:
            if lease.status == LeaseStatus.CONVERTING and self.month >= lease.ready_month:
                lease.status = LeaseStatus.IN_SERVICE
                self.industry.set_site_mode(lease.site, Mode.AI_HOSTING)
                self.vacant_since.pop(lease.site, None)
                on_time = (
                    lease.ready_month <= lease.promised_month + self.params.on_time_grace_months
                )
                if on_time:
                    self.track_mw[lease.firm] += lease.mw_it
                self.events.add(
                    "conversion_done", lease.firm, site=lease.site, mw=lease.mw_it, on_time=on_time
                )

    def _finish_returns(self) -> None:
        for site, month in list(self.returning.items()):
            if self.month >= month:
                self.industry.set_site_mode(site, Mode.MINING)
                del self.returning[site]
                self.events.add("return_to_mining", int(self.industry.sites.firm[site]), site=site)

    def _collect_rent_and_defaults(self, date) -> None:
        """Each lease in service, in book order, defaults (one draw each) or pays its rent.

        The draws are taken at once (the same numbers as one by one) and the rents and
        opex posted after the loop, in its order (nothing in it reads the ledger).
        """
        tenants = range(len(self.ai.tenants))  # each tenant type's chance, once a round
        default_probability = [self.market.default_probability(t, date) for t in tenants]
        in_service = [x for x in self.book.leases if x.status == LeaseStatus.IN_SERVICE]
        draws = self.rng.random(len(in_service)).tolist()
        postings = []
        for lease, draw in zip(in_service, draws, strict=True):
            if draw < default_probability[lease.tenant]:
                lease.status = LeaseStatus.DEFAULTED
                self._vacate(lease.site)
                self.events.add("tenant_default", lease.firm, site=lease.site, mw=lease.mw_it)
                continue
            rent = lease.rent_usd()
            postings.append((lease.firm, "ai_rent_usd", rent))
            postings.append((lease.firm, "ai_opex_usd", rent * (1.0 - lease.noi_margin)))
            lease.months_paid += 1
            if lease.months_paid >= lease.term_months:
                lease.status = LeaseStatus.ENDED
                self._vacate(lease.site)
                self.events.add("lease_ended", lease.firm, site=lease.site, mw=lease.mw_it)
        self.industry.ledger.post_each(postings)

    def _vacate(self, site: int) -> None:
        """A site whose tenant left stays AI-ready and can be re-let or returned to mining."""
        self.vacant_since[site] = self.month
        if self.industry.sites.firm[site] >= 0:
            self.offered.add(site)

    def is_vacant(self, site: int) -> bool:
        """An AI-ready site with no tenant."""
        return site in self.vacant_since

    def return_cost_usd(self, site: int) -> float:
        """Capex to bring a vacant AI site back to mining."""
        return float(self.params.return_to_mining_usd_per_mw * self.industry.sites.gross_mw[site])

    def return_to_mining(self, site: int) -> None:
        """Spend capex and months to bring a vacant AI site back to mining."""
        sites, p = self.industry.sites, self.params
        firm = int(sites.firm[site])
        self.industry.ledger.pay(firm, "capex_usd", self.return_cost_usd(site))
        del self.vacant_since[site]
        self.offered.discard(site)
        self.industry.set_site_mode(site, Mode.CONVERTING)
        self.returning[site] = self.month + math.ceil(p.return_to_mining_months)

    def _biddable(self) -> list[int]:
        """Offered sites whose firm is alive and has an AI team, in site order."""
        sites, alive = self.industry.sites, self.industry.alive
        return [
            site
            for site in sorted(self.offered)
            if sites.firm[site] >= 0 and alive[sites.firm[site]] and self.ai_team[sites.firm[site]]
        ]

    def _clear_requests(self, date, biddable: list[int]) -> None:
        """Award this month's requests, largest first, to miners' sites or the inventory.

        `biddable` are the sites miners may bid with as the round starts (`_biddable`);
        a site leased leaves the offers, and no award changes another site's score (a
        firm's track record grows only as conversions finish), so each is scored once.
        """
        requests = self.market.requests(self.month, date)
        self.demand_mw = sum(r.mw_it for r in requests)
        nonminer = self.market.nonminer
        scored = [(self.score(site), site) for site in biddable] if requests else []
        for request in sorted(requests, key=lambda r: -r.mw_it):
            bids = [bid for bid in scored if bid[1] in self.offered]
            best = max((b for b in bids if b[0] >= request.min_readiness), default=None)
            nonminer_wins = nonminer.inventory_mw >= request.mw_it and (
                best is None or self.params.nonminer_readiness > best[0]
            )
            if nonminer_wins:
                nonminer.take(request.mw_it)
            elif best is not None:
                self._award(request, best[1])

    def _award(self, request: LeaseRequest, site: int) -> None:
        """Sign a lease on `site` and start its conversion.

        No lease is signed when the firm cannot finance its equity share from spare cash
        and what it can raise (`CapitalMarket.fund`).
        """
        industry, p = self.industry, self.params
        s = industry.sites
        firm = int(s.firm[site])
        mw_it = min(request.mw_it, s.gross_mw[site] * p.it_ratio)
        vacant = self.is_vacant(site)
        liquid_missing = request.liquid_required and s.cooling[site] != Cooling.LIQUID_READY
        if vacant:
            capex, lead = 0.0, p.relet_months
        else:
            capex = mw_it * conversion_capex_usd_per_mw_it(s.readiness[site], liquid_missing, p)
            lead = conversion_lead_months(s.readiness[site], p)
            lead += p.liquid_retrofit_months if liquid_missing else 0.0
        actual_capex = capex * overrun(self.rng, p.overrun_sigma)
        actual_lead = lead * overrun(self.rng, p.overrun_sigma)
        debt = p.project_loan_to_cost * actual_capex
        if not self.capital.fund(firm, actual_capex - debt):
            return  # cannot fund the equity share and keep a month of costs
        lease = Lease(
            lease_id=self.book.next_id(),
            firm=firm,
            site=site,
            tenant=request.tenant,
            mw_it=mw_it,
            price_usd_per_kw_month=request.price_usd_per_kw_month,
            escalator_per_year=request.escalator_per_year,
            noi_margin=request.noi_margin,
            term_months=request.term_months,
            signed_month=self.month,
            promised_month=self.month + math.ceil(lead),
            ready_month=self.month + math.ceil(actual_lead),
            capex_usd=actual_capex,
        )
        self.book.sign(lease, f"tenant-{request.request_id}")
        self.offered.discard(site)
        self.vacant_since.pop(site, None)
        if actual_capex > 0:
            industry.ledger.pay(firm, "capex_usd", actual_capex)
            industry.ledger.receive(firm, "debt_drawn_usd", debt)
            r = self.readings
            maturity = r.step_index + r.steps_in_years((lead + request.term_months) / 12.0)
            self._draw_project_debt(firm, site, debt, maturity)
            self.ai_book_usd[firm] += actual_capex
        industry.ai_value_usd[firm] += self._lease_value_usd(lease)
        industry.set_site_mode(site, Mode.CONVERTING)
        industry.clear_site(site)
        self.events.add(
            "lease_signed",
            firm,
            site=site,
            mw=mw_it,
            usd=actual_capex,
            price_usd_per_kw_month=request.price_usd_per_kw_month,
            tenant=request.tenant,
            term_months=request.term_months,
        )
