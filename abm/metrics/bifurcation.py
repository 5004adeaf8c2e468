"""Bifurcation metrics: which mining firms became AI infrastructure, and what predicted it.

Pure functions on pandas tables (they never mutate their inputs):

* per run: :func:`classify_firms` labels each firm at the end of the run,
  :func:`log_net_worth_growth` gives the survivors' outcome, whose shape
  :func:`bimodality_coefficient` and :func:`dip_test` measure, and :func:`run_bifurcation`
  bundles the per-run summary;
* across runs: :func:`fit_class_predictor` fits a penalized logistic regression of a class on the
  firms' initial attributes, :func:`auc` scores it, and :func:`out_of_sample_auc` cross-validates
  it with folds grouped by run, so firms of one run never sit on both sides of a split.

Input tables:
    * ``panel``: the monthly firm panel, one row per firm and month (dead firms included), with
      at least ``date`` (datetime64), ``firm_id``, ``alive`` (bool), ``net_worth_usd``,
      ``mining_revenue_usd`` and ``ai_revenue_usd`` (monthly flows in USD).
    * ``start_net_worth``: a Series of each firm's net worth at the start, indexed by ``firm_id``.
    * ``features``: one row per firm (and run) with numeric initial attributes, e.g. the columns in
      :data:`PREDICTOR_FEATURES`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import diptest
import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

__all__ = [
    "BIMODALITY_THRESHOLD",
    "CLASSES",
    "DIP_SIGNIFICANCE",
    "PREDICTOR_FEATURES",
    "Predictor",
    "ai_revenue_share",
    "attribute_effects",
    "auc",
    "bimodality_coefficient",
    "classify_firms",
    "dip_test",
    "firm_outcomes",
    "fit_class_predictor",
    "is_bimodal",
    "log_net_worth_growth",
    "out_of_sample_auc",
    "run_bifurcation",
]

CLASSES: tuple[str, ...] = ("infrastructure", "hybrid", "pure_miner", "bankrupt")
"""End-of-run firm classes, in reporting order."""

BIMODALITY_THRESHOLD = 5 / 9
"""Bimodality coefficient of a uniform distribution; larger values suggest bimodality."""

DIP_SIGNIFICANCE = 0.05
"""The dip test's p-value below which a run's outcomes count as bimodal."""

PREDICTOR_FEATURES: tuple[str, ...] = (
    "ai_suitable_share",
    "ai_suitability",
    "long_contract_share",
    "ppa_years_left",
    "power_price_usd_per_mwh",
    "leverage",
    "size_eh",
    "listed",
    "cash_to_net_worth",
    "readiness",
    "j_per_th",
)
"""Initial firm attributes tested as predictors of the end class (readiness stands for cooling;
ai_suitability is the MW-weighted siting score of scale, fiber, water and region)."""

_SHARE_TOLERANCE = 1e-12  # a share equal to the threshold up to rounding counts as reaching it
_REQUIRED = ("date", "firm_id", "alive", "net_worth_usd", "mining_revenue_usd", "ai_revenue_usd")
_REVENUE = ("ai_revenue_usd", "mining_revenue_usd")  # monthly flows, USD


# --------------------------------------------------------------------------- per run


def _check_panel(panel: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in panel.columns]
    if missing:
        raise ValueError(f"panel lacks columns {missing}")
    if panel.empty:
        raise ValueError("panel is empty")


def _alive_at_end(panel: pd.DataFrame) -> pd.Series:
    """Per firm: True if it has a row at the panel's last date and is alive there."""
    dates, firm_ids = panel["date"].to_numpy(), panel["firm_id"].to_numpy()
    at_end = dates == dates.max()
    firms = np.unique(firm_ids)  # sorted
    end_rows = np.searchsorted(firms, firm_ids[at_end])  # each end row's firm position
    alive = np.zeros(len(firms), dtype=bool)
    alive[end_rows] = True  # a firm with a row at the last date...
    alive[end_rows[~panel["alive"].to_numpy(dtype=bool)[at_end]]] = False  # ...alive in all
    return pd.Series(alive, index=pd.Index(firms, name="firm_id"), name="alive")


