"""Command line: `abm run | validate | scenarios | params | sweep | analyze | figures | ...`.

Every failure is one line on stderr and an exit status: 2 for bad input (a scenario,
experiment, option or output folder; nothing is written), 1 for a run that failed, 130
when interrupted; `--debug` adds the traceback. `-q` keeps only results and errors, `-v`
adds detail. Heavy libraries (mesa, pandas, scipy, matplotlib, pyarrow, SALib) are
imported inside the commands that use them, so `abm --help` starts at once. Other modules
add subcommands with an `add_subcommands(subparsers)` function listed in SUBCOMMANDS.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import tomllib
import traceback
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

import abm
from abm.catalog import SCENARIO_DIR, list_scenarios
from abm.params import ParamError

EXIT_RUN_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 1, 2, 130
# modules that add their own subcommands, with the commands they add: only the module of
# the command given is imported (a command not listed here imports them all)
SUBCOMMANDS = {
    "abm.batch.cli": ("sweep", "analyze"),
    "abm.figures.cli": ("figures",),
    "abm.viz.cli": ("viz",),
}
log = logging.getLogger("abm")


def _print_summary(summary: dict) -> None:
    """The outcomes marked `printed` in abm.metrics.outcomes, one a line with its unit."""
    from abm.metrics.outcomes import OUTCOMES

    rows = [(o.name, o.label + (f", {o.unit}" if o.unit else "")) for o in OUTCOMES if o.printed]
    width = max(len(label) for _, label in rows)
    for key, label in rows:
        value = summary.get(key)
        if isinstance(value, float):
            value = f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.4e}"
        print(f"  {label:<{width}}  {value}")


class Interrupted(Exception):
    """Ctrl-C, with what was kept and how to continue (exit status 130)."""


class Setting(NamedTuple):
    """One `--set KEY=VALUE`: the dotted key, the value read as TOML, the text given."""

    key: str
    value: Any
    text: str


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error reported on one line (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        """One line naming the command and the problem, then exit 2."""
        self.exit(EXIT_BAD_INPUT, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def nonnegative(text: str) -> int:
    """An integer >= 0 (seeds)."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is not allowed; allowed 0 <= value")
    return value


