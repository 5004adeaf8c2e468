"""Start-up: CPU time of `import abm` against `import pandas`, each in a fresh interpreter.

Median of --repeats fresh processes each (CPU time of the child: user + system).
Run: .venv/bin/python benchmarks/bench_startup.py [--repeats 7]
"""

import argparse
import resource
import statistics
import subprocess
import sys

from common import machine

COMMANDS = {
    "python -c pass": "pass",
    "import abm": "import abm",
    "import pandas": "import pandas",
    "import abm; abm.MiningModel": "import abm; abm.MiningModel",
}


def child_cpu_s(code: str) -> float:
    """CPU seconds a fresh interpreter takes to run `code`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(machine())
    for label, code in COMMANDS.items():
        times = [child_cpu_s(code) for _ in range(args.repeats)]
        print(f"{label:<30} {1000 * statistics.median(times):6.0f} ms CPU (median)")


if __name__ == "__main__":
    main()