def ai_revenue_share(panel: pd.DataFrame, window_months: int = 12) -> pd.Series:
    """AI share of revenue per firm over the last ``window_months`` calendar months.

    The window is the ``window_months`` calendar months ending with the month of the panel's last
    date (months, not rows, so a panel with a missing month still looks back one year). The share
    is ``sum(ai) / sum(ai + mining)`` over the window; a firm with no revenue in the window gets 0.

    Args:
        panel: Monthly firm panel (see the module docstring).
        window_months: Length of the look-back window, in months (>= 1).

    Returns:
        Share in [0, 1] per firm, indexed by ``firm_id`` (sorted).
    """
    _check_panel(panel, ("date", "firm_id", "mining_revenue_usd", "ai_revenue_usd"))
    if window_months < 1:
        raise ValueError("window_months must be at least 1")
    months = panel["date"].to_numpy(dtype="datetime64[ns]").astype("datetime64[M]")
    first = months.max() - np.timedelta64(window_months - 1, "M")
    recent = months >= first
    # a frame of the three columns read (a firm panel's rows cost more to filter)
    columns = {c: panel[c].to_numpy()[recent] for c in ("firm_id", *_REVENUE)}
    sums = pd.DataFrame(columns, copy=False).groupby("firm_id").sum()
    ai = sums["ai_revenue_usd"].to_numpy(dtype=float)
    total = ai + sums["mining_revenue_usd"].to_numpy(dtype=float)
    share = np.divide(ai, total, out=np.zeros_like(ai), where=total > 0)
    firms = np.sort(panel["firm_id"].unique())
    return (
        pd.Series(share, index=sums.index, name="ai_revenue_share")
        .reindex(firms, fill_value=0.0)
        .rename_axis("firm_id")
    )


def classify_firms(
    panel: pd.DataFrame, window_months: int = 12, threshold: float = 0.5
) -> pd.Series:
    """Label each firm at the end of the run.

    * ``bankrupt``: not alive at the panel's last date (a firm with no row at that date counts as
      not alive);
    * otherwise, with ``share`` the AI revenue share over the last ``window_months`` months
      (:func:`ai_revenue_share`): ``infrastructure`` if ``share >= threshold`` (up to 1e-12 of
      rounding), ``hybrid`` if ``share > 0``, ``pure_miner`` otherwise (including a firm with no
      revenue at all in the window). AI revenue older than the window does not count.

    Args:
        panel: Monthly firm panel (see the module docstring).
        window_months: Look-back window for the AI share, in months.
        threshold: AI share at or above which a firm is ``infrastructure``.

    Returns:
        Labels from :data:`CLASSES`, indexed by ``firm_id`` (sorted), named ``firm_class``.
    """
    _check_panel(panel, _REQUIRED)
    alive = _alive_at_end(panel)
    share = ai_revenue_share(panel, window_months).reindex(alive.index)
    labels = np.select(
        [
            ~alive.to_numpy(),
            share.to_numpy() >= threshold - _SHARE_TOLERANCE,
            share.to_numpy() > 0,
        ],
        ["bankrupt", "infrastructure", "hybrid"],
        default="pure_miner",
    )
    return pd.Series(labels.astype(object), index=alive.index, name="firm_class")


def log_net_worth_growth(
    panel: pd.DataFrame, start_net_worth: pd.Series, column: str = "net_worth_usd"
) -> pd.Series:
    """Log growth of net worth from the start to the end of the run, for surviving firms.

    ``log(end / start)``, with ``end`` the firm's `column` at the panel's last date: net
    worth, or ``value_per_start_share_usd`` (net worth per share outstanding at the start,
    which is the start net worth), so that a firm that grew by selling shares does not
    count as a winner. Firms not alive at the last date, and survivors whose start or end
    value is not positive, get NaN: their log growth is undefined, and bankruptcies are
    reported as their own share (:func:`run_bifurcation`), never floored into an
    artificial lower mode.

    Args:
        panel: Monthly firm panel (see the module docstring).
        start_net_worth: Net worth at the start (USD), indexed by ``firm_id``; it must cover
            every firm in the panel (extra firms are ignored).
        column: the panel's column whose growth is measured (net worth by default).

    Returns:
        Log growth per firm, indexed by ``firm_id`` (sorted), named ``log_net_worth_growth``.
    """
    _check_panel(panel, ("date", "firm_id", "alive", column))
    alive = _alive_at_end(panel)
    return _log_growth(panel, column, alive, _start_of(alive, start_net_worth))


