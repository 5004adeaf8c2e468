"""Scenario loading: every kind of bad input is a `ParamError` that says what to change.

Bad files are small overrides of the shipped baseline (`extends = "<abs path>"`) written to
tmp_path, so each test shows exactly the one line that is wrong.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import abm
from abm.params import ParamError


def write(tmp_path: Path, name: str, text: str) -> Path:
    """Write a scenario file into tmp_path and return its path."""
    path = tmp_path / name
    path.write_text(text)
    return path


def override(tmp_path: Path, baseline_toml: Path, name: str, body: str) -> Path:
    """A scenario that extends the baseline with `body`."""
    return write(tmp_path, name, f'extends = "{baseline_toml}"\n{body}')


def error_of(path: Path) -> str:
    """The message of the ParamError that loading `path` raises."""
    with pytest.raises(ParamError) as info:
        abm.load_scenario(path)
    return str(info.value)


def assert_names(message: str, *parts: str) -> None:
    """Every part occurs in the message (report the message if not)."""
    missing = [p for p in parts if p not in message]
    assert not missing, f"{missing} not in error message: {message!r}"


# --- each kind of error names the file, the key, the value and what is allowed -------


def test_unknown_top_level_key_names_file_key_and_allowed_keys(tmp_path, baseline_toml):
    path = override(tmp_path, baseline_toml, "top.toml", "typo_key = 4242\n")
    message = error_of(path)
    assert_names(message, str(path), "typo_key", "allowed keys", "btc_price", "finance")


def test_unknown_nested_key_names_file_table_key_and_allowed_keys(tmp_path, baseline_toml):
    path = override(tmp_path, baseline_toml, "nested.toml", "[finance]\ntypo_key = 4242\n")
    message = error_of(path)
    assert_names(
        message, str(path), "[finance]", "typo_key = 4242", "allowed keys", "auction_discount"
    )


def test_wrong_type_names_file_key_value_and_expected_type(tmp_path, baseline_toml):
    path = override(tmp_path, baseline_toml, "type.toml", '[finance]\nauction_discount = "half"\n')
    message = error_of(path)
    assert_names(message, str(path), "[finance]", "auction_discount", "'half'", "a number")


def test_out_of_range_names_file_key_value_and_bound(tmp_path, baseline_toml):
    path = override(tmp_path, baseline_toml, "range.toml", "[finance]\nauction_discount = 1.4\n")
    message = error_of(path)
    assert_names(message, str(path), "[finance]", "auction_discount", "1.4", "<= 1")


def test_negative_value_below_lower_bound_names_the_bound(tmp_path, baseline_toml):
    path = override(tmp_path, baseline_toml, "neg.toml", "[network]\nstart_height = -5\n")
    assert_names(error_of(path), str(path), "start_height", "-5", "0 <= value")


def test_bad_choice_names_file_key_value_and_the_choices(tmp_path, baseline_toml):
    firm = (
        '[[population.firms]]\nname = "Barterco"\nhashrate_eh = 10.0\n'
        'region = "texas_ercot"\ncontract = "barter"\n'
    )
    message = error_of(override(tmp_path, baseline_toml, "choice.toml", firm))
    assert_names(
        message, "choice.toml", "contract", "'barter'", "'fixed_ppa'", "'indexed'", "'spot'"
    )


def test_region_used_by_a_group_but_not_defined_names_it_and_the_defined_regions(
    tmp_path, baseline_toml
):
    # an array of tables in an override replaces the base's array: this is the only group
    group = (
        '[[population.groups]]\nname = "lost"\ncount = 3\n'
        'regions = ["atlantis"]\nregion_weights = [1.0]\n'
    )
    message = error_of(override(tmp_path, baseline_toml, "region.toml", group))
    assert_names(message, "region.toml", "population.groups", "lost", "'atlantis'", "texas_ercot")


def test_invalid_toml_names_file_and_line(tmp_path, baseline_toml):
    path = override(tmp_path, baseline_toml, "broken.toml", "[finance\nauction_discount = 0.5\n")
    message = error_of(path)
    assert_names(message, str(path), "not valid TOML", "line 2")


def test_missing_file_is_a_param_error_naming_the_file(tmp_path):
    path = tmp_path / "does_not_exist.toml"
    assert_names(error_of(path), str(path), "no such scenario file")


def test_missing_base_of_extends_names_the_base_file(tmp_path):
    path = write(tmp_path, "orphan.toml", 'extends = "no_base_here.toml"\n')
    assert_names(error_of(path), "no_base_here.toml", "no such scenario file")


def test_extends_cycle_names_every_file_of_the_cycle(tmp_path):
    a = write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    b = write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    message = error_of(a)
    assert_names(message, "cycle", str(a), str(b))


def test_self_extension_is_a_cycle(tmp_path):
    path = write(tmp_path, "me.toml", 'extends = "me.toml"\n')
    assert_names(error_of(path), "cycle", str(path))


def test_unknown_asic_generation_is_rejected_when_loading(tmp_path, baseline_toml):
    firm = (
        '[[population.firms]]\nname = "Futureco"\nhashrate_eh = 10.0\n'
        'region = "texas_ercot"\nfleet_generations = ["S99"]\n'
    )
    path = override(tmp_path, baseline_toml, "gen.toml", firm)
    assert_names(error_of(path), str(path), "Futureco", "fleet_generations", "'S99'", "S21 XP")


def test_missing_price_csv_is_rejected_when_loading(tmp_path, baseline_toml):
    path = override(tmp_path, baseline_toml, "csv.toml", '[btc_price]\npath_csv = "nope.csv"\n')
    assert_names(error_of(path), str(path), "path_csv", str(tmp_path / "nope.csv"))


def test_price_csv_that_does_not_cover_the_run_is_rejected(tmp_path, baseline_toml):
    (tmp_path / "short.csv").write_text("date,price_usd\n2026-01-01,87400\n2026-06-30,60000\n")
    body = '[btc_price]\npath_csv = "short.csv"\n'
    message = error_of(override(tmp_path, baseline_toml, "short.toml", body))
    assert_names(message, "short.toml", "path_csv", "short.csv", "2026-06-30", "2030-12-31")


def test_price_csv_path_is_relative_to_the_scenario_file(tmp_path, baseline_toml):
    (tmp_path / "flat.csv").write_text("date,price_usd\n2025-12-31,87400\n2031-01-01,87400\n")
    body = '[btc_price]\npath_csv = "flat.csv"\n'
    scenario = abm.load_scenario(override(tmp_path, baseline_toml, "flat.toml", body))
    assert scenario.btc_price.path_csv == str((tmp_path / "flat.csv").resolve())


# --- extends and overrides --------------------------------------------------------------


def diff_keys(a: dict, b: dict, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two nested mappings."""
    out = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        name = f"{prefix}{key}"
        if isinstance(va, dict) and isinstance(vb, dict):
            out += diff_keys(va, vb, name + ".")
        elif va != vb:
            out.append(name)
    return out


