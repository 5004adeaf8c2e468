"""The I/O helpers every writer shares: JSON text, content hashes and atomic writes.

Runs, sweeps and experiments all hash their contents the same way, serialise numpy values
the same way and write files and folders all or nothing: a hidden temporary in the same
folder, then one `os.replace`, so a reader (or a crash) never sees half a file. What is
written gets ordinary permissions (those `open`/`mkdir` give under the user's umask), not
the private 0600/0700 of `tempfile`. Standard library only: the CLI imports it at start-up.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def json_default(value: Any) -> Any:
    """What `json` cannot write: numpy scalars and arrays as Python values, else text."""
    tolist = getattr(value, "tolist", None)  # numpy.generic and numpy.ndarray
    return tolist() if callable(tolist) else str(value)


def dumps(obj: Any) -> str:
    """Stable, readable JSON text (sorted keys) of a manifest, summary or record."""
    return json.dumps(obj, indent=1, sort_keys=True, default=json_default)


def content_hash(obj: Any) -> str:
    """Hash (hex, 16 chars) of `obj`'s canonical JSON: equal contents, equal hash."""
    blob = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=json_default)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """Permissions of a new ordinary file under the current umask (e.g. 0o644)."""
    return 0o666 & ~_umask()


def dir_mode() -> int:
    """Permissions of a new ordinary folder under the current umask (e.g. 0o755)."""
    return 0o777 & ~_umask()


def atomic_write(path: Path, data: str | bytes) -> Path:
    """Write `data` to `path` all or nothing (temporary file, then os.replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json(path: Path, obj: Any) -> Path:
    """Write `obj` as JSON text (see `dumps`) atomically."""
    return atomic_write(path, dumps(obj) + "\n")


@contextlib.contextmanager
def atomic_dir(final: Path, replace: bool = False) -> Iterator[Path]:
    """Yield a hidden temporary folder beside `final`; on success it becomes `final`.

    If `final` exists meanwhile, it is replaced when `replace` is true (the old folder is
    moved aside first, then deleted), otherwise the new folder is discarded and the
    existing one kept. On an exception the temporary folder is deleted.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        tmp.chmod(dir_mode())
        yield tmp
        if final.exists() and replace:
            old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old.", dir=final.parent))
            os.replace(final, old / final.name)
            os.replace(tmp, final)
            shutil.rmtree(old)
        elif final.exists():
            shutil.rmtree(tmp)
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
