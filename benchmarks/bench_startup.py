"""CPU seconds a command spends before doing anything: `abm --help`, `abm scenarios`, ...

Each command runs in a fresh interpreter, five times; the best (least disturbed) CPU time,
user plus system, of the child process is printed, beside `python -c "import pandas"` for
scale. Heavy libraries load only inside the commands that use them (see abm.cli).

    .venv/bin/python benchmarks/bench_startup.py
"""

from __future__ import annotations

import resource
import subprocess
import sys

REPEATS = 5
COMMANDS = {
    "abm --help": ["-m", "abm", "--help"],
    "abm --version": ["-m", "abm", "--version"],
    "abm scenarios": ["-m", "abm", "scenarios"],
    "abm sweep --help": ["-m", "abm", "sweep", "--help"],
    "abm validate baseline_2026": ["-m", "abm", "validate", "baseline_2026"],
    "abm params": ["-m", "abm", "params"],
    "import abm": ["-c", "import abm"],
    "import abm; abm.MiningModel": ["-c", "import abm; abm.MiningModel"],
    'python -c "import pandas"': ["-c", "import pandas"],
}


def cpu_seconds(args: list[str]) -> float:
    """User + system CPU time of one run of `python ARGS`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, *args], check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    for label, args in COMMANDS.items():
        best = min(cpu_seconds(args) for _ in range(REPEATS))
        print(f"{label:<30} {best:5.2f} s CPU")


if __name__ == "__main__":
    main()