def test_extends_changing_one_key_keeps_every_other_baseline_value(tmp_path, baseline_toml):
    base = abm.load_scenario(baseline_toml)
    path = override(tmp_path, baseline_toml, "one.toml", "[finance]\nauction_discount = 0.3\n")
    child = abm.load_scenario(path)
    assert diff_keys(base.to_dict(), child.to_dict()) == ["finance.auction_discount"]
    assert child.finance.auction_discount == 0.3
    assert base.finance.auction_discount == 0.5


def test_extends_is_relative_to_the_extending_file(tmp_path, baseline_toml):
    sub = tmp_path / "sub"
    sub.mkdir()
    write(tmp_path, "mid.toml", f'extends = "{baseline_toml}"\n[run]\ndt_days = 2\n')
    leaf = write(sub, "leaf.toml", 'extends = "../mid.toml"\n[macro]\nneutral_rate = 0.02\n')
    scenario = abm.load_scenario(leaf)
    assert diff_keys(abm.load_scenario(baseline_toml).to_dict(), scenario.to_dict()) == [
        "macro.neutral_rate",
        "run.dt_days",
    ]


def test_dotted_override_changes_exactly_that_key():
    base = abm.load_scenario("baseline_2026")
    changed = abm.load_scenario("baseline_2026", {"btc_price.volatility_per_year": 0.6})
    assert changed.btc_price.volatility_per_year == 0.6
    assert diff_keys(base.to_dict(), changed.to_dict()) == ["btc_price.volatility_per_year"]
    assert changed.digest() != base.digest()


def test_dotted_override_is_validated_like_a_file_value():
    with pytest.raises(ParamError) as info:
        abm.load_scenario("baseline_2026", {"finance.auction_discount": 1.4})
    assert_names(str(info.value), "baseline_2026.toml", "auction_discount", "1.4", "<= 1")
    with pytest.raises(ParamError, match="typo_key"):
        abm.load_scenario("baseline_2026", {"finance.typo_key": 1})


def test_shipped_name_path_and_mapping_load_the_same_scenario(baseline_toml):
    by_name = abm.load_scenario("baseline_2026")
    by_path = abm.load_scenario(baseline_toml)
    by_mapping = abm.load_scenario(by_name.to_dict())
    assert by_name == by_path == by_mapping
    assert by_name.digest() == by_mapping.digest()


def test_baseline_values_match_the_design_anchors():
    """DESIGN.md section 9: BTC 87,400 USD, 140 T difficulty, 1,000 EH/s, 50 %/yr vol."""
    s = abm.load_scenario("baseline_2026")
    assert s.btc_price.start_price_usd == 87_400.0
    assert s.network.start_difficulty == 1.4826e14
    assert s.network.start_hashrate_eh == 1040.0
    assert s.btc_price.volatility_per_year == 0.5
    assert math.isclose(s.network.mean_fee_btc_per_block / 3.125, 0.01, rel_tol=0.05)
    assert s.run.start_date.isoformat() == "2026-01-01"
    assert s.run.end_date.isoformat() == "2030-12-31"
