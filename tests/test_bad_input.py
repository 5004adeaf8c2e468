"""Every class of bad input: exit 2, one stderr line naming the culprit, nothing written.

Nothing written: the folder the command runs in is unchanged, byte for byte.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from abm.catalog import EXPERIMENT_DIR, SCENARIO_DIR
from abm.cli import main

BASELINE = SCENARIO_DIR / "baseline_2026.toml"
SHORT = '"run.end_date" = 2026-01-10'  # a 10-day run, for cases that reach a sweep


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def scenario(tmp: Path, body: str) -> Path:
    return write(tmp / "case.toml", f'extends = "{BASELINE}"\n{body}\n')


def experiment(tmp: Path, body: str, figures: str = "[]") -> Path:
    text = f'name = "case"\nfigures = {figures}\n[overrides]\n{SHORT}\n{body}\n'
    return write(tmp / "exp.toml", text)


def stored_sweep(tmp: Path) -> list[str]:
    """A finished one-run sweep in tmp/store, then its experiment edited (2 replicates)."""
    path = experiment(tmp, "")
    assert main(["sweep", str(path), "--out", str(tmp / "store"), "--workers", "1", "-q"]) == 0
    path.write_text(path.read_text().replace('name = "case"', 'name = "case"\nreplicates = 2'))
    return ["sweep", str(path), "--out", str(tmp / "store"), "--workers", "1", "--resume"]


def price_case(tmp: Path, rows: str, end: str = "2026-01-02") -> list[str]:
    """`abm validate` of a scenario replaying a price CSV with these rows."""
    csv = write(tmp / "p.csv", "date,price_usd\n" + rows)
    body = f'[run]\nend_date = {end}\n[btc_price]\npath_csv = "{csv}"'
    return ["validate", str(scenario(tmp, body))]


def unwritable(tmp: Path) -> Path:
    """A folder nobody may create files in, root included (sysfs)."""
    try:
        tempfile.TemporaryDirectory(dir="/sys").cleanup()
    except OSError:
        return Path("/sys/abm-out")
    pytest.skip("/sys is writable here")


# id: (setup(tmp) -> argv, what stderr must name)
CASES: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    "seed-negative": (
        lambda t: ["run", "baseline_2026", "--seed", "-1", "--out", str(t / "o")],
        "argument --seed: -1 is not allowed; allowed 0 <= value",
    ),
    "seed-not-a-number": (
        lambda t: ["run", "baseline_2026", "--seed", "x", "--out", str(t / "o")],
        "argument --seed: invalid nonnegative value: 'x'",
    ),
    "scenario-missing": (
        lambda t: ["run", str(t / "nowhere.toml"), "--out", str(t / "o")],
        "nowhere.toml: no such scenario file",
    ),
    "scenario-is-a-folder": (
        lambda t: ["validate", str(write(t / "d" / "x.txt", "").parent)],
        "/d: is a folder, not a scenario file (TOML)",
    ),
    "scenario-not-utf8": (
        lambda t: ["run", str(write(t / "latin1.toml", b'description = "caf\xe9"\n'))],
        "latin1.toml: is not UTF-8 text (byte 18); a scenario file is TOML in UTF-8",
    ),
    "scenario-invalid-toml": (
        lambda t: ["validate", str(scenario(t, "[finance"))],
        "case.toml: not valid TOML",
    ),
    "scenario-nan": (
        lambda t: ["run", str(scenario(t, "[btc_price]\nvolatility_per_year = nan"))],
        "[btc_price] volatility_per_year = nan is not a finite number; allowed 0.0 <= value",
    ),
    "scenario-inf-start-price": (
        lambda t: ["validate", str(scenario(t, "[btc_price]\nstart_price_usd = inf"))],
        "[btc_price] start_price_usd = inf is not a finite number",
    ),
    "scenario-out-of-range": (
        lambda t: ["run", str(scenario(t, "[finance]\nauction_discount = 1.4"))],
        "[finance] auction_discount = 1.4 is out of range",
    ),
    "set-nan": (
        lambda t: ["run", "baseline_2026", "--set", "btc_price.drift_per_year=nan"],
        "(with overrides): [btc_price] drift_per_year = nan is not a finite number",
    ),
    "set-inf-validate": (
        lambda t: ["validate", "baseline_2026", "--set", "network.start_hashrate_eh=-inf"],
        "[network] start_hashrate_eh = -inf is not a finite number",
    ),
    "set-unknown-key": (
        lambda t: ["validate", "baseline_2026", "--set", "btc_price.volatility=0.6"],
        "[btc_price] volatility = 0.6 is not a known key",
    ),
    "set-not-key-value": (
        lambda t: ["run", "baseline_2026", "--set", "btc_price.volatility_per_year"],
        "argument --set: 'btc_price.volatility_per_year' is not KEY=VALUE",
    ),
    "set-twice": (
        lambda t: ["validate", "baseline_2026", "--set", "run.dt_days=2", "--set", "run.dt_days=3"],
        "--set run.dt_days is given twice",
    ),
    "price-csv-nan": (
        lambda t: price_case(t, "2026-01-01,nan\n2026-01-02,1\n"),
        "p.csv, line 2: column 'price_usd' = 'nan' is not a positive number",
    ),
    "price-csv-inf": (
        lambda t: price_case(t, "2026-01-01,1\n2026-01-02,inf\n"),
        "p.csv, line 3: column 'price_usd' = 'inf' is not a positive number",
    ),
    "out-is-a-file": (
        lambda t: ["run", "baseline_2026", "--out", str(write(t / "notes.txt", "mine"))],
        "notes.txt: is a file, not a folder",
    ),
    "out-holds-other-files": (
        lambda t: ["run", "baseline_2026", "--out", str(write(t / "d" / "notes.txt", "").parent)],
        "/d: holds files abm did not write; allowed: a new or empty folder",
    ),
    "out-is-the-current-folder": (
        lambda t: ["run", str(scenario(t, "")), "--out", "."],
        ".: holds files abm did not write",
    ),
    "out-holds-a-run-without-overwrite": (
        lambda t: [
            "run",
            "baseline_2026",
            "--out",
            str(write(t / "r" / "manifest.json", '{"scenario_hash": "x"}').parent),
        ],
        "/r: already holds an abm run result; allowed: --overwrite, or another --out",
    ),
    "out-not-writable": (
        lambda t: ["run", "baseline_2026", "--out", str(unwritable(t))],
        "/sys/abm-out: cannot write in /sys",
    ),
    "out-below-a-file": (
        lambda t: ["run", "baseline_2026", "--out", str(write(t / "f", "") / "sub")],
        "/f is a file, not a folder",
    ),
    "experiment-nan-level": (
        lambda t: [
            "validate",
            str(experiment(t, '[parameters]\n"ai.demand_growth_per_year" = [0.1, nan]')),
        ],
        "[parameters] ai.demand_growth_per_year = [0.1, nan]: [ai] demand_growth_per_year = nan "
        "is not a finite number",
    ),
    "experiment-nan-range": (
        lambda t: [
            "sweep",
            str(
                experiment(
                    t,
                    '[design]\nmethod = "lhs"\nsamples = 2\n[parameters]\n'
                    '"btc_price.drift_per_year" = [nan, 0.5]',
                )
            ),
            "--out",
            str(t / "store"),
        ],
        "drift_per_year = nan is not a finite number",
    ),
    "experiment-nan-override": (
        lambda t: [
            "sweep",
            str(experiment(t, '"btc_price.jump_log_sd" = nan')),
            "--out",
            str(t / "s"),
        ],
        "[overrides] [btc_price] jump_log_sd = nan is not a finite number",
    ),
    "experiment-unknown-figure": (
        lambda t: ["sweep", str(experiment(t, "", '["fan_charts", "pie"]')), "--out", str(t / "s")],
        "figures = ['fan_charts', 'pie'] names 'pie', which is not a figure; allowed any of",
    ),
    "experiment-set-varied-key": (
        lambda t: [
            "validate",
            str(experiment(t, '[parameters]\n"run.dt_days" = [1, 2]')),
            "--set",
            "run.dt_days=3",
        ],
        "run.dt_days is both fixed in [overrides] and varied in [parameters]",
    ),
    "sweep-out-holds-other-files": (
        lambda t: ["sweep", "smoke", "--out", str(write(t / "d" / "notes.txt", "").parent)],
        "/d: holds files abm did not write",
    ),
    "sweep-out-holds-a-run": (
        lambda t: [
            "sweep",
            "smoke",
            "--out",
            str(write(t / "r" / "manifest.json", '{"scenario_hash": 1}').parent),
        ],
        "/r: holds an abm run result; allowed: a new or empty folder, or an abm sweep result",
    ),
    "sweep-workers-0": (
        lambda t: ["sweep", "smoke", "--workers", "0", "--out", str(t / "s")],
        "argument --workers: 0 is not allowed; allowed 1 <= value",
    ),
    "sweep-dask-unreachable": (
        lambda t: ["sweep", "smoke", "--dask", "tcp://127.0.0.1:9", "--out", str(t / "s")],
        "--dask tcp://127.0.0.1:9: no Dask scheduler answered within 5 s",
    ),
    "sweep-resume-after-an-edit": (
        stored_sweep,
        "changed since: experiment.replicates 1 -> 2; allowed: the same experiment",
    ),
    "reproduce-workers-0": (
        lambda t: ["reproduce", "smoke", "--workers", "0", "--out", str(t / "s")],
        "argument --workers: 0 is not allowed; allowed 1 <= value",
    ),
    "scenarios-dir-missing": (
        lambda t: ["scenarios", "--dir", str(t / "missing")],
        "/missing: no such folder of scenario files",
    ),
    "experiment-missing": (
        lambda t: ["sweep", str(t / "none.toml")],
        "none.toml: no such experiment file",
    ),
}


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under `folder`, with a hash of each file's bytes."""
    found = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        found[key] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "/"
    return found


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_exits_2_with_one_line_naming_it_and_writes_nothing(
    case, tmp_path, monkeypatch, capsys
):
    setup, named = CASES[case]
    monkeypatch.chdir(tmp_path)  # default output folders (results/...) would land here
    argv = setup(tmp_path)
    before = snapshot(tmp_path)
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse usage errors
        code = stop.code
    out, err = capsys.readouterr()
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert named in err, err
    assert "Traceback" not in out + err
    assert snapshot(tmp_path) == before


def test_every_shipped_experiment_still_validates(capsys):
    for path in sorted(EXPERIMENT_DIR.glob("*.toml")):
        assert main(["validate", str(path)]) == 0, capsys.readouterr().err
