"""The shared I/O helpers: canonical hashes, JSON of numpy values, all-or-nothing writes."""

from __future__ import annotations

import datetime as dt
import json
import os

import numpy as np
import pytest

from abm.io import atomic_dir, atomic_write, content_hash, dumps, json_default


def test_content_hash_ignores_key_order_and_sees_every_value():
    assert content_hash({"a": 1, "b": [1, 2]}) == content_hash({"b": [1, 2], "a": 1})
    assert content_hash({"a": 1}) != content_hash({"a": 1.5})
    assert content_hash({"a": np.int64(3)}) == content_hash({"a": 3})
    assert len(content_hash({})) == 16


def test_json_default_writes_numpy_values_as_python_values_and_the_rest_as_text():
    text = dumps({"n": np.float64(0.5), "v": np.arange(3), "d": dt.date(2026, 1, 2)})
    assert json.loads(text) == {"d": "2026-01-02", "n": 0.5, "v": [0, 1, 2]}
    assert json_default(np.bool_(True)) is True


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path):
    path = atomic_write(tmp_path / "f.json", "old")
    with pytest.raises(TypeError):
        atomic_write(path, 42)  # not text or bytes: fails while writing
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["f.json"]
    assert path.stat().st_mode & 0o777 == 0o666 & ~_umask()


def test_atomic_dir_keeps_or_replaces_an_existing_folder_and_cleans_up(tmp_path):
    final = tmp_path / "run"
    with atomic_dir(final) as tmp:
        (tmp / "a").write_text("1")
    with atomic_dir(final) as tmp:  # exists: kept (another writer was first)
        (tmp / "a").write_text("2")
    assert (final / "a").read_text() == "1"
    with atomic_dir(final, replace=True) as tmp:
        (tmp / "a").write_text("3")
    assert (final / "a").read_text() == "3"
    with pytest.raises(RuntimeError), atomic_dir(final, replace=True) as tmp:
        (tmp / "a").write_text("4")
        raise RuntimeError("killed")
    assert (final / "a").read_text() == "3" and os.listdir(tmp_path) == ["run"]
    assert final.stat().st_mode & 0o777 == 0o777 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