def positive(text: str) -> int:
    """An integer >= 1 (worker and seed counts)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not allowed; allowed 1 <= value")
    return value


def setting(text: str) -> Setting:
    """A `--set KEY=VALUE` pair; VALUE is read as TOML (0.6, 2027-01-01, true) or as text."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(
            f"{text!r} is not KEY=VALUE; e.g. btc_price.volatility_per_year=0.6"
        )
    try:
        value = tomllib.loads(f"value = {raw.strip()}")["value"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return Setting(key.strip(), value, text)


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The `--set` pairs of a command as dotted overrides; a key given twice is an error."""
    found: dict[str, Any] = {}
    for key, value, _ in args.set or ():
        if key in found:
            raise ParamError(f"--set {key} is given twice; allowed once per key")
        found[key] = value
    return found


def add_set_option(p: argparse.ArgumentParser) -> None:
    """`--set KEY=VALUE`, repeatable (used by run, validate and sweep)."""
    p.add_argument(
        "--set",
        type=setting,
        action="append",
        metavar="KEY=VALUE",
        help="override a scenario parameter, e.g. btc_price.volatility_per_year=0.6 "
        "(repeatable; checked like the scenario file)",
    )


def progress(args: argparse.Namespace) -> bool:
    """Whether to draw progress bars: not with -q."""
    return not getattr(args, "quiet", False)


def cmd_run(args: argparse.Namespace) -> int:
    """Simulate one scenario and write its tables."""
    from abm.outdir import check_output, run_files
    from abm.scenario import load_scenario

    changes = overrides(args)
    load_scenario(args.scenario, changes or None)  # bad input fails here, before anything
    out = Path(args.out) if args.out else Path("results") / Path(args.scenario).stem
    check_output(out, "run", args.overwrite, "--overwrite")

    from abm.run import run

    result = run(args.scenario, seed=args.seed, progress=progress(args), **changes)
    result.manifest["overrides"] = changes
    result.write(out, overwrite=args.overwrite)
    print(f"{Path(args.scenario).stem} (seed {args.seed}, {result.manifest['wall_time_s']} s):")
    _print_summary(result.summary)
    log.info(f"wrote {out}/: {', '.join(run_files())}")
    return 0


def is_experiment(path: str) -> bool:
    """Whether `path` (or a bare name) is an experiment file rather than a scenario."""
    from abm.batch.experiment import EXPERIMENT_KEYS
    from abm.catalog import EXPERIMENT_DIR, find

    scenario = find(path, SCENARIO_DIR)
    if not Path(path).suffix and not scenario.exists():
        return find(path, EXPERIMENT_DIR).exists()
    try:
        data = tomllib.loads(scenario.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False  # reported as a scenario error, which names the problem
    return bool(EXPERIMENT_KEYS & set(data))


def cmd_validate(args: argparse.Namespace) -> int:
    """Check a scenario or experiment file (with any --set); print its hash."""
    changes = overrides(args)
    if is_experiment(args.file):
        from abm.batch.experiment import load_experiment

        exp = load_experiment(args.file, changes or None)
        runs = len(exp.specs())
        print(
            f"{args.file}: valid experiment ({runs} runs: {runs // exp.replicates} design "
            f"points x {exp.replicates} replicates, {exp.design.method}; experiment hash "
            f"{exp.digest()})"
        )
        return 0
    from abm.scenario import load_scenario

    scenario = load_scenario(args.file, changes or None)
    print(f"{args.file}: valid (scenario hash {scenario.digest()})")
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    """List shipped scenarios with their one-line descriptions."""
    found = list_scenarios(Path(args.dir))
    if not found:
        log.warning(f"{args.dir}: holds no scenario files (*.toml)")
    width = max((len(name) for name, _ in found), default=0)
    for name, description in found:
        print(f"{name:<{width}}  {description}")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    """List every parameter of a scenario: value, unit, allowed range, meaning, source."""
    from abm.catalog import find, read_scenario_layers
    from abm.describe import describe, sources
    from abm.scenario import load_scenario

    changes = overrides(args)
    scenario = load_scenario(args.scenario, changes or None)
    layers = read_scenario_layers(find(args.scenario, SCENARIO_DIR).resolve())
    listed = describe(scenario, sources(layers, changes))
    if args.grep:
        listed = [row for row in listed if args.grep in row.key]
    for row in listed:
        unit = f" {row.unit}" if row.unit else ""
        print(f"{row.key} = {row.value!r}{unit}")
        print(f"    allowed {row.allowed}; {row.doc or 'no description'}")
        print(f"    set in {row.source}")
    return 0


def _add_common_options(p: argparse.ArgumentParser) -> None:
    """-q, -v and --debug, accepted before or after the subcommand."""
    group = p.add_argument_group("output")
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="results and errors only: no progress bars or notes",
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="more detail on stderr",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the traceback of an error",
    )


def cmd_reproduce(args: argparse.Namespace) -> int:
    """Run a catalogued experiment and draw its figures."""
    from abm.figures.cli import parse_formats, print_report
    from abm.reproduce import reproduce

    out, sweep_report, report = reproduce(
        args.experiment,
        Path(args.out) if args.out else None,
        full=args.full,
        workers=args.workers,
        formats=parse_formats(args.format),
    )
    print(
        f"{out}: {sweep_report.done} runs done, {sweep_report.failed} failed, "
        f"{sweep_report.stored_before} stored before"
    )
    print_report(report)
    return 0 if sweep_report.ok and not report.skipped else 1


def cmd_hindcast(args: argparse.Namespace) -> int:
    """Run the 2026 history scenario over seeds; print, write and draw its hindcast table."""
    from abm.figures.hindcast import draw_hindcast
    from abm.figures.style import save
    from abm.hindcast import SCENARIO, evaluate, format_table, run_history
    from abm.io import atomic_dir, atomic_write, write_json
    from abm.outdir import check_output
    from abm.scenario import load_scenario

    out = Path(args.out)
    check_output(out, "hindcast", args.overwrite, "--overwrite")
    runs = run_history(range(1, args.seeds + 1), progress=progress(args))
    table = evaluate(runs)
    print(format_table(table))
    digest = load_scenario(SCENARIO).digest()
    with atomic_dir(out, replace=args.overwrite) as tmp:
        atomic_write(tmp / "hindcast.csv", table.to_csv(index=False))
        save(draw_hindcast(runs, table), tmp, "hindcast", ("png",), digest)
        manifest = {"hindcast_of": SCENARIO, "scenario_hash": digest, "seeds": args.seeds}
        write_json(tmp / "manifest.json", manifest)
    missed = table[table["strict"] & ~table["within"]]
    print(f"wrote {out}/: hindcast.csv, hindcast.png; {len(missed)} held targets missed")
    return 0 if missed.empty else 1


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    """Add run, validate, scenarios, params, reproduce and hindcast to `abm`'s subparsers."""
    p = sub.add_parser("run", help="simulate one scenario and write its results")
    p.add_argument("scenario", help="scenario TOML path or shipped scenario name")
    p.add_argument("--seed", type=nonnegative, default=0, help="root seed of the run (default 0)")
    p.add_argument("--out", help="output folder (default results/SCENARIO)")
    p.add_argument(
        "--overwrite", action="store_true", help="replace an earlier abm run result in --out"
    )
    add_set_option(p)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("validate", help="check a scenario or experiment file")
    p.add_argument("file", help="scenario or experiment TOML path, or a shipped name")
    add_set_option(p)
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("scenarios", help="list shipped scenarios")
    p.add_argument("--dir", default=str(SCENARIO_DIR), help="folder of scenario files")
    p.set_defaults(func=cmd_scenarios)
    p = sub.add_parser("params", help="list every parameter: value, unit, range, meaning, source")
    p.add_argument("scenario", nargs="?", default="baseline_2026", help="default baseline_2026")
    p.add_argument("--grep", metavar="TEXT", help="only keys containing TEXT")
    add_set_option(p)
    p.set_defaults(func=cmd_params)
    p = sub.add_parser("reproduce", help="run a catalogued experiment and draw its figures")
    p.add_argument("experiment", help="experiment name (experiments/NAME.toml) or path")
    p.add_argument("--full", action="store_true", help="the size in the file, not the quick one")
    p.add_argument("--out", help="store folder (default results/NAME_quick or results/NAME)")
    p.add_argument("--workers", type=positive, help="worker processes (default: one per CPU)")
    p.add_argument("--format", default="pdf,png", help="comma list of pdf, png, svg")
    p.set_defaults(func=cmd_reproduce)
    p = sub.add_parser("hindcast", help="hold the 2026 history scenario to what happened")
    p.add_argument("--seeds", type=positive, default=20, help="runs, seeds 1..N (default 20)")
    p.add_argument("--out", default="results/hindcast", help="folder for the table and figure")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier hindcast")
    p.set_defaults(func=cmd_hindcast)


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of the `abm` command.

    With `command`, only the module adding that subcommand is imported (fast start; a
    command not in SUBCOMMANDS imports them all); with "" (no command: --version), none;
    with None, every module's subcommands are added (for the full help).
    """
    top = Parser(
        prog="abm",
        description="An agent-based model of Bitcoin miners between block rewards and AI "
        "hosting. Exit status: 0 done, 1 a run failed, 2 bad input, 130 interrupted.",
    )
    top.add_argument("--version", action="version", version=f"abm {abm.__version__}")
    _add_common_options(top)
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_subcommands(sub)
    listed = {*sub.choices, *(name for names in SUBCOMMANDS.values() for name in names)}
    for module, names in SUBCOMMANDS.items():
        if command is None or command in names or (command and command not in listed):
            importlib.import_module(module).add_subcommands(sub)
    for p in sub.choices.values():
        _add_common_options(p)
    return top


def _logging(args: argparse.Namespace) -> None:
    """Notes to stderr: warnings only with -q, details with -v."""
    level = logging.INFO
    if getattr(args, "quiet", False):
        level = logging.WARNING
    elif getattr(args, "verbose", False):
        level = logging.DEBUG
    for handler in list(log.handlers):
        log.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False


def _fail(message: str, code: int, debug: bool) -> int:
    if debug:
        traceback.print_exc()
    print("error: " + message.replace("\n", " "), file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `abm` console script and `python -m abm`."""
    argv = sys.argv[1:] if argv is None else argv
    command = next((word for word in argv if not word.startswith("-")), None)
    if command is None and not {"-h", "--help"} & set(argv):
        command = ""  # --version, or a usage error: no subcommand needed
    args = parser(command).parse_args(argv)
    _logging(args)
    debug = getattr(args, "debug", False)
    try:
        return args.func(args)
    except ParamError as err:
        return _fail(str(err), EXIT_BAD_INPUT, debug)
    except Interrupted as err:
        return _fail(str(err), EXIT_INTERRUPTED, debug)
    except KeyboardInterrupt:
        return _fail("interrupted; nothing was written", EXIT_INTERRUPTED, debug)
    except Exception as err:
        return _fail(f"{type(err).__name__}: {err}", EXIT_RUN_FAILED, debug)


if __name__ == "__main__":
    sys.exit(main())
