"""Where results may be written, checked before anything runs so no user file is lost.

An output folder must be new, empty, or a result this tool wrote before: an `abm run`
folder (replaced only when asked) or a sweep store (continued only when asked). A file in
the way, a folder of other files or a place that cannot be written is a `ParamError`
naming it, raised before the simulation starts and before anything is created.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from pathlib import Path

from abm.params import ParamError

MANIFEST = "manifest.json"
RUN_TABLES = ("model", "firms", "events")  # an `abm run` folder: TABLE.parquet each
SUMMARY_FILE = "summary.json"


def run_files() -> list[str]:
    """The files of an `abm run` folder, in the order `abm run` lists them."""
    return [f"{name}.parquet" for name in RUN_TABLES] + [SUMMARY_FILE, MANIFEST]


KIND_KEYS = {
    "hindcast": "hindcast_of",
    "run": "scenario_hash",
    "sweep": "sessions",
}  # a key only that kind's manifest has


def result_kind(folder: Path) -> str | None:
    """'hindcast', 'run' or 'sweep' if `folder` holds a result this tool wrote, else None."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    return next((kind for kind, key in KIND_KEYS.items() if key in manifest), None)


def check_writable(folder: Path) -> None:
    """Raise ParamError unless `folder` (or its nearest existing ancestor) takes new files.

    Creates nothing that stays: a probe folder is made and removed at once.
    """
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ParamError(f"{folder}: {existing} is a file, not a folder; allowed: a folder path")
    try:
        shutil.rmtree(tempfile.mkdtemp(prefix=".abm-probe.", dir=existing))
    except OSError as err:
        reason = os.strerror(err.errno or errno.EACCES)
        raise ParamError(f"{folder}: cannot write in {existing} ({reason})") from None


def check_output(folder: Path, kind: str, reuse: bool, flag: str) -> None:
    """Check that a result of `kind` may be written to `folder`.

    Allowed: a missing or empty folder, or a `kind` result when `reuse` is true (the
    command's `flag`, e.g. --overwrite, says so). Everything else is refused.

    Raises:
        ParamError: naming the folder and what is allowed.
    """
    if folder.exists() and not folder.is_dir():
        raise ParamError(
            f"{folder}: is a file, not a folder; allowed: a new or empty folder for --out"
        )
    if folder.is_dir() and any(folder.iterdir()):
        found = result_kind(folder)
        if found != kind:
            what = f"an abm {found} result" if found else "files abm did not write"
            raise ParamError(
                f"{folder}: holds {what}; allowed: a new or empty folder, or an abm {kind} "
                f"result with {flag} (nothing was changed)"
            )
        if not reuse:
            raise ParamError(
                f"{folder}: already holds an abm {kind} result; allowed: {flag}, or another --out"
            )
    check_writable(folder)
