"""`abm sweep` and `abm analyze`: the batch subcommands of the command line.

`abm.cli.parser()` calls `add_subcommands`. A bad experiment file, a folder holding another
sweep or an unsuited analysis is a `ParamError` (exit status 2, one line naming the file,
key, value and what is allowed); a sweep in which any run failed exits with status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import threading
from concurrent.futures import InvalidStateError
from pathlib import Path

from abm.cli import (
    EXIT_RUN_FAILED,
    Interrupted,
    add_set_option,
    log,
    overrides,
    positive,
    progress,
)


def _ignore_cancelled_future_race() -> None:
    """Keep Ctrl-C on a process-pool sweep to one line on stderr.

    When the pool breaks because its workers got the interrupt too, Python 3.11's pool
    thread may try to fail a future the sweep has just cancelled and print an
    InvalidStateError traceback from that thread; the interruption is already reported.
    """
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if not issubclass(args.exc_type, InvalidStateError):
            previous(args)

    threading.excepthook = hook


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run (or resume) an experiment's sweep; report runs done and failed."""
    from abm.batch import store
    from abm.batch.executor import dask_executor, local_executor
    from abm.batch.experiment import load_experiment
    from abm.batch.sweep import check_same_experiment, sweep
    from abm.outdir import check_output

    exp = load_experiment(args.experiment, overrides(args) or None)
    out = Path(args.out) if args.out else Path("results") / exp.name
    check_output(out, "sweep", args.resume, "--resume")
    specs, manifest = exp.specs(), exp.manifest()
    check_same_experiment(out, manifest)
    points = len(specs) // exp.replicates
    plan = (
        f"{exp.name}: {len(specs)} runs ({points} design points x {exp.replicates} "
        f"replicates, {exp.design.method}), root seed {exp.root_seed} -> {out}"
    )
    resume = f"abm sweep {args.experiment} --out {out} --resume" + "".join(
        f" --set {given.text}" for given in args.set or ()
    )
    try:
        with contextlib.ExitStack() as stack:
            if args.dask or args.dask_local:
                executor = stack.enter_context(dask_executor(args.dask, args.workers))
            else:
                executor = local_executor(args.workers)
                stack.callback(executor.shutdown, wait=True, cancel_futures=True)
                _ignore_cancelled_future_race()
            log.info(plan)
            report = sweep(
                specs,
                out,
                executor,
                manifest=manifest,
                max_runs=args.max_runs,
                progress=progress(args),
            )
    except KeyboardInterrupt:
        stored = len(store.stored_ids(out))
        raise Interrupted(
            f"interrupted; {stored} of {len(specs)} runs are stored in {out}; continue with: "
            f"{resume}"
        ) from None
    print(
        f"{report.done} runs done, {report.failed} failed, {report.stored_before} already "
        f"stored, {report.left} left, in {report.wall_s:.1f} s"
    )
    for run_id, error in report.failures:
        first = error.splitlines()[0] if error else ""
        print(f"  failed {run_id}: {first} (traceback in {out / store.FAILED / run_id}.json)")
    if report.broken:
        print(f"the executor broke and took no more runs: {report.broken}")
    if report.left:
        print(f"continue with: {resume}")
    print(f"results: {out} (read with abm.batch.load)")
    return 0 if report.ok else EXIT_RUN_FAILED


def cmd_analyze(args: argparse.Namespace) -> int:
    """Sensitivity indices of a summary metric over a finished sobol/morris sweep."""
    from abm.batch import store
    from abm.batch.analyze import analyze

    table = analyze(args.dir, args.method, args.output)
    manifest = store.read_manifest(args.dir) or {}
    points = len(manifest["design"]["matrix"])
    replicates = manifest["experiment"]["replicates"]
    default = Path(args.dir) / f"sensitivity_{args.method}_{args.output}.csv"
    path = Path(args.out) if args.out else default
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False)
    print(
        f"{args.method} sensitivity of {args.output} in {args.dir} ({points} design points, "
        f"mean over {replicates} replicates each):"
    )
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"wrote {path}")
    return 0


def add_subcommands(subparsers: argparse._SubParsersAction) -> None:
    """Add `sweep` and `analyze` to the `abm` command's subparsers."""
    p = subparsers.add_parser("sweep", help="run (or resume) a batch experiment")
    p.add_argument("experiment", help="experiment TOML path or shipped experiment name")
    p.add_argument("--out", help="result folder (default results/NAME)")
    p.add_argument("--workers", type=positive, help="local worker processes (default one per CPU)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--dask", metavar="ADDRESS", help="run on the Dask scheduler at ADDRESS")
    where.add_argument("--dask-local", action="store_true", help="run on a new Dask LocalCluster")
    p.add_argument("--resume", action="store_true", help="continue a sweep in --out")
    p.add_argument("--max-runs", type=positive, help="run at most N of the missing runs")
    add_set_option(p)
    p.set_defaults(func=cmd_sweep)
    p = subparsers.add_parser("analyze", help="sensitivity indices from a sobol/morris sweep")
    p.add_argument("dir", help="result folder of a finished sweep")
    p.add_argument("--method", required=True, choices=("sobol", "morris"))
    p.add_argument("--output", required=True, help="summary metric, e.g. firms_alive_end")
    p.add_argument("--out", help="CSV file (default DIR/sensitivity_METHOD_OUTPUT.csv)")
    p.set_defaults(func=cmd_analyze)
