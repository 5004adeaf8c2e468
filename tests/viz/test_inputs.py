"""The dashboard's inputs become scenario overrides only where they leave the scenario."""

import pandas as pd

import abm
from abm.viz.inputs import DashboardModel, model_params, overrides


def defaults(scenario: str) -> dict:
    params = model_params(scenario)
    return {k: v["value"] for k, v in params.items() if isinstance(v, dict) and k != "seed"}


def test_untouched_inputs_override_nothing():
    assert overrides("baseline_2026", **defaults("baseline_2026")) == {}


def test_untouched_dashboard_runs_what_abm_runs():
    ours = DashboardModel("baseline_2026", seed="3", **defaults("baseline_2026"))
    plain = abm.MiningModel("baseline_2026", seed=3)
    for _ in range(40):
        ours.step()
        plain.step()
    pd.testing.assert_frame_equal(ours.model_table(), plain.model_table())


def test_moved_inputs_become_dotted_overrides():
    found = overrides(
        "baseline_2026",
        btc_drift=0.4,
        policy_rate=0.05,
        ai_bust_year="2028",
        leverage_scale=2.0,
        power_scale=1.5,
    )
    assert found["btc_price.drift_per_year"] == 0.4
    assert found["macro.policy_rate_knots"][-1]["rate"] == 0.05
    assert found["ai.bust_date"] == "2028-01-01"
    base = abm.load_scenario("baseline_2026").to_dict()
    for group, before in zip(found["population.groups"], base["population"]["groups"], strict=True):
        assert group["leverage_mean"] == min(2.0 * before["leverage_mean"], 0.95)
        assert group["ppa_price_usd_per_mwh"] == 1.5 * before["ppa_price_usd_per_mwh"]
    for region, before in zip(found["power.regions"], base["power"]["regions"], strict=True):
        assert region["mean_price_usd_per_mwh"] == 1.5 * before["mean_price_usd_per_mwh"]
    DashboardModel("baseline_2026", seed=1, btc_drift=0.4, power_scale=1.5).step()
