"""Command line: `abm run | validate | scenarios` (also `python -m abm`).

Scenario errors are printed as one line naming the file, key, value and what is allowed,
and exit with status 2, without a traceback and without writing any output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from abm.batch.cli import add_subcommands as add_batch_subcommands
from abm.figures.cli import add_subcommands as add_figure_subcommands
from abm.params import ParamError
from abm.scenario import SCENARIO_DIR, list_scenarios, load_scenario
from abm.viz.cli import add_subcommands as add_viz_subcommands

EXIT_BAD_INPUT = 2
SUMMARY_KEYS = (
    ("start_date", "start"),
    ("end_date", "end"),
    ("blocks", "blocks mined"),
    ("retargets", "retargets"),
    ("mean_block_interval_s", "mean block interval, s"),
    ("longest_gap_s", "longest block interval, s"),
    ("max_daily_mean_interval_s", "worst daily mean interval, s"),
    ("gaps_over_1h", "gaps over 1 h"),
    ("retargets_at_clamp", "retargets at the x4 clamp"),
    ("max_consecutive_negative_retargets", "longest run of falling retargets"),
    ("max_schedule_slip_s", "max schedule slip, s"),
    ("min_rental_attack_cost_usd_per_h", "min rental attack cost, USD/h"),
    ("min_capex_attack_cost_usd", "min hardware attack cost, USD"),
    ("max_dormant_ratio", "max dormant / active hashrate"),
    ("max_double_spend_p_q10_z6", "max double-spend P (q=0.1, z=6)"),
    ("min_nakamoto_pools", "min Nakamoto coefficient, pools"),
    ("min_nakamoto_firms", "min Nakamoto coefficient, firms"),
    ("hashrate_eh_start", "hashrate at start, EH/s"),
    ("hashrate_eh_end", "hashrate at end, EH/s"),
    ("difficulty_end", "difficulty at end"),
    ("btc_price_usd_end", "BTC price at end, USD"),
    ("firms", "firms"),
    ("firms_alive_end", "firms alive at end"),
    ("bankruptcies", "bankruptcies"),
    ("auctions", "site auctions"),
)


def _print_summary(summary: dict) -> None:
    width = max(len(label) for _, label in SUMMARY_KEYS)
    for key, label in SUMMARY_KEYS:
        value = summary.get(key)
        if isinstance(value, float):
            value = f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.4e}"
        print(f"  {label:<{width}}  {value}")


def cmd_run(args: argparse.Namespace) -> int:
    """Simulate one scenario and write its tables."""
    from abm.run import run

    result = run(args.scenario, seed=args.seed, progress=not args.quiet)
    out = Path(args.out) if args.out else Path("results") / Path(args.scenario).stem
    result.write(out)
    print(f"{Path(args.scenario).stem} (seed {args.seed}, {result.manifest['wall_time_s']} s):")
    _print_summary(result.summary)
    print(
        f"wrote {out}/: model.parquet, firms.parquet, events.parquet, summary.json, manifest.json"
    )
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Check a scenario file; print its hash."""
    scenario = load_scenario(args.scenario)
    print(f"{args.scenario}: valid (scenario hash {scenario.digest()})")
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    """List shipped scenarios with their one-line descriptions."""
    found = list_scenarios(Path(args.dir))
    width = max((len(name) for name, _ in found), default=0)
    for name, description in found:
        print(f"{name:<{width}}  {description}")
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser of the `abm` command."""
    top = argparse.ArgumentParser(prog="abm", description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="simulate one scenario and write its results")
    p.add_argument("scenario", help="scenario TOML path or shipped scenario name")
    p.add_argument("--seed", type=int, default=0, help="root seed of the run (default 0)")
    p.add_argument("--out", help="output folder (default results/SCENARIO)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("validate", help="check a scenario file")
    p.add_argument("scenario")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("scenarios", help="list shipped scenarios")
    p.add_argument("--dir", default=str(SCENARIO_DIR), help="folder of scenario files")
    p.set_defaults(func=cmd_scenarios)
    add_batch_subcommands(sub)
    add_figure_subcommands(sub)
    add_viz_subcommands(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `abm` console script."""
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except ParamError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