def _start_of(alive: pd.Series, start_net_worth: pd.Series) -> np.ndarray:
    """Start net worth (USD) of each firm of `alive` (its index), in its order."""
    firms = alive.index
    missing = firms.difference(pd.Index(start_net_worth.index))
    if len(missing):
        raise ValueError(f"start_net_worth lacks firms {list(missing)[:10]}")
    return start_net_worth.loc[firms].to_numpy(dtype=float)


def _log_growth(panel: pd.DataFrame, column: str, alive: pd.Series, start: np.ndarray) -> pd.Series:
    """`log_net_worth_growth` given each firm's being alive at the end and its start value."""
    firms = alive.index
    end = _last_at_end(panel, column, firms.to_numpy())
    defined = alive.to_numpy() & (start > 0) & (end > 0)
    growth = np.full(len(firms), np.nan)
    growth[defined] = np.log(end[defined] / start[defined])
    return pd.Series(growth, index=firms, name="log_net_worth_growth")


def dip_test(x: Any) -> tuple[float, float]:
    """Hartigan's dip statistic of a sample and its p-value against unimodality.

    Uses the `diptest` package (p-value interpolated from its tabulated critical values,
    so deterministic). NaNs are dropped; (NaN, NaN) with fewer than 4 values.
    """
    values = np.asarray(x, dtype=float).ravel()
    values = values[np.isfinite(values)]
    if values.size < 4:
        return float("nan"), float("nan")
    dip, p_value = diptest.diptest(values)
    return float(dip), float(p_value)


def bimodality_coefficient(x: Any) -> float:
    """Sarle's bimodality coefficient of a sample.

    ``BC = (g1**2 + 1) / (g2 + 3 (n - 1)**2 / ((n - 2)(n - 3)))`` with ``g1`` the bias-corrected
    sample skewness and ``g2`` the bias-corrected sample excess kurtosis (``scipy.stats.skew`` and
    ``kurtosis`` with ``bias=False``). BC is 5/9 for a uniform distribution, about 1/3 for a
    normal one and approaches 1 for two point masses; BC > 5/9 suggests bimodality (Pfister et
    al. 2013, Front. Psychol. 4:700). NaNs are dropped.

    Args:
        x: Sample (array-like of numbers).

    Returns:
        BC, or NaN when fewer than 4 finite values remain or the sample is constant.
    """
    values = np.asarray(x, dtype=float).ravel()
    values = values[np.isfinite(values)]
    n = values.size
    if n < 4 or np.ptp(values) == 0:
        return float("nan")
    skew = stats.skew(values, bias=False)
    kurt = stats.kurtosis(values, fisher=True, bias=False)
    return float((skew**2 + 1) / (kurt + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))))


def _last_at_end(panel: pd.DataFrame, column: str, firms: np.ndarray) -> np.ndarray:
    """Per firm of `firms` (sorted): its last non-null `column` at the panel's last date.

    NaN for a firm with none; what `groupby("firm_id")[column].last()` of the last date's
    rows gives, reindexed to `firms`, at a tenth of its cost.
    """
    dates = panel["date"].to_numpy()
    at_end = dates == dates.max()
    values = panel[column].to_numpy(dtype=float)[at_end]
    given = ~np.isnan(values)
    end = np.full(len(firms), np.nan)
    # assigned in row order: a firm's later row overwrites its earlier ones
    end[np.searchsorted(firms, panel["firm_id"].to_numpy()[at_end][given])] = values[given]
    return end


def is_bimodal(x: Any, threshold: float = BIMODALITY_THRESHOLD) -> bool:
    """True if the bimodality coefficient of ``x`` exceeds ``threshold`` (False if undefined)."""
    bc = bimodality_coefficient(x)
    return bool(np.isfinite(bc) and bc > threshold)


