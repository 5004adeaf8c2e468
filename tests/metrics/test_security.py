"""Numerical tests for abm.metrics.security (facts stated per test)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.metrics import security as sec


def rosenfeld_sum(q: float | Fraction, z: int) -> float | Fraction:
    """Rosenfeld (2014) finite sum, written independently of the beta-function closed form."""
    if z == 0 or q >= Fraction(1, 2):
        return 1
    p = 1 - q
    return 1 - sum(math.comb(k + z - 1, k) * (p**z * q**k - q**z * p**k) for k in range(z))


# --------------------------------------------------------------------------- double spending


@pytest.mark.parametrize(
    ("q", "published", "rel_published"),
    [
        # 4-significant-digit values (Rosenfeld 2014 gives ~0.059%, ~2.3%, ~15.6% at z = 6);
        # the exact rationals (next test) are the authoritative oracle.
        (Fraction(1, 10), 5.914e-4, 1e-3),
        (Fraction(2, 10), 2.331e-2, 1e-3),
        (Fraction(3, 10), 1.564e-1, 1e-3),
    ],
)
def test_double_spend_z6_matches_exact_rational_and_published(q, published, rel_published):
    # Fact: at z = 6 the success probability is a polynomial in q, so the exact rational value
    # of Rosenfeld's sum is the oracle (1e-12 relative); published 4-digit values within 1e-3.
    exact = float(rosenfeld_sum(q, 6))
    got = sec.double_spend_probability(float(q), 6)
    assert got == pytest.approx(exact, rel=1e-12)
    assert got == pytest.approx(published, rel=rel_published)


def test_double_spend_z6_exact_values():
    # Fact: P(0.1, 6) = 5.91412160e-4, P(0.2, 6) = 0.02330841088, P(0.3, 6) = 0.15644958192
    # (exact rationals of the finite sum, computed with Fraction).
    got = sec.double_spend_probability(np.array([0.1, 0.2, 0.3]), 6)
    np.testing.assert_allclose(got, [5.9141216e-4, 0.02330841088, 0.15644958192], rtol=1e-10)


def test_double_spend_is_not_nakamoto_poisson_approximation():
    # Fact: Nakamoto's (2008) Poisson approximation gives 0.0002428 at q = 0.1, z = 6;
    # the exact race probability is more than twice that.
    q, z = 0.1, 6
    lam = z * q / (1 - q)
    nakamoto = 1 - sum(
        lam**k * math.exp(-lam) / math.factorial(k) * (1 - (q / (1 - q)) ** (z - k))
        for k in range(z + 1)
    )
    assert nakamoto == pytest.approx(2.428e-4, rel=1e-3)
    assert sec.double_spend_probability(q, z) > 2 * nakamoto


@settings(max_examples=200, deadline=None)
@given(
    q_e5=st.integers(min_value=0, max_value=49_999),
    z=st.integers(min_value=0, max_value=60),
)
def test_double_spend_equals_rosenfeld_finite_sum(q_e5, z):
    # Fact: I_{4pq}(z, 1/2) equals Rosenfeld's negative-binomial sum (Grunspan & Pérez-Marco).
    # The finite sum has cancellation (terms up to C(2z, z) ~ 1e17 at z = 60 times p^z q^k), so
    # it is evaluated in exact rational arithmetic on q = q_e5 / 1e5 in [0, 0.49999];
    # tolerance 1e-9 relative + 1e-15 absolute.
    q = Fraction(q_e5, 100_000)
    exact = float(rosenfeld_sum(q, z))
    assert sec.double_spend_probability(float(q), z) == pytest.approx(exact, rel=1e-9, abs=1e-15)


def test_double_spend_boundaries():
    # Fact: P = 1 for q >= 0.5 and for z = 0; P = 0 for q = 0, z >= 1.
    assert sec.double_spend_probability(np.array([0.5, 0.6, 0.99, 1.0]), 6).tolist() == [1.0] * 4
    assert sec.double_spend_probability(0.1, 0) == 1.0
    assert sec.double_spend_probability(0.0, 1) == 0.0
    assert sec.double_spend_probability(0.0, 0) == 1.0


def test_double_spend_monotone():
    # Fact: P strictly decreases in z (for 0 < q < 0.5) and strictly increases in q (z >= 1).
    z = np.arange(0, 101)
    for q in (0.01, 0.1, 0.3, 0.45, 0.49):
        assert np.all(np.diff(sec.double_spend_probability(q, z)) < 0)
    q = np.linspace(0.001, 0.499, 400)
    for zz in (1, 2, 6, 30):
        assert np.all(np.diff(sec.double_spend_probability(q, zz)) > 0)


def test_double_spend_single_confirmation():
    # Fact: for z = 1 the race is won with probability 2q (Rosenfeld 2014: P(1) = 1-(p - q)).
    q = np.array([0.05, 0.1, 0.25, 0.4])
    np.testing.assert_allclose(sec.double_spend_probability(q, 1), 2 * q, rtol=1e-12)


def test_double_spend_rejects_bad_input():
    with pytest.raises(ValueError):
        sec.double_spend_probability(-0.1, 6)
    with pytest.raises(ValueError):
        sec.double_spend_probability(0.1, 2.5)
    with pytest.raises(ValueError):
        sec.double_spend_probability(0.1, -1)


def _loop_confirmations(q: float, risk: float) -> int:
    z = 0
    while sec.double_spend_probability(q, z) > risk:
        z += 1
    return z


def test_confirmations_needed_matches_loop():
    # Fact: the bisection search returns the same z as a linear scan; for q = 0.1, risk = 0.001
    # that is z = 6 (P(5) = 0.00197 > 0.001 >= P(6) = 0.00059).
    assert sec.confirmations_needed(0.1, 0.001) == _loop_confirmations(0.1, 0.001) == 6
    for q in (0.0, 0.01, 0.1, 0.2, 0.3, 0.4, 0.45):
        for risk in (0.5, 0.1, 1e-3, 1e-6):
            assert sec.confirmations_needed(q, risk) == _loop_confirmations(q, risk), (q, risk)


def test_confirmations_needed_edge_cases_and_vectorization():
    # Fact: q >= 0.5 -> inf; risk >= 1 -> 0; risk = 0 -> inf for q > 0 and 1 for q = 0.
    q = np.array([0.1, 0.5, 0.7, 0.2, 0.0, 0.3])
    risk = np.array([0.001, 0.001, 0.1, 1.0, 0.0, 0.0])
    got = sec.confirmations_needed(q, risk)
    assert got.shape == (6,)
    assert got.tolist() == [6.0, math.inf, math.inf, 0.0, 1.0, math.inf]
    grid = sec.confirmations_needed(np.array([[0.1], [0.25]]), np.array([0.01, 1e-4]))
    assert grid.shape == (2, 2)
    for i, qi in enumerate((0.1, 0.25)):
        for j, rj in enumerate((0.01, 1e-4)):
            assert grid[i, j] == _loop_confirmations(qi, rj)


def test_attacker_share_after_exit():
    # Fact: q' = q0 / (q0 + (1 - f)(1 - q0)); f = 0 keeps q0; f -> 1 gives 1.
    assert sec.attacker_share_after_exit(0.1, 0.5) == pytest.approx(0.1 / 0.55, rel=1e-15)
    q0 = np.array([0.01, 0.1, 0.3])
    np.testing.assert_allclose(sec.attacker_share_after_exit(q0, 0.0), q0, rtol=1e-15)
    np.testing.assert_allclose(sec.attacker_share_after_exit(q0, 1.0), 1.0)
    near = sec.attacker_share_after_exit(0.1, 1 - 1e-12)
    assert near == pytest.approx(1.0, abs=1e-10)
    # Half the honest hashrate leaving turns a 25% attacker into 40%.
    assert sec.attacker_share_after_exit(0.25, 0.5) == pytest.approx(0.4, rel=1e-15)


# --------------------------------------------------------------------------- timing


def test_hashprice_reference_value():
    # Fact: D = 130e12, R = 3.155 BTC, P = 80,000 USD -> 3.155*8e4*86400e15/(130e12*2**32)
    # = 39.0568... USD/PH/day (about 39).
    closed = 3.155 * 80_000 * 86_400 * 1e15 / (130e12 * 2**32)
    got = sec.hashprice_usd_per_ph_day(130e12, 3.155, 80_000)
    assert got == pytest.approx(closed, rel=1e-9)
    assert got == pytest.approx(39.0, rel=0.01)
    assert isinstance(got, np.floating)


def test_hashprice_scales():
    # Fact: hashprice is linear in R and P and inversely proportional to D.
    base = sec.hashprice_usd_per_ph_day(100e12, 3.125, 60_000)
    assert sec.hashprice_usd_per_ph_day(200e12, 3.125, 60_000) == pytest.approx(base / 2)
    assert sec.hashprice_usd_per_ph_day(100e12, 6.25, 120_000) == pytest.approx(base * 4)


def test_expected_interval_matched_hashrate_is_600s():
    # Fact: H = D * 2**32 / 600 gives a 600 s mean interval; H = 0 gives inf.
    d = 130e12
    assert sec.expected_interval_s(d, d * 2**32 / 600) == pytest.approx(600.0, rel=1e-15)
    # 30% of hashrate gone -> 600 / 0.7 = 857.14 s until the retarget.
    assert sec.expected_interval_s(d, 0.7 * d * 2**32 / 600) == pytest.approx(600 / 0.7)
    assert sec.expected_interval_s(d, 0.0) == math.inf
    out = sec.expected_interval_s(d, np.array([0.0, d * 2**32 / 300]))
    assert out.tolist() == [math.inf, pytest.approx(300.0)]


def test_p_gap_over_one_hour():
    # Fact: with Poisson arrivals at a 600 s mean, P(gap > 3600 s) = exp(-6) = 0.002479.
    assert sec.p_gap_over(3600, 600) == pytest.approx(math.exp(-6), rel=1e-15)
    assert sec.p_gap_over(0, 600) == 1.0
    assert sec.p_gap_over(3600, math.inf) == 1.0


def test_p_confirmations_within():
    # Fact: P(1 block within t) = 1 - exp(-t/mu); P(6 blocks within 1 h at 600 s) =
    # 1 - sum_{k<6} e^-6 6^k/k! = 0.5543 (Erlang CDF); z = 0 is certain.
    assert sec.p_confirmations_within(1, 600, 600) == pytest.approx(1 - math.exp(-1), rel=1e-14)
    erlang = 1 - sum(math.exp(-6) * 6**k / math.factorial(k) for k in range(6))
    assert sec.p_confirmations_within(6, 3600, 600) == pytest.approx(erlang, rel=1e-12)
    assert erlang == pytest.approx(0.5543, abs=1e-4)
    assert sec.p_confirmations_within(0, 10, 600) == 1.0
    assert sec.p_confirmations_within(3, 0, 600) == 0.0
    assert sec.p_confirmations_within(3, 3600, math.inf) == 0.0


def test_schedule_slip():
    # Fact: 2016 blocks in 14 days is on schedule; 2016 blocks in 20 days is 6 days behind.
    assert sec.schedule_slip_s(14 * 86_400, 2016) == 0.0
    assert sec.schedule_slip_s(20 * 86_400, 2016) == 6 * 86_400
    assert sec.schedule_slip_s(3600, 7) == -600.0


# --------------------------------------------------------------------------- concentration

POOLS_2026 = np.array([0.30, 0.40, 0.14, 0.10, 0.06])  # Foundry, AntPool+template, ViaBTC, F2Pool


def test_hhi_pool_shares():
    # Fact: HHI = .30² + .40² + .14² + .10² + .06² = 0.09 + 0.16 + 0.0196 + 0.01 + 0.0036 = 0.2832.
    assert sec.hhi(POOLS_2026) == pytest.approx(0.2832, rel=1e-12)
    # Unnormalized hashrates (EH/s) are normalized first: same HHI.
    assert sec.hhi(POOLS_2026 * 850) == pytest.approx(0.2832, rel=1e-12)


def test_nakamoto_pool_shares():
    # Fact: sorted shares .40, .30, ... -> 0.40 > 0.25 and > 0.33 (1 entity); 0.70 > 0.5 (2).
    assert sec.nakamoto_coefficient(POOLS_2026) == 2
    assert sec.nakamoto_coefficient(POOLS_2026, 0.25) == 1
    assert sec.nakamoto_coefficient(POOLS_2026, 0.33) == 1
    assert sec.nakamoto_coefficient(POOLS_2026, 0.40) == 2  # 0.40 does not strictly exceed 0.40
    assert sec.nakamoto_coefficient(POOLS_2026, 0.90) == 4  # 0.94 > 0.90
    assert isinstance(sec.nakamoto_coefficient(POOLS_2026), np.integer)


def test_top_share_pool_shares():
    # Fact: CR1 = 0.40, CR2 = 0.70, CR3 = 0.84; k = 0 -> 0; k >= n -> 1.
    assert sec.top_share(POOLS_2026, 1) == pytest.approx(0.40)
    assert sec.top_share(POOLS_2026, 2) == pytest.approx(0.70)
    assert sec.top_share(POOLS_2026, 3) == pytest.approx(0.84)
    assert sec.top_share(POOLS_2026, 0) == 0.0
    assert sec.top_share(POOLS_2026, 10) == pytest.approx(1.0)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 10, 20, 100])
@pytest.mark.parametrize("threshold", ["0", "0.1", "0.25", "0.3", "0.33", "0.5", "0.51", "0.9"])
def test_equal_shares(n, threshold):
    # Fact: n equal shares -> HHI = 1/n and Nakamoto = floor(n * threshold) + 1 (exact
    # arithmetic for the expected value, so 10 * 0.3 = 3 is not rounded up).
    shares = np.full(n, 1.0 / n)
    assert sec.hhi(shares) == pytest.approx(1.0 / n, rel=1e-12)
    expected = math.floor(n * Fraction(threshold)) + 1
    assert sec.nakamoto_coefficient(shares, float(threshold)) == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.floats(min_value=0.0, max_value=1e6, allow_nan=False), min_size=1, max_size=30
    ).filter(lambda xs: sum(xs) > 1e-9)
)
def test_hhi_bounds_and_consistency(xs):
    # Fact: 1/n <= HHI <= 1; Nakamoto(0.5) in [1, n] and equals the first k with CR_k > 0.5.
    s = np.array(xs)
    n = s.size
    h = sec.hhi(s)
    assert 1.0 / n - 1e-12 <= h <= 1.0 + 1e-12
    nk = sec.nakamoto_coefficient(s)
    assert 1 <= nk <= n
    assert sec.top_share(s, nk) > 0.5 - 1e-12
    if nk > 1:
        assert sec.top_share(s, nk - 1) <= 0.5 + 1e-12


def test_concentration_2d_along_last_axis():
    # Fact: 2-D input is reduced row by row (last axis = entities).
    rows = np.array([POOLS_2026, [0.25, 0.25, 0.25, 0.25, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_allclose(sec.hhi(rows), [0.2832, 0.25, 1.0], rtol=1e-12)
    nk = sec.nakamoto_coefficient(rows)
    assert nk.dtype.kind == "i"
    assert nk.tolist() == [2, 3, 1]
    np.testing.assert_allclose(sec.top_share(rows, 2), [0.70, 0.50, 1.0])
    assert sec.hhi(rows.reshape(3, 1, 5)).shape == (3, 1)


def test_concentration_input_errors():
    # Fact: negative shares raise; zero total gives nan HHI and raises for Nakamoto.
    with pytest.raises(ValueError):
        sec.hhi([0.6, -0.1, 0.5])
    assert math.isnan(sec.hhi([0.0, 0.0]))
    with pytest.raises(ValueError):
        sec.nakamoto_coefficient([0.0, 0.0])
    with pytest.raises(ValueError):
        sec.nakamoto_coefficient(POOLS_2026, 1.0)
    with pytest.raises(ValueError):
        sec.top_share(POOLS_2026, -1)


# --------------------------------------------------------------------------- costs and budget


def test_rental_attack_cost():
    # Fact: 800 EH/s = 800,000 PH/s at 40 $/PH/day: 1x costs 800,000*40/24 = 1,333,333.33 $/h;
    # 1.5x costs 2,000,000 $/h.
    assert sec.rental_attack_cost_usd_per_h(800, 40) == pytest.approx(800_000 * 40 / 24)
    assert sec.rental_attack_cost_usd_per_h(800, 40, 1.5) == pytest.approx(2_000_000.0)


def test_capex_attack_cost():
    # Fact: 1,000,000 TH/s (1 EH/s) at 5 $/TH and 20 J/TH draws 20 MW; for 24 h at 50 $/MWh:
    # hardware 5,000,000 $ + energy 20 * 24 * 50 = 24,000 $ -> 5,024,000 $.
    assert sec.capex_attack_cost_usd(1e6, 5.0, 20.0, 50.0, 24.0) == pytest.approx(5_024_000.0)
    # Zero duration: hardware only.
    assert sec.capex_attack_cost_usd(1e6, 5.0, 20.0, 50.0, 0.0) == pytest.approx(5_000_000.0)


def test_dormant_ratio():
    # Fact: 200 EH/s idle vs 800 EH/s active -> 0.25; no active hashrate -> inf.
    assert sec.dormant_ratio(200e6, 800e6) == pytest.approx(0.25)
    assert sec.dormant_ratio(1.0, 0.0) == math.inf


def test_security_budget():
    # Fact: 144 blocks * 3.155 BTC = 454.32 BTC/day at 80,000 $ -> 36,345,600 $/day; with
    # 20,000,000 BTC supply (mcap 1.6e12 $) that is 0.0022716 % of market cap per day.
    budget = sec.security_budget_usd_per_day(144 * 3.155, 80_000)
    assert budget == pytest.approx(36_345_600.0, rel=1e-12)
    pct = sec.security_budget_pct_mcap(budget, 80_000, 20_000_000)
    assert pct == pytest.approx(100 * 36_345_600 / 1.6e12, rel=1e-12)
    assert pct == pytest.approx(0.0022716, rel=1e-12)


# --------------------------------------------------------------------------- vectorization


def test_vectorized_equals_elementwise_scalars():
    # Fact: every function broadcasts; array results equal the scalar calls element by element.
    rng = np.random.default_rng(7)
    q = rng.uniform(0.0, 0.6, size=(3, 4))
    z = rng.integers(0, 20, size=(3, 4))
    cases = [
        (sec.double_spend_probability, (q, z)),
        (sec.attacker_share_after_exit, (q, rng.uniform(0, 1, (3, 4)))),
        (sec.p_gap_over, (rng.uniform(0, 7200, (3, 4)), rng.uniform(300, 900, (3, 4)))),
        (sec.p_confirmations_within, (z, rng.uniform(0, 7200, (3, 4)), 600.0)),
        (sec.hashprice_usd_per_ph_day, (rng.uniform(50e12, 200e12, (3, 4)), 3.155, 80_000.0)),
        (sec.expected_interval_s, (130e12, rng.uniform(0, 1e21, (3, 4)))),
        (sec.rental_attack_cost_usd_per_h, (rng.uniform(100, 1000, (3, 4)), 40.0, 1.2)),
        (sec.capex_attack_cost_usd, (rng.uniform(1, 1e6, (3, 4)), 5.0, 20.0, 50.0, 24.0)),
        (sec.dormant_ratio, (rng.uniform(0, 100, (3, 4)), rng.uniform(1, 100, (3, 4)))),
        (sec.security_budget_usd_per_day, (rng.uniform(400, 500, (3, 4)), 80_000.0)),
        (sec.security_budget_pct_mcap, (rng.uniform(1e7, 4e7, (3, 4)), 80_000.0, 2e7)),
        (sec.schedule_slip_s, (rng.uniform(0, 2e6, (3, 4)), z)),
        (sec.confirmations_needed, (q, rng.uniform(1e-6, 0.1, (3, 4)))),
    ]
    for fn, args in cases:
        out = fn(*args)
        assert isinstance(out, np.ndarray) and out.shape == (3, 4), fn.__name__
        for idx in np.ndindex(3, 4):
            scalar_args = [a[idx] if isinstance(a, np.ndarray) else a for a in args]
            one = fn(*scalar_args)
            assert np.ndim(one) == 0, fn.__name__
            assert out[idx] == one, (fn.__name__, idx)

    shares = rng.uniform(0, 1, size=(6, 8))
    for fn, extra in ((sec.hhi, ()), (sec.nakamoto_coefficient, (0.33,)), (sec.top_share, (3,))):
        out = fn(shares, *extra)
        assert out.shape == (6,), fn.__name__
        for i in range(6):
            assert out[i] == fn(shares[i], *extra), (fn.__name__, i)
