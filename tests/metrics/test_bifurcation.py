"""Numerical tests for abm.metrics.bifurcation (facts stated per test)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats
from scipy.special import expit

from abm.metrics import bifurcation as bif

# --------------------------------------------------------------------------- constructed panel

DATES = pd.date_range("2026-01-31", periods=24, freq="ME")  # 2026-01 .. 2027-12
WINDOW_START = 12  # index of 2027-01, the first month of the default 12-month window


def firm_rows(firm_id, ai, mining, alive=None, net_worth=None, months=24):
    """Rows of one firm: per-month AI and mining revenue (scalars broadcast)."""
    ai = np.broadcast_to(np.asarray(ai, dtype=float), (months,))
    mining = np.broadcast_to(np.asarray(mining, dtype=float), (months,))
    alive = np.ones(months, bool) if alive is None else np.asarray(alive)
    net_worth = np.full(months, 100.0) if net_worth is None else np.asarray(net_worth, float)
    return pd.DataFrame(
        {
            "date": DATES[:months],
            "firm_id": firm_id,
            "alive": alive,
            "net_worth_usd": net_worth,
            "mining_revenue_usd": mining,
            "ai_revenue_usd": ai,
        }
    )


def only_in(month, value):
    out = np.zeros(24)
    out[month] = value
    return out


def constructed_panel() -> pd.DataFrame:
    """Firms with known last-12-month AI shares and fates.

    1: AI share 0.7; 2: exactly 0.5; 3: 0.2; 4: AI revenue only before the window (100 a month
    in 2026, the last of it in 2026-12, one month outside the window) -> share 0 in the window;
    5: AI share 0.9 but dead from month 18 on; 6: AI revenue only in 2027-01, the first month
    inside the window; 7: no rows after month 20 (dropped from the panel); 8: no revenue at all.
    """
    dead_from_18 = np.arange(24) < 18
    nw5 = np.where(dead_from_18, 100.0, 0.0)
    return pd.concat(
        [
            firm_rows(1, 70.0, 30.0, net_worth=np.full(24, 300.0)),
            firm_rows(2, 50.0, 50.0, net_worth=np.full(24, 200.0)),
            firm_rows(3, 20.0, 80.0, net_worth=np.full(24, 120.0)),
            firm_rows(4, np.r_[np.full(12, 100.0), np.zeros(12)], 100.0, net_worth=np.full(24, 50)),
            firm_rows(5, 90.0, 10.0, alive=dead_from_18, net_worth=nw5),
            firm_rows(6, only_in(WINDOW_START, 10.0), 100.0, net_worth=np.full(24, -5.0)),
            firm_rows(7, 0.0, 100.0, months=21),
            firm_rows(8, 0.0, 0.0, net_worth=np.full(24, 0.5)),
        ],
        ignore_index=True,
    )


START = pd.Series(100.0, index=pd.Index(range(1, 9), name="firm_id"))

EXPECTED = {
    1: "infrastructure",
    2: "infrastructure",  # share == threshold counts as infrastructure
    3: "hybrid",
    4: "pure_miner",  # its AI revenue is older than the window
    5: "bankrupt",
    6: "hybrid",  # one month of AI revenue, just inside the window
    7: "bankrupt",  # no row at the last date
    8: "pure_miner",  # no revenue at all -> share 0
}


# --------------------------------------------------------------------------- classification


def test_classes_constant_order():
    assert bif.CLASSES == ("infrastructure", "hybrid", "pure_miner", "bankrupt")


def test_classify_constructed_firms():
    classes = bif.classify_firms(constructed_panel())
    assert classes.to_dict() == EXPECTED
    assert list(classes.index) == list(range(1, 9))
    assert set(classes) <= set(bif.CLASSES)


def test_ai_share_over_window_values():
    share = bif.ai_revenue_share(constructed_panel())
    expected = {1: 0.7, 2: 0.5, 3: 0.2, 4: 0.0, 6: 10 / 1210, 7: 0.0, 8: 0.0}
    for firm, value in expected.items():
        assert share[firm] == pytest.approx(value, abs=1e-15), firm
    # firm 5: 6 live months of 90/10 in the window, then zero revenue -> still 0.9
    assert share[5] == pytest.approx(0.9)


def test_window_and_threshold_parameters():
    panel = constructed_panel()
    # a 24-month window sees firm 4's 2026 AI revenue: 1200 / (1200 + 2400) = 1/3 -> hybrid
    wide = bif.classify_firms(panel, window_months=24)
    assert bif.ai_revenue_share(panel, 24)[4] == pytest.approx(1 / 3)
    assert wide[4] == "hybrid"
    # a 13-month window reaches back to 2026-12 only: 100 / (100 + 1300)
    assert bif.ai_revenue_share(panel, 13)[4] == pytest.approx(100 / 1400)
    # an 11-month window drops 2027-01, firm 6's only AI month -> pure miner
    assert bif.classify_firms(panel, window_months=11)[6] == "pure_miner"
    # a higher threshold demotes the 0.7 and 0.5 firms to hybrid
    strict = bif.classify_firms(panel, threshold=0.75)
    assert strict[1] == "hybrid" and strict[2] == "hybrid"


def test_threshold_reached_up_to_rounding():
    # ai = 0.3 a month, mining = 0.1 + 0.2 a month: the share computes to 0.49999999999999994,
    # 0.5 up to rounding, and it must still count as reaching the 0.5 threshold
    panel = firm_rows(1, 0.3, 0.1 + 0.2)
    assert bif.classify_firms(panel)[1] == "infrastructure"


# --------------------------------------------------------------------------- net-worth growth


def test_log_net_worth_growth_is_defined_for_survivors_only():
    """Bankrupt, dropped and negative-net-worth firms get NaN, never a floor value."""
    growth = bif.log_net_worth_growth(constructed_panel(), START)
    expected = {
        1: math.log(3.0),
        2: math.log(2.0),
        3: math.log(1.2),
        4: math.log(0.5),
        8: math.log(0.005),  # 0.5 left of 100: a deep loss, still a survivor's outcome
    }
    assert growth.dropna().to_dict() == pytest.approx(expected, abs=1e-15)
    assert growth[[5, 6, 7]].isna().all()  # bankrupt, negative net worth, dropped


def test_log_net_worth_growth_needs_every_start():
    with pytest.raises(ValueError, match="lacks firms"):
        bif.log_net_worth_growth(constructed_panel(), START.drop(3))


# --------------------------------------------------------------------------- run summary


def test_run_bifurcation_constructed():
    out = bif.run_bifurcation(constructed_panel(), START)
    assert out["n_firms"] == 8
    assert out["counts"] == {"infrastructure": 2, "hybrid": 2, "pure_miner": 2, "bankrupt": 2}
    assert list(out["counts"]) == list(bif.CLASSES)
    assert out["bankrupt_share"] == 2 / 8
    assert out["survivors"] == 5
    pure = (math.log(0.5) + math.log(0.005)) / 2
    # infrastructure: log 3, log 2 -> median log(6)/2; pure miners: log 0.5 and log 0.005
    assert out["winners_gap"] == pytest.approx(math.log(6) / 2 - pure)
    means = out["mean_log_growth"]
    assert means["bankrupt"] is None  # no floor: a bankrupt firm has no log growth
    assert {k: v for k, v in means.items() if v is not None} == pytest.approx(
        {"infrastructure": math.log(6) / 2, "hybrid": math.log(1.2), "pure_miner": pure}
    )
    growth = bif.log_net_worth_growth(constructed_panel(), START)
    assert out["bimodality_coefficient"] == pytest.approx(bif.bimodality_coefficient(growth))
    dip, p_value = bif.dip_test(growth)
    assert (out["dip_statistic"], out["dip_p_value"]) == (dip, p_value)
    assert out["is_bimodal"] == (p_value < bif.DIP_SIGNIFICANCE)


def test_winners_by_value_per_start_share_discount_growth_bought_with_new_shares():
    """Firm 1 tripled its net worth by tripling its shares: per start share it did not grow.

    Per share, infrastructure firms grew log 1 and log 2 (median log 2 / 2), so the gap
    shrinks by log 3 / 2 against the net-worth gap; without the column it is None.
    """
    panel = constructed_panel()
    assert bif.run_bifurcation(panel, START)["winners_gap_per_share"] is None
    shares = np.where(panel["firm_id"] == 1, 3.0, 1.0)
    panel["value_per_start_share_usd"] = panel["net_worth_usd"] / shares
    out = bif.run_bifurcation(panel, START)
    assert out["winners_gap_per_share"] == pytest.approx(out["winners_gap"] - math.log(3) / 2)
    per_share = bif.log_net_worth_growth(panel, START, "value_per_start_share_usd")
    assert per_share[1] == pytest.approx(0.0, abs=1e-15)


def test_dip_test_tells_two_modes_from_one():
    """400 draws: two normals 6 sd apart reject unimodality; one normal, or a uniform, does not."""
    rng = np.random.default_rng(7)
    two = np.concatenate([rng.normal(0, 1, 200), rng.normal(6, 1, 200)])
    assert bif.dip_test(two)[1] < 0.001
    assert bif.dip_test(rng.normal(0, 1, 400))[1] > 0.2
    assert bif.dip_test(rng.uniform(0, 1, 400))[1] > 0.05
    assert all(math.isnan(v) for v in bif.dip_test([1.0, 2.0, np.nan]))


def test_bankruptcies_alone_do_not_make_a_run_bimodal():
    """Survivors with unimodal outcomes and half the firms bankrupt: not bimodal.

    The first version floored bankrupt firms at log 0.01, so any bankruptcy created a
    lower mode; now bankruptcies are a share of their own.
    """
    rng = np.random.default_rng(3)
    growth = rng.normal(0.0, 0.3, 60)
    rows = [
        firm_rows(i, 0.0, 100.0, net_worth=np.full(24, 100 * math.exp(g)))
        for i, g in enumerate(growth)
    ]
    dead = [firm_rows(60 + i, 0.0, 100.0, alive=np.zeros(24, bool)) for i in range(60)]
    panel = pd.concat(rows + dead, ignore_index=True)
    out = bif.run_bifurcation(panel, pd.Series(100.0, index=range(120)))
    assert out["bankrupt_share"] == 0.5
    assert out["survivors"] == 60
    assert out["is_bimodal"] is False


def test_run_bifurcation_empty_classes():
    panel = pd.concat([firm_rows(i, 0.0, 100.0) for i in range(4)], ignore_index=True)
    out = bif.run_bifurcation(panel, pd.Series(100.0, index=range(4)))
    assert out["counts"] == {"infrastructure": 0, "hybrid": 0, "pure_miner": 4, "bankrupt": 0}
    assert out["winners_gap"] is None
    assert out["mean_log_growth"]["infrastructure"] is None
    assert out["mean_log_growth"]["pure_miner"] == 0.0
    assert out["bimodality_coefficient"] is None  # constant outcome: undefined
    assert out["is_bimodal"] is False


# --------------------------------------------------------------------------- bimodality


def bc_exact(x) -> Fraction:
    """Sarle's BC from exact central moments, written independently of scipy.

    With m_k the k-th central sample moment, the bias-corrected statistics are
    G1 = sqrt(n(n-1))/(n-2) * m3/m2^1.5 and G2 = (n-1)/((n-2)(n-3)) * ((n+1) m4/m2^2 - 3(n-1)),
    so G2 + 3(n-1)^2/((n-2)(n-3)) = (n-1)(n+1)/((n-2)(n-3)) * m4/m2^2 and everything is rational.
    """
    xs = [Fraction(v) for v in x]
    n = len(xs)
    mean = sum(xs) / n
    m2, m3, m4 = (sum((v - mean) ** k for v in xs) / n for k in (2, 3, 4))
    g1_sq = Fraction(n * (n - 1), (n - 2) ** 2) * m3**2 / m2**3
    denominator = Fraction((n - 1) * (n + 1), (n - 2) * (n - 3)) * m4 / m2**2
    return (g1_sq + 1) / denominator


def test_bimodality_coefficient_hand_computed():
    # x = [0, 0, 0, 1]: mean 1/4, m2 = 3/16, m3 = 3/32, m4 = 21/256 -> G1^2 = 4,
    # denominator = (3 * 5 / 2) * (21/256) / (9/256) = 17.5 -> BC = 5 / 17.5 = 2/7
    assert bc_exact([0, 0, 0, 1]) == Fraction(2, 7)
    assert bif.bimodality_coefficient([0, 0, 0, 1]) == pytest.approx(2 / 7, rel=1e-13)
    for x in ([1, 2, 3, 10, 11, 12], [0, 1, 1, 2, 5, 8, 13, 21, -4], [3, -1, 4, 1, -5, 9, 2]):
        assert bif.bimodality_coefficient(x) == pytest.approx(float(bc_exact(x)), rel=1e-12)


def test_bimodality_coefficient_reference_distributions():
    """Normal ~1/3, uniform ~5/9, N(-3,1)/N(3,1) mixture ~1/1.38 (n = 5000, seed 1).

    Spread over 200 seeds (measured): sd 0.008 (normal), 0.005 (uniform), 0.004 (mixture);
    tolerances are 0.03 (about 4 sd) for the normal and uniform.
    """
    rng = np.random.default_rng(1)
    normal = bif.bimodality_coefficient(rng.standard_normal(5000))
    uniform = bif.bimodality_coefficient(rng.uniform(size=5000))
    mixture = bif.bimodality_coefficient(
        np.concatenate([rng.normal(-3, 1, 2500), rng.normal(3, 1, 2500)])
    )
    assert normal == pytest.approx(1 / 3, abs=0.03)
    assert uniform == pytest.approx(5 / 9, abs=0.03)
    # mixture: excess kurtosis 138/100 - 3 = -1.62, skew 0 -> BC = 1/1.38 = 0.7246
    assert mixture == pytest.approx(1 / 1.38, abs=0.02)
    assert mixture > 5 / 9 + 0.1
    assert not bif.is_bimodal(rng.standard_normal(5000))
    assert bif.is_bimodal(np.concatenate([rng.normal(-3, 1, 2500), rng.normal(3, 1, 2500)]))


def test_bimodality_coefficient_degenerate():
    assert math.isnan(bif.bimodality_coefficient([1.0, 2.0, 3.0]))  # n < 4
    assert math.isnan(bif.bimodality_coefficient(np.ones(10)))  # constant
    assert bif.bimodality_coefficient([0, 0, 0, 1, np.nan]) == pytest.approx(2 / 7)  # NaN dropped
    assert bif.is_bimodal([1.0, 1.0, 1.0, 1.0]) is False


# --------------------------------------------------------------------------- logistic model

TRUE_STD = pd.Series(
    {
        "power_price_usd_per_mwh": -1.0,
        "long_contract_share": 0.5,
        "leverage": -0.8,
        "readiness": 1.5,
    }
)
TRUE_INTERCEPT = -0.5


@pytest.fixture(scope="module")
def synthetic():
    """5000 firms in 50 runs; the class follows a logistic model on standardized features."""
    n = 5000
    rng = np.random.default_rng(7)
    x = pd.DataFrame(
        {
            "power_price_usd_per_mwh": rng.normal(50, 15, n),
            "long_contract_share": rng.uniform(0, 1, n),
            "leverage": rng.uniform(0, 0.6, n),
            "readiness": rng.uniform(0, 1, n),
        }
    )
    z = (x - x.mean()) / x.std(ddof=0)
    eta = TRUE_INTERCEPT + z.to_numpy() @ TRUE_STD.to_numpy()
    y = rng.uniform(size=n) < expit(eta)
    noise = pd.DataFrame(rng.standard_normal((n, 6)), columns=list("abcdef"))
    groups = np.repeat(np.arange(50), 100)
    return x, pd.Series(y), eta, noise, groups


def test_logistic_recovers_true_coefficients(synthetic):
    """Measured (seed 7): -0.956, 0.499, -0.780, 1.476, intercept -0.503; SE about 0.04."""
    x, y, _, _, _ = synthetic
    model = bif.fit_class_predictor(x, y)
    assert list(model.coefficients.index) == list(TRUE_STD.index)
    assert (np.sign(model.coefficients) == np.sign(TRUE_STD)).all()
    assert model.coefficients.to_numpy() == pytest.approx(TRUE_STD.to_numpy(), abs=0.15)
    assert model.intercept == pytest.approx(TRUE_INTERCEPT, abs=0.1)
    # unit-scale slopes: standardized slope / sd, e.g. about -1/15 per $/MWh
    assert model.raw_coefficients["power_price_usd_per_mwh"] == pytest.approx(-1 / 15, rel=0.15)
    p = model.predict_proba(x)
    assert p.shape == (len(x),) and ((p > 0) & (p < 1)).all()


def test_logistic_matches_independent_optimizer(synthetic):
    """Same penalized objective minimized by scipy BFGS from zero: same optimum to 1e-5."""
    x, y, _, _, _ = synthetic
    l2 = 1e-2
    model = bif.fit_class_predictor(x, y, l2=l2)
    z = ((x - x.mean()) / x.std(ddof=0)).to_numpy()
    yf = y.to_numpy(float)

    def objective(theta):
        eta = theta[0] + z @ theta[1:]
        return np.mean(np.logaddexp(0, eta) - yf * eta) + l2 / 2 * np.sum(theta[1:] ** 2)

    ref = optimize.minimize(objective, np.zeros(5), method="BFGS", options={"gtol": 1e-10}).x
    assert model.intercept == pytest.approx(ref[0], abs=1e-5)
    assert model.coefficients.to_numpy() == pytest.approx(ref[1:], abs=1e-5)
    # the penalty shrinks: |slopes| at l2 = 1e-2 are below those at 1e-3
    loose = bif.fit_class_predictor(x, y, l2=1e-3)
    assert (model.coefficients.abs() < loose.coefficients.abs()).all()


def test_logistic_separable_data_stays_finite():
    x = pd.DataFrame({"a": np.arange(20.0), "b": np.r_[np.zeros(10), np.ones(10)]})
    y = x["a"] >= 10
    model = bif.fit_class_predictor(x, y)
    assert np.isfinite(model.coefficients).all() and model.coefficients["a"] > 0
    assert bif.auc(model.predict_proba(x), y) == 1.0


def test_logistic_rejects_single_class_and_nan():
    x = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError):
        bif.fit_class_predictor(x, pd.Series([True, True, True]))
    with pytest.raises(ValueError):
        bif.fit_class_predictor(pd.DataFrame({"a": [1.0, np.nan, 3.0]}), [True, False, True])


def test_labels_aligned_by_index():
    x = pd.DataFrame({"a": np.arange(40.0)}, index=range(100, 140))
    rng = np.random.default_rng(0)
    y = pd.Series(rng.uniform(size=40) < expit((x["a"] - 20) / 5), index=x.index)
    shuffled = y.sample(frac=1, random_state=1)
    a = bif.fit_class_predictor(x, y)
    b = bif.fit_class_predictor(x, shuffled)
    assert b.coefficients["a"] == pytest.approx(a.coefficients["a"], rel=1e-12)


def test_true_model_auc_and_out_of_sample(synthetic):
    """True-model AUC > 0.8; out of sample close to in sample; noise features near 0.5.

    Measured (seed 7): AUC of the true log-odds 0.869, in-sample fit 0.869, grouped 5-fold
    out-of-sample 0.869; these pure-noise features 0.479-0.495 over 10 fold seeds (sd of a null
    AUC at n = 5000 is about 0.008; over 20 fresh noise draws the mean was 0.500).
    """
    x, y, eta, noise, groups = synthetic
    true_auc = bif.auc(eta, y)
    assert true_auc > 0.8
    in_sample = bif.auc(bif.fit_class_predictor(x, y).predict_proba(x), y)
    oos = bif.out_of_sample_auc(x, y, groups)
    assert in_sample == pytest.approx(true_auc, abs=0.01)
    assert oos == pytest.approx(in_sample, abs=0.02)
    assert oos <= in_sample + 0.005
    assert bif.out_of_sample_auc(noise, y, groups) == pytest.approx(0.5, abs=0.04)


def test_out_of_sample_folds_respect_groups(monkeypatch):
    """Every fitted model is trained on whole groups only, and every row is scored once."""
    rng = np.random.default_rng(3)
    n = 600
    x = pd.DataFrame({"a": rng.standard_normal(n)})
    y = pd.Series(rng.uniform(size=n) < expit(2 * x["a"]))
    groups = np.repeat(np.arange(12), 50)
    seen = []
    real_fit = bif.fit_class_predictor

    def spy(features, is_class, l2=1e-3):
        seen.append(features.index.to_numpy())
        return real_fit(features, is_class, l2)

    monkeypatch.setattr(bif, "fit_class_predictor", spy)
    value = bif.out_of_sample_auc(x, y, groups, n_splits=5, seed=4)
    assert len(seen) == 5
    held_out = []
    for train_rows in seen:
        train_groups = set(groups[train_rows])
        test_rows = np.setdiff1d(np.arange(n), train_rows)
        assert train_groups.isdisjoint(groups[test_rows])  # no run on both sides
        held_out.append(test_rows)
    assert np.array_equal(np.sort(np.concatenate(held_out)), np.arange(n))
    assert 0.7 < value < 0.95


# --------------------------------------------------------------------------- auc


def test_auc_reference_cases():
    assert bif.auc([0.1, 0.2, 0.8, 0.9], [False, False, True, True]) == 1.0
    assert bif.auc([0.1, 0.2, 0.8, 0.9], [True, True, False, False]) == 0.0
    assert bif.auc([0.5, 0.5, 0.5, 0.5], [True, False, True, False]) == 0.5
    assert math.isnan(bif.auc([0.1, 0.2], [True, True]))


def test_auc_equals_fraction_of_pairs_ranked_correctly():
    scores = [0.9, 0.8, 0.7, 0.7, 0.6, 0.55, 0.4, 0.3, 0.3, 0.1]
    labels = [1, 1, 0, 1, 0, 1, 0, 1, 0, 0]
    pos = [s for s, lab in zip(scores, labels, strict=True) if lab]
    neg = [s for s, lab in zip(scores, labels, strict=True) if not lab]
    # by hand: positives 0.9, 0.8, 0.7, 0.55, 0.3 against negatives 0.7, 0.6, 0.4, 0.3, 0.1:
    # 5 + 5 + (4 + 0.5) + 3 + (1 + 0.5) = 19 of 25 pairs (ties count half)
    pairs = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p in pos for q in neg)
    assert pairs == 19.0
    assert bif.auc(scores, labels) == pytest.approx(19 / 25, abs=1e-15)
    u = stats.mannwhitneyu(pos, neg).statistic
    assert bif.auc(scores, labels) == pytest.approx(u / 25)


# --------------------------------------------------------------------------- no mutation


def test_functions_do_not_mutate_inputs(synthetic):
    panel = constructed_panel().sample(frac=1, random_state=0)  # unsorted on purpose
    start = START.copy()
    panel_copy, start_copy = panel.copy(deep=True), start.copy(deep=True)
    shuffled_result = bif.classify_firms(panel)
    bif.ai_revenue_share(panel)
    bif.log_net_worth_growth(panel, start)
    bif.run_bifurcation(panel, start)
    pd.testing.assert_frame_equal(panel, panel_copy)
    pd.testing.assert_series_equal(start, start_copy)
    assert shuffled_result.to_dict() == EXPECTED  # row order does not matter

    x, y, _, _, groups = synthetic
    x_small, y_small, g_small = x.iloc[:500], y.iloc[:500], groups[:500]
    copies = x_small.copy(deep=True), y_small.copy(deep=True), g_small.copy()
    model = bif.fit_class_predictor(x_small, y_small)
    model.predict_proba(x_small)
    bif.out_of_sample_auc(x_small, y_small, g_small)
    scores = model.predict_proba(x_small)
    scores_copy = scores.copy()
    bif.auc(scores, y_small)
    pd.testing.assert_frame_equal(x_small, copies[0])
    pd.testing.assert_series_equal(y_small, copies[1])
    assert np.array_equal(g_small, copies[2])
    assert np.array_equal(scores, scores_copy)


# --------------------------------------------------------------------------- attribute effects


def test_attribute_effects_recover_known_effects_with_intervals():
    """30 runs x 60 firms, class odds = 1.2 x suitability - 0.8 x leverage + a run effect.

    The bootstrap over runs gives 90 % intervals that hold the true signs: suitability's
    excludes 0 above, leverage's below, and an attribute with no effect straddles 0.
    """
    rng = np.random.default_rng(11)
    runs, firms = 30, 60
    x = pd.DataFrame(
        rng.normal(size=(runs * firms, len(bif.PREDICTOR_FEATURES))),
        columns=list(bif.PREDICTOR_FEATURES),
    )
    run_id = np.repeat(np.arange(runs), firms)
    logit = 1.2 * x["ai_suitable_share"] - 0.8 * x["leverage"] + rng.normal(0, 0.5, runs)[run_id]
    infra = rng.random(len(x)) < 1 / (1 + np.exp(-(logit - 1.0)))
    outcomes = x.assign(run_id=run_id, firm_class=np.where(infra, "infrastructure", "pure_miner"))
    effects = bif.attribute_effects(outcomes, n_boot=120, seed=1)
    assert set(effects.index) == set(bif.PREDICTOR_FEATURES)
    assert (effects["resamples"] == 120).all()
    suit, lev, none = (effects.loc[k] for k in ("ai_suitable_share", "leverage", "j_per_th"))
    assert suit["low"] > 0.8 and suit["coefficient"] == pytest.approx(1.2, abs=0.25)
    assert lev["high"] < -0.4 and lev["coefficient"] == pytest.approx(-0.8, abs=0.25)
    assert none["low"] < 0 < none["high"]
    assert effects.index[0] == "ai_suitable_share"  # sorted by size


def test_firm_outcomes_of_a_run_carry_every_predictor(baseline_result):
    out = bif.firm_outcomes(baseline_result.firms)
    assert list(out.columns[: len(bif.START_COLUMNS)]) == list(bif.START_COLUMNS)
    assert set(bif.PREDICTOR_FEATURES) <= set(out.columns)
    assert out[list(bif.PREDICTOR_FEATURES)].notna().all().all()
    assert (out["cash_to_net_worth"] > 0).all()


def test_growth_reads_each_firms_last_non_null_value_at_the_last_date():
    """End values as `groupby("firm_id").last()` of the last date's rows finds them.

    200 random panels: firms with several rows at the last date, null values, firms with
    no row there; the log growth equals the one computed from groupby's end values.
    """
    rng = np.random.default_rng(11)
    for _ in range(200):
        n = int(rng.integers(1, 40))
        panel = pd.DataFrame(
            {
                "date": pd.to_datetime("2026-01-31")
                + pd.to_timedelta(rng.integers(0, 3, n) * 30, unit="D"),
                "firm_id": rng.integers(0, 8, n),
                "alive": rng.random(n) < 0.9,
                "net_worth_usd": np.where(rng.random(n) < 0.2, np.nan, rng.normal(5, 3, n)),
            }
        )
        start = pd.Series(rng.normal(5, 3, 8), index=pd.RangeIndex(8, name="firm_id"))
        alive = bif._alive_at_end(panel)
        last = panel.loc[panel["date"] == panel["date"].max()]
        end = last.groupby("firm_id")["net_worth_usd"].last().reindex(alive.index).to_numpy()
        begin = start.loc[alive.index].to_numpy()
        defined = alive.to_numpy() & (begin > 0) & (end > 0)
        expected = np.full(len(alive), np.nan)
        expected[defined] = np.log(end[defined] / begin[defined])
        growth = bif.log_net_worth_growth(panel, start)
        np.testing.assert_array_equal(growth.to_numpy(), expected)