def _float_or_none(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def _winners_gap(growth: pd.Series, classes: pd.Series) -> float:
    """Median log growth of infrastructure firms minus that of pure miners (NaN if none)."""
    medians = growth.groupby(classes).median()
    return medians.get("infrastructure", np.nan) - medians.get("pure_miner", np.nan)


def run_bifurcation(
    panel: pd.DataFrame,
    start_net_worth: pd.Series,
    *,
    window_months: int = 12,
    threshold: float = 0.5,
    classes: pd.Series | None = None,
) -> dict[str, Any]:
    """Per-run bifurcation summary: classes, bankruptcies, and the survivors' outcome shape.

    Args:
        panel: Monthly firm panel (see the module docstring).
        start_net_worth: Net worth at the start (USD), indexed by ``firm_id``.
        window_months: Passed to :func:`classify_firms`.
        threshold: Passed to :func:`classify_firms`.
        classes: Each firm's class, indexed by ``firm_id`` (sorted), if already known (a
            firm table's ``firm_class``, which :func:`classify_firms` gave it); otherwise
            classified here.

    Returns:
        A dict of plain Python values:

        * ``n_firms``: number of firms;
        * ``counts``: firms per class, every label of :data:`CLASSES` present (zeros included);
        * ``bankrupt_share``: share of firms bankrupt by the end;
        * ``survivors``: firms whose log net-worth growth is defined (alive, positive);
        * ``bimodality_coefficient``: BC of the survivors' log growth (None if undefined);
        * ``dip_statistic``, ``dip_p_value``: Hartigan's dip test of the same sample;
        * ``is_bimodal``: the dip test rejects unimodality at 5 % (False if undefined);
        * ``winners_gap``: median log growth of ``infrastructure`` minus that of
          ``pure_miner`` (None if either class has no survivor);
        * ``winners_gap_per_share``: the same gap in log growth of value per start share
          (None, too, without a ``value_per_start_share_usd`` column);
        * ``mean_log_growth``: mean log growth per class (None where undefined).
    """
    if classes is None:
        classes = classify_firms(panel, window_months=window_months, threshold=threshold)
    # the end state and start values read once for both growths
    _check_panel(panel, ("date", "firm_id", "alive", "net_worth_usd"))
    alive = _alive_at_end(panel)
    start = _start_of(alive, start_net_worth)
    growth = _log_growth(panel, "net_worth_usd", alive, start)
    means = growth.groupby(classes).mean()
    counts = classes.value_counts()
    bc = bimodality_coefficient(growth.to_numpy())
    dip, p_value = dip_test(growth.to_numpy())
    gap = _winners_gap(growth, classes)
    per_share = np.nan
    if "value_per_start_share_usd" in panel:
        growth_per_share = _log_growth(panel, "value_per_start_share_usd", alive, start)
        per_share = _winners_gap(growth_per_share, classes)
    return {
        "n_firms": len(classes),
        "counts": {c: int(counts.get(c, 0)) for c in CLASSES},
        "bankrupt_share": float(counts.get("bankrupt", 0) / len(classes)),
        "survivors": int(growth.notna().sum()),
        "bimodality_coefficient": _float_or_none(bc),
        "dip_statistic": _float_or_none(dip),
        "dip_p_value": _float_or_none(p_value),
        "is_bimodal": bool(np.isfinite(p_value) and p_value < DIP_SIGNIFICANCE),
        "winners_gap": _float_or_none(gap),
        "winners_gap_per_share": _float_or_none(per_share),
        "mean_log_growth": {c: _float_or_none(means.get(c, np.nan)) for c in CLASSES},
    }


# --------------------------------------------------------------------------- across runs


@dataclass(frozen=True)
class Predictor:
    """A fitted logistic model of a class on standardized firm attributes.

    Attributes:
        coefficients: Slopes on the standardized scale (per one standard deviation of each
            feature), indexed by feature name: signs and magnitudes are comparable.
        intercept: Intercept (log-odds at the feature means).
        means: Feature means used for standardizing.
        sds: Feature standard deviations used for standardizing (1 for a constant feature).
        l2: Ridge penalty the model was fitted with.
        n_iter: Newton iterations used.
    """

    coefficients: pd.Series
    intercept: float
    means: pd.Series
    sds: pd.Series
    l2: float
    n_iter: int

    @property
    def features(self) -> list[str]:
        """Feature names, in model order."""
        return list(self.coefficients.index)

    @property
    def raw_coefficients(self) -> pd.Series:
        """Slopes per unit of each original feature (``coefficients / sds``)."""
        return self.coefficients / self.sds

    def decision_function(self, features: pd.DataFrame) -> np.ndarray:
        """Log-odds of the class for each row of ``features`` (columns selected by name)."""
        z = _standardize(_matrix(features, self.features), self.means, self.sds)
        return self.intercept + z @ self.coefficients.to_numpy()

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """Probability of the class for each row of ``features`` (columns selected by name)."""
        return expit(self.decision_function(features))


def _matrix(features: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    missing = [c for c in columns if c not in features.columns]
    if missing:
        raise ValueError(f"features lack columns {missing}")
    x = features.loc[:, list(columns)].to_numpy(dtype=float)
    if not np.isfinite(x).all():
        raise ValueError("features contain NaN or infinite values")
    return x


def _standardize(x: np.ndarray, means: pd.Series, sds: pd.Series) -> np.ndarray:
    return (x - means.to_numpy()) / sds.to_numpy()


def _labels(features: pd.DataFrame, is_class: Any) -> np.ndarray:
    """Boolean labels aligned with the rows of ``features``.

    A Series is aligned by index when its index differs from ``features.index`` and both are
    unique; anything else is taken by position.
    """
    if isinstance(is_class, pd.Series) and not is_class.index.equals(features.index):
        if not (is_class.index.is_unique and features.index.is_unique):
            raise ValueError("is_class index differs from features index and is not unique")
        missing = features.index.difference(is_class.index)
        if len(missing):
            raise ValueError(f"is_class lacks rows {list(missing)[:10]}")
        is_class = is_class.loc[features.index]
    y = np.asarray(is_class)
    if y.shape != (len(features),):
        raise ValueError("is_class must have one value per row of features")
    if pd.isna(y).any():
        raise ValueError("is_class contains missing values")
    return y.astype(bool)


def _fit_logistic(
    z: np.ndarray, y: np.ndarray, l2: float, max_iter: int = 100, tol: float = 1e-10
) -> tuple[np.ndarray, int]:
    """Newton's method with backtracking on the penalized mean negative log-likelihood.

    Objective ``mean(log(1 + exp(eta)) - y * eta) + l2 / 2 * |beta|**2`` with
    ``eta = b0 + z @ beta`` (intercept not penalized). Returns ``[b0, beta...]`` and iterations.
    """
    n, k = z.shape
    design = np.column_stack([np.ones(n), z])
    yf = y.astype(float)
    penalty = np.full(k + 1, l2)
    penalty[0] = 0.0
    prior = yf.mean()
    theta = np.zeros(k + 1)
    theta[0] = np.log(prior / (1 - prior))

    def objective(t: np.ndarray) -> float:
        eta = design @ t
        return float(np.mean(np.logaddexp(0.0, eta) - yf * eta) + 0.5 * np.sum(penalty * t * t))

    value = objective(theta)
    for iteration in range(1, max_iter + 1):
        p = expit(design @ theta)
        grad = design.T @ (p - yf) / n + penalty * theta
        if np.max(np.abs(grad)) < tol:
            return theta, iteration - 1
        weights = p * (1 - p)
        hessian = (design.T * weights) @ design / n + np.diag(penalty)
        hessian[np.diag_indices_from(hessian)] += 1e-12  # keeps it invertible at p in {0, 1}
        step = np.linalg.solve(hessian, grad)
        size = 1.0
        while True:
            candidate = theta - size * step
            new_value = objective(candidate)
            if new_value <= value + 1e-4 * size * (grad @ -step) or size < 1e-10:
                break
            size /= 2
        theta, value = candidate, new_value
    return theta, max_iter


def fit_class_predictor(features: pd.DataFrame, is_class: pd.Series, l2: float = 1e-3) -> Predictor:
    """Fit a ridge-penalized logistic regression of a class on standardized features.

    Features are standardized with their means and population standard deviations (stored in the
    result); the fit minimizes the mean negative log-likelihood plus ``l2 / 2`` times the squared
    norm of the slopes (not the intercept) by Newton's method (IRLS) with backtracking. Because
    the penalty is on the mean, ``l2`` does not scale with the sample size; the default shrinks
    slopes by well under 1 % with thousands of firms, yet keeps them finite if the classes are
    perfectly separable (e.g. every cheap-power firm became infrastructure).

    Args:
        features: One row per firm, numeric columns only (all used, in order).
        is_class: Whether each firm ended in the class (bool), aligned with ``features``.
        l2: Ridge penalty (>= 0; with 0 separable data have no finite fit).

    Returns:
        The fitted :class:`Predictor`.

    Raises:
        ValueError: On missing values, fewer than two rows, or a single class.
    """
    if l2 < 0:
        raise ValueError("l2 must be non-negative")
    columns = [str(c) for c in features.columns]
    x = _matrix(features, list(features.columns))
    y = _labels(features, is_class)
    if len(y) < 2 or y.all() or not y.any():
        raise ValueError("need at least one firm in and one firm out of the class")
    means = x.mean(axis=0)
    sds = x.std(axis=0)
    sds = np.where(sds > 0, sds, 1.0)
    means_s = pd.Series(means, index=columns, name="mean")
    sds_s = pd.Series(sds, index=columns, name="sd")
    theta, n_iter = _fit_logistic(_standardize(x, means_s, sds_s), y, l2)
    return Predictor(
        coefficients=pd.Series(theta[1:], index=columns, name="coefficient"),
        intercept=float(theta[0]),
        means=means_s,
        sds=sds_s,
        l2=float(l2),
        n_iter=n_iter,
    )


def auc(scores: Any, labels: Any) -> float:
    """Area under the ROC curve via the Mann-Whitney U statistic.

    The fraction of (positive, negative) pairs in which the positive has the higher score, ties
    counting one half: ``(R_pos - n_pos (n_pos + 1) / 2) / (n_pos n_neg)`` with ``R_pos`` the sum
    of the positives' mid-ranks.

    Args:
        scores: Scores, higher meaning more likely positive.
        labels: Booleans, True for positives.

    Returns:
        AUC in [0, 1]; NaN if there are no positives or no negatives.
    """
    s = np.asarray(scores, dtype=float).ravel()
    y = np.asarray(labels).ravel().astype(bool)
    if s.shape != y.shape:
        raise ValueError("scores and labels must have the same length")
    if not np.isfinite(s).all():
        raise ValueError("scores contain NaN or infinite values")
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = stats.rankdata(s)
    u = ranks[y].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


def out_of_sample_auc(
    features: pd.DataFrame,
    is_class: pd.Series,
    groups: Any,
    n_splits: int = 5,
    seed: int = 0,
    l2: float = 1e-3,
) -> float:
    """Grouped k-fold cross-validated AUC of :func:`fit_class_predictor`.

    The distinct ``groups`` (run ids) are shuffled with ``seed`` and dealt into ``n_splits``
    folds of near-equal numbers of groups (fewer folds if there are fewer groups), so all firms of
    one run are on the same side of every split. Each fold's model is fitted on the other folds
    and scores the held-out firms; the AUC is computed once on the pooled held-out scores. A fold
    whose training part holds a single class is skipped (its firms are left out of the pool).

    Args:
        features: One row per firm, numeric columns.
        is_class: Whether each firm ended in the class, aligned with ``features``.
        groups: Group (run id) of each row, by position.
        n_splits: Number of folds (>= 2).
        seed: Seed of the group shuffle.
        l2: Ridge penalty passed to :func:`fit_class_predictor`.

    Returns:
        Pooled out-of-sample AUC (NaN if no fold could be fitted or the pool has one class).
    """
    y = _labels(features, is_class)
    g = np.asarray(groups).ravel()
    if g.shape != y.shape:
        raise ValueError("groups must have one value per row of features")
    unique = pd.unique(g)
    if len(unique) < 2:
        raise ValueError("need at least two groups")
    if n_splits < 2:
        raise ValueError("n_splits must be at least 2")
    rng = np.random.default_rng(seed)
    shuffled = unique[rng.permutation(len(unique))]
    folds = np.array_split(shuffled, min(n_splits, len(unique)))
    scores: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    for fold in folds:
        test = np.isin(g, fold)
        train_y = y[~test]
        if train_y.all() or not train_y.any():
            continue
        model = fit_class_predictor(features.iloc[~test], train_y, l2=l2)
        scores.append(model.decision_function(features.iloc[test]))
        labels.append(y[test])
    if not scores:
        return float("nan")
    return auc(np.concatenate(scores), np.concatenate(labels))


START_COLUMNS = {  # model firm-panel column holding each predictor's value at the start
    "ai_suitable_share": "start_ai_suitable_share",
    "ai_suitability": "start_ai_suitability",
    "long_contract_share": "start_long_contract_share",
    "ppa_years_left": "start_ppa_years_left",
    "power_price_usd_per_mwh": "start_power_usd_per_mwh",
    "leverage": "start_leverage",
    "size_eh": "start_hashrate_eh",
    "listed": "listed",
    "readiness": "start_readiness",
    "j_per_th": "start_j_per_th",
}


def firm_outcomes(panel: pd.DataFrame) -> pd.DataFrame:
    """One row per firm: its end class, log net-worth growth and initial attributes.

    Reads the model's firm panel, whose ``start_*`` columns hold each firm's attributes at
    the start of the run (constant over its rows).
    """
    first = panel.sort_values("date").groupby("firm_id").first()
    start_net_worth = first["start_net_worth_usd"]
    out = pd.DataFrame({name: first[column] for name, column in START_COLUMNS.items()})
    out["listed"] = out["listed"].astype(float)
    out["cash_to_net_worth"] = first["start_cash_usd"] / start_net_worth
    out["firm_class"] = classify_firms(panel)
    out["log_net_worth_growth"] = log_net_worth_growth(panel, start_net_worth)
    if "value_per_start_share_usd" in panel:
        out["log_value_per_share_growth"] = log_net_worth_growth(
            panel, start_net_worth, "value_per_start_share_usd"
        )
    return out


def attribute_effects(
    outcomes: pd.DataFrame,
    target: str = "infrastructure",
    *,
    n_boot: int = 200,
    level: float = 0.90,
    seed: int = 0,
    l2: float = 1e-3,
) -> pd.DataFrame:
    """Which initial attributes make ending in class `target` likelier, with intervals.

    Standardized coefficients of :func:`fit_class_predictor` on :data:`PREDICTOR_FEATURES`,
    pooled over runs, with a percentile interval from a bootstrap that resamples whole runs
    (firms of one run share its prices and draws, so they are not independent).

    Args:
        outcomes: rows of :func:`firm_outcomes` from many runs, with a ``run_id`` column.
        target: the class whose odds are modelled.
        n_boot: bootstrap resamples (those with a single class are skipped).
        level: coverage of the interval.
        seed: seed of the resampling.
        l2: ridge penalty (keeps coefficients finite when a class is rare).

    Returns:
        One row per attribute: ``coefficient`` (per sd), ``low``, ``high``, and ``resamples``
        used, sorted by the coefficient's size.
    """
    features = outcomes[list(PREDICTOR_FEATURES)].astype(float)
    is_target = (outcomes["firm_class"] == target).to_numpy()
    point = fit_class_predictor(features, is_target, l2=l2).coefficients
    rows_of_run = {
        run: np.flatnonzero(outcomes["run_id"].to_numpy() == run)
        for run in pd.unique(outcomes["run_id"])
    }
    runs = list(rows_of_run)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_boot):
        rows = np.concatenate(
            [rows_of_run[runs[k]] for k in rng.integers(len(runs), size=len(runs))]
        )
        y = is_target[rows]
        if y.all() or not y.any():
            continue
        draws.append(fit_class_predictor(features.iloc[rows], y, l2=l2).coefficients.to_numpy())
    tail = (1.0 - level) / 2
    low, high = np.quantile(draws, [tail, 1 - tail], axis=0) if draws else (np.nan, np.nan)
    table = pd.DataFrame(
        {"coefficient": point, "low": low, "high": high, "resamples": len(draws)},
        index=point.index.rename("attribute"),
    )
    return table.reindex(table["coefficient"].abs().sort_values(ascending=False).index)
