"""What the benchmarks share: CPU clocks, the numpy reference job, scaled scenarios, machine.

The machine is shared, so benchmarks report CPU time (`resource.getrusage`), not wall time,
and ratios to a fixed numpy job measured in the same process, interleaved.
"""

import datetime as dt
import os
import platform
import resource
from pathlib import Path

import numpy as np

from abm import load_scenario


def cpu_s() -> float:
    """CPU seconds (user + system) this process has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def numpy_reference_s() -> float:
    """CPU seconds of the reference job: 40 sorts of 1e6 floats."""
    x = np.random.default_rng(0).random(1_000_000)
    started = cpu_s()
    for _ in range(40):
        np.sort(x)
    return cpu_s() - started


def scaled(base_name: str, firm_factor: int, years: int):
    """`base_name` with `firm_factor` times its firms (same hashrate) over `years` years.

    The named firms stay as they are; the drawn groups grow so the total is `firm_factor`
    times the base's (64, 640, 6,400 for baseline_2026), each group in proportion.
    """
    base = load_scenario(base_name)
    groups = base.to_dict()["population"]["groups"]
    named = len(base.population.firms)
    drawn = sum(group["count"] for group in groups)
    target = firm_factor * (named + drawn) - named
    for group in groups:
        group["count"] = round(group["count"] * target / drawn)
    end = dt.date(base.run.start_date.year + years - 1, 12, 31)
    return load_scenario(
        base.to_dict(), {"population.groups": groups, "run.end_date": end.isoformat()}
    )


def machine() -> str:
    """One line: CPU model, cores, Python, date."""
    cpuinfo = Path("/proc/cpuinfo")
    text = cpuinfo.read_text() if cpuinfo.exists() else ""
    names = [line.split(":", 1)[1].strip() for line in text.splitlines() if "model name" in line]
    model = names[0] if names else "unknown CPU"
    return (
        f"{model}, nproc {os.cpu_count()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, {dt.date.today().isoformat()}"
    )
