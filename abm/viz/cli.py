"""`abm viz [SCENARIO] [--host] [--port]`: serve the dashboard with Solara (the `viz` extra)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from abm.params import ParamError

DEFAULT_PORT = 8765


def cmd_viz(args: argparse.Namespace) -> int:
    """Check the scenario, then run `solara run abm.viz.app` until interrupted."""
    from abm.scenario import load_scenario  # here, not at import: `abm --help` starts at once
    from abm.viz.inputs import SCENARIO_ENV

    if importlib.util.find_spec("solara") is None:
        raise ParamError("abm viz needs the viz extra: pip install -e '.[viz]'")
    load_scenario(args.scenario)  # a bad scenario fails here, in one line
    scenario = str(Path(args.scenario).resolve()) if Path(args.scenario).exists() else args.scenario
    env = {**os.environ, SCENARIO_ENV: scenario}
    command = [
        sys.executable,
        "-m",
        "solara",
        "run",
        "abm.viz.app",
        "--production",
        "--no-open",
        "--host",
        args.host,
        "--port",
        str(args.port),
    ]
    print(f"abm viz: {args.scenario} on http://{args.host}:{args.port} (Ctrl-C stops)")
    try:
        return subprocess.run(command, env=env, check=False).returncode
    except KeyboardInterrupt:
        return 0


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    """Register `viz` on the `abm` command line."""
    p = sub.add_parser("viz", help="interactive dashboard of one scenario (Mesa SolaraViz)")
    p.add_argument(
        "scenario",
        nargs="?",
        default="baseline_2026",
        help="scenario TOML path or shipped name (default baseline_2026)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.set_defaults(func=cmd_viz)
